/* internal.h — what the files of lib/c/src share; not installed.
 *
 * The pieces every structure needs: errors (error.c), futex waits and
 * clocks (wait.c), owner keys and liveness (owner.c, §4.1), the owner lock
 * (owner_lock.c, §3.2), the mapping and the segment (memory.c, §1–§5),
 * the name table (table.c, §3), and creating/opening a structure by name
 * with its common-header checks (structure.c, §6). Each structure is one
 * file: array.c, queue_*.c, stack_treiber_tagged.c, future.c, channel.c.
 *
 * Messages are the C++ library's, word for word (the lib/src/ .cpp files and the
 * headers of lib/include/zeroipc/): a user who reads one error in C and the
 * same failure in C++ reads the same text.
 */
#ifndef ZEROIPC_C_INTERNAL_H
#define ZEROIPC_C_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "zeroipc.h"
#include "zeroipc/layout/layout.h"

/* ------------------------------------------------------------------ error.c */

/** Sets this thread's last error to the formatted message; returns `status`. */
int zipc_fail(int status, const char* format, ...) __attribute__((format(printf, 2, 3)));
/** As zipc_fail, with ": <strerror(err)>" appended (SystemError's text). */
int zipc_fail_errno(int err, const char* format, ...) __attribute__((format(printf, 2, 3)));
/** Writes `s` as the C++ printable() does (non-printable bytes as \xNN) into buf. */
const char* zipc_printable(const char* s, size_t n, char* buf, size_t buf_size);

/* ------------------------------------------------------------------ wait.c */

/** CLOCK_MONOTONIC nanoseconds. */
int64_t zipc_now_ns(void);
/** The CPU's spin-wait hint (pause / yield), between reads of a word another process will change. */
void zipc_cpu_relax(void);
/** FUTEX_WAIT (shared, not private) on *word while it equals `expected`, at most timeout_ns (< 0: forever). */
void zipc_futex_wait(uint32_t* word, uint32_t expected, int64_t timeout_ns);
/** FUTEX_WAKE (shared) of up to `count` waiters (INT32_MAX: all). */
void zipc_futex_wake(uint32_t* word, int count);

/* ------------------------------------------------------------------ memory.c: the mapping */

/** One mapping of a segment, shared by the memory handle and every structure
 *  handle opened through it (reference counted; unmapped with the last). */
typedef struct zipc_mapping {
  int refs;            /* atomic */
  int fd;              /* the segment's file, kept open: the liveness lock lives on its description */
  uint8_t* base;
  uint64_t size;
  char name[256];
  uint32_t key;        /* this process's owner key in this segment (§4.1) */
  pid_t key_pid;       /* the pid that took the key (a forked child takes its own) */
  int attach_slot;     /* index of our attach slot, -1 if none */
  /* Added by memory.c/owner.c (agent A): */
  uint64_t attach_owner;  /* what this process wrote into its attach slot (pid | key << 32) */
  /* The validated geometry (§5 items 1-4), copied once: never re-read from the segment. */
  uint64_t table_offset;
  uint32_t table_capacity;
  uint32_t attach_capacity;
  uint64_t data_offset;
  struct zipc_mapping* next_registered; /* owner.c: this process's mappings, for fork() */
} zipc_mapping;

void zipc_mapping_ref(zipc_mapping* m);
void zipc_mapping_unref(zipc_mapping* m);
zipc_mapping* zipc_memory_mapping(zeroipc_memory* mem);
/** This process's owner key in the segment, locking its liveness byte first (and after fork, anew). */
uint32_t zipc_self_key(zipc_mapping* m);

/* ------------------------------------------------------------------ owner.c (§4.1) */

/** 1 when the owner with `key` holds its liveness lock (or when that cannot
 *  be asked: treated as alive), 0 when it is dead (key 0 is dead). */
int zipc_key_alive(zipc_mapping* m, uint32_t key);

/* ------------------------------------------------------------------ owner_lock.c (§3.2) */

/** Takes the owner lock `word` (holder pid written to *holder_pid after
 *  acquiring). Waits, checking the holder's liveness every 20 ms, taking over
 *  from a dead holder (*took_over = 1 then). ZEROIPC_E_TIMEOUT when a live
 *  holder keeps it past patience_ns (< 0: forever), with the message
 *  "<what> is held by live process <pid> for longer than <ms> ms", so `what`
 *  is e.g. "zeroipc: segment '/s': the table lock" (the C++ table's text). */
int zipc_owner_lock(zipc_mapping* m, uint32_t* word, uint64_t* holder_pid, const char* what, int64_t patience_ns,
                    int* took_over);
void zipc_owner_unlock(uint32_t* word, uint64_t* holder_pid);

/* ------------------------------------------------------------------ structure.c (§3, §6) */

/** What a structure's type expects of its common header (the C++ StructSpec). */
typedef struct zipc_struct_spec {
  uint16_t kind;
  uint16_t variant;
  uint16_t layout_version;  /* 1 */
  uint32_t element_size;
  uint8_t dtype;
  /** Bytes needed for capacity elements, header included; 0 when not allowed. */
  uint64_t (*total_size)(uint64_t capacity, uint32_t element_size);
  const char* element_size_name; /* "element size" */
  const char* type_name;         /* for messages, e.g. "Queue" */
  /** Map and Set (§7.8): the key's size, written into kind-specific bytes 32-35 and checked on
   *  open after element_size (the C++ StructSpec::key_size); 0 for the other kinds, which then
   *  leave keyed_total_size NULL. With a key size, keyed_total_size replaces total_size. */
  uint32_t key_size;
  uint64_t (*keyed_total_size)(uint64_t capacity, uint32_t element_size, uint32_t key_size);
} zipc_struct_spec;

typedef struct zipc_opened {
  uint8_t* base;                  /* the structure's common header */
  zeroipc_struct_header header;   /* the private copy that was checked (§5): use it, never re-read */
  int created;
} zipc_opened;

/** Writes the header fields kind-specific bytes excluded; `init_body` then
 *  initialises the zeroed body (body = base + 64) and may fill the header's
 *  kind-specific bytes through `header`. Returns a status. */
typedef int (*zipc_init_fn)(uint8_t* base, uint64_t capacity, void* context);

/** Creates `name` with `capacity` (init under §3.1 step 6), or opens it if it
 *  exists and checks it (then its capacity must equal `capacity`). */
int zipc_structure_create(zipc_mapping* m, const char* name, const zipc_struct_spec* spec, uint64_t capacity,
                          zipc_init_fn init, void* context, zipc_opened* out);
/** Opens the existing structure `name` and checks it; any capacity. */
int zipc_structure_open(zipc_mapping* m, const char* name, const zipc_struct_spec* spec, zipc_opened* out);
/** Reads only the common header of `name` (checked for magic and bounds), to learn its variant. */
int zipc_structure_peek(zipc_mapping* m, const char* name, zeroipc_struct_header* out);
/** As zipc_structure_peek, for an opener that expects `kind`: a missing name is NOT_FOUND
 *  naming the kind, as zipc_structure_open says it (the C++ open_structure's message). */
int zipc_structure_peek_kind(zipc_mapping* m, const char* name, uint16_t kind, zeroipc_struct_header* out);
/** "zeroipc: segment '<seg>', structure '<name>'" into buf (the prefix of every structure message). */
const char* zipc_who(const zipc_mapping* m, const char* name, char* buf, size_t buf_size);

/* ------------------------------------------------------------------ added by agent A (core) */

struct flock;

/** This process's pid, cached (reset in the child of fork()): no system call per use. */
pid_t zipc_self_pid(void);
/** Field 22 of /proc/self/stat (clock ticks since boot), cached per pid; 0 if unreadable (§4). */
uint64_t zipc_self_start_time(void);
/** fcntl(cmd) of a `type` lock on the one byte at `offset` of fd's file (EINTR retried); fl gets the answer. */
int zipc_lock_byte(int fd, uint64_t offset, short type, int cmd, struct flock* fl);
/** owner.c: takes this process's liveness lock (§4.1) on m->fd, sets m->key, and
 *  registers m for fork(). 0, or the errno of the failed lock (m is registered either way). */
int zipc_mapping_register(zipc_mapping* m);
void zipc_mapping_unregister(zipc_mapping* m);

/** §1: ZEROIPC_OK, or ZEROIPC_E_INVALID_NAME with the C++ message. */
int zipc_check_segment_name(const char* name);
/** §3: 1..31 bytes 0x20..0x7E: ZEROIPC_OK, or ZEROIPC_E_INVALID_NAME with the C++ message. */
int zipc_check_structure_name(const char* name);
/** "'<printable name>'" into buf (how messages quote a segment name). */
const char* zipc_quoted(const char* name, char* buf, size_t buf_size);

/** table.c (§3): the READY entry `name` (checked, §5 item 6) into *out: ZEROIPC_OK,
 *  ZEROIPC_E_NOT_FOUND (no message set), or ZEROIPC_E_CORRUPT. Without the lock. */
int zipc_table_lookup(zipc_mapping* m, const char* name, zeroipc_entry_info* out);
/** Initialises the zeroed region [region, region + size) of a new entry (§3.1 step 6); a status. */
typedef int (*zipc_region_init_fn)(uint8_t* region, uint64_t size, void* context);
/** §3.1: the READY entry `name` (*created = 0), or a new one of `size` bytes
 *  initialised by `init` outside the lock and published (*created = 1). */
int zipc_table_find_or_create(zipc_mapping* m, const char* name, uint64_t size, zipc_region_init_fn init,
                              void* context, zeroipc_entry_info* out, int* created);

/** §6.1-§6.3 names for messages: "queue", "lcrq", "f32", or "unknown kind N" (written into buf). */
const char* zipc_kind_name(uint16_t kind, char* buf, size_t buf_size);
const char* zipc_variant_name(uint16_t kind, uint16_t variant, char* buf, size_t buf_size);
const char* zipc_dtype_name(uint8_t dtype, char* buf, size_t buf_size);


/* ------------------------------------------------------------------ added for queue*.c, stack_treiber_tagged.c, op_slots.c */

/** Room for a where() text: a segment name and a structure name written as \xNN where needed, and the words around them (truncated past that). */
#define ZIPC_WHERE_SIZE 1200

/** "zeroipc: segment '<seg>', <kind> '<name>' (<variant>)" into buf: the C++
 *  StructureHandle::where(), the prefix of every message about a structure
 *  in use (the variant part left out when variant is 0). structure.c, beside zipc_who. */
const char* zipc_where(const zipc_mapping* m, const char* name, uint16_t kind, uint16_t variant, char* buf,
                       size_t buf_size);

/** Elements between positions head and tail, modulo 2^64; a negative distance reads as 0 (size_approx). */
static inline uint64_t zipc_ring_fill(uint64_t tail, uint64_t head) {
  const uint64_t d = tail - head;
  return (int64_t)d > 0 ? d : 0;
}

struct zipc_queue_ops;

/** A queue handle (queue.c); `v` is the variant's own state. */
struct zeroipc_queue {
  const struct zipc_queue_ops* ops;
  zipc_mapping* m;
  uint8_t* body;          /* the variant's bytes (ZEROIPC_BODY_OFFSET into the structure) */
  uint8_t* slots;         /* the ring: cells (vyukov_bounded) or slots */
  uint64_t stride;        /* bytes from one slot of the ring to the next */
  uint64_t mask;          /* R - 1 */
  uint64_t capacity;      /* c, from the checked header */
  uint32_t element_size;
  char name[32];
  char where[ZIPC_WHERE_SIZE];
  union {
    struct {
      int64_t limit;          /* c when c < R; 0 (no check) when c == R */
      uint64_t dequeue_seen;  /* atomic: an earlier value of dequeue_pos */
    } vyukov;
    struct {
      uint64_t cached_head;   /* the producer's copy of head */
      uint64_t cached_tail;   /* the consumer's copy of tail */
      uint32_t producer_key;  /* the owner key this handle claimed a role under; 0: none */
      uint32_t consumer_key;
    } spsc;
  } v;
};

/** One queue variant (queue_<variant>.c). */
typedef struct zipc_queue_ops {
  uint16_t variant;
  uint64_t (*total_size)(uint64_t capacity, uint32_t element_size);
  zipc_init_fn init;                   /* context: the uint32_t element size; NULL: the zeroed body is the initial state */
  void (*attach)(zeroipc_queue* q);    /* sets up the handle's own state; q's common fields are set */
  void (*detach)(zeroipc_queue* q);    /* gives back what the handle holds; NULL: nothing */
  int (*push)(zeroipc_queue* q, const void* element);
  int (*pop)(zeroipc_queue* q, void* element);
  uint64_t (*size_approx)(const zeroipc_queue* q);
} zipc_queue_ops;

extern const zipc_queue_ops zipc_queue_vyukov_bounded;
extern const zipc_queue_ops zipc_queue_spsc_ring;
extern const zipc_queue_ops zipc_queue_locked_ring;

/** §7.7 thread slots of one structure handle (op_slots.c). */
typedef struct zipc_op_slots {
  zipc_mapping* m;
  zeroipc_op_area* area;
  const char* where;      /* the handle's where(), for messages */
  uint64_t handle_id;     /* this handle in this thread's slot cache */
  int64_t next_scan_ns;   /* atomic: when a push that finds nothing free may scan the slots again */
} zipc_op_slots;

/** A variant's rebuild (§7.7), run with no operation in flight: gives its
 *  free side back from its data side; *given_back = how many were on
 *  neither. A status (ZEROIPC_E_CORRUPT with the where() message). */
typedef struct zipc_rebuild {
  int (*fn)(void* context, uint64_t* given_back);
  void* context;
} zipc_rebuild;

void zipc_op_slots_init(zipc_op_slots* ops, zipc_mapping* m, zeroipc_op_area* area, const char* where);
/** This thread's slot (claimed on first use): ZEROIPC_OK or ZEROIPC_E_LIMIT. */
int zipc_op_my_slot(zipc_op_slots* ops, uint32_t* slot);
/** Marks the slot inside an operation, after any recovery in progress. A status. */
int zipc_op_enter(zipc_op_slots* ops, uint32_t slot, const zipc_rebuild* rebuild);
/** The operation in the slot is over. */
void zipc_op_leave(zipc_op_slots* ops, uint32_t slot);
/** A push: attempt(context) runs inside an operation and returns 1 when it
 *  pushed, 0 when nothing was free; if nothing was free while a dead thread
 *  was in flight, recovers once and tries again. ZEROIPC_OK, ZEROIPC_FULL or an error. */
int zipc_op_push(zipc_op_slots* ops, uint32_t slot, int (*attempt)(void* context), void* context,
                 const zipc_rebuild* rebuild);

#endif /* ZEROIPC_C_INTERNAL_H */
