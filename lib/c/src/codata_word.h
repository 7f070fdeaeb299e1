/* codata_word.h — what Future and Lazy (§7.4, future.c, lazy.c) and Channel
 * (§7.6, channel.c) share: the state-word encoding and its owner record, and the one way they
 * block (the C++ zeroipc/detail/wait.h, zeroipc/future.h's CodataCell); Stream (§7.5,
 * stream.c) blocks its producer the same way on the 32-bit `epoch`.
 *
 * The state word (§7.4): phase | sequence << 4 | owner key << 32. A Future's
 * `state` and a rendezvous channel's `handoff` are such words, each with a
 * pid and a tag (the key the pid was written for) next to it, for messages.
 *
 * Waiting (§7.4 "Waiting", §7.6 "Waiting"): spin briefly, then sleep on the
 * futex half of a 64-bit word (its low 4 bytes: the layout headers are for
 * little-endian hosts) in bounded slices, counted in the word's sleeper count.
 *
 * Memory ordering (the C++ numbering, wait.h and future.h):
 *   (W1) the waiter's seq_cst increment of the sleeper count and (W2) its
 *        seq_cst re-load of the word, against (N1) the notifier's seq_cst
 *        change of the word and (N2) the seq_cst load of the sleeper count in
 *        zipc_wake_all(): either (W2) sees (N1) or (N2) sees (W1).
 *   (W3) the acquire load that sees the change pairs with the release half of (N1).
 *   (O1) pid and (O2) tag are stored with release after a claim; (O3) the
 *        acquire load of the tag pairs with (O2); (O4) the acquire load of the
 *        pid pairs with (O1) of any later claim; (O5) a re-load of the word that
 *        still finds the claim proves the pid is that claim's.
 */
#ifndef ZEROIPC_C_CODATA_WORD_H
#define ZEROIPC_C_CODATA_WORD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "internal.h"

/** A deadline that never passes (absolute CLOCK_MONOTONIC nanoseconds otherwise). */
#define ZIPC_FOREVER INT64_MAX

/** The deadline of a timeout: < 0 forever, 0 now (already passed), else now + timeout_ns (saturating). */
int64_t zipc_deadline_after(int64_t timeout_ns);
/** Whether `deadline` has passed at `now`. */
int zipc_deadline_passed(int64_t deadline, int64_t now);

/** §7.4: the word after a transition from `w` to (phase, owner): sequence + 1 (modulo 2^28). */
uint64_t zipc_codata_next(uint64_t w, unsigned phase, uint32_t owner);

/** A 64-bit word in the segment that waiters sleep on, and its sleeper count. */
typedef struct zipc_wait_word {
  uint64_t* word;
  uint32_t* sleepers;
} zipc_wait_word;

/** What a waiter depends on: `dead` returns 1 (and the pid in *who, 0 if not
 *  recorded) when that owner is dead and the word still names it. */
typedef struct zipc_owner_check {
  int (*dead)(const void* context, pid_t* who);
  const void* context;
} zipc_owner_check;

typedef enum zipc_wait_result {
  ZIPC_WAIT_CHANGED,    /* the word no longer holds the value */
  ZIPC_WAIT_TIMED_OUT,  /* the deadline passed with the word unchanged */
  ZIPC_WAIT_OWNER_DEAD  /* the owner died with the word unchanged */
} zipc_wait_result;

typedef struct zipc_wait_status {
  zipc_wait_result result;
  uint64_t value; /* the word as last read */
  pid_t owner;    /* ZIPC_WAIT_OWNER_DEAD: the dead owner's pid (0 if not recorded) */
} zipc_wait_status;

/** Blocks while the word holds `expected`, until `deadline`, or until
 *  `owner` (may be NULL) is found dead. Slices of 20 ms with an owner, 250 ms without. */
zipc_wait_status zipc_wait_while_equal(zipc_wait_word w, uint64_t expected, int64_t deadline,
                                       const zipc_owner_check* owner);
/** Wakes every sleeper of the word if its sleeper count is not 0 (N2). Call after a seq_cst change (N1). */
void zipc_wake_all(zipc_wait_word w);

/** A 32-bit word waiters sleep on (the word is the futex itself), and its sleeper count: a Lazy's
 *  `demand`, a Stream's `epoch`. */
typedef struct zipc_wait_word32 {
  uint32_t* word;
  uint32_t* sleepers;
} zipc_wait_word32;

/** As zipc_wait_while_equal, for a 32-bit word. */
zipc_wait_status zipc_wait_while_equal32(zipc_wait_word32 w, uint32_t expected, int64_t deadline,
                                         const zipc_owner_check* owner);
/** As zipc_wake_all, for a 32-bit word (N2). */
void zipc_wake_all32(zipc_wait_word32 w);

/** Copies n bytes into shared memory as aligned 8-byte release stores, the last word zero-padded
 *  (the C++ detail::store_words). `shared` is 8-byte aligned. */
void zipc_store_words(void* shared, const void* src, size_t n);
/** Copies n bytes out of shared memory as aligned 8-byte acquire loads (detail::load_words). */
void zipc_load_words(void* dst, const void* shared, size_t n);

/** What ends a stored message that was cut to fit its 255 bytes (§7.4). */
#define ZIPC_TRUNCATION_NOTE " [truncated]"
/** Stores `message` as a Future's or Lazy's `error` (§7.4): NUL-terminated, at most 255 bytes (a
 *  longer one is cut at a UTF-8 character boundary and ends in " [truncated]"), as aligned 8-byte
 *  release stores, the zero padding included (CodataCell::write_error). */
void zipc_codata_write_error(zeroipc_codata* cell, const char* message);
/** The stored message (untrusted bytes: cut at the first NUL or at byte 255) into buf. */
const char* zipc_codata_read_error(const zeroipc_codata* cell, char buf[ZEROIPC_CODATA_ERROR_SIZE]);

/** A state word with its owner record: the pid and the tag (the key it was written for). */
typedef struct zipc_owner_word {
  zipc_mapping* mapping;
  uint64_t* word;
  uint64_t* pid;
  uint32_t* tag;
} zipc_owner_word;

/** The table spec of a Future's or Lazy's cell (§7.4, one layout for both): `kind`, and `type_name`
 *  ("Future", "Lazy") for messages. */
zipc_struct_spec zipc_codata_spec(uint16_t kind, const char* type_name, uint32_t element_size, uint8_t dtype);
/** A Future's or Lazy's cell (§7.4) in `mapping`: its `state` with the owner record next to it. */
zipc_owner_word zipc_codata_owner_word(zipc_mapping* mapping, zeroipc_codata* cell);
/** The same `state` as a word to sleep on, with the cell's `sleepers`. */
zipc_wait_word zipc_codata_wait_word(zeroipc_codata* cell);

/** Records this process's pid for the claim that made the word == `claim`: (O1) then (O2). */
void zipc_owner_record(zipc_owner_word o, uint64_t claim);
/** The pid recorded for the claim that made the word `w`; 0 if not known or the word moved on. */
pid_t zipc_owner_pid(zipc_owner_word o, uint64_t w);
/** 1 (and its pid in *who) when the owner named by `w` is dead and the word still is `w` (key 0: dead). */
int zipc_owner_dead(zipc_owner_word o, uint64_t w, pid_t* who);

/** "process 1234", or "a process (pid not recorded)" for 0 (detail::process_text). */
const char* zipc_process_text(pid_t pid, char* buf, size_t buf_size);

#endif /* ZEROIPC_C_CODATA_WORD_H */
