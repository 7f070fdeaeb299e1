/* memory.c — segments: creation (§1), the header (§2), validation (§5 items
 * 1-5), attach slots (§4), and the mapping every handle shares; as
 * lib/src/memory.cpp and lib/src/names.cpp, with the same messages.
 *
 * Creation builds the whole segment under a temporary name
 * /.zeroipc-tmp-<pid>-<n>-<random>, holding an OFD write lock on its byte
 * 2^62 - 1, and publishes it with link(): whoever opens a name sees a
 * complete segment, and creating a name that exists opens it instead.
 * Opening checks a private copy of the header read with pread (§5), so what
 * is checked is what is used, and maps the file only then.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* glibc's shm_open() creates /dev/shm/<name>; creation links within it. */
#define ZIPC_SHM_DIR "/dev/shm"
/* §1: a temporary younger than this is never swept, locked or not. */
#define ZIPC_TEMP_GRACE_NS INT64_C(1000000000)
/* The printable form of a segment name: 255 bytes of \xNN at most. */
#define ZIPC_NAME_TEXT 1100
/* ZEROIPC_TMP_SEGMENT_PREFIX without its '/'. */
#define ZIPC_TMP_PREFIX_IN_DIR (ZEROIPC_TMP_SEGMENT_PREFIX + 1)

struct zeroipc_memory {
  zipc_mapping* mapping;
  int created;
};

/* What try_open and try_create say besides a status: the name is absent, or appeared meanwhile. */
#define ZIPC_ABSENT 1

/* ------------------------------------------------------------------ names (§1) */

const char* zipc_quoted(const char* name, char* buf, size_t buf_size) {
  char text[ZIPC_NAME_TEXT];
  zipc_printable(name, strlen(name), text, sizeof text);
  snprintf(buf, buf_size, "'%s'", text);
  return buf;
}

static int bad_segment_name(const char* name, const char* why) {
  char text[ZIPC_NAME_TEXT];
  zipc_printable(name, strlen(name), text, sizeof text);
  return zipc_fail(ZEROIPC_E_INVALID_NAME,
                   "zeroipc: invalid segment name '%s': %s (expected '/' followed by 1 to %u bytes, none '/' or NUL)",
                   text, why, ZEROIPC_MAX_SEGMENT_NAME_LENGTH - 1u);
}

int zipc_check_segment_name(const char* name) {
  if (name == NULL) return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: the segment name is NULL");
  const size_t length = strlen(name);
  if (length == 0) return bad_segment_name(name, "it is empty");
  if (name[0] != '/') return bad_segment_name(name, "it does not start with '/'");
  if (length == 1) return bad_segment_name(name, "nothing follows the '/'");
  if (length > ZEROIPC_MAX_SEGMENT_NAME_LENGTH) {
    char why[64];
    snprintf(why, sizeof why, "it is %zu bytes long", length);
    return bad_segment_name(name, why);
  }
  if (strchr(name + 1, '/') != NULL) return bad_segment_name(name, "it contains a second '/'");
  if (strncmp(name, ZEROIPC_TMP_SEGMENT_PREFIX, strlen(ZEROIPC_TMP_SEGMENT_PREFIX)) == 0) {
    return bad_segment_name(name, "names starting with '/.zeroipc-tmp-' are the temporaries of segments being created");
  }
  return ZEROIPC_OK;
}

/* ------------------------------------------------------------------ the mapping */

static zipc_mapping* mapping_new(const char* name, uint8_t* base, uint64_t size, int fd) {
  zipc_mapping* m = calloc(1, sizeof *m);
  if (m == NULL) return NULL;
  m->refs = 1;
  m->fd = fd;
  m->base = base;
  m->size = size;
  snprintf(m->name, sizeof m->name, "%s", name);
  m->attach_slot = -1;
  return m;
}

static zeroipc_segment_header* header_of(const zipc_mapping* m) { return (zeroipc_segment_header*)(void*)m->base; }

static zeroipc_attach_slot* attach_slot_at(const zipc_mapping* m, uint32_t i) {
  return (zeroipc_attach_slot*)(void*)(m->base + zeroipc_attach_slot_offset(i));
}

/* §4: claims a free slot (pass 1) or the slot of a dead process (pass 2)
 * with one CAS of pid | key << 32; else counts the attach in attach_overflow. */
static void claim_attach_slot(zipc_mapping* m) {
  const uint64_t me = zeroipc_attach_owner((uint32_t)zipc_self_pid(), zipc_self_key(m));
  for (int pass = 0; pass < 2; ++pass) {
    for (uint32_t i = 0; i < m->attach_capacity; ++i) {
      zeroipc_attach_slot* slot = attach_slot_at(m, i);
      uint64_t seen = __atomic_load_n(&slot->owner, __ATOMIC_RELAXED);
      if (pass == 0 && seen != 0) continue;
      if (pass == 1 && (seen == 0 || zipc_key_alive(m, zeroipc_attach_key(seen)))) continue;
      if (__atomic_compare_exchange_n(&slot->owner, &seen, me, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
        __atomic_store_n(&slot->start_time, zipc_self_start_time(), __ATOMIC_RELEASE);
        m->attach_slot = (int)i;
        m->attach_owner = me;
        return;
      }
    }
  }
  __atomic_fetch_add(&header_of(m)->attach_overflow, 1u, __ATOMIC_RELAXED);
}

/* §4.1 then §4: the liveness lock first (without it this process would look
 * dead to every other, which could take its locks), then an attach slot. */
static int attach(zipc_mapping* m) {
  const int err = zipc_mapping_register(m);
  if (err != 0) {
    char quoted[ZIPC_NAME_TEXT + 2];
    return zipc_fail_errno(err,
                           "zeroipc: cannot take this process's liveness lock (F_OFD_SETLK) on segment %s",
                           zipc_quoted(m->name, quoted, sizeof quoted));
  }
  claim_attach_slot(m);
  return ZEROIPC_OK;
}

/* A forked child inherits the record of the slot but not the slot (its key
 * differs): only the process that claimed it clears it. */
static void release_attach_slot(zipc_mapping* m) {
  if (m->attach_slot < 0) return;
  zeroipc_attach_slot* slot = attach_slot_at(m, (uint32_t)m->attach_slot);
  uint64_t mine = m->attach_owner;
  if (zeroipc_attach_key(mine) == zipc_self_key(m) && __atomic_load_n(&slot->owner, __ATOMIC_RELAXED) == mine) {
    __atomic_store_n(&slot->start_time, 0, __ATOMIC_RELAXED);
    __atomic_compare_exchange_n(&slot->owner, &mine, 0, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
  }
  m->attach_slot = -1;
}

void zipc_mapping_ref(zipc_mapping* m) { __atomic_fetch_add(&m->refs, 1, __ATOMIC_RELAXED); }

/* (R1) the acq_rel decrement that drops the last reference orders every
 * handle's use of the mapping before the unmap. */
void zipc_mapping_unref(zipc_mapping* m) {
  if (m == NULL || __atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) != 0) return; /* (R1) */
  release_attach_slot(m);
  zipc_mapping_unregister(m);
  munmap(m->base, m->size);
  close(m->fd);
  free(m);
}

zipc_mapping* zipc_memory_mapping(zeroipc_memory* mem) { return mem->mapping; }

/* ------------------------------------------------------------------ §5 items 1-5 */

static uint64_t required_bytes(uint32_t table_capacity) {
  return zeroipc_segment_data_offset(ZEROIPC_DEFAULT_TABLE_OFFSET, table_capacity);
}

/* Checks the private copy `h` of the header of a file of `size` bytes. */
static int validate_header(const zeroipc_segment_header* h, uint64_t size, const char* name) {
  char who[ZIPC_NAME_TEXT + 32];
  char quoted[ZIPC_NAME_TEXT + 2];
  snprintf(who, sizeof who, "zeroipc: segment %s", zipc_quoted(name, quoted, sizeof quoted));
  if (memcmp(h->magic, ZEROIPC_SEGMENT_MAGIC, 4) != 0) {
    char found[24];
    return zipc_fail(ZEROIPC_E_CORRUPT, "%s: not a zeroipc segment (expected magic 'ZIPM', found '%s')", who,
                     zipc_printable(h->magic, 4, found, sizeof found));
  }
  if (h->format_version != ZEROIPC_FORMAT_VERSION) {
    return zipc_fail(ZEROIPC_E_VERSION, "%s: unsupported format version %u (this build reads version %u)", who,
                     (unsigned)h->format_version, ZEROIPC_FORMAT_VERSION);
  }
  if (h->header_size != sizeof(zeroipc_segment_header)) {
    return zipc_fail(ZEROIPC_E_CORRUPT, "%s: header_size is %u, expected %u", who, (unsigned)h->header_size,
                     (unsigned)sizeof(zeroipc_segment_header));
  }
  if (h->segment_size != size) {
    return zipc_fail(ZEROIPC_E_CORRUPT, "%s: header says %llu bytes but the file has %llu", who,
                     (unsigned long long)h->segment_size, (unsigned long long)size);
  }
  if (h->table_capacity < ZEROIPC_MIN_TABLE_CAPACITY || h->table_capacity > ZEROIPC_MAX_TABLE_CAPACITY) {
    return zipc_fail(ZEROIPC_E_CORRUPT, "%s: table_capacity %u is outside 1..%u", who, (unsigned)h->table_capacity,
                     ZEROIPC_MAX_TABLE_CAPACITY);
  }
  if (h->attach_capacity > ZEROIPC_MAX_ATTACH_CAPACITY) {
    return zipc_fail(ZEROIPC_E_CORRUPT, "%s: attach_capacity %u exceeds %u", who, (unsigned)h->attach_capacity,
                     ZEROIPC_MAX_ATTACH_CAPACITY);
  }
  const uint64_t attach_end = zeroipc_attach_slot_offset(h->attach_capacity);
  if (h->table_offset < attach_end || h->table_offset % ZEROIPC_CACHE_LINE != 0 || h->table_offset > size) {
    return zipc_fail(ZEROIPC_E_CORRUPT,
                     "%s: table_offset %llu is not a multiple of 64 between the attach slots (end %llu) and the "
                     "segment end (%llu)",
                     who, (unsigned long long)h->table_offset, (unsigned long long)attach_end,
                     (unsigned long long)size);
  }
  /* No overflow: table_offset <= size < 2^63 and 64 * C <= 2^22. */
  const uint64_t table_end = zeroipc_table_entry_offset(h->table_offset, h->table_capacity);
  if (h->data_offset < table_end || h->data_offset > size || h->data_offset % ZEROIPC_CACHE_LINE != 0) {
    return zipc_fail(ZEROIPC_E_CORRUPT,
                     "%s: data_offset %llu is not a multiple of 64 between the table end (%llu) and the segment "
                     "end (%llu)",
                     who, (unsigned long long)h->data_offset, (unsigned long long)table_end,
                     (unsigned long long)size);
  }
  if (h->table_count > h->table_capacity) {
    return zipc_fail(ZEROIPC_E_CORRUPT, "%s: table_count %u exceeds table_capacity %u", who,
                     (unsigned)h->table_count, (unsigned)h->table_capacity);
  }
  if (h->alloc_cursor < h->data_offset || h->alloc_cursor > size) {
    return zipc_fail(ZEROIPC_E_CORRUPT, "%s: alloc_cursor %llu is outside the heap [%llu, %llu]", who,
                     (unsigned long long)h->alloc_cursor, (unsigned long long)h->data_offset,
                     (unsigned long long)size);
  }
  return ZEROIPC_OK;
}

/* The geometry from the checked copy `h`: never re-read from the segment (§5). */
static void set_geometry(zipc_mapping* m, const zeroipc_segment_header* h) {
  m->table_offset = h->table_offset;
  m->table_capacity = h->table_capacity;
  m->attach_capacity = h->attach_capacity;
  m->data_offset = h->data_offset;
}

/* ------------------------------------------------------------------ opening */

static int map_fd(int fd, uint64_t size, const char* name, uint8_t** base) {
  void* p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    char quoted[ZIPC_NAME_TEXT + 2];
    return zipc_fail_errno(errno, "zeroipc: mmap of segment %s", zipc_quoted(name, quoted, sizeof quoted));
  }
  *base = p;
  return ZEROIPC_OK;
}

/* §1 owner, §5 items 1-5 on the open file `fd`; its size into *size. */
static int check_file(int fd, const char* name, int allow_foreign_owner, zeroipc_segment_header* h, uint64_t* size) {
  char quoted[ZIPC_NAME_TEXT + 2];
  struct stat st;
  zipc_quoted(name, quoted, sizeof quoted);
  if (fstat(fd, &st) != 0) return zipc_fail_errno(errno, "zeroipc: fstat of segment %s", quoted);
  if (!S_ISREG(st.st_mode)) {
    return zipc_fail(ZEROIPC_E_CORRUPT, "zeroipc: segment %s: not a regular file in %s", quoted, ZIPC_SHM_DIR);
  }
  if (st.st_uid != geteuid() && !allow_foreign_owner) {
    return zipc_fail(ZEROIPC_E_FOREIGN,
                     "zeroipc: segment %s is owned by uid %u, not by this process's uid %u; its owner could "
                     "rewrite or truncate it under this process (set allow_foreign_owner in MemoryOptions or "
                     "OpenOptions to trust it)",
                     quoted, (unsigned)st.st_uid, (unsigned)geteuid());
  }
  *size = (uint64_t)st.st_size;
  if (*size < sizeof *h) {
    return zipc_fail(ZEROIPC_E_CORRUPT, "zeroipc: segment %s: not a zeroipc segment (%llu bytes, smaller than the %u-byte header)",
                     quoted, (unsigned long long)*size, (unsigned)sizeof *h);
  }
  if (pread(fd, h, sizeof *h, 0) != (ssize_t)sizeof *h) {
    return zipc_fail(ZEROIPC_E_CORRUPT,
                     "zeroipc: segment %s: could not read its %u-byte header (the file shrank while it was opened)",
                     quoted, (unsigned)sizeof *h);
  }
  return ZEROIPC_OK;
}

static int no_memory(void) { return zipc_fail(ZEROIPC_E_NO_MEMORY, "zeroipc: out of memory"); }

/* Opens the existing segment `name`: ZEROIPC_OK, ZIPC_ABSENT, or an error. */
static int try_open(const char* name, int allow_foreign_owner, zipc_mapping** out) {
  const int fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) {
    char quoted[ZIPC_NAME_TEXT + 2];
    if (errno == ENOENT) return ZIPC_ABSENT;
    return zipc_fail_errno(errno, "zeroipc: cannot open segment %s", zipc_quoted(name, quoted, sizeof quoted));
  }
  zeroipc_segment_header h;
  uint64_t size = 0;
  uint8_t* base = NULL;
  int status = check_file(fd, name, allow_foreign_owner, &h, &size);
  if (status == ZEROIPC_OK) status = validate_header(&h, size, name);
  if (status == ZEROIPC_OK) status = map_fd(fd, size, name, &base);
  if (status != ZEROIPC_OK) {
    close(fd);
    return status;
  }
  zipc_mapping* m = mapping_new(name, base, size, fd);
  if (m == NULL) {
    munmap(base, size);
    close(fd);
    return no_memory();
  }
  set_geometry(m, &h);
  status = attach(m);
  if (status != ZEROIPC_OK) {
    zipc_mapping_unref(m);
    return status;
  }
  *out = m;
  return ZEROIPC_OK;
}

/* ------------------------------------------------------------------ creating (§1) */

static int lock_creation(int fd, short type) {
  struct flock fl;
  return zipc_lock_byte(fd, ZEROIPC_CREATOR_LOCK_BYTE, type, F_OFD_SETLK, &fl);
}

/* §1: a temporary older than a second whose creation lock nobody holds was
 * left by a creator that died before publishing. Never judged by the pid in
 * its name (another pid namespace reuses pids). */
static int is_orphaned_temporary(int fd, const struct timespec* now) {
  struct stat st;
  struct flock fl;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  const int64_t age_ns =
      ((int64_t)now->tv_sec - st.st_ctim.tv_sec) * 1000000000 + (now->tv_nsec - st.st_ctim.tv_nsec);
  return age_ns > ZIPC_TEMP_GRACE_NS &&
         zipc_lock_byte(fd, ZEROIPC_CREATOR_LOCK_BYTE, F_WRLCK, F_OFD_GETLK, &fl) == 0 && fl.l_type == F_UNLCK;
}

/* Removes the temporaries of creators that died before publishing. Best effort. */
static void sweep_dead_temporaries(void) {
  DIR* dir = opendir(ZIPC_SHM_DIR);
  if (dir == NULL) return;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  for (struct dirent* e = readdir(dir); e != NULL; e = readdir(dir)) {
    if (strncmp(e->d_name, ZIPC_TMP_PREFIX_IN_DIR, strlen(ZIPC_TMP_PREFIX_IN_DIR)) != 0) continue;
    const int fd = openat(dirfd(dir), e->d_name, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) continue;
    const int orphan = is_orphaned_temporary(fd, &now);
    close(fd);
    if (orphan) unlinkat(dirfd(dir), e->d_name, 0);
  }
  closedir(dir);
}

static void temp_name(char* buf, size_t buf_size) {
  static unsigned counter; /* atomic */
  uint32_t random = 0;
  if (getrandom(&random, sizeof random, 0) != (ssize_t)sizeof random) random = (uint32_t)zipc_now_ns();
  snprintf(buf, buf_size, "%s%d-%u-%u", ZEROIPC_TMP_SEGMENT_PREFIX, (int)getpid(),
           __atomic_fetch_add(&counter, 1u, __ATOMIC_RELAXED), (unsigned)random);
}

/* §2: the header of a new segment; everything else is zero from posix_fallocate. */
static void write_header(zipc_mapping* m, uint32_t table_capacity) {
  zeroipc_segment_header* h = header_of(m);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  memcpy(h->magic, ZEROIPC_SEGMENT_MAGIC, 4);
  h->format_version = ZEROIPC_FORMAT_VERSION;
  h->header_size = sizeof(zeroipc_segment_header);
  h->segment_size = m->size;
  h->table_offset = ZEROIPC_DEFAULT_TABLE_OFFSET;
  h->table_capacity = table_capacity;
  h->attach_capacity = ZEROIPC_DEFAULT_ATTACH_CAPACITY;
  h->data_offset = required_bytes(table_capacity);
  h->created_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
  h->creator_pid = (uint32_t)getpid();
  h->alloc_cursor = h->data_offset;
  set_geometry(m, h);
}

/* Sizes the temporary file (mode, pages) and maps it. */
static int prepare_file(int fd, const char* name, uint64_t size, mode_t mode, uint8_t** base) {
  char quoted[ZIPC_NAME_TEXT + 2];
  zipc_quoted(name, quoted, sizeof quoted);
  if (fchmod(fd, mode) != 0) { /* exactly the mode asked for, whatever the umask */
    return zipc_fail_errno(errno, "zeroipc: cannot set mode of segment %s", quoted);
  }
  /* Every page now: running out of /dev/shm is an error here, not a SIGBUS later. */
  const int err = posix_fallocate(fd, 0, (off_t)size);
  if (err != 0) {
    return zipc_fail_errno(err, "zeroipc: cannot reserve %llu bytes in /dev/shm for segment %s",
                           (unsigned long long)size, quoted);
  }
  return map_fd(fd, size, name, base);
}

/* Publishes the temporary `tmp` as `name` with link(): ZEROIPC_OK, ZIPC_ABSENT
 * when `name` exists already (the caller opens it), or an error. */
static int publish(const char* tmp, const char* name) {
  char from[sizeof ZIPC_SHM_DIR + 64];
  char to[sizeof ZIPC_SHM_DIR + ZEROIPC_MAX_SEGMENT_NAME_LENGTH];
  snprintf(from, sizeof from, "%s%s", ZIPC_SHM_DIR, tmp);
  snprintf(to, sizeof to, "%s%s", ZIPC_SHM_DIR, name);
  if (link(from, to) == 0) return ZEROIPC_OK;
  if (errno == EEXIST) return ZIPC_ABSENT; /* lost the race: open the winner's segment */
  char quoted[ZIPC_NAME_TEXT + 2];
  return zipc_fail_errno(errno, "zeroipc: cannot publish segment %s (link %s -> %s)",
                         zipc_quoted(name, quoted, sizeof quoted), from, to);
}

/* Builds a complete segment under a temporary name and links it to `name`:
 * ZEROIPC_OK, ZIPC_ABSENT if `name` appeared meanwhile, or an error. */
static int try_create(const char* name, uint64_t size, const zeroipc_memory_options* options, zipc_mapping** out) {
  char tmp[64];
  sweep_dead_temporaries();
  temp_name(tmp, sizeof tmp);
  const int fd = shm_open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, options->mode);
  if (fd < 0) {
    char quoted[ZIPC_NAME_TEXT + 2];
    return zipc_fail_errno(errno, "zeroipc: cannot create segment %s", zipc_quoted(name, quoted, sizeof quoted));
  }
  lock_creation(fd, F_WRLCK); /* marks it as being built: other creators' sweeps leave it alone */
  uint8_t* base = NULL;
  zipc_mapping* m = NULL;
  int status = prepare_file(fd, name, size, options->mode, &base);
  if (status == ZEROIPC_OK) {
    m = mapping_new(name, base, size, fd);
    if (m == NULL) {
      munmap(base, size);
      status = no_memory();
    }
  }
  if (status != ZEROIPC_OK) {
    close(fd);
    shm_unlink(tmp);
    return status;
  }
  write_header(m, options->table_capacity);
  status = publish(tmp, name);
  shm_unlink(tmp); /* the temporary name goes away on every path */
  if (status == ZEROIPC_OK) {
    lock_creation(fd, F_UNLCK);
    status = attach(m);
  }
  if (status != ZEROIPC_OK) {
    zipc_mapping_unref(m);
    return status;
  }
  *out = m;
  return ZEROIPC_OK;
}

/* ------------------------------------------------------------------ the public API */

zeroipc_memory_options zeroipc_memory_default_options(void) {
  zeroipc_memory_options o;
  o.table_capacity = 64;
  o.mode = 0600;
  o.allow_foreign_owner = 0;
  return o;
}

static int new_handle(zipc_mapping* m, int created, zeroipc_memory** out) {
  zeroipc_memory* mem = malloc(sizeof *mem);
  if (mem == NULL) {
    zipc_mapping_unref(m);
    return no_memory();
  }
  mem->mapping = m;
  mem->created = created;
  *out = mem;
  return ZEROIPC_OK;
}

static int check_create_arguments(const char* name, uint64_t size, const zeroipc_memory_options* o) {
  char quoted[ZIPC_NAME_TEXT + 2];
  if (o->table_capacity < ZEROIPC_MIN_TABLE_CAPACITY || o->table_capacity > ZEROIPC_MAX_TABLE_CAPACITY) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: table capacity %u is outside 1..%u",
                     (unsigned)o->table_capacity, ZEROIPC_MAX_TABLE_CAPACITY);
  }
  if (size > (uint64_t)INT64_MAX) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: segment %s: size %llu is too large",
                     zipc_quoted(name, quoted, sizeof quoted), (unsigned long long)size);
  }
  return ZEROIPC_OK;
}

static int too_small(const char* name, uint64_t size, uint32_t table_capacity) {
  char quoted[ZIPC_NAME_TEXT + 2];
  return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT,
                   "zeroipc: segment %s: size %llu is too small for a table of %u entries (needs at least %llu bytes)",
                   zipc_quoted(name, quoted, sizeof quoted), (unsigned long long)size, (unsigned)table_capacity,
                   (unsigned long long)required_bytes(table_capacity));
}

int zeroipc_memory_create(const char* name, uint64_t size, const zeroipc_memory_options* options,
                          zeroipc_memory** out) {
  const zeroipc_memory_options defaults = zeroipc_memory_default_options();
  const zeroipc_memory_options* o = options != NULL ? options : &defaults;
  char quoted[ZIPC_NAME_TEXT + 2];
  if (out == NULL) return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_memory_create: out is NULL");
  int status = zipc_check_segment_name(name);
  if (status == ZEROIPC_OK) status = check_create_arguments(name, size, o);
  if (status != ZEROIPC_OK) return status;
  /* Open if it exists; else create; if someone else created it meanwhile, open theirs. */
  zipc_mapping* m = NULL;
  int created = 0;
  for (int attempt = 0; attempt < 3 && m == NULL; ++attempt) {
    status = try_open(name, o->allow_foreign_owner, &m);
    if (status == ZIPC_ABSENT) {
      if (size < required_bytes(o->table_capacity)) return too_small(name, size, o->table_capacity);
      status = try_create(name, size, o, &m);
      created = status == ZEROIPC_OK;
    }
    if (status < 0) return status;
  }
  zipc_quoted(name, quoted, sizeof quoted);
  if (m == NULL) {
    return zipc_fail(ZEROIPC_E_NOT_FOUND,
                     "zeroipc: segment %s keeps appearing and disappearing while being created; another process "
                     "is unlinking it concurrently",
                     quoted);
  }
  if (!created && m->size < size) {
    const uint64_t found = m->size;
    zipc_mapping_unref(m);
    return zipc_fail(ZEROIPC_E_MISMATCH, "zeroipc: segment %s exists with %llu bytes, fewer than the %llu requested",
                     quoted, (unsigned long long)found, (unsigned long long)size);
  }
  return new_handle(m, created, out);
}

int zeroipc_memory_open(const char* name, int allow_foreign_owner, zeroipc_memory** out) {
  if (out == NULL) return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_memory_open: out is NULL");
  int status = zipc_check_segment_name(name);
  if (status != ZEROIPC_OK) return status;
  zipc_mapping* m = NULL;
  status = try_open(name, allow_foreign_owner, &m);
  if (status == ZIPC_ABSENT) {
    char quoted[ZIPC_NAME_TEXT + 2];
    return zipc_fail(ZEROIPC_E_NOT_FOUND,
                     "zeroipc: segment %s does not exist (expected a shared-memory object /dev/shm%s)",
                     zipc_quoted(name, quoted, sizeof quoted), name);
  }
  if (status != ZEROIPC_OK) return status;
  return new_handle(m, 0, out);
}

void zeroipc_memory_close(zeroipc_memory* mem) {
  if (mem == NULL) return;
  zipc_mapping_unref(mem->mapping);
  free(mem);
}

int zeroipc_memory_unlink(const char* name) {
  int status = zipc_check_segment_name(name);
  if (status != ZEROIPC_OK) return status;
  if (shm_unlink(name) == 0) return ZEROIPC_OK;
  char quoted[ZIPC_NAME_TEXT + 2];
  zipc_quoted(name, quoted, sizeof quoted);
  if (errno == ENOENT) {
    return zipc_fail(ZEROIPC_E_NOT_FOUND, "zeroipc: segment %s does not exist (expected a shared-memory object /dev/shm%s)",
                     quoted, name);
  }
  return zipc_fail_errno(errno, "zeroipc: cannot unlink segment %s", quoted);
}

int zeroipc_memory_exists(const char* name) {
  if (zipc_check_segment_name(name) != ZEROIPC_OK) return 0;
  char path[sizeof ZIPC_SHM_DIR + ZEROIPC_MAX_SEGMENT_NAME_LENGTH];
  struct stat st;
  snprintf(path, sizeof path, "%s%s", ZIPC_SHM_DIR, name);
  return stat(path, &st) == 0;
}

const char* zeroipc_memory_name(const zeroipc_memory* mem) { return mem->mapping->name; }
uint64_t zeroipc_memory_size(const zeroipc_memory* mem) { return mem->mapping->size; }
void* zeroipc_memory_base(const zeroipc_memory* mem) { return mem->mapping->base; }
int zeroipc_memory_created(const zeroipc_memory* mem) { return mem->created; }

uint64_t zeroipc_memory_free_bytes(const zeroipc_memory* mem) {
  const zipc_mapping* m = mem->mapping;
  const uint64_t cursor = __atomic_load_n(&header_of(m)->alloc_cursor, __ATOMIC_RELAXED);
  return cursor >= m->size ? 0 : m->size - cursor;
}
