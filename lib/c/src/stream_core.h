/* stream_core.h — what stream.c (the producer, the subscribers, the handles)
 * and stream_slots.c (the 64 subscriber slots) share; not installed. As the
 * C++ zeroipc/detail/stream_ring.h (StreamCore) and stream_slots.h
 * (SlotTable), whose messages and memory-ordering numbers these are.
 *
 * A zipc_stream_core is one stream in one mapping, with the values its
 * checked header gave (capacity, element size, overflow, origin): never
 * re-read from the segment. The stream handle and each cursor hold their
 * own copy (and their own reference on the mapping).
 */
#ifndef ZEROIPC_C_STREAM_CORE_H
#define ZEROIPC_C_STREAM_CORE_H

#include <stdint.h>
#include <sys/types.h>

#include "internal.h"

typedef struct zipc_stream_core {
  zipc_mapping* m;
  uint8_t* base;        /* the structure's common header */
  zeroipc_stream* l;    /* the same bytes as the §7.5 layout */
  uint64_t capacity;    /* cells, a power of two */
  uint64_t stride;      /* 8 + align8(element_size) */
  uint32_t element_size;
  uint32_t overflow;    /* ZEROIPC_STREAM_OVERFLOW_* */
  uint32_t origin;      /* ZEROIPC_STREAM_ORIGIN_* */
  char name[32];
  char where[ZIPC_WHERE_SIZE]; /* "zeroipc: segment '/x', stream 'name'" */
} zipc_stream_core;

/* ------------------------------------------------------------------ stream_slots.c (SlotTable) */

/** §7.5 slot state: the state after a transition from `s` to (phase, key): sequence + 1 (modulo 2^30). */
uint64_t zipc_stream_slot_next(uint64_t s, unsigned phase, uint32_t key);
/** high_water, checked (<= 64) into *out (S1). A status. */
int zipc_stream_high_water(const zipc_stream_core* c, uint32_t* out);
/** The state of slot i, checked (phase 3 is corrupt) into *out (S1). A status. */
int zipc_stream_slot_state(const zipc_stream_core* c, uint32_t i, uint64_t* out);
/** The pid slot i's owner recorded (0 if none). */
pid_t zipc_stream_slot_pid(const zipc_stream_core* c, uint32_t i);
/** Takes a free slot (or, when none is free, a dead subscriber's) for key `me`:
 *  ZEROIPC_OK with *index and *joining, ZEROIPC_E_LIMIT (no message) when every slot is live. */
int zipc_stream_slot_claim(const zipc_stream_core* c, uint32_t me, uint32_t* index, uint64_t* joining);
/** Raises high_water to at least index + 1 (J1). */
void zipc_stream_raise_high_water(const zipc_stream_core* c, uint32_t index);
/** The smallest cursor of the active slots, at most w, into *out (B4). A status. */
int zipc_stream_min_cursor(const zipc_stream_core* c, uint64_t w, uint64_t* out);
/** 1 when an active slot at least `capacity` behind w has a dead owner (its pid in *who);
 *  with `release`, such slots are freed. 0 when none (or on a corrupt slot: the next scan reports it). */
int zipc_stream_dead_laggards(const zipc_stream_core* c, uint64_t w, pid_t* who, int release);
/** Frees every slot of a dead owner; the pids of live holders other than `me`
 *  into live[] (up to 64), their number into *count. A status. */
int zipc_stream_release_dead(const zipc_stream_core* c, uint32_t me, pid_t live[64], uint32_t* count);
/** Active slots (a dead subscriber counts until released) into *out. A status. */
int zipc_stream_active(const zipc_stream_core* c, uint32_t* out);

#endif /* ZEROIPC_C_STREAM_CORE_H */
