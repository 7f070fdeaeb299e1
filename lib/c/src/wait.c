/* wait.c — the monotonic clock and process-shared futex waits (§3.2: the
 * owner lock and every sleeper in a segment use FUTEX_WAIT/FUTEX_WAKE, not
 * the private variants: the kernel keys the queue on the page, not on the
 * address, which differs between processes). */
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

void zipc_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

int64_t zipc_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Returns on a wake, a changed value, a signal or the timeout: callers re-check in a loop. */
void zipc_futex_wait(uint32_t* word, uint32_t expected, int64_t timeout_ns) {
  struct timespec ts;
  struct timespec* limit = NULL;
  if (timeout_ns >= 0) {
    ts.tv_sec = (time_t)(timeout_ns / 1000000000);
    ts.tv_nsec = (long)(timeout_ns % 1000000000);
    limit = &ts;
  }
  syscall(SYS_futex, word, FUTEX_WAIT, expected, limit, NULL, 0);
}

void zipc_futex_wake(uint32_t* word, int count) { syscall(SYS_futex, word, FUTEX_WAKE, count, NULL, NULL, 0); }
