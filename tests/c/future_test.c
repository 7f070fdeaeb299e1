/* future_test.c — the C Future (SPECIFICATION.md §7.4, lib/c/src/future.c):
 * set and get, timeouts, single assignment, stored errors (and their
 * truncation), a dead producer, a waiter woken by the futex, and the
 * element-size check. Processes are fork()ed; the segment name holds the pid. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "zeroipc.h"
#include "zeroipc/layout/codata.h"

static char segment[64];
static zeroipc_memory* mem;

static zeroipc_future* make_future(const char* name) {
  zeroipc_future* f = NULL;
  CHECK_STATUS(zeroipc_future_create(mem, name, sizeof(uint64_t), ZEROIPC_DTYPE_U64, &f), ZEROIPC_OK);
  return f;
}

/* The §7.4 layout of `name` in this process's mapping (for the sleeper count). */
static zeroipc_codata* cell_of(const char* name) { return (zeroipc_codata*)check_structure_at(mem, name); }

static void test_set_then_get(void) {
  zeroipc_future* f = make_future("set_get");
  uint64_t v = 0;
  const uint64_t expected = 0x1234567890abcdefu;
  CHECK(!zeroipc_future_is_ready(f));
  CHECK_STATUS(zeroipc_future_set_value(f, &expected), ZEROIPC_OK);
  CHECK(zeroipc_future_is_ready(f));
  CHECK_STATUS(zeroipc_future_get(f, &v, -1), ZEROIPC_OK);
  CHECK_EQ_U64(v, expected);
  v = 0;
  CHECK_STATUS(zeroipc_future_get(f, &v, 0), ZEROIPC_OK);
  CHECK_EQ_U64(v, expected);
  zeroipc_future_close(f);
}

static void test_timeout(void) {
  zeroipc_future* f = make_future("pending");
  uint64_t v = 0;
  const int64_t start = check_now_ns();
  CHECK_STATUS(zeroipc_future_get(f, &v, 50000000), ZEROIPC_E_TIMEOUT);
  CHECK(check_now_ns() - start >= 50000000);
  CHECK_STATUS(zeroipc_future_get(f, &v, 0), ZEROIPC_E_TIMEOUT);
  CHECK(!zeroipc_future_is_ready(f));
  zeroipc_future_close(f);
}

static void test_set_twice(void) {
  zeroipc_future* f = make_future("twice");
  const uint64_t one = 1, two = 2;
  uint64_t v = 0;
  char expected[256];
  CHECK_STATUS(zeroipc_future_set_value(f, &one), ZEROIPC_OK);
  CHECK_STATUS(zeroipc_future_set_value(f, &two), ZEROIPC_E_ALREADY_SET);
  snprintf(expected, sizeof expected,
           "zeroipc: segment '%s', future 'twice': it already has a value (set by process %d); "
           "a Future is assigned once",
           segment, (int)getpid());
  CHECK(strcmp(zeroipc_last_error(), expected) == 0);
  CHECK_STATUS(zeroipc_future_set_error(f, "late"), ZEROIPC_E_ALREADY_SET);
  CHECK_STATUS(zeroipc_future_claim_producer(f), ZEROIPC_E_ALREADY_SET);
  CHECK_MESSAGE_HAS("cannot claim the producer role: it already has a value");
  CHECK_STATUS(zeroipc_future_get(f, &v, -1), ZEROIPC_OK);
  CHECK_EQ_U64(v, 1);
  zeroipc_future_close(f);
}

static void test_set_error(void) {
  zeroipc_future* f = make_future("error");
  const uint64_t one = 1;
  uint64_t v = 0;
  char expected[256];
  CHECK_STATUS(zeroipc_future_set_error(f, "diverged at step 812"), ZEROIPC_OK);
  CHECK(zeroipc_future_is_ready(f));
  CHECK_STATUS(zeroipc_future_get(f, &v, -1), ZEROIPC_E_FUTURE_ERROR);
  snprintf(expected, sizeof expected, "zeroipc: segment '%s', future 'error': error set by process %d: diverged at step 812",
           segment, (int)getpid());
  CHECK(strcmp(zeroipc_last_error(), expected) == 0);
  CHECK_STATUS(zeroipc_future_set_value(f, &one), ZEROIPC_E_ALREADY_SET);
  CHECK_MESSAGE_HAS("it already has an error (set by process");
  CHECK_MESSAGE_HAS("): diverged at step 812; a Future is assigned once");
  zeroipc_future_close(f);
}

/* A message longer than 255 bytes keeps 243 bytes (cut back to a UTF-8
 * character boundary) and ends in " [truncated]". */
static void test_long_message(void) {
  zeroipc_future* f = make_future("long");
  char message[400];
  char stored[300];
  uint64_t v = 0;
  const char* error;
  memset(message, 'a', sizeof message - 1);
  message[sizeof message - 1] = '\0';
  message[242] = (char)0xC3; /* U+00E9 at bytes 242-243: byte 243 is a continuation byte */
  message[243] = (char)0xA9;
  CHECK_STATUS(zeroipc_future_set_error(f, message), ZEROIPC_OK);
  CHECK_STATUS(zeroipc_future_get(f, &v, 0), ZEROIPC_E_FUTURE_ERROR);
  memset(stored, 'a', 242);
  strcpy(stored + 242, " [truncated]");
  error = zeroipc_last_error();
  CHECK(strlen(error) > strlen(stored));
  CHECK(strcmp(error + strlen(error) - strlen(stored), stored) == 0);
  CHECK(strlen(stored) == 254);
  zeroipc_future_close(f);
}

/* A child claims the producer role and is killed: the parent's get fails promptly. */
static void test_producer_died(void) {
  zeroipc_future* f = make_future("orphan");
  int ready[2];
  char byte = 0;
  uint64_t v = 0;
  const uint64_t late = 7;
  int64_t start;
  pid_t child;
  char expected[256];
  CHECK(pipe(ready) == 0);
  child = fork();
  if (child == 0) {
    const int status = zeroipc_future_claim_producer(f);
    if (write(ready[1], status == ZEROIPC_OK ? "y" : "n", 1) != 1) _exit(1);
    for (;;) pause();
  }
  CHECK(read(ready[0], &byte, 1) == 1);
  CHECK(byte == 'y');
  CHECK_STATUS(zeroipc_future_get(f, &v, 30000000), ZEROIPC_E_TIMEOUT); /* the producer lives */
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  start = check_now_ns();
  CHECK_STATUS(zeroipc_future_get(f, &v, 10000000000), ZEROIPC_E_PRODUCER_DIED);
  CHECK(check_now_ns() - start < 1000000000);
  snprintf(expected, sizeof expected,
           "zeroipc: segment '%s', future 'orphan': producer process %d died before setting a value", segment,
           (int)child);
  CHECK(strcmp(zeroipc_last_error(), expected) == 0);
  CHECK_STATUS(zeroipc_future_set_value(f, &late), ZEROIPC_OK); /* a later set still works */
  CHECK_STATUS(zeroipc_future_get(f, &v, 0), ZEROIPC_OK);
  CHECK_EQ_U64(v, late);
  close(ready[0]);
  close(ready[1]);
  zeroipc_future_close(f);
}

static int compare_i64(const void* a, const void* b) {
  const int64_t x = *(const int64_t*)a, y = *(const int64_t*)b;
  return (x > y) - (x < y);
}

/* One round: a child asleep in get (counted in `sleepers`) is woken by the
 * set; returns the latency from the set to the child's return. */
static int64_t wake_latency(int round) {
  char name[32];
  zeroipc_future* f;
  zeroipc_codata* cell;
  int done[2];
  int64_t woke = 0, start, deadline;
  const uint64_t value = 1000u + (uint64_t)round;
  pid_t child;
  snprintf(name, sizeof name, "wake%d", round);
  f = make_future(name);
  cell = cell_of(name);
  CHECK(pipe(done) == 0);
  child = fork();
  if (child == 0) {
    uint64_t v = 0;
    const int s = zeroipc_future_get(f, &v, -1);
    const int64_t t = check_now_ns();
    if (write(done[1], &t, sizeof t) != (ssize_t)sizeof t) _exit(2);
    _exit(s == ZEROIPC_OK && v == value ? 0 : 1);
  }
  deadline = check_now_ns() + 2000000000;
  while (__atomic_load_n(&cell->sleepers, __ATOMIC_SEQ_CST) == 0 && check_now_ns() < deadline) usleep(1000);
  CHECK(__atomic_load_n(&cell->sleepers, __ATOMIC_SEQ_CST) != 0); /* asleep on the futex */
  start = check_now_ns();
  CHECK_STATUS(zeroipc_future_set_value(f, &value), ZEROIPC_OK);
  CHECK(read(done[0], &woke, sizeof woke) == (ssize_t)sizeof woke);
  CHECK(check_child_ok(child));
  close(done[0]);
  close(done[1]);
  zeroipc_future_close(f);
  return woke - start;
}

/* Woken by FUTEX_WAKE, not by the next 20 ms owner-check slice: the median
 * latency of several rounds stays far below the slice. */
static void test_woken_by_set(void) {
  enum { kRounds = 7 };
  int64_t latency[kRounds];
  int i;
  for (i = 0; i < kRounds; ++i) latency[i] = wake_latency(i);
  qsort(latency, kRounds, sizeof latency[0], compare_i64);
  printf("future: wake latency median %lld us, max %lld us\n", (long long)(latency[kRounds / 2] / 1000),
         (long long)(latency[kRounds - 1] / 1000));
  CHECK(latency[kRounds / 2] < 5000000);
  CHECK(latency[kRounds - 1] < 1000000000);
}

static void test_mismatch(void) {
  zeroipc_future* f = make_future("sized");
  zeroipc_future* g = NULL;
  CHECK_STATUS(zeroipc_future_open(mem, "sized", sizeof(uint32_t), ZEROIPC_DTYPE_OPAQUE, &g), ZEROIPC_E_MISMATCH);
  CHECK(g == NULL);
  CHECK_STATUS(zeroipc_future_create(mem, "sized", sizeof(uint32_t), ZEROIPC_DTYPE_OPAQUE, &g), ZEROIPC_E_MISMATCH);
  CHECK_STATUS(zeroipc_future_open(mem, "missing", sizeof(uint64_t), ZEROIPC_DTYPE_U64, &g), ZEROIPC_E_NOT_FOUND);
  CHECK_STATUS(zeroipc_future_open(mem, "sized", sizeof(uint64_t), ZEROIPC_DTYPE_U64, &g), ZEROIPC_OK);
  zeroipc_future_close(g);
  zeroipc_future_close(f);
}

int main(void) {
  mem = check_segment_create(segment, sizeof segment, "future", 1u << 20);
  if (mem == NULL) return 1;
  test_set_then_get();
  test_timeout();
  test_set_twice();
  test_set_error();
  test_long_message();
  test_producer_died();
  test_woken_by_set();
  test_mismatch();
  return check_segment_finish(mem, segment, "future");
}
