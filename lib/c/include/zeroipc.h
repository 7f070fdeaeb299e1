/* zeroipc.h — the C99 implementation of the zeroipc format (SPECIFICATION.md).
 *
 * A second implementation, written from the specification and the layout
 * headers (zeroipc/layout/), not a wrapper of the C++ library: a C process and
 * a C++ process share one segment and its structures byte for byte.
 *
 *   zeroipc_memory* mem;
 *   if (zeroipc_memory_create("/sensor_data", 1 << 20, NULL, &mem) != ZEROIPC_OK) {
 *     fprintf(stderr, "%s\n", zeroipc_last_error());
 *     return 1;
 *   }
 *   zeroipc_queue* q;
 *   zeroipc_queue_create(mem, "readings", ZEROIPC_QUEUE_VYUKOV_BOUNDED, 1024,
 *                        sizeof(struct reading), ZEROIPC_DTYPE_OPAQUE, &q);
 *   zeroipc_queue_push(q, &r);           // ZEROIPC_OK, or ZEROIPC_FULL
 *   zeroipc_queue_close(q);
 *   zeroipc_memory_close(mem);
 *
 * Conventions:
 * - Every function that can fail returns an int status: ZEROIPC_OK (0); a
 *   positive "not now" answer that is not an error (ZEROIPC_FULL, ZEROIPC_EMPTY);
 *   or a negative error code (zeroipc_error). After an error,
 *   zeroipc_last_error() (per thread) holds the message the C++ library would
 *   have thrown for the same failure: what was expected and what was found.
 * - Handles are opaque and belong to the thread that uses them at a time;
 *   several handles (in any processes) may use one structure at once.
 * - A structure handle keeps its segment's mapping alive: closing the memory
 *   handle first is allowed; the mapping goes with the last handle.
 * - Timeouts are in nanoseconds; a negative timeout waits forever.
 * - Element types are bytes: the caller passes element_size (and optionally a
 *   dtype code, §6.3, checked against the segment when both sides know one).
 */
#ifndef ZEROIPC_H
#define ZEROIPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "zeroipc/layout/structure.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The library is compiled with hidden visibility (lib/c/CMakeLists.txt): what
 * this header declares is its exported API, everything else stays inside. */
#if defined(ZEROIPC_C_BUILDING) && defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

/* ------------------------------------------------------------------ statuses */

enum zeroipc_status {
  ZEROIPC_OK = 0,
  ZEROIPC_FULL = 1,  /* push/send without waiting: no room now (not an error) */
  ZEROIPC_EMPTY = 2, /* pop/receive without waiting: nothing now (not an error) */
  ZEROIPC_CLAIMED = 3, /* zeroipc_lazy_acquire: this handle holds the computing claim: compute the
                          value, then zeroipc_lazy_publish() it or zeroipc_lazy_fail() (not an error) */
  ZEROIPC_ABSENT = 4,  /* map/set find, contains, erase: the key is not there (not an error) */
  ZEROIPC_PRESENT = 5, /* map/set insert: the key was there already (insert_or_assign: its value replaced) */

  /* errors, as the C++ exceptions of zeroipc/error.h */
  ZEROIPC_E_NOT_FOUND = -1,        /* NotFound: no such segment or structure */
  ZEROIPC_E_CORRUPT = -2,          /* CorruptSegment: the bytes break the format */
  ZEROIPC_E_VERSION = -3,          /* VersionMismatch: a version this build does not read */
  ZEROIPC_E_INVALID_NAME = -4,     /* InvalidName */
  ZEROIPC_E_INVALID_ARGUMENT = -5, /* InvalidArgument (also a NULL argument) */
  ZEROIPC_E_MISMATCH = -6,         /* Mismatch: another kind/variant/size/dtype/capacity */
  ZEROIPC_E_SEGMENT_FULL = -7,     /* SegmentFull */
  ZEROIPC_E_TABLE_FULL = -8,       /* TableFull */
  ZEROIPC_E_ROLE_TAKEN = -9,       /* RoleTaken: spsc_ring producer/consumer held by another live process */
  ZEROIPC_E_FOREIGN = -10,         /* ForeignSegment: the file belongs to another user */
  ZEROIPC_E_LIMIT = -11,           /* LimitReached: every thread slot is held */
  ZEROIPC_E_TIMEOUT = -12,         /* Timeout: a bounded wait ran out */
  ZEROIPC_E_OUT_OF_RANGE = -13,    /* OutOfRange */
  ZEROIPC_E_FUTURE_ERROR = -14,    /* FutureError kErrorSet: the producer stored an error (the message) */
  ZEROIPC_E_PRODUCER_DIED = -15,   /* FutureError kProducerDied */
  ZEROIPC_E_ALREADY_SET = -16,     /* FutureError kAlreadySet */
  ZEROIPC_E_CLOSED = -17,          /* ChannelClosed (send), or closed and drained (receive) */
  ZEROIPC_E_SYSTEM = -18,          /* SystemError: a system call failed (errno in the message) */
  ZEROIPC_E_NOT_SUPPORTED = -19,   /* a variant the C implementation does not run */
  ZEROIPC_E_NO_MEMORY = -20,       /* malloc failed in this process */
  ZEROIPC_E_LAZY_FAILED = -21,     /* LazyError kComputationFailed: the computation stored an error (the message) */
  ZEROIPC_E_LAZY_OWNER_DIED = -22, /* LazyError kOwnerDied: the computing process died, nobody took over in time */
  ZEROIPC_E_LAZY_NO_COMPUTATION = -23, /* LazyError kNoComputation: nobody computed it in time */
  ZEROIPC_E_LAZY_BUSY = -24,       /* LazyError kBusy: invalidate while a live process computes it */
  ZEROIPC_E_LAZY_RECURSIVE = -25   /* LazyError kRecursive: the claim holder asked for its own value */
};

/** The message of the last error in this thread ("" if none yet). */
const char* zeroipc_last_error(void);
/** "ZEROIPC_OK", "ZEROIPC_E_NOT_FOUND", ... */
const char* zeroipc_status_name(int status);

/* ------------------------------------------------------------------ codes of the format */

/* §6.3 dtype codes: ZEROIPC_DTYPE_OPAQUE (0), ZEROIPC_DTYPE_I8 ... ZEROIPC_DTYPE_F64,
 * ZEROIPC_DTYPE_BOOL, from the layout header (one definition for C and C++). */
#ifndef ZEROIPC_DTYPE_OPAQUE
#define ZEROIPC_DTYPE_OPAQUE 0u
#endif

/** §6.2 queue variants. */
typedef enum zeroipc_queue_variant {
  ZEROIPC_QUEUE_VYUKOV_BOUNDED = 1,
  ZEROIPC_QUEUE_LCRQ = 2,       /* not supported in C: ZEROIPC_E_NOT_SUPPORTED */
  ZEROIPC_QUEUE_SCQ = 3,        /* not supported in C: ZEROIPC_E_NOT_SUPPORTED */
  ZEROIPC_QUEUE_SPSC_RING = 4,
  ZEROIPC_QUEUE_LOCKED_RING = 5
} zeroipc_queue_variant;

/** §6.2 stack variants. */
typedef enum zeroipc_stack_variant {
  ZEROIPC_STACK_TREIBER_TAGGED = 1,
  ZEROIPC_STACK_ELIMINATION_BACKOFF = 2 /* not supported in C */
} zeroipc_stack_variant;

/* ------------------------------------------------------------------ Memory (§1–§5) */

typedef struct zeroipc_memory zeroipc_memory;

typedef struct zeroipc_memory_options {
  uint32_t table_capacity;  /* name-table entries, 1..65536 (default 64) */
  mode_t mode;              /* permission bits, exactly (default 0600) */
  int allow_foreign_owner;  /* open a file another user owns (default 0) */
} zeroipc_memory_options;

/** The defaults: 64 entries, 0600, own files only. */
zeroipc_memory_options zeroipc_memory_default_options(void);

/** Creates the segment `name` of `size` bytes (temporary name + link(), §1),
 *  or opens and validates it if it exists (then it must be at least `size`
 *  bytes). `options` may be NULL. */
int zeroipc_memory_create(const char* name, uint64_t size, const zeroipc_memory_options* options,
                          zeroipc_memory** out);
/** Opens the existing segment `name` (ZEROIPC_E_NOT_FOUND if none). */
int zeroipc_memory_open(const char* name, int allow_foreign_owner, zeroipc_memory** out);
/** Drops this handle (the mapping stays while structure handles use it). NULL is allowed. */
void zeroipc_memory_close(zeroipc_memory* mem);
/** Removes the name: ZEROIPC_OK, or ZEROIPC_E_NOT_FOUND when there was none. */
int zeroipc_memory_unlink(const char* name);
/** 1 when a segment of that name exists, else 0. */
int zeroipc_memory_exists(const char* name);

const char* zeroipc_memory_name(const zeroipc_memory* mem);
uint64_t zeroipc_memory_size(const zeroipc_memory* mem);
/** The segment's address in this process. */
void* zeroipc_memory_base(const zeroipc_memory* mem);
/** 1 when this handle created the segment, 0 when it opened it. */
int zeroipc_memory_created(const zeroipc_memory* mem);
/** Heap bytes not yet allocated. */
uint64_t zeroipc_memory_free_bytes(const zeroipc_memory* mem);

/* ------------------------------------------------------------------ Table (§3) */

typedef struct zeroipc_entry_info {
  char name[32];         /* NUL-terminated */
  uint64_t offset;       /* of the structure, from the segment's start */
  uint64_t size;         /* bytes reserved for it */
  uint32_t creator_pid;
} zeroipc_entry_info;

/** The READY entry `name`: ZEROIPC_OK, or ZEROIPC_E_NOT_FOUND. */
int zeroipc_table_find(zeroipc_memory* mem, const char* name, zeroipc_entry_info* out);
/** Up to `max` READY entries in table order into `out`; *count = how many READY entries there are. */
int zeroipc_table_entries(zeroipc_memory* mem, zeroipc_entry_info* out, size_t max, size_t* count);
uint32_t zeroipc_table_capacity(const zeroipc_memory* mem);

/** What a structure's common header (§6) says it is, names included, for
 *  tools and bindings that list a segment (Python's zeroipc.Table). */
typedef struct zeroipc_structure_info {
  zeroipc_entry_info entry;  /* its table entry */
  uint16_t kind;             /* ZEROIPC_KIND_* */
  uint16_t variant;          /* ZEROIPC_VARIANT_*, 0 for kinds with one layout */
  uint32_t element_size;
  uint8_t dtype;             /* ZEROIPC_DTYPE_* */
  uint64_t capacity;
  uint64_t total_size;       /* bytes of the structure, header included */
  char kind_name[24];        /* "queue", ...; "unknown kind <n>" for a code this build does not know */
  char variant_name[40];     /* "vyukov_bounded", ...; "" when variant is 0 */
  char dtype_name[24];       /* "f64", "opaque", ...; "unknown dtype <n>" */
} zeroipc_structure_info;

/** The READY structure `name`'s header, validated (magic, layout version,
 *  bounds) as an open would: ZEROIPC_OK, ZEROIPC_E_NOT_FOUND, ZEROIPC_E_CORRUPT. */
int zeroipc_structure_info_of(zeroipc_memory* mem, const char* name, zeroipc_structure_info* out);

/* ------------------------------------------------------------------ Array (§7.1) */

typedef struct zeroipc_array zeroipc_array;

/** Creates `name` (zero-filled) or opens it (same element size, dtype and capacity). */
int zeroipc_array_create(zeroipc_memory* mem, const char* name, uint64_t capacity, uint32_t element_size,
                         uint8_t dtype, zeroipc_array** out);
/** Opens the existing array `name`, any capacity. */
int zeroipc_array_open(zeroipc_memory* mem, const char* name, uint32_t element_size, uint8_t dtype,
                       zeroipc_array** out);
void zeroipc_array_close(zeroipc_array* array);
/** The elements, contiguous: element i at data + i * element_size. */
void* zeroipc_array_data(const zeroipc_array* array);
uint64_t zeroipc_array_capacity(const zeroipc_array* array);
uint32_t zeroipc_array_element_size(const zeroipc_array* array);

/* ------------------------------------------------------------------ Queue (§7.2) */

typedef struct zeroipc_queue zeroipc_queue;

/** Creates `name` with the variant and capacity (1..2^40), or opens it (same
 *  variant, element size, dtype and capacity). */
int zeroipc_queue_create(zeroipc_memory* mem, const char* name, zeroipc_queue_variant variant, uint64_t capacity,
                         uint32_t element_size, uint8_t dtype, zeroipc_queue** out);
/** Opens the existing queue `name`; its variant is read from its header. */
int zeroipc_queue_open(zeroipc_memory* mem, const char* name, uint32_t element_size, uint8_t dtype,
                       zeroipc_queue** out);
/** Releases the handle (and an spsc_ring role it holds). */
void zeroipc_queue_close(zeroipc_queue* queue);
/** ZEROIPC_OK, ZEROIPC_FULL, or an error (e.g. ZEROIPC_E_ROLE_TAKEN). */
int zeroipc_queue_push(zeroipc_queue* queue, const void* element);
/** ZEROIPC_OK (the element copied to *element), ZEROIPC_EMPTY, or an error. */
int zeroipc_queue_pop(zeroipc_queue* queue, void* element);
uint64_t zeroipc_queue_capacity(const zeroipc_queue* queue);
zeroipc_queue_variant zeroipc_queue_variant_of(const zeroipc_queue* queue);
/** Elements in the queue at some moment during the call. */
uint64_t zeroipc_queue_size_approx(const zeroipc_queue* queue);

/* ------------------------------------------------------------------ Stack (§7.3) */

typedef struct zeroipc_stack zeroipc_stack;

int zeroipc_stack_create(zeroipc_memory* mem, const char* name, zeroipc_stack_variant variant, uint64_t capacity,
                         uint32_t element_size, uint8_t dtype, zeroipc_stack** out);
int zeroipc_stack_open(zeroipc_memory* mem, const char* name, uint32_t element_size, uint8_t dtype,
                       zeroipc_stack** out);
void zeroipc_stack_close(zeroipc_stack* stack);
/** ZEROIPC_OK, ZEROIPC_FULL, or an error (ZEROIPC_E_LIMIT: 128 threads hold slots). */
int zeroipc_stack_push(zeroipc_stack* stack, const void* element);
/** ZEROIPC_OK, ZEROIPC_EMPTY, or an error. */
int zeroipc_stack_pop(zeroipc_stack* stack, void* element);
uint64_t zeroipc_stack_capacity(const zeroipc_stack* stack);

/* ------------------------------------------------------------------ Future (§7.4) */

typedef struct zeroipc_future zeroipc_future;

/** Creates `name`, pending, with this process as its producer; or opens it
 *  if it exists (the producer unchanged). */
int zeroipc_future_create(zeroipc_memory* mem, const char* name, uint32_t element_size, uint8_t dtype,
                          zeroipc_future** out);
/** Only opens: ZEROIPC_E_NOT_FOUND if missing. */
int zeroipc_future_open(zeroipc_memory* mem, const char* name, uint32_t element_size, uint8_t dtype,
                        zeroipc_future** out);
void zeroipc_future_close(zeroipc_future* future);
/** Sets the value and wakes every waiter; ZEROIPC_E_ALREADY_SET if set before. */
int zeroipc_future_set_value(zeroipc_future* future, const void* value);
/** Sets an error (up to 255 bytes, longer is cut and ends in " [truncated]"). */
int zeroipc_future_set_error(zeroipc_future* future, const char* message);
/** Makes this process the producer whose death fails the readers. */
int zeroipc_future_claim_producer(zeroipc_future* future);
/** Waits up to timeout_ns (< 0: forever) for the value: ZEROIPC_OK (copied to
 *  *value), ZEROIPC_E_TIMEOUT, ZEROIPC_E_FUTURE_ERROR (zeroipc_last_error()
 *  has the stored message), ZEROIPC_E_PRODUCER_DIED. */
int zeroipc_future_get(zeroipc_future* future, void* value, int64_t timeout_ns);
/** 1 when a value or an error is set, else 0. */
int zeroipc_future_is_ready(const zeroipc_future* future);

/* ------------------------------------------------------------------ Channel (§7.6) */

typedef struct zeroipc_channel zeroipc_channel;

/** Creates `name` (capacity 0: rendezvous; N >= 1: buffered), or opens it
 *  (same element size, dtype and capacity). */
int zeroipc_channel_create(zeroipc_memory* mem, const char* name, uint64_t capacity, uint32_t element_size,
                           uint8_t dtype, zeroipc_channel** out);
int zeroipc_channel_open(zeroipc_memory* mem, const char* name, uint32_t element_size, uint8_t dtype,
                         zeroipc_channel** out);
void zeroipc_channel_close_handle(zeroipc_channel* channel);
/** Sends, waiting up to timeout_ns (< 0: forever; 0: do not wait):
 *  ZEROIPC_OK, ZEROIPC_FULL (not sent in time), ZEROIPC_E_CLOSED, or an error. */
int zeroipc_channel_send(zeroipc_channel* channel, const void* value, int64_t timeout_ns);
/** Receives, waiting up to timeout_ns (< 0: forever; 0: do not wait):
 *  ZEROIPC_OK, ZEROIPC_EMPTY (nothing in time), ZEROIPC_E_CLOSED (closed and
 *  drained), or an error. */
int zeroipc_channel_receive(zeroipc_channel* channel, void* value, int64_t timeout_ns);
/** Closes the channel: ZEROIPC_OK when this call closed it, ZEROIPC_E_CLOSED when it was already closed. */
int zeroipc_channel_close(zeroipc_channel* channel);
int zeroipc_channel_is_closed(const zeroipc_channel* channel);
uint64_t zeroipc_channel_capacity(const zeroipc_channel* channel);

/* ------------------------------------------------------------------ Lazy (§7.4) */

/* A value computed once, by whichever process first needs it, and cached in
 * the segment (the C++ zeroipc::Lazy<T>, same bytes, same protocol). C has no
 * closures, so a process that has the computation claims and publishes:
 *
 *   int s = zeroipc_lazy_acquire(lazy, &v, -1);
 *   if (s == ZEROIPC_CLAIMED) {             // this handle computes it, once across processes
 *     if (compute(&v) == 0) s = zeroipc_lazy_publish(lazy, &v);
 *     else s = zeroipc_lazy_fail(lazy, "why");   // stored for every reader
 *   }
 *
 * A reader without the computation calls zeroipc_lazy_get: it adds to the
 * Lazy's `demand` and wakes the providers (processes with the computation: a
 * C++ Lazy with set_computation(), or a C/Python loop of
 * zeroipc_lazy_wait_demand + acquire + publish), then waits. Messages are
 * the C++ LazyError texts. */

typedef struct zeroipc_lazy zeroipc_lazy;

/** Creates `name`, empty; or opens it if it exists. */
int zeroipc_lazy_create(zeroipc_memory* mem, const char* name, uint32_t element_size, uint8_t dtype,
                        zeroipc_lazy** out);
/** Only opens: ZEROIPC_E_NOT_FOUND if missing, ZEROIPC_E_MISMATCH if not such a Lazy. */
int zeroipc_lazy_open(zeroipc_memory* mem, const char* name, uint32_t element_size, uint8_t dtype,
                      zeroipc_lazy** out);
/** Releases the handle. If it still holds a computing claim, that claim is
 *  failed first (zeroipc_lazy_fail with "the computing handle was closed
 *  before it published a value"), so no reader waits for it. NULL is allowed. */
void zeroipc_lazy_close(zeroipc_lazy* lazy);
/** How long get/acquire wait while nobody live computes it (C++ set_timeout;
 *  default 30 s; < 0: forever). */
void zeroipc_lazy_set_timeout(zeroipc_lazy* lazy, int64_t timeout_ns);

/** The value, for a caller without the computation: ZEROIPC_OK (copied to
 *  *value); ZEROIPC_E_LAZY_FAILED (a stored error, in zeroipc_last_error());
 *  ZEROIPC_E_LAZY_NO_COMPUTATION or ZEROIPC_E_LAZY_OWNER_DIED when nobody
 *  computed it within the set timeout (it demands it from the providers
 *  first); ZEROIPC_E_TIMEOUT when a live process is still computing it after
 *  timeout_ns (< 0: wait as long as it computes). */
int zeroipc_lazy_get(zeroipc_lazy* lazy, void* value, int64_t timeout_ns);
/** The value, for a caller that has the computation: ZEROIPC_OK (the cached
 *  value copied to *value), or ZEROIPC_CLAIMED: this handle now holds the
 *  computing claim (an empty Lazy, or one whose computing process died) and
 *  must call zeroipc_lazy_publish or zeroipc_lazy_fail. Waits while a live
 *  process computes it (ZEROIPC_E_TIMEOUT after timeout_ns; < 0: forever);
 *  the errors of zeroipc_lazy_get otherwise. */
int zeroipc_lazy_acquire(zeroipc_lazy* lazy, void* value, int64_t timeout_ns);
/** Publishes the value computed under this handle's claim and wakes every
 *  reader: ZEROIPC_OK; ZEROIPC_E_INVALID_ARGUMENT without a claim. */
int zeroipc_lazy_publish(zeroipc_lazy* lazy, const void* value);
/** Stores `message` (at most 255 bytes, longer is cut and ends in
 *  " [truncated]") as the computation's error under this handle's claim and
 *  wakes every reader. Returns ZEROIPC_E_LAZY_FAILED with the text every
 *  get() reports ("...: the computation failed in process <pid>: <message>"),
 *  as the C++ get() that ran the computation throws it. */
int zeroipc_lazy_fail(zeroipc_lazy* lazy, const char* message);
/** For a provider: waits up to timeout_ns (< 0: forever) for a demand (a
 *  get() without a computation) not yet seen by this handle while the Lazy
 *  is empty or its computing process is dead: ZEROIPC_OK (then acquire and
 *  publish), or ZEROIPC_EMPTY (no such demand in time). A demand made before
 *  the handle's first call counts (as a C++ provider that starts late). */
int zeroipc_lazy_wait_demand(zeroipc_lazy* lazy, int64_t timeout_ns);
/** Resets a computed (or failed) value to empty, generation + 1: ZEROIPC_OK;
 *  ZEROIPC_EMPTY if it was empty already; ZEROIPC_E_LAZY_BUSY while a live
 *  process computes it (a dead one's claim is reset). */
int zeroipc_lazy_invalidate(zeroipc_lazy* lazy);
/** 1 when a value is cached, else 0. */
int zeroipc_lazy_is_ready(const zeroipc_lazy* lazy);
/** 1 when a failed computation is stored, else 0. */
int zeroipc_lazy_has_error(const zeroipc_lazy* lazy);
/** Number of invalidations that reset it, by any process. */
uint32_t zeroipc_lazy_generation(const zeroipc_lazy* lazy);
/** The pid of the process computing it now, 0 if none (or not recorded). */
pid_t zeroipc_lazy_computing_process(const zeroipc_lazy* lazy);

/* ------------------------------------------------------------------ Map and Set (§7.8) */

/* A bounded hash map (set) of fixed-size byte keys (and values), compared by
 * their bytes and hashed as §7.8 says: the same table as C++ zeroipc::Map /
 * zeroipc::Set (variant locked_probe, §7.8.1). Every operation holds one
 * owner lock; a holder that died is taken over and what it left repaired.
 * Keys with padding compare their padding too: zero it. The dtype is the
 * value's (map) or the key's (set), §6.3; the key's size is checked on open. */

typedef struct zeroipc_map zeroipc_map;
typedef struct zeroipc_set zeroipc_set;

/** Creates `name` holding up to `capacity` keys (1..3 * 2^30), or opens it
 *  (same key size, value size, dtype and capacity). */
int zeroipc_map_create(zeroipc_memory* mem, const char* name, uint64_t capacity, uint32_t key_size,
                       uint32_t value_size, uint8_t value_dtype, zeroipc_map** out);
/** Opens the existing map `name`, any capacity. */
int zeroipc_map_open(zeroipc_memory* mem, const char* name, uint32_t key_size, uint32_t value_size,
                     uint8_t value_dtype, zeroipc_map** out);
void zeroipc_map_close(zeroipc_map* map);
/** Adds key -> value: ZEROIPC_OK (inserted), ZEROIPC_PRESENT (the key was
 *  there, its value unchanged), ZEROIPC_FULL (capacity keys present; the C++
 *  StructureFull message is in zeroipc_last_error()), or an error. */
int zeroipc_map_insert(zeroipc_map* map, const void* key, const void* value);
/** As zeroipc_map_insert, but a present key's value is replaced (ZEROIPC_PRESENT). */
int zeroipc_map_insert_or_assign(zeroipc_map* map, const void* key, const void* value);
/** ZEROIPC_OK (the value copied to *value unless it is NULL), ZEROIPC_ABSENT, or an error. */
int zeroipc_map_find(zeroipc_map* map, const void* key, void* value);
/** ZEROIPC_OK (present), ZEROIPC_ABSENT, or an error. */
int zeroipc_map_contains(zeroipc_map* map, const void* key);
/** ZEROIPC_OK (removed), ZEROIPC_ABSENT, or an error. */
int zeroipc_map_erase(zeroipc_map* map, const void* key);
/** Keys present (exact when no operation is in flight). */
uint64_t zeroipc_map_size(const zeroipc_map* map);
uint64_t zeroipc_map_capacity(const zeroipc_map* map);
uint32_t zeroipc_map_key_size(const zeroipc_map* map);
uint32_t zeroipc_map_value_size(const zeroipc_map* map);

/** Called by zeroipc_map_for_each on each key: 0 goes on, non-zero stops. */
typedef int (*zeroipc_map_visitor)(const void* key, const void* value, void* ctx);
/** Calls fn(key, value, ctx) on every key present, in table order, with the
 *  map's lock held all along, as C++ Map::for_each: one consistent view (no
 *  key missed or seen twice, no value half-written). key and value point into
 *  the segment (key size and value size bytes), valid during the call only:
 *  copy what you keep, write nothing. Returns ZEROIPC_OK after the last key;
 *  fn's first non-zero return, which stopped the walk (return a positive
 *  value, so it is not mistaken for an error); or an error (a corrupt slot:
 *  the keys before it were visited). Every other user of the map waits while
 *  fn runs: keep it short. fn must not use this map (any handle) from this
 *  thread: such a call fails with ZEROIPC_E_INVALID_ARGUMENT instead of
 *  waiting for itself. A process killed inside fn wrote nothing; the next
 *  operation takes the lock over. */
int zeroipc_map_for_each(zeroipc_map* map, zeroipc_map_visitor fn, void* ctx);
/** Copies the keys and values present, under one hold of the lock (fn-free,
 *  for callers whose code must not run under it, e.g. Python): keys to
 *  keys[0..max_keys) (key size bytes each, packed, table order), their values
 *  likewise to `values` (NULL: keys only). ZEROIPC_OK with *count = the keys
 *  copied; ZEROIPC_FULL with *count = the keys present when more than
 *  max_keys (the buffers hold the first max_keys: call again with room for
 *  *count); or an error. keys may be NULL when max_keys is 0 (a count). */
int zeroipc_map_snapshot(zeroipc_map* map, void* keys, void* values, uint64_t max_keys, uint64_t* count);

/** A set: the map's table without values; statuses as the map's. */
int zeroipc_set_create(zeroipc_memory* mem, const char* name, uint64_t capacity, uint32_t key_size,
                       uint8_t key_dtype, zeroipc_set** out);
int zeroipc_set_open(zeroipc_memory* mem, const char* name, uint32_t key_size, uint8_t key_dtype,
                     zeroipc_set** out);
void zeroipc_set_close(zeroipc_set* set);
/** ZEROIPC_OK (inserted), ZEROIPC_PRESENT, ZEROIPC_FULL, or an error. */
int zeroipc_set_insert(zeroipc_set* set, const void* key);
/** ZEROIPC_OK (present), ZEROIPC_ABSENT, or an error. */
int zeroipc_set_contains(zeroipc_set* set, const void* key);
/** ZEROIPC_OK (removed), ZEROIPC_ABSENT, or an error. */
int zeroipc_set_erase(zeroipc_set* set, const void* key);
uint64_t zeroipc_set_size(const zeroipc_set* set);
uint64_t zeroipc_set_capacity(const zeroipc_set* set);
/** Called by zeroipc_set_for_each on each key: 0 goes on, non-zero stops. */
typedef int (*zeroipc_set_visitor)(const void* key, void* ctx);
/** As zeroipc_map_for_each: fn(key, ctx) on every key, under the set's lock. */
int zeroipc_set_for_each(zeroipc_set* set, zeroipc_set_visitor fn, void* ctx);
/** As zeroipc_map_snapshot, keys only. */
int zeroipc_set_snapshot(zeroipc_set* set, void* keys, uint64_t max_keys, uint64_t* count);

/* ------------------------------------------------------------------ Stream (§7.5) */

/* A multicast ring of fixed-size elements: one producer process emits, up to
 * 64 cursors (in any processes) each read every element emitted after they
 * subscribed, in order. The raw stream only: the operators (map, filter, ...)
 * are C++. Overflow policies and end reasons: ZEROIPC_STREAM_OVERFLOW_BLOCK /
 * _DROP_OLDEST and ZEROIPC_STREAM_OPEN / _CLOSED / _PRODUCER_GONE / ... of
 * zeroipc/layout/stream.h. (The layout struct is `zeroipc_stream`: the handle
 * is `zeroipc_stream_handle`.) */
#include "zeroipc/layout/stream.h"

typedef struct zeroipc_stream_handle zeroipc_stream_handle;
typedef struct zeroipc_cursor zeroipc_cursor;

/** Creates `name` with `capacity` cells (rounded up to a power of two, 1..2^30)
 *  and the overflow policy; this process becomes its producer. If it exists,
 *  opens it (same element size, dtype, rounded capacity and overflow); a
 *  stream whose producer is dead is then fed from this process (C++ revive). */
int zeroipc_stream_create(zeroipc_memory* mem, const char* name, uint64_t capacity, uint32_t overflow,
                          uint32_t element_size, uint8_t dtype, zeroipc_stream_handle** out);
/** Opens the existing stream `name`, any capacity and overflow. */
int zeroipc_stream_open(zeroipc_memory* mem, const char* name, uint32_t element_size, uint8_t dtype,
                        zeroipc_stream_handle** out);
/** Releases the handle (the stream stays open for others; cursors stay valid). */
void zeroipc_stream_close_handle(zeroipc_stream_handle* stream);
/** Appends, waiting up to timeout_ns (< 0: forever; 0: not at all) while a live
 *  subscriber is capacity behind (BLOCK; DROP_OLDEST never waits): ZEROIPC_OK,
 *  ZEROIPC_FULL (not emitted in time), ZEROIPC_E_CLOSED (the stream ended),
 *  ZEROIPC_E_ROLE_TAKEN (another live process is its producer, or a C++
 *  operator feeds it), or an error. The first emit of a process that is not
 *  the producer takes the role over when the producer is dead (C++ revive). */
int zeroipc_stream_emit(zeroipc_stream_handle* stream, const void* value, int64_t timeout_ns);
/** Ends the stream (CLOSED): ZEROIPC_OK when this call ended it, ZEROIPC_E_CLOSED if it had ended. */
int zeroipc_stream_close(zeroipc_stream_handle* stream);
/** Waits until at least n subscribers hold a slot: ZEROIPC_OK, ZEROIPC_EMPTY
 *  (not within timeout_ns), ZEROIPC_E_CLOSED (the stream ended first). */
int zeroipc_stream_wait_subscribers(zeroipc_stream_handle* stream, uint32_t n, int64_t timeout_ns);
uint64_t zeroipc_stream_capacity(const zeroipc_stream_handle* stream);
uint32_t zeroipc_stream_element_size(const zeroipc_stream_handle* stream);
/** ZEROIPC_STREAM_OVERFLOW_BLOCK or ZEROIPC_STREAM_OVERFLOW_DROP_OLDEST. */
uint32_t zeroipc_stream_overflow(const zeroipc_stream_handle* stream);
/** 1 when this handle created the stream. */
int zeroipc_stream_created(const zeroipc_stream_handle* stream);
/** Elements emitted so far (by any process). */
uint64_t zeroipc_stream_published(const zeroipc_stream_handle* stream);
int zeroipc_stream_ended(const zeroipc_stream_handle* stream);
/** ZEROIPC_STREAM_OPEN (0) .. ZEROIPC_STREAM_OPERATOR_FAILED (4), or a negative status. */
int zeroipc_stream_end_reason(const zeroipc_stream_handle* stream);
/** The process that emits. */
pid_t zeroipc_stream_producer(const zeroipc_stream_handle* stream);
/** Subscriber slots held now (a dead subscriber counts until released), or a negative status. */
int zeroipc_stream_subscribers(const zeroipc_stream_handle* stream);

/** Takes a subscriber slot: the cursor reads every element emitted from now
 *  on. ZEROIPC_E_LIMIT when 64 live subscribers hold every slot (a dead one's
 *  slot is taken over). The cursor keeps the mapping; it belongs to this
 *  process (a forked child must not close an inherited one: let it _exit). */
int zeroipc_stream_subscribe(zeroipc_stream_handle* stream, zeroipc_cursor** out);
/** The next element, waiting up to timeout_ns (< 0: forever; 0: not at all):
 *  ZEROIPC_OK (copied to *value), ZEROIPC_EMPTY (nothing in time),
 *  ZEROIPC_E_CLOSED (the stream ended and every element was read: see
 *  zeroipc_cursor_end_reason), or an error. A dead producer ends the stream
 *  (PRODUCER_GONE) for its readers within ~20 ms. */
int zeroipc_cursor_next(zeroipc_cursor* cursor, void* value, int64_t timeout_ns);
/** Elements this cursor lost to DROP_OLDEST. */
uint64_t zeroipc_cursor_missed(const zeroipc_cursor* cursor);
/** Position of the next element. */
uint64_t zeroipc_cursor_position(const zeroipc_cursor* cursor);
/** Why the stream ended, once zeroipc_cursor_next returned ZEROIPC_E_CLOSED (ZEROIPC_STREAM_OPEN before). */
uint32_t zeroipc_cursor_end_reason(const zeroipc_cursor* cursor);
/** Gives the slot back and releases the cursor. NULL is allowed. */
void zeroipc_cursor_close(zeroipc_cursor* cursor);

/* ------------------------------------------------------------------ Atomics */

/* 64-bit atomics on a shared word, for callers that have no atomic
 * instruction of their own (Python through ctypes, other FFI users): the same
 * operations C++ std::atomic_ref<std::uint64_t> does on that word, so processes
 * of any language can share a counter or a compare-and-swap protocol.
 *
 * `word` points into a segment (e.g. an Array<u64> element: element i at
 * (uint64_t*)zeroipc_array_data(a) + i), is non-NULL and 8-byte aligned; the
 * calls do not check it. All are sequentially consistent and lock-free. */

/** The word's value. */
uint64_t zeroipc_atomic_load_u64(const uint64_t* word);
/** Stores `value`. */
void zeroipc_atomic_store_u64(uint64_t* word, uint64_t value);
/** Adds `delta` (modulo 2^64); returns the value before. */
uint64_t zeroipc_atomic_fetch_add_u64(uint64_t* word, uint64_t delta);
/** If *word == *expected: stores `desired`, returns 1. Else writes the current
 *  value to *expected, returns 0. Strong: never fails spuriously. */
int zeroipc_atomic_compare_exchange_u64(uint64_t* word, uint64_t* expected, uint64_t desired);

#if defined(ZEROIPC_C_BUILDING) && defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ZEROIPC_H */
