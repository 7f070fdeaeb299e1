/* array_test.c — Array (SPECIFICATION.md §7.1) through the C implementation,
 * and the common-header checks (§6) every structure shares: element size,
 * dtype, capacity, kind and variant mismatches naming expected and found,
 * a corrupt header, and an array shared with a forked child. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "internal.h"

static char segment[64];

static zeroipc_memory* fresh_segment(void) {
  zeroipc_memory* mem = NULL;
  snprintf(segment, sizeof segment, "/zipc_c_array_%d", (int)getpid());
  zeroipc_memory_unlink(segment);
  CHECK_STATUS(zeroipc_memory_create(segment, 1 << 16, NULL, &mem), ZEROIPC_OK);
  return mem;
}

static zeroipc_struct_header* struct_header(zeroipc_memory* mem, const char* name) {
  zeroipc_entry_info info;
  CHECK_STATUS(zeroipc_table_find(mem, name, &info), ZEROIPC_OK);
  return (zeroipc_struct_header*)((uint8_t*)zeroipc_memory_base(mem) + info.offset);
}

static void test_create_and_share(void) {
  zeroipc_memory* mem = fresh_segment();
  zeroipc_array* a = NULL;
  CHECK_STATUS(zeroipc_array_create(mem, "temps", 100, 4, ZEROIPC_DTYPE_F32, &a), ZEROIPC_OK);
  CHECK_EQ_U64(zeroipc_array_capacity(a), 100);
  CHECK_EQ_U64(zeroipc_array_element_size(a), 4);
  float* t = zeroipc_array_data(a);
  CHECK(((uintptr_t)t - (uintptr_t)zeroipc_memory_base(mem)) % 64 == 0);
  CHECK(t[0] == 0.0f && t[99] == 0.0f);  /* zero-filled */
  t[7] = 23.5f;

  const zeroipc_struct_header* h = struct_header(mem, "temps");
  CHECK(memcmp(h->magic, "ZIPS", 4) == 0);
  CHECK_EQ_U64(h->kind, 1);
  CHECK_EQ_U64(h->variant, 0);
  CHECK_EQ_U64(h->element_size, 4);
  CHECK_EQ_U64(h->layout_version, 1);
  CHECK_EQ_U64(h->dtype, ZEROIPC_DTYPE_F32);
  CHECK_EQ_U64(h->capacity, 100);
  CHECK_EQ_U64(h->total_size, 464);

  /* Created again with the same shape: opened. Opened with any capacity, or opaque. */
  zeroipc_array *b = NULL, *c = NULL;
  CHECK_STATUS(zeroipc_array_create(mem, "temps", 100, 4, ZEROIPC_DTYPE_F32, &b), ZEROIPC_OK);
  CHECK(((float*)zeroipc_array_data(b))[7] == 23.5f);
  CHECK_STATUS(zeroipc_array_open(mem, "temps", 4, ZEROIPC_DTYPE_OPAQUE, &c), ZEROIPC_OK);
  CHECK_EQ_U64(zeroipc_array_capacity(c), 100);

  /* A forked child writes through its own mapping. */
  const pid_t child = fork();
  if (child == 0) {
    zeroipc_memory* peer = NULL;
    zeroipc_array* pa = NULL;
    if (zeroipc_memory_open(segment, 0, &peer) != ZEROIPC_OK) _exit(1);
    if (zeroipc_array_open(peer, "temps", 4, ZEROIPC_DTYPE_F32, &pa) != ZEROIPC_OK) _exit(2);
    zeroipc_memory_close(peer);  /* the array keeps the mapping */
    ((float*)zeroipc_array_data(pa))[8] = 42.0f;
    zeroipc_array_close(pa);
    _exit(0);
  }
  int status = 0;
  CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(t[8] == 42.0f);

  zeroipc_memory_close(mem);  /* handles outlive the memory handle */
  CHECK(t[7] == 23.5f);
  zeroipc_array_close(a);
  zeroipc_array_close(b);
  zeroipc_array_close(c);
  zeroipc_memory_unlink(segment);
}

static void test_mismatches(void) {
  zeroipc_memory* mem = fresh_segment();
  zeroipc_array *a = NULL, *b = NULL;
  char prefix[128];
  snprintf(prefix, sizeof prefix, "zeroipc: segment '%s', structure 'ids': ", segment);
  CHECK_STATUS(zeroipc_array_create(mem, "ids", 10, 4, ZEROIPC_DTYPE_U32, &a), ZEROIPC_OK);

  CHECK_STATUS(zeroipc_array_open(mem, "ids", 8, ZEROIPC_DTYPE_U64, &b), ZEROIPC_E_MISMATCH);
  CHECK_MESSAGE_HAS(prefix);
  CHECK_MESSAGE_HAS("expected element size 8 bytes, found 4");
  CHECK_STATUS(zeroipc_array_open(mem, "ids", 4, ZEROIPC_DTYPE_F32, &b), ZEROIPC_E_MISMATCH);
  CHECK_MESSAGE_HAS("': expected element type f32, found u32");
  CHECK_STATUS(zeroipc_array_create(mem, "ids", 20, 4, ZEROIPC_DTYPE_U32, &b), ZEROIPC_E_MISMATCH);
  CHECK_MESSAGE_HAS("': exists with capacity 10, requested 20");
  CHECK_STATUS(zeroipc_array_open(mem, "nope", 4, 0, &b), ZEROIPC_E_NOT_FOUND);
  CHECK_MESSAGE_HAS("structure 'nope': no such structure (expected a array created by another process first)");

  /* Another kind under the name: a queue spec opened on the array, and the reverse. */
  zipc_mapping* m = zipc_memory_mapping(mem);
  zipc_struct_spec queue_spec;
  memset(&queue_spec, 0, sizeof queue_spec);
  queue_spec.kind = ZEROIPC_KIND_QUEUE;
  queue_spec.variant = ZEROIPC_VARIANT_QUEUE_LCRQ;
  queue_spec.layout_version = 1;
  queue_spec.element_size = 4;
  queue_spec.total_size = zeroipc_array_total_size;
  queue_spec.type_name = "Queue";
  zipc_opened opened;
  CHECK_STATUS(zipc_structure_open(m, "ids", &queue_spec, &opened), ZEROIPC_E_MISMATCH);
  CHECK_MESSAGE_HAS("': expected queue (opened as Queue), found array");
  zeroipc_struct_header peeked;
  CHECK_STATUS(zipc_structure_peek(m, "ids", &peeked), ZEROIPC_OK);
  CHECK_EQ_U64(peeked.kind, ZEROIPC_KIND_ARRAY);
  CHECK_EQ_U64(peeked.capacity, 10);
  CHECK_STATUS(zipc_structure_peek(m, "nope", &peeked), ZEROIPC_E_NOT_FOUND);
  CHECK_MESSAGE_HAS("structure 'nope': no such structure");
  CHECK_STATUS(zipc_structure_create(m, "q", &queue_spec, 8, NULL, NULL, &opened), ZEROIPC_OK);
  CHECK(opened.created && opened.header.variant == ZEROIPC_VARIANT_QUEUE_LCRQ);
  CHECK_STATUS(zeroipc_array_open(mem, "q", 4, 0, &b), ZEROIPC_E_MISMATCH);
  CHECK_MESSAGE_HAS("structure 'q': expected array (opened as Array), found queue");
  queue_spec.variant = ZEROIPC_VARIANT_QUEUE_SCQ;
  CHECK_STATUS(zipc_structure_open(m, "q", &queue_spec, &opened), ZEROIPC_E_MISMATCH);
  CHECK_MESSAGE_HAS("structure 'q': expected variant scq, found lcrq");

  /* What C callers pass as bytes. */
  CHECK_STATUS(zeroipc_array_create(mem, "z", 0, 4, 0, &b), ZEROIPC_E_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("structure 'z': capacity 0 is not allowed for Array (zero, or too large)");
  CHECK_STATUS(zeroipc_array_create(mem, "z", UINT64_MAX / 2, 4, 0, &b), ZEROIPC_E_INVALID_ARGUMENT);
  CHECK_STATUS(zeroipc_array_create(mem, "z", 4, 0, 0, &b), ZEROIPC_E_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("structure 'z': element size 0 is not allowed");
  CHECK_STATUS(zeroipc_array_create(mem, "z", 4, 4, ZEROIPC_DTYPE_F64, &b), ZEROIPC_E_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("element type f64 is 8 bytes, not the element size 4");
  CHECK_STATUS(zeroipc_array_create(mem, "z", 4, 4, 12, &b), ZEROIPC_E_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("unknown dtype 12 is not a dtype code");
  CHECK_STATUS(zeroipc_array_create(mem, "z", 4, 4, 0, NULL), ZEROIPC_E_INVALID_ARGUMENT);
  zeroipc_entry_info info;
  CHECK_STATUS(zeroipc_table_find(mem, "z", &info), ZEROIPC_E_NOT_FOUND);
  zeroipc_array_close(a);
  zeroipc_memory_close(mem);
  zeroipc_memory_unlink(segment);
}

/* Corrupt common headers: each read once into a copy and reported (§5, §6). */
static void test_corrupt_header(void) {
  zeroipc_memory* mem = fresh_segment();
  zeroipc_array *a = NULL, *b = NULL;
  CHECK_STATUS(zeroipc_array_create(mem, "h", 10, 8, ZEROIPC_DTYPE_I64, &a), ZEROIPC_OK);
  zeroipc_struct_header* h = struct_header(mem, "h");
  zeroipc_entry_info info;
  CHECK_STATUS(zeroipc_table_find(mem, "h", &info), ZEROIPC_OK);

  h->layout_version = 2;
  CHECK_STATUS(zeroipc_array_open(mem, "h", 8, ZEROIPC_DTYPE_I64, &b), ZEROIPC_E_VERSION);
  CHECK_MESSAGE_HAS("structure 'h': array layout version 2 is not the version 1 this build reads");
  h->layout_version = 1;
  h->total_size = 999;
  CHECK_STATUS(zeroipc_array_open(mem, "h", 8, ZEROIPC_DTYPE_I64, &b), ZEROIPC_E_CORRUPT);
  CHECK_MESSAGE_HAS("structure 'h': header says capacity 10 and 999 bytes; the layout needs 144 bytes and the entry holds 192");
  h->total_size = 144;
  h->capacity = 1000;
  CHECK_STATUS(zeroipc_array_open(mem, "h", 8, ZEROIPC_DTYPE_I64, &b), ZEROIPC_E_CORRUPT);
  CHECK_MESSAGE_HAS("header says capacity 1000 and 144 bytes; the layout needs 8064 bytes");
  h->capacity = 10;
  memcpy(h->magic, "ZIP\xff", 4);
  CHECK_STATUS(zeroipc_array_open(mem, "h", 8, ZEROIPC_DTYPE_I64, &b), ZEROIPC_E_CORRUPT);
  char expected[160];
  snprintf(expected, sizeof expected, "no structure header at offset %llu (expected magic 'ZIPS', found 'ZIP\\xff')",
           (unsigned long long)info.offset);
  CHECK_MESSAGE_HAS(expected);
  zeroipc_struct_header peeked;
  CHECK_STATUS(zipc_structure_peek(zipc_memory_mapping(mem), "h", &peeked), ZEROIPC_E_CORRUPT);
  memcpy(h->magic, "ZIPS", 4);
  h->kind = 77;
  CHECK_STATUS(zeroipc_array_open(mem, "h", 8, ZEROIPC_DTYPE_I64, &b), ZEROIPC_E_MISMATCH);
  CHECK_MESSAGE_HAS("expected array (opened as Array), found unknown kind 77");
  h->kind = 1;
  CHECK_STATUS(zeroipc_array_open(mem, "h", 8, ZEROIPC_DTYPE_I64, &b), ZEROIPC_OK);
  zeroipc_array_close(b);
  zeroipc_array_close(a);
  zeroipc_memory_close(mem);
  zeroipc_memory_unlink(segment);
}

int main(void) {
  test_create_and_share();
  test_mismatches();
  test_corrupt_header();
  return check_summary("array");
}
