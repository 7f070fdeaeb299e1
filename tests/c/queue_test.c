/* queue_test.c — the C Queue (SPECIFICATION.md §7.2): each variant the C
 * implementation runs (vyukov_bounded, spsc_ring, locked_ring) single
 * threaded (FIFO, full and empty, a capacity that is not a power of two,
 * positions past the ring), the checks of open and create, threads pushing
 * and popping at once, and the spsc_ring roles across processes (fork). */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "zeroipc.h"

static char segment[64];

static const char* variant_text(zeroipc_queue_variant v) {
  switch (v) {
    case ZEROIPC_QUEUE_VYUKOV_BOUNDED:
      return "vyukov_bounded";
    case ZEROIPC_QUEUE_SPSC_RING:
      return "spsc_ring";
    default:
      return "locked_ring";
  }
}

static const zeroipc_queue_variant variants[] = {ZEROIPC_QUEUE_VYUKOV_BOUNDED, ZEROIPC_QUEUE_SPSC_RING,
                                                 ZEROIPC_QUEUE_LOCKED_RING};

/* ------------------------------------------------------------------ one thread */

static void test_fifo(zeroipc_memory* mem, zeroipc_queue_variant v) {
  char name[32];
  zeroipc_queue* q = NULL;
  uint64_t x = 0;
  snprintf(name, sizeof name, "fifo_%d", (int)v);
  CHECK_STATUS(zeroipc_queue_create(mem, name, v, 8, sizeof(uint64_t), ZEROIPC_DTYPE_U64, &q), ZEROIPC_OK);
  if (q == NULL) return;
  CHECK_EQ_U64(zeroipc_queue_capacity(q), 8);
  CHECK(zeroipc_queue_variant_of(q) == v);
  CHECK_STATUS(zeroipc_queue_pop(q, &x), ZEROIPC_EMPTY);
  for (uint64_t i = 1; i <= 8; ++i) CHECK_STATUS(zeroipc_queue_push(q, &i), ZEROIPC_OK);
  x = 9;
  CHECK_STATUS(zeroipc_queue_push(q, &x), ZEROIPC_FULL);
  CHECK_EQ_U64(zeroipc_queue_size_approx(q), 8);
  for (uint64_t i = 1; i <= 8; ++i) {
    CHECK_STATUS(zeroipc_queue_pop(q, &x), ZEROIPC_OK);
    CHECK_EQ_U64(x, i);
  }
  CHECK_STATUS(zeroipc_queue_pop(q, &x), ZEROIPC_EMPTY);
  CHECK_EQ_U64(zeroipc_queue_size_approx(q), 0);
  zeroipc_queue_close(q);
}

/* Capacity 6 in a ring of 8: full at exactly 6, also after many laps. */
static void test_capacity_not_power_of_two(zeroipc_memory* mem, zeroipc_queue_variant v) {
  char name[32];
  zeroipc_queue* q = NULL;
  uint64_t next_in = 0, next_out = 0, x = 0;
  snprintf(name, sizeof name, "six_%d", (int)v);
  CHECK_STATUS(zeroipc_queue_create(mem, name, v, 6, sizeof(uint64_t), ZEROIPC_DTYPE_U64, &q), ZEROIPC_OK);
  if (q == NULL) return;
  for (int lap = 0; lap < 50; ++lap) {
    int pushed = 0;
    while (zeroipc_queue_push(q, &next_in) == ZEROIPC_OK) ++next_in, ++pushed;
    CHECK_EQ_U64(pushed, lap == 0 ? 6 : 3);
    CHECK_EQ_U64(zeroipc_queue_size_approx(q), 6);
    for (int i = 0; i < 3; ++i) {
      CHECK_STATUS(zeroipc_queue_pop(q, &x), ZEROIPC_OK);
      CHECK_EQ_U64(x, next_out++);
    }
  }
  while (zeroipc_queue_pop(q, &x) == ZEROIPC_OK) CHECK_EQ_U64(x, next_out++);
  CHECK_EQ_U64(next_out, next_in);
  zeroipc_queue_close(q);
}

static void test_open(zeroipc_memory* mem, zeroipc_queue_variant v) {
  char name[32];
  char expected[96];
  zeroipc_queue* q = NULL;
  snprintf(name, sizeof name, "six_%d", (int)v);
  CHECK_STATUS(zeroipc_queue_open(mem, name, sizeof(uint64_t), ZEROIPC_DTYPE_U64, &q), ZEROIPC_OK);
  if (q != NULL) {
    CHECK(zeroipc_queue_variant_of(q) == v);
    CHECK_EQ_U64(zeroipc_queue_capacity(q), 6);
    zeroipc_queue_close(q);
  }
  CHECK_STATUS(zeroipc_queue_open(mem, name, 4, ZEROIPC_DTYPE_OPAQUE, &q), ZEROIPC_E_MISMATCH);
  CHECK(q == NULL);
  CHECK_MESSAGE_HAS("expected element size 4 bytes, found 8");
  CHECK_STATUS(zeroipc_queue_create(mem, name, v, 6, 4, ZEROIPC_DTYPE_OPAQUE, &q), ZEROIPC_E_MISMATCH);
  CHECK_MESSAGE_HAS("expected element size 4 bytes, found 8");
  CHECK_STATUS(zeroipc_queue_create(mem, name, v, 7, sizeof(uint64_t), ZEROIPC_DTYPE_U64, &q), ZEROIPC_E_MISMATCH);
  CHECK_MESSAGE_HAS("exists with capacity 6, requested 7");
  const zeroipc_queue_variant other = v == ZEROIPC_QUEUE_LOCKED_RING ? ZEROIPC_QUEUE_SPSC_RING : ZEROIPC_QUEUE_LOCKED_RING;
  CHECK_STATUS(zeroipc_queue_create(mem, name, other, 6, sizeof(uint64_t), ZEROIPC_DTYPE_U64, &q), ZEROIPC_E_MISMATCH);
  snprintf(expected, sizeof expected, "expected variant %s, found %s", variant_text(other), variant_text(v));
  CHECK_MESSAGE_HAS(expected);
}

static void test_refusals(zeroipc_memory* mem) {
  zeroipc_queue* q = NULL;
  zeroipc_stack* s = NULL;
  CHECK_STATUS(zeroipc_queue_create(mem, "lcrq", ZEROIPC_QUEUE_LCRQ, 8, 8, 0, &q), ZEROIPC_E_NOT_SUPPORTED);
  CHECK_MESSAGE_HAS("structure 'lcrq': queue variant lcrq is not supported by the C implementation");
  CHECK_STATUS(zeroipc_queue_create(mem, "scq", ZEROIPC_QUEUE_SCQ, 8, 8, 0, &q), ZEROIPC_E_NOT_SUPPORTED);
  CHECK_STATUS(zeroipc_queue_create(mem, "bad", (zeroipc_queue_variant)9, 8, 8, 0, &q), ZEROIPC_E_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("unknown queue variant 9");
  CHECK_STATUS(zeroipc_queue_create(mem, "zero", ZEROIPC_QUEUE_VYUKOV_BOUNDED, 0, 8, 0, &q),
               ZEROIPC_E_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("queue 'zero' (vyukov_bounded): capacity 0 is not allowed (expected from 1 to 2^40)");
  CHECK_STATUS(zeroipc_queue_create(mem, "huge", ZEROIPC_QUEUE_LOCKED_RING, (UINT64_C(1) << 40) + 1, 8, 0, &q),
               ZEROIPC_E_INVALID_ARGUMENT);
  CHECK_STATUS(zeroipc_queue_open(mem, "missing", 8, 0, &q), ZEROIPC_E_NOT_FOUND);
  CHECK_STATUS(zeroipc_stack_create(mem, "a_stack", ZEROIPC_STACK_TREIBER_TAGGED, 4, 8, 0, &s), ZEROIPC_OK);
  zeroipc_stack_close(s);
  CHECK_STATUS(zeroipc_queue_open(mem, "a_stack", 8, 0, &q), ZEROIPC_E_MISMATCH);
  CHECK_MESSAGE_HAS("expected queue (opened as Queue), found stack");
  CHECK(q == NULL);
}

/* ------------------------------------------------------------------ threads */

#define ITEMS 200000u
#define PRODUCERS 2u
#define CONSUMERS 2u

typedef struct run {
  zeroipc_memory* mem;
  const char* name;
  uint32_t producer;        /* atomic: the next producer's number */
  uint64_t per_producer;
  uint64_t consumed;        /* atomic: by all consumers */
  uint8_t seen[ITEMS];      /* atomic: how many times item i was popped */
  int order_broken;         /* atomic: a consumer saw a producer's items out of order */
  int errors;               /* atomic */
} run;

static zeroipc_queue* open_for_thread(run* r) {
  zeroipc_queue* q = NULL;
  if (zeroipc_queue_open(r->mem, r->name, sizeof(uint64_t), ZEROIPC_DTYPE_U64, &q) != ZEROIPC_OK) {
    fprintf(stderr, "thread open: %s\n", zeroipc_last_error());
    __atomic_fetch_add(&r->errors, 1, __ATOMIC_RELAXED);
  }
  return q;
}

static void* produce(void* arg) {
  run* r = arg;
  const uint32_t me = __atomic_fetch_add(&r->producer, 1, __ATOMIC_RELAXED);
  zeroipc_queue* q = open_for_thread(r);
  if (q == NULL) return NULL;
  for (uint64_t i = 0; i < r->per_producer; ++i) {
    const uint64_t item = (uint64_t)me << 32 | i;
    int status;
    while ((status = zeroipc_queue_push(q, &item)) == ZEROIPC_FULL) sched_yield();
    if (status != ZEROIPC_OK) {
      fprintf(stderr, "push: %s\n", zeroipc_last_error());
      __atomic_fetch_add(&r->errors, 1, __ATOMIC_RELAXED);
      break;
    }
  }
  zeroipc_queue_close(q);
  return NULL;
}

static void* consume(void* arg) {
  run* r = arg;
  uint64_t last[PRODUCERS];
  int any[PRODUCERS] = {0};
  zeroipc_queue* q = open_for_thread(r);
  if (q == NULL) return NULL;
  while (__atomic_load_n(&r->consumed, __ATOMIC_RELAXED) < ITEMS && __atomic_load_n(&r->errors, __ATOMIC_RELAXED) == 0) {
    uint64_t item = 0;
    const int status = zeroipc_queue_pop(q, &item);
    if (status == ZEROIPC_EMPTY) {
      sched_yield();
      continue;
    }
    const uint32_t producer = (uint32_t)(item >> 32);
    const uint64_t i = item & 0xFFFFFFFFu;
    if (status != ZEROIPC_OK || producer >= PRODUCERS || i >= r->per_producer) {
      fprintf(stderr, "pop: status %d, item %llx: %s\n", status, (unsigned long long)item, zeroipc_last_error());
      __atomic_fetch_add(&r->errors, 1, __ATOMIC_RELAXED);
      break;
    }
    if (any[producer] && i <= last[producer]) __atomic_store_n(&r->order_broken, 1, __ATOMIC_RELAXED);
    any[producer] = 1;
    last[producer] = i;
    __atomic_fetch_add(&r->seen[producer * r->per_producer + i], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&r->consumed, 1, __ATOMIC_RELAXED);
  }
  zeroipc_queue_close(q);
  return NULL;
}

/* `producers` + `consumers` threads, each with its own handle, move ITEMS items. */
static void test_threads(zeroipc_memory* mem, zeroipc_queue_variant v, uint32_t producers, uint32_t consumers) {
  char name[32];
  pthread_t threads[PRODUCERS + CONSUMERS];
  zeroipc_queue* q = NULL;
  run* r = calloc(1, sizeof *r);
  CHECK(r != NULL);
  if (r == NULL) return;
  snprintf(name, sizeof name, "threads_%d", (int)v);
  CHECK_STATUS(zeroipc_queue_create(mem, name, v, 64, sizeof(uint64_t), ZEROIPC_DTYPE_U64, &q), ZEROIPC_OK);
  r->mem = mem;
  r->name = name;
  r->per_producer = ITEMS / producers;
  for (uint32_t i = 0; i < consumers; ++i) pthread_create(&threads[i], NULL, consume, r);
  for (uint32_t i = 0; i < producers; ++i) pthread_create(&threads[consumers + i], NULL, produce, r);
  for (uint32_t i = 0; i < producers + consumers; ++i) pthread_join(threads[i], NULL);
  const uint64_t expected = ITEMS;
  uint64_t once = 0;
  for (uint64_t i = 0; i < ITEMS; ++i) once += r->seen[i] == 1;
  printf("%s %u+%u threads: %llu of %llu items popped once\n", variant_text(v), producers, consumers,
         (unsigned long long)once, (unsigned long long)expected);
  CHECK_EQ_U64(r->errors, 0);
  CHECK_EQ_U64(r->consumed, expected);
  CHECK_EQ_U64(once, expected);
  CHECK(!r->order_broken);
  CHECK_EQ_U64(zeroipc_queue_size_approx(q), 0);
  zeroipc_queue_close(q);
  free(r);
}

/* ------------------------------------------------------------------ spsc_ring roles across processes */

/* Runs `child(q)` in a forked child with the inherited handle; its exit status. */
static int in_child(zeroipc_queue* q, int (*child)(zeroipc_queue*)) {
  fflush(NULL);
  const pid_t pid = fork();
  if (pid == 0) _exit(child(q));
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

/* Claims the producer role and dies holding it. */
static int push_and_die(zeroipc_queue* q) {
  const uint64_t x = 1;
  return zeroipc_queue_push(q, &x) == ZEROIPC_OK ? 0 : 1;
}

static int pid_in_message;

/* A second producer while the parent holds the role: refused, naming the parent. */
static int push_refused(zeroipc_queue* q) {
  char expected[160];
  const uint64_t x = 3;
  if (zeroipc_queue_push(q, &x) != ZEROIPC_E_ROLE_TAKEN) return 1;
  snprintf(expected, sizeof expected,
           "queue 'roles' (spsc_ring): the producer role is held by live process %d; a spsc_ring allows one producer",
           pid_in_message);
  if (strstr(zeroipc_last_error(), expected) == NULL) {
    fprintf(stderr, "child: \"%s\" lacks \"%s\"\n", zeroipc_last_error(), expected);
    return 2;
  }
  return 0;
}

static void test_spsc_roles(zeroipc_memory* mem) {
  zeroipc_queue* q = NULL;
  zeroipc_queue* again = NULL;
  zeroipc_queue* unused = NULL;
  uint64_t x = 0;
  CHECK_STATUS(zeroipc_queue_create(mem, "roles", ZEROIPC_QUEUE_SPSC_RING, 4, sizeof(uint64_t), 0, &q), ZEROIPC_OK);
  if (q == NULL) return;
  /* A child claims the producer role and dies: the parent takes it over. */
  CHECK_EQ_U64(in_child(q, push_and_die), 0);
  x = 2;
  CHECK_STATUS(zeroipc_queue_push(q, &x), ZEROIPC_OK);
  /* Now the parent holds it: a second producer process is refused. */
  pid_in_message = (int)getpid();
  CHECK_EQ_U64(in_child(q, push_refused), 0);
  CHECK_STATUS(zeroipc_queue_pop(q, &x), ZEROIPC_OK);
  CHECK_EQ_U64(x, 1);
  CHECK_STATUS(zeroipc_queue_pop(q, &x), ZEROIPC_OK);
  CHECK_EQ_U64(x, 2);
  /* Two handles of this process share the role; closing the last that used it releases it. */
  CHECK_STATUS(zeroipc_queue_open(mem, "roles", sizeof(uint64_t), 0, &again), ZEROIPC_OK);
  CHECK_STATUS(zeroipc_queue_open(mem, "roles", sizeof(uint64_t), 0, &unused), ZEROIPC_OK);
  if (again == NULL || unused == NULL) return;
  CHECK_STATUS(zeroipc_queue_push(again, &x), ZEROIPC_OK);
  zeroipc_queue_close(q);
  CHECK_EQ_U64(in_child(unused, push_refused), 0);
  zeroipc_queue_close(again);
  CHECK_EQ_U64(in_child(unused, push_and_die), 0);
  zeroipc_queue_close(unused);
}

int main(void) {
  zeroipc_memory* mem = NULL;
  snprintf(segment, sizeof segment, "/zipc_c_queue_test_%d", (int)getpid());
  CHECK_STATUS(zeroipc_memory_create(segment, 8u << 20, NULL, &mem), ZEROIPC_OK);
  if (mem == NULL) return check_summary("queue");
  for (size_t i = 0; i < sizeof variants / sizeof variants[0]; ++i) {
    test_fifo(mem, variants[i]);
    test_capacity_not_power_of_two(mem, variants[i]);
    test_open(mem, variants[i]);
  }
  test_refusals(mem);
  test_threads(mem, ZEROIPC_QUEUE_VYUKOV_BOUNDED, PRODUCERS, CONSUMERS);
  test_threads(mem, ZEROIPC_QUEUE_LOCKED_RING, PRODUCERS, CONSUMERS);
  test_threads(mem, ZEROIPC_QUEUE_SPSC_RING, 1, 1);
  test_spsc_roles(mem);
  zeroipc_memory_close(mem);
  zeroipc_memory_unlink(segment);
  return check_summary("queue");
}
