/* stream.c — Stream (SPECIFICATION.md §7.5, kind 10): a multicast ring of
 * fixed-size elements. One producer process emits; up to 64 subscribers, in
 * any processes, each read every element in order from their own cursor.
 * The raw stream only (the operators map, filter, ... are C++). As the C++
 * zeroipc/stream.h and zeroipc/detail/stream_ring.h, whose messages these
 * are, word for word; the slots are in stream_slots.c.
 *
 * The ring: `capacity` cells (a power of two) of stride 8 + align8(element
 * size); cell +0 is a sequence word (0 never written, 2p+1 being written
 * with position p, 2p+2 holds position p), the element follows as aligned
 * 8-byte atomic words. `published` = count << 1 | closed.
 *
 * Memory ordering (the numbering of stream_ring.h):
 *   Publishing position w (one producer): (P1) cell.seq = 2w+1, relaxed;
 *   (P2) the element as release word stores; (P3) cell.seq = 2w+2, release;
 *   (P4) CAS published p -> p+2, seq_cst: it is (N1) of codata_word.h,
 *   followed by the wake (N2).
 *   (R1) a reader's acquire load of `published` pairs with (P4). (R2) acquire
 *   load of cell.seq, (R3) the element as acquire word loads, (R4) cell.seq
 *   re-loaded: a changed seq discards the copy (a sequence lock per cell).
 *   Backpressure (Dekker on seq_cst): (B1) a subscriber stores its cursor,
 *   then (B2) loads `resume_at`; the blocked producer stores (B3) `resume_at`,
 *   then (B4) re-loads every cursor. Either (B4) sees (B1), or (B2) sees (B3)
 *   and the subscriber bumps `epoch` (N1) and wakes the producer (N2), which
 *   loaded `epoch` before (B3).
 *   Joining: (J1) high_water raised, (J2) slot made active, (J3) `published`
 *   loaded, all seq_cst, then the cursor stored at the count (J3) read: never
 *   behind the limit a producer computed without this slot.
 *   Ending: (C1) end_reason CAS 0 -> reason, then (C2) `published` |= 1
 *   (seq_cst, N1): a reader that sees the bit (R1) sees the reason.
 *   Coalesced wakes: (A1) a reader raises `sleep_at` to the value it will
 *   sleep on before (W1); the producer after (N1) loads `reader_sleepers`
 *   (N2), then (A2) `sleep_at`, and wakes only if sleep_at >= woke_at, the
 *   value of `published` its last wake followed.
 *   Revival: (V1) CAS producer_key dead -> me; (V2) pid, start time;
 *   (V3) end_reason = 0, then the closed bit cleared.
 *
 * What a kill costs: the producer killed while appending loses that element;
 * readers drain the rest and end the stream with PRODUCER_GONE within ~20 ms.
 * A subscriber killed keeps its slot until a blocked producer (or a joiner
 * with no free slot) finds it dead. A sleeper killed leaves a sleeper count
 * one too high: needless wake calls only.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codata_word.h"
#include "stream_core.h"

struct zeroipc_stream_handle {
  zipc_stream_core c;
  int created;
  uint64_t limit;   /* producer: positions below this need no scan of cursors */
  uint64_t woke_at; /* producer: `published` after which it last woke the readers (A2) */
};

struct zeroipc_cursor {
  zipc_stream_core c;
  uint32_t index;    /* our slot */
  uint64_t claim;    /* the slot's state while we own it */
  uint64_t position; /* next position to read */
  uint64_t known;    /* a count of `published` already seen (block mode: no (R1) below it) */
  uint64_t missed;
  uint32_t end;      /* ZEROIPC_STREAM_OPEN until the end was read */
  int joined;
};

/* ------------------------------------------------------------------ words */

static uint64_t count_of(uint64_t p) { return p >> 1; }
static int closed_in(uint64_t p) { return (p & 1u) != 0; }
static uint64_t writing(uint64_t position) { return 2u * position + 1u; }
static uint64_t holding(uint64_t position) { return 2u * position + 2u; }

static uint8_t* cell_of(const zipc_stream_core* c, uint64_t position) {
  return c->base + ZEROIPC_STREAM_CELLS_OFFSET + (position & (c->capacity - 1u)) * c->stride;
}
static uint64_t* seq_of(uint8_t* cell) { return (uint64_t*)(void*)cell; }

static zipc_wait_word reader_word(const zipc_stream_core* c) {
  zipc_wait_word w;
  w.word = &c->l->published;
  w.sleepers = &c->l->reader_sleepers;
  return w;
}

static uint32_t producer_key(const zipc_stream_core* c) {
  return __atomic_load_n(&c->l->producer_key, __ATOMIC_ACQUIRE);
}
static pid_t producer_pid(const zipc_stream_core* c) {
  const uint32_t pid = __atomic_load_n(&c->l->producer_pid, __ATOMIC_ACQUIRE);
  return pid <= INT_MAX ? (pid_t)pid : 0;
}
static int ended(const zipc_stream_core* c) { return closed_in(__atomic_load_n(&c->l->published, __ATOMIC_ACQUIRE)); }

/* ------------------------------------------------------------------ the producer's futex word (32-bit `epoch`) */

/* `epoch` is a 32-bit futex word with its own sleeper count, waited on as
 * codata_word.h's zipc_wait_word32: (W1)(W2) against (N1)(N2). A blocked
 * producer checks its laggards every 20 ms; other epoch sleeps are bounded by
 * 250 ms (codata_word.c's slices). */
static zipc_wait_word32 epoch_word(const zipc_stream_core* c) {
  zipc_wait_word32 w;
  w.word = &c->l->epoch;
  w.sleepers = &c->l->producer_sleepers;
  return w;
}

static void bump_epoch(const zipc_stream_core* c) {
  __atomic_fetch_add(&c->l->epoch, 1u, __ATOMIC_SEQ_CST); /* (N1) */
  zipc_wake_all32(epoch_word(c));                         /* (N2) */
}

/* Blocks while `epoch` is `seen`, until `deadline`, or until `check` (may be
 * NULL) says an owner is dead: ZIPC_WAIT_CHANGED / _TIMED_OUT / _OWNER_DEAD. */
static zipc_wait_result wait_epoch(const zipc_stream_core* c, uint32_t seen, int64_t deadline,
                                   const zipc_owner_check* check) {
  return zipc_wait_while_equal32(epoch_word(c), seen, deadline, check).result;
}

/* ------------------------------------------------------------------ messages */

static const char* end_text(uint32_t r) {
  switch (r) {
    case ZEROIPC_STREAM_OPEN: return "open";
    case ZEROIPC_STREAM_CLOSED: return "closed";
    case ZEROIPC_STREAM_PRODUCER_GONE: return "its producer died or exited";
    case ZEROIPC_STREAM_OPERATOR_STOPPED: return "its operator was stopped";
    case ZEROIPC_STREAM_OPERATOR_FAILED: return "its operator failed";
    default: return "?";
  }
}

static const char* overflow_name(uint32_t o) { return o == ZEROIPC_STREAM_OVERFLOW_BLOCK ? "block" : "drop_oldest"; }

/* Why it ended (OPEN while it has not) into *out; ZEROIPC_E_CORRUPT on an unknown code. */
static int end_reason(const zipc_stream_core* c, uint32_t* out) {
  const uint32_t r = __atomic_load_n(&c->l->end_reason, __ATOMIC_ACQUIRE);
  if (r > ZEROIPC_STREAM_OPERATOR_FAILED) {
    return zipc_fail(ZEROIPC_E_CORRUPT, "%s: unknown end_reason %u (expected 0..4)", c->where, (unsigned)r);
  }
  *out = r == ZEROIPC_STREAM_OPEN && ended(c) ? ZEROIPC_STREAM_CLOSED : r; /* a closer between (C1) and (C2) */
  return ZEROIPC_OK;
}

static int fail_closed(const zipc_stream_core* c) {
  uint32_t r = 0;
  const int status = end_reason(c, &r);
  if (status != ZEROIPC_OK) return status;
  return zipc_fail(ZEROIPC_E_CLOSED, "%s: cannot emit: the stream has ended (%s)", c->where, end_text(r));
}

static int fail_overrun(const zipc_stream_core* c, uint64_t position, uint64_t count) {
  return zipc_fail(ZEROIPC_E_CORRUPT,
                   "%s: the item at position %llu was overwritten before this subscriber read it (published %llu, "
                   "capacity %llu) in block mode: a corrupt segment, or this subscriber's slot was taken",
                   c->where, (unsigned long long)position, (unsigned long long)count,
                   (unsigned long long)c->capacity);
}

/* ------------------------------------------------------------------ ending, reviving */

/* Ends the stream with `why` (the first reason stays): 1 if this call ended it. */
static int end_stream(const zipc_stream_core* c, uint32_t why) {
  uint32_t none = 0;
  uint64_t p;
  __atomic_compare_exchange_n(&c->l->end_reason, &none, why, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE); /* (C1) */
  p = __atomic_fetch_or(&c->l->published, UINT64_C(1), __ATOMIC_SEQ_CST);                          /* (C2)(N1) */
  zipc_wake_all(reader_word(c));                                                                  /* (N2) */
  bump_epoch(c); /* a producer blocked on backpressure sees the end */
  return !closed_in(p);
}

/* Makes this process the producer of a stream whose producer is dead (the
 * C++ StreamCore::revive()): ZEROIPC_OK when done; ZEROIPC_E_ROLE_TAKEN with
 * why not in `refused`; or an error of the slot scan. */
static int revive(const zipc_stream_core* c, char* refused, size_t refused_size) {
  const uint32_t me = zipc_self_key(c->m);
  uint32_t key = producer_key(c);
  pid_t live[ZEROIPC_STREAM_SUBSCRIBER_SLOTS];
  uint32_t n = 0, i;
  int status;
  if (key == me) {
    snprintf(refused, refused_size, "this process is its producer already (feed it through the handle that does)");
    return ZEROIPC_E_ROLE_TAKEN;
  }
  if (zipc_key_alive(c->m, key)) {
    snprintf(refused, refused_size, "its producer is process %d, and it is alive (one process feeds a stream)",
             (int)producer_pid(c));
    return ZEROIPC_E_ROLE_TAKEN;
  }
  status = zipc_stream_release_dead(c, me, live, &n);
  if (status != ZEROIPC_OK) return status;
  if (n != 0) {
    char pids[64 * 13] = "";
    size_t used = 0;
    for (i = 0; i < n && used < sizeof pids; ++i) {
      const int w = snprintf(pids + used, sizeof pids - used, "%s%d", i == 0 ? "" : ", ", (int)live[i]);
      if (w < 0) break;
      used += (size_t)w;
    }
    snprintf(refused, refused_size,
             "its earlier producer is dead, but live processes still hold subscriber slots (%s): they must let go "
             "(destroy their cursors and subscriptions) before it is fed again",
             pids);
    return ZEROIPC_E_ROLE_TAKEN;
  }
  if (!__atomic_compare_exchange_n(&c->l->producer_key, &key, me, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) { /* (V1) */
    snprintf(refused, refused_size, "another process revived it meanwhile");
    return ZEROIPC_E_ROLE_TAKEN;
  }
  __atomic_store_n(&c->l->producer_pid, (uint32_t)zipc_self_pid(), __ATOMIC_RELEASE); /* (V2) */
  __atomic_store_n(&c->l->producer_start, zipc_self_start_time(), __ATOMIC_RELEASE);
  if (ended(c)) {
    __atomic_store_n(&c->l->end_reason, 0u, __ATOMIC_SEQ_CST);                     /* (V3) */
    __atomic_fetch_and(&c->l->published, ~UINT64_C(1), __ATOMIC_SEQ_CST);         /* (V3) */
  }
  __atomic_store_n(&c->l->resume_at, UINT64_C(0), __ATOMIC_RELAXED);
  bump_epoch(c);
  return ZEROIPC_OK;
}

/* ------------------------------------------------------------------ create, open, close */

typedef struct stream_init {
  zipc_mapping* m;
  uint32_t overflow;
  uint32_t origin;
} stream_init;

/* The config and the producer (this process), under the table lock, before publication. */
static int init_stream(uint8_t* base, uint64_t capacity, void* context) {
  const stream_init* init = (const stream_init*)context;
  zeroipc_stream* l = (zeroipc_stream*)(void*)base;
  zeroipc_stream_config config;
  (void)capacity;
  memset(&config, 0, sizeof config);
  config.subscriber_slots = ZEROIPC_STREAM_SUBSCRIBER_SLOTS;
  config.overflow = init->overflow;
  config.origin = init->origin;
  memcpy(l->header.kind_specific, &config, sizeof config);
  l->producer_pid = (uint32_t)zipc_self_pid();
  l->producer_key = zipc_self_key(init->m);
  l->producer_start = zipc_self_start_time();
  return ZEROIPC_OK;
}

static zipc_struct_spec stream_spec(uint32_t element_size, uint8_t dtype) {
  zipc_struct_spec s;
  memset(&s, 0, sizeof s);
  s.kind = ZEROIPC_KIND_STREAM;
  s.variant = ZEROIPC_VARIANT_NONE;
  s.layout_version = ZEROIPC_LAYOUT_VERSION;
  s.element_size = element_size;
  s.dtype = dtype;
  s.total_size = zeroipc_stream_total_size;
  s.element_size_name = "element size";
  s.type_name = "Stream";
  return s;
}

/* The core of an opened stream, checked as the C++ StreamCore constructor does (from the header copy). */
static int make_core(zipc_mapping* m, const char* name, const zipc_opened* opened, zipc_stream_core* c) {
  zeroipc_stream_config config;
  uint32_t key;
  memset(c, 0, sizeof *c);
  c->m = m;
  c->base = opened->base;
  c->l = (zeroipc_stream*)(void*)opened->base;
  c->capacity = opened->header.capacity;
  c->element_size = opened->header.element_size;
  c->stride = zeroipc_stream_stride(c->element_size);
  snprintf(c->name, sizeof c->name, "%s", name);
  zipc_where(m, name, ZEROIPC_KIND_STREAM, ZEROIPC_VARIANT_NONE, c->where, sizeof c->where);
  memcpy(&config, opened->header.kind_specific, sizeof config);
  if (config.subscriber_slots != ZEROIPC_STREAM_SUBSCRIBER_SLOTS || config.overflow > 1u ||
      config.origin > ZEROIPC_STREAM_ORIGIN_UNFOLD) {
    return zipc_fail(ZEROIPC_E_CORRUPT,
                     "%s: bad stream config (subscriber_slots %u, expected 64; overflow %u, expected 0 or 1; origin "
                     "%u, expected 0..10)",
                     c->where, (unsigned)config.subscriber_slots, (unsigned)config.overflow,
                     (unsigned)config.origin);
  }
  c->overflow = config.overflow;
  c->origin = config.origin;
  key = producer_key(c);
  if (key == 0 || key > ZEROIPC_LOCK_KEY_MASK) {
    return zipc_fail(ZEROIPC_E_CORRUPT, "%s: producer key %u is not an owner key (expected 1..2^31 - 1)", c->where,
                     (unsigned)key);
  }
  return ZEROIPC_OK;
}

static int new_handle(zipc_mapping* m, const char* name, const zipc_opened* opened, zeroipc_stream_handle** out) {
  zeroipc_stream_handle* s = (zeroipc_stream_handle*)calloc(1, sizeof *s);
  int status;
  if (s == NULL) return zipc_fail(ZEROIPC_E_NO_MEMORY, "zeroipc: out of memory for a Stream handle");
  status = make_core(m, name, opened, &s->c);
  if (status != ZEROIPC_OK) {
    free(s);
    return status;
  }
  zipc_mapping_ref(m);
  s->created = opened->created;
  s->limit = s->c.overflow == ZEROIPC_STREAM_OVERFLOW_DROP_OLDEST ? UINT64_MAX : 0;
  *out = s;
  return ZEROIPC_OK;
}

int zeroipc_stream_create(zeroipc_memory* mem, const char* name, uint64_t capacity, uint32_t overflow,
                          uint32_t element_size, uint8_t dtype, zeroipc_stream_handle** out) {
  const zipc_struct_spec spec = stream_spec(element_size, dtype);
  zipc_mapping* m;
  zipc_opened opened;
  stream_init init;
  uint64_t ring = 1;
  int status;
  if (mem == NULL || name == NULL || out == NULL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_stream_create: a NULL argument");
  }
  *out = NULL;
  m = zipc_memory_mapping(mem);
  if (capacity == 0 || capacity > ZEROIPC_STREAM_MAX_CAPACITY || overflow > ZEROIPC_STREAM_OVERFLOW_DROP_OLDEST) {
    char w[ZIPC_WHERE_SIZE];
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT,
                     "%s: capacity %llu is not in 1..2^30 (or the overflow mode is unknown)",
                     zipc_where(m, name, ZEROIPC_KIND_STREAM, ZEROIPC_VARIANT_NONE, w, sizeof w),
                     (unsigned long long)capacity);
  }
  while (ring < capacity) ring <<= 1; /* 1000 -> 1024, as the C++ API rounds */
  init.m = m;
  init.overflow = overflow;
  init.origin = ZEROIPC_STREAM_ORIGIN_EMIT;
  status = zipc_structure_create(m, name, &spec, ring, init_stream, &init, &opened);
  if (status == ZEROIPC_OK) status = new_handle(m, name, &opened, out);
  if (status != ZEROIPC_OK) return status;
  if ((*out)->c.overflow != overflow) {
    const zipc_stream_core* c = &(*out)->c;
    status = zipc_fail(ZEROIPC_E_MISMATCH, "%s: exists with overflow %s, requested %s", c->where,
                       overflow_name(c->overflow), overflow_name(overflow));
    zeroipc_stream_close_handle(*out);
    *out = NULL;
    return status;
  }
  /* A program run again: the stream of its last run, whose producer is dead,
   * is fed from here. Refused (live readers of that run): emit says why. */
  if (!opened.created && (*out)->c.origin == ZEROIPC_STREAM_ORIGIN_EMIT &&
      !zipc_key_alive(m, producer_key(&(*out)->c))) {
    char refused[1024];
    (void)revive(&(*out)->c, refused, sizeof refused);
  }
  return ZEROIPC_OK;
}

int zeroipc_stream_open(zeroipc_memory* mem, const char* name, uint32_t element_size, uint8_t dtype,
                        zeroipc_stream_handle** out) {
  const zipc_struct_spec spec = stream_spec(element_size, dtype);
  zipc_mapping* m;
  zipc_opened opened;
  int status;
  if (mem == NULL || name == NULL || out == NULL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_stream_open: a NULL argument");
  }
  *out = NULL;
  m = zipc_memory_mapping(mem);
  status = zipc_structure_open(m, name, &spec, &opened);
  if (status != ZEROIPC_OK) return status;
  return new_handle(m, name, &opened, out);
}

void zeroipc_stream_close_handle(zeroipc_stream_handle* stream) {
  if (stream == NULL) return;
  zipc_mapping_unref(stream->c.m);
  free(stream);
}

/* ------------------------------------------------------------------ the producer */

/* Dead laggards of a blocked producer (an OwnerCheck). */
typedef struct laggards {
  const zipc_stream_core* c;
  uint64_t w;
} laggards;

static int laggards_dead(const void* context, pid_t* who) {
  const laggards* g = (const laggards*)context;
  return zipc_stream_dead_laggards(g->c, g->w, who, 0);
}

/* Waits until position w fits (block mode): ZEROIPC_OK, ZEROIPC_FULL (deadline), or an error. */
static int make_room(zeroipc_stream_handle* s, uint64_t w, int64_t deadline) {
  const zipc_stream_core* c = &s->c;
  const uint64_t resume = w - c->capacity + 1u + c->capacity / 8u; /* an eighth of the ring read: not every item */
  laggards g;
  zipc_owner_check check;
  uint64_t m = 0;
  int status = zipc_stream_min_cursor(c, w, &m);
  if (status != ZEROIPC_OK) return status;
  if (w - m < c->capacity) {
    s->limit = m + c->capacity;
    return ZEROIPC_OK;
  }
  g.c = c;
  g.w = w;
  check.dead = laggards_dead;
  check.context = &g;
  for (;;) {
    const uint32_t e = __atomic_load_n(&c->l->epoch, __ATOMIC_SEQ_CST);
    zipc_wait_result r;
    __atomic_store_n(&c->l->resume_at, resume, __ATOMIC_SEQ_CST); /* (B3) */
    status = zipc_stream_min_cursor(c, w, &m);                     /* (B4) */
    if (status != ZEROIPC_OK) break;
    if (w - m < c->capacity) {
      s->limit = m + c->capacity;
      break;
    }
    if (ended(c)) {
      status = fail_closed(c);
      break;
    }
    r = wait_epoch(c, e, deadline, &check);
    if (r == ZIPC_WAIT_OWNER_DEAD) {
      pid_t who = 0;
      zipc_stream_dead_laggards(c, w, &who, 1);
      bump_epoch(c);
    } else if (r == ZIPC_WAIT_TIMED_OUT) {
      status = zipc_stream_min_cursor(c, w, &m);
      if (status == ZEROIPC_OK) {
        if (w - m < c->capacity) {
          s->limit = m + c->capacity;
        } else {
          status = ZEROIPC_FULL;
        }
      }
      break;
    }
  }
  __atomic_store_n(&c->l->resume_at, UINT64_C(0), __ATOMIC_SEQ_CST);
  return status;
}

/* Writes one element at the next position (the C++ StreamCore::publish). */
static int publish(zeroipc_stream_handle* s, const void* value, int64_t deadline) {
  const zipc_stream_core* c = &s->c;
  uint64_t p = __atomic_load_n(&c->l->published, __ATOMIC_RELAXED); /* only this process changes the count */
  uint64_t w;
  uint8_t* cell;
  if (closed_in(p)) return fail_closed(c);
  w = count_of(p);
  if (w >= s->limit) {
    const int status = make_room(s, w, deadline);
    if (status != ZEROIPC_OK) return status;
  }
  cell = cell_of(c, w);
  __atomic_store_n(seq_of(cell), writing(w), __ATOMIC_RELAXED);                      /* (P1) */
  zipc_store_words(cell + ZEROIPC_STREAM_CELL_ELEMENT_OFFSET, value, c->element_size); /* (P2) */
  __atomic_store_n(seq_of(cell), holding(w), __ATOMIC_RELEASE);                     /* (P3) */
  if (!__atomic_compare_exchange_n(&c->l->published, &p, p + 2u, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) { /* (P4)(N1) */
    if (closed_in(p)) return fail_closed(c); /* closed meanwhile: the item stays unpublished */
    return zipc_fail(ZEROIPC_E_CORRUPT, "%s: `published` changed under its only producer (from %llu)", c->where,
                     (unsigned long long)count_of(p));
  }
  if (__atomic_load_n(&c->l->reader_sleepers, __ATOMIC_SEQ_CST) != 0 &&   /* (N2) */
      __atomic_load_n(&c->l->sleep_at, __ATOMIC_SEQ_CST) >= s->woke_at) { /* (A2) */
    s->woke_at = p + 2u;
    zipc_futex_wake((uint32_t*)(void*)&c->l->published, INT32_MAX);
  }
  return ZEROIPC_OK;
}

/* This process may emit: the stream is fed by emit(), and this process is (or becomes) its producer. */
static int check_emitter(zeroipc_stream_handle* s) {
  const zipc_stream_core* c = &s->c;
  char refused[1024];
  int status;
  if (c->origin != ZEROIPC_STREAM_ORIGIN_EMIT) {
    return zipc_fail(ZEROIPC_E_ROLE_TAKEN, "%s: is fed by an operator; emit() into its input instead", c->where);
  }
  if (producer_key(c) == zipc_self_key(c->m)) return ZEROIPC_OK;
  status = revive(c, refused, sizeof refused);
  if (status == ZEROIPC_E_ROLE_TAKEN) {
    return zipc_fail(ZEROIPC_E_ROLE_TAKEN, "%s: cannot emit from this process: %s", c->where, refused);
  }
  return status;
}

int zeroipc_stream_emit(zeroipc_stream_handle* stream, const void* value, int64_t timeout_ns) {
  int status;
  if (stream == NULL || value == NULL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_stream_emit: a NULL argument");
  }
  status = check_emitter(stream);
  if (status != ZEROIPC_OK) return status;
  return publish(stream, value, zipc_deadline_after(timeout_ns));
}

int zeroipc_stream_close(zeroipc_stream_handle* stream) {
  if (stream == NULL) return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_stream_close: a NULL argument");
  if (end_stream(&stream->c, ZEROIPC_STREAM_CLOSED)) return ZEROIPC_OK;
  return zipc_fail(ZEROIPC_E_CLOSED, "%s: the stream has ended already", stream->c.where);
}

int zeroipc_stream_wait_subscribers(zeroipc_stream_handle* stream, uint32_t n, int64_t timeout_ns) {
  const int64_t deadline = zipc_deadline_after(timeout_ns);
  if (stream == NULL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_stream_wait_subscribers: a NULL argument");
  }
  for (;;) {
    const zipc_stream_core* c = &stream->c;
    const uint32_t e = __atomic_load_n(&c->l->epoch, __ATOMIC_SEQ_CST);
    uint32_t active = 0;
    int status = zipc_stream_active(c, &active);
    if (status != ZEROIPC_OK) return status;
    if (active >= n) return ZEROIPC_OK;
    if (ended(c)) return zipc_fail(ZEROIPC_E_CLOSED, "%s: the stream has ended", c->where);
    if (wait_epoch(c, e, deadline, NULL) == ZIPC_WAIT_TIMED_OUT) {
      status = zipc_stream_active(c, &active);
      if (status != ZEROIPC_OK) return status;
      return active >= n ? ZEROIPC_OK : ZEROIPC_EMPTY;
    }
  }
}

/* ------------------------------------------------------------------ observers */

uint64_t zeroipc_stream_capacity(const zeroipc_stream_handle* stream) { return stream != NULL ? stream->c.capacity : 0; }
uint32_t zeroipc_stream_element_size(const zeroipc_stream_handle* stream) {
  return stream != NULL ? stream->c.element_size : 0;
}
uint32_t zeroipc_stream_overflow(const zeroipc_stream_handle* stream) { return stream != NULL ? stream->c.overflow : 0; }
int zeroipc_stream_created(const zeroipc_stream_handle* stream) { return stream != NULL && stream->created; }
uint64_t zeroipc_stream_published(const zeroipc_stream_handle* stream) {
  return stream != NULL ? count_of(__atomic_load_n(&stream->c.l->published, __ATOMIC_ACQUIRE)) : 0;
}
int zeroipc_stream_ended(const zeroipc_stream_handle* stream) { return stream != NULL && ended(&stream->c); }
int zeroipc_stream_end_reason(const zeroipc_stream_handle* stream) {
  uint32_t r = 0;
  int status;
  if (stream == NULL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_stream_end_reason: a NULL argument");
  }
  status = end_reason(&stream->c, &r);
  return status != ZEROIPC_OK ? status : (int)r;
}
pid_t zeroipc_stream_producer(const zeroipc_stream_handle* stream) {
  return stream != NULL ? producer_pid(&stream->c) : 0;
}
int zeroipc_stream_subscribers(const zeroipc_stream_handle* stream) {
  uint32_t n = 0;
  int status;
  if (stream == NULL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_stream_subscribers: a NULL argument");
  }
  status = zipc_stream_active(&stream->c, &n);
  return status != ZEROIPC_OK ? status : (int)n;
}

/* ------------------------------------------------------------------ subscribers */

int zeroipc_stream_subscribe(zeroipc_stream_handle* stream, zeroipc_cursor** out) {
  zeroipc_cursor* r;
  uint32_t me;
  if (stream == NULL || out == NULL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_stream_subscribe: a NULL argument");
  }
  *out = NULL;
  r = (zeroipc_cursor*)calloc(1, sizeof *r);
  if (r == NULL) return zipc_fail(ZEROIPC_E_NO_MEMORY, "zeroipc: out of memory for a Stream cursor");
  r->c = stream->c;
  me = zipc_self_key(r->c.m);
  for (;;) {
    const zipc_stream_core* c = &r->c;
    zeroipc_stream_subscriber_slot* slot;
    uint64_t joining = 0, expected;
    int status = zipc_stream_slot_claim(c, me, &r->index, &joining);
    if (status == ZEROIPC_E_LIMIT) {
      status = zipc_fail(ZEROIPC_E_LIMIT, "%s: all 64 subscriber slots are held by live subscribers", c->where);
    }
    if (status != ZEROIPC_OK) {
      free(r);
      return status;
    }
    slot = &c->l->slots[r->index];
    zipc_stream_raise_high_water(c, r->index); /* (J1) */
    __atomic_store_n(&slot->pid, (uint64_t)zipc_self_pid(), __ATOMIC_RELEASE);
    __atomic_store_n(&slot->missed, UINT64_C(0), __ATOMIC_RELAXED);
    __atomic_store_n(&slot->cursor, count_of(__atomic_load_n(&c->l->published, __ATOMIC_SEQ_CST)), __ATOMIC_SEQ_CST);
    expected = joining;
    r->claim = zipc_stream_slot_next(joining, ZEROIPC_STREAM_SLOT_ACTIVE, me);
    if (!__atomic_compare_exchange_n(&slot->state, &expected, r->claim, 0, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST)) { /* (J2) */
      continue; /* taken from us meanwhile (never for a live process): try again */
    }
    r->position = count_of(__atomic_load_n(&c->l->published, __ATOMIC_SEQ_CST)); /* (J3) */
    r->known = r->position;
    __atomic_store_n(&slot->cursor, r->position, __ATOMIC_SEQ_CST);
    r->joined = 1;
    bump_epoch(c); /* wait_subscribers, and a blocked producer whose laggard left */
    break;
  }
  zipc_mapping_ref(r->c.m);
  *out = r;
  return ZEROIPC_OK;
}

void zeroipc_cursor_close(zeroipc_cursor* cursor) {
  if (cursor == NULL) return;
  if (cursor->joined && (uint32_t)(cursor->claim >> ZEROIPC_STREAM_SLOT_OWNER_SHIFT) == zipc_self_key(cursor->c.m)) {
    uint64_t expected = cursor->claim; /* not from a forked copy: the slot is the parent's */
    __atomic_compare_exchange_n(&cursor->c.l->slots[cursor->index].state, &expected,
                                zipc_stream_slot_next(cursor->claim, ZEROIPC_STREAM_SLOT_FREE, 0), 0, __ATOMIC_SEQ_CST,
                                __ATOMIC_SEQ_CST);
    bump_epoch(&cursor->c);
  }
  zipc_mapping_unref(cursor->c.m);
  free(cursor);
}

static void advance(zeroipc_cursor* r) {
  const zipc_stream_core* c = &r->c;
  zeroipc_stream_subscriber_slot* slot = &c->l->slots[r->index];
  ++r->position;
  if (c->overflow == ZEROIPC_STREAM_OVERFLOW_DROP_OLDEST) {
    __atomic_store_n(&slot->cursor, r->position, __ATOMIC_RELAXED); /* for inspection only */
    return;
  }
  __atomic_store_n(&slot->cursor, r->position, __ATOMIC_SEQ_CST);             /* (B1) */
  if (__atomic_load_n(&c->l->resume_at, __ATOMIC_SEQ_CST) == r->position) {  /* (B2) */
    bump_epoch(c);
  }
}

static void skip_to(zeroipc_cursor* r, uint64_t position) {
  zeroipc_stream_subscriber_slot* slot = &r->c.l->slots[r->index];
  r->missed += position - r->position;
  r->position = position;
  __atomic_store_n(&slot->missed, r->missed, __ATOMIC_RELAXED);
  __atomic_store_n(&slot->cursor, position, __ATOMIC_RELAXED);
}

/* Copies the published cell of r->position: 1 copied, 0 overwritten (drop_oldest), or a negative status. */
static int copy_cell(zeroipc_cursor* r, void* out, uint64_t count) {
  const zipc_stream_core* c = &r->c;
  uint8_t* cell = cell_of(c, r->position);
  const uint64_t s1 = __atomic_load_n(seq_of(cell), __ATOMIC_ACQUIRE); /* (R2) */
  if (s1 == holding(r->position)) {
    zipc_load_words(out, cell + ZEROIPC_STREAM_CELL_ELEMENT_OFFSET, c->element_size); /* (R3) */
    if (__atomic_load_n(seq_of(cell), __ATOMIC_RELAXED) == s1) {                   /* (R4) */
      advance(r);
      return 1;
    }
  } else if (s1 < holding(r->position)) {
    return zipc_fail(ZEROIPC_E_CORRUPT, "%s: the cell of published position %llu holds sequence %llu (expected %llu)",
                     c->where, (unsigned long long)r->position, (unsigned long long)s1,
                     (unsigned long long)holding(r->position));
  }
  if (c->overflow == ZEROIPC_STREAM_OVERFLOW_BLOCK) return fail_overrun(c, r->position, count);
  return 0;
}

/* The next element into out (ZEROIPC_OK), none yet (ZEROIPC_EMPTY, with the
 * `published` it saw in *seen), the end (ZEROIPC_E_CLOSED, no message), or an error. */
static int try_read(zeroipc_cursor* r, void* out, uint64_t* seen) {
  const zipc_stream_core* c = &r->c;
  for (;;) {
    uint64_t p, count, now, oldest;
    int copied;
    if (r->position < r->known && c->overflow == ZEROIPC_STREAM_OVERFLOW_BLOCK) {
      copied = copy_cell(r, out, r->known); /* published before: no load of the producer's line */
      if (copied != 0) return copied > 0 ? ZEROIPC_OK : copied;
    }
    p = __atomic_load_n(&c->l->published, __ATOMIC_ACQUIRE); /* (R1) */
    count = count_of(p);
    if (count < r->known) {
      return zipc_fail(ZEROIPC_E_CORRUPT, "%s: published count went back from %llu to %llu", c->where,
                       (unsigned long long)r->known, (unsigned long long)count);
    }
    r->known = count;
    if (count < r->position) {
      return zipc_fail(ZEROIPC_E_CORRUPT, "%s: published count went back from %llu to %llu", c->where,
                       (unsigned long long)r->position, (unsigned long long)count);
    }
    if (count == r->position) {
      if (closed_in(p)) {
        const int status = end_reason(c, &r->end);
        if (status != ZEROIPC_OK) return status;
        if (r->end == ZEROIPC_STREAM_OPEN) r->end = ZEROIPC_STREAM_CLOSED;
        return ZEROIPC_E_CLOSED;
      }
      *seen = p;
      return ZEROIPC_EMPTY;
    }
    if (count - r->position > c->capacity) {
      if (c->overflow == ZEROIPC_STREAM_OVERFLOW_BLOCK) return fail_overrun(c, r->position, count);
      skip_to(r, count - c->capacity); /* drop_oldest: the oldest that may still be there */
    }
    copied = copy_cell(r, out, count);
    if (copied != 0) return copied > 0 ? ZEROIPC_OK : copied;
    /* Overwritten before or while we copied it (drop_oldest). */
    now = count_of(__atomic_load_n(&c->l->published, __ATOMIC_ACQUIRE));
    oldest = now >= c->capacity ? now - c->capacity + 1u : 0u;
    skip_to(r, r->position + 1u > oldest ? r->position + 1u : oldest);
  }
}

/* Dead when the producer process is gone (its owner key) and the stream is still open. */
static int producer_dead(const void* context, pid_t* who) {
  const zipc_stream_core* c = (const zipc_stream_core*)context;
  *who = producer_pid(c);
  return !zipc_key_alive(c->m, producer_key(c)) && !ended(c);
}

int zeroipc_cursor_next(zeroipc_cursor* cursor, void* value, int64_t timeout_ns) {
  int64_t deadline;
  zipc_owner_check check;
  if (cursor == NULL || value == NULL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_cursor_next: a NULL argument");
  }
  deadline = zipc_deadline_after(timeout_ns);
  check.dead = producer_dead;
  check.context = &cursor->c;
  for (;;) {
    const zipc_stream_core* c = &cursor->c;
    uint64_t seen = 0, at;
    zipc_wait_status s;
    const int status = try_read(cursor, value, &seen);
    if (status == ZEROIPC_E_CLOSED) {
      return zipc_fail(ZEROIPC_E_CLOSED, "%s: the stream has ended (%s) and every item was read", c->where,
                       end_text(cursor->end));
    }
    if (status != ZEROIPC_EMPTY) return status;
    if (zipc_deadline_passed(deadline, zipc_now_ns())) return ZEROIPC_EMPTY;
    at = __atomic_load_n(&c->l->sleep_at, __ATOMIC_SEQ_CST);
    while (at < seen && !__atomic_compare_exchange_n(&c->l->sleep_at, &at, seen, 1, __ATOMIC_SEQ_CST,
                                                     __ATOMIC_SEQ_CST)) { /* (A1) */
    }
    s = zipc_wait_while_equal(reader_word(c), seen, deadline, &check);
    if (s.result == ZIPC_WAIT_OWNER_DEAD) end_stream(c, ZEROIPC_STREAM_PRODUCER_GONE); /* drain, then the end */
  }
}

uint64_t zeroipc_cursor_missed(const zeroipc_cursor* cursor) { return cursor != NULL ? cursor->missed : 0; }
uint64_t zeroipc_cursor_position(const zeroipc_cursor* cursor) { return cursor != NULL ? cursor->position : 0; }
uint32_t zeroipc_cursor_end_reason(const zeroipc_cursor* cursor) {
  return cursor != NULL ? cursor->end : ZEROIPC_STREAM_OPEN;
}
