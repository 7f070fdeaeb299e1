/* error.c — this thread's last error and the text helpers every message uses.
 *
 * Messages are the C++ library's (lib/src/ files), word for word: zipc_fail
 * formats one, zipc_fail_errno appends ": <strerror>" as SystemError does
 * (lib/src/error.cpp), zipc_printable escapes bytes as detail::printable
 * (lib/src/names.cpp).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Long enough for two names of 255 bytes each written as \xNN, and the text around them. */
#define ZIPC_MESSAGE_SIZE 4096

static __thread char last_error[ZIPC_MESSAGE_SIZE];

/* Formats into a scratch buffer first: an argument may be the last error itself. */
static void set_message(const char* suffix, const char* format, va_list args) {
  char scratch[ZIPC_MESSAGE_SIZE];
  vsnprintf(scratch, sizeof scratch, format, args);
  if (suffix != NULL) {
    const size_t used = strlen(scratch);
    snprintf(scratch + used, sizeof scratch - used, ": %s", suffix);
  }
  memcpy(last_error, scratch, sizeof last_error);
}

int zipc_fail(int status, const char* format, ...) {
  va_list args;
  va_start(args, format);
  set_message(NULL, format, args);
  va_end(args);
  return status;
}

int zipc_fail_errno(int err, const char* format, ...) {
  char reason[256];
  /* The GNU strerror_r (_GNU_SOURCE) returns the text, not always in `reason`. */
  const char* text = strerror_r(err, reason, sizeof reason);
  va_list args;
  va_start(args, format);
  set_message(text, format, args);
  va_end(args);
  return ZEROIPC_E_SYSTEM;
}

const char* zipc_printable(const char* s, size_t n, char* buf, size_t buf_size) {
  size_t used = 0;
  if (buf_size == 0) return buf;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = (unsigned char)s[i];
    char piece[5];
    if (c >= 0x20 && c <= 0x7e && c != '\\') {
      piece[0] = (char)c;
      piece[1] = '\0';
    } else {
      snprintf(piece, sizeof piece, "\\x%02x", c);
    }
    const size_t len = strlen(piece);
    if (used + len >= buf_size) break;
    memcpy(buf + used, piece, len);
    used += len;
  }
  buf[used] = '\0';
  return buf;
}

const char* zeroipc_last_error(void) { return last_error; }

const char* zeroipc_status_name(int status) {
  switch (status) {
    case ZEROIPC_OK: return "ZEROIPC_OK";
    case ZEROIPC_FULL: return "ZEROIPC_FULL";
    case ZEROIPC_EMPTY: return "ZEROIPC_EMPTY";
    case ZEROIPC_E_NOT_FOUND: return "ZEROIPC_E_NOT_FOUND";
    case ZEROIPC_E_CORRUPT: return "ZEROIPC_E_CORRUPT";
    case ZEROIPC_E_VERSION: return "ZEROIPC_E_VERSION";
    case ZEROIPC_E_INVALID_NAME: return "ZEROIPC_E_INVALID_NAME";
    case ZEROIPC_E_INVALID_ARGUMENT: return "ZEROIPC_E_INVALID_ARGUMENT";
    case ZEROIPC_E_MISMATCH: return "ZEROIPC_E_MISMATCH";
    case ZEROIPC_E_SEGMENT_FULL: return "ZEROIPC_E_SEGMENT_FULL";
    case ZEROIPC_E_TABLE_FULL: return "ZEROIPC_E_TABLE_FULL";
    case ZEROIPC_E_ROLE_TAKEN: return "ZEROIPC_E_ROLE_TAKEN";
    case ZEROIPC_E_FOREIGN: return "ZEROIPC_E_FOREIGN";
    case ZEROIPC_E_LIMIT: return "ZEROIPC_E_LIMIT";
    case ZEROIPC_E_TIMEOUT: return "ZEROIPC_E_TIMEOUT";
    case ZEROIPC_E_OUT_OF_RANGE: return "ZEROIPC_E_OUT_OF_RANGE";
    case ZEROIPC_E_FUTURE_ERROR: return "ZEROIPC_E_FUTURE_ERROR";
    case ZEROIPC_E_PRODUCER_DIED: return "ZEROIPC_E_PRODUCER_DIED";
    case ZEROIPC_E_ALREADY_SET: return "ZEROIPC_E_ALREADY_SET";
    case ZEROIPC_E_CLOSED: return "ZEROIPC_E_CLOSED";
    case ZEROIPC_E_SYSTEM: return "ZEROIPC_E_SYSTEM";
    case ZEROIPC_E_NOT_SUPPORTED: return "ZEROIPC_E_NOT_SUPPORTED";
    case ZEROIPC_E_NO_MEMORY: return "ZEROIPC_E_NO_MEMORY";
    case ZEROIPC_CLAIMED: return "ZEROIPC_CLAIMED";
    case ZEROIPC_ABSENT: return "ZEROIPC_ABSENT";
    case ZEROIPC_PRESENT: return "ZEROIPC_PRESENT";
    case ZEROIPC_E_LAZY_FAILED: return "ZEROIPC_E_LAZY_FAILED";
    case ZEROIPC_E_LAZY_OWNER_DIED: return "ZEROIPC_E_LAZY_OWNER_DIED";
    case ZEROIPC_E_LAZY_NO_COMPUTATION: return "ZEROIPC_E_LAZY_NO_COMPUTATION";
    case ZEROIPC_E_LAZY_BUSY: return "ZEROIPC_E_LAZY_BUSY";
    case ZEROIPC_E_LAZY_RECURSIVE: return "ZEROIPC_E_LAZY_RECURSIVE";
    default: return "ZEROIPC_UNKNOWN_STATUS";
  }
}
