/* vectors_test.c — the C implementation against the golden vectors
 * (tests/vectors/MANIFEST.txt, written by the C++ implementation; see
 * tests/vectors/golden.h for what each operation does).
 *
 * For every structure vector: its common header, read through the C layout
 * structs, says what the manifest says, and its size is what the layout
 * functions compute for that kind and variant. For the "core" segment, which
 * holds only what the C implementation supports, the same structures are
 * created through zeroipc.h with the same operations, in the same order, and
 * the segment's header and table, and every structure, must equal the golden
 * bytes outside the masked (process-dependent) ranges.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "zeroipc.h"
#include "zeroipc/layout/layout.h"

#define MAX_VECTORS 64
#define MAX_RANGES 64

typedef struct range {
  uint64_t offset, size;
} range;

typedef struct vector {
  char segment[16];
  char name[32];
  char file[64];
  char ops[64];
  unsigned kind, variant, element_size, dtype;
  uint64_t capacity, requested;
  uint64_t segment_size;
  unsigned table_capacity;
  int is_segment;
  range mask[MAX_RANGES];
  size_t masks;
} vector;

static vector vectors[MAX_VECTORS];
static size_t vector_count;

/* ------------------------------------------------------------------ the manifest */

static void parse_mask(vector* v, const char* text) {
  if (strcmp(text, "-") == 0) return;
  while (*text != '\0' && v->masks < MAX_RANGES) {
    char* end;
    v->mask[v->masks].offset = strtoull(text, &end, 10);
    v->mask[v->masks].size = strtoull(end + 1, &end, 10);
    ++v->masks;
    text = *end == ',' ? end + 1 : end;
  }
}

static void parse_field(vector* v, const char* token) {
  const char* eq = strchr(token, '=');
  if (eq == NULL) return;
  const size_t key_length = (size_t)(eq - token);
  const char* value = eq + 1;
#define KEY(k) (key_length == strlen(k) && strncmp(token, k, key_length) == 0)
  if (KEY("file")) snprintf(v->file, sizeof v->file, "%s", value);
  else if (KEY("ops")) snprintf(v->ops, sizeof v->ops, "%s", value);
  else if (KEY("kind")) v->kind = (unsigned)strtoul(value, NULL, 10);
  else if (KEY("variant")) v->variant = (unsigned)strtoul(value, NULL, 10);
  else if (KEY("element_size")) v->element_size = (unsigned)strtoul(value, NULL, 10);
  else if (KEY("dtype")) v->dtype = (unsigned)strtoul(value, NULL, 10);
  else if (KEY("capacity")) v->capacity = strtoull(value, NULL, 10);
  else if (KEY("requested")) v->requested = strtoull(value, NULL, 10);
  else if (KEY("segment_size")) v->segment_size = strtoull(value, NULL, 10);
  else if (KEY("table_capacity")) v->table_capacity = (unsigned)strtoul(value, NULL, 10);
  else if (KEY("mask")) parse_mask(v, value);
#undef KEY
}

static int read_manifest(const char* path) {
  FILE* f = fopen(path, "r");
  if (f == NULL) {
    fprintf(stderr, "cannot open %s\n", path);
    return 0;
  }
  char line[4096];
  while (fgets(line, sizeof line, f) != NULL && vector_count < MAX_VECTORS) {
    line[strcspn(line, "\n")] = '\0';
    if (line[0] == '#' || line[0] == '\0') continue;
    vector* v = &vectors[vector_count++];
    memset(v, 0, sizeof *v);
    char* save = NULL;
    const char* what = strtok_r(line, " ", &save);
    v->is_segment = strcmp(what, "segment") == 0;
    snprintf(v->segment, sizeof v->segment, "%s", strtok_r(NULL, " ", &save));
    if (!v->is_segment) snprintf(v->name, sizeof v->name, "%s", strtok_r(NULL, " ", &save));
    for (char* token; (token = strtok_r(NULL, " ", &save)) != NULL;) parse_field(v, token);
  }
  fclose(f);
  return 1;
}

static unsigned char* read_file(const char* file, size_t* size) {
  char path[512];
  snprintf(path, sizeof path, "%s/tests/vectors/%s", ZEROIPC_SOURCE_DIR, file);
  FILE* f = fopen(path, "rb");
  if (f == NULL) return NULL;
  fseek(f, 0, SEEK_END);
  *size = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char* bytes = malloc(*size ? *size : 1);
  if (bytes != NULL && fread(bytes, 1, *size, f) != *size) {
    free(bytes);
    bytes = NULL;
  }
  fclose(f);
  return bytes;
}

/* ------------------------------------------------------------------ headers, by the layout functions */

static uint64_t layout_total_size(const zeroipc_struct_header* h) {
  switch (h->kind) {
    case ZEROIPC_KIND_ARRAY: return zeroipc_array_total_size(h->capacity, h->element_size);
    case ZEROIPC_KIND_QUEUE:
      switch (h->variant) {
        case ZEROIPC_VARIANT_QUEUE_VYUKOV_BOUNDED: return zeroipc_vyukov_total_size(h->capacity, h->element_size);
        case ZEROIPC_VARIANT_QUEUE_LCRQ: return zeroipc_lcrq_total_size(h->capacity, h->element_size);
        case ZEROIPC_VARIANT_QUEUE_LCRQ_NODES: return zeroipc_lcrq_nodes_total_size(h->capacity, h->element_size);
        case ZEROIPC_VARIANT_QUEUE_SCQ: return zeroipc_scq_total_size(h->capacity, h->element_size);
        case ZEROIPC_VARIANT_QUEUE_SCQ_INDICES: return zeroipc_scq_indices_total_size(h->capacity, h->element_size);
        case ZEROIPC_VARIANT_QUEUE_SPSC_RING: return zeroipc_spsc_total_size(h->capacity, h->element_size);
        case ZEROIPC_VARIANT_QUEUE_LOCKED_RING: return zeroipc_locked_ring_total_size(h->capacity, h->element_size);
        default: return 0;
      }
    case ZEROIPC_KIND_STACK:
      return h->variant == ZEROIPC_VARIANT_STACK_TREIBER_TAGGED ? zeroipc_treiber_total_size(h->capacity, h->element_size)
                                                          : zeroipc_elimination_total_size(h->capacity, h->element_size);
    case ZEROIPC_KIND_MAP:
    case ZEROIPC_KIND_SET: {
      zeroipc_keyed_config config;
      memcpy(&config, h->kind_specific, sizeof config);
      return zeroipc_probe_total_size(h->capacity, config.key_size,
                                      h->kind == ZEROIPC_KIND_MAP ? h->element_size : 0u);
    }
    case ZEROIPC_KIND_POOL: return zeroipc_pool_total_size(h->capacity, h->element_size);
    case ZEROIPC_KIND_RING: return zeroipc_gated_ring_total_size(h->capacity, h->element_size);
    case ZEROIPC_KIND_FUTURE:
    case ZEROIPC_KIND_LAZY: return zeroipc_codata_total_size(h->capacity, h->element_size);
    case ZEROIPC_KIND_STREAM: return zeroipc_stream_total_size(h->capacity, h->element_size);
    case ZEROIPC_KIND_CHANNEL: return zeroipc_channel_total_size(h->capacity, h->element_size);
    default: return 0;
  }
}

static void check_header(const vector* v) {
  size_t size = 0;
  unsigned char* bytes = read_file(v->file, &size);
  CHECK(bytes != NULL);
  if (bytes == NULL) return;
  CHECK(size >= sizeof(zeroipc_struct_header));
  if (size >= sizeof(zeroipc_struct_header)) {
    zeroipc_struct_header h;
    memcpy(&h, bytes, sizeof h);
    CHECK(memcmp(h.magic, ZEROIPC_STRUCT_MAGIC, 4) == 0);
    CHECK_EQ_U64(h.kind, v->kind);
    CHECK_EQ_U64(h.variant, v->variant);
    CHECK_EQ_U64(h.element_size, v->element_size);
    CHECK_EQ_U64(h.dtype, v->dtype);
    CHECK_EQ_U64(h.capacity, v->capacity);
    CHECK_EQ_U64(h.layout_version, ZEROIPC_LAYOUT_VERSION);
    CHECK_EQ_U64(h.total_size, size);
    CHECK_EQ_U64(layout_total_size(&h), size);
  }
  free(bytes);
}

/* ------------------------------------------------------------------ replaying the core segment */

static int apply_ops(zeroipc_memory* mem, const vector* v) {
  const char* ops = v->ops;
  unsigned long n = 0, m = 0;
  int status = ZEROIPC_OK;
  if (v->kind == ZEROIPC_KIND_ARRAY) {
    zeroipc_array* a;
    status = zeroipc_array_create(mem, v->name, v->requested, v->element_size, (uint8_t)v->dtype, &a);
    if (status != ZEROIPC_OK) return status;
    unsigned char* data = zeroipc_array_data(a);
    for (uint64_t i = 0; i < v->requested; ++i) {
      if (strcmp(ops, "fill") == 0) {
        const uint64_t value = i + 1;
        memcpy(data + i * 8, &value, 8);
      } else { /* fill_record: {u64 id, f64 price, i32 qty, 4 bytes padding} */
        const uint64_t id = i + 1;
        const double price = 1.5 * (double)(i + 1);
        const int32_t qty = -(int32_t)(i + 1);
        memcpy(data + i * 24, &id, 8);
        memcpy(data + i * 24 + 8, &price, 8);
        memcpy(data + i * 24 + 16, &qty, 4);
      }
    }
    zeroipc_array_close(a);
  } else if (v->kind == ZEROIPC_KIND_QUEUE) {
    zeroipc_queue* q;
    sscanf(ops, "push:%lu,pop:%lu", &n, &m);
    status = zeroipc_queue_create(mem, v->name, (zeroipc_queue_variant)v->variant, v->requested, v->element_size,
                                  (uint8_t)v->dtype, &q);
    if (status != ZEROIPC_OK) return status;
    for (uint64_t k = 1; k <= n && status == ZEROIPC_OK; ++k) status = zeroipc_queue_push(q, &k);
    for (uint64_t k = 0, out; k < m && status == ZEROIPC_OK; ++k) status = zeroipc_queue_pop(q, &out);
    zeroipc_queue_close(q);
  } else if (v->kind == ZEROIPC_KIND_STACK) {
    zeroipc_stack* s;
    sscanf(ops, "push:%lu,pop:%lu", &n, &m);
    status = zeroipc_stack_create(mem, v->name, (zeroipc_stack_variant)v->variant, v->requested, v->element_size,
                                  (uint8_t)v->dtype, &s);
    if (status != ZEROIPC_OK) return status;
    for (uint64_t k = 1; k <= n && status == ZEROIPC_OK; ++k) status = zeroipc_stack_push(s, &k);
    for (uint64_t k = 0, out; k < m && status == ZEROIPC_OK; ++k) status = zeroipc_stack_pop(s, &out);
    zeroipc_stack_close(s);
  } else if (v->kind == ZEROIPC_KIND_FUTURE) {
    zeroipc_future* f;
    status = zeroipc_future_create(mem, v->name, v->element_size, (uint8_t)v->dtype, &f);
    if (status != ZEROIPC_OK) return status;
    if (strncmp(ops, "set:", 4) == 0) {
      const uint64_t value = strtoull(ops + 4, NULL, 10);
      status = zeroipc_future_set_value(f, &value);
    } else {
      status = zeroipc_future_set_error(f, ops + strlen("error:"));
    }
    zeroipc_future_close(f);
  } else if (v->kind == ZEROIPC_KIND_CHANNEL) {
    zeroipc_channel* c;
    status = zeroipc_channel_create(mem, v->name, v->requested, v->element_size, (uint8_t)v->dtype, &c);
    if (status != ZEROIPC_OK) return status;
    if (sscanf(ops, "send:%lu,receive:%lu", &n, &m) == 2) {
      for (uint64_t k = 1; k <= n && status == ZEROIPC_OK; ++k) status = zeroipc_channel_send(c, &k, 0);
      for (uint64_t k = 0, out; k < m && status == ZEROIPC_OK; ++k) status = zeroipc_channel_receive(c, &out, 0);
    }
    zeroipc_channel_close_handle(c);
  } else {
    return ZEROIPC_E_NOT_SUPPORTED;
  }
  return status;
}

static int masked_equal(const unsigned char* built, const unsigned char* golden, size_t size, const vector* v,
                        const char* what) {
  unsigned char* a = malloc(size);
  unsigned char* b = malloc(size);
  memcpy(a, built, size);
  memcpy(b, golden, size);
  for (size_t i = 0; i < v->masks; ++i) {
    if (v->mask[i].offset + v->mask[i].size <= size) {
      memset(a + v->mask[i].offset, 0, v->mask[i].size);
      memset(b + v->mask[i].offset, 0, v->mask[i].size);
    }
  }
  size_t at = 0;
  while (at < size && a[at] == b[at]) ++at;
  if (at < size) fprintf(stderr, "%s differs at offset %zu: built %u, golden %u\n", what, at, a[at], b[at]);
  free(a);
  free(b);
  return at == size;
}

static void replay_core(const vector* segment) {
  char name[64];
  snprintf(name, sizeof name, "/zeroipc_c_vectors_%d", (int)getpid());
  zeroipc_memory_unlink(name);
  zeroipc_memory_options options = zeroipc_memory_default_options();
  options.table_capacity = segment->table_capacity;
  zeroipc_memory* mem;
  CHECK_STATUS(zeroipc_memory_create(name, segment->segment_size, &options, &mem), ZEROIPC_OK);
  if (mem == NULL) return;
  size_t replayed = 0;
  for (size_t i = 0; i < vector_count; ++i) {
    const vector* v = &vectors[i];
    if (v->is_segment || strcmp(v->segment, "core") != 0) continue;
    CHECK_STATUS(apply_ops(mem, v), ZEROIPC_OK);
    ++replayed;
  }
  const unsigned char* base = zeroipc_memory_base(mem);
  size_t size = 0;
  unsigned char* golden = read_file(segment->file, &size);
  CHECK(golden != NULL);
  if (golden != NULL) CHECK(masked_equal(base, golden, size, segment, "core segment header and table"));
  free(golden);
  for (size_t i = 0; i < vector_count; ++i) {
    const vector* v = &vectors[i];
    if (v->is_segment || strcmp(v->segment, "core") != 0) continue;
    zeroipc_entry_info entry;
    CHECK_STATUS(zeroipc_table_find(mem, v->name, &entry), ZEROIPC_OK);
    golden = read_file(v->file, &size);
    CHECK(golden != NULL && entry.size >= size);
    if (golden != NULL && entry.size >= size) CHECK(masked_equal(base + entry.offset, golden, size, v, v->name));
    free(golden);
  }
  printf("replayed %zu core structures through zeroipc.h\n", replayed);
  CHECK(replayed >= 10);
  zeroipc_memory_close(mem);
  zeroipc_memory_unlink(name);
}

int main(void) {
  char path[512];
  snprintf(path, sizeof path, "%s/tests/vectors/MANIFEST.txt", ZEROIPC_SOURCE_DIR);
  CHECK(read_manifest(path));
  size_t headers = 0;
  for (size_t i = 0; i < vector_count; ++i) {
    if (vectors[i].is_segment) continue;
    check_header(&vectors[i]);
    ++headers;
  }
  printf("checked %zu structure headers against the layout functions\n", headers);
  CHECK(headers == 21);
  for (size_t i = 0; i < vector_count; ++i) {
    if (vectors[i].is_segment && strcmp(vectors[i].segment, "core") == 0) replay_core(&vectors[i]);
  }
  return check_summary("vectors");
}
