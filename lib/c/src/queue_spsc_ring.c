/* queue_spsc_ring.c — Queue variant 4 (SPECIFICATION.md §7.2.4): the
 * single-producer / single-consumer ring (Lamport 1983) with cached remote
 * indices (FastForward, Giacomoni et al. PPoPP 2008; rigtorp's SPSCQueue),
 * as variants/include/zeroipc/variants/spsc_ring.h.
 *
 * Roles: one producer process and one consumer process, claimed in the
 * segment on a handle's first push (pop) with CAS 0 -> key, or dead_key ->
 * key when the holder is dead (§4.1); a second live process is refused with
 * ZEROIPC_E_ROLE_TAKEN. A role belongs to the process: the handles of this
 * process that use it are counted, and the last one closed releases it. A
 * handle inherited across fork() holds the parent's key, and its first push
 * (pop) in the child claims the role anew (variants/detail/role.h,
 * lib/include/zeroipc/detail/process_roles.h).
 *
 * Each side keeps a copy of the other side's index and reads the shared one
 * only when the copy says full (empty); an out-of-range copy means "reload".
 *
 * Memory-ordering pairs (the C++ numbering):
 *   (1) the producer's release store of tail after writing the slot pairs
 *       with (2) the consumer's acquire load of tail before reading it.
 *   (3) the consumer's release store of head after reading the slot pairs
 *       with (4) the producer's acquire load of head before overwriting it.
 *   A role is claimed with an acq_rel CAS and released with a release CAS.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ------------------------------------------------------------------ the handles of this process per role */

typedef struct role_users {
  struct role_users* next;
  char segment[256];
  char name[32];
  int producer;
  uint32_t key;
  int count;
} role_users;

static pthread_mutex_t role_users_lock = PTHREAD_MUTEX_INITIALIZER;
static role_users* role_users_list;

static role_users** find_users(const zeroipc_queue* q, int producer, uint32_t key) {
  role_users** link = &role_users_list;
  for (; *link != NULL; link = &(*link)->next) {
    const role_users* u = *link;
    if (u->producer == producer && u->key == key && strcmp(u->name, q->name) == 0 &&
        strcmp(u->segment, q->m->name) == 0) {
      break;
    }
  }
  return link;
}

/* One more handle of this process uses the role; 0 when there is no memory to count it. */
static int count_user(const zeroipc_queue* q, int producer, uint32_t key) {
  pthread_mutex_lock(&role_users_lock);
  role_users** link = find_users(q, producer, key);
  if (*link == NULL) {
    role_users* u = calloc(1, sizeof *u);
    if (u == NULL) {
      pthread_mutex_unlock(&role_users_lock);
      return 0;
    }
    snprintf(u->segment, sizeof u->segment, "%s", q->m->name);
    snprintf(u->name, sizeof u->name, "%s", q->name);
    u->producer = producer;
    u->key = key;
    *link = u;
  }
  ++(*link)->count;
  pthread_mutex_unlock(&role_users_lock);
  return 1;
}

/* One handle fewer; 1 when it was the last (release the role in the segment). */
static int uncount_user(const zeroipc_queue* q, int producer, uint32_t key) {
  int last = 0;
  pthread_mutex_lock(&role_users_lock);
  role_users** link = find_users(q, producer, key);
  role_users* u = *link;
  if (u != NULL && --u->count == 0) {
    *link = u->next;
    free(u);
    last = 1;
  }
  pthread_mutex_unlock(&role_users_lock);
  return last;
}

/* ------------------------------------------------------------------ roles in the segment */

static zeroipc_spsc_body* body_of(const zeroipc_queue* q) { return (zeroipc_spsc_body*)q->body; }

static zeroipc_role* role_of(const zeroipc_queue* q, int producer) {
  return producer ? &body_of(q)->producer : &body_of(q)->consumer;
}

/* CAS 0 -> me, or dead -> me: 1 when this process holds the role, else 0
 * with the live holder's recorded pid in *holder. */
static int take_role(zipc_mapping* m, zeroipc_role* role, uint32_t me, uint32_t* holder) {
  for (;;) {
    uint32_t seen = __atomic_load_n(&role->key, __ATOMIC_ACQUIRE);
    if (seen == me) return 1;
    if (seen != 0 && zipc_key_alive(m, seen)) {
      *holder = __atomic_load_n(&role->pid, __ATOMIC_RELAXED);
      return 0;
    }
    if (__atomic_compare_exchange_n(&role->key, &seen, me, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
      __atomic_store_n(&role->pid, (uint32_t)zipc_self_pid(), __ATOMIC_RELAXED);
      return 1;
    }
  }
}

static void give_back_role(zeroipc_role* role, uint32_t me) {
  if (__atomic_load_n(&role->key, __ATOMIC_RELAXED) == me) {
    __atomic_store_n(&role->pid, 0, __ATOMIC_RELAXED);
    __atomic_compare_exchange_n(&role->key, &me, 0, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
  }
}

static int claim(zeroipc_queue* q, int producer) {
  const char* what = producer ? "producer" : "consumer";
  const uint32_t me = zipc_self_key(q->m);
  uint32_t holder = 0;
  if (!take_role(q->m, role_of(q, producer), me, &holder)) {
    char process[48];
    if ((int32_t)holder > 0) {
      snprintf(process, sizeof process, "process %" PRIu32, holder);
    } else {
      snprintf(process, sizeof process, "a process (pid not recorded)");
    }
    return zipc_fail(ZEROIPC_E_ROLE_TAKEN, "%s: the %s role is held by live %s; a spsc_ring allows one %s",
                     q->where, what, process, what);
  }
  if (!count_user(q, producer, me)) {
    /* No other handle of this process counted the role: nobody here uses it. */
    give_back_role(role_of(q, producer), me);
    return zipc_fail(ZEROIPC_E_NO_MEMORY, "%s: no memory to record the %s role", q->where, what);
  }
  *(producer ? &q->v.spsc.producer_key : &q->v.spsc.consumer_key) = me;
  return ZEROIPC_OK;
}

static void release(zeroipc_queue* q, int producer, uint32_t key) {
  if (key != zipc_self_key(q->m)) return; /* inherited across fork(): the parent's claim */
  if (uncount_user(q, producer, key)) give_back_role(role_of(q, producer), key);
}

/* ------------------------------------------------------------------ the variant */

static uint64_t total_size(uint64_t capacity, uint32_t element_size) {
  return zeroipc_spsc_total_size(capacity, element_size);
}

static void attach(zeroipc_queue* q) {
  q->slots = q->body + ZEROIPC_SPSC_SLOTS_OFFSET;
  q->stride = q->element_size;
  q->v.spsc.cached_head = __atomic_load_n(&body_of(q)->head, __ATOMIC_ACQUIRE); /* (4) */
  q->v.spsc.cached_tail = __atomic_load_n(&body_of(q)->tail, __ATOMIC_ACQUIRE); /* (2) */
}

static void detach(zeroipc_queue* q) {
  if (q->v.spsc.producer_key != 0) release(q, 1, q->v.spsc.producer_key);
  if (q->v.spsc.consumer_key != 0) release(q, 0, q->v.spsc.consumer_key);
}

/* head and tail read fresh from the segment are more than a ring apart (or
 * head passed tail): no producer and consumer could have done that. */
static int corrupt(const zeroipc_queue* q, uint64_t head, uint64_t tail) {
  return zipc_fail(ZEROIPC_E_CORRUPT, "%s: spsc_ring head %" PRIu64 " and tail %" PRIu64 " are not 0..%" PRIu64 " apart",
                   q->where, head, tail, q->capacity);
}

static int push(zeroipc_queue* q, const void* element) {
  if (q->v.spsc.producer_key != zipc_self_key(q->m)) {
    const int status = claim(q, 1);
    if (status != ZEROIPC_OK) return status;
  }
  zeroipc_spsc_body* b = body_of(q);
  const uint64_t t = __atomic_load_n(&b->tail, __ATOMIC_RELAXED); /* only we write it */
  /* `>=`, not `==`: a copy older than another handle's use of the role only looks fuller. */
  if (t - q->v.spsc.cached_head >= q->capacity) {
    q->v.spsc.cached_head = __atomic_load_n(&b->head, __ATOMIC_ACQUIRE); /* (4) */
    if (t - q->v.spsc.cached_head >= q->capacity) {
      if (t - q->v.spsc.cached_head > q->capacity) return corrupt(q, q->v.spsc.cached_head, t);
      return ZEROIPC_FULL;
    }
  }
  memcpy(q->slots + (t & q->mask) * q->stride, element, q->element_size);
  __atomic_store_n(&b->tail, t + 1u, __ATOMIC_RELEASE); /* (1) */
  return ZEROIPC_OK;
}

static int pop(zeroipc_queue* q, void* element) {
  if (q->v.spsc.consumer_key != zipc_self_key(q->m)) {
    const int status = claim(q, 0);
    if (status != ZEROIPC_OK) return status;
  }
  zeroipc_spsc_body* b = body_of(q);
  const uint64_t h = __atomic_load_n(&b->head, __ATOMIC_RELAXED); /* only we write it */
  /* Signed: a copy of tail that another handle of the role moved head past is stale, not "available". */
  if ((int64_t)(q->v.spsc.cached_tail - h) <= 0) {
    q->v.spsc.cached_tail = __atomic_load_n(&b->tail, __ATOMIC_ACQUIRE); /* (2) */
    if ((int64_t)(q->v.spsc.cached_tail - h) <= 0) return ZEROIPC_EMPTY;
    if (q->v.spsc.cached_tail - h > q->capacity) return corrupt(q, h, q->v.spsc.cached_tail);
  }
  memcpy(element, q->slots + (h & q->mask) * q->stride, q->element_size);
  __atomic_store_n(&b->head, h + 1u, __ATOMIC_RELEASE); /* (3) */
  return ZEROIPC_OK;
}

static uint64_t size_approx(const zeroipc_queue* q) {
  const uint64_t tail = __atomic_load_n(&body_of(q)->tail, __ATOMIC_RELAXED);
  const uint64_t head = __atomic_load_n(&body_of(q)->head, __ATOMIC_RELAXED);
  return zipc_ring_fill(tail, head);
}

/* No init: the zeroed body is the initial state (first position 0: head = tail = 0, roles free). */
const zipc_queue_ops zipc_queue_spsc_ring = {
    ZEROIPC_VARIANT_QUEUE_SPSC_RING, total_size, NULL, attach, detach, push, pop, size_approx,
};
