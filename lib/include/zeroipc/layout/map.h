/* zeroipc/layout/map.h — Map (kind 4) and Set (kind 5), layout version 1
 * (SPECIFICATION.md §7.8), variant 1 locked_probe (§7.8.1).
 *
 * Common header: capacity = keys it can hold (>= 1, <= 3 * 2^30); map:
 * element_size = value size; set: element_size = key size (no values, value
 * size 0); kind-specific bytes 32-35 = key_size (zeroipc_keyed_config).
 *
 * locked_probe body (offsets from the body, offset 64 of the structure):
 *   0     zeroipc_probe_control (128 bytes): lock, active, holder_pid, counters
 *   128   the journalled old value, value_size bytes
 *   J     table A: S slots of `stride` bytes       J = 128 + round64(value_size)
 *   J + S * stride   table B
 * with S = bit_ceil(capacity + floor((capacity + 2) / 3)),
 * stride = 8 + round8(key_size) + round8(value_size),
 * body_size = J + 2 * S * stride.
 * Slot: +0 u32 state (atomic, relaxed), +4 u32 h >> 32, +8 the key,
 * +8 + round8(key_size) the value.
 * The words at 4 and 64..112 and every slot state are accessed atomically
 * (relaxed); everything else only under the lock.
 */
#ifndef ZEROIPC_LAYOUT_MAP_H
#define ZEROIPC_LAYOUT_MAP_H

#include "zeroipc/layout/common.h"
#include "zeroipc/layout/structure.h"

#ifdef __cplusplus
extern "C" {
#endif

/** §7.8.1: capacity <= 3 * 2^30. */
#define ZEROIPC_PROBE_MAX_CAPACITY (UINT64_C(3) << 30)
#define ZEROIPC_PROBE_JOURNAL_OFFSET 128u
#define ZEROIPC_PROBE_SLOT_KEY_OFFSET 8u
/** §7.8.1 slot `state`. */
#define ZEROIPC_PROBE_SLOT_EMPTY 0u
#define ZEROIPC_PROBE_SLOT_FULL 1u
#define ZEROIPC_PROBE_SLOT_TOMBSTONE 2u
/** §7.8.1 `active`. */
#define ZEROIPC_PROBE_TABLE_A 0u
#define ZEROIPC_PROBE_TABLE_B 1u

/** §7.8: the common header's kind-specific bytes 32-63 for Map and Set (an
 *  overlay of zeroipc_struct_header.kind_specific; offsets here are from byte 32). */
typedef struct zeroipc_keyed_config {
  uint32_t key_size;    /* 32: >= 1, checked on open */
  uint8_t reserved[28]; /* 36: zero */
} zeroipc_keyed_config;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_keyed_config) == ZEROIPC_KIND_SPECIFIC_SIZE,
                      "spec 7.8: the config fills the 32 kind-specific bytes");
ZEROIPC_LAYOUT_ASSERT(ZEROIPC_KIND_SPECIFIC_OFFSET + offsetof(zeroipc_keyed_config, key_size) == 32, "spec 7.8");
ZEROIPC_LAYOUT_ASSERT(ZEROIPC_KIND_SPECIFIC_OFFSET + offsetof(zeroipc_keyed_config, reserved) == 36, "spec 7.8");

/** §7.8.1: the control part of the body, 128 bytes; the journal value follows. */
typedef struct zeroipc_probe_control {
  uint32_t lock;         /* 0 atomic: owner lock (§3.2) */
  uint32_t active;       /* 4 atomic: the live table, 0 = A, 1 = B; anything else is corrupt */
  uint64_t holder_pid;   /* 8 atomic: as lock_holder_pid in §2 */
  uint8_t reserved0[48]; /* 16 */
  uint64_t count;        /* 64 atomic: keys present */
  uint64_t tombstones;   /* 72 atomic: tombstone slots in the live table */
  uint64_t journal;      /* 80 atomic: 0, or 1 + the slot whose value is being replaced */
  uint64_t inserted;     /* 88 atomic: keys inserted, in all (for tools) */
  uint64_t erased;       /* 96 atomic: keys erased, in all */
  uint64_t assigned;     /* 104 atomic: values replaced, in all */
  uint64_t rebuilds;     /* 112 atomic: rebuilds, in all */
  uint8_t reserved1[8];  /* 120 */
} zeroipc_probe_control;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_probe_control) == ZEROIPC_PROBE_JOURNAL_OFFSET, "spec 7.8.1: the journal value at 128");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_probe_control, lock) == 0, "spec 7.8.1");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_probe_control, active) == 4, "spec 7.8.1");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_probe_control, holder_pid) == 8, "spec 7.8.1");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_probe_control, reserved0) == 16, "spec 7.8.1");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_probe_control, count) == 64, "spec 7.8.1");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_probe_control, tombstones) == 72, "spec 7.8.1");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_probe_control, journal) == 80, "spec 7.8.1");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_probe_control, inserted) == 88, "spec 7.8.1");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_probe_control, erased) == 96, "spec 7.8.1");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_probe_control, assigned) == 104, "spec 7.8.1");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_probe_control, rebuilds) == 112, "spec 7.8.1");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_probe_control, reserved1) == 120, "spec 7.8.1");

/** §7.8.1: the header of a slot; the key follows at +8, the value at +8 + round8(key_size). */
typedef struct zeroipc_probe_slot {
  uint32_t state;     /* 0 atomic (relaxed): ZEROIPC_PROBE_SLOT_EMPTY / FULL / TOMBSTONE */
  uint32_t hash_high; /* 4: h >> 32 */
} zeroipc_probe_slot;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_probe_slot) == ZEROIPC_PROBE_SLOT_KEY_OFFSET, "spec 7.8.1: the key at +8");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_probe_slot, state) == 0, "spec 7.8.1 slot");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_probe_slot, hash_high) == 4, "spec 7.8.1 slot");

/** §7.8.1: S = bit_ceil(capacity + floor((capacity + 2) / 3)). */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_probe_table_size(uint64_t capacity) {
  return zeroipc_bit_ceil(capacity + (capacity + 2u) / 3u);
}
/** §7.8.1: stride = 8 + round8(key_size) + round8(value_size) (value_size 0 for a set). */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_probe_stride(uint32_t key_size, uint32_t value_size) {
  return ZEROIPC_PROBE_SLOT_KEY_OFFSET + zeroipc_align8(key_size) + zeroipc_align8(value_size);
}
/** §7.8.1: J = 128 + round64(value_size), where table A starts. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_probe_tables_offset(uint32_t value_size) {
  return ZEROIPC_PROBE_JOURNAL_OFFSET + zeroipc_align64(value_size);
}
/** §7.8.1: table t (0 = A, 1 = B) at J + t * S * stride. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_probe_table_offset(uint64_t capacity, uint32_t key_size, uint32_t value_size,
                                                  unsigned table) {
  return zeroipc_probe_tables_offset(value_size) +
         table * zeroipc_probe_table_size(capacity) * zeroipc_probe_stride(key_size, value_size);
}
/** §7.8.1: slot i of table t, from the body's start. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_probe_slot_offset(uint64_t capacity, uint32_t key_size, uint32_t value_size,
                                                 unsigned table, uint64_t i) {
  return zeroipc_probe_table_offset(capacity, key_size, value_size, table) +
         i * zeroipc_probe_stride(key_size, value_size);
}
/** §7.8.1: offset of the value within a slot, 8 + round8(key_size). */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_probe_slot_value_offset(uint32_t key_size) {
  return ZEROIPC_PROBE_SLOT_KEY_OFFSET + zeroipc_align8(key_size);
}
/** §7.8.1: body_size = J + 2 * S * stride; 0 when not allowed or too large. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_probe_body_size(uint64_t capacity, uint32_t key_size, uint32_t value_size) {
  if (capacity == 0u || capacity > ZEROIPC_PROBE_MAX_CAPACITY || key_size == 0u) return 0u;
  return zeroipc_mul_add_or_zero(2u * zeroipc_probe_table_size(capacity), zeroipc_probe_stride(key_size, value_size),
                                 zeroipc_probe_tables_offset(value_size));
}
/** §7.8: total_size = 64 + body_size (a set: value_size 0). */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_probe_total_size(uint64_t capacity, uint32_t key_size, uint32_t value_size) {
  return zeroipc_with_header(zeroipc_probe_body_size(capacity, key_size, value_size));
}

/** §7.8 hash: h = fmix64(fnv1a64(key bytes)), arithmetic modulo 2^64.
 *  Test vectors: the empty key -> 0xefd01f60ba992926; the 8 bytes of u64 1,
 *  little-endian -> 0x4a3a3a4ba6523826; "prices" (6 bytes) -> 0x391095f36b2a47b7. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_fmix64(uint64_t k) {
  k ^= k >> 33;
  k *= UINT64_C(0xff51afd7ed558ccd);
  k ^= k >> 33;
  k *= UINT64_C(0xc4ceb9fe1a85ec53);
  k ^= k >> 33;
  return k;
}
static inline uint64_t zeroipc_key_hash(const void* key, size_t size) {
#ifdef __cplusplus
  const unsigned char* bytes = static_cast<const unsigned char*>(key);
#else
  const unsigned char* bytes = key;
#endif
  uint64_t h = UINT64_C(0xcbf29ce484222325);
  size_t i;
  for (i = 0; i < size; ++i) {
    h ^= bytes[i];
    h *= UINT64_C(0x100000001b3);
  }
  return zeroipc_fmix64(h);
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ZEROIPC_LAYOUT_MAP_H */
