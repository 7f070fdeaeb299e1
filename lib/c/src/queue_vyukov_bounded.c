/* queue_vyukov_bounded.c — Queue variant 1 (SPECIFICATION.md §7.2.1):
 * Dmitry Vyukov's bounded MPMC queue ("Bounded MPMC queue", 1024cores.net,
 * 2010), as variants/include/zeroipc/variants/vyukov_bounded.h.
 *
 * Each cell carries a sequence: == p free for the push at position p,
 * == p + 1 holds the element pushed at p; the pop at p stores p + R. For a
 * capacity c below R a push also reports full when its position is c or more
 * ahead of dequeue_pos, read through a copy in the handle (an earlier value
 * of dequeue_pos, so never above it) refreshed only when the copy says full.
 *
 * Memory-ordering pairs (the C++ numbering):
 *   (1) push's acquire load of cell.sequence pairs with (4) pop's release
 *       store that frees the cell: the push writes after the pop's read.
 *   (2) push's release store of sequence = pos + 1 pairs with (3) pop's
 *       acquire load: the pop reads the element the push wrote.
 *   The position CASes are relaxed (they only arbitrate who owns a cell), and
 *   so is (5), the load of dequeue_pos for a capacity below R: it only counts.
 *
 * A process killed between claiming a cell and publishing it wedges the
 * queue (see the C++ header): nothing here can repair that.
 */
#include <inttypes.h>
#include <string.h>

#include "internal.h"

static uint64_t total_size(uint64_t capacity, uint32_t element_size) {
  return zeroipc_vyukov_total_size(capacity, element_size);
}

/* The first position is 0: both positions 0 (the body is zeroed), and the cell of p in [0, R) holds p. */
static int init(uint8_t* base, uint64_t capacity, void* context) {
  const uint32_t element_size = *(const uint32_t*)context;
  uint8_t* body = base + ZEROIPC_BODY_OFFSET;
  const uint64_t cells = zeroipc_queue_ring_slots(capacity);
  for (uint64_t pos = 0; pos < cells; ++pos) {
    ((zeroipc_vyukov_cell*)(body + zeroipc_vyukov_cell_offset(capacity, element_size, pos)))->sequence = pos;
  }
  return ZEROIPC_OK;
}

static zeroipc_vyukov_body* body_of(const zeroipc_queue* q) { return (zeroipc_vyukov_body*)q->body; }

static void attach(zeroipc_queue* q) {
  q->slots = q->body + ZEROIPC_VYUKOV_CELLS_OFFSET;
  q->stride = zeroipc_vyukov_stride(q->element_size);
  q->v.vyukov.limit = q->capacity == q->mask + 1u ? 0 : (int64_t)q->capacity;
  q->v.vyukov.dequeue_seen = __atomic_load_n(&body_of(q)->dequeue_pos, __ATOMIC_RELAXED);
}

static uint8_t* cell_at(const zeroipc_queue* q, uint64_t pos) { return q->slots + (pos & q->mask) * q->stride; }

static uint64_t* sequence(uint8_t* cell) { return &((zeroipc_vyukov_cell*)cell)->sequence; }

/* Capacity below R only: whether the push at `pos` leaves at most c positions
 * claimed ahead of dequeue_pos. Signed: a `pos` that dequeue_pos has passed
 * is stale, and the CAS on enqueue_pos will say so. */
static int below_limit(zeroipc_queue* q, uint64_t pos) {
  const int64_t limit = q->v.vyukov.limit;
  if ((int64_t)(pos - __atomic_load_n(&q->v.vyukov.dequeue_seen, __ATOMIC_RELAXED)) < limit) return 1;
  const uint64_t head = __atomic_load_n(&body_of(q)->dequeue_pos, __ATOMIC_RELAXED); /* (5) */
  __atomic_store_n(&q->v.vyukov.dequeue_seen, head, __ATOMIC_RELAXED);
  return (int64_t)(pos - head) < limit;
}

/* A cell a lap ahead of `*pos` means another operation claimed *pos, so the
 * position has moved past it; if it has not, the segment is corrupt (a
 * retry would read the same cell forever). */
static int advanced(const zeroipc_queue* q, uint64_t* position, uint64_t* pos, const char* which) {
  const uint64_t now = __atomic_load_n(position, __ATOMIC_RELAXED);
  if ((int64_t)(now - *pos) <= 0) {
    return zipc_fail(ZEROIPC_E_CORRUPT,
                     "%s: vyukov_bounded: the cell of %s %" PRIu64 " is a lap ahead, but %s did not move past it",
                     q->where, which, *pos, which);
  }
  *pos = now;
  return ZEROIPC_OK;
}

static int push(zeroipc_queue* q, const void* element) {
  uint64_t* enqueue_pos = &body_of(q)->enqueue_pos;
  uint64_t pos = __atomic_load_n(enqueue_pos, __ATOMIC_RELAXED);
  for (;;) {
    uint8_t* cell = cell_at(q, pos);
    const uint64_t seq = __atomic_load_n(sequence(cell), __ATOMIC_ACQUIRE); /* (1) */
    const int64_t diff = (int64_t)(seq - pos);
    if (diff == 0) {
      if (q->v.vyukov.limit != 0 && !below_limit(q, pos)) return ZEROIPC_FULL; /* c from dequeue_pos */
      if (__atomic_compare_exchange_n(enqueue_pos, &pos, pos + 1u, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
        memcpy(cell + ZEROIPC_VYUKOV_CELL_ELEMENT_OFFSET, element, q->element_size);
        __atomic_store_n(sequence(cell), pos + 1u, __ATOMIC_RELEASE); /* (2) */
        return ZEROIPC_OK;
      }
    } else if (diff < 0) {
      return ZEROIPC_FULL; /* the cell still holds the element of the previous lap */
    } else {
      const int status = advanced(q, enqueue_pos, &pos, "enqueue_pos");
      if (status != ZEROIPC_OK) return status;
    }
  }
}

static int pop(zeroipc_queue* q, void* element) {
  uint64_t* dequeue_pos = &body_of(q)->dequeue_pos;
  uint64_t pos = __atomic_load_n(dequeue_pos, __ATOMIC_RELAXED);
  for (;;) {
    uint8_t* cell = cell_at(q, pos);
    const uint64_t seq = __atomic_load_n(sequence(cell), __ATOMIC_ACQUIRE); /* (3) */
    const int64_t diff = (int64_t)(seq - (pos + 1u));
    if (diff == 0) {
      if (__atomic_compare_exchange_n(dequeue_pos, &pos, pos + 1u, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
        memcpy(element, cell + ZEROIPC_VYUKOV_CELL_ELEMENT_OFFSET, q->element_size);
        __atomic_store_n(sequence(cell), pos + q->mask + 1u, __ATOMIC_RELEASE); /* (4) */
        return ZEROIPC_OK;
      }
    } else if (diff < 0) {
      return ZEROIPC_EMPTY; /* not yet published */
    } else {
      const int status = advanced(q, dequeue_pos, &pos, "dequeue_pos");
      if (status != ZEROIPC_OK) return status;
    }
  }
}

static uint64_t size_approx(const zeroipc_queue* q) {
  const uint64_t tail = __atomic_load_n(&body_of(q)->enqueue_pos, __ATOMIC_RELAXED);
  const uint64_t head = __atomic_load_n(&body_of(q)->dequeue_pos, __ATOMIC_RELAXED);
  return zipc_ring_fill(tail, head);
}

const zipc_queue_ops zipc_queue_vyukov_bounded = {
    ZEROIPC_VARIANT_QUEUE_VYUKOV_BOUNDED, total_size, init, attach, NULL, push, pop, size_approx,
};
