/* array.c — Array (§7.1): kind 1, variant 0, layout version 1; the common
 * header, then capacity elements of element_size bytes, zero-filled by the
 * creator. No synchronisation: elements are plain memory. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct zeroipc_array {
  zipc_mapping* mapping; /* one reference: the segment stays mapped while the handle lives */
  uint8_t* data;
  uint64_t capacity;     /* from the checked copy of the header (§5) */
  uint32_t element_size;
};

static zipc_struct_spec array_spec(uint32_t element_size, uint8_t dtype) {
  zipc_struct_spec spec;
  memset(&spec, 0, sizeof spec);
  spec.kind = ZEROIPC_KIND_ARRAY;
  spec.variant = ZEROIPC_VARIANT_NONE;
  spec.layout_version = ZEROIPC_LAYOUT_VERSION;
  spec.element_size = element_size;
  spec.dtype = dtype;
  spec.total_size = zeroipc_array_total_size;
  spec.element_size_name = "element size";
  spec.type_name = "Array";
  return spec;
}

static int new_handle(zipc_mapping* m, const zipc_opened* opened, zeroipc_array** out) {
  zeroipc_array* a = malloc(sizeof *a);
  if (a == NULL) return zipc_fail(ZEROIPC_E_NO_MEMORY, "zeroipc: out of memory");
  zipc_mapping_ref(m);
  a->mapping = m;
  a->data = opened->base + ZEROIPC_ARRAY_ELEMENTS_OFFSET;
  a->capacity = opened->header.capacity;
  a->element_size = opened->header.element_size;
  *out = a;
  return ZEROIPC_OK;
}

int zeroipc_array_create(zeroipc_memory* mem, const char* name, uint64_t capacity, uint32_t element_size,
                         uint8_t dtype, zeroipc_array** out) {
  if (mem == NULL || out == NULL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_array_create: NULL argument");
  }
  zipc_mapping* m = zipc_memory_mapping(mem);
  const zipc_struct_spec spec = array_spec(element_size, dtype);
  zipc_opened opened;
  /* The creator's zero fill is the table's (§3.1 step 6 hands over a zeroed region). */
  const int status = zipc_structure_create(m, name, &spec, capacity, NULL, NULL, &opened);
  return status == ZEROIPC_OK ? new_handle(m, &opened, out) : status;
}

int zeroipc_array_open(zeroipc_memory* mem, const char* name, uint32_t element_size, uint8_t dtype,
                       zeroipc_array** out) {
  if (mem == NULL || out == NULL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_array_open: NULL argument");
  }
  zipc_mapping* m = zipc_memory_mapping(mem);
  const zipc_struct_spec spec = array_spec(element_size, dtype);
  zipc_opened opened;
  const int status = zipc_structure_open(m, name, &spec, &opened);
  return status == ZEROIPC_OK ? new_handle(m, &opened, out) : status;
}

void zeroipc_array_close(zeroipc_array* array) {
  if (array == NULL) return;
  zipc_mapping_unref(array->mapping);
  free(array);
}

void* zeroipc_array_data(const zeroipc_array* array) { return array->data; }
uint64_t zeroipc_array_capacity(const zeroipc_array* array) { return array->capacity; }
uint32_t zeroipc_array_element_size(const zeroipc_array* array) { return array->element_size; }
