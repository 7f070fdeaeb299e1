/* owner_lock.c — the owner lock (§3.2), as the C++ one
 * (variants/include/zeroipc/variants/detail/owner_lock.h).
 *
 *   word:   0 = free; otherwise holder key (31 bits) | 0x80000000 when someone may sleep on it
 *   holder: the holder's pid, for messages and tools only (0 = free or not yet written)
 *
 * Lock: CAS 0 -> key. Contended: read the word 256 times with the pause hint,
 * then set the waiters bit and FUTEX_WAIT (shared) on the observed value,
 * never past the next liveness check (every 20 ms, on the monotonic clock,
 * so that sleeps cut short by signals do not postpone it) or the deadline.
 * A dead holder's lock is taken over with CAS observed -> key | waiters: two
 * waiters that both find it dead expect the same word, one CAS wins and the
 * other then sees a live holder. Unlock: holder = 0, exchange the word with
 * 0, wake one sleeper if the waiters bit was set.
 *
 * Memory ordering: (L1) the acquire CAS that takes the lock pairs with (L2)
 * the release exchange that frees it: everything a holder wrote is visible
 * to the next holder.
 */
#include <stdint.h>
#include <stdio.h>

#include "internal.h"

/* Reads of a held word before sleeping: covers a running holder's critical section. */
#define ZIPC_OWNER_LOCK_SPINS 256
/* How often a waiter asks whether the holder lives (§3.2: at least every 20 ms). */
#define ZIPC_OWNER_CHECK_NS INT64_C(20000000)

static int timed_out(const char* what, uint64_t holder_pid, int64_t patience_ns) {
  char pid_text[32];
  if (holder_pid != 0) {
    snprintf(pid_text, sizeof pid_text, "%llu", (unsigned long long)holder_pid);
  } else {
    snprintf(pid_text, sizeof pid_text, "(pid not recorded)");
  }
  return zipc_fail(ZEROIPC_E_TIMEOUT, "%s is held by live process %s for longer than %lld ms", what, pid_text,
                   (long long)(patience_ns / 1000000));
}

int zipc_owner_lock(zipc_mapping* m, uint32_t* word, uint64_t* holder_pid, const char* what, int64_t patience_ns,
                    int* took_over) {
  const uint32_t me = zipc_self_key(m);
  uint32_t expected = 0;
  *took_over = 0;
  if (__atomic_compare_exchange_n(word, &expected, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) { /* (L1) */
    __atomic_store_n(holder_pid, (uint64_t)zipc_self_pid(), __ATOMIC_RELAXED);
    return ZEROIPC_OK;
  }
  const int64_t start = zipc_now_ns();
  const int64_t deadline = patience_ns < 0 || patience_ns > INT64_MAX - start ? INT64_MAX : start + patience_ns;
  int64_t next_check = start + ZIPC_OWNER_CHECK_NS;
  int contended = 0;
  for (int spins = 0;; ++spins) {
    uint32_t v = __atomic_load_n(word, __ATOMIC_RELAXED);
    if (v == 0) {
      const uint32_t mine = contended ? me | ZEROIPC_LOCK_WAITERS_BIT : me;
      if (__atomic_compare_exchange_n(word, &v, mine, 1, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) break; /* (L1) */
      continue;
    }
    if (spins < ZIPC_OWNER_LOCK_SPINS) {
      zipc_cpu_relax();
      continue;
    }
    if ((v & ZEROIPC_LOCK_WAITERS_BIT) == 0) {
      if (!__atomic_compare_exchange_n(word, &v, v | ZEROIPC_LOCK_WAITERS_BIT, 1, __ATOMIC_RELAXED,
                                       __ATOMIC_RELAXED)) {
        continue;
      }
      v |= ZEROIPC_LOCK_WAITERS_BIT;
    }
    contended = 1;
    const int64_t now = zipc_now_ns();
    if (now >= next_check || now >= deadline) {
      if (!zipc_key_alive(m, v & ZEROIPC_LOCK_KEY_MASK)) {
        /* If the word changed meanwhile (another waiter was faster, or the
         * holder released it), the CAS fails and we go round again. */
        if (__atomic_compare_exchange_n(word, &v, me | ZEROIPC_LOCK_WAITERS_BIT, 0, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED)) { /* (L1) */
          *took_over = 1;
          break;
        }
        continue;
      }
      if (now >= deadline) return timed_out(what, __atomic_load_n(holder_pid, __ATOMIC_RELAXED), patience_ns);
      next_check = now + ZIPC_OWNER_CHECK_NS;
    }
    /* Sleep until the next check or the deadline; a signal only cuts it short. */
    zipc_futex_wait(word, v, (next_check < deadline ? next_check : deadline) - now);
  }
  __atomic_store_n(holder_pid, (uint64_t)zipc_self_pid(), __ATOMIC_RELAXED);
  return ZEROIPC_OK;
}

void zipc_owner_unlock(uint32_t* word, uint64_t* holder_pid) {
  __atomic_store_n(holder_pid, 0, __ATOMIC_RELAXED);
  const uint32_t old = __atomic_exchange_n(word, 0, __ATOMIC_RELEASE); /* (L2) */
  if (old & ZEROIPC_LOCK_WAITERS_BIT) zipc_futex_wake(word, 1);
}
