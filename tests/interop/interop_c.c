/* interop_c.c — the C side of the cross-language, cross-process tests
 * (tests/python/test_interop_c.py). The same subcommands as interop_cpp.cpp,
 * through the C library (zeroipc.h; internal.h only to take the table lock):
 * the driver runs one program of each language as separate processes on one
 * segment and checks what each prints.
 *
 * Every subcommand prints one result line on stdout and exits 0, or prints
 * "interop_c <command>: error: ..." on stderr and exits 1. Subcommands that
 * run in the background ("ready", "locked", "reader-waiting") print those
 * lines first, flushed, so the driver can wait for them.
 *
 *   queue-produce SEG NAME VARIANT CAPACITY COUNT PRODUCER_ID
 *       pushes PRODUCER_ID << 40 | seq for seq = 0..COUNT-1 (backs off while full)
 *   queue-consume SEG NAME VARIANT CAPACITY COUNT_PER_PRODUCER IDS
 *       pops COUNT_PER_PRODUCER items of each producer of the comma list IDS:
 *       every item from a listed producer, each producer's sequence in order
 *       (no loss, no duplicate), then the queue empty
 *   array-write SEG NAME COUNT SEED / array-check SEG NAME COUNT SEED
 *       an Array of struct mixed (padding between fields), element i = f(i, SEED)
 *   future-set SEG NAME VALUE WAIT_READER_MS
 *       creates the Future (this process its producer), prints "ready", waits
 *       until a reader sleeps on it (its sleeper count), then sets VALUE
 *   future-hold SEG NAME WAIT_READER_MS
 *       creates the Future, prints "ready", waits for a sleeping reader, prints
 *       "reader-waiting" and sleeps until killed (a producer that dies)
 *   future-get SEG NAME TIMEOUT_MS EXPECT
 *       EXPECT: a value, or "producer-died"
 *   channel-send SEG NAME CAPACITY COUNT CLOSE
 *   channel-receive SEG NAME CAPACITY COUNT EXPECT_CLOSED
 *   channel-rv-send SEG NAME COUNT / channel-rv-receive SEG NAME COUNT
 *   channel-send-until-closed SEG NAME CAPACITY
 *       fills the channel, prints "full", then sends until a send reports it closed
 *   channel-close SEG NAME
 *   populate SEG NAME                 an Array<u8> of 1000 with [999] = 42
 *   hold-table-lock SEG POINT         takes the table lock, prints "locked <pid>" and
 *                                     sleeps until killed; POINT: "locked" (the only one in C)
 *   create-after SEG NAME CAPACITY BOUND_MS
 *                                     creates the Array<u8> NAME (last byte 42) within
 *                                     BOUND_MS; the table lock is free after it
 *   errors SEG                        a fixed list of failing calls, each printed as
 *                                     "<case>: <message>" (the same lines as interop_cpp's)
 *   check-table SEG NAMES             the READY entries are exactly NAMES (comma list), each
 *                                     an Array<u8> whose last byte is 42, none overlapping
 *   counter-add SEG NAME COUNT        opens the Array<u64> NAME and adds 1 to its element 0
 *                                     COUNT times, each by a compare-and-swap loop (load, CAS
 *                                     old -> old + 1, retry); prints "added COUNT (R retries)".
 *                                     C: zeroipc_atomic_compare_exchange_u64; C++:
 *                                     std::atomic_ref<std::uint64_t>::compare_exchange_weak.
 *                                     If the array has an element 1, it is a start gate: the
 *                                     process adds 1 to it on arrival and starts once the
 *                                     driver sets its top bit (GATE_GO), so that all start at once
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "zeroipc.h"
#include "zeroipc/layout/codata.h"
#include "zeroipc/layout/segment.h"

#define SEGMENT_SIZE (UINT64_C(4) << 20)
#define OP_DEADLINE_NS (INT64_C(50) * 1000000000)  /* any one test step: far more than it needs */
#define CHANNEL_WAIT_NS (INT64_C(30) * 1000000000)
#define SENTINEL UINT64_C(0xDEADBEEF)
#define GATE_GO (UINT64_C(1) << 63) /* counter-add's start gate: open */

static const char* command = "?";

static void die(const char* format, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char* format, ...) {
  va_list args;
  fprintf(stderr, "interop_c %s: error: ", command);
  va_start(args, format);
  vfprintf(stderr, format, args);
  va_end(args);
  fputc('\n', stderr);
  exit(1);
}

/* Dies with the status name and zeroipc_last_error() unless status is expected. */
static void need(int status, int expected, const char* what) {
  if (status != expected) {
    die("%s: %s (expected %s): %s", what, zeroipc_status_name(status), zeroipc_status_name(expected),
        zeroipc_last_error());
  }
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ms(long ms) {
  struct timespec ts;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (ms % 1000) * 1000000L;
  while (nanosleep(&ts, &ts) != 0) {
  }
}

/* A holder (of a Future, of the table lock) waits here for its SIGKILL. */
static void sleep_until_killed(void) __attribute__((noreturn));
static void sleep_until_killed(void) {
  for (;;) pause();
}

static void say(const char* format, ...) __attribute__((format(printf, 1, 2)));
static void say(const char* format, ...) {
  va_list args;
  va_start(args, format);
  vprintf(format, args);
  va_end(args);
  putchar('\n');
  fflush(stdout);
}

/* Called after each failed push or pop (full, empty): after 64 in a row, a 20 us
 * sleep, since on a loaded 2-core machine a spinning or yielding waiter keeps the
 * core from the process it waits for. 1 when the deadline has passed. */
static int back_off(uint64_t* fails, int64_t deadline) {
  if (++*fails < 64) return 0;
  *fails = 0;
  {
    struct timespec ts = {0, 20000};
    nanosleep(&ts, NULL);
  }
  return now_ns() > deadline;
}

static uint64_t number(const char* text, const char* what) {
  char* end = NULL;
  unsigned long long v;
  if (text == NULL || *text == '\0') die("%s: missing", what);
  v = strtoull(text, &end, 0);
  if (*end != '\0') die("%s: '%s' is not a number", what, text);
  return (uint64_t)v;
}

static zeroipc_memory* segment(const char* name) {
  zeroipc_memory* mem = NULL;
  need(zeroipc_memory_create(name, SEGMENT_SIZE, NULL, &mem), ZEROIPC_OK, "zeroipc_memory_create");
  return mem;
}

static zeroipc_memory* existing_segment(const char* name) {
  zeroipc_memory* mem = NULL;
  need(zeroipc_memory_open(name, 0, &mem), ZEROIPC_OK, "zeroipc_memory_open");
  return mem;
}

/* ------------------------------------------------------------------ queues */

static zeroipc_queue_variant variant_of(const char* name) {
  if (strcmp(name, "vyukov_bounded") == 0) return ZEROIPC_QUEUE_VYUKOV_BOUNDED;
  if (strcmp(name, "spsc_ring") == 0) return ZEROIPC_QUEUE_SPSC_RING;
  if (strcmp(name, "locked_ring") == 0) return ZEROIPC_QUEUE_LOCKED_RING;
  die("unknown queue variant '%s' (vyukov_bounded, spsc_ring or locked_ring)", name);
}

static zeroipc_queue* queue(zeroipc_memory* mem, const char* name, const char* variant, uint64_t capacity) {
  zeroipc_queue* q = NULL;
  need(zeroipc_queue_create(mem, name, variant_of(variant), capacity, sizeof(uint64_t), ZEROIPC_DTYPE_U64, &q),
       ZEROIPC_OK, "zeroipc_queue_create");
  if (zeroipc_queue_variant_of(q) != variant_of(variant)) die("the queue is not a %s", variant);
  return q;
}

static int queue_produce(char** argv) {
  zeroipc_memory* mem = segment(argv[0]);
  zeroipc_queue* q = queue(mem, argv[1], argv[2], number(argv[3], "CAPACITY"));
  const uint64_t count = number(argv[4], "COUNT");
  const uint64_t id = number(argv[5], "PRODUCER_ID");
  const int64_t deadline = now_ns() + OP_DEADLINE_NS;
  uint64_t seq, fails = 0;
  if (id == 0 || id >= (UINT64_C(1) << 23)) die("PRODUCER_ID must be 1..2^23-1");
  for (seq = 0; seq < count; ++seq) {
    const uint64_t item = id << 40 | seq;
    for (;;) {
      const int status = zeroipc_queue_push(q, &item);
      if (status == ZEROIPC_OK) break;
      need(status, ZEROIPC_FULL, "zeroipc_queue_push");
      if (back_off(&fails, deadline)) die("producer %" PRIu64 ": queue full for too long at item %" PRIu64, id, seq);
    }
  }
  zeroipc_queue_close(q);
  zeroipc_memory_close(mem);
  say("produced %" PRIu64 " items as producer %" PRIu64, count, id);
  return 0;
}

#define MAX_PRODUCERS 16

static int queue_consume(char** argv) {
  zeroipc_memory* mem = segment(argv[0]);
  zeroipc_queue* q = queue(mem, argv[1], argv[2], number(argv[3], "CAPACITY"));
  const uint64_t per_producer = number(argv[4], "COUNT_PER_PRODUCER");
  uint64_t ids[MAX_PRODUCERS], next[MAX_PRODUCERS];
  size_t producers = 0, i;
  char list[256];
  char* token;
  char* save = NULL;
  uint64_t total, received = 0, fails = 0, item;
  const int64_t deadline = now_ns() + OP_DEADLINE_NS;
  snprintf(list, sizeof list, "%s", argv[5]);
  for (token = strtok_r(list, ",", &save); token != NULL; token = strtok_r(NULL, ",", &save)) {
    if (producers == MAX_PRODUCERS) die("too many producers");
    ids[producers] = number(token, "IDS");
    next[producers++] = 0;
  }
  if (producers == 0) die("no producer ids");
  total = per_producer * producers;
  while (received < total) {
    const int status = zeroipc_queue_pop(q, &item);
    if (status == ZEROIPC_EMPTY) {
      if (back_off(&fails, deadline)) {
        fprintf(stderr, "interop_c %s: error: received %" PRIu64 " of %" PRIu64 " items in %lld s; next expected:",
                command, received, total, (long long)(OP_DEADLINE_NS / 1000000000));
        for (i = 0; i < producers; ++i) fprintf(stderr, " producer %" PRIu64 " seq %" PRIu64, ids[i], next[i]);
        fputc('\n', stderr);
        exit(1);
      }
      continue;
    }
    need(status, ZEROIPC_OK, "zeroipc_queue_pop");
    {
      const uint64_t id = item >> 40, seq = item & ((UINT64_C(1) << 40) - 1);
      for (i = 0; i < producers && ids[i] != id; ++i) {
      }
      if (i == producers) die("item %#" PRIx64 " (#%" PRIu64 " received) is from unknown producer %" PRIu64, item, received, id);
      if (seq != next[i]) {
        die("producer %" PRIu64 ": got sequence %" PRIu64 ", expected %" PRIu64 " (%s) after %" PRIu64 " items", id,
            seq, next[i], seq < next[i] ? "a duplicate or out of order" : "items lost or out of order", received);
      }
      if (seq >= per_producer) die("producer %" PRIu64 ": sequence %" PRIu64 " beyond its count", id, seq);
      ++next[i];
      ++received;
    }
  }
  {
    const int status = zeroipc_queue_pop(q, &item);
    if (status == ZEROIPC_OK) die("an extra item %#" PRIx64 " after all %" PRIu64 " were received", item, total);
    need(status, ZEROIPC_EMPTY, "zeroipc_queue_pop (the end)");
  }
  zeroipc_queue_close(q);
  zeroipc_memory_close(mem);
  say("consumed %" PRIu64 " items from %zu producers in order", total, producers);
  return 0;
}

/* ------------------------------------------------------------------ arrays */

/* The same struct as interop_cpp.cpp's Mixed: padding after tag, u16, text and flag. */
struct mixed {
  uint8_t tag;    /* 0, then 7 bytes of padding */
  int64_t i64;    /* 8 */
  uint16_t u16;   /* 16, then 2 */
  float f32;      /* 20 */
  char text[11];  /* 24, then 5 */
  double f64;     /* 40 */
  uint32_t u32;   /* 48 */
  _Bool flag;     /* 52, then 3 */
};
typedef char mixed_size_is_56[sizeof(struct mixed) == 56 ? 1 : -1];
typedef char mixed_f64_at_40[offsetof(struct mixed, f64) == 40 ? 1 : -1];
typedef char mixed_flag_at_52[offsetof(struct mixed, flag) == 52 ? 1 : -1];
typedef char mixed_text_at_24[offsetof(struct mixed, text) == 24 ? 1 : -1];

static void mixed_value(struct mixed* m, uint64_t i, uint64_t seed) {
  memset(m, 0, sizeof *m);
  m->tag = (uint8_t)(i * 7 + seed);
  m->i64 = -(int64_t)(i * 1000003) - (int64_t)seed;
  m->u16 = (uint16_t)(i * 31 + 5);
  m->f32 = (float)i * 0.5f + (float)(seed % 100);
  snprintf(m->text, sizeof m->text, "e%u-%u", (unsigned)i, (unsigned)(seed % 1000));
  m->f64 = (double)i * 0.125 + (double)seed * 3.0;
  m->u32 = (uint32_t)(i ^ (seed * 2654435761u));
  m->flag = (i % 3) == 0;
}

static int array_write(char** argv) {
  zeroipc_memory* mem = segment(argv[0]);
  const uint64_t count = number(argv[2], "COUNT"), seed = number(argv[3], "SEED");
  zeroipc_array* a = NULL;
  struct mixed* data;
  uint64_t i;
  need(zeroipc_array_create(mem, argv[1], count, sizeof(struct mixed), ZEROIPC_DTYPE_OPAQUE, &a), ZEROIPC_OK,
       "zeroipc_array_create");
  data = (struct mixed*)zeroipc_array_data(a);
  for (i = 0; i < count; ++i) {
    struct mixed m;
    mixed_value(&m, i, seed);
    /* field by field: what a C program does, and the padding stays as it was (zero) */
    data[i].tag = m.tag;
    data[i].i64 = m.i64;
    data[i].u16 = m.u16;
    data[i].f32 = m.f32;
    memcpy(data[i].text, m.text, sizeof m.text);
    data[i].f64 = m.f64;
    data[i].u32 = m.u32;
    data[i].flag = m.flag;
  }
  zeroipc_array_close(a);
  zeroipc_memory_close(mem);
  say("wrote %" PRIu64 " elements of %zu bytes", count, sizeof(struct mixed));
  return 0;
}

static int array_check(char** argv) {
  zeroipc_memory* mem = existing_segment(argv[0]);
  const uint64_t count = number(argv[2], "COUNT"), seed = number(argv[3], "SEED");
  zeroipc_array* a = NULL;
  const struct mixed* data;
  uint64_t i;
  need(zeroipc_array_open(mem, argv[1], sizeof(struct mixed), ZEROIPC_DTYPE_OPAQUE, &a), ZEROIPC_OK,
       "zeroipc_array_open");
  if (zeroipc_array_capacity(a) != count) die("capacity %" PRIu64 ", expected %" PRIu64, zeroipc_array_capacity(a), count);
  if (zeroipc_array_element_size(a) != sizeof(struct mixed)) die("element size %u", zeroipc_array_element_size(a));
  data = (const struct mixed*)zeroipc_array_data(a);
  for (i = 0; i < count; ++i) {
    struct mixed e;
    const struct mixed* g = &data[i];
    mixed_value(&e, i, seed);
    if (g->tag != e.tag) die("element %" PRIu64 ": tag %u, expected %u", i, g->tag, e.tag);
    if (g->i64 != e.i64) die("element %" PRIu64 ": i64 %" PRId64 ", expected %" PRId64, i, g->i64, e.i64);
    if (g->u16 != e.u16) die("element %" PRIu64 ": u16 %u, expected %u", i, g->u16, e.u16);
    if (g->f32 != e.f32) die("element %" PRIu64 ": f32 %g, expected %g", i, (double)g->f32, (double)e.f32);
    if (memcmp(g->text, e.text, sizeof e.text) != 0) die("element %" PRIu64 ": text '%.11s', expected '%.11s'", i, g->text, e.text);
    if (g->f64 != e.f64) die("element %" PRIu64 ": f64 %g, expected %g", i, g->f64, e.f64);
    if (g->u32 != e.u32) die("element %" PRIu64 ": u32 %u, expected %u", i, g->u32, e.u32);
    if (g->flag != e.flag) die("element %" PRIu64 ": flag %d, expected %d", i, (int)g->flag, (int)e.flag);
  }
  zeroipc_array_close(a);
  zeroipc_memory_close(mem);
  say("checked %" PRIu64 " elements of %zu bytes", count, sizeof(struct mixed));
  return 0;
}

/* ------------------------------------------------------------------ futures */

static zeroipc_codata* cell_of(zeroipc_memory* mem, const char* name) {
  zeroipc_entry_info entry;
  need(zeroipc_table_find(mem, name, &entry), ZEROIPC_OK, "zeroipc_table_find");
  return (zeroipc_codata*)(void*)((uint8_t*)zeroipc_memory_base(mem) + entry.offset);
}

/* Waits until some process sleeps on the Future (its sleeper count, §7.4), then 50 ms more. */
static void wait_for_reader(zeroipc_memory* mem, const char* name, uint64_t wait_ms) {
  zeroipc_codata* cell = cell_of(mem, name);
  const int64_t deadline = now_ns() + (int64_t)wait_ms * 1000000;
  while (__atomic_load_n(&cell->sleepers, __ATOMIC_ACQUIRE) == 0) {
    if (now_ns() > deadline) die("no reader slept on the Future within %" PRIu64 " ms", wait_ms);
    sleep_ms(1);
  }
  sleep_ms(50);
}

static zeroipc_future* new_future(zeroipc_memory* mem, const char* name) {
  zeroipc_future* f = NULL;
  need(zeroipc_future_create(mem, name, sizeof(uint64_t), ZEROIPC_DTYPE_U64, &f), ZEROIPC_OK, "zeroipc_future_create");
  return f;
}

static int future_set(char** argv) {
  zeroipc_memory* mem = segment(argv[0]);
  zeroipc_future* f = new_future(mem, argv[1]);
  const uint64_t value = number(argv[2], "VALUE");
  int64_t at;
  say("ready");
  wait_for_reader(mem, argv[1], number(argv[3], "WAIT_READER_MS"));
  at = now_ns();
  need(zeroipc_future_set_value(f, &value), ZEROIPC_OK, "zeroipc_future_set_value");
  zeroipc_future_close(f);
  zeroipc_memory_close(mem);
  say("set %" PRIu64 " at %" PRId64, value, at);
  return 0;
}

static int future_hold(char** argv) {
  zeroipc_memory* mem = segment(argv[0]);
  zeroipc_future* f = new_future(mem, argv[1]);
  say("ready");
  wait_for_reader(mem, argv[1], number(argv[2], "WAIT_READER_MS"));
  say("reader-waiting");
  (void)f; /* held open until this process is killed */
  sleep_until_killed();
}

static int future_get(char** argv) {
  zeroipc_memory* mem = existing_segment(argv[0]);
  const uint64_t timeout_ms = number(argv[2], "TIMEOUT_MS");
  const int want_death = strcmp(argv[3], "producer-died") == 0;
  const uint64_t want = want_death ? 0 : number(argv[3], "EXPECT");
  zeroipc_future* f = NULL;
  uint64_t value = 0;
  int status;
  int64_t start, at;
  need(zeroipc_future_open(mem, argv[1], sizeof(uint64_t), ZEROIPC_DTYPE_U64, &f), ZEROIPC_OK, "zeroipc_future_open");
  start = now_ns();
  status = zeroipc_future_get(f, &value, (int64_t)timeout_ms * 1000000);
  at = now_ns();
  if (want_death) {
    need(status, ZEROIPC_E_PRODUCER_DIED, "zeroipc_future_get");
    say("producer-died after %.1f ms: %s", (double)(at - start) / 1e6, zeroipc_last_error());
  } else {
    need(status, ZEROIPC_OK, "zeroipc_future_get");
    if (value != want) die("got %" PRIu64 ", expected %" PRIu64, value, want);
    say("value %" PRIu64 " at %" PRId64 " after %.1f ms", value, at, (double)(at - start) / 1e6);
  }
  zeroipc_future_close(f);
  zeroipc_memory_close(mem);
  return 0;
}

/* ------------------------------------------------------------------ channels */

static zeroipc_channel* channel(zeroipc_memory* mem, const char* name, uint64_t capacity) {
  zeroipc_channel* ch = NULL;
  need(zeroipc_channel_create(mem, name, capacity, sizeof(uint64_t), ZEROIPC_DTYPE_U64, &ch), ZEROIPC_OK,
       "zeroipc_channel_create");
  if (zeroipc_channel_capacity(ch) != capacity) die("channel capacity %" PRIu64, zeroipc_channel_capacity(ch));
  return ch;
}

static int channel_send(char** argv) {
  zeroipc_memory* mem = segment(argv[0]);
  zeroipc_channel* ch = channel(mem, argv[1], number(argv[2], "CAPACITY"));
  const uint64_t count = number(argv[3], "COUNT");
  const int close = number(argv[4], "CLOSE") != 0;
  uint64_t i;
  for (i = 0; i < count; ++i) {
    const int status = zeroipc_channel_send(ch, &i, CHANNEL_WAIT_NS);
    if (status == ZEROIPC_FULL) die("value %" PRIu64 " not sent within 30 s", i);
    need(status, ZEROIPC_OK, "zeroipc_channel_send");
  }
  if (close) need(zeroipc_channel_close(ch), ZEROIPC_OK, "zeroipc_channel_close");
  zeroipc_channel_close_handle(ch);
  zeroipc_memory_close(mem);
  say("sent %" PRIu64 "%s", count, close ? ", then closed" : "");
  return 0;
}

static int channel_receive(char** argv) {
  zeroipc_memory* mem = segment(argv[0]);
  zeroipc_channel* ch = channel(mem, argv[1], number(argv[2], "CAPACITY"));
  const uint64_t count = number(argv[3], "COUNT");
  const int expect_closed = number(argv[4], "EXPECT_CLOSED") != 0;
  uint64_t i, v;
  int status;
  for (i = 0; i < count; ++i) {
    v = ~UINT64_C(0);
    status = zeroipc_channel_receive(ch, &v, CHANNEL_WAIT_NS);
    if (status == ZEROIPC_EMPTY) die("nothing received within 30 s after %" PRIu64 " values", i);
    if (status == ZEROIPC_E_CLOSED) die("closed and drained after %" PRIu64 " of %" PRIu64 " values", i, count);
    need(status, ZEROIPC_OK, "zeroipc_channel_receive");
    if (v != i) die("received %" PRIu64 " as value #%" PRIu64 " (out of order, lost or duplicated)", v, i);
  }
  if (expect_closed) {
    status = zeroipc_channel_receive(ch, &v, CHANNEL_WAIT_NS);
    if (status == ZEROIPC_OK) die("received an extra value %" PRIu64 " after %" PRIu64, v, count);
    need(status, ZEROIPC_E_CLOSED, "zeroipc_channel_receive after the last value");
    if (!zeroipc_channel_is_closed(ch)) die("zeroipc_channel_is_closed is 0 after ZEROIPC_E_CLOSED");
  }
  zeroipc_channel_close_handle(ch);
  zeroipc_memory_close(mem);
  say("received %" PRIu64 " in order%s", count, expect_closed ? ", then closed" : "");
  return 0;
}

static int channel_rv_send(char** argv) {
  zeroipc_memory* mem = segment(argv[0]);
  zeroipc_channel* ch = channel(mem, argv[1], 0);
  const uint64_t count = number(argv[2], "COUNT");
  const uint64_t sentinel = SENTINEL;
  uint64_t i;
  int64_t start, first = 0;
  int status = zeroipc_channel_send(ch, &sentinel, 100000000); /* nobody receives: withdrawn after 100 ms */
  if (status == ZEROIPC_OK) die("a rendezvous send with no receiver completed");
  need(status, ZEROIPC_FULL, "zeroipc_channel_send (no receiver, 100 ms)");
  start = now_ns();
  say("sending at %" PRId64, start);
  for (i = 0; i < count; ++i) {
    status = zeroipc_channel_send(ch, &i, CHANNEL_WAIT_NS);
    if (status == ZEROIPC_FULL) die("value %" PRIu64 " not taken within 30 s", i);
    need(status, ZEROIPC_OK, "zeroipc_channel_send");
    if (i == 0) first = now_ns();
  }
  zeroipc_channel_close_handle(ch);
  zeroipc_memory_close(mem);
  say("sent %" PRIu64 " first-returned %" PRId64, count, first);
  return 0;
}

static int channel_rv_receive(char** argv) {
  zeroipc_memory* mem = existing_segment(argv[0]);
  zeroipc_channel* ch = NULL;
  const uint64_t count = number(argv[2], "COUNT");
  uint64_t i, v;
  int64_t start;
  need(zeroipc_channel_open(mem, argv[1], sizeof(uint64_t), ZEROIPC_DTYPE_U64, &ch), ZEROIPC_OK, "zeroipc_channel_open");
  if (zeroipc_channel_capacity(ch) != 0) die("not a rendezvous channel: capacity %" PRIu64, zeroipc_channel_capacity(ch));
  start = now_ns();
  for (i = 0; i < count; ++i) {
    const int status = zeroipc_channel_receive(ch, &v, CHANNEL_WAIT_NS);
    if (status == ZEROIPC_EMPTY) die("nothing received within 30 s after %" PRIu64 " values", i);
    need(status, ZEROIPC_OK, "zeroipc_channel_receive");
    if (v == SENTINEL) die("received the withdrawn offer %#" PRIx64, v);
    if (v != i) die("received %" PRIu64 " as value #%" PRIu64, v, i);
  }
  zeroipc_channel_close_handle(ch);
  zeroipc_memory_close(mem);
  say("received %" PRIu64 " started %" PRId64, count, start);
  return 0;
}

static int channel_send_until_closed(char** argv) {
  zeroipc_memory* mem = segment(argv[0]);
  zeroipc_channel* ch = channel(mem, argv[1], number(argv[2], "CAPACITY"));
  const uint64_t capacity = zeroipc_channel_capacity(ch);
  const int64_t deadline = now_ns() + CHANNEL_WAIT_NS;
  uint64_t i;
  for (i = 0; i < capacity; ++i) need(zeroipc_channel_send(ch, &i, 0), ZEROIPC_OK, "zeroipc_channel_send (not full yet)");
  say("full");
  for (;; ++i) {
    const int status = zeroipc_channel_send(ch, &i, deadline - now_ns());
    if (status == ZEROIPC_E_CLOSED) break;
    if (status == ZEROIPC_FULL) die("not closed within 30 s (%" PRIu64 " sent)", i);
    need(status, ZEROIPC_OK, "zeroipc_channel_send");
  }
  if (!zeroipc_channel_is_closed(ch)) die("zeroipc_channel_is_closed is 0 after ZEROIPC_E_CLOSED");
  zeroipc_channel_close_handle(ch);
  zeroipc_memory_close(mem);
  say("closed after %" PRIu64 " sent", i);
  return 0;
}

static int channel_close_command(char** argv) {
  zeroipc_memory* mem = existing_segment(argv[0]);
  zeroipc_channel* ch = NULL;
  need(zeroipc_channel_open(mem, argv[1], sizeof(uint64_t), ZEROIPC_DTYPE_U64, &ch), ZEROIPC_OK, "zeroipc_channel_open");
  need(zeroipc_channel_close(ch), ZEROIPC_OK, "zeroipc_channel_close");
  if (!zeroipc_channel_is_closed(ch)) die("zeroipc_channel_is_closed is 0 after closing");
  need(zeroipc_channel_close(ch), ZEROIPC_E_CLOSED, "zeroipc_channel_close (a second time)");
  zeroipc_channel_close_handle(ch);
  zeroipc_memory_close(mem);
  say("closed");
  return 0;
}

/* ------------------------------------------------------------------ atomics */

static int counter_add(char** argv) {
  zeroipc_memory* mem = segment(argv[0]);
  zeroipc_array* a = NULL;
  const uint64_t count = number(argv[2], "COUNT");
  uint64_t i, retries = 0;
  uint64_t* word;
  need(zeroipc_array_open(mem, argv[1], sizeof(uint64_t), ZEROIPC_DTYPE_U64, &a), ZEROIPC_OK, "zeroipc_array_open");
  if (zeroipc_array_capacity(a) < 1) die("%s: empty array", argv[1]);
  word = (uint64_t*)zeroipc_array_data(a);
  if (zeroipc_array_capacity(a) >= 2) { /* the start gate */
    const int64_t deadline = now_ns() + OP_DEADLINE_NS;
    zeroipc_atomic_fetch_add_u64(word + 1, 1);
    while (!(zeroipc_atomic_load_u64(word + 1) & GATE_GO)) {
      struct timespec ts = {0, 50000};
      if (now_ns() > deadline) die("%s: the start gate did not open", argv[1]);
      nanosleep(&ts, NULL);
    }
  }
  for (i = 0; i < count; ++i) {
    uint64_t old = zeroipc_atomic_load_u64(word);
    while (!zeroipc_atomic_compare_exchange_u64(word, &old, old + 1)) ++retries;  /* old: the current value */
  }
  zeroipc_array_close(a);
  zeroipc_memory_close(mem);
  say("added %" PRIu64 " (%" PRIu64 " retries)", count, retries);
  return 0;
}

/* ------------------------------------------------------------------ the table lock */

/* An Array<u8> whose last byte is 42 (what check-table looks for). */
static void make_table_array(zeroipc_memory* mem, const char* name, uint64_t capacity) {
  zeroipc_array* a = NULL;
  need(zeroipc_array_create(mem, name, capacity, 1, ZEROIPC_DTYPE_U8, &a), ZEROIPC_OK, "zeroipc_array_create");
  ((uint8_t*)zeroipc_array_data(a))[capacity - 1] = 42;
  zeroipc_array_close(a);
}

static int populate(char** argv) {
  zeroipc_memory* mem = segment(argv[0]);
  make_table_array(mem, argv[1], 1000);
  zeroipc_memory_close(mem);
  say("created %s", argv[1]);
  return 0;
}

static zeroipc_segment_header* header_of(zeroipc_memory* mem) {
  return (zeroipc_segment_header*)zeroipc_memory_base(mem);
}

static int hold_table_lock(char** argv) {
  zeroipc_memory* mem = existing_segment(argv[0]);
  zeroipc_segment_header* h = header_of(mem);
  int took_over = 0;
  if (strcmp(argv[1], "locked") != 0) die("point '%s': the C side only holds the lock (\"locked\")", argv[1]);
  need(zipc_owner_lock(zipc_memory_mapping(mem), &h->table_lock, &h->lock_holder_pid, "interop: the table lock",
                       INT64_C(5000000000), &took_over),
       ZEROIPC_OK, "zipc_owner_lock");
  say("locked %ld", (long)getpid());
  sleep_until_killed();
}

static int create_after(char** argv) {
  zeroipc_memory* mem = existing_segment(argv[0]);
  const uint64_t capacity = number(argv[2], "CAPACITY");
  const uint64_t bound_ms = number(argv[3], "BOUND_MS");
  const int64_t start = now_ns();
  double ms;
  uint32_t lock;
  if (capacity == 0) die("CAPACITY must be at least 1");
  make_table_array(mem, argv[1], capacity);
  ms = (double)(now_ns() - start) / 1e6;
  if (ms > (double)bound_ms) die("creating '%s' took %.1f ms (bound %" PRIu64 " ms)", argv[1], ms, bound_ms);
  lock = __atomic_load_n(&header_of(mem)->table_lock, __ATOMIC_ACQUIRE);
  if (lock != 0) die("the table lock is %#x after the creation (expected 0: free)", lock);
  zeroipc_memory_close(mem);
  say("created %s in %.1f ms", argv[1], ms);
  return 0;
}

static int by_offset(const void* a, const void* b) {
  const zeroipc_entry_info* x = (const zeroipc_entry_info*)a;
  const zeroipc_entry_info* y = (const zeroipc_entry_info*)b;
  return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static int check_table(char** argv) {
  zeroipc_memory* mem = existing_segment(argv[0]);
  zeroipc_entry_info entries[64];
  size_t count = 0, i, expected = 0;
  char list[1024], seen[1024] = "";
  char* token;
  char* save = NULL;
  const uint64_t cursor = __atomic_load_n(&header_of(mem)->alloc_cursor, __ATOMIC_ACQUIRE);
  need(zeroipc_table_entries(mem, entries, 64, &count), ZEROIPC_OK, "zeroipc_table_entries");
  if (count > 64) die("%zu entries", count);
  for (i = 0; i < count; ++i) {
    strncat(seen, i ? "," : "", sizeof seen - strlen(seen) - 1);
    strncat(seen, entries[i].name, sizeof seen - strlen(seen) - 1);
  }
  snprintf(list, sizeof list, "%s", argv[1]);
  for (token = strtok_r(list, ",", &save); token != NULL; token = strtok_r(NULL, ",", &save)) {
    zeroipc_array* a = NULL;
    for (i = 0; i < count && strcmp(entries[i].name, token) != 0; ++i) {
    }
    if (i == count) die("entry '%s' is missing (entries: %s)", token, seen);
    need(zeroipc_array_open(mem, token, 1, ZEROIPC_DTYPE_U8, &a), ZEROIPC_OK, "zeroipc_array_open");
    if (((uint8_t*)zeroipc_array_data(a))[zeroipc_array_capacity(a) - 1] != 42) {
      die("'%s': its last byte is not 42", token);
    }
    zeroipc_array_close(a);
    ++expected;
  }
  if (expected != count) die("%zu entries (%s), expected %zu (%s)", count, seen, expected, argv[1]);
  qsort(entries, count, sizeof entries[0], by_offset);
  for (i = 0; i < count; ++i) {
    if (i > 0 && entries[i].offset < entries[i - 1].offset + entries[i - 1].size) {
      die("'%s' overlaps '%s'", entries[i - 1].name, entries[i].name);
    }
    if (entries[i].offset + entries[i].size > cursor) {
      die("'%s' lies past the allocation cursor %" PRIu64, entries[i].name, cursor);
    }
  }
  zeroipc_memory_close(mem);
  say("table ok: %s", seen);
  return 0;
}

/* ------------------------------------------------------------------ error messages */

/* Prints "<case>: <status> <message>" for a call that must fail: the driver
 * compares these lines with interop_cpp's (same message in both languages). */
static void report(const char* what, int status) {
  if (status >= 0) die("%s: succeeded (%s), expected an error", what, zeroipc_status_name(status));
  say("%s: %s", what, zeroipc_last_error());
}

static int errors(char** argv) {
  zeroipc_memory* mem = segment(argv[0]);
  zeroipc_memory* other = NULL;
  zeroipc_queue* q = NULL;
  zeroipc_future* f = NULL;
  zeroipc_channel* c = NULL;
  const uint64_t one = 1;
  char missing[300];
  snprintf(missing, sizeof missing, "%s_missing", argv[0]);
  report("missing-segment", zeroipc_memory_open(missing, 0, &other));
  report("bad-segment-name", zeroipc_memory_open("no_slash", 0, &other));
  report("missing-structure", zeroipc_queue_open(mem, "err_missing", 8, ZEROIPC_DTYPE_OPAQUE, &q));
  need(zeroipc_queue_create(mem, "err_q", ZEROIPC_QUEUE_VYUKOV_BOUNDED, 4, 8, ZEROIPC_DTYPE_OPAQUE, &q), ZEROIPC_OK,
       "zeroipc_queue_create");
  zeroipc_queue_close(q);
  report("element-size", zeroipc_queue_open(mem, "err_q", 4, ZEROIPC_DTYPE_OPAQUE, &q));
  report("capacity", zeroipc_queue_create(mem, "err_q", ZEROIPC_QUEUE_VYUKOV_BOUNDED, 5, 8, ZEROIPC_DTYPE_OPAQUE, &q));
  report("variant", zeroipc_queue_create(mem, "err_q", ZEROIPC_QUEUE_LOCKED_RING, 4, 8, ZEROIPC_DTYPE_OPAQUE, &q));
  need(zeroipc_future_create(mem, "err_f", 8, ZEROIPC_DTYPE_OPAQUE, &f), ZEROIPC_OK, "zeroipc_future_create");
  zeroipc_future_set_value(f, &one); /* the first of the two programs sets it */
  report("future-set-twice", zeroipc_future_set_value(f, &one));
  zeroipc_future_close(f);
  need(zeroipc_channel_create(mem, "err_c", 2, 8, ZEROIPC_DTYPE_OPAQUE, &c), ZEROIPC_OK, "zeroipc_channel_create");
  zeroipc_channel_close(c);
  report("send-on-closed", zeroipc_channel_send(c, &one, 0));
  zeroipc_channel_close_handle(c);
  zeroipc_memory_close(mem);
  return 0;
}

/* ------------------------------------------------------------------ main */

struct subcommand {
  const char* name;
  int args;
  int (*run)(char** argv);
};

static const struct subcommand commands[] = {
    {"queue-produce", 6, queue_produce},
    {"queue-consume", 6, queue_consume},
    {"array-write", 4, array_write},
    {"array-check", 4, array_check},
    {"future-set", 4, future_set},
    {"future-hold", 3, future_hold},
    {"future-get", 4, future_get},
    {"channel-send", 5, channel_send},
    {"channel-receive", 5, channel_receive},
    {"channel-rv-send", 3, channel_rv_send},
    {"channel-rv-receive", 3, channel_rv_receive},
    {"channel-send-until-closed", 3, channel_send_until_closed},
    {"channel-close", 2, channel_close_command},
    {"populate", 2, populate},
    {"hold-table-lock", 2, hold_table_lock},
    {"create-after", 4, create_after},
    {"check-table", 2, check_table},
    {"errors", 1, errors},
    {"counter-add", 3, counter_add},
};

int main(int argc, char** argv) {
  size_t i;
  if (argc >= 2) {
    for (i = 0; i < sizeof commands / sizeof commands[0]; ++i) {
      if (strcmp(argv[1], commands[i].name) == 0) {
        command = commands[i].name;
        if (argc - 2 != commands[i].args) die("%d arguments, expected %d", argc - 2, commands[i].args);
        return commands[i].run(argv + 2);
      }
    }
  }
  fprintf(stderr, "usage: interop_c COMMAND ARGS... (commands:");
  for (i = 0; i < sizeof commands / sizeof commands[0]; ++i) fprintf(stderr, " %s", commands[i].name);
  fprintf(stderr, ")\n");
  return 2;
}
