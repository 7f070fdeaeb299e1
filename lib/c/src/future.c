/* future.c — Future (SPECIFICATION.md §7.4, kind 8): a value one process
 * sets once and any number of processes wait for; as the C++
 * zeroipc/future.h, whose messages these are, word for word.
 *
 * The state word: phase | sequence << 4 | owner key << 32 (codata_word.h).
 *
 *   pending(s, P) --set: CAS--> setting(s+1, me) --CAS--> ready(s+2, me) | error(s+2, me)
 *   pending(s, P) --claim_producer: CAS--> pending(s+1, me)
 *   setting(s, dead D) --set: CAS--> setting(s+1, me)   (a dead setter's claim is taken over)
 *
 * A created Future is pending with sequence 0, owner = the creator's key, and
 * owner_pid/owner_tag written for it. Readers wait while the producer (or a
 * setter) lives, checking it every 20 ms; when it is dead they fail with
 * ZEROIPC_E_PRODUCER_DIED.
 *
 * Memory ordering (the numbering of future.h):
 *   (F1) the setter's CAS pending -> setting claims the Future (one winner).
 *   (F2) the value (or message) is written after (F1)...
 *   (F3) ...and published by the seq_cst CAS setting -> ready/error, whose
 *        release half pairs with (F4) the acquire load of `state` in get():
 *        a reader that sees ready sees the whole value. No one writes the
 *        value after ready, so readers copy it with a plain memcpy.
 *   (O1)-(O5) the owner record, (N1)/(N2)/(W1)-(W3) the waking protocol: codata_word.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codata_word.h"

struct zeroipc_future {
  zipc_mapping* mapping;
  zeroipc_codata* cell;
  uint8_t* value;
  uint32_t element_size;
  char where[ZIPC_WHERE_SIZE];
};

/* ------------------------------------------------------------------ the cell */

static uint64_t load_state(const zeroipc_future* f) {
  return __atomic_load_n(&f->cell->state, __ATOMIC_ACQUIRE); /* (F4) */
}

static zipc_owner_word owner_word(const zeroipc_future* f) { return zipc_codata_owner_word(f->mapping, f->cell); }
static zipc_wait_word wait_word(const zeroipc_future* f) { return zipc_codata_wait_word(f->cell); }

/* Phases whose owner's death the readers must notice. */
static int owned(uint64_t w) {
  const unsigned phase = zeroipc_codata_phase(w);
  return phase == ZEROIPC_FUTURE_PENDING || phase == ZEROIPC_FUTURE_SETTING;
}

/* The OwnerCheck of a waiter: is the owner of the current state dead? */
static int producer_dead(const void* context, pid_t* who) {
  const zeroipc_future* f = (const zeroipc_future*)context;
  const uint64_t w = load_state(f);
  return owned(w) && zipc_owner_dead(owner_word(f), w, who);
}

/* The message (codata_word.c: at most 255 bytes, cut with " [truncated]"), as aligned 8-byte release stores. */
static void write_error(zeroipc_future* f, const char* message) { zipc_codata_write_error(f->cell, message); }

/* The stored message (untrusted bytes: cut at the first NUL or at byte 255). */
static const char* read_error(const zeroipc_future* f, char buf[ZEROIPC_CODATA_ERROR_SIZE]) {
  return zipc_codata_read_error(f->cell, buf);
}

/* ------------------------------------------------------------------ messages */

static int check_phase(const zeroipc_future* f, uint64_t w) {
  if (zeroipc_codata_phase(w) <= ZEROIPC_FUTURE_ERROR) return ZEROIPC_OK;
  return zipc_fail(ZEROIPC_E_CORRUPT,
                   "%s: unknown state phase %u in the segment (expected 0 pending, 1 setting, 2 ready or 3 error)",
                   f->where, zeroipc_codata_phase(w));
}

/* Why `w` cannot be set or claimed: "it already has a value (set by process 12)", ... */
static const char* settled_text(const zeroipc_future* f, uint64_t w, char* buf, size_t buf_size) {
  char by[64];
  char message[ZEROIPC_CODATA_ERROR_SIZE];
  zipc_process_text(zipc_owner_pid(owner_word(f), w), by, sizeof by);
  switch (zeroipc_codata_phase(w)) {
    case ZEROIPC_FUTURE_READY:
      snprintf(buf, buf_size, "it already has a value (set by %s)", by);
      break;
    case ZEROIPC_FUTURE_ERROR:
      snprintf(buf, buf_size, "it already has an error (set by %s): %s", by, read_error(f, message));
      break;
    default:
      snprintf(buf, buf_size, "%s is setting it now", by);
  }
  return buf;
}

static int fail_already_set(const zeroipc_future* f, uint64_t w) {
  char text[512];
  return zipc_fail(ZEROIPC_E_ALREADY_SET, "%s: %s; a Future is assigned once", f->where,
                   settled_text(f, w, text, sizeof text));
}

static int fail_error_set(const zeroipc_future* f, uint64_t w) {
  char by[64];
  char message[ZEROIPC_CODATA_ERROR_SIZE];
  return zipc_fail(ZEROIPC_E_FUTURE_ERROR, "%s: error set by %s: %s", f->where,
                   zipc_process_text(zipc_owner_pid(owner_word(f), w), by, sizeof by), read_error(f, message));
}

static int fail_dead(const zeroipc_future* f, uint64_t w, pid_t who) {
  char producer[64];
  return zipc_fail(ZEROIPC_E_PRODUCER_DIED, "%s: producer %s died before setting a value%s", f->where,
                   zipc_process_text(who, producer, sizeof producer),
                   zeroipc_codata_phase(w) == ZEROIPC_FUTURE_SETTING ? " (it died while setting it)" : "");
}

/* ------------------------------------------------------------------ create, open, close */

/* The creator is the producer (runs under the table lock, before publication). */
static int init_future(uint8_t* base, uint64_t capacity, void* context) {
  zeroipc_codata* cell = (zeroipc_codata*)(void*)base;
  zipc_mapping* m = (zipc_mapping*)context;
  const uint64_t w = zeroipc_codata_make(0, ZEROIPC_FUTURE_PENDING, zipc_self_key(m));
  (void)capacity;
  __atomic_store_n(&cell->state, w, __ATOMIC_RELAXED);
  zipc_owner_record(zipc_codata_owner_word(m, cell), w);
  return ZEROIPC_OK;
}

static int open_future(zeroipc_memory* mem, const char* name, uint32_t element_size, uint8_t dtype, int create,
                       zeroipc_future** out) {
  const zipc_struct_spec spec = zipc_codata_spec(ZEROIPC_KIND_FUTURE, "Future", element_size, dtype);
  zipc_mapping* m;
  zipc_opened opened;
  zeroipc_future* f;
  int status;
  if (mem == NULL || name == NULL || out == NULL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: %s: a NULL argument",
                     create ? "zeroipc_future_create" : "zeroipc_future_open");
  }
  *out = NULL;
  m = zipc_memory_mapping(mem);
  status = create ? zipc_structure_create(m, name, &spec, 1, init_future, m, &opened)
                  : zipc_structure_open(m, name, &spec, &opened);
  if (status != ZEROIPC_OK) return status;
  f = (zeroipc_future*)calloc(1, sizeof *f);
  if (f == NULL) return zipc_fail(ZEROIPC_E_NO_MEMORY, "zeroipc: out of memory for a Future handle");
  zipc_mapping_ref(m);
  f->mapping = m;
  f->cell = (zeroipc_codata*)(void*)opened.base;
  f->value = opened.base + ZEROIPC_CODATA_VALUE_OFFSET;
  f->element_size = opened.header.element_size;
  zipc_where(m, name, ZEROIPC_KIND_FUTURE, ZEROIPC_VARIANT_NONE, f->where, sizeof f->where);
  *out = f;
  return ZEROIPC_OK;
}

int zeroipc_future_create(zeroipc_memory* mem, const char* name, uint32_t element_size, uint8_t dtype,
                          zeroipc_future** out) {
  return open_future(mem, name, element_size, dtype, 1, out);
}

int zeroipc_future_open(zeroipc_memory* mem, const char* name, uint32_t element_size, uint8_t dtype,
                        zeroipc_future** out) {
  return open_future(mem, name, element_size, dtype, 0, out);
}

void zeroipc_future_close(zeroipc_future* future) {
  if (future == NULL) return;
  zipc_mapping_unref(future->mapping);
  free(future);
}

/* ------------------------------------------------------------------ setting */

/* pending -> setting(me), or a dead setter's setting -> setting(me): (F1). */
static int claim_setting(zeroipc_future* f, uint32_t me, uint64_t* claim) {
  for (;;) {
    uint64_t w = load_state(f);
    const unsigned phase = zeroipc_codata_phase(w);
    pid_t who = 0;
    const int status = check_phase(f, w);
    if (status != ZEROIPC_OK) return status;
    if (phase == ZEROIPC_FUTURE_READY || phase == ZEROIPC_FUTURE_ERROR) return fail_already_set(f, w);
    if (phase == ZEROIPC_FUTURE_SETTING && !zipc_owner_dead(owner_word(f), w, &who)) return fail_already_set(f, w);
    *claim = zipc_codata_next(w, ZEROIPC_FUTURE_SETTING, me);
    if (__atomic_compare_exchange_n(&f->cell->state, &w, *claim, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
      return ZEROIPC_OK; /* (F1) */
    }
  }
}

/* Claims the Future, writes the value (or the message), publishes the final phase, wakes. */
static int settle(zeroipc_future* f, unsigned final_phase, const void* value, const char* message) {
  const uint32_t me = zipc_self_key(f->mapping);
  uint64_t claim = 0;
  uint64_t expected;
  const int status = claim_setting(f, me, &claim);
  if (status != ZEROIPC_OK) return status;
  zipc_owner_record(owner_word(f), claim);
  if (final_phase == ZEROIPC_FUTURE_READY) {
    memcpy(f->value, value, f->element_size); /* (F2) */
  } else {
    write_error(f, message); /* (F2) */
  }
  expected = claim;
  if (!__atomic_compare_exchange_n(&f->cell->state, &expected, zipc_codata_next(claim, final_phase, me), 0,
                                   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) { /* (F3)(N1) */
    return zipc_fail(ZEROIPC_E_ALREADY_SET,
                     "%s: another process took over while this one was setting it "
                     "(this process was taken for dead)",
                     f->where);
  }
  zipc_wake_all(wait_word(f)); /* (N2) */
  return ZEROIPC_OK;
}

int zeroipc_future_set_value(zeroipc_future* future, const void* value) {
  if (future == NULL || value == NULL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_future_set_value: a NULL argument");
  }
  return settle(future, ZEROIPC_FUTURE_READY, value, NULL);
}

int zeroipc_future_set_error(zeroipc_future* future, const char* message) {
  if (future == NULL || message == NULL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_future_set_error: a NULL argument");
  }
  return settle(future, ZEROIPC_FUTURE_ERROR, NULL, message);
}

int zeroipc_future_claim_producer(zeroipc_future* future) {
  uint32_t me;
  if (future == NULL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_future_claim_producer: a NULL argument");
  }
  me = zipc_self_key(future->mapping);
  for (;;) {
    uint64_t w = load_state(future);
    uint64_t claim;
    if (zeroipc_codata_phase(w) != ZEROIPC_FUTURE_PENDING) {
      char text[512];
      const int status = check_phase(future, w);
      if (status != ZEROIPC_OK) return status;
      return zipc_fail(ZEROIPC_E_ALREADY_SET, "%s: cannot claim the producer role: %s", future->where,
                       settled_text(future, w, text, sizeof text));
    }
    if (zeroipc_codata_owner(w) == me) return ZEROIPC_OK;
    claim = zipc_codata_next(w, ZEROIPC_FUTURE_PENDING, me);
    if (__atomic_compare_exchange_n(&future->cell->state, &w, claim, 0, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST)) { /* (N1) */
      zipc_owner_record(owner_word(future), claim);
      zipc_wake_all(wait_word(future)); /* readers re-check the new producer */
      return ZEROIPC_OK;
    }
  }
}

/* ------------------------------------------------------------------ getting */

static int wait_until(const zeroipc_future* f, void* value, int64_t deadline) {
  zipc_owner_check check;
  check.dead = producer_dead;
  check.context = f;
  for (;;) {
    const uint64_t w = load_state(f); /* (F4) */
    zipc_wait_status s;
    pid_t who = 0;
    const int status = check_phase(f, w);
    if (status != ZEROIPC_OK) return status;
    if (zeroipc_codata_phase(w) == ZEROIPC_FUTURE_READY) {
      memcpy(value, f->value, f->element_size); /* immutable once ready */
      return ZEROIPC_OK;
    }
    if (zeroipc_codata_phase(w) == ZEROIPC_FUTURE_ERROR) return fail_error_set(f, w);
    s = zipc_wait_while_equal(wait_word(f), w, deadline, &check);
    if (s.result == ZIPC_WAIT_OWNER_DEAD) return fail_dead(f, w, s.owner);
    if (s.result == ZIPC_WAIT_TIMED_OUT) {
      /* a dead producer is an error, not a timeout */
      if (zipc_owner_dead(owner_word(f), w, &who)) return fail_dead(f, w, who);
      return zipc_fail(ZEROIPC_E_TIMEOUT, "%s: no value was set within the timeout", f->where);
    }
  }
}

int zeroipc_future_get(zeroipc_future* future, void* value, int64_t timeout_ns) {
  uint64_t w;
  if (future == NULL || value == NULL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_future_get: a NULL argument");
  }
  w = load_state(future); /* (F4) */
  if (zeroipc_codata_phase(w) == ZEROIPC_FUTURE_READY) {
    memcpy(value, future->value, future->element_size);
    return ZEROIPC_OK;
  }
  return wait_until(future, value, zipc_deadline_after(timeout_ns));
}

int zeroipc_future_is_ready(const zeroipc_future* future) {
  unsigned phase;
  if (future == NULL) return 0;
  phase = zeroipc_codata_phase(load_state(future));
  return phase == ZEROIPC_FUTURE_READY || phase == ZEROIPC_FUTURE_ERROR;
}
