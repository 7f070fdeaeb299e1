/* channel_test.c — the C Channel (SPECIFICATION.md §7.6, lib/c/src/channel.c):
 * buffered FIFO, full and empty without waiting, a receive woken by another
 * process's send, close, rendezvous handoff between processes, two sending
 * processes and one receiver without loss or duplicates, and a lock holder
 * killed with the lock held. Processes are fork()ed; the segment name holds
 * the pid. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "internal.h"

static char segment[64];
static zeroipc_memory* mem;

static zeroipc_channel* make_channel(const char* name, uint64_t capacity, uint32_t element_size) {
  zeroipc_channel* c = NULL;
  CHECK_STATUS(zeroipc_channel_create(mem, name, capacity, element_size, ZEROIPC_DTYPE_OPAQUE, &c), ZEROIPC_OK);
  return c;
}

/* The §7.6 layout of `name` in this process's mapping. */
static zeroipc_channel_layout* layout_of(const char* name) {
  return (zeroipc_channel_layout*)check_structure_at(mem, name);
}

static void test_buffered_fifo(void) {
  zeroipc_channel* c = make_channel("fifo", 4, sizeof(uint32_t));
  zeroipc_channel* same = NULL;
  uint32_t i, v = 0;
  int64_t start;
  CHECK_EQ_U64(zeroipc_channel_capacity(c), 4);
  for (i = 1; i <= 4; ++i) CHECK_STATUS(zeroipc_channel_send(c, &i, 0), ZEROIPC_OK);
  CHECK_STATUS(zeroipc_channel_send(c, &i, 0), ZEROIPC_FULL);
  start = check_now_ns();
  CHECK_STATUS(zeroipc_channel_send(c, &i, 20000000), ZEROIPC_FULL);
  CHECK(check_now_ns() - start >= 20000000);
  CHECK_STATUS(zeroipc_channel_open(mem, "fifo", sizeof(uint32_t), ZEROIPC_DTYPE_OPAQUE, &same), ZEROIPC_OK);
  for (i = 1; i <= 4; ++i) {
    CHECK_STATUS(zeroipc_channel_receive(same, &v, 0), ZEROIPC_OK);
    CHECK_EQ_U64(v, i);
  }
  CHECK_STATUS(zeroipc_channel_receive(c, &v, 0), ZEROIPC_EMPTY);
  start = check_now_ns();
  CHECK_STATUS(zeroipc_channel_receive(c, &v, 20000000), ZEROIPC_EMPTY);
  CHECK(check_now_ns() - start >= 20000000);
  zeroipc_channel_close_handle(same);
  zeroipc_channel_close_handle(c);
}

static void test_create_checks(void) {
  zeroipc_channel* c = make_channel("sized", 8, sizeof(uint64_t));
  zeroipc_channel* other = NULL;
  CHECK_STATUS(zeroipc_channel_create(mem, "sized", 0, sizeof(uint64_t), ZEROIPC_DTYPE_OPAQUE, &other),
               ZEROIPC_E_MISMATCH);
  CHECK_MESSAGE_HAS("channel 'sized': exists with capacity 8 (buffered), requested capacity 0 (rendezvous)");
  CHECK_STATUS(zeroipc_channel_open(mem, "sized", sizeof(uint32_t), ZEROIPC_DTYPE_OPAQUE, &other), ZEROIPC_E_MISMATCH);
  CHECK_STATUS(zeroipc_channel_create(mem, "huge", (UINT64_C(1) << 31) + 1, 1, ZEROIPC_DTYPE_OPAQUE, &other),
               ZEROIPC_E_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("channel 'huge': capacity 2147483649 is larger than the maximum 2^31");
  CHECK(other == NULL);
  zeroipc_channel_close_handle(c);
}

/* A receive blocked in this process is woken by a child's send. */
static void test_receive_woken_by_child(void) {
  zeroipc_channel* c = make_channel("wake", 2, sizeof(uint64_t));
  uint64_t v = 0;
  pid_t child = fork();
  if (child == 0) {
    const uint64_t value = 42;
    usleep(50000);
    _exit(zeroipc_channel_send(c, &value, -1) == ZEROIPC_OK ? 0 : 1);
  }
  CHECK_STATUS(zeroipc_channel_receive(c, &v, 5000000000), ZEROIPC_OK);
  CHECK_EQ_U64(v, 42);
  CHECK(check_child_ok(child));
  zeroipc_channel_close_handle(c);
}

static void test_close(void) {
  zeroipc_channel* c = make_channel("closing", 4, sizeof(uint32_t));
  const uint32_t one = 1, two = 2;
  uint32_t v = 0;
  char expected[256];
  CHECK_STATUS(zeroipc_channel_send(c, &one, 0), ZEROIPC_OK);
  CHECK_STATUS(zeroipc_channel_send(c, &two, -1), ZEROIPC_OK);
  CHECK(!zeroipc_channel_is_closed(c));
  CHECK_STATUS(zeroipc_channel_close(c), ZEROIPC_OK);
  CHECK(zeroipc_channel_is_closed(c));
  CHECK_STATUS(zeroipc_channel_close(c), ZEROIPC_E_CLOSED);
  CHECK_STATUS(zeroipc_channel_send(c, &one, 0), ZEROIPC_E_CLOSED);
  snprintf(expected, sizeof expected,
           "zeroipc: segment '%s', channel 'closing': cannot send: the channel is closed (closed by process %d)",
           segment, (int)getpid());
  CHECK(strcmp(zeroipc_last_error(), expected) == 0);
  CHECK_STATUS(zeroipc_channel_send(c, &one, -1), ZEROIPC_E_CLOSED);
  CHECK_STATUS(zeroipc_channel_receive(c, &v, 0), ZEROIPC_OK);
  CHECK_EQ_U64(v, 1);
  CHECK_STATUS(zeroipc_channel_receive(c, &v, -1), ZEROIPC_OK);
  CHECK_EQ_U64(v, 2);
  CHECK_STATUS(zeroipc_channel_receive(c, &v, 0), ZEROIPC_E_CLOSED);
  CHECK_STATUS(zeroipc_channel_receive(c, &v, -1), ZEROIPC_E_CLOSED);
  zeroipc_channel_close_handle(c);
}

/* A sender blocked on a full channel is woken by a close in another process. */
static void test_close_wakes_sender(void) {
  zeroipc_channel* c = make_channel("close_wake", 1, sizeof(uint32_t));
  const uint32_t one = 1;
  pid_t child;
  CHECK_STATUS(zeroipc_channel_send(c, &one, 0), ZEROIPC_OK);
  child = fork();
  if (child == 0) {
    usleep(50000);
    _exit(zeroipc_channel_close(c) == ZEROIPC_OK ? 0 : 1);
  }
  CHECK_STATUS(zeroipc_channel_send(c, &one, 5000000000), ZEROIPC_E_CLOSED);
  CHECK_MESSAGE_HAS("send interrupted: the channel was closed while this send waited for room (the value was not sent)");
  CHECK(check_child_ok(child));
  zeroipc_channel_close_handle(c);
}

/* A rendezvous send completes only when a receiver in another process takes the value. */
static void test_rendezvous(void) {
  zeroipc_channel* c = make_channel("rv", 0, sizeof(uint64_t));
  zeroipc_channel_layout* l = layout_of("rv");
  const uint64_t value = 7;
  uint64_t v = 0;
  int64_t start;
  pid_t child;
  CHECK_EQ_U64(zeroipc_channel_capacity(c), 0);
  CHECK_STATUS(zeroipc_channel_send(c, &value, 0), ZEROIPC_FULL);      /* no receiver */
  CHECK_STATUS(zeroipc_channel_send(c, &value, 30000000), ZEROIPC_FULL); /* offered, not taken, withdrawn */
  CHECK_EQ_U64(zeroipc_codata_phase(__atomic_load_n(&l->handoff, __ATOMIC_SEQ_CST)), ZEROIPC_CHANNEL_HANDOFF_EMPTY);
  CHECK_STATUS(zeroipc_channel_receive(c, &v, 0), ZEROIPC_EMPTY);

  child = fork();
  if (child == 0) {
    uint64_t got = 0;
    usleep(100000);
    _exit(zeroipc_channel_receive(c, &got, -1) == ZEROIPC_OK && got == value ? 0 : 1);
  }
  start = check_now_ns();
  CHECK_STATUS(zeroipc_channel_send(c, &value, -1), ZEROIPC_OK);
  CHECK(check_now_ns() - start >= 90000000); /* returned only once the child took it */
  CHECK(check_child_ok(child));

  /* A non-blocking send succeeds once a receiver waits. */
  child = fork();
  if (child == 0) {
    uint64_t got = 0;
    _exit(zeroipc_channel_receive(c, &got, 5000000000) == ZEROIPC_OK && got == value + 1 ? 0 : 1);
  }
  {
    const uint64_t next = value + 1;
    const int64_t deadline = check_now_ns() + 5000000000;
    int status = ZEROIPC_FULL;
    while (status == ZEROIPC_FULL && check_now_ns() < deadline) {
      status = zeroipc_channel_send(c, &next, 0);
      if (status == ZEROIPC_FULL) usleep(1000);
    }
    CHECK_STATUS(status, ZEROIPC_OK);
  }
  CHECK(check_child_ok(child));

  /* A receiver in another process takes what this one sends. */
  child = fork();
  if (child == 0) {
    const uint64_t mine = 99;
    _exit(zeroipc_channel_send(c, &mine, 5000000000) == ZEROIPC_OK ? 0 : 1);
  }
  CHECK_STATUS(zeroipc_channel_receive(c, &v, 5000000000), ZEROIPC_OK);
  CHECK_EQ_U64(v, 99);
  CHECK(check_child_ok(child));
  CHECK_EQ_U64(__atomic_load_n(&l->receivers_waiting, __ATOMIC_SEQ_CST), 0);
  CHECK_STATUS(zeroipc_channel_close(c), ZEROIPC_OK);
  CHECK_STATUS(zeroipc_channel_receive(c, &v, -1), ZEROIPC_E_CLOSED);
  CHECK_STATUS(zeroipc_channel_send(c, &value, -1), ZEROIPC_E_CLOSED);
  zeroipc_channel_close_handle(c);
}

enum { kSenders = 2, kPerSender = 50000 };

static void send_all(zeroipc_channel* c, uint64_t sender) {
  uint64_t i;
  for (i = 0; i < kPerSender; ++i) {
    const uint64_t item = sender << 32 | i;
    if (zeroipc_channel_send(c, &item, -1) != ZEROIPC_OK) _exit(1);
  }
  _exit(0);
}

/* Two sending processes, one receiver: every item arrives once, in each sender's order. */
static void test_many_senders(void) {
  zeroipc_channel* c = make_channel("mpsc", 64, sizeof(uint64_t));
  uint64_t next[kSenders] = {0};
  pid_t children[kSenders];
  unsigned long bad = 0;
  uint64_t n, s;
  const int64_t start = check_now_ns();
  for (s = 0; s < kSenders; ++s) {
    children[s] = fork();
    if (children[s] == 0) send_all(c, s);
  }
  for (n = 0; n < (uint64_t)kSenders * kPerSender; ++n) {
    uint64_t item = 0;
    if (zeroipc_channel_receive(c, &item, 10000000000) != ZEROIPC_OK) {
      ++bad;
      break;
    }
    s = item >> 32;
    if (s >= kSenders || (item & 0xFFFFFFFFu) != next[s]) {
      ++bad;
    } else {
      ++next[s];
    }
  }
  CHECK(bad == 0);
  for (s = 0; s < kSenders; ++s) {
    CHECK_EQ_U64(next[s], kPerSender);
    CHECK(check_child_ok(children[s]));
  }
  {
    uint64_t extra = 0;
    CHECK_STATUS(zeroipc_channel_receive(c, &extra, 0), ZEROIPC_EMPTY);
  }
  printf("channel: %d items from %d processes in %lld ms\n", kSenders * kPerSender, kSenders,
         (long long)((check_now_ns() - start) / 1000000));
  zeroipc_channel_close_handle(c);
}

/* A child takes the channel's lock and is killed holding it: this process
 * takes the lock over and goes on sending and receiving. */
static void test_lock_holder_killed(void) {
  zeroipc_channel* c = make_channel("crash", 4, sizeof(uint32_t));
  zeroipc_channel_layout* l = layout_of("crash");
  const uint32_t one = 1, two = 2;
  uint32_t v = 0;
  int locked[2];
  char byte = 0;
  int64_t start;
  pid_t child;
  CHECK_STATUS(zeroipc_channel_send(c, &one, 0), ZEROIPC_OK);
  CHECK(pipe(locked) == 0);
  child = fork();
  if (child == 0) {
    int took_over = 0;
    const int status = zipc_owner_lock(zipc_memory_mapping(mem), &l->lock, &l->lock_pid, "test", -1, &took_over);
    if (write(locked[1], status == ZEROIPC_OK ? "y" : "n", 1) != 1) _exit(1);
    for (;;) pause();
  }
  CHECK(read(locked[0], &byte, 1) == 1);
  CHECK(byte == 'y');
  CHECK(__atomic_load_n(&l->lock, __ATOMIC_SEQ_CST) != 0);
  CHECK_STATUS(zeroipc_channel_send(c, &two, 30000000), ZEROIPC_FULL); /* a live holder: not in time */
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  start = check_now_ns();
  CHECK_STATUS(zeroipc_channel_send(c, &two, -1), ZEROIPC_OK);
  CHECK(check_now_ns() - start < 2000000000);
  CHECK_STATUS(zeroipc_channel_receive(c, &v, -1), ZEROIPC_OK);
  CHECK_EQ_U64(v, 1);
  CHECK_STATUS(zeroipc_channel_receive(c, &v, 0), ZEROIPC_OK);
  CHECK_EQ_U64(v, 2);
  CHECK_EQ_U64(__atomic_load_n(&l->lock, __ATOMIC_SEQ_CST), 0);
  close(locked[0]);
  close(locked[1]);
  zeroipc_channel_close_handle(c);
}

int main(void) {
  mem = check_segment_create(segment, sizeof segment, "channel", 4u << 20);
  if (mem == NULL) return 1;
  test_buffered_fifo();
  test_create_checks();
  test_receive_woken_by_child();
  test_close();
  test_close_wakes_sender();
  test_rendezvous();
  test_many_senders();
  test_lock_holder_killed();
  return check_segment_finish(mem, segment, "channel");
}
