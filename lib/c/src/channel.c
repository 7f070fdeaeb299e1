/* channel.c — Channel (SPECIFICATION.md §7.6, kind 11): a bounded channel
 * between any number of sending and receiving processes, buffered
 * (capacity N >= 1: a FIFO ring) or rendezvous (capacity 0: one handoff
 * cell, a send completes when a receiver takes the value); closable. As the
 * C++ zeroipc/channel.h and zeroipc/detail/channel_core.h, whose messages
 * these are, word for word.
 *
 * Every change happens under the channel's owner lock (§3.2), in this order:
 *
 *   lock (C1) -> check -> copy the element -> bump the epoch (C3) -> commit (one store) -> unlock (C2) -> wake
 *
 * so a holder killed anywhere leaves a consistent channel; the process that
 * takes its lock over bumps both epochs (its wake never came). Receivers
 * sleep on data_epoch, senders on space_epoch (codata_word.h). A non-blocking
 * send or receive that finds nothing to do answers from lock-free reads
 * (§7.6 "Polling without the lock").
 *
 * Memory ordering (the numbering of channel.h):
 *   (C1) the acquire CAS that takes the owner lock pairs with (C2) the release
 *        exchange that frees it: cells, head, tail, handoff, closed and
 *        receivers_waiting change only under the lock.
 *   (C3) each epoch bump is a seq_cst fetch_add made under the lock before
 *        the commit store it announces: wait.h's (N1); the wake after the
 *        unlock is (N2), against the waiter's (W1)-(W3).
 *   (C4) the release store of `handoff` (offer posted, taken, withdrawn)
 *        pairs with (C5) the offering sender's acquire load, and with the
 *        owner check's (O3)-(O5) on handoff_tag (O2) and handoff_pid (O1).
 *   (C6) the release store of `closed` pairs with (C7) the acquire load of is_closed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codata_word.h"

/* How long a non-blocking rendezvous send that saw a receiver waiting lets it take the offer. */
#define HANDOFF_GRACE_NS INT64_C(100000000)
/* Extra time a timed operation gives a live lock holder beyond its own deadline. */
#define LOCK_SLACK_NS INT64_C(50000000)
/* Internal answer of a locked step: release the lock and wait on an epoch. */
#define MUST_WAIT 1000

static const char* const kClosedAlready = "cannot send: the channel is closed";
static const char* const kClosedWhileWaiting =
    "send interrupted: the channel was closed while this send waited for room (the value was not sent)";
static const char* const kClosedWhileOffered =
    "send interrupted: the channel was closed while this send waited for a receiver "
    "(the value was withdrawn, not received)";

struct zeroipc_channel {
  zipc_mapping* mapping;
  zeroipc_channel_layout* l;
  uint8_t* slots;
  uint32_t element_size;
  uint64_t capacity; /* N; 0 = rendezvous */
  uint64_t mask;     /* slots - 1, from the checked header */
  char where[ZIPC_WHERE_SIZE];
};

/* ------------------------------------------------------------------ words */

static zipc_wait_word data_word(const zeroipc_channel* c) {
  zipc_wait_word w;
  w.word = &c->l->data_epoch;
  w.sleepers = &c->l->data_sleepers;
  return w;
}

static zipc_wait_word space_word(const zeroipc_channel* c) {
  zipc_wait_word w;
  w.word = &c->l->space_epoch;
  w.sleepers = &c->l->space_sleepers;
  return w;
}

static zipc_owner_word handoff_word(const zeroipc_channel* c) {
  zipc_owner_word o;
  o.mapping = c->mapping;
  o.word = &c->l->handoff;
  o.pid = &c->l->handoff_pid;
  o.tag = &c->l->handoff_tag;
  return o;
}

static void bump(uint64_t* epoch) { __atomic_fetch_add(epoch, 1u, __ATOMIC_SEQ_CST); /* (C3) = (N1) */ }

static uint8_t* slot(const zeroipc_channel* c, uint64_t position) {
  return c->slots + (position & c->mask) * c->element_size; /* mask is our own copy: always in bounds */
}

static uint32_t receivers_waiting(const zeroipc_channel* c) {
  return __atomic_load_n(&c->l->receivers_waiting, __ATOMIC_RELAXED);
}

static int is_closed(const zeroipc_channel* c) {
  return __atomic_load_n(&c->l->closed, __ATOMIC_ACQUIRE) != 0; /* (C7) */
}

/* ------------------------------------------------------------------ the lock, with the wakes its holder owes */

typedef struct guard {
  zeroipc_channel* c;
  int held;
  int wake_data;
  int wake_space;
} guard;

static guard guard_of(zeroipc_channel* c) {
  guard g;
  g.c = c;
  g.held = g.wake_data = g.wake_space = 0;
  return g;
}

/* Takes the lock: ZEROIPC_OK, or ZEROIPC_E_TIMEOUT when a live holder kept it past deadline + 50 ms. */
static int guard_acquire(guard* g, int64_t deadline) {
  zeroipc_channel_layout* l = g->c->l;
  int64_t patience = -1;
  int took_over = 0;
  int status;
  if (deadline != ZIPC_FOREVER) {
    const int64_t left = deadline - zipc_now_ns();
    patience = (left > 0 ? left : 0) + LOCK_SLACK_NS;
  }
  status = zipc_owner_lock(g->c->mapping, &l->lock, &l->lock_pid, g->c->where, patience, &took_over); /* (C1) */
  if (status != ZEROIPC_OK) return status;
  g->held = 1;
  if (took_over) {
    /* Every state a dead holder leaves is consistent, but its wake never came. */
    bump(&l->data_epoch);
    bump(&l->space_epoch);
    g->wake_data = g->wake_space = 1;
  }
  return ZEROIPC_OK;
}

static void guard_release(guard* g) {
  if (g->held) zipc_owner_unlock(&g->c->l->lock, &g->c->l->lock_pid); /* (C2) */
  g->held = 0;
  if (g->wake_data) zipc_wake_all(data_word(g->c));   /* (N2) */
  if (g->wake_space) zipc_wake_all(space_word(g->c)); /* (N2) */
  g->wake_data = g->wake_space = 0;
}

/* A lock not taken in time is "not ready"; any other failure is itself. */
static int timed_out_as(int status, int not_ready) { return status == ZEROIPC_E_TIMEOUT ? not_ready : status; }

/* ------------------------------------------------------------------ reads of the segment, checked */

static int load_closed(const zeroipc_channel* c, int* closed) {
  const uint32_t v = __atomic_load_n(&c->l->closed, __ATOMIC_RELAXED);
  *closed = v != 0;
  if (v <= 1) return ZEROIPC_OK;
  return zipc_fail(ZEROIPC_E_CORRUPT, "%s: `closed` holds %u (expected 0 or 1)", c->where, v);
}

/* Under the lock: head and tail, at most `capacity` apart. */
static int load_positions(const zeroipc_channel* c, uint64_t* head, uint64_t* tail) {
  *head = __atomic_load_n(&c->l->head, __ATOMIC_RELAXED);
  *tail = __atomic_load_n(&c->l->tail, __ATOMIC_RELAXED);
  if (*tail - *head <= c->capacity) return ZEROIPC_OK;
  return zipc_fail(ZEROIPC_E_CORRUPT, "%s: head %llu and tail %llu are more than the capacity %llu apart", c->where,
                   (unsigned long long)*head, (unsigned long long)*tail, (unsigned long long)c->capacity);
}

static int load_handoff(const zeroipc_channel* c, uint64_t* w) {
  *w = __atomic_load_n(&c->l->handoff, __ATOMIC_RELAXED);
  if (zeroipc_codata_phase(*w) <= ZEROIPC_CHANNEL_HANDOFF_OFFERED) return ZEROIPC_OK;
  return zipc_fail(ZEROIPC_E_CORRUPT, "%s: unknown handoff phase %u (expected 0 empty or 1 offered)", c->where,
                   zeroipc_codata_phase(*w));
}

static int fail_closed(const zeroipc_channel* c, const char* what) {
  return zipc_fail(ZEROIPC_E_CLOSED, "%s: %s (closed by process %u)", c->where, what,
                   __atomic_load_n(&c->l->closed_by, __ATOMIC_RELAXED));
}

/* ------------------------------------------------------------------ polling without the lock (§7.6) */

/* Empty, and open, when its last load ran. */
static int surely_nothing_to_receive(const zeroipc_channel* c) {
  uint64_t h;
  if (is_closed(c)) return 0;
  if (c->capacity == 0) {
    return zeroipc_codata_phase(__atomic_load_n(&c->l->handoff, __ATOMIC_ACQUIRE)) == ZEROIPC_CHANNEL_HANDOFF_EMPTY;
  }
  /* head first: tail(t2) == head(t1) <= head(t2) <= tail(t2) means empty at t2. */
  h = __atomic_load_n(&c->l->head, __ATOMIC_ACQUIRE);
  return __atomic_load_n(&c->l->tail, __ATOMIC_RELAXED) == h;
}

/* No room (buffered: full; rendezvous: no receiver waiting), and open. */
static int surely_no_room(const zeroipc_channel* c) {
  uint64_t t;
  if (is_closed(c)) return 0;
  if (c->capacity == 0) return receivers_waiting(c) == 0;
  /* tail first: head(t2) + capacity == tail(t1) <= tail(t2) means full at t2. */
  t = __atomic_load_n(&c->l->tail, __ATOMIC_ACQUIRE);
  return t - __atomic_load_n(&c->l->head, __ATOMIC_RELAXED) == c->capacity;
}

/* ------------------------------------------------------------------ buffered */

static int send_buffered_locked(guard* g, const void* value, int try_only, int waited, uint64_t* seen) {
  zeroipc_channel* c = g->c;
  uint64_t h, t;
  int closed;
  int status = load_closed(c, &closed);
  if (status != ZEROIPC_OK) return status;
  if (closed) return fail_closed(c, waited ? kClosedWhileWaiting : kClosedAlready);
  status = load_positions(c, &h, &t);
  if (status != ZEROIPC_OK) return status;
  if (t - h < c->capacity) {
    memcpy(slot(c, t), value, c->element_size);
    bump(&c->l->data_epoch); /* (C3) before the commit */
    g->wake_data = 1;
    __atomic_store_n(&c->l->tail, t + 1u, __ATOMIC_RELAXED); /* the commit */
    return ZEROIPC_OK;
  }
  if (try_only) return ZEROIPC_FULL;
  *seen = __atomic_load_n(&c->l->space_epoch, __ATOMIC_RELAXED);
  return MUST_WAIT;
}

static int send_buffered(zeroipc_channel* c, const void* value, int64_t deadline, int try_only) {
  int waited;
  for (waited = 0;; waited = 1) {
    guard g = guard_of(c);
    uint64_t seen = 0;
    int status = guard_acquire(&g, deadline);
    if (status != ZEROIPC_OK) return timed_out_as(status, ZEROIPC_FULL);
    status = send_buffered_locked(&g, value, try_only, waited, &seen);
    guard_release(&g);
    if (status != MUST_WAIT) return status;
    if (zipc_wait_while_equal(space_word(c), seen, deadline, NULL).result == ZIPC_WAIT_TIMED_OUT) {
      return ZEROIPC_FULL;
    }
  }
}

static int receive_buffered_locked(guard* g, void* out, int try_only, uint64_t* seen) {
  zeroipc_channel* c = g->c;
  uint64_t h, t;
  int closed;
  int status = load_positions(c, &h, &t);
  if (status != ZEROIPC_OK) return status;
  if (t != h) {
    memcpy(out, slot(c, h), c->element_size);
    bump(&c->l->space_epoch); /* (C3) before the commit */
    g->wake_space = 1;
    __atomic_store_n(&c->l->head, h + 1u, __ATOMIC_RELAXED); /* the commit */
    return ZEROIPC_OK;
  }
  status = load_closed(c, &closed);
  if (status != ZEROIPC_OK) return status;
  if (closed) return fail_closed(c, "cannot receive: the channel is closed and drained");
  if (try_only) return ZEROIPC_EMPTY;
  *seen = __atomic_load_n(&c->l->data_epoch, __ATOMIC_RELAXED);
  return MUST_WAIT;
}

static int receive_buffered(zeroipc_channel* c, void* out, int64_t deadline, int try_only) {
  for (;;) {
    guard g = guard_of(c);
    uint64_t seen = 0;
    int status = guard_acquire(&g, deadline);
    if (status != ZEROIPC_OK) return timed_out_as(status, ZEROIPC_EMPTY);
    status = receive_buffered_locked(&g, out, try_only, &seen);
    guard_release(&g);
    if (status != MUST_WAIT) return status;
    if (zipc_wait_while_equal(data_word(c), seen, deadline, NULL).result == ZIPC_WAIT_TIMED_OUT) {
      return ZEROIPC_EMPTY;
    }
  }
}

/* ------------------------------------------------------------------ rendezvous bookkeeping (under the lock) */

static void register_locked(guard* g) {
  bump(&g->c->l->space_epoch); /* (C3) a non-blocking sender waiting for a taker looks again */
  g->wake_space = 1;
  __atomic_fetch_add(&g->c->l->receivers_waiting, 1u, __ATOMIC_RELAXED);
}

static void unregister_locked(guard* g) {
  uint32_t* n = &g->c->l->receivers_waiting;
  const uint32_t v = __atomic_load_n(n, __ATOMIC_RELAXED);
  bump(&g->c->l->space_epoch); /* (C3) a non-blocking sender waiting for a taker may give up now */
  g->wake_space = 1;
  if (v != 0) __atomic_store_n(n, v - 1u, __ATOMIC_RELAXED);
}

/* The OwnerCheck of a sender waiting for the cell: is the posted offer's sender dead? */
static int offer_dead(const void* context, pid_t* who) {
  const zeroipc_channel* c = (const zeroipc_channel*)context;
  const uint64_t w = __atomic_load_n(&c->l->handoff, __ATOMIC_ACQUIRE);
  return zeroipc_codata_phase(w) == ZEROIPC_CHANNEL_HANDOFF_OFFERED && zipc_owner_dead(handoff_word(c), w, who);
}

/* Withdraws the offer `offer` if it is still posted: by its sender (timeout,
 * close), or for a dead sender (its in-flight element is discarded). */
static int withdraw_locked(guard* g, uint64_t offer, int* withdrawn) {
  uint64_t w;
  const int status = load_handoff(g->c, &w);
  *withdrawn = 0;
  if (status != ZEROIPC_OK || w != offer) return status;
  bump(&g->c->l->space_epoch); /* (C3) */
  g->wake_space = 1;
  __atomic_store_n(&g->c->l->handoff, zipc_codata_next(offer, ZEROIPC_CHANNEL_HANDOFF_EMPTY, 0),
                   __ATOMIC_RELEASE); /* (C4) */
  *withdrawn = 1;
  return ZEROIPC_OK;
}

static int reap_offer(zeroipc_channel* c, uint64_t offer) {
  guard g = guard_of(c);
  int withdrawn;
  int status = guard_acquire(&g, ZIPC_FOREVER);
  if (status != ZEROIPC_OK) return status;
  status = withdraw_locked(&g, offer, &withdrawn);
  guard_release(&g);
  return status;
}

/* ------------------------------------------------------------------ rendezvous: one offer at a time in slot 0 */

/* 1. Posts the offer (*offer) once the cell is empty; else *posted is the offer seen there. */
static int post_locked(guard* g, const void* value, int try_only, int waited, uint64_t* offer, uint64_t* posted,
                       uint64_t* seen) {
  zeroipc_channel* c = g->c;
  int closed;
  int status = load_closed(c, &closed);
  if (status != ZEROIPC_OK) return status;
  if (closed) return fail_closed(c, waited ? kClosedWhileWaiting : kClosedAlready);
  status = load_handoff(c, posted);
  if (status != ZEROIPC_OK) return status;
  if (zeroipc_codata_phase(*posted) == ZEROIPC_CHANNEL_HANDOFF_EMPTY && (!try_only || receivers_waiting(c) != 0)) {
    memcpy(slot(c, 0), value, c->element_size);
    *offer = zipc_codata_next(*posted, ZEROIPC_CHANNEL_HANDOFF_OFFERED, zipc_self_key(c->mapping));
    zipc_owner_record(handoff_word(c), *offer); /* (O1)(O2) */
    bump(&c->l->data_epoch);                    /* (C3) before the commit */
    g->wake_data = 1;
    __atomic_store_n(&c->l->handoff, *offer, __ATOMIC_RELEASE); /* (C4) the commit */
    *seen = __atomic_load_n(&c->l->space_epoch, __ATOMIC_RELAXED);
    return ZEROIPC_OK;
  }
  if (try_only) return ZEROIPC_FULL;
  *seen = __atomic_load_n(&c->l->space_epoch, __ATOMIC_RELAXED);
  return MUST_WAIT;
}

/* 2. Withdraws the offer on timeout or close, unless it was taken first (the lock decides). */
static int withdraw_own(zeroipc_channel* c, uint64_t offer) {
  guard g = guard_of(c);
  int withdrawn = 0;
  int closed = 0;
  int status = guard_acquire(&g, ZIPC_FOREVER);
  if (status != ZEROIPC_OK) return status;
  status = withdraw_locked(&g, offer, &withdrawn);
  if (status == ZEROIPC_OK && withdrawn) status = load_closed(c, &closed);
  guard_release(&g);
  if (status != ZEROIPC_OK) return status;
  if (!withdrawn) return ZEROIPC_OK; /* taken at the last moment */
  return closed ? fail_closed(c, kClosedWhileOffered) : ZEROIPC_FULL;
}

/* 2. Waits for a receiver to take the offer (when try_only, only while one waits). */
static int await_take(zeroipc_channel* c, uint64_t offer, uint64_t seen, int64_t until, int try_only) {
  for (;;) {
    if (__atomic_load_n(&c->l->handoff, __ATOMIC_ACQUIRE) != offer) return ZEROIPC_OK; /* (C5) */
    if (!is_closed(c) && !(try_only && receivers_waiting(c) == 0)) {
      const zipc_wait_status s = zipc_wait_while_equal(space_word(c), seen, until, NULL);
      seen = s.value;
      if (s.result != ZIPC_WAIT_TIMED_OUT) continue;
    }
    return withdraw_own(c, offer);
  }
}

static int send_rendezvous(zeroipc_channel* c, const void* value, int64_t deadline, int try_only) {
  zipc_owner_check check;
  uint64_t offer = 0;
  uint64_t seen = 0;
  int waited;
  check.dead = offer_dead;
  check.context = c;
  for (waited = 0;; waited = 1) {
    guard g = guard_of(c);
    uint64_t posted = 0;
    zipc_wait_status s;
    int status = guard_acquire(&g, deadline);
    if (status != ZEROIPC_OK) return timed_out_as(status, ZEROIPC_FULL);
    status = post_locked(&g, value, try_only, waited, &offer, &posted, &seen);
    guard_release(&g);
    if (status == ZEROIPC_OK) break;
    if (status != MUST_WAIT) return status;
    /* Another sender's offer is posted: wait for its take, withdrawing it if that sender is dead. */
    s = zipc_wait_while_equal(space_word(c), seen, deadline,
                              zeroipc_codata_phase(posted) == ZEROIPC_CHANNEL_HANDOFF_OFFERED ? &check : NULL);
    if (s.result == ZIPC_WAIT_OWNER_DEAD) {
      status = reap_offer(c, posted);
      if (status != ZEROIPC_OK) return status;
    }
    if (s.result == ZIPC_WAIT_TIMED_OUT) return ZEROIPC_FULL;
  }
  return await_take(c, offer, seen, try_only ? zipc_deadline_after(HANDOFF_GRACE_NS) : deadline, try_only);
}

static int receive_rendezvous_locked(guard* g, void* out, int64_t deadline, int try_only, int* registered,
                                     uint64_t* seen) {
  zeroipc_channel* c = g->c;
  uint64_t w;
  int closed;
  int status = load_handoff(c, &w);
  if (status != ZEROIPC_OK) return status;
  if (zeroipc_codata_phase(w) == ZEROIPC_CHANNEL_HANDOFF_OFFERED) {
    memcpy(out, slot(c, 0), c->element_size);
    bump(&c->l->space_epoch); /* (C3) before the commit: wakes the offering sender */
    g->wake_space = 1;
    __atomic_store_n(&c->l->handoff, zipc_codata_next(w, ZEROIPC_CHANNEL_HANDOFF_EMPTY, 0),
                     __ATOMIC_RELEASE); /* (C4) */
    if (*registered) unregister_locked(g);
    return ZEROIPC_OK;
  }
  status = load_closed(c, &closed);
  if (status != ZEROIPC_OK) return status;
  if (closed || try_only || zipc_deadline_passed(deadline, zipc_now_ns())) {
    if (*registered) unregister_locked(g);
    return closed ? fail_closed(c, "cannot receive: the channel is closed and drained") : ZEROIPC_EMPTY;
  }
  if (!*registered) {
    register_locked(g);
    *registered = 1;
  }
  *seen = __atomic_load_n(&c->l->data_epoch, __ATOMIC_RELAXED);
  return MUST_WAIT;
}

static int receive_rendezvous(zeroipc_channel* c, void* out, int64_t deadline, int try_only) {
  int registered = 0;
  for (;;) {
    guard g = guard_of(c);
    uint64_t seen = 0;
    /* Once counted in receivers_waiting, this receiver must come back to uncount itself. */
    int status = guard_acquire(&g, registered ? ZIPC_FOREVER : deadline);
    if (status != ZEROIPC_OK) return timed_out_as(status, ZEROIPC_EMPTY);
    status = receive_rendezvous_locked(&g, out, deadline, try_only, &registered, &seen);
    guard_release(&g);
    if (status != MUST_WAIT) return status;
    zipc_wait_while_equal(data_word(c), seen, deadline, NULL); /* then one more look under the lock */
  }
}

/* ------------------------------------------------------------------ create, open, close */

static zipc_struct_spec channel_spec(uint32_t element_size, uint8_t dtype) {
  zipc_struct_spec s;
  memset(&s, 0, sizeof s);
  s.kind = ZEROIPC_KIND_CHANNEL;
  s.variant = ZEROIPC_VARIANT_NONE;
  s.layout_version = ZEROIPC_LAYOUT_VERSION;
  s.element_size = element_size;
  s.dtype = dtype;
  s.total_size = zeroipc_channel_total_size;
  s.element_size_name = "element size";
  s.type_name = "Channel";
  return s;
}

/* The body stays all zero (§7.6 initial state); the header's bytes 32-39 get N. */
static int init_channel(uint8_t* base, uint64_t cells, void* context) {
  zeroipc_struct_header* header = (zeroipc_struct_header*)(void*)base;
  zeroipc_channel_config config;
  (void)cells;
  memset(&config, 0, sizeof config);
  config.channel_capacity = *(const uint64_t*)context;
  memcpy(header->kind_specific, &config, sizeof config);
  return ZEROIPC_OK;
}

static void capacity_text(uint64_t capacity, char* buf, size_t buf_size) {
  if (capacity == 0) {
    snprintf(buf, buf_size, "capacity 0 (rendezvous)");
  } else {
    snprintf(buf, buf_size, "capacity %llu (buffered)", (unsigned long long)capacity);
  }
}

/* Checks the channel fields of the checked header copy (`requested` < 0: any capacity) and makes the handle. */
static int attach(zipc_mapping* m, const char* name, const zipc_opened* opened, int64_t requested,
                  zeroipc_channel** out) {
  const zeroipc_struct_header* h = &opened->header;
  char where[ZIPC_WHERE_SIZE];
  zeroipc_channel_config config;
  zeroipc_channel* c;
  memcpy(&config, h->kind_specific, sizeof config);
  zipc_where(m, name, ZEROIPC_KIND_CHANNEL, ZEROIPC_VARIANT_NONE, where, sizeof where);
  if (config.channel_capacity == 0 ? h->capacity != 1 : config.channel_capacity != h->capacity) {
    return zipc_fail(ZEROIPC_E_CORRUPT,
                     "%s: header says %llu cells and channel capacity %llu (expected equal, or 1 cell for a "
                     "rendezvous channel of capacity 0)",
                     where, (unsigned long long)h->capacity, (unsigned long long)config.channel_capacity);
  }
  if (requested >= 0 && (uint64_t)requested != config.channel_capacity) {
    char exists[64], asked[64];
    capacity_text(config.channel_capacity, exists, sizeof exists);
    capacity_text((uint64_t)requested, asked, sizeof asked);
    return zipc_fail(ZEROIPC_E_MISMATCH, "%s: exists with %s, requested %s", where, exists, asked);
  }
  c = (zeroipc_channel*)calloc(1, sizeof *c);
  if (c == NULL) return zipc_fail(ZEROIPC_E_NO_MEMORY, "zeroipc: out of memory for a Channel handle");
  zipc_mapping_ref(m);
  c->mapping = m;
  c->l = (zeroipc_channel_layout*)(void*)opened->base;
  c->slots = opened->base + ZEROIPC_CHANNEL_SLOTS_OFFSET;
  c->element_size = h->element_size;
  c->capacity = config.channel_capacity;
  c->mask = zeroipc_channel_slots(h->capacity) - 1u;
  memcpy(c->where, where, sizeof where);
  *out = c;
  return ZEROIPC_OK;
}

int zeroipc_channel_create(zeroipc_memory* mem, const char* name, uint64_t capacity, uint32_t element_size,
                           uint8_t dtype, zeroipc_channel** out) {
  const zipc_struct_spec spec = channel_spec(element_size, dtype);
  zipc_mapping* m;
  zipc_opened opened;
  zeroipc_entry_info entry;
  int status;
  if (mem == NULL || name == NULL || out == NULL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_channel_create: a NULL argument");
  }
  *out = NULL;
  m = zipc_memory_mapping(mem);
  if (capacity > ZEROIPC_CHANNEL_MAX_CELLS) {
    char where[ZIPC_WHERE_SIZE];
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "%s: capacity %llu is larger than the maximum 2^31",
                     zipc_where(m, name, ZEROIPC_KIND_CHANNEL, ZEROIPC_VARIANT_NONE, where, sizeof where),
                     (unsigned long long)capacity);
  }
  /* An existing channel is opened first, so that a capacity mismatch is reported in channel terms. */
  status = zipc_check_structure_name(name);
  if (status != ZEROIPC_OK) return status;
  status = zipc_table_lookup(m, name, &entry);
  if (status == ZEROIPC_OK) {
    status = zipc_structure_open(m, name, &spec, &opened);
  } else if (status == ZEROIPC_E_NOT_FOUND) {
    status = zipc_structure_create(m, name, &spec, zeroipc_channel_cells(capacity), init_channel, &capacity, &opened);
  }
  if (status != ZEROIPC_OK) return status;
  return attach(m, name, &opened, (int64_t)capacity, out);
}

int zeroipc_channel_open(zeroipc_memory* mem, const char* name, uint32_t element_size, uint8_t dtype,
                         zeroipc_channel** out) {
  const zipc_struct_spec spec = channel_spec(element_size, dtype);
  zipc_mapping* m;
  zipc_opened opened;
  int status;
  if (mem == NULL || name == NULL || out == NULL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_channel_open: a NULL argument");
  }
  *out = NULL;
  m = zipc_memory_mapping(mem);
  status = zipc_structure_open(m, name, &spec, &opened);
  if (status != ZEROIPC_OK) return status;
  return attach(m, name, &opened, -1, out);
}

void zeroipc_channel_close_handle(zeroipc_channel* channel) {
  if (channel == NULL) return;
  zipc_mapping_unref(channel->mapping);
  free(channel);
}

/* ------------------------------------------------------------------ operations */

int zeroipc_channel_send(zeroipc_channel* channel, const void* value, int64_t timeout_ns) {
  const int try_only = timeout_ns == 0;
  int64_t deadline;
  if (channel == NULL || value == NULL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_channel_send: a NULL argument");
  }
  if (try_only && surely_no_room(channel)) return ZEROIPC_FULL;
  deadline = zipc_deadline_after(timeout_ns);
  return channel->capacity == 0 ? send_rendezvous(channel, value, deadline, try_only)
                                : send_buffered(channel, value, deadline, try_only);
}

int zeroipc_channel_receive(zeroipc_channel* channel, void* value, int64_t timeout_ns) {
  const int try_only = timeout_ns == 0;
  int64_t deadline;
  if (channel == NULL || value == NULL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_channel_receive: a NULL argument");
  }
  if (try_only && surely_nothing_to_receive(channel)) return ZEROIPC_EMPTY;
  deadline = zipc_deadline_after(timeout_ns);
  return channel->capacity == 0 ? receive_rendezvous(channel, value, deadline, try_only)
                                : receive_buffered(channel, value, deadline, try_only);
}

static int close_locked(guard* g) {
  zeroipc_channel_layout* l = g->c->l;
  int closed;
  const int status = load_closed(g->c, &closed);
  if (status != ZEROIPC_OK) return status;
  if (closed) return fail_closed(g->c, "the channel is already closed");
  bump(&l->data_epoch);  /* (C3) wakes receivers (they drain, then see closed) ... */
  bump(&l->space_epoch); /* ... and senders (they fail, or withdraw their offer) */
  g->wake_data = g->wake_space = 1;
  __atomic_store_n(&l->closed_by, (uint32_t)zipc_self_pid(), __ATOMIC_RELAXED);
  __atomic_store_n(&l->closed, 1u, __ATOMIC_RELEASE); /* (C6) */
  return ZEROIPC_OK;
}

int zeroipc_channel_close(zeroipc_channel* channel) {
  guard g;
  int status;
  if (channel == NULL) return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_channel_close: a NULL argument");
  g = guard_of(channel);
  status = guard_acquire(&g, ZIPC_FOREVER);
  if (status != ZEROIPC_OK) return status;
  status = close_locked(&g);
  guard_release(&g);
  return status;
}

int zeroipc_channel_is_closed(const zeroipc_channel* channel) { return channel != NULL && is_closed(channel); }

uint64_t zeroipc_channel_capacity(const zeroipc_channel* channel) { return channel == NULL ? 0 : channel->capacity; }
