/* zeroipc/layout/array.h — Array (SPECIFICATION.md §7.1): kind 1, variant 0,
 * layout version 1.
 *
 *  offset 0                 64                                      64 + capacity*element_size
 *  +------------------------+----------------------------------------+
 *  | common header (§6)     | element[0] element[1] ... element[n-1] |
 *  +------------------------+----------------------------------------+
 *
 * The common header's bytes 32-63 are zero. Elements are plain memory, no
 * synchronisation; the creator zero-fills them. Element types are limited
 * to alignment <= 64.
 */
#ifndef ZEROIPC_LAYOUT_ARRAY_H
#define ZEROIPC_LAYOUT_ARRAY_H

#include "zeroipc/layout/common.h"
#include "zeroipc/layout/structure.h"

#ifdef __cplusplus
extern "C" {
#endif

/** §7.1: an Array has no fields besides the common header. */
typedef zeroipc_struct_header zeroipc_array_header;

/** §7.1: element i is at 64 + i * element_size. */
#define ZEROIPC_ARRAY_ELEMENTS_OFFSET 64u

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_array_header) == ZEROIPC_ARRAY_ELEMENTS_OFFSET,
                      "spec 7.1: the elements follow the 64-byte common header");

/** §7.1: offset of element i, from the start of the structure. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_array_element_offset(uint64_t i, uint32_t element_size) {
  return ZEROIPC_ARRAY_ELEMENTS_OFFSET + i * element_size;
}

/** §7.1: total_size = 64 + capacity * element_size (checked for overflow);
 *  0 when capacity or element_size is 0, or on overflow. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_array_total_size(uint64_t capacity, uint32_t element_size) {
  if (capacity == 0u || element_size == 0u) return 0u;
  return zeroipc_mul_add_or_zero(capacity, element_size, ZEROIPC_ARRAY_ELEMENTS_OFFSET);
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ZEROIPC_LAYOUT_ARRAY_H */
