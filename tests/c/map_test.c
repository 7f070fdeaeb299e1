/* map_test.c — the C Map and Set (SPECIFICATION.md §7.8, locked_probe
 * §7.8.1): the hash's test vectors, insert / find / assign / erase, the
 * slot bytes of one key where §7.8.1 puts them, full, many erases (trailing
 * tombstones emptied, rebuilds into the other table), the checks of create
 * and open (key size, value size, kind, capacity) with the C++ messages, a
 * set, two processes inserting disjoint keys at once (fork), and a holder
 * SIGKILLed with the lock held in the middle of an assignment: the next
 * operation takes the lock over, copies the journalled value back and
 * recounts. for_each and snapshot (every key once, a stop, a callback that
 * uses the walked map: refused). */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "internal.h"
#include "zeroipc.h"

static char segment[64];

/* The structure `name`'s body (after the 64-byte common header). */
static uint8_t* body_of(zeroipc_memory* mem, const char* name) {
  zeroipc_entry_info e;
  if (zeroipc_table_find(mem, name, &e) != ZEROIPC_OK) return NULL;
  return (uint8_t*)zeroipc_memory_base(mem) + e.offset + ZEROIPC_BODY_OFFSET;
}

/* The slot of `key` in the live table of a u64-keyed table, or NULL. */
static uint8_t* slot_of(uint8_t* body, uint64_t capacity, uint32_t value_size, uint64_t key) {
  const zeroipc_probe_control* c = (const zeroipc_probe_control*)body;
  const uint64_t s = zeroipc_probe_table_size(capacity);
  const uint64_t h = zeroipc_key_hash(&key, sizeof key);
  for (uint64_t n = 0, i = h & (s - 1); n < s; ++n, i = (i + 1) & (s - 1)) {
    uint8_t* slot = body + zeroipc_probe_slot_offset(capacity, 8, value_size, c->active, i);
    const uint32_t state = ((zeroipc_probe_slot*)slot)->state;
    if (state == ZEROIPC_PROBE_SLOT_EMPTY) return NULL;
    if (state == ZEROIPC_PROBE_SLOT_FULL && memcmp(slot + 8, &key, 8) == 0) return slot;
  }
  return NULL;
}

static void test_hash_vectors(void) {
  const uint64_t one = 1;
  CHECK_EQ_U64(zeroipc_key_hash("", 0), UINT64_C(0xefd01f60ba992926));
  CHECK_EQ_U64(zeroipc_key_hash(&one, 8), UINT64_C(0x4a3a3a4ba6523826));
  CHECK_EQ_U64(zeroipc_key_hash("prices", 6), UINT64_C(0x391095f36b2a47b7));
}

static void test_basic(zeroipc_memory* mem) {
  zeroipc_map* m = NULL;
  zeroipc_map* again = NULL;
  uint64_t k;
  double v = 0, got = 0;
  CHECK_STATUS(zeroipc_map_create(mem, "prices", 100, 8, 8, ZEROIPC_DTYPE_F64, &m), ZEROIPC_OK);
  if (m == NULL) return;
  CHECK_EQ_U64(zeroipc_map_capacity(m), 100);
  CHECK_EQ_U64(zeroipc_map_size(m), 0);
  k = 7;
  CHECK_STATUS(zeroipc_map_find(m, &k, &got), ZEROIPC_ABSENT);
  CHECK_STATUS(zeroipc_map_erase(m, &k), ZEROIPC_ABSENT);
  for (k = 0; k < 100; ++k) {
    v = (double)k * 1.5;
    CHECK_STATUS(zeroipc_map_insert(m, &k, &v), ZEROIPC_OK);
  }
  CHECK_EQ_U64(zeroipc_map_size(m), 100);
  k = 7;
  v = -1.0;
  CHECK_STATUS(zeroipc_map_insert(m, &k, &v), ZEROIPC_PRESENT); /* unchanged */
  CHECK_STATUS(zeroipc_map_find(m, &k, &got), ZEROIPC_OK);
  CHECK(got == 10.5);
  CHECK_STATUS(zeroipc_map_insert_or_assign(m, &k, &v), ZEROIPC_PRESENT); /* replaced */
  CHECK_STATUS(zeroipc_map_find(m, &k, &got), ZEROIPC_OK);
  CHECK(got == -1.0);
  CHECK_STATUS(zeroipc_map_contains(m, &k), ZEROIPC_OK);
  CHECK_STATUS(zeroipc_map_erase(m, &k), ZEROIPC_OK);
  CHECK_STATUS(zeroipc_map_contains(m, &k), ZEROIPC_ABSENT);
  CHECK_EQ_U64(zeroipc_map_size(m), 99);
  CHECK_STATUS(zeroipc_map_insert_or_assign(m, &k, &v), ZEROIPC_OK); /* inserted */
  CHECK_EQ_U64(zeroipc_map_size(m), 100);

  /* A second handle (create = open when it exists) sees the same keys. */
  CHECK_STATUS(zeroipc_map_create(mem, "prices", 100, 8, 8, ZEROIPC_DTYPE_F64, &again), ZEROIPC_OK);
  if (again != NULL) {
    k = 99;
    CHECK_STATUS(zeroipc_map_find(again, &k, &got), ZEROIPC_OK);
    CHECK(got == 148.5);
    zeroipc_map_close(again);
  }

  /* §7.8.1: key 99's slot holds state 1, h >> 32, the key, then the value; the header the counters. */
  uint8_t* body = body_of(mem, "prices");
  const zeroipc_probe_control* c = (const zeroipc_probe_control*)body;
  k = 99;
  uint8_t* s = slot_of(body, 100, 8, k);
  CHECK(s != NULL);
  if (s != NULL) {
    uint32_t hi;
    memcpy(&hi, s + 4, 4);
    CHECK_EQ_U64(hi, zeroipc_key_hash(&k, 8) >> 32);
    memcpy(&got, s + 16, 8);
    CHECK(got == 148.5);
  }
  CHECK_EQ_U64(c->count, 100);
  CHECK_EQ_U64(c->inserted, 101);
  CHECK_EQ_U64(c->erased, 1);
  CHECK_EQ_U64(c->assigned, 1);
  CHECK_EQ_U64(c->journal, 0);
  CHECK_EQ_U64(c->lock, 0);
  zeroipc_map_close(m);
}

static void test_full(zeroipc_memory* mem) {
  zeroipc_map* m = NULL;
  uint64_t k;
  double v = 2.0;
  CHECK_STATUS(zeroipc_map_create(mem, "small", 4, 8, 8, ZEROIPC_DTYPE_F64, &m), ZEROIPC_OK);
  if (m == NULL) return;
  for (k = 1; k <= 4; ++k) CHECK_STATUS(zeroipc_map_insert(m, &k, &v), ZEROIPC_OK);
  CHECK_STATUS(zeroipc_map_insert(m, &k, &v), ZEROIPC_FULL);
  CHECK_MESSAGE_HAS("', map 'small' (locked_probe): holds 4 keys, its capacity");
  CHECK_STATUS(zeroipc_map_insert_or_assign(m, &k, &v), ZEROIPC_FULL);
  k = 2;
  CHECK_STATUS(zeroipc_map_insert_or_assign(m, &k, &v), ZEROIPC_PRESENT); /* present keys are no trouble */
  CHECK_STATUS(zeroipc_map_erase(m, &k), ZEROIPC_OK);
  k = 5;
  CHECK_STATUS(zeroipc_map_insert(m, &k, &v), ZEROIPC_OK);
  CHECK_EQ_U64(zeroipc_map_size(m), 4);
  zeroipc_map_close(m);
}

/* Insert and erase far more keys than fit, with a few that stay: tombstones
 * reach S / 4 again and again, each time the live keys move to the other table. */
static void test_rebuilds(zeroipc_memory* mem) {
  zeroipc_map* m = NULL;
  uint64_t k, v = 0;
  CHECK_STATUS(zeroipc_map_create(mem, "churn", 64, 8, 8, ZEROIPC_DTYPE_U64, &m), ZEROIPC_OK);
  if (m == NULL) return;
  for (k = 1000000; k < 1000010; ++k) { /* the keys that stay: none of the churn's */
    v = k * 3;
    CHECK_STATUS(zeroipc_map_insert(m, &k, &v), ZEROIPC_OK);
  }
  for (uint64_t round = 0; round < 40; ++round) {
    for (k = round * 50; k < round * 50 + 50; ++k) {
      v = k + 1;
      if (zeroipc_map_insert(m, &k, &v) != ZEROIPC_OK) CHECK(!"insert during churn");
    }
    for (k = round * 50; k < round * 50 + 50; ++k) {
      if (zeroipc_map_erase(m, &k) != ZEROIPC_OK) CHECK(!"erase during churn");
    }
  }
  const zeroipc_probe_control* c = (const zeroipc_probe_control*)body_of(mem, "churn");
  CHECK(c->rebuilds > 0);
  CHECK(c->tombstones < zeroipc_probe_table_size(64) / 4);
  CHECK_EQ_U64(c->count, 10);
  CHECK_EQ_U64(zeroipc_map_size(m), 10);
  for (k = 1000000; k < 1000010; ++k) {
    CHECK_STATUS(zeroipc_map_find(m, &k, &v), ZEROIPC_OK);
    CHECK_EQ_U64(v, k * 3);
  }
  k = 5;
  CHECK_STATUS(zeroipc_map_find(m, &k, &v), ZEROIPC_ABSENT);
  printf("churn: %llu rebuilds, %llu tombstones left\n", (unsigned long long)c->rebuilds,
         (unsigned long long)c->tombstones);
  zeroipc_map_close(m);
}

static void test_refusals(zeroipc_memory* mem) {
  zeroipc_map* m = NULL;
  zeroipc_set* s = NULL;
  CHECK_STATUS(zeroipc_map_create(mem, "kinds", 8, 8, 8, ZEROIPC_DTYPE_F64, &m), ZEROIPC_OK);
  zeroipc_map_close(m);
  m = NULL;
  CHECK_STATUS(zeroipc_map_open(mem, "kinds", 4, 8, ZEROIPC_DTYPE_F64, &m), ZEROIPC_E_MISMATCH);
  CHECK_MESSAGE_HAS("', structure 'kinds': expected key size 4 bytes, found 8");
  CHECK(m == NULL);
  CHECK_STATUS(zeroipc_map_open(mem, "kinds", 8, 4, ZEROIPC_DTYPE_OPAQUE, &m), ZEROIPC_E_MISMATCH);
  CHECK_MESSAGE_HAS("', structure 'kinds': expected value size 4 bytes, found 8");
  CHECK_STATUS(zeroipc_map_open(mem, "kinds", 8, 8, ZEROIPC_DTYPE_I64, &m), ZEROIPC_E_MISMATCH);
  CHECK_MESSAGE_HAS("expected element type i64, found f64");
  CHECK_STATUS(zeroipc_map_create(mem, "kinds", 9, 8, 8, ZEROIPC_DTYPE_F64, &m), ZEROIPC_E_MISMATCH);
  CHECK_MESSAGE_HAS("exists with capacity 8, requested 9");
  CHECK_STATUS(zeroipc_set_open(mem, "kinds", 8, ZEROIPC_DTYPE_OPAQUE, &s), ZEROIPC_E_MISMATCH);
  CHECK_MESSAGE_HAS("', structure 'kinds': expected set (opened as Set), found map");
  CHECK_STATUS(zeroipc_map_create(mem, "zero", 0, 8, 8, ZEROIPC_DTYPE_F64, &m), ZEROIPC_E_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("', map 'zero' (locked_probe): capacity 0 is not allowed (expected 1 to 3221225472 keys)");
  CHECK_STATUS(zeroipc_map_create(mem, "zero", UINT64_C(3) << 31, 8, 8, ZEROIPC_DTYPE_F64, &m),
               ZEROIPC_E_INVALID_ARGUMENT);
  CHECK_STATUS(zeroipc_map_create(mem, "zero", 8, 0, 8, ZEROIPC_DTYPE_F64, &m), ZEROIPC_E_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("key size 0 is not allowed");
  CHECK_STATUS(zeroipc_map_create(mem, "zero", 8, 8, 0, ZEROIPC_DTYPE_OPAQUE, &m), ZEROIPC_E_INVALID_ARGUMENT);
  CHECK_STATUS(zeroipc_map_open(mem, "nosuch", 8, 8, ZEROIPC_DTYPE_F64, &m), ZEROIPC_E_NOT_FOUND);
  CHECK_MESSAGE_HAS("no such structure (expected a map created by another process first)");
  CHECK(m == NULL && s == NULL);
}

/* A struct key and value with no padding; a set of 4-byte keys. */
typedef struct pair_key {
  uint32_t a;
  uint16_t b;
  uint16_t c;
} pair_key;

static void test_set_and_struct_keys(zeroipc_memory* mem) {
  zeroipc_set* s = NULL;
  zeroipc_map* m = NULL;
  uint32_t k;
  CHECK_STATUS(zeroipc_set_create(mem, "seen", 32, 4, ZEROIPC_DTYPE_U32, &s), ZEROIPC_OK);
  if (s != NULL) {
    for (k = 0; k < 32; ++k) CHECK_STATUS(zeroipc_set_insert(s, &k), ZEROIPC_OK);
    CHECK_STATUS(zeroipc_set_insert(s, &k), ZEROIPC_FULL);
    CHECK_MESSAGE_HAS("', set 'seen' (locked_probe): holds 32 keys, its capacity");
    k = 3;
    CHECK_STATUS(zeroipc_set_insert(s, &k), ZEROIPC_PRESENT);
    CHECK_STATUS(zeroipc_set_contains(s, &k), ZEROIPC_OK);
    CHECK_STATUS(zeroipc_set_erase(s, &k), ZEROIPC_OK);
    CHECK_STATUS(zeroipc_set_contains(s, &k), ZEROIPC_ABSENT);
    CHECK_STATUS(zeroipc_set_erase(s, &k), ZEROIPC_ABSENT);
    CHECK_EQ_U64(zeroipc_set_size(s), 31);
    CHECK_EQ_U64(zeroipc_set_capacity(s), 32);
    zeroipc_set_close(s);
  }
  CHECK_STATUS(zeroipc_set_open(mem, "seen", 8, ZEROIPC_DTYPE_OPAQUE, &s), ZEROIPC_E_MISMATCH);
  CHECK_MESSAGE_HAS("expected key size 8 bytes, found 4");
  CHECK_STATUS(zeroipc_set_open(mem, "seen", 4, ZEROIPC_DTYPE_I32, &s), ZEROIPC_E_MISMATCH);
  CHECK_MESSAGE_HAS("expected element type i32, found u32");

  CHECK_STATUS(zeroipc_map_create(mem, "pairs", 10, sizeof(pair_key), sizeof(pair_key), 0, &m), ZEROIPC_OK);
  if (m != NULL) {
    pair_key key = {1, 2, 3}, value = {4, 5, 6}, got;
    CHECK_STATUS(zeroipc_map_insert(m, &key, &value), ZEROIPC_OK);
    key.c = 4;
    CHECK_STATUS(zeroipc_map_find(m, &key, &got), ZEROIPC_ABSENT);
    key.c = 3;
    CHECK_STATUS(zeroipc_map_find(m, &key, &got), ZEROIPC_OK);
    CHECK(memcmp(&got, &value, sizeof got) == 0);
    zeroipc_map_close(m);
  }
}

/* Two processes insert disjoint keys into one map at once; then all are there. */
static void test_two_processes(zeroipc_memory* mem) {
  enum { PER_CHILD = 2000 };
  zeroipc_map* m = NULL;
  pid_t pids[2];
  int i;
  CHECK_STATUS(zeroipc_map_create(mem, "shared", 2 * PER_CHILD, 8, 8, ZEROIPC_DTYPE_U64, &m), ZEROIPC_OK);
  if (m == NULL) return;
  for (i = 0; i < 2; ++i) {
    pids[i] = fork();
    if (pids[i] == 0) {
      for (uint64_t k = (uint64_t)i * PER_CHILD; k < (uint64_t)(i + 1) * PER_CHILD; ++k) {
        const uint64_t v = k ^ UINT64_C(0xabcdef);
        if (zeroipc_map_insert(m, &k, &v) != ZEROIPC_OK) _exit(1);
        if (k % 3 == 0 && zeroipc_map_insert_or_assign(m, &k, &v) != ZEROIPC_PRESENT) _exit(2);
      }
      _exit(0);
    }
  }
  for (i = 0; i < 2; ++i) {
    int status = -1;
    waitpid(pids[i], &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  CHECK_EQ_U64(zeroipc_map_size(m), 2 * PER_CHILD);
  uint64_t bad = 0;
  for (uint64_t k = 0; k < 2 * PER_CHILD; ++k) {
    uint64_t v = 0;
    if (zeroipc_map_find(m, &k, &v) != ZEROIPC_OK || v != (k ^ UINT64_C(0xabcdef))) ++bad;
  }
  CHECK_EQ_U64(bad, 0);
  zeroipc_map_close(m);
}

/* A holder dies with the lock held, half-way through an assignment of key 5
 * (old value journalled, journal = 1 + slot, half the new value written)
 * and with a wrong count: the next operation takes over and repairs. */
static void test_takeover(zeroipc_memory* mem) {
  zeroipc_map* m = NULL;
  int ready[2];
  uint64_t k;
  double v;
  CHECK_STATUS(zeroipc_map_create(mem, "victim", 16, 8, 8, ZEROIPC_DTYPE_F64, &m), ZEROIPC_OK);
  if (m == NULL || pipe(ready) != 0) return;
  for (k = 0; k < 10; ++k) {
    v = (double)k + 0.25;
    CHECK_STATUS(zeroipc_map_insert(m, &k, &v), ZEROIPC_OK);
  }
  k = 9;
  CHECK_STATUS(zeroipc_map_erase(m, &k), ZEROIPC_OK); /* 9 keys; maybe a tombstone */
  uint8_t* body = body_of(mem, "victim");
  zeroipc_probe_control* c = (zeroipc_probe_control*)body;
  const pid_t pid = fork();
  if (pid == 0) {
    int took_over = 0;
    if (zipc_owner_lock(zipc_memory_mapping(mem), &c->lock, &c->holder_pid, "test: the map lock", -1, &took_over) !=
        ZEROIPC_OK) {
      _exit(1);
    }
    const uint64_t key = 5;
    uint8_t* s = slot_of(body, 16, 8, key);
    if (s == NULL) _exit(2);
    const uint64_t s_index = (uint64_t)(s - (body + zeroipc_probe_table_offset(16, 8, 8, c->active))) / 24u;
    const double fresh = -777.0;
    memcpy(body + ZEROIPC_PROBE_JOURNAL_OFFSET, s + 16, 8);
    __atomic_store_n(&c->journal, s_index + 1, __ATOMIC_RELAXED);
    memcpy(s + 16, &fresh, 4); /* half of it */
    __atomic_store_n(&c->count, 12345, __ATOMIC_RELAXED);
    if (write(ready[1], "x", 1) != 1) _exit(3);
    for (;;) pause();
  }
  char byte = 0;
  CHECK(read(ready[0], &byte, 1) == 1);
  CHECK(c->lock != 0 && c->journal != 0);
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  k = 5;
  v = 0;
  CHECK_STATUS(zeroipc_map_find(m, &k, &v), ZEROIPC_OK); /* took over, repaired */
  CHECK(v == 5.25);
  CHECK_EQ_U64(c->journal, 0);
  CHECK_EQ_U64(zeroipc_map_size(m), 9);
  CHECK_EQ_U64(c->lock, 0);
  for (k = 0; k < 9; ++k) {
    CHECK_STATUS(zeroipc_map_find(m, &k, &v), ZEROIPC_OK);
    CHECK(v == (double)k + 0.25);
  }
  close(ready[0]);
  close(ready[1]);
  zeroipc_map_close(m);
}

/* Hostile bytes: a slot state that is none of 0, 1, 2, and an `active` of 2. */
static void test_corrupt(zeroipc_memory* mem) {
  zeroipc_map* m = NULL;
  uint64_t k = 1, v = 1;
  CHECK_STATUS(zeroipc_map_create(mem, "bent", 4, 8, 8, ZEROIPC_DTYPE_U64, &m), ZEROIPC_OK);
  if (m == NULL) return;
  CHECK_STATUS(zeroipc_map_insert(m, &k, &v), ZEROIPC_OK);
  uint8_t* body = body_of(mem, "bent");
  zeroipc_probe_control* c = (zeroipc_probe_control*)body;
  uint8_t* s = slot_of(body, 4, 8, k);
  CHECK(s != NULL);
  if (s == NULL) return;
  ((zeroipc_probe_slot*)s)->state = 7;
  CHECK_STATUS(zeroipc_map_find(m, &k, &v), ZEROIPC_E_CORRUPT);
  CHECK_MESSAGE_HAS("', map 'bent' (locked_probe): slot state 7 (expected 0 empty, 1 full or 2 tombstone)");
  ((zeroipc_probe_slot*)s)->state = ZEROIPC_PROBE_SLOT_FULL;
  c->active = 2;
  CHECK_STATUS(zeroipc_map_find(m, &k, &v), ZEROIPC_E_CORRUPT);
  CHECK_MESSAGE_HAS("active table 2 (expected 0 or 1)");
  CHECK_EQ_U64(c->lock, 0); /* given back after the error */
  c->active = 0;
  CHECK_STATUS(zeroipc_map_find(m, &k, &v), ZEROIPC_OK);
  zeroipc_map_close(m);
}

/* What a for_each callback saw. */
typedef struct walked {
  zeroipc_map* self;       /* a handle on the walked map, used from inside the callback */
  zeroipc_map* other;      /* another map, used from inside the callback */
  uint8_t seen[64];        /* how often each key came */
  uint64_t calls, wrong_values, stop_after;
  int inner_status;
} walked;

static int visit_pair(const void* key, const void* value, void* ctx) {
  walked* w = ctx;
  uint64_t k, v;
  memcpy(&k, key, 8);
  memcpy(&v, value, 8);
  ++w->calls;
  if (k < 64) ++w->seen[k];
  if (v != k * 3 + 1) ++w->wrong_values;
  if (w->self != NULL) { /* this thread holds the walked map's lock: refused, not a wait for itself */
    uint64_t got = 0;
    w->inner_status = zeroipc_map_find(w->self, &k, &got);
    return w->inner_status;
  }
  if (w->other != NULL) { /* another table: allowed */
    w->inner_status = zeroipc_map_insert(w->other, &k, &v);
    if (w->inner_status != ZEROIPC_OK) return w->inner_status;
  }
  return w->calls == w->stop_after ? 7 : 0;
}

static int visit_key(const void* key, void* ctx) {
  walked* w = ctx;
  uint32_t k;
  memcpy(&k, key, 4);
  ++w->calls;
  if (k < 64) ++w->seen[k];
  return 0;
}

/* for_each and snapshot: every key once with its value (tombstones and a
 * rebuild on the way), a stop, a callback using the walked map (refused)
 * and another map (fine), a set, a corrupt slot. */
static void test_for_each(zeroipc_memory* mem) {
  zeroipc_map* m = NULL;
  zeroipc_map* again = NULL;
  zeroipc_map* copy = NULL;
  zeroipc_set* s = NULL;
  walked w;
  uint64_t k, v, n = 0;
  CHECK_STATUS(zeroipc_map_create(mem, "walked", 48, 8, 8, ZEROIPC_DTYPE_U64, &m), ZEROIPC_OK);
  CHECK_STATUS(zeroipc_map_create(mem, "walked_copy", 48, 8, 8, ZEROIPC_DTYPE_U64, &copy), ZEROIPC_OK);
  if (m == NULL || copy == NULL) return;
  memset(&w, 0, sizeof w);
  CHECK_STATUS(zeroipc_map_for_each(m, visit_pair, &w), ZEROIPC_OK); /* empty */
  CHECK_EQ_U64(w.calls, 0);
  CHECK_STATUS(zeroipc_map_for_each(m, NULL, &w), ZEROIPC_E_INVALID_ARGUMENT);
  for (k = 0; k < 48; ++k) {
    v = k * 3 + 1;
    CHECK_STATUS(zeroipc_map_insert(m, &k, &v), ZEROIPC_OK);
  }
  for (k = 0; k < 48; k += 3) CHECK_STATUS(zeroipc_map_erase(m, &k), ZEROIPC_OK); /* 16 erased */
  const zeroipc_probe_control* walked_ctl = (const zeroipc_probe_control*)body_of(mem, "walked");
  for (k = 1000; k < 2000 && walked_ctl->rebuilds == 0; ++k) { /* until the keys live in the other table */
    CHECK_STATUS(zeroipc_map_insert(m, &k, &v), ZEROIPC_OK);
    CHECK_STATUS(zeroipc_map_erase(m, &k), ZEROIPC_OK);
  }
  CHECK(walked_ctl->rebuilds >= 1);
  memset(&w, 0, sizeof w);
  w.other = copy;
  CHECK_STATUS(zeroipc_map_for_each(m, visit_pair, &w), ZEROIPC_OK);
  CHECK_EQ_U64(w.calls, 32);
  CHECK_EQ_U64(w.wrong_values, 0);
  uint64_t wrong_seen = 0;
  for (k = 0; k < 64; ++k) wrong_seen += w.seen[k] != (k < 48 && k % 3 != 0 ? 1u : 0u);
  CHECK_EQ_U64(wrong_seen, 0);
  CHECK_EQ_U64(zeroipc_map_size(copy), 32); /* the callback's inserts into another map */

  memset(&w, 0, sizeof w);
  w.stop_after = 5;
  CHECK_STATUS(zeroipc_map_for_each(m, visit_pair, &w), 7); /* the callback's non-zero return */
  CHECK_EQ_U64(w.calls, 5);

  CHECK_STATUS(zeroipc_map_open(mem, "walked", 8, 8, ZEROIPC_DTYPE_U64, &again), ZEROIPC_OK);
  zeroipc_map* const selves[2] = {m, again};
  for (int i = 0; i < 2 && again != NULL; ++i) { /* the walking handle, then another handle */
    memset(&w, 0, sizeof w);
    w.self = selves[i];
    CHECK_STATUS(zeroipc_map_for_each(m, visit_pair, &w), ZEROIPC_E_INVALID_ARGUMENT);
    CHECK_EQ_U64(w.calls, 1);
    CHECK_STATUS(w.inner_status, ZEROIPC_E_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("', map 'walked' (locked_probe): used from inside its own for_each callback");
    CHECK_EQ_U64(((const zeroipc_probe_control*)body_of(mem, "walked"))->lock, 0); /* given back */
  }
  k = 1;
  CHECK_STATUS(zeroipc_map_find(again, &k, &v), ZEROIPC_OK); /* usable after the refusal */
  CHECK_EQ_U64(v, 4);
  zeroipc_map_close(again);

  uint64_t keys[48], values[48];
  CHECK_STATUS(zeroipc_map_snapshot(m, NULL, NULL, 0, &n), ZEROIPC_FULL); /* a count */
  CHECK_EQ_U64(n, 32);
  CHECK_STATUS(zeroipc_map_snapshot(m, keys, values, 10, &n), ZEROIPC_FULL);
  CHECK_EQ_U64(n, 32);
  CHECK_STATUS(zeroipc_map_snapshot(m, keys, values, 48, &n), ZEROIPC_OK);
  CHECK_EQ_U64(n, 32);
  uint64_t bad = 0, key_sum = 0;
  for (uint64_t i = 0; i < n && i < 48; ++i) {
    bad += keys[i] >= 48 || keys[i] % 3 == 0 || values[i] != keys[i] * 3 + 1;
    key_sum += keys[i];
  }
  CHECK_EQ_U64(bad, 0);
  CHECK_EQ_U64(key_sum, 48 * 47 / 2 - 3 * (15 * 16 / 2)); /* 0..47 less the multiples of 3 */
  CHECK_STATUS(zeroipc_map_snapshot(m, keys, NULL, 48, &n), ZEROIPC_OK); /* keys only */
  CHECK_EQ_U64(n, 32);
  CHECK_STATUS(zeroipc_map_snapshot(m, NULL, NULL, 4, &n), ZEROIPC_E_INVALID_ARGUMENT);

  CHECK_STATUS(zeroipc_set_create(mem, "walked_set", 20, 4, ZEROIPC_DTYPE_U32, &s), ZEROIPC_OK);
  if (s != NULL) {
    uint32_t sk, set_keys[20];
    for (sk = 0; sk < 20; sk += 2) CHECK_STATUS(zeroipc_set_insert(s, &sk), ZEROIPC_OK);
    memset(&w, 0, sizeof w);
    CHECK_STATUS(zeroipc_set_for_each(s, visit_key, &w), ZEROIPC_OK);
    CHECK_EQ_U64(w.calls, 10);
    wrong_seen = 0;
    for (k = 0; k < 64; ++k) wrong_seen += w.seen[k] != (k < 20 && k % 2 == 0 ? 1u : 0u);
    CHECK_EQ_U64(wrong_seen, 0);
    CHECK_STATUS(zeroipc_set_snapshot(s, set_keys, 20, &n), ZEROIPC_OK);
    CHECK_EQ_U64(n, 10);
    uint32_t set_sum = 0;
    for (uint64_t i = 0; i < n && i < 20; ++i) set_sum += set_keys[i];
    CHECK_EQ_U64(set_sum, 90);
    CHECK_STATUS(zeroipc_set_for_each(s, NULL, NULL), ZEROIPC_E_INVALID_ARGUMENT);
    zeroipc_set_close(s);
  }

  /* A slot state that is none of 0, 1, 2: an error, the lock given back. */
  k = 2;
  uint8_t* body = body_of(mem, "walked");
  uint8_t* bent = slot_of(body, 48, 8, k);
  CHECK(bent != NULL);
  if (bent != NULL) {
    ((zeroipc_probe_slot*)bent)->state = 9;
    memset(&w, 0, sizeof w);
    CHECK_STATUS(zeroipc_map_for_each(m, visit_pair, &w), ZEROIPC_E_CORRUPT);
    CHECK_MESSAGE_HAS("slot state 9 (expected 0 empty, 1 full or 2 tombstone)");
    CHECK_STATUS(zeroipc_map_snapshot(m, keys, values, 48, &n), ZEROIPC_E_CORRUPT);
    CHECK_EQ_U64(((const zeroipc_probe_control*)body)->lock, 0);
    ((zeroipc_probe_slot*)bent)->state = ZEROIPC_PROBE_SLOT_FULL;
    CHECK_STATUS(zeroipc_map_snapshot(m, keys, values, 48, &n), ZEROIPC_OK);
  }
  zeroipc_map_close(copy);
  zeroipc_map_close(m);
}

int main(void) {
  zeroipc_memory* mem = NULL;
  snprintf(segment, sizeof segment, "/zipc_c_map_test_%d", (int)getpid());
  zeroipc_memory_unlink(segment);
  if (zeroipc_memory_create(segment, 4u << 20, NULL, &mem) != ZEROIPC_OK) {
    fprintf(stderr, "cannot create %s: %s\n", segment, zeroipc_last_error());
    return 1;
  }
  test_hash_vectors();
  test_basic(mem);
  test_full(mem);
  test_rebuilds(mem);
  test_refusals(mem);
  test_set_and_struct_keys(mem);
  test_two_processes(mem);
  test_takeover(mem);
  test_corrupt(mem);
  test_for_each(mem);
  zeroipc_memory_close(mem);
  zeroipc_memory_unlink(segment);
  return check_summary("map");
}
