/* structure.c — creating and opening structures by name, and checking their
 * common header (§6) against what the caller's type expects; as
 * lib/src/structure.cpp, with the same messages and the same order of
 * checks: magic, kind, variant, layout_version, element_size, dtype,
 * capacity, total_size.
 *
 * Every header field is read once, into a private copy, and only the copy is
 * checked and used afterwards (§5).
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define ZIPC_NAME_TEXT 1100
#define ZIPC_WHO_SIZE 2300

/* ------------------------------------------------------------------ names (§6.1-§6.3) */

const char* zipc_kind_name(uint16_t kind, char* buf, size_t buf_size) {
  static const char* const names[] = {"array", "queue", "stack", "map",    "set",    "pool",
                                      "ring",  "future", "lazy", "stream", "channel"};
  if (kind >= 1 && kind <= 11) {
    snprintf(buf, buf_size, "%s", names[kind - 1]);
  } else {
    snprintf(buf, buf_size, "unknown kind %u", (unsigned)kind);
  }
  return buf;
}

/* The variant names of `kind` (§6.2), and how many there are. */
static const char* const* variants_of(uint16_t kind, uint16_t* count) {
  static const char* const queues[] = {"vyukov_bounded", "lcrq", "scq", "spsc_ring", "locked_ring", "lcrq_nodes",
                                       "scq_indices"};
  static const char* const stacks[] = {"treiber_tagged", "elimination_backoff"};
  static const char* const maps[] = {"locked_probe"};
  static const char* const pools[] = {"locked_free_list"};
  static const char* const rings[] = {"gated_ring"};
  switch (kind) {
    case ZEROIPC_KIND_QUEUE: *count = 7; return queues;
    case ZEROIPC_KIND_STACK: *count = 2; return stacks;
    case ZEROIPC_KIND_MAP:
    case ZEROIPC_KIND_SET: *count = 1; return maps;
    case ZEROIPC_KIND_POOL: *count = 1; return pools;
    case ZEROIPC_KIND_RING: *count = 1; return rings;
    default: *count = 0; return NULL;
  }
}

const char* zipc_variant_name(uint16_t kind, uint16_t variant, char* buf, size_t buf_size) {
  uint16_t count = 0;
  const char* const* names = variants_of(kind, &count);
  if (variant == 0) {
    snprintf(buf, buf_size, "none");
  } else if (variant <= count) {
    snprintf(buf, buf_size, "%s", names[variant - 1]);
  } else {
    snprintf(buf, buf_size, "unknown variant %u", (unsigned)variant);
  }
  return buf;
}

const char* zipc_dtype_name(uint8_t dtype, char* buf, size_t buf_size) {
  static const char* const names[] = {"opaque", "i8",  "u8",  "i16", "u16", "i32",
                                      "u32",    "i64", "u64", "f32", "f64", "bool"};
  if (dtype <= 11) {
    snprintf(buf, buf_size, "%s", names[dtype]);
  } else {
    snprintf(buf, buf_size, "unknown dtype %u", (unsigned)dtype);
  }
  return buf;
}

const char* zipc_who(const zipc_mapping* m, const char* name, char* buf, size_t buf_size) {
  char segment[ZIPC_NAME_TEXT];
  char structure[ZIPC_NAME_TEXT];
  snprintf(buf, buf_size, "zeroipc: segment '%s', structure '%s'",
           zipc_printable(m->name, strlen(m->name), segment, sizeof segment),
           zipc_printable(name, strlen(name), structure, sizeof structure));
  return buf;
}

const char* zipc_where(const zipc_mapping* m, const char* name, uint16_t kind, uint16_t variant, char* buf,
                       size_t buf_size) {
  char segment[ZIPC_NAME_TEXT];
  char structure[ZIPC_NAME_TEXT];
  char kind_text[32];
  char variant_text[48];
  zipc_printable(m->name, strlen(m->name), segment, sizeof segment);
  zipc_printable(name, strlen(name), structure, sizeof structure);
  const int used = snprintf(buf, buf_size, "zeroipc: segment '%s', %s '%s'", segment,
                            zipc_kind_name(kind, kind_text, sizeof kind_text), structure);
  if (variant != 0 && used >= 0 && (size_t)used < buf_size) {
    snprintf(buf + used, buf_size - (size_t)used, " (%s)",
             zipc_variant_name(kind, variant, variant_text, sizeof variant_text));
  }
  return buf;
}

/* ------------------------------------------------------------------ the caller's element (C only) */

/* The bytes of one element of each dtype (§6.3); 0 for opaque. */
static uint32_t dtype_size(uint8_t dtype) {
  static const uint8_t sizes[] = {0, 1, 1, 2, 2, 4, 4, 8, 8, 4, 8, 1};
  return sizes[dtype];
}

/* C callers pass the element as bytes: what C++ derives from a type is
 * checked here (an element size of at least 1, a known dtype of that size). */
static int check_element(const zipc_mapping* m, const char* name, const zipc_struct_spec* spec) {
  char who[ZIPC_WHO_SIZE];
  char dtype[32];
  if (spec->element_size == 0) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "%s: element size 0 is not allowed (expected at least 1 byte)",
                     zipc_who(m, name, who, sizeof who));
  }
  if (spec->dtype > ZEROIPC_DTYPE_BOOL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "%s: %s is not a dtype code (expected 0 to 11)",
                     zipc_who(m, name, who, sizeof who), zipc_dtype_name(spec->dtype, dtype, sizeof dtype));
  }
  if (spec->dtype != ZEROIPC_DTYPE_OPAQUE && dtype_size(spec->dtype) != spec->element_size) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "%s: element type %s is %u bytes, not the element size %u",
                     zipc_who(m, name, who, sizeof who), zipc_dtype_name(spec->dtype, dtype, sizeof dtype),
                     (unsigned)dtype_size(spec->dtype), (unsigned)spec->element_size);
  }
  return ZEROIPC_OK;
}

/* ------------------------------------------------------------------ §6 checks */

static const char* element_size_name(const zipc_struct_spec* spec) {
  return spec->element_size_name != NULL ? spec->element_size_name : "element size";
}

/* kind, variant, layout_version, element_size, dtype of the copy `h` (§6, in this order). */
static int check_identity(const char* w, const zeroipc_struct_header* h, const zipc_struct_spec* spec) {
  char expected[48];
  char found[48];
  if (h->kind != spec->kind) {
    return zipc_fail(ZEROIPC_E_MISMATCH, "%s: expected %s (opened as %s), found %s", w,
                     zipc_kind_name(spec->kind, expected, sizeof expected), spec->type_name,
                     zipc_kind_name(h->kind, found, sizeof found));
  }
  if (h->variant != spec->variant) {
    return zipc_fail(ZEROIPC_E_MISMATCH, "%s: expected variant %s, found %s", w,
                     zipc_variant_name(h->kind, spec->variant, expected, sizeof expected),
                     zipc_variant_name(h->kind, h->variant, found, sizeof found));
  }
  if (h->layout_version != spec->layout_version) {
    return zipc_fail(ZEROIPC_E_VERSION, "%s: %s layout version %u is not the version %u this build reads", w,
                     zipc_kind_name(h->kind, found, sizeof found), (unsigned)h->layout_version,
                     (unsigned)spec->layout_version);
  }
  if (h->element_size != spec->element_size) {
    return zipc_fail(ZEROIPC_E_MISMATCH, "%s: expected %s %u bytes, found %u", w, element_size_name(spec),
                     (unsigned)spec->element_size, (unsigned)h->element_size);
  }
  if (spec->key_size != 0) { /* §7.8: Map and Set keep the key size in kind-specific bytes 32-35 */
    uint32_t key_size;
    memcpy(&key_size, h->kind_specific, sizeof key_size);
    if (key_size != spec->key_size) {
      return zipc_fail(ZEROIPC_E_MISMATCH, "%s: expected key size %u bytes, found %u", w, (unsigned)spec->key_size,
                       (unsigned)key_size);
    }
  }
  if (h->dtype != 0 && spec->dtype != 0 && h->dtype != spec->dtype) {
    return zipc_fail(ZEROIPC_E_MISMATCH, "%s: expected element type %s, found %s", w,
                     zipc_dtype_name(spec->dtype, expected, sizeof expected),
                     zipc_dtype_name(h->dtype, found, sizeof found));
  }
  return ZEROIPC_OK;
}

/* Bytes `spec` needs for `capacity` elements of element_size, header included (0: not allowed). */
static uint64_t total_of(const zipc_struct_spec* spec, uint64_t capacity, uint32_t element_size) {
  if (spec->key_size != 0) return spec->keyed_total_size(capacity, element_size, spec->key_size);
  return spec->total_size(capacity, element_size);
}

/* The copy of the common header at `entry`, checked for its magic (§6). */
static int copy_header(const zipc_mapping* m, const zeroipc_entry_info* entry, const char* w,
                       zeroipc_struct_header* h) {
  memcpy(h, m->base + entry->offset, sizeof *h); /* the table checked offset and size (§5 item 6) */
  if (memcmp(h->magic, ZEROIPC_STRUCT_MAGIC, 4) != 0) {
    char found[24];
    return zipc_fail(ZEROIPC_E_CORRUPT, "%s: no structure header at offset %llu (expected magic 'ZIPS', found '%s')",
                     w, (unsigned long long)entry->offset, zipc_printable(h->magic, 4, found, sizeof found));
  }
  return ZEROIPC_OK;
}

/* §6 and §5 item 8: the structure at `entry` against `spec` (and `capacity` unless 0). */
static int check(const zipc_mapping* m, const zeroipc_entry_info* entry, const zipc_struct_spec* spec,
                 uint64_t capacity, zipc_opened* out) {
  char w[ZIPC_WHO_SIZE];
  zipc_who(m, entry->name, w, sizeof w);
  zeroipc_struct_header h;
  int status = copy_header(m, entry, w, &h);
  if (status == ZEROIPC_OK) status = check_identity(w, &h, spec);
  if (status != ZEROIPC_OK) return status;
  if (capacity != 0 && h.capacity != capacity) {
    return zipc_fail(ZEROIPC_E_MISMATCH, "%s: exists with capacity %llu, requested %llu", w,
                     (unsigned long long)h.capacity, (unsigned long long)capacity);
  }
  const uint64_t expected = total_of(spec, h.capacity, h.element_size);
  if (expected == 0 || h.total_size != expected || h.total_size > entry->size) {
    return zipc_fail(ZEROIPC_E_CORRUPT,
                     "%s: header says capacity %llu and %llu bytes; the layout needs %llu bytes and the entry holds %llu",
                     w, (unsigned long long)h.capacity, (unsigned long long)h.total_size,
                     (unsigned long long)expected, (unsigned long long)entry->size);
  }
  out->base = m->base + entry->offset;
  out->header = h;
  out->created = 0;
  return ZEROIPC_OK;
}

/* ------------------------------------------------------------------ create / open */

typedef struct creation {
  const zipc_struct_spec* spec;
  uint64_t capacity;
  uint64_t total;
  zipc_init_fn init;
  void* context;
} creation;

/* §3.1 step 6 for a structure: the common header, then the body. */
static int init_structure(uint8_t* region, uint64_t size, void* context) {
  const creation* c = context;
  zeroipc_struct_header h;
  (void)size;
  memset(&h, 0, sizeof h);
  memcpy(h.magic, ZEROIPC_STRUCT_MAGIC, 4);
  h.kind = c->spec->kind;
  h.variant = c->spec->variant;
  h.element_size = c->spec->element_size;
  h.layout_version = c->spec->layout_version;
  h.dtype = c->spec->dtype;
  h.capacity = c->capacity;
  h.total_size = c->total;
  memcpy(h.kind_specific, &c->spec->key_size, sizeof c->spec->key_size); /* §7.8; 0 for the other kinds */
  memcpy(region, &h, sizeof h);
  return c->init != NULL ? c->init(region, c->capacity, c->context) : ZEROIPC_OK;
}

int zipc_structure_create(zipc_mapping* m, const char* name, const zipc_struct_spec* spec, uint64_t capacity,
                          zipc_init_fn init, void* context, zipc_opened* out) {
  char w[ZIPC_WHO_SIZE];
  if (name == NULL) return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: the structure name is NULL");
  int status = check_element(m, name, spec);
  if (status != ZEROIPC_OK) return status;
  const creation c = {spec, capacity, capacity == 0 ? 0 : total_of(spec, capacity, spec->element_size), init,
                      context};
  if (c.total == 0) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "%s: capacity %llu is not allowed for %s (zero, or too large)",
                     zipc_who(m, name, w, sizeof w), (unsigned long long)capacity, spec->type_name);
  }
  zeroipc_entry_info entry;
  int created = 0;
  status = zipc_table_find_or_create(m, name, c.total, init_structure, (void*)&c, &entry, &created);
  if (status == ZEROIPC_OK) status = check(m, &entry, spec, capacity, out);
  if (status == ZEROIPC_OK) out->created = created;
  return status;
}

/* The READY entry `name`, or NOT_FOUND naming what was expected (`kind` 0: any structure). */
static int find(zipc_mapping* m, const char* name, uint16_t kind, zeroipc_entry_info* entry) {
  int status = zipc_check_structure_name(name);
  if (status == ZEROIPC_OK) status = zipc_table_lookup(m, name, entry);
  if (status == ZEROIPC_E_NOT_FOUND) {
    char w[ZIPC_WHO_SIZE];
    char kind_text[48];
    zipc_who(m, name, w, sizeof w);
    if (kind == 0) return zipc_fail(ZEROIPC_E_NOT_FOUND, "%s: no such structure", w);
    return zipc_fail(ZEROIPC_E_NOT_FOUND, "%s: no such structure (expected a %s created by another process first)", w,
                     zipc_kind_name(kind, kind_text, sizeof kind_text));
  }
  return status;
}

int zipc_structure_open(zipc_mapping* m, const char* name, const zipc_struct_spec* spec, zipc_opened* out) {
  zeroipc_entry_info entry;
  int status = find(m, name, spec->kind, &entry);
  if (status == ZEROIPC_OK) status = check_element(m, name, spec);
  if (status == ZEROIPC_OK) status = check(m, &entry, spec, 0, out);
  return status;
}

int zipc_structure_peek(zipc_mapping* m, const char* name, zeroipc_struct_header* out) {
  return zipc_structure_peek_kind(m, name, 0, out);
}

int zipc_structure_peek_kind(zipc_mapping* m, const char* name, uint16_t kind, zeroipc_struct_header* out) {
  zeroipc_entry_info entry;
  char w[ZIPC_WHO_SIZE];
  const int status = find(m, name, kind, &entry);
  if (status != ZEROIPC_OK) return status;
  return copy_header(m, &entry, zipc_who(m, entry.name, w, sizeof w), out);
}

int zeroipc_structure_info_of(zeroipc_memory* mem, const char* name, zeroipc_structure_info* out) {
  zipc_mapping* m;
  zeroipc_struct_header h;
  int status;
  if (mem == NULL || name == NULL || out == NULL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc_structure_info_of: NULL argument");
  }
  m = zipc_memory_mapping(mem);
  status = find(m, name, 0, &out->entry);
  if (status == ZEROIPC_OK) status = zipc_structure_peek(m, name, &h);
  if (status != ZEROIPC_OK) return status;
  out->kind = h.kind;
  out->variant = h.variant;
  out->element_size = h.element_size;
  out->dtype = h.dtype;
  out->capacity = h.capacity;
  out->total_size = h.total_size;
  zipc_kind_name(h.kind, out->kind_name, sizeof out->kind_name);
  if (h.variant == 0) {
    out->variant_name[0] = '\0';
  } else {
    zipc_variant_name(h.kind, h.variant, out->variant_name, sizeof out->variant_name);
  }
  zipc_dtype_name(h.dtype, out->dtype_name, sizeof out->dtype_name);
  return ZEROIPC_OK;
}
