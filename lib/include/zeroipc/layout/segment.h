/* zeroipc/layout/segment.h — the segment (SPECIFICATION.md §1), its header
 * (§2), the name table (§3) and the attach slots (§4), as C99 structs.
 *
 *  0            128                      128+16*A    T=table_offset          D=data_offset      S
 *  +------------+------------------------+-----------+------------------------+------------------+
 *  | header     | attach slots (A x 16)  | (pad)     | name table (C x 64)    | heap: structures |
 *  +------------+------------------------+-----------+------------------------+------------------+
 *
 * Version 1 creators write A = 64, T = 1152 and D = align64(T + 64 * C);
 * readers take A, T, C and D from the header and check them (§5).
 * Plain data: atomic fields are accessed with __atomic builtins (C) or
 * std::atomic_ref (C++), never through an atomic type (see common.h).
 */
#ifndef ZEROIPC_LAYOUT_SEGMENT_H
#define ZEROIPC_LAYOUT_SEGMENT_H

#include "zeroipc/layout/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ §1, §2 constants */

/** §2 magic: the bytes 'Z' 'I' 'P' 'M' (compare 4 bytes, no NUL). */
#define ZEROIPC_SEGMENT_MAGIC "ZIPM"
#define ZEROIPC_FORMAT_VERSION 1u
#define ZEROIPC_SEGMENT_HEADER_SIZE 128u
/** §1: names of segments being built; such names are refused. */
#define ZEROIPC_TMP_SEGMENT_PREFIX "/.zeroipc-tmp-"
/** §1: "/" followed by 1 to 254 bytes, neither '/' nor NUL. */
#define ZEROIPC_MAX_SEGMENT_NAME_LENGTH 255u

/* ------------------------------------------------------------------ §2 segment header */

/** §2: the segment header, at offset 0, 128 bytes. Bytes 0-63 are written
 *  once by the creator; bytes 64-127 are the mutable, atomic bookkeeping. */
typedef struct zeroipc_segment_header {
  char magic[4];             /* 0: 'Z' 'I' 'P' 'M' */
  uint16_t format_version;   /* 4: 1 */
  uint16_t header_size;      /* 6: 128 */
  uint64_t segment_size;     /* 8: total bytes; equals the file size */
  uint64_t table_offset;     /* 16: T */
  uint32_t table_capacity;   /* 24: C, 1 <= C <= 65536 */
  uint32_t attach_capacity;  /* 28: A, 0 <= A <= 4096 */
  uint64_t data_offset;      /* 32: D, the first heap byte */
  uint64_t created_ns;       /* 40: CLOCK_REALTIME nanoseconds */
  uint32_t creator_pid;      /* 48 */
  uint8_t reserved0[12];     /* 52: zero */
  uint32_t table_lock;       /* 64 atomic: owner lock (§3.2), a futex word */
  uint32_t table_count;      /* 68 atomic: entries [0, table_count) used; <= C */
  uint64_t alloc_cursor;     /* 72 atomic: next free heap byte, multiple of 64 */
  uint64_t lock_holder_pid;  /* 80 atomic: for messages only (0 = free) */
  uint64_t table_generation; /* 88 atomic: += 1 when an entry becomes READY or is reclaimed */
  uint32_t attach_overflow;  /* 96 atomic: attaches not recorded (no free slot) */
  uint8_t reserved1[28];     /* 100: zero */
} zeroipc_segment_header;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_segment_header) == 128, "spec 2: the segment header is 128 bytes");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_segment_header, magic) == 0, "spec 2");
ZEROIPC_LAYOUT_ASSERT(ZEROIPC_MEMBER_SIZE(zeroipc_segment_header, magic) == 4, "spec 2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_segment_header, format_version) == 4, "spec 2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_segment_header, header_size) == 6, "spec 2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_segment_header, segment_size) == 8, "spec 2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_segment_header, table_offset) == 16, "spec 2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_segment_header, table_capacity) == 24, "spec 2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_segment_header, attach_capacity) == 28, "spec 2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_segment_header, data_offset) == 32, "spec 2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_segment_header, created_ns) == 40, "spec 2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_segment_header, creator_pid) == 48, "spec 2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_segment_header, reserved0) == 52, "spec 2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_segment_header, table_lock) == 64, "spec 2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_segment_header, table_count) == 68, "spec 2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_segment_header, alloc_cursor) == 72, "spec 2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_segment_header, lock_holder_pid) == 80, "spec 2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_segment_header, table_generation) == 88, "spec 2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_segment_header, attach_overflow) == 96, "spec 2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_segment_header, reserved1) == 100, "spec 2");

/* ------------------------------------------------------------------ §4 attach slots */

/** §4: attach slots start right after the header. */
#define ZEROIPC_ATTACH_OFFSET 128u
#define ZEROIPC_ATTACH_SLOT_SIZE 16u
/** §1: what version 1 creators write as A. */
#define ZEROIPC_DEFAULT_ATTACH_CAPACITY 64u
#define ZEROIPC_MAX_ATTACH_CAPACITY 4096u

/** §4: one attach slot, 16 bytes, at 128 + 16 * i. */
typedef struct zeroipc_attach_slot {
  uint64_t owner;      /* 0 atomic: pid | owner key << 32; 0 = free */
  uint64_t start_time; /* 8 atomic: field 22 of /proc/<pid>/stat; 0 = not yet written */
} zeroipc_attach_slot;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_attach_slot) == ZEROIPC_ATTACH_SLOT_SIZE, "spec 4: an attach slot is 16 bytes");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_attach_slot, owner) == 0, "spec 4");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_attach_slot, start_time) == 8, "spec 4");

/** §4: offset of attach slot i in the segment. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_attach_slot_offset(uint64_t i) {
  return ZEROIPC_ATTACH_OFFSET + i * ZEROIPC_ATTACH_SLOT_SIZE;
}
/** §4: the owner word pid | key << 32, and its halves. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_attach_owner(uint32_t pid, uint32_t key) {
  const uint64_t p = pid, k = key;
  return p | k << 32;
}
ZEROIPC_LAYOUT_FN uint32_t zeroipc_attach_pid(uint64_t owner) { return owner & UINT32_C(0xFFFFFFFF); }
ZEROIPC_LAYOUT_FN uint32_t zeroipc_attach_key(uint64_t owner) { return owner >> 32; }

/* ------------------------------------------------------------------ §3 name table */

#define ZEROIPC_TABLE_ENTRY_SIZE 64u
#define ZEROIPC_TABLE_NAME_SIZE 32u
/** §3: 1-31 bytes, each 0x20-0x7E, then NUL. */
#define ZEROIPC_MAX_STRUCTURE_NAME_LENGTH 31u
#define ZEROIPC_MIN_TABLE_CAPACITY 1u
#define ZEROIPC_MAX_TABLE_CAPACITY 65536u
/** §1: T for version 1 creators: 128 + 64 * 16. */
#define ZEROIPC_DEFAULT_TABLE_OFFSET 1152u

/** §3: an entry's state (atomic u32). */
#define ZEROIPC_ENTRY_FREE 0u
#define ZEROIPC_ENTRY_RESERVED 1u
#define ZEROIPC_ENTRY_READY 2u

/** §3: one name table entry, 64 bytes, at T + 64 * i. */
typedef struct zeroipc_table_entry {
  char name[32];        /* 0: 1-31 printable bytes, then NUL; the rest NUL */
  uint64_t offset;      /* 32: start of the structure (multiple of 64, >= D) */
  uint64_t size;        /* 40: bytes reserved for it (offset + size <= alloc_cursor) */
  uint32_t state;       /* 48 atomic: ZEROIPC_ENTRY_FREE / RESERVED / READY */
  uint32_t creator_pid; /* 52: for messages */
  uint32_t creator_key; /* 56 atomic: the creator's owner key (§4.1) */
  uint8_t reserved[4];  /* 60: zero */
} zeroipc_table_entry;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_table_entry) == ZEROIPC_TABLE_ENTRY_SIZE, "spec 3: an entry is 64 bytes");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_table_entry, name) == 0, "spec 3");
ZEROIPC_LAYOUT_ASSERT(ZEROIPC_MEMBER_SIZE(zeroipc_table_entry, name) == ZEROIPC_TABLE_NAME_SIZE, "spec 3");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_table_entry, offset) == 32, "spec 3");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_table_entry, size) == 40, "spec 3");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_table_entry, state) == 48, "spec 3");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_table_entry, creator_pid) == 52, "spec 3");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_table_entry, creator_key) == 56, "spec 3");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_table_entry, reserved) == 60, "spec 3");

ZEROIPC_LAYOUT_ASSERT(ZEROIPC_ATTACH_OFFSET + ZEROIPC_DEFAULT_ATTACH_CAPACITY * ZEROIPC_ATTACH_SLOT_SIZE ==
                          ZEROIPC_DEFAULT_TABLE_OFFSET,
                      "spec 1: T = 1152 for version 1 creators");

/** §3: offset of table entry i in a segment whose table is at T. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_table_entry_offset(uint64_t table_offset, uint64_t i) {
  return table_offset + i * ZEROIPC_TABLE_ENTRY_SIZE;
}
/** §1: D = align64(T + 64 * C), what version 1 creators write. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_segment_data_offset(uint64_t table_offset, uint32_t table_capacity) {
  const uint64_t c = table_capacity;
  return zeroipc_align64(table_offset + c * ZEROIPC_TABLE_ENTRY_SIZE);
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ZEROIPC_LAYOUT_SEGMENT_H */
