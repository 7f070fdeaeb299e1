/* zeroipc/layout/structure.h — the common structure header (SPECIFICATION.md
 * §6), the kind, variant and dtype codes (§6.1-§6.3), and the role word
 * that spsc_ring (§7.2.4) and gated_ring (§7.10.1) share.
 *
 * Every structure starts at a multiple of 64 with this 64-byte header; its
 * body (the kind's layout, §7) starts at offset 64 of the structure.
 * Plain data: see common.h for how atomic fields are accessed.
 */
#ifndef ZEROIPC_LAYOUT_STRUCTURE_H
#define ZEROIPC_LAYOUT_STRUCTURE_H

#include "zeroipc/layout/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** §6 magic: the bytes 'Z' 'I' 'P' 'S' (compare 4 bytes, no NUL). */
#define ZEROIPC_STRUCT_MAGIC "ZIPS"
/** §6 layout_version: 1 for every kind in format version 1. */
#define ZEROIPC_LAYOUT_VERSION 1u
/** §6: offset of a structure's body (the end of the common header). */
#define ZEROIPC_BODY_OFFSET 64u
/** §6: offset and size of the kind-specific bytes of the common header. */
#define ZEROIPC_KIND_SPECIFIC_OFFSET 32u
#define ZEROIPC_KIND_SPECIFIC_SIZE 32u

/* §6.1 kinds (the u16 `kind`) */
#define ZEROIPC_KIND_ARRAY 1u
#define ZEROIPC_KIND_QUEUE 2u
#define ZEROIPC_KIND_STACK 3u
#define ZEROIPC_KIND_MAP 4u
#define ZEROIPC_KIND_SET 5u
#define ZEROIPC_KIND_POOL 6u
#define ZEROIPC_KIND_RING 7u
#define ZEROIPC_KIND_FUTURE 8u
#define ZEROIPC_KIND_LAZY 9u
#define ZEROIPC_KIND_STREAM 10u
#define ZEROIPC_KIND_CHANNEL 11u

/* §6.2 variants (the u16 `variant`; its meaning depends on the kind) */
#define ZEROIPC_VARIANT_NONE 0u /* any kind with a single layout */
#define ZEROIPC_VARIANT_QUEUE_VYUKOV_BOUNDED 1u
#define ZEROIPC_VARIANT_QUEUE_LCRQ 2u
#define ZEROIPC_VARIANT_QUEUE_SCQ 3u
#define ZEROIPC_VARIANT_QUEUE_SPSC_RING 4u
#define ZEROIPC_VARIANT_QUEUE_LOCKED_RING 5u
#define ZEROIPC_VARIANT_QUEUE_LCRQ_NODES 6u
#define ZEROIPC_VARIANT_QUEUE_SCQ_INDICES 7u
#define ZEROIPC_VARIANT_STACK_TREIBER_TAGGED 1u
#define ZEROIPC_VARIANT_STACK_ELIMINATION_BACKOFF 2u
#define ZEROIPC_VARIANT_MAP_LOCKED_PROBE 1u /* map and set */
#define ZEROIPC_VARIANT_POOL_LOCKED_FREE_LIST 1u
#define ZEROIPC_VARIANT_RING_GATED_RING 1u

/* §6.3 dtype codes (the u8 `dtype`) */
#define ZEROIPC_DTYPE_OPAQUE 0u /* element_size bytes */
#define ZEROIPC_DTYPE_I8 1u
#define ZEROIPC_DTYPE_U8 2u
#define ZEROIPC_DTYPE_I16 3u
#define ZEROIPC_DTYPE_U16 4u
#define ZEROIPC_DTYPE_I32 5u
#define ZEROIPC_DTYPE_U32 6u
#define ZEROIPC_DTYPE_I64 7u
#define ZEROIPC_DTYPE_U64 8u
#define ZEROIPC_DTYPE_F32 9u  /* IEEE 754 binary32 */
#define ZEROIPC_DTYPE_F64 10u /* IEEE 754 binary64 */
#define ZEROIPC_DTYPE_BOOL 11u /* 1 byte, 0 or 1 */

/** §6: the common structure header, 64 bytes, at the structure's offset.
 *  Written once by the creator before the table entry becomes READY. */
typedef struct zeroipc_struct_header {
  char magic[4];              /* 0: 'Z' 'I' 'P' 'S' */
  uint16_t kind;              /* 4: ZEROIPC_KIND_* */
  uint16_t variant;           /* 6: ZEROIPC_VARIANT_*; 0 for kinds without variants */
  uint32_t element_size;      /* 8: bytes per element, >= 1 */
  uint16_t layout_version;    /* 12: ZEROIPC_LAYOUT_VERSION */
  uint8_t dtype;              /* 14: ZEROIPC_DTYPE_*; 0 = opaque */
  uint8_t reserved0;          /* 15: zero */
  uint64_t capacity;          /* 16: number of elements */
  uint64_t total_size;        /* 24: bytes of the structure, header included */
  uint8_t kind_specific[32];  /* 32: defined by the kind (§7); zero when unused.
                                 Overlays: zeroipc_stream_config (stream.h),
                                 zeroipc_channel_config (channel.h),
                                 zeroipc_keyed_config (map.h) */
} zeroipc_struct_header;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_struct_header) == ZEROIPC_STRUCT_HEADER_SIZE,
                      "spec 6: the common structure header is 64 bytes");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_struct_header, magic) == 0, "spec 6");
ZEROIPC_LAYOUT_ASSERT(ZEROIPC_MEMBER_SIZE(zeroipc_struct_header, magic) == 4, "spec 6");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_struct_header, kind) == 4, "spec 6");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_struct_header, variant) == 6, "spec 6");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_struct_header, element_size) == 8, "spec 6");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_struct_header, layout_version) == 12, "spec 6");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_struct_header, dtype) == 14, "spec 6");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_struct_header, reserved0) == 15, "spec 6");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_struct_header, capacity) == 16, "spec 6");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_struct_header, total_size) == 24, "spec 6");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_struct_header, kind_specific) == ZEROIPC_KIND_SPECIFIC_OFFSET, "spec 6");
ZEROIPC_LAYOUT_ASSERT(ZEROIPC_MEMBER_SIZE(zeroipc_struct_header, kind_specific) == ZEROIPC_KIND_SPECIFIC_SIZE,
                      "spec 6");

/** §7.2.4 (spsc_ring's producer and consumer roles) and §7.10.1 (gated_ring's
 *  writer role): a role one process at a time holds, 16 bytes. Claimed with
 *  CAS 0 -> key, or dead_key -> key when its holder is dead (§4.1). */
typedef struct zeroipc_role {
  uint32_t key;         /* 0 atomic: the holder's owner key (§4.1); 0 = none */
  uint32_t pid;         /* 4: the holder's pid, for messages */
  uint8_t reserved[8];  /* 8: u64 reserved, zero */
} zeroipc_role;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_role) == 16, "spec 7.2.4, 7.10.1: a role is 16 bytes");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_role, key) == 0, "spec 7.2.4");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_role, pid) == 4, "spec 7.2.4");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_role, reserved) == 8, "spec 7.2.4");

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ZEROIPC_LAYOUT_STRUCTURE_H */
