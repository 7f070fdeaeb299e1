/* lazy_test.c — the C Lazy (SPECIFICATION.md §7.4, kind 9, lib/c/src/lazy.c):
 * claim and publish, exactly one computation across forked processes racing,
 * a killed computer taken over, a stored error (and invalidate for a retry),
 * demand served by a provider process, a claim dropped by close, the C++
 * LazyError texts, and the element-size check. The segment name holds the pid. */
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

static zeroipc_lazy* make_lazy(const char* name) {
  zeroipc_lazy* z = NULL;
  CHECK_STATUS(zeroipc_lazy_create(mem, name, sizeof(uint64_t), ZEROIPC_DTYPE_U64, &z), ZEROIPC_OK);
  return z;
}

/* The §7.4 layout of `name` in this process's mapping. */
static zeroipc_codata* cell_of(const char* name) { return (zeroipc_codata*)check_structure_at(mem, name); }

/* "zeroipc: segment '<seg>', lazy '<name>'" */
static const char* where(const char* name, char* buf, size_t size) {
  snprintf(buf, size, "zeroipc: segment '%s', lazy '%s'", segment, name);
  return buf;
}

static void test_claim_publish(void) {
  zeroipc_lazy* z = make_lazy("basic");
  zeroipc_codata* cell = cell_of("basic");
  uint64_t v = 0;
  const uint64_t value = 0x0123456789abcdefu;
  char expected[512], w[128];
  CHECK(!zeroipc_lazy_is_ready(z));
  CHECK_EQ_U64(__atomic_load_n(&cell->state, __ATOMIC_SEQ_CST), 0); /* all zero: EMPTY, sequence 0 */
  /* Nobody computes it: the reader demands it once, then gives up after its timeout. */
  zeroipc_lazy_set_timeout(z, 50000000);
  CHECK_STATUS(zeroipc_lazy_get(z, &v, -1), ZEROIPC_E_LAZY_NO_COMPUTATION);
  snprintf(expected, sizeof expected,
           "%s: no process computed it within ", where("basic", w, sizeof w));
  CHECK(strncmp(zeroipc_last_error(), expected, strlen(expected)) == 0);
  CHECK_MESSAGE_HAS(" ms, and this process has no computation (pass one to the constructor or set_computation())");
  CHECK_EQ_U64(__atomic_load_n(&cell->demand, __ATOMIC_SEQ_CST), 1);
  /* The computing claim. */
  CHECK_STATUS(zeroipc_lazy_acquire(z, &v, -1), ZEROIPC_CLAIMED);
  CHECK_EQ_U64(zeroipc_codata_phase(cell->state), ZEROIPC_LAZY_COMPUTING);
  CHECK_EQ_U64(zeroipc_codata_sequence(cell->state), 1);
  CHECK(zeroipc_lazy_computing_process(z) == getpid());
  CHECK_STATUS(zeroipc_lazy_get(z, &v, -1), ZEROIPC_E_LAZY_RECURSIVE);
  snprintf(expected, sizeof expected, "%s: its computation asked for its own value (it would wait for itself)",
           where("basic", w, sizeof w));
  CHECK(strcmp(zeroipc_last_error(), expected) == 0);
  CHECK_STATUS(zeroipc_lazy_publish(z, &value), ZEROIPC_OK);
  CHECK_EQ_U64(zeroipc_codata_phase(cell->state), ZEROIPC_LAZY_READY);
  CHECK_EQ_U64(zeroipc_codata_sequence(cell->state), 2);
  CHECK(zeroipc_lazy_is_ready(z));
  CHECK_STATUS(zeroipc_lazy_publish(z, &value), ZEROIPC_E_INVALID_ARGUMENT); /* no claim any more */
  CHECK_STATUS(zeroipc_lazy_get(z, &v, 0), ZEROIPC_OK);
  CHECK_EQ_U64(v, value);
  v = 0;
  CHECK_STATUS(zeroipc_lazy_acquire(z, &v, 0), ZEROIPC_OK); /* cached: no second computation */
  CHECK_EQ_U64(v, value);
  CHECK_EQ_U64(zeroipc_lazy_generation(z), 0);
  zeroipc_lazy_close(z);
}

/* N processes with the computation race on one empty Lazy: one computes. */
static void test_exactly_once(void) {
  enum { kProcs = 6 };
  const uint64_t value = 4242;
  zeroipc_array* counter = NULL;
  uint64_t* count;
  pid_t children[kProcs];
  int gate[2];
  int i, ok = 0;
  CHECK_STATUS(zeroipc_array_create(mem, "once_runs", 1, sizeof(uint64_t), ZEROIPC_DTYPE_U64, &counter),
               ZEROIPC_OK);
  count = (uint64_t*)zeroipc_array_data(counter);
  CHECK(pipe(gate) == 0);
  for (i = 0; i < kProcs; ++i) {
    children[i] = fork();
    if (children[i] == 0) {
      zeroipc_lazy* z = NULL;
      uint64_t v = 0;
      char go;
      int s;
      close(gate[1]);
      if (read(gate[0], &go, 1) != 0) _exit(3); /* the parent closes the pipe: all start at once */
      if (zeroipc_lazy_create(mem, "once", sizeof v, ZEROIPC_DTYPE_U64, &z) != ZEROIPC_OK) _exit(4);
      s = zeroipc_lazy_acquire(z, &v, -1);
      if (s == ZEROIPC_CLAIMED) {
        __atomic_fetch_add(count, 1u, __ATOMIC_SEQ_CST);
        usleep(50000); /* the others arrive while it computes */
        v = value;
        if (zeroipc_lazy_publish(z, &v) != ZEROIPC_OK) _exit(5);
      } else if (s != ZEROIPC_OK) {
        fprintf(stderr, "acquire: %s\n", zeroipc_last_error());
        _exit(6);
      }
      v = 0;
      if (zeroipc_lazy_get(z, &v, -1) != ZEROIPC_OK || v != value) _exit(7);
      zeroipc_lazy_close(z);
      _exit(0);
    }
  }
  close(gate[0]);
  close(gate[1]);
  for (i = 0; i < kProcs; ++i) ok += check_child_ok(children[i]);
  CHECK_EQ_U64(ok, kProcs);
  CHECK_EQ_U64(__atomic_load_n(count, __ATOMIC_SEQ_CST), 1);
  zeroipc_array_close(counter);
}

/* The computing process is SIGKILLed: a reader without the computation fails
 * with the C++ text after its timeout; a process with it takes the claim over. */
static void test_dead_computer(void) {
  zeroipc_lazy* z = make_lazy("orphan");
  zeroipc_lazy* reader = NULL;
  int ready[2];
  char byte = 0;
  uint64_t v = 0;
  const uint64_t value = 99;
  int64_t start;
  pid_t child;
  char expected[512], w[128];
  CHECK_STATUS(zeroipc_lazy_open(mem, "orphan", sizeof v, ZEROIPC_DTYPE_U64, &reader), ZEROIPC_OK);
  CHECK(pipe(ready) == 0);
  child = fork();
  if (child == 0) {
    uint64_t mine = 0;
    const int status = zeroipc_lazy_acquire(z, &mine, -1);
    if (write(ready[1], status == ZEROIPC_CLAIMED ? "y" : "n", 1) != 1) _exit(1);
    for (;;) pause();
  }
  CHECK(read(ready[0], &byte, 1) == 1);
  CHECK(byte == 'y');
  CHECK(zeroipc_lazy_computing_process(reader) == child);
  CHECK_STATUS(zeroipc_lazy_get(reader, &v, 30000000), ZEROIPC_E_TIMEOUT); /* a live computer */
  CHECK_STATUS(zeroipc_lazy_invalidate(reader), ZEROIPC_E_LAZY_BUSY);
  snprintf(expected, sizeof expected, "%s: cannot invalidate while process %d computes it",
           where("orphan", w, sizeof w), (int)child);
  CHECK(strcmp(zeroipc_last_error(), expected) == 0);
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  zeroipc_lazy_set_timeout(reader, 100000000);
  CHECK_STATUS(zeroipc_lazy_get(reader, &v, -1), ZEROIPC_E_LAZY_OWNER_DIED);
  snprintf(expected, sizeof expected,
           "%s: the computing process %d died and no waiting process has the computation (none took over within ",
           where("orphan", w, sizeof w), (int)child);
  CHECK(strncmp(zeroipc_last_error(), expected, strlen(expected)) == 0);
  CHECK_MESSAGE_HAS(" ms; give one a computation, or invalidate())");
  start = check_now_ns();
  CHECK_STATUS(zeroipc_lazy_acquire(z, &v, -1), ZEROIPC_CLAIMED); /* taken over */
  CHECK(check_now_ns() - start < 2000000000);
  CHECK(zeroipc_lazy_computing_process(reader) == getpid());
  CHECK_STATUS(zeroipc_lazy_publish(z, &value), ZEROIPC_OK);
  CHECK_STATUS(zeroipc_lazy_get(reader, &v, 0), ZEROIPC_OK);
  CHECK_EQ_U64(v, value);
  close(ready[0]);
  close(ready[1]);
  zeroipc_lazy_close(reader);
  zeroipc_lazy_close(z);
}

/* A failed computation is stored for everyone until invalidate(). */
static void test_error_and_invalidate(void) {
  zeroipc_lazy* z = make_lazy("failing");
  uint64_t v = 0;
  const uint64_t value = 5;
  pid_t child;
  char expected[512], w[128];
  CHECK_STATUS(zeroipc_lazy_invalidate(z), ZEROIPC_EMPTY);
  CHECK_STATUS(zeroipc_lazy_acquire(z, &v, -1), ZEROIPC_CLAIMED);
  CHECK_STATUS(zeroipc_lazy_fail(z, "division by zero"), ZEROIPC_E_LAZY_FAILED);
  snprintf(expected, sizeof expected, "%s: the computation failed in process %d: division by zero",
           where("failing", w, sizeof w), (int)getpid());
  CHECK(strcmp(zeroipc_last_error(), expected) == 0);
  CHECK(zeroipc_lazy_has_error(z));
  CHECK(!zeroipc_lazy_is_ready(z));
  child = fork();
  if (child == 0) { /* another process, with the computation even: the error stands */
    zeroipc_lazy* other = NULL;
    uint64_t x = 0;
    int s;
    if (zeroipc_lazy_open(mem, "failing", sizeof x, ZEROIPC_DTYPE_U64, &other) != ZEROIPC_OK) _exit(2);
    s = zeroipc_lazy_acquire(other, &x, 1000000000);
    _exit(s == ZEROIPC_E_LAZY_FAILED && strcmp(zeroipc_last_error(), expected) == 0 ? 0 : 1);
  }
  CHECK(check_child_ok(child));
  CHECK_STATUS(zeroipc_lazy_get(z, &v, 0), ZEROIPC_E_LAZY_FAILED);
  CHECK(strcmp(zeroipc_last_error(), expected) == 0);
  CHECK_STATUS(zeroipc_lazy_invalidate(z), ZEROIPC_OK);
  CHECK_EQ_U64(zeroipc_lazy_generation(z), 1);
  CHECK(!zeroipc_lazy_has_error(z));
  CHECK_STATUS(zeroipc_lazy_invalidate(z), ZEROIPC_EMPTY);
  CHECK_STATUS(zeroipc_lazy_acquire(z, &v, -1), ZEROIPC_CLAIMED); /* the retry */
  CHECK_STATUS(zeroipc_lazy_publish(z, &value), ZEROIPC_OK);
  CHECK_STATUS(zeroipc_lazy_get(z, &v, 0), ZEROIPC_OK);
  CHECK_EQ_U64(v, value);
  CHECK_STATUS(zeroipc_lazy_invalidate(z), ZEROIPC_OK);
  CHECK_EQ_U64(zeroipc_lazy_generation(z), 2);
  CHECK(!zeroipc_lazy_is_ready(z));
  zeroipc_lazy_close(z);
}

/* A reader without the computation demands it; a provider process computes it. */
static void test_demand(void) {
  zeroipc_lazy* z = make_lazy("demanded");
  zeroipc_codata* cell = cell_of("demanded");
  uint64_t v = 0;
  const uint64_t value = 777;
  int64_t deadline;
  pid_t provider = fork();
  if (provider == 0) {
    zeroipc_lazy* p = NULL;
    uint64_t x = value;
    int s;
    if (zeroipc_lazy_open(mem, "demanded", sizeof x, ZEROIPC_DTYPE_U64, &p) != ZEROIPC_OK) _exit(2);
    s = zeroipc_lazy_wait_demand(p, 10000000000);
    if (s != ZEROIPC_OK) _exit(3);
    s = zeroipc_lazy_acquire(p, &x, 0);
    if (s != ZEROIPC_CLAIMED) _exit(4);
    x = value;
    if (zeroipc_lazy_publish(p, &x) != ZEROIPC_OK) _exit(5);
    /* Served: a later wait sees no new demand while the value is there. */
    _exit(zeroipc_lazy_wait_demand(p, 50000000) == ZEROIPC_EMPTY ? 0 : 6);
  }
  /* Let the provider fall asleep on `demand` first (also works without: a late provider serves). */
  deadline = check_now_ns() + 2000000000;
  while (__atomic_load_n(&cell->demand_sleepers, __ATOMIC_SEQ_CST) == 0 && check_now_ns() < deadline) usleep(1000);
  CHECK(__atomic_load_n(&cell->demand_sleepers, __ATOMIC_SEQ_CST) != 0);
  CHECK_STATUS(zeroipc_lazy_get(z, &v, -1), ZEROIPC_OK);
  CHECK_EQ_U64(v, value);
  CHECK(check_child_ok(provider));
  zeroipc_lazy_close(z);
}

/* A handle closed while it holds the claim fails it: nobody waits for a value that will not come. */
static void test_close_with_claim(void) {
  zeroipc_lazy* z = make_lazy("dropped");
  zeroipc_lazy* reader = make_lazy("dropped");
  uint64_t v = 0;
  CHECK_STATUS(zeroipc_lazy_acquire(z, &v, -1), ZEROIPC_CLAIMED);
  zeroipc_lazy_close(z);
  CHECK_STATUS(zeroipc_lazy_get(reader, &v, 0), ZEROIPC_E_LAZY_FAILED);
  CHECK_MESSAGE_HAS(": the computing handle was closed before it published a value");
  zeroipc_lazy_close(reader);
}

/* A value that is not a multiple of 8 bytes round-trips, padding zeroed. */
struct odd {
  char text[13];
};

static void test_odd_size(void) {
  zeroipc_lazy* z = NULL;
  struct odd in, out;
  zeroipc_codata* cell;
  memset(&in, 0, sizeof in);
  memset(&out, 0, sizeof out);
  memcpy(in.text, "hello, lazy!", 13);
  CHECK_STATUS(zeroipc_lazy_create(mem, "odd", sizeof in, ZEROIPC_DTYPE_OPAQUE, &z), ZEROIPC_OK);
  cell = cell_of("odd");
  CHECK_STATUS(zeroipc_lazy_acquire(z, &out, -1), ZEROIPC_CLAIMED);
  CHECK_STATUS(zeroipc_lazy_publish(z, &in), ZEROIPC_OK);
  CHECK_STATUS(zeroipc_lazy_get(z, &out, 0), ZEROIPC_OK);
  CHECK(memcmp(in.text, out.text, sizeof in.text) == 0);
  CHECK(((uint8_t*)cell)[ZEROIPC_CODATA_VALUE_OFFSET + 13] == 0);
  CHECK(((uint8_t*)cell)[ZEROIPC_CODATA_VALUE_OFFSET + 15] == 0);
  zeroipc_lazy_close(z);
}

static void test_mismatch(void) {
  zeroipc_lazy* z = make_lazy("sized");
  zeroipc_lazy* g = NULL;
  zeroipc_future* f = NULL;
  CHECK_STATUS(zeroipc_lazy_open(mem, "sized", sizeof(uint32_t), ZEROIPC_DTYPE_OPAQUE, &g), ZEROIPC_E_MISMATCH);
  CHECK(g == NULL);
  CHECK_STATUS(zeroipc_lazy_create(mem, "sized", sizeof(uint32_t), ZEROIPC_DTYPE_U32, &g), ZEROIPC_E_MISMATCH);
  CHECK_STATUS(zeroipc_lazy_open(mem, "missing", sizeof(uint64_t), ZEROIPC_DTYPE_U64, &g), ZEROIPC_E_NOT_FOUND);
  CHECK_STATUS(zeroipc_future_open(mem, "sized", sizeof(uint64_t), ZEROIPC_DTYPE_U64, &f), ZEROIPC_E_MISMATCH);
  CHECK_STATUS(zeroipc_lazy_open(mem, "sized", sizeof(uint64_t), ZEROIPC_DTYPE_U64, &g), ZEROIPC_OK);
  zeroipc_lazy_close(g);
  zeroipc_lazy_close(z);
}

int main(void) {
  mem = check_segment_create(segment, sizeof segment, "lazy", 1u << 20);
  if (mem == NULL) return 1;
  test_claim_publish();
  test_exactly_once();
  test_dead_computer();
  test_error_and_invalidate();
  test_demand();
  test_close_with_claim();
  test_odd_size();
  test_mismatch();
  return check_segment_finish(mem, segment, "lazy");
}
