/* check.h — the check macros of the C tests (tests/c/NAME_test.c): each failed
 * check prints where and what, and the program's exit status counts them.
 *
 *   CHECK(cond);                     CHECK_EQ_U64(a, b);
 *   CHECK_STATUS(call, ZEROIPC_OK);  prints zeroipc_last_error() on a wrong status
 *   CHECK_MESSAGE_HAS("needle");     zeroipc_last_error() contains the text
 *   return check_summary("queue");   prints "queue: N checks, F failed" and returns F != 0
 */
#ifndef ZEROIPC_TESTS_C_CHECK_H
#define ZEROIPC_TESTS_C_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

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

#endif /* ZEROIPC_TESTS_C_CHECK_H */
