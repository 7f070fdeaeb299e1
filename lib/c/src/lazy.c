/* lazy.c — Lazy (SPECIFICATION.md §7.4, kind 9): a value computed once, by
 * whichever process first needs it, and cached for every other process; as
 * the C++ zeroipc/lazy.h, whose protocol and messages these are, word for word.
 *
 * The state word: phase | sequence << 4 | owner key << 32 (codata_word.h).
 *
 *   empty(s) --acquire: CAS--> computing(s+1, me) --publish/fail: CAS--> ready(s+2, me) | error(s+2, me)
 *   computing(s, dead D) --acquire: CAS--> computing(s+1, me)          (a dead computer's claim taken over)
 *   ready | error | computing(dead) --invalidate: CAS--> empty(s+1), generation + 1
 *
 * C has no closures: where C++ runs the computation inside get(), a C caller
 * that has it calls zeroipc_lazy_acquire(), which returns ZEROIPC_CLAIMED
 * when this handle won the claim (of N processes racing, one CAS wins), and
 * then publishes the value or fails it. A caller without the computation
 * calls zeroipc_lazy_get(): it waits, and while the Lazy is empty (or its
 * computer dead) it adds 1 to `demand` and wakes the providers, once per
 * state it waits in, exactly as the C++ get() (spec §7.4 "Demand"): a C++
 * provider thread, or a C/Python loop of zeroipc_lazy_wait_demand(), then
 * computes it. While nobody live computes it the reader waits at most the
 * handle's timeout (default 30 s), then fails with the C++ LazyError text.
 *
 * Memory ordering (the numbering of lazy.h; (O1)-(O5), (N1)/(N2), (W1)-(W3):
 * codata_word.h):
 *   (L0) the acquire load of `state` that finds ready pairs with (N1), the
 *        seq_cst CAS computing -> ready of the publisher, which follows
 *   (L1) the publisher's release word stores of the value (zipc_store_words),
 *        made after its claim CAS.
 *   (L2) a reader copies the value with acquire word loads, then (L3)
 *        re-loads `state`: the copy counts only if the state is unchanged
 *        (invalidate() and a recomputation may run while it copies; a word of
 *        the newer value synchronizes with its (L1), which follows the newer
 *        claim, so (L3) then sees a changed state). The same for the message.
 *   demand: a reader's seq_cst fetch_add of `demand` (N1) then zipc_wake_all32
 *        (N2); a provider sleeps on `demand` with `demand_sleepers` (W1)(W2).
 *
 * What a kill costs (as C++):
 *   computing process killed        its computation is lost; a waiter with the computation (an
 *                                   acquire) takes the claim over within ~20 ms; without one,
 *                                   readers fail after their timeout
 *   killed after publishing         nothing
 *   killed while invalidating       nothing: one CAS, done or not done
 *   waiter killed while asleep      `sleepers` (or `demand_sleepers`) stays one too high
 * A handle closed while it holds a claim fails the claim (the message says
 * so), so a live process never leaves readers waiting for a value it dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codata_word.h"

/* How long get/acquire wait while nobody live computes it (C++ Lazy::kDefaultTimeout). */
#define LAZY_DEFAULT_TIMEOUT_NS INT64_C(30000000000)
/* "No state seen yet": phase 15, never written (C++ codata::kNoState). */
#define NO_STATE (~UINT64_C(0))

struct zeroipc_lazy {
  zipc_mapping* mapping;
  zeroipc_codata* cell;
  uint8_t* value;
  uint32_t element_size;
  int64_t timeout_ns; /* while nobody live computes it; < 0: forever */
  uint64_t claim;     /* the state this handle's computing claim made; 0: none */
  uint32_t served;    /* the last `demand` count this provider handle has seen */
  char where[ZIPC_WHERE_SIZE];
};

/* ------------------------------------------------------------------ the cell */

static uint64_t load_state(const zeroipc_lazy* z) {
  return __atomic_load_n(&z->cell->state, __ATOMIC_ACQUIRE); /* (L0) */
}

static zipc_owner_word owner_word(const zeroipc_lazy* z) { return zipc_codata_owner_word(z->mapping, z->cell); }
static zipc_wait_word wait_word(const zeroipc_lazy* z) { return zipc_codata_wait_word(z->cell); }

static zipc_wait_word32 demand_word(const zeroipc_lazy* z) {
  zipc_wait_word32 w;
  w.word = &z->cell->demand;
  w.sleepers = &z->cell->demand_sleepers;
  return w;
}

/* The OwnerCheck of a waiter: is the process computing it now dead? (Only COMPUTING is owned.) */
static int computer_dead(const void* context, pid_t* who) {
  const zeroipc_lazy* z = (const zeroipc_lazy*)context;
  const uint64_t w = load_state(z);
  return zeroipc_codata_phase(w) == ZEROIPC_LAZY_COMPUTING && zipc_owner_dead(owner_word(z), w, who);
}

/* ------------------------------------------------------------------ messages */

static int check_phase(const zeroipc_lazy* z, uint64_t w) {
  if (zeroipc_codata_phase(w) <= ZEROIPC_LAZY_ERROR) return ZEROIPC_OK;
  return zipc_fail(ZEROIPC_E_CORRUPT,
                   "%s: unknown state phase %u in the segment (expected 0 empty, 1 computing, 2 ready or 3 error)",
                   z->where, zeroipc_codata_phase(w));
}

/* "1234 ms", or "12 s" from 10 s on (lazy.h duration_text). */
static const char* duration_text(int64_t ns, char* buf, size_t buf_size) {
  const long long ms = (long long)(ns / 1000000);
  if (ms >= 10000) {
    snprintf(buf, buf_size, "%lld s", ms / 1000);
  } else {
    snprintf(buf, buf_size, "%lld ms", ms);
  }
  return buf;
}

/* The stored error of state `w` (lazy.h throw_failed). */
static int fail_failed(const zeroipc_lazy* z, uint64_t w, const char* message) {
  char by[64];
  return zipc_fail(ZEROIPC_E_LAZY_FAILED, "%s: the computation failed in %s: %s", z->where,
                   zipc_process_text(zipc_owner_pid(owner_word(z), w), by, sizeof by), message);
}

/* Nobody live computes it and the time ran out (lazy.h throw_orphaned). */
static int fail_orphaned(const zeroipc_lazy* z, int owner_died, pid_t dead_pid, int64_t waited_ns) {
  char waited[32];
  char dead[64];
  duration_text(waited_ns, waited, sizeof waited);
  if (owner_died) {
    return zipc_fail(ZEROIPC_E_LAZY_OWNER_DIED,
                     "%s: the computing %s died and no waiting process has the computation (none took over "
                     "within %s; give one a computation, or invalidate())",
                     z->where, zipc_process_text(dead_pid, dead, sizeof dead), waited);
  }
  return zipc_fail(ZEROIPC_E_LAZY_NO_COMPUTATION,
                   "%s: no process computed it within %s, and this process has no computation (pass one to "
                   "the constructor or set_computation())",
                   z->where, waited);
}

/* ------------------------------------------------------------------ create, open, close */

/* A new Lazy is all zero: EMPTY, sequence 0, no owner (§7.4); the zeroed body is that. */
static int init_lazy(uint8_t* base, uint64_t capacity, void* context) {
  (void)base;
  (void)capacity;
  (void)context;
  return ZEROIPC_OK;
}

static int open_lazy(zeroipc_memory* mem, const char* name, uint32_t element_size, uint8_t dtype, int create,
                     zeroipc_lazy** out) {
  const zipc_struct_spec spec = zipc_codata_spec(ZEROIPC_KIND_LAZY, "Lazy", element_size, dtype);
  zipc_mapping* m;
  zipc_opened opened;
  zeroipc_lazy* z;
  int status;
  if (mem == NULL || name == NULL || out == NULL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: %s: a NULL argument",
                     create ? "zeroipc_lazy_create" : "zeroipc_lazy_open");
  }
  *out = NULL;
  m = zipc_memory_mapping(mem);
  status = create ? zipc_structure_create(m, name, &spec, 1, init_lazy, NULL, &opened)
                  : zipc_structure_open(m, name, &spec, &opened);
  if (status != ZEROIPC_OK) return status;
  z = (zeroipc_lazy*)calloc(1, sizeof *z);
  if (z == NULL) return zipc_fail(ZEROIPC_E_NO_MEMORY, "zeroipc: out of memory for a Lazy handle");
  zipc_mapping_ref(m);
  z->mapping = m;
  z->cell = (zeroipc_codata*)(void*)opened.base;
  z->value = opened.base + ZEROIPC_CODATA_VALUE_OFFSET;
  z->element_size = opened.header.element_size;
  z->timeout_ns = LAZY_DEFAULT_TIMEOUT_NS;
  zipc_where(m, name, ZEROIPC_KIND_LAZY, ZEROIPC_VARIANT_NONE, z->where, sizeof z->where);
  *out = z;
  return ZEROIPC_OK;
}

int zeroipc_lazy_create(zeroipc_memory* mem, const char* name, uint32_t element_size, uint8_t dtype,
                        zeroipc_lazy** out) {
  return open_lazy(mem, name, element_size, dtype, 1, out);
}

int zeroipc_lazy_open(zeroipc_memory* mem, const char* name, uint32_t element_size, uint8_t dtype,
                      zeroipc_lazy** out) {
  return open_lazy(mem, name, element_size, dtype, 0, out);
}

void zeroipc_lazy_close(zeroipc_lazy* lazy) {
  if (lazy == NULL) return;
  if (lazy->claim != 0) {
    (void)zeroipc_lazy_fail(lazy, "the computing handle was closed before it published a value");
  }
  zipc_mapping_unref(lazy->mapping);
  free(lazy);
}

void zeroipc_lazy_set_timeout(zeroipc_lazy* lazy, int64_t timeout_ns) {
  if (lazy != NULL) lazy->timeout_ns = timeout_ns;
}

/* ------------------------------------------------------------------ getting */

/* A get() without the computation asks the providers for the value. */
static void demand(const zeroipc_lazy* z) {
  __atomic_fetch_add(&z->cell->demand, 1u, __ATOMIC_SEQ_CST); /* (N1) */
  zipc_wake_all32(demand_word(z));                            /* (N2) */
}

static int64_t earlier(int64_t a, int64_t b) { return a < b ? a : b; }

/* lazy.h get_until: copy a ready value, report a stored error, claim an empty
 * Lazy (or a dead computer's) when the caller has the computation, or wait.
 * `overall` bounds the wait for a live computer; the handle's timeout bounds
 * the wait while nobody live computes it (an "orphan"). */
static int get_until(zeroipc_lazy* z, void* value, int has_computation, int64_t overall) {
  const int64_t started = zipc_now_ns();
  const uint32_t me = zipc_self_key(z->mapping);
  zipc_owner_check check;
  int orphaned = 0;
  int64_t orphan_deadline = ZIPC_FOREVER; /* set while nobody live computes it */
  uint64_t dead_state = NO_STATE;         /* a computing state whose owner was found dead */
  uint64_t demanded_at = NO_STATE;        /* the state in which we last asked providers for it */
  pid_t dead_pid = 0;
  check.dead = computer_dead;
  check.context = z;
  for (;;) {
    uint64_t w = load_state(z); /* (L0) */
    const int status = check_phase(z, w);
    unsigned phase;
    int owner_known_dead;
    int probe;
    zipc_wait_status s;
    if (status != ZEROIPC_OK) return status;
    phase = zeroipc_codata_phase(w);
    if (phase == ZEROIPC_LAZY_READY) {
      zipc_load_words(value, z->value, z->element_size);                          /* (L2) */
      if (__atomic_load_n(&z->cell->state, __ATOMIC_RELAXED) == w) return ZEROIPC_OK; /* (L3) */
      continue;
    }
    if (phase == ZEROIPC_LAZY_ERROR) {
      char message[ZEROIPC_CODATA_ERROR_SIZE];
      zipc_codata_read_error(z->cell, message);
      if (__atomic_load_n(&z->cell->state, __ATOMIC_RELAXED) == w) return fail_failed(z, w, message); /* (L3) */
      continue;
    }
    owner_known_dead = phase == ZEROIPC_LAZY_COMPUTING && w == dead_state;
    if (phase == ZEROIPC_LAZY_EMPTY || owner_known_dead) {
      if (has_computation) {
        const uint64_t claim = zipc_codata_next(w, ZEROIPC_LAZY_COMPUTING, me);
        if (__atomic_compare_exchange_n(&z->cell->state, &w, claim, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
          zipc_owner_record(owner_word(z), claim); /* (O1)(O2) */
          z->claim = claim;
          return ZEROIPC_CLAIMED;
        }
        continue;
      }
      if (w != demanded_at) { /* once per state we wait in: a provider computes it */
        demanded_at = w;
        demand(z);
      }
      if (!orphaned) {
        orphaned = 1;
        orphan_deadline = zipc_deadline_after(z->timeout_ns);
      }
    } else {
      if (zeroipc_codata_owner(w) == me && z->claim == w) {
        return zipc_fail(ZEROIPC_E_LAZY_RECURSIVE,
                         "%s: its computation asked for its own value (it would wait for itself)", z->where);
      }
      orphaned = 0; /* a live owner, as far as we know */
    }
    probe = phase == ZEROIPC_LAZY_COMPUTING && !owner_known_dead;
    s = zipc_wait_while_equal(wait_word(z), w, orphaned ? earlier(overall, orphan_deadline) : overall,
                              probe ? &check : NULL);
    if (s.result == ZIPC_WAIT_CHANGED) continue;
    if (s.result == ZIPC_WAIT_OWNER_DEAD) {
      dead_state = w;
      dead_pid = s.owner;
      continue; /* take over, or wait as an orphan */
    }
    /* Timed out with the state unchanged. */
    if (probe) {
      pid_t who = 0;
      if (!zipc_owner_dead(owner_word(z), w, &who)) {
        char by[64];
        return zipc_fail(ZEROIPC_E_TIMEOUT, "%s: not computed within the timeout (%s is still computing it)",
                         z->where, zipc_process_text(who, by, sizeof by));
      }
      dead_state = w;
      dead_pid = who;
      if (has_computation) continue; /* take over */
    }
    return fail_orphaned(z, phase == ZEROIPC_LAZY_COMPUTING, dead_pid, zipc_now_ns() - started);
  }
}

/* The fast path: a cached value is one load, a copy and a re-load. */
static int get_cached(zeroipc_lazy* z, void* value) {
  const uint64_t w = load_state(z); /* (L0) */
  if (zeroipc_codata_phase(w) != ZEROIPC_LAZY_READY) return 0;
  zipc_load_words(value, z->value, z->element_size);                    /* (L2) */
  return __atomic_load_n(&z->cell->state, __ATOMIC_RELAXED) == w;       /* (L3) */
}

int zeroipc_lazy_get(zeroipc_lazy* lazy, void* value, int64_t timeout_ns) {
  if (lazy == NULL || value == NULL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_lazy_get: a NULL argument");
  }
  if (get_cached(lazy, value)) return ZEROIPC_OK;
  return get_until(lazy, value, 0, zipc_deadline_after(timeout_ns));
}

int zeroipc_lazy_acquire(zeroipc_lazy* lazy, void* value, int64_t timeout_ns) {
  if (lazy == NULL || value == NULL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_lazy_acquire: a NULL argument");
  }
  if (get_cached(lazy, value)) return ZEROIPC_OK;
  return get_until(lazy, value, 1, zipc_deadline_after(timeout_ns));
}

/* ------------------------------------------------------------------ publishing */

int zeroipc_lazy_publish(zeroipc_lazy* lazy, const void* value) {
  uint64_t expected;
  uint64_t claim;
  if (lazy == NULL || value == NULL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_lazy_publish: a NULL argument");
  }
  if (lazy->claim == 0) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT,
                     "%s: zeroipc_lazy_publish without a computing claim (zeroipc_lazy_acquire returns "
                     "ZEROIPC_CLAIMED to the handle that computes it)",
                     lazy->where);
  }
  claim = expected = lazy->claim;
  lazy->claim = 0;
  zipc_store_words(lazy->value, value, lazy->element_size); /* (L1) */
  /* If another process took the claim over (this one was taken for dead), its result stands. */
  (void)__atomic_compare_exchange_n(&lazy->cell->state, &expected,
                                    zipc_codata_next(claim, ZEROIPC_LAZY_READY, zeroipc_codata_owner(claim)), 0,
                                    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); /* (N1) */
  zipc_wake_all(wait_word(lazy));                                        /* (N2) */
  return ZEROIPC_OK;
}

int zeroipc_lazy_fail(zeroipc_lazy* lazy, const char* message) {
  uint64_t expected;
  uint64_t claim;
  uint64_t failed;
  if (lazy == NULL || message == NULL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_lazy_fail: a NULL argument");
  }
  if (lazy->claim == 0) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT,
                     "%s: zeroipc_lazy_fail without a computing claim (zeroipc_lazy_acquire returns "
                     "ZEROIPC_CLAIMED to the handle that computes it)",
                     lazy->where);
  }
  if (*message == '\0') message = "an exception with an empty message"; /* lazy.h compute() */
  claim = expected = lazy->claim;
  lazy->claim = 0;
  failed = zipc_codata_next(claim, ZEROIPC_LAZY_ERROR, zeroipc_codata_owner(claim));
  zipc_codata_write_error(lazy->cell, message);
  (void)__atomic_compare_exchange_n(&lazy->cell->state, &expected, failed, 0, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST); /* (N1) */
  zipc_wake_all(wait_word(lazy));                      /* (N2) */
  return fail_failed(lazy, failed, message);
}

/* ------------------------------------------------------------------ providing */

/* Does a demand now need a provider: empty, or computing by a dead process? A status < 0 on corruption. */
static int needs_provider(const zeroipc_lazy* z) {
  const uint64_t w = load_state(z);
  const int status = check_phase(z, w);
  pid_t who = 0;
  if (status != ZEROIPC_OK) return status;
  if (zeroipc_codata_phase(w) == ZEROIPC_LAZY_EMPTY) return 1;
  return zeroipc_codata_phase(w) == ZEROIPC_LAZY_COMPUTING && zipc_owner_dead(owner_word(z), w, &who);
}

int zeroipc_lazy_wait_demand(zeroipc_lazy* lazy, int64_t timeout_ns) {
  int64_t deadline;
  if (lazy == NULL) return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_lazy_wait_demand: a NULL argument");
  deadline = zipc_deadline_after(timeout_ns);
  for (;;) {
    const uint32_t d = __atomic_load_n(&lazy->cell->demand, __ATOMIC_ACQUIRE);
    if (d != lazy->served) {
      const int needed = needs_provider(lazy);
      lazy->served = d;
      if (needed != 0) return needed < 0 ? needed : ZEROIPC_OK;
    }
    if (zipc_wait_while_equal32(demand_word(lazy), d, deadline, NULL).result == ZIPC_WAIT_TIMED_OUT) {
      return ZEROIPC_EMPTY;
    }
  }
}

/* ------------------------------------------------------------------ invalidating, state */

int zeroipc_lazy_invalidate(zeroipc_lazy* lazy) {
  if (lazy == NULL) return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_lazy_invalidate: a NULL argument");
  for (;;) {
    uint64_t w = load_state(lazy);
    pid_t who = 0;
    const int status = check_phase(lazy, w);
    if (status != ZEROIPC_OK) return status;
    if (zeroipc_codata_phase(w) == ZEROIPC_LAZY_EMPTY) return ZEROIPC_EMPTY;
    if (zeroipc_codata_phase(w) == ZEROIPC_LAZY_COMPUTING && !zipc_owner_dead(owner_word(lazy), w, &who)) {
      char by[64];
      return zipc_fail(ZEROIPC_E_LAZY_BUSY, "%s: cannot invalidate while %s computes it", lazy->where,
                       zipc_process_text(zipc_owner_pid(owner_word(lazy), w), by, sizeof by));
    }
    if (__atomic_compare_exchange_n(&lazy->cell->state, &w, zipc_codata_next(w, ZEROIPC_LAZY_EMPTY, 0), 0,
                                    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) { /* (N1) */
      __atomic_fetch_add(&lazy->cell->generation, 1u, __ATOMIC_RELAXED);
      zipc_wake_all(wait_word(lazy)); /* (N2) */
      return ZEROIPC_OK;
    }
  }
}

int zeroipc_lazy_is_ready(const zeroipc_lazy* lazy) {
  return lazy != NULL && zeroipc_codata_phase(load_state(lazy)) == ZEROIPC_LAZY_READY;
}

int zeroipc_lazy_has_error(const zeroipc_lazy* lazy) {
  return lazy != NULL && zeroipc_codata_phase(load_state(lazy)) == ZEROIPC_LAZY_ERROR;
}

uint32_t zeroipc_lazy_generation(const zeroipc_lazy* lazy) {
  return lazy == NULL ? 0 : __atomic_load_n(&lazy->cell->generation, __ATOMIC_ACQUIRE);
}

pid_t zeroipc_lazy_computing_process(const zeroipc_lazy* lazy) {
  uint64_t w;
  if (lazy == NULL) return 0;
  w = load_state(lazy);
  return zeroipc_codata_phase(w) == ZEROIPC_LAZY_COMPUTING ? zipc_owner_pid(owner_word(lazy), w) : 0;
}
