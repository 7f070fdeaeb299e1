/* map_locked_probe.c — Map (kind 4) and Set (kind 5), variant 1 locked_probe
 * (SPECIFICATION.md §7.8, §7.8.1), as the C++ zeroipc::Map / zeroipc::Set
 * (lib/include/zeroipc/map.h, set.h) over variants/include/zeroipc/variants/
 * locked_probe.h: the same table byte for byte, the same lock, the same repair.
 *
 * A bounded hash table of fixed-size byte keys (and, for a map, values),
 * compared with memcmp: linear probing (Knuth, TAOCP vol. 3, 6.4 algorithm L)
 * with tombstones, under one owner lock (§3.2, owner_lock.c) that every
 * operation, find included, holds. The home slot of a key is
 * h & (S - 1), h = fmix64(fnv1a64(key)) (zeroipc_key_hash, layout/map.h);
 * a probe visits at most S slots, so no operation loops on hostile bytes.
 * A set is the same table with value_size 0.
 *
 *   insert (absent key): key, value and hash half written into the first
 *     tombstone of the probe, else the empty slot that ended it; then
 *     state = full (the insert takes effect here); then count, tombstones,
 *     inserted. More than `capacity` keys: ZEROIPC_FULL.
 *   assign (present key): the old value to the journal (body offset 128),
 *     journal = 1 + slot, the new value, journal = 0, assigned += 1.
 *   erase: state = tombstone (takes effect here); count, erased; trailing
 *     tombstones before an empty slot become empty; when tombstones reach
 *     S / 4 the live keys are copied into the other table (cleared first)
 *     and `active` switches to it with one store (the rebuild takes effect there).
 *   for_each: the live table's slots in order, the caller's function called
 *     on each full one with the lock held all along (as C++ for_each): one
 *     consistent view, writes nothing. A callback that uses the same table
 *     from this thread would wait for itself forever: each thread keeps the
 *     tables it walks on a list (`walking`), and lock() refuses those.
 *   snapshot: the same walk, copying keys (and values) out instead, for a
 *     caller whose code must not run under the lock (the Python package).
 *
 * Memory ordering: (L1) the acquire CAS that takes the owner lock pairs with
 * (L2) the release exchange that frees it (owner_lock.c): everything a holder
 * wrote is visible to the next. `active`, the counters and every slot state
 * are atomic (relaxed) only so that size() and tools may read them unlocked.
 *
 * What a kill costs: nothing is lost, nothing is duplicated. A holder killed
 * anywhere leaves each operation done or not done (each takes effect with
 * one store); the one multi-store write, an assignment, is journalled: whoever
 * takes the lock over from a dead holder copies a journalled value back (the
 * assignment did not happen) and recounts count and tombstones from the live
 * table (O(S), only then). A for_each killed inside its callback wrote
 * nothing: the next operation takes the lock over and recounts.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define NONE UINT64_MAX

struct zeroipc_map {
  zipc_mapping* m;       /* one reference: the segment stays mapped while the handle lives */
  uint8_t* body;         /* zeroipc_probe_control, then the journal value, then tables A and B */
  uint64_t capacity;     /* from the checked copy of the header (§5) */
  uint64_t table_size;   /* S, a power of two */
  uint64_t stride;       /* bytes per slot */
  uint64_t value_at;     /* the value's offset within a slot */
  uint64_t tables_at;    /* J: table A's offset in the body */
  uint32_t key_size;
  uint32_t value_size;   /* 0 for a set */
  char where[ZIPC_WHERE_SIZE];
};

struct zeroipc_set {
  zeroipc_map map;  /* the same table, value_size 0 */
};

/* ------------------------------------------------------------------ the table */

static zeroipc_probe_control* ctl(const zeroipc_map* t) { return (zeroipc_probe_control*)t->body; }

static uint8_t* table_of(const zeroipc_map* t, uint32_t which) {
  return t->body + t->tables_at + which * t->table_size * t->stride;
}

static uint8_t* slot(const zeroipc_map* t, uint8_t* slots, uint64_t i) { return slots + i * t->stride; }

static uint32_t* state_word(uint8_t* s) { return &((zeroipc_probe_slot*)s)->state; }

static uint64_t load(const uint64_t* word) { return __atomic_load_n(word, __ATOMIC_RELAXED); }
static void store(uint64_t* word, uint64_t value) { __atomic_store_n(word, value, __ATOMIC_RELAXED); }

/* The state of slot s into *st: empty, full or tombstone; anything else is corrupt. */
static int state_of(const zeroipc_map* t, uint8_t* s, uint32_t* st) {
  const uint32_t v = __atomic_load_n(state_word(s), __ATOMIC_RELAXED);
  if (v > ZEROIPC_PROBE_SLOT_TOMBSTONE) {
    return zipc_fail(ZEROIPC_E_CORRUPT, "%s: slot state %u (expected 0 empty, 1 full or 2 tombstone)", t->where,
                     (unsigned)v);
  }
  *st = v;
  return ZEROIPC_OK;
}

typedef struct probe_result {
  uint64_t found;      /* the key's slot */
  uint64_t tombstone;  /* the first tombstone on the way */
  uint64_t empty;      /* the empty slot that ended the probe */
} probe_result;

/* At most S slots, from the key's home slot. */
static int probe(const zeroipc_map* t, uint8_t* slots, const void* key, uint64_t h, probe_result* p) {
  const uint32_t hi = (uint32_t)(h >> 32);
  const uint64_t mask = t->table_size - 1u;
  uint64_t n, i;
  p->found = p->tombstone = p->empty = NONE;
  for (n = 0, i = h & mask; n < t->table_size; ++n, i = (i + 1u) & mask) {
    uint8_t* s = slot(t, slots, i);
    uint32_t st = 0, shi;
    const int status = state_of(t, s, &st);
    if (status != ZEROIPC_OK) return status;
    if (st == ZEROIPC_PROBE_SLOT_EMPTY) {
      p->empty = i;
      return ZEROIPC_OK;
    }
    if (st == ZEROIPC_PROBE_SLOT_TOMBSTONE) {
      if (p->tombstone == NONE) p->tombstone = i;
      continue;
    }
    memcpy(&shi, s + 4, 4);
    if (shi == hi && memcmp(s + ZEROIPC_PROBE_SLOT_KEY_OFFSET, key, t->key_size) == 0) {
      p->found = i;
      return ZEROIPC_OK;
    }
  }
  return ZEROIPC_OK;
}

/* After taking the lock over from a dead holder: undo a half-done assignment, recount. */
static int repair(const zeroipc_map* t, uint8_t* slots) {
  zeroipc_probe_control* c = ctl(t);
  const uint64_t j = load(&c->journal);
  uint64_t full = 0, tombs = 0, i;
  if (j != 0) {
    if (j > t->table_size) {
      return zipc_fail(ZEROIPC_E_CORRUPT, "%s: journal names slot %" PRIu64 " of %" PRIu64, t->where, j - 1u,
                       t->table_size);
    }
    memcpy(slot(t, slots, j - 1u) + t->value_at, t->body + ZEROIPC_PROBE_JOURNAL_OFFSET, t->value_size);
    store(&c->journal, 0);
  }
  for (i = 0; i < t->table_size; ++i) {
    uint32_t st = 0;
    const int status = state_of(t, slot(t, slots, i), &st);
    if (status != ZEROIPC_OK) return status;
    full += st == ZEROIPC_PROBE_SLOT_FULL;
    tombs += st == ZEROIPC_PROBE_SLOT_TOMBSTONE;
  }
  store(&c->count, full);
  store(&c->tombstones, tombs);
  return ZEROIPC_OK;
}

static void unlock(const zeroipc_map* t) { zipc_owner_unlock(&ctl(t)->lock, &ctl(t)->holder_pid); }

/* The tables this thread walks now (for_each, innermost first): their locks
 * are held by this thread, so a callback's operation on one is refused. */
typedef struct walk {
  const zeroipc_probe_control* table;
  const struct walk* outer;
} walk;
static __thread const walk* walking;

/* Takes the lock (a live holder is waited for however long it takes, a dead
 * one is taken over and its leftovers repaired); *slots = the live table.
 * On an error the lock is not held. */
static int lock(const zeroipc_map* t, uint8_t** slots) {
  zeroipc_probe_control* c = ctl(t);
  int took_over = 0;
  for (const walk* w = walking; w != NULL; w = w->outer) {
    if (w->table == c) {
      return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT,
                       "%s: used from inside its own for_each callback, which holds its lock (it would wait for "
                       "itself forever)",
                       t->where);
    }
  }
  int status = zipc_owner_lock(t->m, &c->lock, &c->holder_pid, t->where, -1, &took_over); /* (L1) */
  if (status != ZEROIPC_OK) return status;
  const uint32_t a = __atomic_load_n(&c->active, __ATOMIC_RELAXED);
  if (a > ZEROIPC_PROBE_TABLE_B) {
    status = zipc_fail(ZEROIPC_E_CORRUPT, "%s: active table %u (expected 0 or 1)", t->where, (unsigned)a);
  } else {
    *slots = table_of(t, a);
    if (took_over) status = repair(t, *slots);
  }
  if (status != ZEROIPC_OK) unlock(t); /* (L2) */
  return status;
}

/* Fills the other table with the live keys, then switches to it. */
static int rebuild(const zeroipc_map* t, uint8_t* from) {
  zeroipc_probe_control* c = ctl(t);
  const uint32_t other = 1u - __atomic_load_n(&c->active, __ATOMIC_RELAXED);
  const uint64_t mask = t->table_size - 1u;
  uint8_t* to = table_of(t, other);
  uint64_t i;
  memset(to, 0, t->table_size * t->stride);
  for (i = 0; i < t->table_size; ++i) {
    uint8_t* s = slot(t, from, i);
    uint32_t st = 0;
    int status = state_of(t, s, &st);
    if (status != ZEROIPC_OK) return status;
    if (st != ZEROIPC_PROBE_SLOT_FULL) continue;
    uint64_t j = zeroipc_key_hash(s + ZEROIPC_PROBE_SLOT_KEY_OFFSET, t->key_size) & mask;
    for (uint64_t n = 0;; ++n, j = (j + 1u) & mask) {
      if (n == t->table_size) {
        return zipc_fail(ZEROIPC_E_CORRUPT, "%s: the rebuilt table filled up (its bytes changed under the lock)",
                         t->where);
      }
      status = state_of(t, slot(t, to, j), &st);
      if (status != ZEROIPC_OK) return status;
      if (st == ZEROIPC_PROBE_SLOT_EMPTY) break;
    }
    memcpy(slot(t, to, j), s, t->stride);
  }
  __atomic_store_n(&c->active, other, __ATOMIC_RELAXED); /* the rebuild happens here */
  store(&c->tombstones, 0);
  store(&c->rebuilds, load(&c->rebuilds) + 1u);
  return ZEROIPC_OK;
}

/* ZEROIPC_OK (inserted), ZEROIPC_PRESENT (present: left alone, or with
 * `assign` its value replaced), ZEROIPC_FULL (with the C++ StructureFull
 * message set), or an error. Under the lock. */
static int insert_locked(const zeroipc_map* t, uint8_t* slots, const void* key, const void* value, int assign) {
  zeroipc_probe_control* c = ctl(t);
  const uint64_t h = zeroipc_key_hash(key, t->key_size);
  probe_result p;
  int status = probe(t, slots, key, h, &p);
  if (status != ZEROIPC_OK) return status;
  if (p.found != NONE) {
    if (!assign) return ZEROIPC_PRESENT;
    uint8_t* s = slot(t, slots, p.found);
    memcpy(t->body + ZEROIPC_PROBE_JOURNAL_OFFSET, s + t->value_at, t->value_size);
    store(&c->journal, p.found + 1u);
    if (value != NULL) memcpy(s + t->value_at, value, t->value_size); /* a set has no value */
    store(&c->journal, 0);
    store(&c->assigned, load(&c->assigned) + 1u);
    return ZEROIPC_PRESENT;
  }
  const uint64_t n = load(&c->count);
  if (n >= t->capacity) return zipc_fail(ZEROIPC_FULL, "%s: holds %" PRIu64 " keys, its capacity", t->where, n);
  const uint64_t at = p.tombstone != NONE ? p.tombstone : p.empty;
  if (at == NONE) { /* every slot full, yet fewer than capacity < S keys counted */
    return zipc_fail(ZEROIPC_E_CORRUPT, "%s: all %" PRIu64 " slots are full but the count is %" PRIu64, t->where,
                     t->table_size, n);
  }
  uint8_t* s = slot(t, slots, at);
  const uint32_t hi = (uint32_t)(h >> 32);
  const int reused = at == p.tombstone;
  memcpy(s + ZEROIPC_PROBE_SLOT_KEY_OFFSET, key, t->key_size);
  if (value != NULL) memcpy(s + t->value_at, value, t->value_size); /* a set has no value */
  memcpy(s + 4, &hi, 4);
  __atomic_store_n(state_word(s), ZEROIPC_PROBE_SLOT_FULL, __ATOMIC_RELAXED); /* the insert happens here */
  store(&c->count, n + 1u);
  if (reused) store(&c->tombstones, load(&c->tombstones) - 1u);
  store(&c->inserted, load(&c->inserted) + 1u);
  return ZEROIPC_OK;
}

static int erase_locked(const zeroipc_map* t, uint8_t* slots, const void* key) {
  zeroipc_probe_control* c = ctl(t);
  const uint64_t mask = t->table_size - 1u;
  probe_result p;
  int status = probe(t, slots, key, zeroipc_key_hash(key, t->key_size), &p);
  if (status != ZEROIPC_OK) return status;
  if (p.found == NONE) return ZEROIPC_ABSENT;
  __atomic_store_n(state_word(slot(t, slots, p.found)), ZEROIPC_PROBE_SLOT_TOMBSTONE,
                   __ATOMIC_RELAXED); /* the erase happens here */
  store(&c->count, load(&c->count) - 1u);
  store(&c->erased, load(&c->erased) + 1u);
  uint64_t tombs = load(&c->tombstones) + 1u;
  /* A tombstone followed by an empty slot ends no probe that an empty slot
   * would not end: it (and the tombstones before it) become empty, one store
   * each, every intermediate state valid. */
  uint64_t i = p.found;
  for (uint64_t n = 0; n < t->table_size && tombs > 0; ++n) {
    uint32_t next = 0, here = 0;
    status = state_of(t, slot(t, slots, (i + 1u) & mask), &next);
    if (status == ZEROIPC_OK && next == ZEROIPC_PROBE_SLOT_EMPTY) status = state_of(t, slot(t, slots, i), &here);
    if (status != ZEROIPC_OK) return status;
    if (next != ZEROIPC_PROBE_SLOT_EMPTY || here != ZEROIPC_PROBE_SLOT_TOMBSTONE) break;
    __atomic_store_n(state_word(slot(t, slots, i)), ZEROIPC_PROBE_SLOT_EMPTY, __ATOMIC_RELAXED);
    --tombs;
    i = (i - 1u) & mask;
  }
  store(&c->tombstones, tombs);
  if (tombs >= t->table_size / 4u) return rebuild(t, slots);
  return ZEROIPC_OK;
}

static int find_locked(const zeroipc_map* t, uint8_t* slots, const void* key, void* value_out) {
  probe_result p;
  const int status = probe(t, slots, key, zeroipc_key_hash(key, t->key_size), &p);
  if (status != ZEROIPC_OK) return status;
  if (p.found == NONE) return ZEROIPC_ABSENT;
  if (value_out != NULL && t->value_size != 0) memcpy(value_out, slot(t, slots, p.found) + t->value_at, t->value_size);
  return ZEROIPC_OK;
}

/* fn on every full slot of the live table, in order, until fn returns non-zero (returned). */
static int for_each_locked(const zeroipc_map* t, uint8_t* slots, int (*fn)(const uint8_t* s, void* ctx), void* ctx) {
  for (uint64_t i = 0; i < t->table_size; ++i) {
    uint8_t* s = slot(t, slots, i);
    uint32_t st = 0;
    int status = state_of(t, s, &st);
    if (status != ZEROIPC_OK) return status;
    if (st != ZEROIPC_PROBE_SLOT_FULL) continue;
    status = fn(s, ctx);
    if (status != 0) return status;
  }
  return ZEROIPC_OK;
}

/* The operations under the lock; each returns its status with the lock freed (L2). */
static int do_insert(const zeroipc_map* t, const void* key, const void* value, int assign) {
  uint8_t* slots = NULL;
  int status = lock(t, &slots);
  if (status != ZEROIPC_OK) return status;
  status = insert_locked(t, slots, key, value, assign);
  unlock(t);
  return status;
}

static int do_erase(const zeroipc_map* t, const void* key) {
  uint8_t* slots = NULL;
  int status = lock(t, &slots);
  if (status != ZEROIPC_OK) return status;
  status = erase_locked(t, slots, key);
  unlock(t);
  return status;
}

static int do_find(const zeroipc_map* t, const void* key, void* value_out) {
  uint8_t* slots = NULL;
  int status = lock(t, &slots);
  if (status != ZEROIPC_OK) return status;
  status = find_locked(t, slots, key, value_out);
  unlock(t);
  return status;
}

/* The caller's callback of a map's or a set's for_each. */
typedef struct visit {
  const zeroipc_map* t;
  zeroipc_map_visitor map_fn;
  zeroipc_set_visitor set_fn;
  void* ctx;
} visit;

static int visit_slot(const uint8_t* s, void* ctx) {
  const visit* v = ctx;
  if (v->map_fn != NULL) return v->map_fn(s + ZEROIPC_PROBE_SLOT_KEY_OFFSET, s + v->t->value_at, v->ctx);
  return v->set_fn(s + ZEROIPC_PROBE_SLOT_KEY_OFFSET, v->ctx);
}

static int do_for_each(const zeroipc_map* t, visit* v) {
  uint8_t* slots = NULL;
  int status = lock(t, &slots);
  if (status != ZEROIPC_OK) return status;
  const walk w = {ctl(t), walking};
  walking = &w;
  status = for_each_locked(t, slots, visit_slot, v);
  walking = w.outer;
  unlock(t);
  return status;
}

/* The copies of a snapshot: up to `max` keys (and values), and how many there are. */
typedef struct copy_out {
  const zeroipc_map* t;
  uint8_t* keys;
  uint8_t* values;
  uint64_t max;
  uint64_t n;
} copy_out;

static int copy_slot(const uint8_t* s, void* ctx) {
  copy_out* c = ctx;
  if (c->n < c->max) {
    memcpy(c->keys + c->n * c->t->key_size, s + ZEROIPC_PROBE_SLOT_KEY_OFFSET, c->t->key_size);
    if (c->values != NULL && c->t->value_size != 0) {
      memcpy(c->values + c->n * c->t->value_size, s + c->t->value_at, c->t->value_size);
    }
  }
  ++c->n; /* at most S: counted on past `max`, so the caller knows how much room it takes */
  return 0;
}

static int do_snapshot(const zeroipc_map* t, void* keys, void* values, uint64_t max_keys, uint64_t* count) {
  copy_out c = {t, keys, values, max_keys, 0};
  uint8_t* slots = NULL;
  *count = 0;
  int status = lock(t, &slots);
  if (status != ZEROIPC_OK) return status;
  status = for_each_locked(t, slots, copy_slot, &c);
  unlock(t);
  if (status != ZEROIPC_OK) return status;
  *count = c.n;
  return c.n > max_keys ? ZEROIPC_FULL : ZEROIPC_OK;
}

/* ------------------------------------------------------------------ create / open */

static uint64_t keyed_total_size(uint64_t capacity, uint32_t element_size, uint32_t key_size) {
  return zeroipc_probe_total_size(capacity, key_size, element_size);
}

/* A set's element_size is its key size; it has no values. */
static uint64_t set_total_size(uint64_t capacity, uint32_t element_size, uint32_t key_size) {
  (void)element_size;
  return zeroipc_probe_total_size(capacity, key_size, 0);
}

/* The C++ Map<K, V>::spec() / Set<K>::spec(). */
static zipc_struct_spec keyed_spec(uint16_t kind, uint32_t key_size, uint32_t value_size, uint8_t dtype) {
  zipc_struct_spec spec;
  memset(&spec, 0, sizeof spec);
  spec.kind = kind;
  spec.variant = ZEROIPC_VARIANT_MAP_LOCKED_PROBE;
  spec.layout_version = ZEROIPC_LAYOUT_VERSION;
  spec.dtype = dtype;
  spec.key_size = key_size;
  if (kind == ZEROIPC_KIND_MAP) {
    spec.element_size = value_size;
    spec.element_size_name = "value size";
    spec.keyed_total_size = keyed_total_size;
    spec.type_name = "Map";
  } else {
    spec.element_size = key_size;
    spec.element_size_name = "key size";
    spec.keyed_total_size = set_total_size;
    spec.type_name = "Set";
  }
  return spec;
}

/* What C++ derives from its key type (a size of at least 1). */
static int check_key_size(zipc_mapping* m, const char* name, uint32_t key_size) {
  char who[ZIPC_WHERE_SIZE];
  if (key_size != 0) return ZEROIPC_OK;
  return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "%s: key size 0 is not allowed (expected at least 1 byte)",
                   zipc_who(m, name, who, sizeof who));
}

/* The C++ KeyTableHandle::check_capacity. */
static int check_capacity(zipc_mapping* m, const char* name, uint16_t kind, uint64_t capacity, uint32_t key_size,
                          uint32_t value_size) {
  char where[ZIPC_WHERE_SIZE];
  if (zeroipc_probe_body_size(capacity, key_size, value_size) != 0) return ZEROIPC_OK;
  return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "%s: capacity %" PRIu64 " is not allowed (expected 1 to %" PRIu64 " keys)",
                   zipc_where(m, name, kind, ZEROIPC_VARIANT_MAP_LOCKED_PROBE, where, sizeof where), capacity,
                   (uint64_t)ZEROIPC_PROBE_MAX_CAPACITY);
}

static int fill_handle(zeroipc_map* t, zipc_mapping* m, const char* name, uint16_t kind, const zipc_opened* opened,
                       uint32_t key_size, uint32_t value_size) {
  zipc_mapping_ref(m);
  t->m = m;
  t->body = opened->base + ZEROIPC_BODY_OFFSET;
  t->capacity = opened->header.capacity; /* the total size was checked against it, key and value sizes */
  t->table_size = zeroipc_probe_table_size(t->capacity);
  t->key_size = key_size;
  t->value_size = value_size;
  t->stride = zeroipc_probe_stride(key_size, value_size);
  t->value_at = zeroipc_probe_slot_value_offset(key_size);
  t->tables_at = zeroipc_probe_tables_offset(value_size);
  zipc_where(m, name, kind, ZEROIPC_VARIANT_MAP_LOCKED_PROBE, t->where, sizeof t->where);
  return ZEROIPC_OK;
}

/* Creates (capacity != 0) or opens (capacity 0) the map or set `name` into *t. */
static int attach(zeroipc_memory* mem, const char* name, uint16_t kind, int create, uint64_t capacity,
                  uint32_t key_size, uint32_t value_size, uint8_t dtype, zeroipc_map* t) {
  zipc_mapping* m = zipc_memory_mapping(mem);
  const zipc_struct_spec spec = keyed_spec(kind, key_size, value_size, dtype);
  zipc_opened opened;
  int status = check_key_size(m, name, key_size);
  if (status == ZEROIPC_OK && create) status = check_capacity(m, name, kind, capacity, key_size, value_size);
  if (status != ZEROIPC_OK) return status;
  /* The zeroed body is an empty table A, lock free: nothing to initialise. */
  status = create ? zipc_structure_create(m, name, &spec, capacity, NULL, NULL, &opened)
                  : zipc_structure_open(m, name, &spec, &opened);
  if (status != ZEROIPC_OK) return status;
  return fill_handle(t, m, name, kind, &opened, key_size, value_size);
}

static int null_argument(const char* function) {
  return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: %s: a NULL argument", function);
}

/* ------------------------------------------------------------------ Map */

static int map_new(zeroipc_memory* mem, const char* name, int create, uint64_t capacity, uint32_t key_size,
                   uint32_t value_size, uint8_t value_dtype, zeroipc_map** out) {
  zeroipc_map* t = calloc(1, sizeof *t);
  if (t == NULL) return zipc_fail(ZEROIPC_E_NO_MEMORY, "zeroipc: no memory for a map handle");
  const int status = attach(mem, name, ZEROIPC_KIND_MAP, create, capacity, key_size, value_size, value_dtype, t);
  if (status != ZEROIPC_OK) {
    free(t);
    return status;
  }
  *out = t;
  return ZEROIPC_OK;
}

int zeroipc_map_create(zeroipc_memory* mem, const char* name, uint64_t capacity, uint32_t key_size,
                       uint32_t value_size, uint8_t value_dtype, zeroipc_map** out) {
  if (mem == NULL || name == NULL || out == NULL) return null_argument("zeroipc_map_create");
  *out = NULL;
  return map_new(mem, name, 1, capacity, key_size, value_size, value_dtype, out);
}

int zeroipc_map_open(zeroipc_memory* mem, const char* name, uint32_t key_size, uint32_t value_size,
                     uint8_t value_dtype, zeroipc_map** out) {
  if (mem == NULL || name == NULL || out == NULL) return null_argument("zeroipc_map_open");
  *out = NULL;
  return map_new(mem, name, 0, 0, key_size, value_size, value_dtype, out);
}

void zeroipc_map_close(zeroipc_map* map) {
  if (map == NULL) return;
  zipc_mapping_unref(map->m);
  free(map);
}

int zeroipc_map_insert(zeroipc_map* map, const void* key, const void* value) {
  if (map == NULL || key == NULL || value == NULL) return null_argument("zeroipc_map_insert");
  return do_insert(map, key, value, 0);
}

int zeroipc_map_insert_or_assign(zeroipc_map* map, const void* key, const void* value) {
  if (map == NULL || key == NULL || value == NULL) return null_argument("zeroipc_map_insert_or_assign");
  return do_insert(map, key, value, 1);
}

int zeroipc_map_find(zeroipc_map* map, const void* key, void* value) {
  if (map == NULL || key == NULL) return null_argument("zeroipc_map_find");
  return do_find(map, key, value);
}

int zeroipc_map_contains(zeroipc_map* map, const void* key) {
  if (map == NULL || key == NULL) return null_argument("zeroipc_map_contains");
  return do_find(map, key, NULL);
}

int zeroipc_map_erase(zeroipc_map* map, const void* key) {
  if (map == NULL || key == NULL) return null_argument("zeroipc_map_erase");
  return do_erase(map, key);
}

int zeroipc_map_for_each(zeroipc_map* map, zeroipc_map_visitor fn, void* ctx) {
  if (map == NULL || fn == NULL) return null_argument("zeroipc_map_for_each");
  visit v = {map, fn, NULL, ctx};
  return do_for_each(map, &v);
}

int zeroipc_map_snapshot(zeroipc_map* map, void* keys, void* values, uint64_t max_keys, uint64_t* count) {
  if (map == NULL || count == NULL || (keys == NULL && max_keys != 0)) return null_argument("zeroipc_map_snapshot");
  return do_snapshot(map, keys, values, max_keys, count);
}

uint64_t zeroipc_map_size(const zeroipc_map* map) { return load(&ctl(map)->count); }
uint64_t zeroipc_map_capacity(const zeroipc_map* map) { return map->capacity; }
uint32_t zeroipc_map_key_size(const zeroipc_map* map) { return map->key_size; }
uint32_t zeroipc_map_value_size(const zeroipc_map* map) { return map->value_size; }

/* ------------------------------------------------------------------ Set */

static int set_new(zeroipc_memory* mem, const char* name, int create, uint64_t capacity, uint32_t key_size,
                   uint8_t key_dtype, zeroipc_set** out) {
  zeroipc_set* s = calloc(1, sizeof *s);
  if (s == NULL) return zipc_fail(ZEROIPC_E_NO_MEMORY, "zeroipc: no memory for a set handle");
  const int status = attach(mem, name, ZEROIPC_KIND_SET, create, capacity, key_size, 0, key_dtype, &s->map);
  if (status != ZEROIPC_OK) {
    free(s);
    return status;
  }
  *out = s;
  return ZEROIPC_OK;
}

int zeroipc_set_create(zeroipc_memory* mem, const char* name, uint64_t capacity, uint32_t key_size,
                       uint8_t key_dtype, zeroipc_set** out) {
  if (mem == NULL || name == NULL || out == NULL) return null_argument("zeroipc_set_create");
  *out = NULL;
  return set_new(mem, name, 1, capacity, key_size, key_dtype, out);
}

int zeroipc_set_open(zeroipc_memory* mem, const char* name, uint32_t key_size, uint8_t key_dtype,
                     zeroipc_set** out) {
  if (mem == NULL || name == NULL || out == NULL) return null_argument("zeroipc_set_open");
  *out = NULL;
  return set_new(mem, name, 0, 0, key_size, key_dtype, out);
}

void zeroipc_set_close(zeroipc_set* set) {
  if (set == NULL) return;
  zipc_mapping_unref(set->map.m);
  free(set);
}

int zeroipc_set_insert(zeroipc_set* set, const void* key) {
  if (set == NULL || key == NULL) return null_argument("zeroipc_set_insert");
  return do_insert(&set->map, key, NULL, 0);
}

int zeroipc_set_contains(zeroipc_set* set, const void* key) {
  if (set == NULL || key == NULL) return null_argument("zeroipc_set_contains");
  return do_find(&set->map, key, NULL);
}

int zeroipc_set_erase(zeroipc_set* set, const void* key) {
  if (set == NULL || key == NULL) return null_argument("zeroipc_set_erase");
  return do_erase(&set->map, key);
}

int zeroipc_set_for_each(zeroipc_set* set, zeroipc_set_visitor fn, void* ctx) {
  if (set == NULL || fn == NULL) return null_argument("zeroipc_set_for_each");
  visit v = {&set->map, NULL, fn, ctx};
  return do_for_each(&set->map, &v);
}

int zeroipc_set_snapshot(zeroipc_set* set, void* keys, uint64_t max_keys, uint64_t* count) {
  if (set == NULL || count == NULL || (keys == NULL && max_keys != 0)) return null_argument("zeroipc_set_snapshot");
  return do_snapshot(&set->map, keys, NULL, max_keys, count);
}

uint64_t zeroipc_set_size(const zeroipc_set* set) { return load(&ctl(&set->map)->count); }
uint64_t zeroipc_set_capacity(const zeroipc_set* set) { return set->map.capacity; }
