/* table_test.c — the name table through the C implementation (SPECIFICATION.md
 * §3): structure name errors, a full table and a full segment, entries(),
 * and recovery (§3.3) after a child process is SIGKILLed holding the table
 * lock, between moving the cursor and the count, and while initialising an
 * entry; waiting for a live creator (§3.1 step 2); the lock's patience. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "internal.h"

static char segment[64];

static zeroipc_memory* fresh_segment(uint64_t size, uint32_t table_capacity) {
  zeroipc_memory_options o = zeroipc_memory_default_options();
  zeroipc_memory* mem = NULL;
  o.table_capacity = table_capacity;
  snprintf(segment, sizeof segment, "/zipc_c_table_%d", (int)getpid());
  zeroipc_memory_unlink(segment);
  CHECK_STATUS(zeroipc_memory_create(segment, size, &o, &mem), ZEROIPC_OK);
  return mem;
}

static void drop_segment(zeroipc_memory* mem) {
  zeroipc_memory_close(mem);
  zeroipc_memory_unlink(segment);
}

static zeroipc_segment_header* header(zeroipc_memory* mem) { return zeroipc_memory_base(mem); }

static zeroipc_table_entry* entry(zeroipc_memory* mem, uint32_t i) {
  return (zeroipc_table_entry*)((uint8_t*)zeroipc_memory_base(mem) +
                                zeroipc_table_entry_offset(header(mem)->table_offset, i));
}

static void sleep_ms(long ms) {
  const struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&t, NULL);
}

static void kill_child(pid_t child) {
  int status = 0;
  kill(child, SIGKILL);
  CHECK(waitpid(child, &status, 0) == child && WIFSIGNALED(status));
}

static void test_names(void) {
  zeroipc_memory* mem = fresh_segment(1 << 16, 8);
  zeroipc_array* a = NULL;
  CHECK_STATUS(zeroipc_array_create(mem, "", 4, 4, ZEROIPC_DTYPE_U32, &a), ZEROIPC_E_INVALID_NAME);
  CHECK(strcmp(zeroipc_last_error(),
               "zeroipc: invalid structure name '': it is empty (expected 1 to 31 printable ASCII bytes)") == 0);
  CHECK_STATUS(zeroipc_array_create(mem, "abcdefghijabcdefghijabcdefghijab", 4, 4, 0, &a), ZEROIPC_E_INVALID_NAME);
  CHECK_MESSAGE_HAS("': it is 32 bytes long (expected 1 to 31 printable ASCII bytes)");
  CHECK_STATUS(zeroipc_array_create(mem, "tab\there", 4, 4, 0, &a), ZEROIPC_E_INVALID_NAME);
  CHECK_MESSAGE_HAS("'tab\\x09here': it contains the byte \\x09");
  CHECK_STATUS(zeroipc_array_create(mem, "abcdefghijabcdefghijabcdefghija", 4, 4, 0, &a), ZEROIPC_OK);  /* 31 */
  zeroipc_array_close(a);
  drop_segment(mem);
}

static void test_full(void) {
  zeroipc_memory* mem = fresh_segment(4096, 2);  /* D = align64(1152 + 128) = 1280 */
  zeroipc_array *a = NULL, *b = NULL, *c = NULL;
  CHECK_STATUS(zeroipc_array_create(mem, "big", 4096, 1, 0, &a), ZEROIPC_E_SEGMENT_FULL);
  CHECK_MESSAGE_HAS("zeroipc: segment '/zipc_c_table_");
  CHECK_MESSAGE_HAS("': structure 'big' needs 4160 bytes but only 2816 of 4096 are free");
  CHECK_STATUS(zeroipc_array_create(mem, "a", 16, 1, 0, &a), ZEROIPC_OK);
  CHECK_STATUS(zeroipc_array_create(mem, "toobig", 2800, 1, 0, &b), ZEROIPC_E_SEGMENT_FULL);
  CHECK_MESSAGE_HAS("structure 'toobig' needs 2880 bytes but only 2688 of 4096 are free");
  CHECK_STATUS(zeroipc_array_create(mem, "b", 16, 1, 0, &b), ZEROIPC_OK);
  CHECK_STATUS(zeroipc_array_create(mem, "c", 16, 1, 0, &c), ZEROIPC_E_TABLE_FULL);
  CHECK_MESSAGE_HAS("': the name table is full (all 2 entries used) while creating 'c'");

  zeroipc_entry_info info[4];
  size_t count = 0;
  CHECK_STATUS(zeroipc_table_entries(mem, info, 4, &count), ZEROIPC_OK);
  CHECK_EQ_U64(count, 2);
  CHECK(strcmp(info[0].name, "a") == 0 && strcmp(info[1].name, "b") == 0);
  CHECK_EQ_U64(info[0].offset, 1280);
  CHECK_EQ_U64(info[0].size, 128);
  CHECK_EQ_U64(info[1].offset, 1408);
  CHECK_EQ_U64(info[0].creator_pid, (uint32_t)getpid());
  CHECK_STATUS(zeroipc_table_entries(mem, info, 1, &count), ZEROIPC_OK);
  CHECK_EQ_U64(count, 2);
  CHECK_STATUS(zeroipc_table_find(mem, "b", &info[2]), ZEROIPC_OK);
  CHECK_EQ_U64(info[2].offset, 1408);
  CHECK_STATUS(zeroipc_table_find(mem, "zz", &info[2]), ZEROIPC_E_NOT_FOUND);
  CHECK_EQ_U64(header(mem)->table_generation, 2);
  zeroipc_array_close(a);
  zeroipc_array_close(b);
  drop_segment(mem);
}

/* A READY entry with a bad name or bounds is CORRUPT on lookup (§5 item 6). */
static void test_corrupt_entries(void) {
  zeroipc_memory* mem = fresh_segment(1 << 14, 4);
  zeroipc_array* a = NULL;
  CHECK_STATUS(zeroipc_array_create(mem, "ok", 4, 4, 0, &a), ZEROIPC_OK);
  zeroipc_array_close(a);
  zeroipc_entry_info info;
  size_t count = 0;
  entry(mem, 0)->offset = 100;
  CHECK_STATUS(zeroipc_table_find(mem, "ok", &info), ZEROIPC_E_CORRUPT);
  CHECK_MESSAGE_HAS("': table entry 0 ('ok') has offset 100, expected a multiple of 64 at or after the heap start 1408");
  entry(mem, 0)->offset = 1408;
  entry(mem, 0)->size = 1u << 20;
  CHECK_STATUS(zeroipc_table_entries(mem, &info, 1, &count), ZEROIPC_E_CORRUPT);
  CHECK_MESSAGE_HAS("('ok') has size 1048576 at offset 1408, expected at least 64 bytes inside the 16384-byte segment");
  entry(mem, 0)->size = 128;
  entry(mem, 0)->name[1] = 1;
  CHECK_STATUS(zeroipc_table_entries(mem, &info, 1, &count), ZEROIPC_E_CORRUPT);
  CHECK_MESSAGE_HAS("': table entry 0 has the byte \\x01 in its name (names are printable ASCII)");
  memset(entry(mem, 0)->name, 'x', 32);
  CHECK_STATUS(zeroipc_table_entries(mem, &info, 1, &count), ZEROIPC_E_CORRUPT);
  CHECK_MESSAGE_HAS("': table entry 0 has a name without a terminating NUL");
  header(mem)->table_count = 5;
  CHECK_STATUS(zeroipc_table_find(mem, "ok", &info), ZEROIPC_E_CORRUPT);
  CHECK_MESSAGE_HAS("': table_count 5 exceeds table_capacity 4");
  header(mem)->table_count = 1;
  header(mem)->alloc_cursor = 1400;  /* below the READY entry: appending would overwrite it */
  memcpy(entry(mem, 0)->name, "ok\0", 3);
  CHECK_STATUS(zeroipc_array_create(mem, "new", 4, 4, 0, &a), ZEROIPC_E_CORRUPT);
  CHECK_MESSAGE_HAS("': alloc_cursor 1400 is not a multiple of 64 inside the heap [1408, 16384]");
  header(mem)->alloc_cursor = 1408;
  CHECK_STATUS(zeroipc_array_create(mem, "new", 4, 4, 0, &a), ZEROIPC_E_CORRUPT);
  CHECK_MESSAGE_HAS("': table entry 0 ('ok') at offset 1408 with size 128 extends past alloc_cursor 1408");
  drop_segment(mem);
}

/* §3.2, §3.3: a child holding the table lock is SIGKILLed; the parent takes it over. */
static void test_killed_lock_holder(void) {
  zeroipc_memory* mem = fresh_segment(1 << 16, 8);
  zipc_mapping* m = zipc_memory_mapping(mem);
  zeroipc_segment_header* h = header(mem);
  int ready[2];
  CHECK(pipe(ready) == 0);
  const pid_t child = fork();
  if (child == 0) {
    int taken_over = 0;
    if (zipc_owner_lock(m, &h->table_lock, &h->lock_holder_pid, "test", -1, &taken_over) != ZEROIPC_OK) _exit(1);
    if (write(ready[1], "l", 1) != 1) _exit(2);
    for (;;) pause();
  }
  char c;
  CHECK(read(ready[0], &c, 1) == 1);
  CHECK((h->table_lock & ZEROIPC_LOCK_KEY_MASK) != 0 && (h->table_lock & ZEROIPC_LOCK_KEY_MASK) != m->key);
  CHECK_EQ_U64(h->lock_holder_pid, (uint64_t)child);

  /* Alive: a bounded wait times out, naming the holder. */
  int taken_over = 0;
  char what[128];
  snprintf(what, sizeof what, "zeroipc: segment '%s': the table lock", segment);
  CHECK_STATUS(zipc_owner_lock(m, &h->table_lock, &h->lock_holder_pid, what, 100000000, &taken_over),
               ZEROIPC_E_TIMEOUT);
  char expected[256];
  snprintf(expected, sizeof expected, "%s is held by live process %d for longer than 100 ms", what, (int)child);
  CHECK(strcmp(zeroipc_last_error(), expected) == 0);

  kill_child(child);
  zeroipc_array* a = NULL;
  CHECK_STATUS(zeroipc_array_create(mem, "after", 8, 8, ZEROIPC_DTYPE_U64, &a), ZEROIPC_OK);
  CHECK_EQ_U64(h->table_lock, 0);
  CHECK_EQ_U64(h->lock_holder_pid, 0);
  zeroipc_array_close(a);
  close(ready[0]);
  close(ready[1]);
  drop_segment(mem);
}

/* §3.3: a lock holder killed between moving alloc_cursor (5a) and table_count (5b). */
static void test_killed_between_cursor_and_count(void) {
  zeroipc_memory* mem = fresh_segment(1 << 16, 8);
  zipc_mapping* m = zipc_memory_mapping(mem);
  zeroipc_segment_header* h = header(mem);
  const uint64_t cursor = h->alloc_cursor;
  int ready[2];
  CHECK(pipe(ready) == 0);
  const pid_t child = fork();
  if (child == 0) {
    int taken_over = 0;
    if (zipc_owner_lock(m, &h->table_lock, &h->lock_holder_pid, "test", -1, &taken_over) != ZEROIPC_OK) _exit(1);
    zeroipc_table_entry* e = entry(mem, 0);
    memcpy(e->name, "half", 5);
    e->offset = cursor;
    e->size = 4096;
    e->creator_pid = (uint32_t)getpid();
    e->creator_key = zipc_self_key(m);
    __atomic_store_n(&e->state, ZEROIPC_ENTRY_RESERVED, __ATOMIC_RELEASE);
    __atomic_store_n(&h->alloc_cursor, cursor + 4096, __ATOMIC_RELAXED);
    if (write(ready[1], "l", 1) != 1) _exit(2);
    for (;;) pause();
  }
  char c;
  CHECK(read(ready[0], &c, 1) == 1);
  kill_child(child);
  zeroipc_array* a = NULL;
  CHECK_STATUS(zeroipc_array_create(mem, "next", 8, 8, 0, &a), ZEROIPC_OK);
  zeroipc_entry_info info;
  CHECK_STATUS(zeroipc_table_find(mem, "next", &info), ZEROIPC_OK);
  CHECK_EQ_U64(info.offset, cursor);  /* the cursor was rolled back */
  CHECK_EQ_U64(h->table_count, 1);
  CHECK_EQ_U64(h->alloc_cursor, cursor + 128);
  CHECK_STATUS(zeroipc_table_find(mem, "half", &info), ZEROIPC_E_NOT_FOUND);
  zeroipc_array_close(a);
  close(ready[0]);
  close(ready[1]);
  drop_segment(mem);
}

/* An initialiser that tells the parent it runs, then waits `ms` (or forever when < 0). */
typedef struct slow_init {
  int fd;
  long ms;
} slow_init;

static int slow(uint8_t* base, uint64_t capacity, void* context) {
  const slow_init* s = context;
  (void)base;
  (void)capacity;
  if (write(s->fd, "i", 1) != 1) return ZEROIPC_E_SYSTEM;
  if (s->ms < 0) {
    for (;;) pause();
  }
  sleep_ms(s->ms);
  return ZEROIPC_OK;
}

static zipc_struct_spec u64_array_spec(void) {
  zipc_struct_spec spec;
  memset(&spec, 0, sizeof spec);
  spec.kind = ZEROIPC_KIND_ARRAY;
  spec.layout_version = 1;
  spec.element_size = 8;
  spec.dtype = ZEROIPC_DTYPE_U64;
  spec.total_size = zeroipc_array_total_size;
  spec.element_size_name = "element size";
  spec.type_name = "Array";
  return spec;
}

/* A child creates "w" with an initialiser that waits `ms`; returns its pid once it initialises. */
static pid_t child_creating(zeroipc_memory* mem, long ms, int ready[2]) {
  const pid_t child = fork();
  if (child == 0) {
    const zipc_struct_spec spec = u64_array_spec();
    slow_init s = {ready[1], ms};
    zipc_opened opened;
    _exit(zipc_structure_create(zipc_memory_mapping(mem), "w", &spec, 8, slow, &s, &opened) == ZEROIPC_OK ? 0 : 1);
  }
  char c;
  CHECK(read(ready[0], &c, 1) == 1);
  return child;
}

/* §3.1 step 2: a creator of the same name waits for a live creator, then opens its structure. */
static void test_wait_for_live_creator(void) {
  zeroipc_memory* mem = fresh_segment(1 << 16, 8);
  int ready[2];
  CHECK(pipe(ready) == 0);
  const pid_t child = child_creating(mem, 300, ready);
  CHECK_EQ_U64(entry(mem, 0)->state, ZEROIPC_ENTRY_RESERVED);
  zeroipc_array* a = NULL;
  const int64_t start = zipc_now_ns();
  CHECK_STATUS(zeroipc_array_create(mem, "w", 8, 8, ZEROIPC_DTYPE_U64, &a), ZEROIPC_OK);
  CHECK(zipc_now_ns() - start > 100000000);  /* it waited */
  int status = 0;
  CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(a != NULL);
  CHECK_EQ_U64(entry(mem, 0)->state, ZEROIPC_ENTRY_READY);
  CHECK_EQ_U64(header(mem)->table_count, 1);
  zeroipc_array_close(a);
  close(ready[0]);
  close(ready[1]);
  drop_segment(mem);
}

/* §3.3: a creator killed while initialising (RESERVED, count moved): its
 * entry goes back to FREE and its region is reused by the next creation. */
static void test_killed_initialiser(void) {
  zeroipc_memory* mem = fresh_segment(1 << 16, 8);
  int ready[2];
  CHECK(pipe(ready) == 0);
  const pid_t child = child_creating(mem, -1, ready);
  const uint64_t offset = entry(mem, 0)->offset;
  kill_child(child);
  zeroipc_array* a = NULL;
  CHECK_STATUS(zeroipc_array_create(mem, "w", 8, 8, ZEROIPC_DTYPE_U64, &a), ZEROIPC_OK);
  zeroipc_entry_info info;
  CHECK_STATUS(zeroipc_table_find(mem, "w", &info), ZEROIPC_OK);
  CHECK_EQ_U64(info.offset, offset);
  CHECK_EQ_U64(header(mem)->table_count, 1);
  CHECK_EQ_U64(header(mem)->table_generation, 2);  /* reclaimed, then READY */
  zeroipc_array_close(a);
  close(ready[0]);
  close(ready[1]);
  drop_segment(mem);
}

int main(void) {
  test_names();
  test_full();
  test_corrupt_entries();
  test_killed_lock_holder();
  test_killed_between_cursor_and_count();
  test_wait_for_live_creator();
  test_killed_initialiser();
  return check_summary("table");
}
