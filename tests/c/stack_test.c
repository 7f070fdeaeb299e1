/* stack_test.c — the C Stack, treiber_tagged (SPECIFICATION.md §7.3.1) with
 * its thread slots and recovery (§7.7): LIFO, full and empty, the checks of
 * open and create, threads pushing and popping at once, the 128 thread
 * slots, and a forked child
 * SIGKILLed in the middle of its pushes and pops, after which the parent
 * still fits `capacity` elements (a push that finds no free node recovers
 * what the dead child held). */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "zeroipc.h"
#include "zeroipc/layout/layout.h"

static char segment[64];

/* ------------------------------------------------------------------ one thread */

static void test_lifo(zeroipc_memory* mem) {
  zeroipc_stack* s = NULL;
  uint64_t x = 0;
  CHECK_STATUS(zeroipc_stack_create(mem, "lifo", ZEROIPC_STACK_TREIBER_TAGGED, 5, sizeof x, ZEROIPC_DTYPE_U64, &s),
               ZEROIPC_OK);
  if (s == NULL) return;
  CHECK_EQ_U64(zeroipc_stack_capacity(s), 5);
  CHECK_STATUS(zeroipc_stack_pop(s, &x), ZEROIPC_EMPTY);
  for (int round = 0; round < 3; ++round) {
    for (uint64_t i = 1; i <= 5; ++i) CHECK_STATUS(zeroipc_stack_push(s, &i), ZEROIPC_OK);
    x = 6;
    CHECK_STATUS(zeroipc_stack_push(s, &x), ZEROIPC_FULL);
    for (uint64_t i = 5; i >= 1; --i) {
      CHECK_STATUS(zeroipc_stack_pop(s, &x), ZEROIPC_OK);
      CHECK_EQ_U64(x, i);
    }
    CHECK_STATUS(zeroipc_stack_pop(s, &x), ZEROIPC_EMPTY);
  }
  zeroipc_stack_close(s);
}

static void test_open_and_refusals(zeroipc_memory* mem) {
  zeroipc_stack* s = NULL;
  zeroipc_queue* q = NULL;
  CHECK_STATUS(zeroipc_stack_open(mem, "lifo", sizeof(uint64_t), ZEROIPC_DTYPE_U64, &s), ZEROIPC_OK);
  if (s != NULL) CHECK_EQ_U64(zeroipc_stack_capacity(s), 5);
  zeroipc_stack_close(s);
  CHECK_STATUS(zeroipc_stack_open(mem, "lifo", 4, ZEROIPC_DTYPE_OPAQUE, &s), ZEROIPC_E_MISMATCH);
  CHECK(s == NULL);
  CHECK_MESSAGE_HAS("expected element size 4 bytes, found 8");
  CHECK_STATUS(zeroipc_stack_create(mem, "lifo", ZEROIPC_STACK_TREIBER_TAGGED, 6, 8, 0, &s), ZEROIPC_E_MISMATCH);
  CHECK_MESSAGE_HAS("exists with capacity 5, requested 6");
  CHECK_STATUS(zeroipc_stack_create(mem, "elim", ZEROIPC_STACK_ELIMINATION_BACKOFF, 4, 8, 0, &s),
               ZEROIPC_E_NOT_SUPPORTED);
  CHECK_MESSAGE_HAS("stack variant elimination_backoff is not supported by the C implementation");
  CHECK_STATUS(zeroipc_stack_create(mem, "zero", ZEROIPC_STACK_TREIBER_TAGGED, 0, 8, 0, &s),
               ZEROIPC_E_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("stack 'zero' (treiber_tagged): capacity 0 is not allowed (expected 1 to 2^32 - 2)");
  CHECK_STATUS(zeroipc_stack_create(mem, "huge", ZEROIPC_STACK_TREIBER_TAGGED, UINT64_C(0xFFFFFFFF), 8, 0, &s),
               ZEROIPC_E_INVALID_ARGUMENT);
  CHECK_STATUS(zeroipc_stack_open(mem, "missing", 8, 0, &s), ZEROIPC_E_NOT_FOUND);
  CHECK_STATUS(zeroipc_queue_create(mem, "a_queue", ZEROIPC_QUEUE_LOCKED_RING, 4, 8, 0, &q), ZEROIPC_OK);
  zeroipc_queue_close(q);
  CHECK_STATUS(zeroipc_stack_open(mem, "a_queue", 8, 0, &s), ZEROIPC_E_MISMATCH);
  CHECK_MESSAGE_HAS("expected stack (opened as Stack), found queue");
}

/* ------------------------------------------------------------------ threads */

#define ITEMS 200000u
#define THREADS_PER_SIDE 2u
#define PER_PRODUCER (ITEMS / THREADS_PER_SIDE)

typedef struct run {
  zeroipc_memory* mem;
  uint32_t producer;   /* atomic: the next producer's number */
  uint64_t consumed;   /* atomic */
  uint8_t seen[ITEMS]; /* atomic: how many times item i was popped */
  int errors;          /* atomic */
} run;

static zeroipc_stack* open_for_thread(run* r) {
  zeroipc_stack* s = NULL;
  if (zeroipc_stack_open(r->mem, "threads", sizeof(uint64_t), ZEROIPC_DTYPE_U64, &s) != ZEROIPC_OK) {
    fprintf(stderr, "thread open: %s\n", zeroipc_last_error());
    __atomic_fetch_add(&r->errors, 1, __ATOMIC_RELAXED);
  }
  return s;
}

static void* produce(void* arg) {
  run* r = arg;
  const uint64_t first = __atomic_fetch_add(&r->producer, 1, __ATOMIC_RELAXED) * (uint64_t)PER_PRODUCER;
  zeroipc_stack* s = open_for_thread(r);
  if (s == NULL) return NULL;
  for (uint64_t item = first; item < first + PER_PRODUCER; ++item) {
    int status;
    while ((status = zeroipc_stack_push(s, &item)) == ZEROIPC_FULL) sched_yield();
    if (status != ZEROIPC_OK) {
      fprintf(stderr, "push: %s\n", zeroipc_last_error());
      __atomic_fetch_add(&r->errors, 1, __ATOMIC_RELAXED);
      break;
    }
  }
  zeroipc_stack_close(s);
  return NULL;
}

static void* consume(void* arg) {
  run* r = arg;
  zeroipc_stack* s = open_for_thread(r);
  if (s == NULL) return NULL;
  while (__atomic_load_n(&r->consumed, __ATOMIC_RELAXED) < ITEMS && __atomic_load_n(&r->errors, __ATOMIC_RELAXED) == 0) {
    uint64_t item = 0;
    const int status = zeroipc_stack_pop(s, &item);
    if (status == ZEROIPC_EMPTY) {
      sched_yield();
      continue;
    }
    if (status != ZEROIPC_OK || item >= ITEMS) {
      fprintf(stderr, "pop: status %d, item %llu: %s\n", status, (unsigned long long)item, zeroipc_last_error());
      __atomic_fetch_add(&r->errors, 1, __ATOMIC_RELAXED);
      break;
    }
    __atomic_fetch_add(&r->seen[item], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&r->consumed, 1, __ATOMIC_RELAXED);
  }
  zeroipc_stack_close(s);
  return NULL;
}

static void test_threads(zeroipc_memory* mem) {
  pthread_t threads[2 * THREADS_PER_SIDE];
  zeroipc_stack* s = NULL;
  run* r = calloc(1, sizeof *r);
  CHECK(r != NULL);
  if (r == NULL) return;
  CHECK_STATUS(zeroipc_stack_create(mem, "threads", ZEROIPC_STACK_TREIBER_TAGGED, 64, sizeof(uint64_t),
                                    ZEROIPC_DTYPE_U64, &s),
               ZEROIPC_OK);
  r->mem = mem;
  for (uint32_t i = 0; i < THREADS_PER_SIDE; ++i) pthread_create(&threads[i], NULL, consume, r);
  for (uint32_t i = 0; i < THREADS_PER_SIDE; ++i) pthread_create(&threads[THREADS_PER_SIDE + i], NULL, produce, r);
  for (uint32_t i = 0; i < 2 * THREADS_PER_SIDE; ++i) pthread_join(threads[i], NULL);
  uint64_t once = 0;
  for (uint64_t i = 0; i < ITEMS; ++i) once += r->seen[i] == 1;
  printf("treiber_tagged %u+%u threads: %llu of %u items popped once\n", THREADS_PER_SIDE, THREADS_PER_SIDE,
         (unsigned long long)once, ITEMS);
  CHECK_EQ_U64(r->errors, 0);
  CHECK_EQ_U64(r->consumed, ITEMS);
  CHECK_EQ_U64(once, ITEMS);
  uint64_t x = 0;
  CHECK_STATUS(zeroipc_stack_pop(s, &x), ZEROIPC_EMPTY);
  zeroipc_stack_close(s);
  free(r);
}

/* ------------------------------------------------------------------ 128 thread slots */

#define LIMIT_THREADS 130u

typedef struct limit_run {
  zeroipc_memory* mem;
  pthread_barrier_t all_tried; /* no thread exits (freeing its slot) before every thread pushed */
  int ok;                      /* atomic */
  int limited;                 /* atomic */
  int message_right;           /* atomic */
} limit_run;

static void* push_and_wait(void* arg) {
  limit_run* r = arg;
  zeroipc_stack* s = NULL;
  uint64_t x = 1;
  if (zeroipc_stack_open(r->mem, "limit", sizeof x, 0, &s) == ZEROIPC_OK) {
    const int status = zeroipc_stack_push(s, &x);
    if (status == ZEROIPC_OK) __atomic_fetch_add(&r->ok, 1, __ATOMIC_RELAXED);
    if (status == ZEROIPC_E_LIMIT) {
      __atomic_fetch_add(&r->limited, 1, __ATOMIC_RELAXED);
      if (strstr(zeroipc_last_error(), "stack 'limit' (treiber_tagged): all 128 thread slots are held by live "
                                       "threads (one per thread using the structure)") != NULL) {
        __atomic_fetch_add(&r->message_right, 1, __ATOMIC_RELAXED);
      }
    }
  }
  pthread_barrier_wait(&r->all_tried);
  zeroipc_stack_close(s);
  return NULL;
}

/* 130 live threads: 128 get a slot, 2 get ZEROIPC_E_LIMIT. */
static void test_thread_limit(zeroipc_memory* mem) {
  pthread_t threads[LIMIT_THREADS];
  zeroipc_stack* s = NULL;
  limit_run r;
  memset(&r, 0, sizeof r);
  r.mem = mem;
  CHECK_STATUS(zeroipc_stack_create(mem, "limit", ZEROIPC_STACK_TREIBER_TAGGED, LIMIT_THREADS, sizeof(uint64_t), 0, &s),
               ZEROIPC_OK);
  zeroipc_stack_close(s);
  pthread_barrier_init(&r.all_tried, NULL, LIMIT_THREADS);
  for (uint32_t i = 0; i < LIMIT_THREADS; ++i) CHECK(pthread_create(&threads[i], NULL, push_and_wait, &r) == 0);
  for (uint32_t i = 0; i < LIMIT_THREADS; ++i) pthread_join(threads[i], NULL);
  pthread_barrier_destroy(&r.all_tried);
  CHECK_EQ_U64(r.ok, 128);
  CHECK_EQ_U64(r.limited, LIMIT_THREADS - 128);
  CHECK_EQ_U64(r.message_right, LIMIT_THREADS - 128);
}

/* ------------------------------------------------------------------ a child killed inside its operations */

#define KILLED_CAPACITY 16u
#define BIG 4096u /* a long copy while the node is held: most kills land there */
#define KILL_ROUNDS 40

typedef struct big {
  uint64_t n;
  uint8_t pad[BIG - 8];
} big;

/* The §7.7 control line of the stack `name`, read through the layout. */
static const zeroipc_op_control* control_of(zeroipc_memory* mem, const char* name) {
  zeroipc_entry_info entry;
  if (zeroipc_table_find(mem, name, &entry) != ZEROIPC_OK) return NULL;
  const uint8_t* structure = (const uint8_t*)zeroipc_memory_base(mem) + entry.offset;
  return &((const zeroipc_treiber_body*)(structure + ZEROIPC_BODY_OFFSET))->ops.control;
}

/* Pushes and pops until killed; tells the parent (one byte) once it runs. */
static void churn(zeroipc_stack* s, int ready) {
  big b;
  memset(&b, 0, sizeof b);
  for (uint64_t i = 0;; ++i) {
    b.n = i;
    if (zeroipc_stack_push(s, &b) != ZEROIPC_OK || zeroipc_stack_pop(s, &b) != ZEROIPC_OK) _exit(1);
    if (i == 100 && write(ready, "r", 1) != 1) _exit(2);
  }
}

static void kill_a_churning_child(zeroipc_stack* s) {
  int fds[2];
  char c;
  if (pipe(fds) != 0) return;
  fflush(NULL);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    churn(s, fds[1]);
  }
  close(fds[1]);
  CHECK(read(fds[0], &c, 1) == 1);
  close(fds[0]);
  const struct timespec pause = {0, (long)(rand() % 2000) * 1000};
  nanosleep(&pause, NULL);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

/* Pushes `capacity` elements (a FULL may come while a recovery is not yet
 * due: the slots are scanned at most every 10 ms), then pops them all. */
static void fill_and_drain(zeroipc_stack* s) {
  big b;
  memset(&b, 0, sizeof b);
  uint32_t pushed = 0;
  for (int tries = 0; pushed < KILLED_CAPACITY && tries < 100;) {
    b.n = pushed;
    const int status = zeroipc_stack_push(s, &b);
    if (status == ZEROIPC_OK) {
      ++pushed;
    } else {
      CHECK_STATUS(status, ZEROIPC_FULL);
      ++tries;
      nanosleep(&(struct timespec){0, 2000000}, NULL);
    }
  }
  CHECK_EQ_U64(pushed, KILLED_CAPACITY);
  uint32_t popped = 0;
  while (zeroipc_stack_pop(s, &b) == ZEROIPC_OK) ++popped;
  CHECK_EQ_U64(popped, KILLED_CAPACITY);
}

static void test_killed_child(zeroipc_memory* mem) {
  zeroipc_stack* s = NULL;
  big b;
  CHECK_STATUS(zeroipc_stack_create(mem, "killed", ZEROIPC_STACK_TREIBER_TAGGED, KILLED_CAPACITY, sizeof b, 0, &s),
               ZEROIPC_OK);
  const zeroipc_op_control* control = control_of(mem, "killed");
  CHECK(control != NULL);
  if (s == NULL || control == NULL) return;
  for (int round = 0; round < KILL_ROUNDS; ++round) {
    kill_a_churning_child(s);
    while (zeroipc_stack_pop(s, &b) == ZEROIPC_OK) {
    }
    fill_and_drain(s);
  }
  const uint64_t recoveries = __atomic_load_n(&control->recoveries, __ATOMIC_RELAXED);
  const uint64_t recovered = __atomic_load_n(&control->recovered, __ATOMIC_RELAXED);
  printf("treiber_tagged: %d children killed, %llu recoveries gave back %llu nodes\n", KILL_ROUNDS,
         (unsigned long long)recoveries, (unsigned long long)recovered);
  CHECK(recoveries >= 1);
  CHECK(recovered >= 1);
  zeroipc_stack_close(s);
}

int main(void) {
  zeroipc_memory* mem = NULL;
  srand((unsigned)getpid());
  snprintf(segment, sizeof segment, "/zipc_c_stack_test_%d", (int)getpid());
  CHECK_STATUS(zeroipc_memory_create(segment, 8u << 20, NULL, &mem), ZEROIPC_OK);
  if (mem == NULL) return check_summary("stack");
  test_lifo(mem);
  test_open_and_refusals(mem);
  test_threads(mem);
  test_thread_limit(mem);
  test_killed_child(mem);
  zeroipc_memory_close(mem);
  zeroipc_memory_unlink(segment);
  return check_summary("stack");
}
