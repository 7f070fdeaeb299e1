/* queue.c — Queue (SPECIFICATION.md §7.2): the public zeroipc_queue_*
 * functions, as the C++ zeroipc::Queue (lib/include/zeroipc/queue.h).
 *
 * The common header's `variant` says which algorithm owns the body; each
 * variant the C implementation runs is one file with a zipc_queue_ops table:
 * queue_vyukov_bounded.c (§7.2.1), queue_spsc_ring.c (§7.2.4),
 * queue_locked_ring.c (§7.2.5). lcrq (§7.2.2) and scq (§7.2.3) are refused
 * with ZEROIPC_E_NOT_SUPPORTED. Creating writes the variant's initial state
 * with the first position 0 (the C++ QueueOptions::initial_position
 * default); opening reads the variant from the header and checks the rest
 * against it (§6).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SUPPORTED "vyukov_bounded, spsc_ring, locked_ring"

/* The table of `variant`, or NULL with the message set and *status =
 * ZEROIPC_E_NOT_SUPPORTED (lcrq, scq, lcrq_nodes, scq_indices) or `unknown` (a number §6.2 does not name). */
static const zipc_queue_ops* variant_ops(zipc_mapping* m, const char* name, uint32_t variant, int unknown,
                                         int* status) {
  char who[ZIPC_WHERE_SIZE];
  switch (variant) {
    case ZEROIPC_VARIANT_QUEUE_VYUKOV_BOUNDED:
      return &zipc_queue_vyukov_bounded;
    case ZEROIPC_VARIANT_QUEUE_SPSC_RING:
      return &zipc_queue_spsc_ring;
    case ZEROIPC_VARIANT_QUEUE_LOCKED_RING:
      return &zipc_queue_locked_ring;
    case ZEROIPC_VARIANT_QUEUE_LCRQ:
    case ZEROIPC_VARIANT_QUEUE_SCQ:
    case ZEROIPC_VARIANT_QUEUE_LCRQ_NODES:
    case ZEROIPC_VARIANT_QUEUE_SCQ_INDICES:
      *status = zipc_fail(ZEROIPC_E_NOT_SUPPORTED,
                          "%s: queue variant %s is not supported by the C implementation (supported: %s)",
                          zipc_who(m, name, who, sizeof who),
                          variant == ZEROIPC_VARIANT_QUEUE_LCRQ         ? "lcrq"
                          : variant == ZEROIPC_VARIANT_QUEUE_SCQ        ? "scq"
                          : variant == ZEROIPC_VARIANT_QUEUE_LCRQ_NODES ? "lcrq_nodes"
                                                                        : "scq_indices",
                          SUPPORTED);
      return NULL;
    default:
      *status = zipc_fail(unknown, "%s: unknown queue variant %u (supported: %s)", zipc_who(m, name, who, sizeof who),
                          (unsigned)variant, SUPPORTED);
      return NULL;
  }
}

static zipc_struct_spec queue_spec(const zipc_queue_ops* ops, uint32_t element_size, uint8_t dtype) {
  zipc_struct_spec spec;
  memset(&spec, 0, sizeof spec);
  spec.kind = ZEROIPC_KIND_QUEUE;
  spec.variant = ops->variant;
  spec.layout_version = ZEROIPC_LAYOUT_VERSION;
  spec.element_size = element_size;
  spec.dtype = dtype;
  spec.total_size = ops->total_size;
  spec.element_size_name = "element size";
  spec.type_name = "Queue";
  return spec;
}

/* The C++ Queue's check_capacity (an element size of 0 is left to
 * zipc_structure_create, which refuses it for every structure). */
static int check_capacity(zipc_mapping* m, const char* name, const zipc_queue_ops* ops, uint64_t capacity,
                          uint32_t element_size) {
  char where[ZIPC_WHERE_SIZE];
  if (element_size != 0 && ops->total_size(capacity, element_size) == 0) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "%s: capacity %llu is not allowed (expected from 1 to 2^40)",
                     zipc_where(m, name, ZEROIPC_KIND_QUEUE, ops->variant, where, sizeof where),
                     (unsigned long long)capacity);
  }
  return ZEROIPC_OK;
}

static int new_handle(zipc_mapping* m, const char* name, const zipc_queue_ops* ops, const zipc_opened* opened,
                      zeroipc_queue** out) {
  zeroipc_queue* q = calloc(1, sizeof *q);
  if (q == NULL) return zipc_fail(ZEROIPC_E_NO_MEMORY, "zeroipc: no memory for a queue handle");
  zipc_mapping_ref(m);
  q->ops = ops;
  q->m = m;
  q->body = opened->base + ZEROIPC_BODY_OFFSET;
  q->capacity = opened->header.capacity;
  q->element_size = opened->header.element_size;
  q->mask = zeroipc_queue_ring_slots(q->capacity) - 1u;
  snprintf(q->name, sizeof q->name, "%s", name);
  zipc_where(m, name, ZEROIPC_KIND_QUEUE, ops->variant, q->where, sizeof q->where);
  ops->attach(q);
  *out = q;
  return ZEROIPC_OK;
}

static int null_arguments(const char* function) {
  return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: %s: mem, name and out must not be NULL", function);
}

int zeroipc_queue_create(zeroipc_memory* mem, const char* name, zeroipc_queue_variant variant, uint64_t capacity,
                         uint32_t element_size, uint8_t dtype, zeroipc_queue** out) {
  if (mem == NULL || name == NULL || out == NULL) return null_arguments("zeroipc_queue_create");
  *out = NULL;
  zipc_mapping* m = zipc_memory_mapping(mem);
  int status = ZEROIPC_OK;
  const zipc_queue_ops* ops = variant_ops(m, name, (uint32_t)variant, ZEROIPC_E_INVALID_ARGUMENT, &status);
  if (ops == NULL) return status;
  status = check_capacity(m, name, ops, capacity, element_size);
  if (status != ZEROIPC_OK) return status;
  const zipc_struct_spec spec = queue_spec(ops, element_size, dtype);
  zipc_opened opened;
  status = zipc_structure_create(m, name, &spec, capacity, ops->init, &element_size, &opened);
  if (status != ZEROIPC_OK) return status;
  return new_handle(m, name, ops, &opened, out);
}

int zeroipc_queue_open(zeroipc_memory* mem, const char* name, uint32_t element_size, uint8_t dtype,
                       zeroipc_queue** out) {
  if (mem == NULL || name == NULL || out == NULL) return null_arguments("zeroipc_queue_open");
  *out = NULL;
  zipc_mapping* m = zipc_memory_mapping(mem);
  zeroipc_struct_header header;
  int status = zipc_structure_peek_kind(m, name, ZEROIPC_KIND_QUEUE, &header);
  if (status != ZEROIPC_OK) return status;
  /* Not a queue: any variant's spec makes the open below name the kind found. */
  const uint16_t variant = header.kind == ZEROIPC_KIND_QUEUE ? header.variant : ZEROIPC_VARIANT_QUEUE_LOCKED_RING;
  const zipc_queue_ops* ops = variant_ops(m, name, variant, ZEROIPC_E_NOT_SUPPORTED, &status);
  if (ops == NULL) return status;
  const zipc_struct_spec spec = queue_spec(ops, element_size, dtype);
  zipc_opened opened;
  status = zipc_structure_open(m, name, &spec, &opened);
  if (status != ZEROIPC_OK) return status;
  return new_handle(m, name, ops, &opened, out);
}

void zeroipc_queue_close(zeroipc_queue* queue) {
  if (queue == NULL) return;
  if (queue->ops->detach != NULL) queue->ops->detach(queue);
  zipc_mapping_unref(queue->m);
  free(queue);
}

int zeroipc_queue_push(zeroipc_queue* queue, const void* element) {
  if (queue == NULL || element == NULL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_queue_push: queue and element must not be NULL");
  }
  return queue->ops->push(queue, element);
}

int zeroipc_queue_pop(zeroipc_queue* queue, void* element) {
  if (queue == NULL || element == NULL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_queue_pop: queue and element must not be NULL");
  }
  return queue->ops->pop(queue, element);
}

uint64_t zeroipc_queue_capacity(const zeroipc_queue* queue) { return queue->capacity; }

zeroipc_queue_variant zeroipc_queue_variant_of(const zeroipc_queue* queue) {
  return (zeroipc_queue_variant)queue->ops->variant;
}

uint64_t zeroipc_queue_size_approx(const zeroipc_queue* queue) { return queue->ops->size_approx(queue); }
