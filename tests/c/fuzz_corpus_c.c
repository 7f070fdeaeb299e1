/* fuzz_corpus_c.c — the committed fuzz corpus (tests/fuzz/corpus/) through
 * the C library, built with AddressSanitizer and UBSan (tests/c/CMakeLists.txt).
 *
 *   c_fuzz_corpus <corpus dir>
 *
 * A corpus input is a list of patch records for a segment image, as in
 * tests/fuzz/fuzz_image.h: records of 4 bytes [region][offset lo][offset hi]
 * [value]; region 0 is the header, attach slots and table (bytes up to the
 * first structure), region k the k-th structure (offset taken modulo its
 * size); trailing bytes are ignored. The C++ image holds one structure of
 * every kind; this program cannot use the C++ library, so its image is
 * built by the C library (in a child, so that every owner key in it is a
 * dead process's) and holds what the C library runs, each with some state:
 * arrays of several element types; a queue of each variant (vyukov_bounded,
 * spsc_ring with both roles claimed by the child, locked_ring; capacity 6,
 * 3 pushed and 1 popped); a treiber_tagged stack (capacity 4, 3 pushed and
 * 1 popped); a Future left pending by its producer (the child) and one set
 * to a value; a buffered Channel (capacity 4, 2 sent) and a rendezvous one;
 * a Lazy computed (42), one left claimed by the child and one failed; a
 * Stream of each overflow policy (block: capacity 8, 3 emitted, a cursor left
 * subscribed; drop_oldest: capacity 4, 6 emitted), the child their producer;
 * a Map<8 bytes, 8 bytes> (capacity 16, 10 inserted, 3 erased: tombstones)
 * and a Set of 4-byte keys (capacity 8, 5 inserted).
 * The patches land on other bytes than the C++ image's; the reading code is
 * exercised the same way.
 *
 * Each patched image is written as a /dev/shm segment file and opened with
 * zeroipc_memory_open; every entry is then peeked (zipc_structure_peek) and
 * opened through the public API as its header's kind says, with the element
 * size the header says: an array as its header says and as u64; a queue
 * (pop, push), a stack (pop, push), a Future (get with timeout 0, is_ready),
 * a Channel (receive and send with timeout 0), a Lazy (get and acquire with
 * timeout 0 and a timeout 0 for nobody computing, publish when claimed,
 * invalidate), a Stream (subscribe, one next with timeout 0, emit with
 * timeout 0), a Map and a Set with the key size the header says (find,
 * contains, insert, for_each reading every byte it is given, snapshot,
 * erase). Each entry is also opened with
 * a wrong element size and as every other kind (both must fail). Then a new
 * array is created (the locked path: recovery, step 3's checks). Required:
 * no crash, no hang and no sanitizer report, and every failure a negative
 * status with a non-empty message (a wrong-size or wrong-kind open that
 * succeeds is a failure too). Every wait is bounded (timeouts 0), so a hang
 * is a finding; only a lock word naming a live process may be waited for,
 * and that process is this one: its owner key is kept out of every patched
 * 4-byte window, as fuzz_image.h does. An input that takes more than
 * INPUT_LIMIT_S seconds is reported by name and fails the run (a hang).
 * Prints counts: calls and failures per kind (the header's kind of the
 * entry a call was about; "segment/peek" for the segment, the table and
 * peek). FUZZ_CORPUS_C_VERBOSE=1 prints every call's status.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

#define IMAGE_SIZE (128u * 1024u)
#define MAX_REGIONS 33
#define MAX_ENTRIES 64
/* Far more than any input needs (the longest bounded wait is 100 ms): more is a hang. */
#define INPUT_LIMIT_S 20

typedef struct region {
  uint64_t offset;
  uint64_t size;
} region;

/* Per kind (index: ZEROIPC_KIND_*; 0: the segment, the table, peek, and kinds past 11): calls and failures. */
#define KINDS 12

typedef struct counts {
  unsigned inputs, opened, open_failed, calls, failed, bad_failures;
  unsigned kind_calls[KINDS], kind_failed[KINDS];
} counts;

static char current_input[512]; /* for the watchdog's message */
static int verbose; /* FUZZ_CORPUS_C_VERBOSE set: every call's status on stderr */
static char segment[64];
static char path[96];

static unsigned char* read_all(const char* file, size_t* size) {
  FILE* f = fopen(file, "rb");
  if (f == NULL) return NULL;
  size_t cap = 4096, n = 0;
  unsigned char* buf = malloc(cap);
  for (size_t got; buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
    n += got;
    if (n == cap) buf = realloc(buf, cap *= 2);
  }
  fclose(f);
  *size = n;
  return buf;
}

static int write_segment(const unsigned char* bytes, size_t size) {
  unlink(path);
  const int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  for (size_t done = 0; done < size;) {
    const ssize_t n = write(fd, bytes + done, size - done);
    if (n <= 0) {
      close(fd);
      return -1;
    }
    done += (size_t)n;
  }
  close(fd);
  return 0;
}

/* The image, built by a child so that every key in it is dead. Exit codes
 * name the step that failed. Region k (k >= 1) is the k-th structure made here. */
static int build_image(void) {
  const pid_t child = fork();
  if (child == 0) {
    static const zeroipc_queue_variant variants[] = {ZEROIPC_QUEUE_VYUKOV_BOUNDED, ZEROIPC_QUEUE_SPSC_RING,
                                                     ZEROIPC_QUEUE_LOCKED_RING};
    static const char* const queue_names[] = {"q_vyukov_bounded", "q_spsc_ring", "q_locked_ring"};
    zeroipc_memory_options o = zeroipc_memory_default_options();
    zeroipc_memory* mem = NULL;
    zeroipc_array* a = NULL;
    uint64_t v = 0;
    o.table_capacity = 32;
    if (zeroipc_memory_create(segment, IMAGE_SIZE, &o, &mem) != ZEROIPC_OK) _exit(1);
    if (zeroipc_array_create(mem, "arr", 16, 8, ZEROIPC_DTYPE_U64, &a) != ZEROIPC_OK) _exit(2);
    ((uint64_t*)zeroipc_array_data(a))[3] = 3;
    if (zeroipc_array_create(mem, "temps", 100, 4, ZEROIPC_DTYPE_F32, &a) != ZEROIPC_OK) _exit(3);
    if (zeroipc_array_create(mem, "bytes", 33, 1, ZEROIPC_DTYPE_U8, &a) != ZEROIPC_OK) _exit(4);
    if (zeroipc_array_create(mem, "recs", 8, 24, ZEROIPC_DTYPE_OPAQUE, &a) != ZEROIPC_OK) _exit(5);
    if (zeroipc_array_create(mem, "i16s", 9, 2, ZEROIPC_DTYPE_I16, &a) != ZEROIPC_OK) _exit(6);
    for (int i = 0; i < 3; ++i) { /* spsc_ring: this child pushes and pops, so it holds both roles */
      zeroipc_queue* q = NULL;
      if (zeroipc_queue_create(mem, queue_names[i], variants[i], 6, 8, ZEROIPC_DTYPE_U64, &q) != ZEROIPC_OK) _exit(7);
      for (v = 1; v <= 3; ++v) {
        if (zeroipc_queue_push(q, &v) != ZEROIPC_OK) _exit(8);
      }
      if (zeroipc_queue_pop(q, &v) != ZEROIPC_OK) _exit(9);
    }
    zeroipc_stack* s = NULL;
    if (zeroipc_stack_create(mem, "stack", ZEROIPC_STACK_TREIBER_TAGGED, 4, 8, ZEROIPC_DTYPE_U64, &s) != ZEROIPC_OK) {
      _exit(10);
    }
    for (v = 1; v <= 3; ++v) {
      if (zeroipc_stack_push(s, &v) != ZEROIPC_OK) _exit(11);
    }
    if (zeroipc_stack_pop(s, &v) != ZEROIPC_OK) _exit(12);
    zeroipc_future* f = NULL;
    if (zeroipc_future_create(mem, "fut_pending", 8, ZEROIPC_DTYPE_U64, &f) != ZEROIPC_OK) _exit(13);
    if (zeroipc_future_create(mem, "fut_set", 8, ZEROIPC_DTYPE_U64, &f) != ZEROIPC_OK) _exit(14);
    v = 7;
    if (zeroipc_future_set_value(f, &v) != ZEROIPC_OK) _exit(15);
    zeroipc_channel* c = NULL;
    if (zeroipc_channel_create(mem, "ch", 4, 8, ZEROIPC_DTYPE_U64, &c) != ZEROIPC_OK) _exit(16);
    for (v = 1; v <= 2; ++v) {
      if (zeroipc_channel_send(c, &v, 0) != ZEROIPC_OK) _exit(17);
    }
    if (zeroipc_channel_create(mem, "rv", 0, 8, ZEROIPC_DTYPE_U64, &c) != ZEROIPC_OK) _exit(18);
    static const char* const lazy_names[] = {"lazy_ready", "lazy_claimed", "lazy_failed"};
    for (int i = 0; i < 3; ++i) { /* computed; claimed by this child (which dies); failed */
      zeroipc_lazy* z = NULL;
      if (zeroipc_lazy_create(mem, lazy_names[i], 8, ZEROIPC_DTYPE_U64, &z) != ZEROIPC_OK) _exit(19);
      if (zeroipc_lazy_acquire(z, &v, 0) != ZEROIPC_CLAIMED) _exit(20);
      v = 42;
      if (i == 0 && zeroipc_lazy_publish(z, &v) != ZEROIPC_OK) _exit(21);
      if (i == 2 && zeroipc_lazy_fail(z, "fuzz image") != ZEROIPC_E_LAZY_FAILED) _exit(22);
    }
    static const uint32_t overflows[] = {ZEROIPC_STREAM_OVERFLOW_BLOCK, ZEROIPC_STREAM_OVERFLOW_DROP_OLDEST};
    static const char* const stream_names[] = {"stream_block", "stream_drop"};
    for (int i = 0; i < 2; ++i) {
      zeroipc_stream_handle* st = NULL;
      zeroipc_cursor* cur = NULL;
      if (zeroipc_stream_create(mem, stream_names[i], i == 0 ? 8 : 4, overflows[i], 8, ZEROIPC_DTYPE_U64, &st) !=
          ZEROIPC_OK) {
        _exit(23);
      }
      if (i == 0 && zeroipc_stream_subscribe(st, &cur) != ZEROIPC_OK) _exit(24); /* left subscribed */
      for (v = 1; v <= (i == 0 ? 3u : 6u); ++v) {
        if (zeroipc_stream_emit(st, &v, 0) != ZEROIPC_OK) _exit(25);
      }
    }
    zeroipc_map* map = NULL;
    if (zeroipc_map_create(mem, "map", 16, 8, 8, ZEROIPC_DTYPE_U64, &map) != ZEROIPC_OK) _exit(26);
    for (v = 0; v < 10; ++v) {
      const uint64_t value = v * 3 + 1;
      if (zeroipc_map_insert(map, &v, &value) != ZEROIPC_OK) _exit(27);
    }
    for (v = 0; v < 9; v += 3) {
      if (zeroipc_map_erase(map, &v) != ZEROIPC_OK) _exit(28);
    }
    zeroipc_set* set = NULL;
    if (zeroipc_set_create(mem, "set", 8, 4, ZEROIPC_DTYPE_U32, &set) != ZEROIPC_OK) _exit(29);
    for (uint32_t k = 0; k < 5; ++k) {
      if (zeroipc_set_insert(set, &k) != ZEROIPC_OK) _exit(30);
    }
    _exit(0); /* handles left open: the slots, roles and keys of a dead process */
  }
  int status = 0;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "fuzz_corpus_c: the child building the image failed (exit status %d)\n",
            WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return -1;
  }
  return 0;
}

/* As fuzz_image.h's image_regions: [0] = header, attach slots and table; then each structure. */
static size_t image_regions(region* regions, uint32_t* key) {
  zeroipc_memory* mem = NULL;
  zeroipc_entry_info entries[MAX_REGIONS - 1];
  size_t count = 0;
  if (zeroipc_memory_open(segment, 0, &mem) != ZEROIPC_OK ||
      zeroipc_table_entries(mem, entries, MAX_REGIONS - 1, &count) != ZEROIPC_OK || count == 0) {
    return 0;
  }
  *key = zipc_self_key(zipc_memory_mapping(mem));
  regions[0].offset = 0;
  regions[0].size = entries[0].offset;
  for (size_t i = 0; i < count; ++i) {
    regions[i + 1].offset = entries[i].offset;
    regions[i + 1].size = entries[i].size;
  }
  zeroipc_memory_close(mem);
  return count + 1;
}

/* As fuzz_image.h's patched(): apply the records, then keep `key` out of every patched window. */
static void patch(unsigned char* img, size_t img_size, const region* regions, size_t n_regions,
                  const unsigned char* data, size_t size, uint32_t key) {
  for (size_t i = 0; i + 4 <= size; i += 4) {
    const region* r = &regions[data[i] % n_regions];
    const uint64_t off = r->offset + ((data[i + 1] | (uint64_t)data[i + 2] << 8) % r->size);
    img[off] = data[i + 3];
  }
  for (size_t i = 0; i + 4 <= size; i += 4) {
    const region* r = &regions[data[i] % n_regions];
    const uint64_t off = r->offset + ((data[i + 1] | (uint64_t)data[i + 2] << 8) % r->size);
    for (uint64_t w = off >= 3 ? off - 3 : 0; w <= off && w + 4 <= img_size; ++w) {
      uint32_t v;
      memcpy(&v, img + w, 4);
      if (v == key) img[w] ^= 1;
    }
  }
}

static void on_alarm(int sig) {
  static const char text[] = " did not finish in time: a hang\n";
  (void)sig;
  (void)!write(2, "fuzz_corpus_c: ", 15);
  (void)!write(2, current_input, strlen(current_input));
  (void)!write(2, text, sizeof text - 1);
  unlink(path);
  _exit(1);
}

/* A call's status: fine when it succeeded or answered (FULL, EMPTY, CLAIMED,
 * ABSENT, PRESENT); a failure must be negative with a message. */
static void account(counts* c, unsigned kind, int status, const char* input, const char* call) {
  if (verbose) {
    fprintf(stderr, "%s: %s: %s %s\n", input, call, zeroipc_status_name(status),
            status < 0 ? zeroipc_last_error() : "");
  }
  ++c->calls;
  ++c->kind_calls[kind];
  if (status == ZEROIPC_OK || status == ZEROIPC_FULL || status == ZEROIPC_EMPTY || status == ZEROIPC_CLAIMED ||
      status == ZEROIPC_ABSENT || status == ZEROIPC_PRESENT) {
    return;
  }
  ++c->failed;
  ++c->kind_failed[kind];
  if (status >= 0 || zeroipc_last_error()[0] == '\0') {
    ++c->bad_failures;
    fprintf(stderr, "%s: %s returned %d with message \"%s\"\n", input, call, status, zeroipc_last_error());
  }
}

/* An open that must fail (wrong element size, wrong kind): a success is a bad failure. */
static void must_fail(counts* c, unsigned kind, int status, const char* input, const char* call) {
  if (status == ZEROIPC_OK) {
    ++c->calls;
    ++c->kind_calls[kind];
    ++c->bad_failures;
    fprintf(stderr, "%s: %s succeeded\n", input, call);
    return;
  }
  account(c, kind, status, input, call);
}

/* Space for one element of `size` bytes (opened: the header's, bounded by the entry). */
static void* element(uint32_t size) { return calloc(1, size); }

static void drive_array(counts* c, zeroipc_memory* mem, const char* name, const zeroipc_struct_header* h,
                        const char* input) {
  const unsigned k = ZEROIPC_KIND_ARRAY;
  zeroipc_array* a = NULL;
  if (h->element_size != 0) {
    const int opened =
        zeroipc_array_open(mem, name, h->element_size, h->dtype <= ZEROIPC_DTYPE_BOOL ? h->dtype : 0, &a);
    account(c, k, opened, input, "zeroipc_array_open (as its header says)");
    if (opened == ZEROIPC_OK) {
      /* Touch the first and last bytes the handle covers. */
      volatile uint8_t* data = zeroipc_array_data(a);
      data[0] = data[0];
      data[zeroipc_array_capacity(a) * zeroipc_array_element_size(a) - 1] ^= 0;
      zeroipc_array_close(a);
    }
  }
  const int as_u64 = zeroipc_array_open(mem, name, 8, ZEROIPC_DTYPE_U64, &a);
  account(c, k, as_u64, input, "zeroipc_array_open (u64)");
  if (as_u64 == ZEROIPC_OK) zeroipc_array_close(a);
}

static void drive_queue(counts* c, zeroipc_memory* mem, const char* name, const zeroipc_struct_header* h,
                        const char* input) {
  const unsigned k = ZEROIPC_KIND_QUEUE;
  zeroipc_queue* q = NULL;
  const int opened = zeroipc_queue_open(mem, name, h->element_size, 0, &q);
  account(c, k, opened, input, "zeroipc_queue_open");
  if (opened != ZEROIPC_OK) return;
  void* e = element(h->element_size);
  if (e != NULL) {
    account(c, k, zeroipc_queue_pop(q, e), input, "zeroipc_queue_pop");
    account(c, k, zeroipc_queue_push(q, e), input, "zeroipc_queue_push");
    (void)zeroipc_queue_size_approx(q);
  }
  free(e);
  zeroipc_queue_close(q);
}

static void drive_stack(counts* c, zeroipc_memory* mem, const char* name, const zeroipc_struct_header* h,
                        const char* input) {
  const unsigned k = ZEROIPC_KIND_STACK;
  zeroipc_stack* s = NULL;
  const int opened = zeroipc_stack_open(mem, name, h->element_size, 0, &s);
  account(c, k, opened, input, "zeroipc_stack_open");
  if (opened != ZEROIPC_OK) return;
  void* e = element(h->element_size);
  if (e != NULL) {
    account(c, k, zeroipc_stack_pop(s, e), input, "zeroipc_stack_pop");
    account(c, k, zeroipc_stack_push(s, e), input, "zeroipc_stack_push");
  }
  free(e);
  zeroipc_stack_close(s);
}

static void drive_future(counts* c, zeroipc_memory* mem, const char* name, const zeroipc_struct_header* h,
                         const char* input) {
  const unsigned k = ZEROIPC_KIND_FUTURE;
  zeroipc_future* f = NULL;
  const int opened = zeroipc_future_open(mem, name, h->element_size, 0, &f);
  account(c, k, opened, input, "zeroipc_future_open");
  if (opened != ZEROIPC_OK) return;
  void* e = element(h->element_size);
  if (e != NULL) {
    account(c, k, zeroipc_future_get(f, e, 0), input, "zeroipc_future_get (timeout 0)");
    ++c->calls;
    ++c->kind_calls[k];
    (void)zeroipc_future_is_ready(f);
  }
  free(e);
  zeroipc_future_close(f);
}

static void drive_channel(counts* c, zeroipc_memory* mem, const char* name, const zeroipc_struct_header* h,
                          const char* input) {
  const unsigned k = ZEROIPC_KIND_CHANNEL;
  zeroipc_channel* ch = NULL;
  const int opened = zeroipc_channel_open(mem, name, h->element_size, 0, &ch);
  account(c, k, opened, input, "zeroipc_channel_open");
  if (opened != ZEROIPC_OK) return;
  void* e = element(h->element_size);
  if (e != NULL) {
    account(c, k, zeroipc_channel_receive(ch, e, 0), input, "zeroipc_channel_receive (timeout 0)");
    account(c, k, zeroipc_channel_send(ch, e, 0), input, "zeroipc_channel_send (timeout 0)");
  }
  free(e);
  zeroipc_channel_close_handle(ch);
}

static void drive_lazy(counts* c, zeroipc_memory* mem, const char* name, const zeroipc_struct_header* h,
                       const char* input) {
  const unsigned k = ZEROIPC_KIND_LAZY;
  zeroipc_lazy* z = NULL;
  const int opened = zeroipc_lazy_open(mem, name, h->element_size, 0, &z);
  account(c, k, opened, input, "zeroipc_lazy_open");
  if (opened != ZEROIPC_OK) return;
  zeroipc_lazy_set_timeout(z, 0); /* nobody computing: no wait */
  void* e = element(h->element_size);
  if (e != NULL) {
    account(c, k, zeroipc_lazy_get(z, e, 0), input, "zeroipc_lazy_get (timeout 0)");
    const int acquired = zeroipc_lazy_acquire(z, e, 0);
    account(c, k, acquired, input, "zeroipc_lazy_acquire (timeout 0)");
    if (acquired == ZEROIPC_CLAIMED) account(c, k, zeroipc_lazy_publish(z, e), input, "zeroipc_lazy_publish");
    c->calls += 4;
    c->kind_calls[k] += 4;
    (void)zeroipc_lazy_is_ready(z);
    (void)zeroipc_lazy_has_error(z);
    (void)zeroipc_lazy_generation(z);
    (void)zeroipc_lazy_computing_process(z);
    account(c, k, zeroipc_lazy_invalidate(z), input, "zeroipc_lazy_invalidate");
  }
  free(e);
  zeroipc_lazy_close(z);
}

static void drive_stream(counts* c, zeroipc_memory* mem, const char* name, const zeroipc_struct_header* h,
                         const char* input) {
  const unsigned k = ZEROIPC_KIND_STREAM;
  zeroipc_stream_handle* st = NULL;
  zeroipc_cursor* cur = NULL;
  const int opened = zeroipc_stream_open(mem, name, h->element_size, 0, &st);
  account(c, k, opened, input, "zeroipc_stream_open");
  if (opened != ZEROIPC_OK) return;
  c->calls += 5;
  c->kind_calls[k] += 5;
  (void)zeroipc_stream_published(st);
  (void)zeroipc_stream_ended(st);
  (void)zeroipc_stream_end_reason(st);
  (void)zeroipc_stream_subscribers(st);
  (void)zeroipc_stream_producer(st);
  void* e = element(h->element_size);
  if (e != NULL) {
    const int subscribed = zeroipc_stream_subscribe(st, &cur);
    account(c, k, subscribed, input, "zeroipc_stream_subscribe");
    if (subscribed == ZEROIPC_OK) {
      account(c, k, zeroipc_cursor_next(cur, e, 0), input, "zeroipc_cursor_next (timeout 0)");
      (void)zeroipc_cursor_missed(cur);
      (void)zeroipc_cursor_end_reason(cur);
    }
    account(c, k, zeroipc_stream_emit(st, e, 0), input, "zeroipc_stream_emit (timeout 0)");
    if (subscribed == ZEROIPC_OK) {
      account(c, k, zeroipc_cursor_next(cur, e, 0), input, "zeroipc_cursor_next after emit (timeout 0)");
    }
    zeroipc_cursor_close(cur);
  }
  free(e);
  zeroipc_stream_close_handle(st);
}

/* What a for_each callback read: every byte it was given. */
typedef struct visited {
  uint32_t key_size, value_size;
  uint64_t keys, byte_sum;
} visited;

static int visit_pair(const void* key, const void* value, void* ctx) {
  visited* v = ctx;
  for (uint32_t i = 0; i < v->key_size; ++i) v->byte_sum += ((const uint8_t*)key)[i];
  for (uint32_t i = 0; i < v->value_size; ++i) v->byte_sum += ((const uint8_t*)value)[i];
  ++v->keys;
  return 0;
}

static int visit_key(const void* key, void* ctx) { return visit_pair(key, NULL, ctx); }

/* The key size a Map's or a Set's header says (§7.8: kind-specific bytes 32-35). */
static uint32_t key_size_of(const zeroipc_struct_header* h) {
  zeroipc_keyed_config config;
  memcpy(&config, h->kind_specific, sizeof config);
  return config.key_size;
}

/* snapshot: the count first, then room for it (bounded by the table the open checked). */
static void snapshot_map(counts* c, unsigned k, zeroipc_map* m, zeroipc_set* s, uint32_t key_size,
                         uint32_t value_size, const char* input) {
  uint64_t n = 0, again = 0;
  int status = m != NULL ? zeroipc_map_snapshot(m, NULL, NULL, 0, &n) : zeroipc_set_snapshot(s, NULL, 0, &n);
  account(c, k, status, input, "zeroipc_map/set_snapshot (a count)");
  if (status != ZEROIPC_OK && status != ZEROIPC_FULL) return;
  uint8_t* keys = malloc(n * key_size + 1);
  uint8_t* values = malloc(n * value_size + 1);
  if (keys != NULL && values != NULL) {
    status = m != NULL ? zeroipc_map_snapshot(m, keys, values, n, &again) : zeroipc_set_snapshot(s, keys, n, &again);
    account(c, k, status, input, "zeroipc_map/set_snapshot");
  }
  free(keys);
  free(values);
}

static void drive_map(counts* c, zeroipc_memory* mem, const char* name, const zeroipc_struct_header* h,
                      const char* input) {
  const unsigned k = ZEROIPC_KIND_MAP;
  zeroipc_map* m = NULL;
  const int opened = zeroipc_map_open(mem, name, key_size_of(h), h->element_size, 0, &m);
  account(c, k, opened, input, "zeroipc_map_open");
  if (opened != ZEROIPC_OK) return;
  /* Sizes the open checked against the entry: buffers of them are small. */
  visited v = {zeroipc_map_key_size(m), zeroipc_map_value_size(m), 0, 0};
  uint8_t* key = calloc(1, v.key_size);
  uint8_t* value = calloc(1, v.value_size + 1u);
  if (key != NULL && value != NULL) {
    account(c, k, zeroipc_map_find(m, key, value), input, "zeroipc_map_find");
    account(c, k, zeroipc_map_for_each(m, visit_pair, &v), input, "zeroipc_map_for_each");
    snapshot_map(c, k, m, NULL, v.key_size, v.value_size, input);
    memset(key, 0xa5, v.key_size);
    account(c, k, zeroipc_map_insert(m, key, value), input, "zeroipc_map_insert");
    account(c, k, zeroipc_map_insert_or_assign(m, key, value), input, "zeroipc_map_insert_or_assign");
    account(c, k, zeroipc_map_contains(m, key), input, "zeroipc_map_contains");
    account(c, k, zeroipc_map_erase(m, key), input, "zeroipc_map_erase");
    memset(key, 0, v.key_size);
    account(c, k, zeroipc_map_erase(m, key), input, "zeroipc_map_erase (key 0)");
    account(c, k, zeroipc_map_for_each(m, visit_pair, &v), input, "zeroipc_map_for_each (after)");
    ++c->calls;
    ++c->kind_calls[k];
    (void)zeroipc_map_size(m);
  }
  free(key);
  free(value);
  zeroipc_map_close(m);
}

static void drive_set(counts* c, zeroipc_memory* mem, const char* name, const zeroipc_struct_header* h,
                      const char* input) {
  const unsigned k = ZEROIPC_KIND_SET;
  zeroipc_set* s = NULL;
  const int opened = zeroipc_set_open(mem, name, h->element_size, 0, &s);
  account(c, k, opened, input, "zeroipc_set_open");
  if (opened != ZEROIPC_OK) return;
  visited v = {h->element_size, 0, 0, 0}; /* the key size, checked by the open */
  uint8_t* key = calloc(1, v.key_size);
  if (key != NULL) {
    account(c, k, zeroipc_set_contains(s, key), input, "zeroipc_set_contains");
    account(c, k, zeroipc_set_for_each(s, visit_key, &v), input, "zeroipc_set_for_each");
    snapshot_map(c, k, NULL, s, v.key_size, 0, input);
    memset(key, 0x5a, v.key_size);
    account(c, k, zeroipc_set_insert(s, key), input, "zeroipc_set_insert");
    account(c, k, zeroipc_set_erase(s, key), input, "zeroipc_set_erase");
    account(c, k, zeroipc_set_for_each(s, visit_key, &v), input, "zeroipc_set_for_each (after)");
  }
  free(key);
  zeroipc_set_close(s);
}

/* Opens `name` as `kind` with `element_size`; closes what opened. A status. */
static int open_as(zeroipc_memory* mem, const char* name, unsigned kind, uint32_t element_size) {
  int status = ZEROIPC_E_INVALID_ARGUMENT;
  switch (kind) {
    case ZEROIPC_KIND_ARRAY: {
      zeroipc_array* a = NULL;
      status = zeroipc_array_open(mem, name, element_size, 0, &a);
      zeroipc_array_close(a);
      break;
    }
    case ZEROIPC_KIND_QUEUE: {
      zeroipc_queue* q = NULL;
      status = zeroipc_queue_open(mem, name, element_size, 0, &q);
      zeroipc_queue_close(q);
      break;
    }
    case ZEROIPC_KIND_STACK: {
      zeroipc_stack* s = NULL;
      status = zeroipc_stack_open(mem, name, element_size, 0, &s);
      zeroipc_stack_close(s);
      break;
    }
    case ZEROIPC_KIND_FUTURE: {
      zeroipc_future* f = NULL;
      status = zeroipc_future_open(mem, name, element_size, 0, &f);
      zeroipc_future_close(f);
      break;
    }
    case ZEROIPC_KIND_CHANNEL: {
      zeroipc_channel* ch = NULL;
      status = zeroipc_channel_open(mem, name, element_size, 0, &ch);
      zeroipc_channel_close_handle(ch);
      break;
    }
    case ZEROIPC_KIND_LAZY: {
      zeroipc_lazy* z = NULL;
      status = zeroipc_lazy_open(mem, name, element_size, 0, &z);
      zeroipc_lazy_close(z);
      break;
    }
    case ZEROIPC_KIND_STREAM: {
      zeroipc_stream_handle* st = NULL;
      status = zeroipc_stream_open(mem, name, element_size, 0, &st);
      zeroipc_stream_close_handle(st);
      break;
    }
    case ZEROIPC_KIND_MAP: { /* the value size; the key size a map of the fuzz image has */
      zeroipc_map* m = NULL;
      status = zeroipc_map_open(mem, name, 8, element_size, 0, &m);
      zeroipc_map_close(m);
      break;
    }
    case ZEROIPC_KIND_SET: {
      zeroipc_set* s = NULL;
      status = zeroipc_set_open(mem, name, element_size, 0, &s);
      zeroipc_set_close(s);
      break;
    }
    default:
      break;
  }
  return status;
}

static const unsigned c_kinds[] = {ZEROIPC_KIND_ARRAY, ZEROIPC_KIND_QUEUE,  ZEROIPC_KIND_STACK,
                                   ZEROIPC_KIND_FUTURE, ZEROIPC_KIND_CHANNEL, ZEROIPC_KIND_LAZY,
                                   ZEROIPC_KIND_STREAM, ZEROIPC_KIND_MAP,     ZEROIPC_KIND_SET};
#define C_KINDS (sizeof c_kinds / sizeof c_kinds[0])

static void drive(counts* c, const char* input) {
  zeroipc_memory* mem = NULL;
  int status = zeroipc_memory_open(segment, 0, &mem);
  account(c, 0, status, input, "zeroipc_memory_open");
  if (status != ZEROIPC_OK) {
    ++c->open_failed;
    return;
  }
  ++c->opened;
  zeroipc_entry_info entries[MAX_ENTRIES];
  size_t count = 0;
  status = zeroipc_table_entries(mem, entries, MAX_ENTRIES, &count);
  account(c, 0, status, input, "zeroipc_table_entries");
  for (size_t i = 0; status == ZEROIPC_OK && i < count && i < MAX_ENTRIES; ++i) {
    const char* name = entries[i].name;
    zeroipc_struct_header h;
    memset(&h, 0, sizeof h); /* element size 0 where peek refused: the array opener as u64 only */
    const int peeked = zipc_structure_peek(zipc_memory_mapping(mem), name, &h);
    account(c, 0, peeked, input, "zipc_structure_peek");
    if (peeked != ZEROIPC_OK) {
      drive_array(c, mem, name, &h, input); /* the array opener on what peek refused */
      continue;
    }
    switch (h.kind) {
      case ZEROIPC_KIND_ARRAY:
        drive_array(c, mem, name, &h, input);
        break;
      case ZEROIPC_KIND_QUEUE:
        drive_queue(c, mem, name, &h, input);
        break;
      case ZEROIPC_KIND_STACK:
        drive_stack(c, mem, name, &h, input);
        break;
      case ZEROIPC_KIND_FUTURE:
        drive_future(c, mem, name, &h, input);
        break;
      case ZEROIPC_KIND_CHANNEL:
        drive_channel(c, mem, name, &h, input);
        break;
      case ZEROIPC_KIND_LAZY:
        drive_lazy(c, mem, name, &h, input);
        break;
      case ZEROIPC_KIND_STREAM:
        drive_stream(c, mem, name, &h, input);
        break;
      case ZEROIPC_KIND_MAP:
        drive_map(c, mem, name, &h, input);
        break;
      case ZEROIPC_KIND_SET:
        drive_set(c, mem, name, &h, input);
        break;
      default: /* a kind the C library does not run: every opener must refuse it */
        break;
    }
    const unsigned k = h.kind < KINDS ? h.kind : 0;
    /* The header's kind with a wrong element size, then every other kind with the header's size. */
    const uint32_t wrong = h.element_size == 8 ? 16 : 8;
    for (size_t j = 0; j < C_KINDS; ++j) {
      if (c_kinds[j] == h.kind) {
        must_fail(c, k, open_as(mem, name, h.kind, wrong), input, "an open with a wrong element size");
      } else {
        must_fail(c, k, open_as(mem, name, c_kinds[j], h.element_size), input, "an open as another kind");
      }
    }
  }
  zeroipc_array* fresh = NULL;
  status = zeroipc_array_create(mem, "fuzz_new", 4, 8, ZEROIPC_DTYPE_U64, &fresh);
  account(c, 0, status, input, "zeroipc_array_create");
  if (status == ZEROIPC_OK) zeroipc_array_close(fresh);
  zeroipc_memory_close(mem);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  verbose = getenv("FUZZ_CORPUS_C_VERBOSE") != NULL;
  signal(SIGALRM, on_alarm);
  snprintf(segment, sizeof segment, "/zipc_c_fuzz_corpus_%d", (int)getpid());
  snprintf(path, sizeof path, "/dev/shm%s", segment);
  zeroipc_memory_unlink(segment);
  size_t image_size = 0;
  region regions[MAX_REGIONS];
  uint32_t key = 0;
  size_t n_regions = 0;
  unsigned char* image = NULL;
  if (build_image() == 0 && (image = read_all(path, &image_size)) != NULL) n_regions = image_regions(regions, &key);
  if (n_regions == 0 || image_size != IMAGE_SIZE) {
    fprintf(stderr, "fuzz_corpus_c: could not build the image: %s\n", zeroipc_last_error());
    zeroipc_memory_unlink(segment);
    return 1;
  }
  DIR* dir = opendir(argv[1]);
  if (dir == NULL) {
    fprintf(stderr, "fuzz_corpus_c: cannot open %s\n", argv[1]);
    zeroipc_memory_unlink(segment);
    return 1;
  }
  counts c;
  memset(&c, 0, sizeof c);
  unsigned char* img = malloc(image_size);
  for (struct dirent* e = readdir(dir); e != NULL && img != NULL; e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    char input[4096];
    size_t size = 0;
    snprintf(input, sizeof input, "%s/%s", argv[1], e->d_name);
    unsigned char* data = read_all(input, &size);
    if (data == NULL) continue;
    memcpy(img, image, image_size);
    patch(img, image_size, regions, n_regions, data, size, key);
    free(data);
    ++c.inputs;
    if (write_segment(img, image_size) != 0) {
      fprintf(stderr, "fuzz_corpus_c: cannot write %s\n", path);
      ++c.bad_failures;
      break;
    }
    snprintf(current_input, sizeof current_input, "%s", e->d_name);
    alarm(INPUT_LIMIT_S);
    drive(&c, e->d_name);
    alarm(0);
  }
  closedir(dir);
  free(img);
  free(image);
  zeroipc_memory_unlink(segment);
  printf("fuzz_corpus_c: %u inputs, %u opened, %u refused at open, %u calls, %u failed with a status and message, "
         "%u bad failures\n",
         c.inputs, c.opened, c.open_failed, c.calls, c.failed, c.bad_failures);
  static const char* const kind_names[KINDS] = {"segment/peek", "array", "queue", "stack", "map", "set", "pool",
                                                "ring", "future", "lazy", "stream", "channel"};
  for (unsigned k = 0; k < KINDS; ++k) {
    if (c.kind_calls[k] != 0) {
      printf("fuzz_corpus_c:   %-12s %6u calls, %6u failed\n", kind_names[k], c.kind_calls[k], c.kind_failed[k]);
    }
  }
  return c.inputs == 0 || c.bad_failures != 0;
}
