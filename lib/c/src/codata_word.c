/* codata_word.c — the §7.4 state word's owner record and the bounded futex
 * waits that Future (§7.4) and Channel (§7.6) share; see codata_word.h. As
 * the C++ zeroipc/detail/wait.h and CodataCell (zeroipc/future.h).
 */
#include <limits.h>
#include <stdio.h>

#include "codata_word.h"

/* Spin rounds (one pause each) before the first sleep: a few microseconds. */
#define ZIPC_WAIT_SPINS 64
/* Longest sleep of a waiter that depends on an owner: its death is noticed within this. */
#define ZIPC_OWNER_CHECK_NS INT64_C(20000000)
/* Longest sleep of any other waiter: bounds the cost of a lost wake. */
#define ZIPC_LOST_WAKE_NS INT64_C(250000000)

int64_t zipc_deadline_after(int64_t timeout_ns) {
  const int64_t now = zipc_now_ns();
  if (timeout_ns < 0 || timeout_ns >= ZIPC_FOREVER - now) return ZIPC_FOREVER;
  return now + timeout_ns;
}

int zipc_deadline_passed(int64_t deadline, int64_t now) { return deadline != ZIPC_FOREVER && now >= deadline; }

uint64_t zipc_codata_next(uint64_t w, unsigned phase, uint32_t owner) {
  return zeroipc_codata_make(zeroipc_codata_sequence(w) + 1u, phase, owner);
}

/* ------------------------------------------------------------------ waiting */

static uint64_t load_word(zipc_wait_word w) { return __atomic_load_n(w.word, __ATOMIC_ACQUIRE); /* (W3) */ }

/* The 32 bits the kernel compares: the low-order half of the word (little-endian). */
static uint32_t* futex_half(zipc_wait_word w) { return (uint32_t*)(void*)w.word; }

/* One counted sleep of at most slice_ns while the word holds `expected`. */
static void sleep_once(zipc_wait_word w, uint64_t expected, int64_t slice_ns) {
  __atomic_fetch_add(w.sleepers, 1u, __ATOMIC_SEQ_CST);              /* (W1) */
  if (__atomic_load_n(w.word, __ATOMIC_SEQ_CST) == expected) {      /* (W2) */
    zipc_futex_wait(futex_half(w), (uint32_t)expected, slice_ns);
  }
  __atomic_fetch_sub(w.sleepers, 1u, __ATOMIC_RELAXED);
}

static zipc_wait_status wait_status(zipc_wait_result result, uint64_t value, pid_t owner) {
  zipc_wait_status s;
  s.result = result;
  s.value = value;
  s.owner = owner;
  return s;
}

zipc_wait_status zipc_wait_while_equal(zipc_wait_word w, uint64_t expected, int64_t deadline,
                                       const zipc_owner_check* owner) {
  const int64_t interval = owner != NULL ? ZIPC_OWNER_CHECK_NS : ZIPC_LOST_WAKE_NS;
  int64_t next_check;
  uint64_t v;
  int i;
  for (i = 0; i < ZIPC_WAIT_SPINS; ++i) {
    v = load_word(w);
    if (v != expected) return wait_status(ZIPC_WAIT_CHANGED, v, 0);
    zipc_cpu_relax();
  }
  next_check = zipc_now_ns() + interval;
  for (;;) {
    const int64_t now = zipc_now_ns();
    int64_t slice;
    if (owner != NULL && now >= next_check) {
      pid_t who = 0;
      const int dead = owner->dead(owner->context, &who);
      v = load_word(w);
      if (v != expected) return wait_status(ZIPC_WAIT_CHANGED, v, 0);
      if (dead) return wait_status(ZIPC_WAIT_OWNER_DEAD, v, who);
      next_check = now + interval;
    }
    if (zipc_deadline_passed(deadline, now)) {
      v = load_word(w);
      return wait_status(v != expected ? ZIPC_WAIT_CHANGED : ZIPC_WAIT_TIMED_OUT, v, 0);
    }
    slice = owner != NULL ? next_check - now : interval;
    if (deadline != ZIPC_FOREVER && deadline - now < slice) slice = deadline - now;
    sleep_once(w, expected, slice);
    v = load_word(w);
    if (v != expected) return wait_status(ZIPC_WAIT_CHANGED, v, 0);
  }
}

void zipc_wake_all(zipc_wait_word w) {
  if (__atomic_load_n(w.sleepers, __ATOMIC_SEQ_CST) != 0) zipc_futex_wake(futex_half(w), INT32_MAX); /* (N2) */
}

/* ------------------------------------------------------------------ the owner record */

void zipc_owner_record(zipc_owner_word o, uint64_t claim) {
  __atomic_store_n(o.pid, (uint64_t)zipc_self_pid(), __ATOMIC_RELEASE);                  /* (O1) */
  __atomic_store_n(o.tag, zeroipc_codata_owner(claim), __ATOMIC_RELEASE);        /* (O2) */
}

pid_t zipc_owner_pid(zipc_owner_word o, uint64_t w) {
  const uint32_t tag = __atomic_load_n(o.tag, __ATOMIC_ACQUIRE);  /* (O3) */
  const uint64_t pid = __atomic_load_n(o.pid, __ATOMIC_ACQUIRE);  /* (O4) */
  if (tag != zeroipc_codata_owner(w) || pid == 0 || pid > INT_MAX) return 0;
  return __atomic_load_n(o.word, __ATOMIC_ACQUIRE) == w ? (pid_t)pid : 0;  /* (O5) */
}

int zipc_owner_dead(zipc_owner_word o, uint64_t w, pid_t* who) {
  *who = zipc_owner_pid(o, w);
  if (zipc_key_alive(o.mapping, zeroipc_codata_owner(w))) return 0;
  return __atomic_load_n(o.word, __ATOMIC_ACQUIRE) == w;  /* (O5) */
}

/* ------------------------------------------------------------------ messages */

const char* zipc_process_text(pid_t pid, char* buf, size_t buf_size) {
  if (pid > 0) {
    snprintf(buf, buf_size, "process %d", (int)pid);
  } else {
    snprintf(buf, buf_size, "a process (pid not recorded)");
  }
  return buf;
}
