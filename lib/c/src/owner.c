/* owner.c — owner keys and liveness (§4.1).
 *
 * The key: 31 random bits, not 0, one per process, drawn by the first
 * mapping (getrandom) and drawn anew in the child of every fork().
 *
 * The liveness lock: while a mapping lives, this process holds an OFD read
 * lock on byte 2^62 + key of the segment's file, through the mapping's own
 * descriptor (zipc_mapping.fd). An owner is alive exactly while some open
 * file description holds its byte; zipc_key_alive asks with F_OFD_GETLK.
 *
 * fork(): the child shares its parent's open file descriptions, so it would
 * keep the parent's locks alive. A pthread_atfork child handler draws the
 * child's key and, for every registered mapping, reopens the file through
 * /proc/self/fd/N (a new description, dup3'd onto the same descriptor
 * number, so the inherited one is let go) and locks the new key's byte
 * there. Without /proc it locks on the shared description: the parent then
 * looks alive while the child lives (never the reverse), as in C++.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t registry_once = PTHREAD_ONCE_INIT;
static zipc_mapping* registered; /* the mappings of this process, linked by next_registered */
static uint32_t process_key;     /* atomic; 0 until the first mapping */
static pid_t cached_pid;         /* atomic; 0 = not yet asked (reset in a fork child) */

static uint32_t draw_key(void) {
  for (;;) {
    uint32_t k = 0;
    if (getrandom(&k, sizeof k, 0) != (ssize_t)sizeof k) {
      /* No getrandom (old kernel, seccomp): a weaker mix, still per process. */
      static uint32_t salt = 0x9E3779B9u;
      struct timespec ts;
      clock_gettime(CLOCK_MONOTONIC, &ts);
      k = (uint32_t)ts.tv_nsec * 2654435761u ^ (uint32_t)getpid() * 40503u ^
          __atomic_fetch_add(&salt, 0x61C88647u, __ATOMIC_RELAXED);
    }
    k &= ZEROIPC_LOCK_KEY_MASK;
    if (k != 0) return k;
  }
}

/* fcntl(cmd) of a `type` lock on the one byte at `offset` of fd's file; fl gets the answer. */
int zipc_lock_byte(int fd, uint64_t offset, short type, int cmd, struct flock* fl) {
  int rc;
  memset(fl, 0, sizeof *fl);
  fl->l_type = type;
  fl->l_whence = SEEK_SET;
  fl->l_start = (off_t)offset;
  fl->l_len = 1;
  do {
    rc = fcntl(fd, cmd, fl);
  } while (rc < 0 && errno == EINTR);
  return rc;
}

static int lock_liveness(int fd, uint32_t key) {
  struct flock fl;
  return zipc_lock_byte(fd, ZEROIPC_LIVENESS_LOCK_BASE + key, F_RDLCK, F_OFD_SETLK, &fl);
}

/* In the child of fork(), with registry_lock held by the prepare handler.
 * Only async-signal-safe calls: the parent may have had other threads. */
static void after_fork_in_child(void) {
  const uint32_t key = draw_key();
  const pid_t pid = getpid();
  __atomic_store_n(&cached_pid, pid, __ATOMIC_RELAXED);
  __atomic_store_n(&process_key, key, __ATOMIC_RELAXED);
  for (zipc_mapping* m = registered; m != NULL; m = m->next_registered) {
    char path[40];
    snprintf(path, sizeof path, "/proc/self/fd/%d", m->fd);
    const int fresh = open(path, O_RDWR | O_CLOEXEC);
    if (fresh >= 0) {
      dup3(fresh, m->fd, O_CLOEXEC); /* the inherited description is let go here */
      close(fresh);
    }
    lock_liveness(m->fd, key);
    m->key = key;
    m->key_pid = pid;
  }
  pthread_mutex_unlock(&registry_lock);
}

static void before_fork(void) { pthread_mutex_lock(&registry_lock); }
static void after_fork_in_parent(void) { pthread_mutex_unlock(&registry_lock); }

static void install_fork_handlers(void) {
  pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child);
}

pid_t zipc_self_pid(void) {
  pid_t pid = __atomic_load_n(&cached_pid, __ATOMIC_RELAXED);
  if (pid == 0) {
    pid = getpid();
    __atomic_store_n(&cached_pid, pid, __ATOMIC_RELAXED);
  }
  return pid;
}

int zipc_mapping_register(zipc_mapping* m) {
  pthread_once(&registry_once, install_fork_handlers);
  pthread_mutex_lock(&registry_lock);
  uint32_t key = __atomic_load_n(&process_key, __ATOMIC_RELAXED);
  if (key == 0) {
    key = draw_key();
    __atomic_store_n(&process_key, key, __ATOMIC_RELAXED);
  }
  const int rc = lock_liveness(m->fd, key);
  const int err = errno;
  m->key = key;
  m->key_pid = zipc_self_pid();
  m->next_registered = registered;
  registered = m;
  pthread_mutex_unlock(&registry_lock);
  return rc == 0 ? 0 : err;
}

void zipc_mapping_unregister(zipc_mapping* m) {
  pthread_mutex_lock(&registry_lock);
  for (zipc_mapping** link = &registered; *link != NULL; link = &(*link)->next_registered) {
    if (*link == m) {
      *link = m->next_registered;
      break;
    }
  }
  pthread_mutex_unlock(&registry_lock);
}

uint32_t zipc_self_key(zipc_mapping* m) {
  /* Written at registration and by the fork handler (single-threaded child). */
  return __atomic_load_n(&m->key, __ATOMIC_RELAXED);
}

int zipc_key_alive(zipc_mapping* m, uint32_t key) {
  struct flock fl;
  key &= ZEROIPC_LOCK_KEY_MASK;
  if (key == 0) return 0; /* nobody: a corrupt or cleared record */
  if (key == zipc_self_key(m)) return 1;
  if (zipc_lock_byte(m->fd, ZEROIPC_LIVENESS_LOCK_BASE + key, F_WRLCK, F_OFD_GETLK, &fl) != 0) {
    return 1; /* cannot be asked: treated as alive, never taken over */
  }
  return fl.l_type != F_UNLCK;
}

/* Field 22 of /proc/self/stat (clock ticks since boot); 0 if it cannot be read.
 * The command name (field 2) may hold spaces and ')': parse after the last ')'. */
static uint64_t read_start_time(void) {
  char buf[1024];
  const int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n;
  do {
    n = read(fd, buf, sizeof buf - 1);
  } while (n < 0 && errno == EINTR);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  const char* p = strrchr(buf, ')');
  if (p == NULL || p[1] != ' ') return 0;
  p += 2; /* field 3 */
  for (int field = 3; field < 22; ++field) {
    p = strchr(p, ' ');
    if (p == NULL) return 0;
    ++p;
  }
  return strtoull(p, NULL, 10);
}

/* (S1) the release store of for_pid after `cached` pairs with (S2) the
 * acquire load: a thread that sees this pid sees its start time. */
uint64_t zipc_self_start_time(void) {
  static pid_t for_pid;     /* atomic */
  static uint64_t cached;   /* atomic */
  const pid_t me = zipc_self_pid();
  if (__atomic_load_n(&for_pid, __ATOMIC_ACQUIRE) != me) { /* (S2) */
    __atomic_store_n(&cached, read_start_time(), __ATOMIC_RELAXED);
    __atomic_store_n(&for_pid, me, __ATOMIC_RELEASE); /* (S1) */
  }
  return __atomic_load_n(&cached, __ATOMIC_RELAXED);
}
