/* memory_test.c — segments through the C implementation (SPECIFICATION.md
 * §1, §2, §4, §5): create/open/unlink, name errors, corrupt headers written
 * into the segment file, options, attach slots, owner keys across fork(),
 * and the sweep of temporaries left by dead creators. Messages are checked
 * against the C++ library's text. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "internal.h"

static char names[16][64];
static int name_count;

/* A segment name of this test run, removed at the end. */
static const char* segment_name(const char* what) {
  char* n = names[name_count++];
  snprintf(n, sizeof names[0], "/zipc_c_memory_%d_%s", (int)getpid(), what);
  zeroipc_memory_unlink(n);
  return n;
}

static void unlink_all(void) {
  for (int i = 0; i < name_count; ++i) zeroipc_memory_unlink(names[i]);
}

/* Writes `len` bytes at `offset` of the segment file. */
static void poke(const char* name, off_t offset, const void* bytes, size_t len) {
  char path[128];
  snprintf(path, sizeof path, "/dev/shm%s", name);
  const int fd = open(path, O_RDWR | O_CLOEXEC);
  CHECK(fd >= 0);
  CHECK(pwrite(fd, bytes, len, offset) == (ssize_t)len);
  close(fd);
}


static void test_create_open_unlink(void) {
  const char* name = segment_name("basic");
  zeroipc_memory* mem = NULL;
  CHECK_STATUS(zeroipc_memory_create(name, 1 << 16, NULL, &mem), ZEROIPC_OK);
  CHECK(zeroipc_memory_created(mem));
  CHECK_EQ_U64(zeroipc_memory_size(mem), 1 << 16);
  CHECK(strcmp(zeroipc_memory_name(mem), name) == 0);
  CHECK(zeroipc_memory_exists(name));
  CHECK_EQ_U64(zeroipc_table_capacity(mem), 64);
  /* §1: D = align64(1152 + 64 * 64) = 5248 */
  CHECK_EQ_U64(zeroipc_memory_free_bytes(mem), (1 << 16) - 5248);

  const zeroipc_segment_header* h = zeroipc_memory_base(mem);
  CHECK(memcmp(h->magic, "ZIPM", 4) == 0);
  CHECK_EQ_U64(h->format_version, 1);
  CHECK_EQ_U64(h->header_size, 128);
  CHECK_EQ_U64(h->table_offset, 1152);
  CHECK_EQ_U64(h->attach_capacity, 64);
  CHECK_EQ_U64(h->data_offset, 5248);
  CHECK_EQ_U64(h->alloc_cursor, 5248);
  CHECK_EQ_U64(h->creator_pid, (uint32_t)getpid());

  struct stat st;
  char path[128];
  snprintf(path, sizeof path, "/dev/shm%s", name);
  CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);

  zeroipc_memory* again = NULL;
  CHECK_STATUS(zeroipc_memory_create(name, 1 << 12, NULL, &again), ZEROIPC_OK);  /* exists: opened */
  CHECK(!zeroipc_memory_created(again));
  CHECK_EQ_U64(zeroipc_memory_size(again), 1 << 16);
  zeroipc_memory_close(again);
  CHECK_STATUS(zeroipc_memory_open(name, 0, &again), ZEROIPC_OK);
  zeroipc_memory_close(again);

  zeroipc_memory* bigger = NULL;
  CHECK_STATUS(zeroipc_memory_create(name, 1 << 17, NULL, &bigger), ZEROIPC_E_MISMATCH);
  CHECK_MESSAGE_HAS("exists with 65536 bytes, fewer than the 131072 requested");

  zeroipc_memory_close(mem);
  CHECK_STATUS(zeroipc_memory_unlink(name), ZEROIPC_OK);
  CHECK(!zeroipc_memory_exists(name));
  CHECK_STATUS(zeroipc_memory_unlink(name), ZEROIPC_E_NOT_FOUND);
  CHECK_STATUS(zeroipc_memory_open(name, 0, &mem), ZEROIPC_E_NOT_FOUND);
  CHECK_MESSAGE_HAS("' does not exist (expected a shared-memory object /dev/shm/zipc_c_memory_");
}

static void test_name_errors(void) {
  zeroipc_memory* mem = NULL;
  char longname[300];
  memset(longname, 'a', sizeof longname);
  longname[0] = '/';
  longname[299] = '\0';
  CHECK_STATUS(zeroipc_memory_create(longname, 1 << 16, NULL, &mem), ZEROIPC_E_INVALID_NAME);
  CHECK_MESSAGE_HAS("zeroipc: invalid segment name '/aaaa");
  CHECK_MESSAGE_HAS("': it is 299 bytes long (expected '/' followed by 1 to 254 bytes, none '/' or NUL)");
  CHECK_STATUS(zeroipc_memory_open("noslash", 0, &mem), ZEROIPC_E_INVALID_NAME);
  CHECK(strcmp(zeroipc_last_error(),
               "zeroipc: invalid segment name 'noslash': it does not start with '/' (expected '/' followed by 1 "
               "to 254 bytes, none '/' or NUL)") == 0);
  CHECK_STATUS(zeroipc_memory_open("", 0, &mem), ZEROIPC_E_INVALID_NAME);
  CHECK_MESSAGE_HAS("'': it is empty");
  CHECK_STATUS(zeroipc_memory_open("/", 0, &mem), ZEROIPC_E_INVALID_NAME);
  CHECK_MESSAGE_HAS("nothing follows the '/'");
  CHECK_STATUS(zeroipc_memory_open("/a/b", 0, &mem), ZEROIPC_E_INVALID_NAME);
  CHECK_MESSAGE_HAS("it contains a second '/'");
  CHECK_STATUS(zeroipc_memory_create("/.zeroipc-tmp-1-2-3", 1 << 16, NULL, &mem), ZEROIPC_E_INVALID_NAME);
  CHECK_MESSAGE_HAS("names starting with '/.zeroipc-tmp-' are the temporaries of segments being created");
  CHECK_STATUS(zeroipc_memory_unlink("/.zeroipc-tmp-1-2-3"), ZEROIPC_E_INVALID_NAME);
  CHECK_STATUS(zeroipc_memory_open("/tab\there", 0, &mem), ZEROIPC_E_NOT_FOUND);  /* a tab is allowed */
  CHECK_STATUS(zeroipc_memory_open(NULL, 0, &mem), ZEROIPC_E_INVALID_ARGUMENT);
  CHECK(!zeroipc_memory_exists("bad"));
}

static void test_options(void) {
  const char* name = segment_name("options");
  zeroipc_memory_options o = zeroipc_memory_default_options();
  zeroipc_memory* mem = NULL;
  o.table_capacity = 0;
  CHECK_STATUS(zeroipc_memory_create(name, 1 << 16, &o, &mem), ZEROIPC_E_INVALID_ARGUMENT);
  CHECK(strcmp(zeroipc_last_error(), "zeroipc: table capacity 0 is outside 1..65536") == 0);
  o.table_capacity = 65537;
  CHECK_STATUS(zeroipc_memory_create(name, 1 << 16, &o, &mem), ZEROIPC_E_INVALID_ARGUMENT);
  o.table_capacity = 4;
  CHECK_STATUS(zeroipc_memory_create(name, 1000, &o, &mem), ZEROIPC_E_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS(": size 1000 is too small for a table of 4 entries (needs at least 1408 bytes)");
  CHECK(!zeroipc_memory_exists(name));
  o.mode = 0640;
  CHECK_STATUS(zeroipc_memory_create(name, 1 << 14, &o, &mem), ZEROIPC_OK);
  CHECK_EQ_U64(zeroipc_table_capacity(mem), 4);
  CHECK_EQ_U64(((const zeroipc_segment_header*)zeroipc_memory_base(mem))->data_offset, 1408);
  struct stat st;
  char path[128];
  snprintf(path, sizeof path, "/dev/shm%s", name);
  CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640);
  zeroipc_memory_close(mem);
  zeroipc_memory_unlink(name);
}

/* Creates `name`, applies `damage`, and expects opening to fail with `status` and `message`. */
static void expect_corrupt(const char* name, off_t offset, const void* bytes, size_t len, int status,
                           const char* message) {
  zeroipc_memory* mem = NULL;
  zeroipc_memory_unlink(name);
  CHECK_STATUS(zeroipc_memory_create(name, 1 << 14, NULL, &mem), ZEROIPC_OK);
  zeroipc_memory_close(mem);
  poke(name, offset, bytes, len);
  CHECK_STATUS(zeroipc_memory_open(name, 0, &mem), status);
  CHECK_MESSAGE_HAS(message);
  CHECK_STATUS(zeroipc_memory_create(name, 1 << 14, NULL, &mem), status);  /* create opens it: same check */
}

static void test_corrupt_headers(void) {
  const char* name = segment_name("corrupt");
  const uint16_t v2 = 2, h64 = 64;
  const uint64_t size_lie = 12345, odd_offset = 1153, bad_cursor = 100, big_data = 1 << 20;
  const uint32_t c0 = 0, a5000 = 5000, count_past = 65;
  expect_corrupt(name, 0, "XIP\x01", 4, ZEROIPC_E_CORRUPT,
                 "': not a zeroipc segment (expected magic 'ZIPM', found 'XIP\\x01')");
  expect_corrupt(name, 4, &v2, 2, ZEROIPC_E_VERSION, ": unsupported format version 2 (this build reads version 1)");
  expect_corrupt(name, 6, &h64, 2, ZEROIPC_E_CORRUPT, ": header_size is 64, expected 128");
  expect_corrupt(name, 8, &size_lie, 8, ZEROIPC_E_CORRUPT, ": header says 12345 bytes but the file has 16384");
  expect_corrupt(name, 24, &c0, 4, ZEROIPC_E_CORRUPT, ": table_capacity 0 is outside 1..65536");
  expect_corrupt(name, 28, &a5000, 4, ZEROIPC_E_CORRUPT, ": attach_capacity 5000 exceeds 4096");
  expect_corrupt(name, 16, &odd_offset, 8, ZEROIPC_E_CORRUPT,
                 ": table_offset 1153 is not a multiple of 64 between the attach slots (end 1152) and the segment end (16384)");
  expect_corrupt(name, 32, &big_data, 8, ZEROIPC_E_CORRUPT,
                 ": data_offset 1048576 is not a multiple of 64 between the table end (5248) and the segment end (16384)");
  expect_corrupt(name, 68, &count_past, 4, ZEROIPC_E_CORRUPT, ": table_count 65 exceeds table_capacity 64");
  expect_corrupt(name, 72, &bad_cursor, 8, ZEROIPC_E_CORRUPT,
                 ": alloc_cursor 100 is outside the heap [5248, 16384]");

  /* Files too small for a header: empty, and 100 bytes. */
  char path[128];
  zeroipc_memory* mem = NULL;
  snprintf(path, sizeof path, "/dev/shm%s", name);
  zeroipc_memory_unlink(name);
  int fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
  CHECK(fd >= 0);
  CHECK_STATUS(zeroipc_memory_open(name, 0, &mem), ZEROIPC_E_CORRUPT);
  CHECK_MESSAGE_HAS(": not a zeroipc segment (0 bytes, smaller than the 128-byte header)");
  CHECK(ftruncate(fd, 100) == 0);
  CHECK_STATUS(zeroipc_memory_open(name, 0, &mem), ZEROIPC_E_CORRUPT);
  CHECK_MESSAGE_HAS("(100 bytes, smaller than the 128-byte header)");
  close(fd);
  zeroipc_memory_unlink(name);
}

/* §4: the handle's attach slot holds pid | key << 32 and is cleared at close. */
static void test_attach_slots(void) {
  const char* name = segment_name("attach");
  zeroipc_memory *a = NULL, *b = NULL;
  CHECK_STATUS(zeroipc_memory_create(name, 1 << 14, NULL, &a), ZEROIPC_OK);
  CHECK_STATUS(zeroipc_memory_open(name, 0, &b), ZEROIPC_OK);
  const zipc_mapping* ma = zipc_memory_mapping(a);
  const zipc_mapping* mb = zipc_memory_mapping(b);
  const zeroipc_attach_slot* slots = (const zeroipc_attach_slot*)((const uint8_t*)zeroipc_memory_base(a) + 128);
  CHECK(ma->attach_slot == 0);
  CHECK(mb->attach_slot == 1);
  CHECK_EQ_U64(slots[0].owner, zeroipc_attach_owner((uint32_t)getpid(), ma->key));
  CHECK(slots[0].start_time != 0);
  CHECK(ma->key == mb->key);  /* one key per process */
  CHECK(ma->key != 0 && (ma->key & 0x80000000u) == 0);
  zeroipc_memory_close(b);
  CHECK_EQ_U64(slots[1].owner, 0);
  zeroipc_memory_close(a);
  zeroipc_memory_unlink(name);
}

/* §4.1: a forked child has its own key, alive while it lives, dead after. */
static void test_fork_keys(void) {
  const char* name = segment_name("fork");
  zeroipc_memory* mem = NULL;
  CHECK_STATUS(zeroipc_memory_create(name, 1 << 14, NULL, &mem), ZEROIPC_OK);
  zipc_mapping* m = zipc_memory_mapping(mem);
  int to_parent[2], to_child[2];
  CHECK(pipe(to_parent) == 0 && pipe(to_child) == 0);
  const pid_t child = fork();
  if (child == 0) {
    uint32_t key = zipc_self_key(m);
    char go;
    if (write(to_parent[1], &key, sizeof key) != sizeof key) _exit(2);
    if (read(to_child[0], &go, 1) != 1) _exit(3);
    _exit(zipc_key_alive(m, key) ? 0 : 1);
  }
  uint32_t child_key = 0;
  CHECK(read(to_parent[0], &child_key, sizeof child_key) == sizeof child_key);
  CHECK(child_key != 0 && child_key != zipc_self_key(m));
  CHECK(zipc_key_alive(m, child_key));
  CHECK(zipc_key_alive(m, zipc_self_key(m)));
  CHECK(!zipc_key_alive(m, 0));
  CHECK(write(to_child[1], "g", 1) == 1);
  int status = 0;
  CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(!zipc_key_alive(m, child_key));
  CHECK(zipc_key_alive(m, zipc_self_key(m)));  /* the child's exit did not take the parent's lock */
  close(to_parent[0]);
  close(to_parent[1]);
  close(to_child[0]);
  close(to_child[1]);
  zeroipc_memory_close(mem);
  zeroipc_memory_unlink(name);
}

/* §1: a temporary older than a second whose creation lock nobody holds is
 * removed by the next creator; one whose lock is held is left alone. */
static void test_temporary_sweep(void) {
  char dead[96], building[96];
  snprintf(dead, sizeof dead, "/dev/shm/.zeroipc-tmp-%d-dead", (int)getpid());
  snprintf(building, sizeof building, "/dev/shm/.zeroipc-tmp-%d-building", (int)getpid());
  const int fd_dead = open(dead, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
  const int fd_building = open(building, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
  CHECK(fd_dead >= 0 && fd_building >= 0);
  close(fd_dead);
  struct flock fl;
  CHECK(zipc_lock_byte(fd_building, ZEROIPC_CREATOR_LOCK_BYTE, F_WRLCK, F_OFD_SETLK, &fl) == 0);
  const struct timespec pause_time = {1, 200000000};
  nanosleep(&pause_time, NULL);
  const char* name = segment_name("sweep");
  zeroipc_memory* mem = NULL;
  CHECK_STATUS(zeroipc_memory_create(name, 1 << 14, NULL, &mem), ZEROIPC_OK);
  CHECK(access(dead, F_OK) != 0);
  CHECK(access(building, F_OK) == 0);
  close(fd_building);
  unlink(building);
  unlink(dead);
  zeroipc_memory_close(mem);
  zeroipc_memory_unlink(name);
}

static void test_status_names(void) {
  CHECK(strcmp(zeroipc_status_name(ZEROIPC_OK), "ZEROIPC_OK") == 0);
  CHECK(strcmp(zeroipc_status_name(ZEROIPC_E_TABLE_FULL), "ZEROIPC_E_TABLE_FULL") == 0);
  CHECK(strcmp(zeroipc_status_name(-99), "ZEROIPC_UNKNOWN_STATUS") == 0);
  char buf[64];
  CHECK(strcmp(zipc_printable("a\\b\x01\xff", 5, buf, sizeof buf), "a\\x5cb\\x01\\xff") == 0);
  CHECK(zipc_fail_errno(ENOENT, "zeroipc: cannot open segment '%s'", "/x") == ZEROIPC_E_SYSTEM);
  CHECK(strcmp(zeroipc_last_error(), "zeroipc: cannot open segment '/x': No such file or directory") == 0);
}

int main(void) {
  test_create_open_unlink();
  test_name_errors();
  test_options();
  test_corrupt_headers();
  test_attach_slots();
  test_fork_keys();
  test_temporary_sweep();
  test_status_names();
  unlink_all();
  return check_summary("memory");
}
