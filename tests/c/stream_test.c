/* stream_test.c — the C Stream (SPECIFICATION.md §7.5, lib/c/src/stream.c,
 * stream_slots.c): emit and read in order, two subscribers in other
 * processes each seeing every item through a small ring (backpressure),
 * DROP_OLDEST counting what a slow cursor missed, BLOCK refusing to emit
 * past a live laggard, the end (close, and a producer that died), the
 * producer role (another live process may not emit; a dead producer's
 * stream is fed again), a dead subscriber's slot released by the blocked
 * producer, 64 slots held (a 65th refused, a dead holder's slot taken over),
 * and the open checks (element size, overflow). Processes are
 * fork()ed; the segment name holds the pid. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define SECOND INT64_C(1000000000)

static char segment[64];
static zeroipc_memory* mem;

static zeroipc_stream_handle* make_stream(const char* name, uint64_t capacity, uint32_t overflow) {
  zeroipc_stream_handle* s = NULL;
  CHECK_STATUS(zeroipc_stream_create(mem, name, capacity, overflow, sizeof(uint64_t), ZEROIPC_DTYPE_U64, &s),
               ZEROIPC_OK);
  return s;
}

static zeroipc_cursor* subscribe(zeroipc_stream_handle* s) {
  zeroipc_cursor* c = NULL;
  CHECK_STATUS(zeroipc_stream_subscribe(s, &c), ZEROIPC_OK);
  return c;
}

/* In a child: reads `count` items 0..count-1 in order, then the end; exit status 0 when all was right. */
static int read_all(zeroipc_stream_handle* s, uint64_t count) {
  zeroipc_cursor* c = NULL;
  uint64_t i, v = 0;
  if (zeroipc_stream_subscribe(s, &c) != ZEROIPC_OK) return 10;
  for (i = 0; i < count; ++i) {
    if (zeroipc_cursor_next(c, &v, 30 * SECOND) != ZEROIPC_OK) return 11;
    if (v != i) return 12;
  }
  if (zeroipc_cursor_next(c, &v, 30 * SECOND) != ZEROIPC_E_CLOSED) return 13;
  if (zeroipc_cursor_end_reason(c) != ZEROIPC_STREAM_CLOSED) return 14;
  if (zeroipc_cursor_missed(c) != 0) return 15;
  zeroipc_cursor_close(c);
  return 0;
}

static void test_in_process(void) {
  zeroipc_stream_handle* s = make_stream("basic", 1000, ZEROIPC_STREAM_OVERFLOW_BLOCK);
  zeroipc_cursor* a;
  zeroipc_cursor* b;
  uint64_t i, v = 0;
  char expected[256];
  CHECK_EQ_U64(zeroipc_stream_capacity(s), 1024);
  CHECK(zeroipc_stream_created(s));
  CHECK_EQ_U64(zeroipc_stream_producer(s), (uint64_t)getpid());
  v = 99;
  CHECK_STATUS(zeroipc_stream_emit(s, &v, 0), ZEROIPC_OK); /* before any subscriber: seen by none */
  a = subscribe(s);
  b = subscribe(s);
  CHECK_EQ_U64(zeroipc_stream_subscribers(s), 2);
  CHECK_STATUS(zeroipc_cursor_next(a, &v, 0), ZEROIPC_EMPTY);
  for (i = 0; i < 100; ++i) CHECK_STATUS(zeroipc_stream_emit(s, &i, -1), ZEROIPC_OK);
  CHECK_EQ_U64(zeroipc_stream_published(s), 101);
  for (i = 0; i < 100; ++i) {
    CHECK_STATUS(zeroipc_cursor_next(a, &v, 0), ZEROIPC_OK);
    CHECK_EQ_U64(v, i);
  }
  CHECK_STATUS(zeroipc_cursor_next(a, &v, 10000000), ZEROIPC_EMPTY);
  CHECK_STATUS(zeroipc_stream_close(s), ZEROIPC_OK);
  CHECK_STATUS(zeroipc_stream_close(s), ZEROIPC_E_CLOSED);
  CHECK(zeroipc_stream_ended(s));
  CHECK_EQ_U64(zeroipc_stream_end_reason(s), ZEROIPC_STREAM_CLOSED);
  CHECK_STATUS(zeroipc_cursor_next(a, &v, -1), ZEROIPC_E_CLOSED);
  CHECK_EQ_U64(zeroipc_cursor_end_reason(a), ZEROIPC_STREAM_CLOSED);
  for (i = 0; i < 100; ++i) { /* b drains what was emitted before the end */
    CHECK_STATUS(zeroipc_cursor_next(b, &v, 0), ZEROIPC_OK);
    CHECK_EQ_U64(v, i);
  }
  CHECK_STATUS(zeroipc_cursor_next(b, &v, 0), ZEROIPC_E_CLOSED);
  CHECK_STATUS(zeroipc_stream_emit(s, &v, 0), ZEROIPC_E_CLOSED);
  snprintf(expected, sizeof expected, "zeroipc: segment '%s', stream 'basic': cannot emit: the stream has ended (closed)",
           segment);
  CHECK(strcmp(zeroipc_last_error(), expected) == 0);
  zeroipc_cursor_close(a);
  zeroipc_cursor_close(b);
  CHECK_EQ_U64(zeroipc_stream_subscribers(s), 0);
  zeroipc_stream_close_handle(s);
}

static void test_open_checks(void) {
  zeroipc_stream_handle* s = make_stream("checked", 64, ZEROIPC_STREAM_OVERFLOW_BLOCK);
  zeroipc_stream_handle* other = NULL;
  CHECK_STATUS(zeroipc_stream_open(mem, "checked", 4, ZEROIPC_DTYPE_OPAQUE, &other), ZEROIPC_E_MISMATCH);
  CHECK_MESSAGE_HAS("structure 'checked': expected element size 4 bytes, found 8");
  CHECK_STATUS(zeroipc_stream_create(mem, "checked", 64, ZEROIPC_STREAM_OVERFLOW_DROP_OLDEST, 8, ZEROIPC_DTYPE_U64,
                                     &other),
               ZEROIPC_E_MISMATCH);
  CHECK_MESSAGE_HAS("stream 'checked': exists with overflow block, requested drop_oldest");
  CHECK_STATUS(zeroipc_stream_create(mem, "checked", 100, ZEROIPC_STREAM_OVERFLOW_BLOCK, 8, ZEROIPC_DTYPE_U64, &other),
               ZEROIPC_E_MISMATCH);
  CHECK_MESSAGE_HAS("exists with capacity 64, requested 128");
  CHECK_STATUS(zeroipc_stream_create(mem, "zero", 0, ZEROIPC_STREAM_OVERFLOW_BLOCK, 8, ZEROIPC_DTYPE_U64, &other),
               ZEROIPC_E_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("stream 'zero': capacity 0 is not in 1..2^30 (or the overflow mode is unknown)");
  CHECK_STATUS(zeroipc_stream_open(mem, "nothing", 8, ZEROIPC_DTYPE_U64, &other), ZEROIPC_E_NOT_FOUND);
  CHECK_MESSAGE_HAS("expected a stream");
  CHECK_STATUS(zeroipc_stream_open(mem, "checked", 8, ZEROIPC_DTYPE_U64, &other), ZEROIPC_OK);
  CHECK(!zeroipc_stream_created(other));
  CHECK_EQ_U64(zeroipc_stream_capacity(other), 64);
  zeroipc_stream_close_handle(other);
  zeroipc_stream_close_handle(s);
}

/* Two subscribers in two processes, a ring of 16: every item reaches both, in order. */
static void test_two_processes_read_all(void) {
  const uint64_t count = 20000;
  zeroipc_stream_handle* s = make_stream("fanout", 16, ZEROIPC_STREAM_OVERFLOW_BLOCK);
  pid_t children[2];
  uint64_t i;
  int k;
  for (k = 0; k < 2; ++k) {
    children[k] = fork();
    if (children[k] == 0) _exit(read_all(s, count));
  }
  CHECK_STATUS(zeroipc_stream_wait_subscribers(s, 2, 30 * SECOND), ZEROIPC_OK);
  for (i = 0; i < count; ++i) {
    const int status = zeroipc_stream_emit(s, &i, 30 * SECOND);
    if (status != ZEROIPC_OK) {
      CHECK_STATUS(status, ZEROIPC_OK);
      break;
    }
  }
  CHECK_STATUS(zeroipc_stream_close(s), ZEROIPC_OK);
  for (k = 0; k < 2; ++k) CHECK(check_child_ok(children[k]));
  zeroipc_stream_close_handle(s);
}

static void test_drop_oldest(void) {
  zeroipc_stream_handle* s = make_stream("lossy", 8, ZEROIPC_STREAM_OVERFLOW_DROP_OLDEST);
  zeroipc_cursor* c = subscribe(s);
  uint64_t i, v = 0;
  for (i = 0; i < 100; ++i) CHECK_STATUS(zeroipc_stream_emit(s, &i, 0), ZEROIPC_OK); /* never waits */
  for (i = 92; i < 100; ++i) {
    CHECK_STATUS(zeroipc_cursor_next(c, &v, 0), ZEROIPC_OK);
    CHECK_EQ_U64(v, i);
  }
  CHECK_EQ_U64(zeroipc_cursor_missed(c), 92);
  CHECK_STATUS(zeroipc_cursor_next(c, &v, 0), ZEROIPC_EMPTY);
  zeroipc_cursor_close(c);
  zeroipc_stream_close_handle(s);
}

static void test_block(void) {
  zeroipc_stream_handle* s = make_stream("strict", 4, ZEROIPC_STREAM_OVERFLOW_BLOCK);
  zeroipc_cursor* c = subscribe(s);
  uint64_t i, v = 0;
  for (i = 0; i < 4; ++i) CHECK_STATUS(zeroipc_stream_emit(s, &i, 0), ZEROIPC_OK);
  CHECK_STATUS(zeroipc_stream_emit(s, &i, 0), ZEROIPC_FULL);
  CHECK_STATUS(zeroipc_stream_emit(s, &i, 20000000), ZEROIPC_FULL); /* a live laggard holds it back */
  CHECK_STATUS(zeroipc_cursor_next(c, &v, 0), ZEROIPC_OK);
  CHECK_EQ_U64(v, 0);
  CHECK_STATUS(zeroipc_stream_emit(s, &i, 0), ZEROIPC_OK);
  CHECK_EQ_U64(zeroipc_cursor_missed(c), 0);
  zeroipc_cursor_close(c); /* no subscriber: nothing holds it back */
  for (i = 0; i < 10; ++i) CHECK_STATUS(zeroipc_stream_emit(s, &i, 0), ZEROIPC_OK);
  zeroipc_stream_close_handle(s);
}

/* A subscriber killed holding the producer back: its slot is released within ~20 ms. */
static void test_dead_subscriber_released(void) {
  zeroipc_stream_handle* s = make_stream("orphan", 4, ZEROIPC_STREAM_OVERFLOW_BLOCK);
  int ready[2];
  char byte = 0;
  uint64_t i;
  pid_t child;
  CHECK(pipe(ready) == 0);
  child = fork();
  if (child == 0) {
    zeroipc_cursor* c = NULL;
    if (zeroipc_stream_subscribe(s, &c) != ZEROIPC_OK) _exit(1);
    if (write(ready[1], "x", 1) != 1) _exit(2);
    pause(); /* killed holding its slot */
    _exit(3);
  }
  CHECK(read(ready[0], &byte, 1) == 1);
  CHECK_EQ_U64(zeroipc_stream_subscribers(s), 1);
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  for (i = 0; i < 4; ++i) CHECK_STATUS(zeroipc_stream_emit(s, &i, 0), ZEROIPC_OK);
  CHECK_STATUS(zeroipc_stream_emit(s, &i, 10 * SECOND), ZEROIPC_OK); /* blocked, then the dead laggard released */
  CHECK_EQ_U64(zeroipc_stream_subscribers(s), 0);
  close(ready[0]);
  close(ready[1]);
  zeroipc_stream_close_handle(s);
}

/* Another live process may not emit; a dead producer's stream ends for its
 * readers (PRODUCER_GONE) and is fed again by the next emitter. */
static void test_producer_role(void) {
  zeroipc_stream_handle* s = NULL;
  zeroipc_cursor* c;
  int ready[2], go[2];
  char byte = 0;
  uint64_t i, v = 0;
  char expected[256];
  pid_t child;
  CHECK(pipe(ready) == 0 && pipe(go) == 0);
  child = fork();
  if (child == 0) { /* the producer: creates, waits for a subscriber, emits 3, dies without closing */
    zeroipc_stream_handle* mine = NULL;
    if (zeroipc_stream_create(mem, "gone", 8, ZEROIPC_STREAM_OVERFLOW_BLOCK, 8, ZEROIPC_DTYPE_U64, &mine) != ZEROIPC_OK) {
      _exit(1);
    }
    if (write(ready[1], "x", 1) != 1 || read(go[0], &byte, 1) != 1) _exit(2);
    for (i = 0; i < 3; ++i) {
      if (zeroipc_stream_emit(mine, &i, 10 * SECOND) != ZEROIPC_OK) _exit(3);
    }
    if (write(ready[1], "y", 1) != 1 || read(go[0], &byte, 1) != 1) _exit(4);
    _exit(0);
  }
  CHECK(read(ready[0], &byte, 1) == 1);
  CHECK_STATUS(zeroipc_stream_open(mem, "gone", 8, ZEROIPC_DTYPE_U64, &s), ZEROIPC_OK);
  CHECK_EQ_U64(zeroipc_stream_producer(s), (uint64_t)child);
  c = subscribe(s);
  CHECK(write(go[1], "x", 1) == 1);
  CHECK(read(ready[0], &byte, 1) == 1);
  v = 7;
  CHECK_STATUS(zeroipc_stream_emit(s, &v, 0), ZEROIPC_E_ROLE_TAKEN);
  snprintf(expected, sizeof expected,
           "zeroipc: segment '%s', stream 'gone': cannot emit from this process: its producer is process %d, and it "
           "is alive (one process feeds a stream)",
           segment, (int)child);
  CHECK(strcmp(zeroipc_last_error(), expected) == 0);
  CHECK(write(go[1], "y", 1) == 1);
  CHECK(check_child_ok(child));
  for (i = 0; i < 3; ++i) {
    CHECK_STATUS(zeroipc_cursor_next(c, &v, 10 * SECOND), ZEROIPC_OK);
    CHECK_EQ_U64(v, i);
  }
  CHECK_STATUS(zeroipc_cursor_next(c, &v, 10 * SECOND), ZEROIPC_E_CLOSED); /* the producer is dead: the end */
  CHECK_EQ_U64(zeroipc_cursor_end_reason(c), ZEROIPC_STREAM_PRODUCER_GONE);
  CHECK_MESSAGE_HAS("the stream has ended (its producer died or exited)");
  CHECK_EQ_U64(zeroipc_stream_end_reason(s), ZEROIPC_STREAM_PRODUCER_GONE);
  zeroipc_cursor_close(c);
  v = 3; /* fed again from here: positions go on */
  CHECK_STATUS(zeroipc_stream_emit(s, &v, 0), ZEROIPC_OK);
  CHECK_EQ_U64(zeroipc_stream_producer(s), (uint64_t)getpid());
  CHECK(!zeroipc_stream_ended(s));
  CHECK_EQ_U64(zeroipc_stream_published(s), 4);
  close(ready[0]);
  close(ready[1]);
  close(go[0]);
  close(go[1]);
  zeroipc_stream_close_handle(s);
}

/* 64 live subscribers hold every slot: a 65th is refused; a dead one's slot is taken over. */
static void test_slots_exhausted(void) {
  zeroipc_stream_handle* s = make_stream("crowded", 8, ZEROIPC_STREAM_OVERFLOW_BLOCK);
  zeroipc_cursor* held[63];
  zeroipc_cursor* extra = NULL;
  int ready[2];
  char byte = 0;
  pid_t child;
  int i;
  for (i = 0; i < 63; ++i) held[i] = subscribe(s);
  CHECK(pipe(ready) == 0);
  child = fork();
  if (child == 0) {
    zeroipc_cursor* c = NULL;
    if (zeroipc_stream_subscribe(s, &c) != ZEROIPC_OK || write(ready[1], "x", 1) != 1) _exit(1);
    pause();
    _exit(2);
  }
  CHECK(read(ready[0], &byte, 1) == 1);
  CHECK_EQ_U64(zeroipc_stream_subscribers(s), 64);
  CHECK_STATUS(zeroipc_stream_subscribe(s, &extra), ZEROIPC_E_LIMIT); /* every owner alive */
  CHECK(extra == NULL);
  CHECK_MESSAGE_HAS("stream 'crowded': all 64 subscriber slots are held by live subscribers");
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  CHECK_STATUS(zeroipc_stream_subscribe(s, &extra), ZEROIPC_OK); /* the dead child's slot */
  CHECK_EQ_U64(zeroipc_stream_subscribers(s), 64);
  zeroipc_cursor_close(extra);
  for (i = 0; i < 63; ++i) zeroipc_cursor_close(held[i]);
  CHECK_EQ_U64(zeroipc_stream_subscribers(s), 0);
  close(ready[0]);
  close(ready[1]);
  zeroipc_stream_close_handle(s);
}

int main(void) {
  mem = check_segment_create(segment, sizeof segment, "stream", 4u << 20);
  if (mem == NULL) return 1;
  test_in_process();
  test_open_checks();
  test_two_processes_read_all();
  test_drop_oldest();
  test_block();
  test_dead_subscriber_released();
  test_producer_role();
  test_slots_exhausted();
  return check_segment_finish(mem, segment, "stream");
}
