/* queue_locked_ring.c — Queue variant 5 (SPECIFICATION.md §7.2.5): a
 * bounded ring under one owner lock (§3.2), the blocking baseline, as
 * variants/include/zeroipc/variants/locked_ring.h.
 *
 * head and tail change only under the lock; empty when head == tail, full
 * when tail - head == capacity. A live holder is waited for however long it
 * takes; a dead one's lock is taken over (owner_lock.c), and since the holder
 * moves head or tail with one store after copying the element, whatever it
 * left is a whole operation or none: nothing to repair.
 *
 * Memory ordering: the owner lock's (L1) acquire CAS and (L2) release
 * exchange (owner_lock.c) order everything; head and tail are atomic only so
 * that size_approx can read them without the lock.
 */
#include <inttypes.h>
#include <string.h>

#include "internal.h"

static uint64_t total_size(uint64_t capacity, uint32_t element_size) {
  return zeroipc_locked_ring_total_size(capacity, element_size);
}

static zeroipc_locked_ring_body* body_of(const zeroipc_queue* q) { return (zeroipc_locked_ring_body*)q->body; }

static void attach(zeroipc_queue* q) {
  q->slots = q->body + ZEROIPC_LOCKED_RING_SLOTS_OFFSET;
  q->stride = q->element_size;
}

/* Waits for the lock without a deadline (patience < 0), taking it over from a dead holder. */
static int lock(const zeroipc_queue* q) {
  zeroipc_locked_ring_body* b = body_of(q);
  int took_over = 0;
  return zipc_owner_lock(q->m, &b->lock, &b->holder_pid, q->where, -1, &took_over);
}

static void unlock(const zeroipc_queue* q) {
  zeroipc_locked_ring_body* b = body_of(q);
  zipc_owner_unlock(&b->lock, &b->holder_pid);
}

/* Elements between head and tail, read under the lock; *fill. More than the
 * capacity (or head past tail) is no state a holder ever leaves. */
static int checked_fill(const zeroipc_queue* q, uint64_t head, uint64_t tail, uint64_t* fill) {
  if (tail - head > q->capacity) {
    return zipc_fail(ZEROIPC_E_CORRUPT,
                     "%s: locked_ring head %" PRIu64 " and tail %" PRIu64 " are not 0..%" PRIu64 " apart", q->where,
                     head, tail, q->capacity);
  }
  *fill = tail - head;
  return ZEROIPC_OK;
}

static int push_locked(const zeroipc_queue* q, const void* element) {
  zeroipc_locked_ring_body* b = body_of(q);
  const uint64_t t = __atomic_load_n(&b->tail, __ATOMIC_RELAXED);
  uint64_t fill = 0;
  const int status = checked_fill(q, __atomic_load_n(&b->head, __ATOMIC_RELAXED), t, &fill);
  if (status != ZEROIPC_OK) return status;
  if (fill == q->capacity) return ZEROIPC_FULL;
  memcpy(q->slots + (t & q->mask) * q->stride, element, q->element_size);
  __atomic_store_n(&b->tail, t + 1u, __ATOMIC_RELAXED);
  return ZEROIPC_OK;
}

static int pop_locked(const zeroipc_queue* q, void* element) {
  zeroipc_locked_ring_body* b = body_of(q);
  const uint64_t h = __atomic_load_n(&b->head, __ATOMIC_RELAXED);
  uint64_t fill = 0;
  const int status = checked_fill(q, h, __atomic_load_n(&b->tail, __ATOMIC_RELAXED), &fill);
  if (status != ZEROIPC_OK) return status;
  if (fill == 0) return ZEROIPC_EMPTY;
  memcpy(element, q->slots + (h & q->mask) * q->stride, q->element_size);
  __atomic_store_n(&b->head, h + 1u, __ATOMIC_RELAXED);
  return ZEROIPC_OK;
}

static int push(zeroipc_queue* q, const void* element) {
  int status = lock(q);
  if (status != ZEROIPC_OK) return status;
  status = push_locked(q, element);
  unlock(q);
  return status;
}

static int pop(zeroipc_queue* q, void* element) {
  int status = lock(q);
  if (status != ZEROIPC_OK) return status;
  status = pop_locked(q, element);
  unlock(q);
  return status;
}

static uint64_t size_approx(const zeroipc_queue* q) {
  const uint64_t tail = __atomic_load_n(&body_of(q)->tail, __ATOMIC_RELAXED);
  const uint64_t head = __atomic_load_n(&body_of(q)->head, __ATOMIC_RELAXED);
  return zipc_ring_fill(tail, head);
}

/* No init: the zeroed body is the initial state (first position 0: head = tail = 0, lock free). */
const zipc_queue_ops zipc_queue_locked_ring = {
    ZEROIPC_VARIANT_QUEUE_LOCKED_RING, total_size, NULL, attach, NULL, push, pop, size_approx,
};
