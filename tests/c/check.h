/* check.h — the check macros of the C tests (tests/c/NAME_test.c): each failed
 * check prints where and what, and the program's exit status counts them.
 *
 *   CHECK(cond);                     CHECK_EQ_U64(a, b);
 *   CHECK_STATUS(call, ZEROIPC_OK);  prints zeroipc_last_error() on a wrong status
 *   CHECK_MESSAGE_HAS("needle");     zeroipc_last_error() contains the text
 *   return check_summary("queue");   prints "queue: N checks, F failed" and returns F != 0
 *
 * And what the tests that share one segment and fork() use (static inline: a
 * test that does not use one gets no unused-function warning):
 *
 *   mem = check_segment_create(segment, sizeof segment, "lazy", 1u << 20);   /zipc_c_lazy_<pid>
 *   if (mem == NULL) return 1;
 *   ...
 *   return check_segment_finish(mem, segment, "lazy");  closes, unlinks (a check), check_summary
 *   check_structure_at(mem, "name")   the structure's bytes in this process's mapping
 *   CHECK(check_child_ok(child));     waits for a forked child: it exited with 0
 *   check_now_ns()                    CLOCK_MONOTONIC in nanoseconds
 */
#ifndef ZEROIPC_TESTS_C_CHECK_H
#define ZEROIPC_TESTS_C_CHECK_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "zeroipc.h"

static unsigned long check_count;
static unsigned long check_failed;

#define CHECK(cond)                                                                    \
  do {                                                                                 \
    ++check_count;                                                                     \
    if (!(cond)) {                                                                     \
      ++check_failed;                                                                  \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);         \
    }                                                                                  \
  } while (0)

#define CHECK_EQ_U64(a, b)                                                                          \
  do {                                                                                              \
    const uint64_t check_a_ = (uint64_t)(a), check_b_ = (uint64_t)(b);                              \
    ++check_count;                                                                                  \
    if (check_a_ != check_b_) {                                                                     \
      ++check_failed;                                                                               \
      fprintf(stderr, "%s:%d: %s == %s: %" PRIu64 " != %" PRIu64 "\n", __FILE__, __LINE__, #a, #b, \
              check_a_, check_b_);                                                                  \
    }                                                                                               \
  } while (0)

#define CHECK_STATUS(call, expected)                                                               \
  do {                                                                                             \
    const int check_s_ = (call);                                                                   \
    ++check_count;                                                                                 \
    if (check_s_ != (expected)) {                                                                  \
      ++check_failed;                                                                              \
      fprintf(stderr, "%s:%d: %s returned %s, expected %s (last error: %s)\n", __FILE__, __LINE__, \
              #call, zeroipc_status_name(check_s_), zeroipc_status_name(expected),                  \
              zeroipc_last_error());                                                               \
    }                                                                                              \
  } while (0)

#define CHECK_MESSAGE_HAS(needle)                                                                       \
  do {                                                                                                  \
    ++check_count;                                                                                      \
    if (strstr(zeroipc_last_error(), (needle)) == NULL) {                                               \
      ++check_failed;                                                                                   \
      fprintf(stderr, "%s:%d: last error \"%s\" lacks \"%s\"\n", __FILE__, __LINE__, zeroipc_last_error(), \
              (needle));                                                                                \
    }                                                                                                   \
  } while (0)

static int check_summary(const char* what) {
  printf("%s: %lu checks, %lu failed\n", what, check_count, check_failed);
  return check_failed != 0;
}

/* Creates the test's segment /zipc_c_<what>_<pid> of `size` bytes (its name into name[name_size]);
 * NULL, with the reason printed, when it cannot. */
static inline zeroipc_memory* check_segment_create(char* name, size_t name_size, const char* what, uint64_t size) {
  zeroipc_memory* mem = NULL;
  snprintf(name, name_size, "/zipc_c_%s_%d", what, (int)getpid());
  if (zeroipc_memory_create(name, size, NULL, &mem) != ZEROIPC_OK) {
    fprintf(stderr, "cannot create %s: %s\n", name, zeroipc_last_error());
    return NULL;
  }
  return mem;
}

/* The end of a test program: closes the segment, unlinks it (a check), and returns check_summary(what). */
static inline int check_segment_finish(zeroipc_memory* mem, const char* name, const char* what) {
  zeroipc_memory_close(mem);
  CHECK_STATUS(zeroipc_memory_unlink(name), ZEROIPC_OK);
  return check_summary(what);
}

/* The bytes of structure `name` (a check that it exists) in this process's mapping of `mem`. */
static inline void* check_structure_at(zeroipc_memory* mem, const char* name) {
  zeroipc_entry_info entry;
  memset(&entry, 0, sizeof entry);
  CHECK_STATUS(zeroipc_table_find(mem, name, &entry), ZEROIPC_OK);
  return (uint8_t*)zeroipc_memory_base(mem) + entry.offset;
}

/* Waits for a forked child and reports whether it exited with 0. */
static inline int check_child_ok(pid_t child) {
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* CLOCK_MONOTONIC now, in nanoseconds. */
static inline int64_t check_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#endif /* ZEROIPC_TESTS_C_CHECK_H */
