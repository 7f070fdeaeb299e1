/* codata_word.c — the §7.4 state word's owner record and the bounded futex
 * waits that Future (§7.4) and Channel (§7.6) share; see codata_word.h. As
 * the C++ zeroipc/detail/wait.h and CodataCell (zeroipc/future.h). Also
 * Lazy's (lazy.c): its 32-bit `demand` word, and the value and message
 * copied as aligned 8-byte atomic words (store_words/load_words); and
 * Stream's (stream.c): its producer's 32-bit `epoch` word, and its
 * elements copied in the same aligned words.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "codata_word.h"

/* Spin rounds (one pause each) before the first sleep: a few microseconds. */
#define ZIPC_WAIT_SPINS 64
/* Longest sleep of a waiter that depends on an owner: its death is noticed within this. */
#define ZIPC_OWNER_CHECK_NS INT64_C(20000000)
/* Longest sleep of any other waiter: bounds the cost of a lost wake. */
#define ZIPC_LOST_WAKE_NS INT64_C(250000000)

int64_t zipc_deadline_after(int64_t timeout_ns) {
  const int64_t now = zipc_now_ns();
  if (timeout_ns < 0 || timeout_ns >= ZIPC_FOREVER - now) return ZIPC_FOREVER;
  return now + timeout_ns;
}

int zipc_deadline_passed(int64_t deadline, int64_t now) { return deadline != ZIPC_FOREVER && now >= deadline; }

uint64_t zipc_codata_next(uint64_t w, unsigned phase, uint32_t owner) {
  return zeroipc_codata_make(zeroipc_codata_sequence(w) + 1u, phase, owner);
}

/* ------------------------------------------------------------------ waiting */

/* A wait word of either width (zipc_wait_word: 64-bit, zipc_wait_word32: 32-bit). */
typedef struct any_word {
  void* word;
  uint32_t* sleepers;
  int wide;
} any_word;

static uint64_t load_word(any_word w) { /* (W3) */
  return w.wide ? __atomic_load_n((uint64_t*)w.word, __ATOMIC_ACQUIRE)
                : __atomic_load_n((uint32_t*)w.word, __ATOMIC_ACQUIRE);
}

/* The 32 bits the kernel compares: the word, or the low-order half of a 64-bit word (little-endian). */
static uint32_t* futex_half(any_word w) { return (uint32_t*)w.word; }

/* One counted sleep of at most slice_ns while the word holds `expected`. */
static void sleep_once(any_word w, uint64_t expected, int64_t slice_ns) {
  uint64_t now;
  __atomic_fetch_add(w.sleepers, 1u, __ATOMIC_SEQ_CST);              /* (W1) */
  now = w.wide ? __atomic_load_n((uint64_t*)w.word, __ATOMIC_SEQ_CST)
               : __atomic_load_n((uint32_t*)w.word, __ATOMIC_SEQ_CST); /* (W2) */
  if (now == expected) zipc_futex_wait(futex_half(w), (uint32_t)expected, slice_ns);
  __atomic_fetch_sub(w.sleepers, 1u, __ATOMIC_RELAXED);
}

static zipc_wait_status wait_status(zipc_wait_result result, uint64_t value, pid_t owner) {
  zipc_wait_status s;
  s.result = result;
  s.value = value;
  s.owner = owner;
  return s;
}

static zipc_wait_status wait_loop(any_word w, uint64_t expected, int64_t deadline, const zipc_owner_check* owner) {
  const int64_t interval = owner != NULL ? ZIPC_OWNER_CHECK_NS : ZIPC_LOST_WAKE_NS;
  int64_t next_check;
  uint64_t v;
  int i;
  for (i = 0; i < ZIPC_WAIT_SPINS; ++i) {
    v = load_word(w);
    if (v != expected) return wait_status(ZIPC_WAIT_CHANGED, v, 0);
    zipc_cpu_relax();
  }
  next_check = zipc_now_ns() + interval;
  for (;;) {
    const int64_t now = zipc_now_ns();
    int64_t slice;
    if (owner != NULL && now >= next_check) {
      pid_t who = 0;
      const int dead = owner->dead(owner->context, &who);
      v = load_word(w);
      if (v != expected) return wait_status(ZIPC_WAIT_CHANGED, v, 0);
      if (dead) return wait_status(ZIPC_WAIT_OWNER_DEAD, v, who);
      next_check = now + interval;
    }
    if (zipc_deadline_passed(deadline, now)) {
      v = load_word(w);
      return wait_status(v != expected ? ZIPC_WAIT_CHANGED : ZIPC_WAIT_TIMED_OUT, v, 0);
    }
    slice = owner != NULL ? next_check - now : interval;
    if (deadline != ZIPC_FOREVER && deadline - now < slice) slice = deadline - now;
    sleep_once(w, expected, slice);
    v = load_word(w);
    if (v != expected) return wait_status(ZIPC_WAIT_CHANGED, v, 0);
  }
}

static any_word any_of(void* word, uint32_t* sleepers, int wide) {
  any_word a;
  a.word = word;
  a.sleepers = sleepers;
  a.wide = wide;
  return a;
}

static void wake_all(any_word w) {
  if (__atomic_load_n(w.sleepers, __ATOMIC_SEQ_CST) != 0) zipc_futex_wake(futex_half(w), INT32_MAX); /* (N2) */
}

zipc_wait_status zipc_wait_while_equal(zipc_wait_word w, uint64_t expected, int64_t deadline,
                                       const zipc_owner_check* owner) {
  return wait_loop(any_of(w.word, w.sleepers, 1), expected, deadline, owner);
}

zipc_wait_status zipc_wait_while_equal32(zipc_wait_word32 w, uint32_t expected, int64_t deadline,
                                         const zipc_owner_check* owner) {
  return wait_loop(any_of(w.word, w.sleepers, 0), expected, deadline, owner);
}

void zipc_wake_all(zipc_wait_word w) { wake_all(any_of(w.word, w.sleepers, 1)); }

void zipc_wake_all32(zipc_wait_word32 w) { wake_all(any_of(w.word, w.sleepers, 0)); }

/* ------------------------------------------------------------------ copying in aligned words */

void zipc_store_words(void* shared, const void* src, size_t n) {
  const unsigned char* in = (const unsigned char*)src;
  uint64_t* out = (uint64_t*)shared;
  size_t off;
  for (off = 0; off < n; off += 8) {
    uint64_t word = 0;
    memcpy(&word, in + off, n - off < 8 ? n - off : 8);
    __atomic_store_n(&out[off / 8], word, __ATOMIC_RELEASE);
  }
}

void zipc_load_words(void* dst, const void* shared, size_t n) {
  unsigned char* out = (unsigned char*)dst;
  const uint64_t* in = (const uint64_t*)shared;
  size_t off;
  for (off = 0; off < n; off += 8) {
    const uint64_t word = __atomic_load_n(&in[off / 8], __ATOMIC_ACQUIRE);
    memcpy(out + off, &word, n - off < 8 ? n - off : 8);
  }
}

/* ------------------------------------------------------------------ the stored message */

void zipc_codata_write_error(zeroipc_codata* cell, const char* message) {
  char buf[ZEROIPC_CODATA_ERROR_SIZE];
  const size_t n = strlen(message);
  memset(buf, 0, sizeof buf);
  if (n < sizeof buf) {
    memcpy(buf, message, n);
  } else {
    size_t keep = sizeof buf - 1 - strlen(ZIPC_TRUNCATION_NOTE);
    while (keep > 0 && ((unsigned char)message[keep] & 0xC0u) == 0x80u) --keep;
    memcpy(buf, message, keep);
    memcpy(buf + keep, ZIPC_TRUNCATION_NOTE, strlen(ZIPC_TRUNCATION_NOTE));
  }
  zipc_store_words(cell->error, buf, sizeof buf);
}

const char* zipc_codata_read_error(const zeroipc_codata* cell, char buf[ZEROIPC_CODATA_ERROR_SIZE]) {
  zipc_load_words(buf, cell->error, ZEROIPC_CODATA_ERROR_SIZE);
  buf[ZEROIPC_CODATA_ERROR_SIZE - 1] = '\0';
  return buf;
}

/* ------------------------------------------------------------------ a Future's or Lazy's cell */

zipc_struct_spec zipc_codata_spec(uint16_t kind, const char* type_name, uint32_t element_size, uint8_t dtype) {
  zipc_struct_spec s;
  memset(&s, 0, sizeof s);
  s.kind = kind;
  s.variant = ZEROIPC_VARIANT_NONE;
  s.layout_version = ZEROIPC_LAYOUT_VERSION;
  s.element_size = element_size;
  s.dtype = dtype;
  s.total_size = zeroipc_codata_total_size;
  s.element_size_name = "element size";
  s.type_name = type_name;
  return s;
}

zipc_owner_word zipc_codata_owner_word(zipc_mapping* mapping, zeroipc_codata* cell) {
  zipc_owner_word o;
  o.mapping = mapping;
  o.word = &cell->state;
  o.pid = &cell->owner_pid;
  o.tag = &cell->owner_tag;
  return o;
}

zipc_wait_word zipc_codata_wait_word(zeroipc_codata* cell) {
  zipc_wait_word w;
  w.word = &cell->state;
  w.sleepers = &cell->sleepers;
  return w;
}

/* ------------------------------------------------------------------ the owner record */

void zipc_owner_record(zipc_owner_word o, uint64_t claim) {
  __atomic_store_n(o.pid, (uint64_t)zipc_self_pid(), __ATOMIC_RELEASE);                  /* (O1) */
  __atomic_store_n(o.tag, zeroipc_codata_owner(claim), __ATOMIC_RELEASE);        /* (O2) */
}

pid_t zipc_owner_pid(zipc_owner_word o, uint64_t w) {
  const uint32_t tag = __atomic_load_n(o.tag, __ATOMIC_ACQUIRE);  /* (O3) */
  const uint64_t pid = __atomic_load_n(o.pid, __ATOMIC_ACQUIRE);  /* (O4) */
  if (tag != zeroipc_codata_owner(w) || pid == 0 || pid > INT_MAX) return 0;
  return __atomic_load_n(o.word, __ATOMIC_ACQUIRE) == w ? (pid_t)pid : 0;  /* (O5) */
}

int zipc_owner_dead(zipc_owner_word o, uint64_t w, pid_t* who) {
  *who = zipc_owner_pid(o, w);
  if (zipc_key_alive(o.mapping, zeroipc_codata_owner(w))) return 0;
  return __atomic_load_n(o.word, __ATOMIC_ACQUIRE) == w;  /* (O5) */
}

/* ------------------------------------------------------------------ messages */

const char* zipc_process_text(pid_t pid, char* buf, size_t buf_size) {
  if (pid > 0) {
    snprintf(buf, buf_size, "process %d", (int)pid);
  } else {
    snprintf(buf, buf_size, "a process (pid not recorded)");
  }
  return buf;
}
