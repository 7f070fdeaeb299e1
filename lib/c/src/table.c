/* table.c — the name table (§3), as lib/src/table.cpp: lock-free lookups of
 * READY entries; entries reserved under the table lock (§3.2, an owner lock)
 * with recovery from a holder or creator that died (§3.3); structures
 * initialised outside the lock by a creator whose key is in its entry, so
 * that a large structure does not keep other creators waiting (§3.1).
 *
 * Memory-ordering pairs:
 *   (T1) the release store of state = READY after initialising the structure
 *        pairs with (T2) the acquire load of state in lookups: a reader that
 *        sees READY sees the name, offset, size and the initialised structure.
 *   (T3) the release store of table_count after writing a new entry pairs
 *        with (T4) the acquire load of table_count in lookups.
 *   (L1)/(L2) the owner lock (owner_lock.c): everything one creator wrote
 *        under the lock is visible to the next.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* §3.2: a holder alive for longer than this is an error, not a hang (the C++ default, 10 s). */
#define ZIPC_TABLE_PATIENCE_NS INT64_C(10000000000)
/* §3.1 step 2: the creator of a RESERVED entry is checked at least this often. */
#define ZIPC_CREATOR_CHECK_NS INT64_C(20000000)

#define ZIPC_WHERE_SIZE 1200

static zeroipc_segment_header* header_of(const zipc_mapping* m) { return (zeroipc_segment_header*)(void*)m->base; }

static zeroipc_table_entry* entry_at(const zipc_mapping* m, uint32_t i) {
  return (zeroipc_table_entry*)(void*)(m->base + zeroipc_table_entry_offset(m->table_offset, i));
}

/* "zeroipc: segment '<name>'", the prefix of the table's messages. */
static const char* where(const zipc_mapping* m, char* buf, size_t buf_size) {
  char quoted[ZIPC_WHERE_SIZE];
  snprintf(buf, buf_size, "zeroipc: segment %s", zipc_quoted(m->name, quoted, sizeof quoted));
  return buf;
}

static const char* printable_name(const char* name, char* buf, size_t buf_size) {
  return zipc_printable(name, strnlen(name, ZEROIPC_TABLE_NAME_SIZE + 1), buf, buf_size);
}

/* ------------------------------------------------------------------ names (§3) */

static int bad_structure_name(const char* name, const char* why) {
  char text[ZIPC_WHERE_SIZE];
  zipc_printable(name, strlen(name), text, sizeof text);
  return zipc_fail(ZEROIPC_E_INVALID_NAME,
                   "zeroipc: invalid structure name '%s': %s (expected 1 to %u printable ASCII bytes)", text, why,
                   ZEROIPC_MAX_STRUCTURE_NAME_LENGTH);
}

int zipc_check_structure_name(const char* name) {
  if (name == NULL) return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: the structure name is NULL");
  const size_t length = strlen(name);
  char why[64];
  if (length == 0) return bad_structure_name(name, "it is empty");
  if (length > ZEROIPC_MAX_STRUCTURE_NAME_LENGTH) {
    snprintf(why, sizeof why, "it is %zu bytes long", length);
    return bad_structure_name(name, why);
  }
  for (size_t i = 0; i < length; ++i) {
    const unsigned char c = (unsigned char)name[i];
    if (c < 0x20 || c > 0x7e) {
      char byte[8];
      snprintf(why, sizeof why, "it contains the byte %s", zipc_printable(name + i, 1, byte, sizeof byte));
      return bad_structure_name(name, why);
    }
  }
  return ZEROIPC_OK;
}

/* ------------------------------------------------------------------ checked loads (§5 item 5) */

static int load_count(const zipc_mapping* m, int order, uint32_t* count) {
  *count = __atomic_load_n(&header_of(m)->table_count, order);
  if (*count > m->table_capacity) {
    char w[ZIPC_WHERE_SIZE];
    return zipc_fail(ZEROIPC_E_CORRUPT, "%s: table_count %u exceeds table_capacity %u", where(m, w, sizeof w),
                     (unsigned)*count, (unsigned)m->table_capacity);
  }
  return ZEROIPC_OK;
}

static int load_cursor(const zipc_mapping* m, uint64_t* cursor) {
  *cursor = __atomic_load_n(&header_of(m)->alloc_cursor, __ATOMIC_RELAXED);
  if (*cursor < m->data_offset || *cursor > m->size || *cursor % ZEROIPC_CACHE_LINE != 0) {
    char w[ZIPC_WHERE_SIZE];
    return zipc_fail(ZEROIPC_E_CORRUPT, "%s: alloc_cursor %llu is not a multiple of 64 inside the heap [%llu, %llu]",
                     where(m, w, sizeof w), (unsigned long long)*cursor, (unsigned long long)m->data_offset,
                     (unsigned long long)m->size);
  }
  return ZEROIPC_OK;
}

/* ------------------------------------------------------------------ lookups (§3, §5 item 6) */

/* A private copy of entry i if it is READY (1, else 0): every field read
 * once, after the acquire load of its state, so that what is checked is
 * what is used. READY entries never change: a hostile peer is the only writer. */
static int copy_ready_entry(const zipc_mapping* m, uint32_t i, zeroipc_table_entry* copy) {
  const zeroipc_table_entry* shared = entry_at(m, i);
  copy->state = __atomic_load_n(&shared->state, __ATOMIC_ACQUIRE); /* (T2) */
  if (copy->state != ZEROIPC_ENTRY_READY) return 0;
  memcpy(copy->name, shared->name, sizeof copy->name);
  copy->offset = shared->offset;
  copy->size = shared->size;
  copy->creator_pid = shared->creator_pid;
  return 1;
}

/* §5 item 6 on the copy `e` of entry i; the entry's description into *out. */
static int check_entry(const zipc_mapping* m, uint32_t i, const zeroipc_table_entry* e, zeroipc_entry_info* out) {
  char w[ZIPC_WHERE_SIZE];
  char text[ZIPC_WHERE_SIZE];
  const size_t len = strnlen(e->name, sizeof e->name);
  where(m, w, sizeof w);
  if (len == sizeof e->name) {
    return zipc_fail(ZEROIPC_E_CORRUPT, "%s: table entry %u has a name without a terminating NUL", w, (unsigned)i);
  }
  if (len == 0) return zipc_fail(ZEROIPC_E_CORRUPT, "%s: table entry %u is READY with an empty name", w, (unsigned)i);
  for (size_t k = 0; k < len; ++k) {
    const unsigned char c = (unsigned char)e->name[k];
    if (c < 0x20 || c > 0x7e) {
      return zipc_fail(ZEROIPC_E_CORRUPT, "%s: table entry %u has the byte %s in its name (names are printable ASCII)",
                       w, (unsigned)i, zipc_printable(e->name + k, 1, text, sizeof text));
    }
  }
  zipc_printable(e->name, len, text, sizeof text);
  if (e->offset % ZEROIPC_CACHE_LINE != 0 || e->offset < m->data_offset) {
    return zipc_fail(ZEROIPC_E_CORRUPT,
                     "%s: table entry %u ('%s') has offset %llu, expected a multiple of 64 at or after the heap start %llu",
                     w, (unsigned)i, text, (unsigned long long)e->offset, (unsigned long long)m->data_offset);
  }
  if (e->size < sizeof(zeroipc_struct_header) || e->offset > m->size || e->size > m->size - e->offset) {
    return zipc_fail(ZEROIPC_E_CORRUPT,
                     "%s: table entry %u ('%s') has size %llu at offset %llu, expected at least 64 bytes inside the "
                     "%llu-byte segment",
                     w, (unsigned)i, text, (unsigned long long)e->size, (unsigned long long)e->offset,
                     (unsigned long long)m->size);
  }
  memset(out, 0, sizeof *out);
  memcpy(out->name, e->name, len);
  out->offset = e->offset;
  out->size = e->size;
  out->creator_pid = e->creator_pid;
  return ZEROIPC_OK;
}

/* Whether the 32 name bytes `entry_name` hold exactly `name`. */
static int name_is(const char* entry_name, const char* name) {
  const size_t len = strlen(name);
  return len < ZEROIPC_TABLE_NAME_SIZE && memcmp(entry_name, name, len) == 0 && entry_name[len] == '\0';
}

int zipc_table_lookup(zipc_mapping* m, const char* name, zeroipc_entry_info* out) {
  uint32_t count;
  const int status = load_count(m, __ATOMIC_ACQUIRE, &count); /* (T4) */
  if (status != ZEROIPC_OK) return status;
  for (uint32_t i = 0; i < count; ++i) {
    zeroipc_table_entry e;
    if (copy_ready_entry(m, i, &e) && name_is(e.name, name)) return check_entry(m, i, &e, out); /* (T2) */
  }
  return ZEROIPC_E_NOT_FOUND;
}

/* ------------------------------------------------------------------ the public API */

int zeroipc_table_find(zeroipc_memory* mem, const char* name, zeroipc_entry_info* out) {
  if (mem == NULL || name == NULL || out == NULL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_table_find: NULL argument");
  }
  zipc_mapping* m = zipc_memory_mapping(mem);
  const int status = zipc_table_lookup(m, name, out);
  if (status == ZEROIPC_E_NOT_FOUND) {
    char who[2 * ZIPC_WHERE_SIZE];
    return zipc_fail(ZEROIPC_E_NOT_FOUND, "%s: no such structure", zipc_who(m, name, who, sizeof who));
  }
  return status;
}

int zeroipc_table_entries(zeroipc_memory* mem, zeroipc_entry_info* out, size_t max, size_t* count) {
  if (mem == NULL || count == NULL || (out == NULL && max != 0)) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_table_entries: NULL argument");
  }
  const zipc_mapping* m = zipc_memory_mapping(mem);
  uint32_t used;
  int status = load_count(m, __ATOMIC_ACQUIRE, &used); /* (T4) */
  *count = 0;
  for (uint32_t i = 0; i < used && status == ZEROIPC_OK; ++i) {
    zeroipc_table_entry e;
    zeroipc_entry_info info;
    if (!copy_ready_entry(m, i, &e)) continue; /* (T2) */
    status = check_entry(m, i, &e, &info);
    if (status == ZEROIPC_OK && *count < max) out[*count] = info;
    if (status == ZEROIPC_OK) ++*count;
  }
  return status;
}

uint32_t zeroipc_table_capacity(const zeroipc_memory* mem) {
  return zipc_memory_mapping((zeroipc_memory*)mem)->table_capacity;
}

/* ------------------------------------------------------------------ §3.3 recovery */

/* Under the lock: a RESERVED entry below table_count whose creator is dead
 * goes back to FREE (its region kept for reuse); a RESERVED entry at
 * table_count is the creation a dead lock holder interrupted between moving
 * the cursor and the count (only when the lock was taken over). */
static int recover(zipc_mapping* m, int lock_taken_over) {
  uint32_t count;
  int status = load_count(m, __ATOMIC_RELAXED, &count);
  if (status != ZEROIPC_OK) return status;
  int changed = 0;
  for (uint32_t i = 0; i < count; ++i) {
    zeroipc_table_entry* e = entry_at(m, i);
    if (__atomic_load_n(&e->state, __ATOMIC_ACQUIRE) != ZEROIPC_ENTRY_RESERVED) continue;
    if (zipc_key_alive(m, __atomic_load_n(&e->creator_key, __ATOMIC_RELAXED))) continue; /* still initialising */
    memset(e->name, 0, sizeof e->name); /* offset and size kept for reuse */
    __atomic_store_n(&e->state, ZEROIPC_ENTRY_FREE, __ATOMIC_RELEASE);
    changed = 1;
  }
  if (lock_taken_over && count < m->table_capacity) {
    zeroipc_table_entry* next = entry_at(m, count);
    if (__atomic_load_n(&next->state, __ATOMIC_RELAXED) == ZEROIPC_ENTRY_RESERVED) {
      uint64_t cursor;
      status = load_cursor(m, &cursor);
      if (status != ZEROIPC_OK) return status;
      const uint64_t offset = __atomic_load_n(&next->offset, __ATOMIC_RELAXED);
      const uint64_t size = __atomic_load_n(&next->size, __ATOMIC_RELAXED);
      /* Died between moving the cursor and moving the count: roll the cursor back. */
      if (offset >= m->data_offset && size <= cursor && offset == cursor - size) {
        __atomic_store_n(&header_of(m)->alloc_cursor, offset, __ATOMIC_RELAXED);
      }
      __atomic_store_n(&next->size, 0, __ATOMIC_RELAXED);
      __atomic_store_n(&next->state, ZEROIPC_ENTRY_FREE, __ATOMIC_RELAXED);
    }
  }
  if (changed) __atomic_fetch_add(&header_of(m)->table_generation, 1u, __ATOMIC_RELAXED);
  return ZEROIPC_OK;
}

/* ------------------------------------------------------------------ §3.1 step 2: a creation in progress */

/* The index of a RESERVED entry named `name` whose creator lives, or -1. */
static int64_t reserved_by_live_creator(zipc_mapping* m, const char* name, uint32_t count) {
  for (uint32_t i = 0; i < count; ++i) {
    zeroipc_table_entry* e = entry_at(m, i);
    if (__atomic_load_n(&e->state, __ATOMIC_ACQUIRE) != ZEROIPC_ENTRY_RESERVED) continue;
    char copy[ZEROIPC_TABLE_NAME_SIZE];
    memcpy(copy, e->name, sizeof copy);
    if (!name_is(copy, name)) continue;
    if (zipc_key_alive(m, __atomic_load_n(&e->creator_key, __ATOMIC_RELAXED))) return i;
  }
  return -1;
}

/* Waits (futex on the entry's state, checking its creator every 20 ms) until
 * entry i is no longer RESERVED or its creator died (1), or `deadline` (0). */
static int wait_for_creation(zipc_mapping* m, uint32_t i, int64_t deadline) {
  zeroipc_table_entry* e = entry_at(m, i);
  for (;;) {
    if (__atomic_load_n(&e->state, __ATOMIC_ACQUIRE) != ZEROIPC_ENTRY_RESERVED) return 1;
    if (!zipc_key_alive(m, __atomic_load_n(&e->creator_key, __ATOMIC_RELAXED))) return 1;
    const int64_t now = zipc_now_ns();
    if (now >= deadline) return 0;
    const int64_t left = deadline - now;
    zipc_futex_wait(&e->state, ZEROIPC_ENTRY_RESERVED, left < ZIPC_CREATOR_CHECK_NS ? left : ZIPC_CREATOR_CHECK_NS);
  }
}

/* ------------------------------------------------------------------ §3.1 steps 3-5 */

/* Where the new entry goes (step 3). */
typedef struct placement {
  uint32_t slot;
  uint64_t offset;
  uint64_t region;
  int append; /* a new slot at table_count */
} placement;

static int segment_full(const zipc_mapping* m, const char* name, uint64_t need, uint64_t cursor) {
  char w[ZIPC_WHERE_SIZE];
  char text[ZIPC_WHERE_SIZE];
  return zipc_fail(ZEROIPC_E_SEGMENT_FULL, "%s: structure '%s' needs %llu bytes but only %llu of %llu are free",
                   where(m, w, sizeof w), zipc_printable(name, strlen(name), text, sizeof text),
                   (unsigned long long)need, (unsigned long long)(m->size - cursor), (unsigned long long)m->size);
}

/* Step 3: the smallest FREE region that fits and is at most twice what is
 * needed, else a new slot at the cursor. Each entry's offset and size are
 * loaded once: what is checked is what is used. §5 item 7: every READY or
 * RESERVED entry must end at or below the cursor. */
static int choose_slot(zipc_mapping* m, const char* name, uint64_t need, placement* p) {
  uint32_t count;
  uint64_t cursor;
  int status = load_count(m, __ATOMIC_RELAXED, &count);
  if (status == ZEROIPC_OK) status = load_cursor(m, &cursor);
  if (status != ZEROIPC_OK) return status;
  p->slot = count;
  for (uint32_t i = 0; i < count; ++i) {
    zeroipc_table_entry* e = entry_at(m, i);
    const uint32_t state = __atomic_load_n(&e->state, __ATOMIC_RELAXED);
    const uint64_t e_offset = __atomic_load_n(&e->offset, __ATOMIC_RELAXED);
    const uint64_t e_size = __atomic_load_n(&e->size, __ATOMIC_RELAXED);
    const int below_cursor = e_offset >= m->data_offset && e_offset <= cursor && e_size <= cursor - e_offset;
    if (state != ZEROIPC_ENTRY_FREE && !below_cursor) {
      char w[ZIPC_WHERE_SIZE];
      char text[ZIPC_WHERE_SIZE];
      return zipc_fail(ZEROIPC_E_CORRUPT,
                       "%s: table entry %u ('%s') at offset %llu with size %llu extends past alloc_cursor %llu",
                       where(m, w, sizeof w), (unsigned)i, printable_name(e->name, text, sizeof text),
                       (unsigned long long)e_offset, (unsigned long long)e_size, (unsigned long long)cursor);
    }
    if (state == ZEROIPC_ENTRY_FREE && below_cursor && e_size >= need && e_size / 2 <= need &&
        e_offset % ZEROIPC_CACHE_LINE == 0 && (p->slot == count || e_size < p->region)) {
      p->slot = i;
      p->offset = e_offset;
      p->region = e_size;
    }
  }
  p->append = p->slot == count;
  if (!p->append) return ZEROIPC_OK;
  if (count == m->table_capacity) {
    char w[ZIPC_WHERE_SIZE];
    char text[ZIPC_WHERE_SIZE];
    return zipc_fail(ZEROIPC_E_TABLE_FULL, "%s: the name table is full (all %u entries used) while creating '%s'",
                     where(m, w, sizeof w), (unsigned)count, zipc_printable(name, strlen(name), text, sizeof text));
  }
  if (need > m->size - cursor) return segment_full(m, name, need, cursor);
  p->offset = cursor;
  p->region = need;
  return ZEROIPC_OK;
}

/* Steps 4 and 5: describe the entry, mark it RESERVED; a new slot moves the
 * cursor, then the count. */
static void reserve(zipc_mapping* m, const char* name, const placement* p) {
  zeroipc_table_entry* e = entry_at(m, p->slot);
  memset(e->name, 0, sizeof e->name);
  memcpy(e->name, name, strlen(name));
  __atomic_store_n(&e->offset, p->offset, __ATOMIC_RELAXED);
  __atomic_store_n(&e->size, p->region, __ATOMIC_RELAXED);
  e->creator_pid = (uint32_t)zipc_self_pid();
  __atomic_store_n(&e->creator_key, zipc_self_key(m), __ATOMIC_RELAXED);
  memset(e->reserved, 0, sizeof e->reserved);
  __atomic_store_n(&e->state, ZEROIPC_ENTRY_RESERVED, __ATOMIC_RELEASE);
  if (p->append) {
    __atomic_store_n(&header_of(m)->alloc_cursor, p->offset + p->region, __ATOMIC_RELAXED);
    __atomic_store_n(&header_of(m)->table_count, p->slot + 1, __ATOMIC_RELEASE); /* (T3) */
  }
}

/* What one round under the lock decided. */
enum round_outcome { ROUND_FOUND, ROUND_WAIT, ROUND_RESERVED };

/* Steps 1-5 once: lock, recover, then the READY entry, a live creation to
 * wait for (its index in *waiting), or a reserved slot. Unlocks on every path. */
static int locked_round(zipc_mapping* m, const char* name, uint64_t need, zeroipc_entry_info* found, placement* p,
                        uint32_t* waiting, enum round_outcome* outcome) {
  zeroipc_segment_header* h = header_of(m);
  char w[ZIPC_WHERE_SIZE];
  char what[ZIPC_WHERE_SIZE + 32];
  int taken_over = 0;
  snprintf(what, sizeof what, "%s: the table lock", where(m, w, sizeof w));
  int status = zipc_owner_lock(m, &h->table_lock, &h->lock_holder_pid, what, ZIPC_TABLE_PATIENCE_NS,
                               &taken_over); /* (L1) */
  if (status != ZEROIPC_OK) return status;
  status = recover(m, taken_over);
  if (status == ZEROIPC_OK) {
    status = zipc_table_lookup(m, name, found); /* created while we waited */
    if (status == ZEROIPC_OK) *outcome = ROUND_FOUND;
  }
  if (status == ZEROIPC_E_NOT_FOUND) {
    uint32_t count;
    status = load_count(m, __ATOMIC_ACQUIRE, &count);
    const int64_t creating = status == ZEROIPC_OK ? reserved_by_live_creator(m, name, count) : -1;
    if (creating >= 0) {
      *waiting = (uint32_t)creating;
      *outcome = ROUND_WAIT;
    } else if (status == ZEROIPC_OK) {
      status = choose_slot(m, name, need, p);
      if (status == ZEROIPC_OK) {
        reserve(m, name, p);
        *outcome = ROUND_RESERVED;
      }
    }
  }
  zipc_owner_unlock(&h->table_lock, &h->lock_holder_pid); /* (L2) */
  return status;
}

/* ------------------------------------------------------------------ §3.1 */

/* Steps 6 and 7: initialise without the lock (the region may hold a dead
 * creator's half-made bytes), then publish and wake whoever waits for it.
 * A failed initialisation gives the slot back (FREE, region kept). */
static int initialise_and_publish(zipc_mapping* m, const placement* p, zipc_region_init_fn init, void* context) {
  zeroipc_table_entry* e = entry_at(m, p->slot);
  uint8_t* region = m->base + p->offset;
  memset(region, 0, p->region);
  const int status = init(region, p->region, context);
  if (status != ZEROIPC_OK) {
    __atomic_store_n(&e->state, ZEROIPC_ENTRY_FREE, __ATOMIC_RELEASE);
    zipc_futex_wake(&e->state, INT_MAX);
    return status;
  }
  __atomic_store_n(&e->state, ZEROIPC_ENTRY_READY, __ATOMIC_RELEASE); /* (T1) */
  __atomic_fetch_add(&header_of(m)->table_generation, 1u, __ATOMIC_RELAXED);
  zipc_futex_wake(&e->state, INT_MAX);
  return ZEROIPC_OK;
}

int zipc_table_find_or_create(zipc_mapping* m, const char* name, uint64_t size, zipc_region_init_fn init,
                              void* context, zeroipc_entry_info* out, int* created) {
  char w[ZIPC_WHERE_SIZE];
  char text[ZIPC_WHERE_SIZE];
  *created = 0;
  int status = zipc_check_structure_name(name);
  if (status != ZEROIPC_OK) return status;
  status = zipc_table_lookup(m, name, out); /* fast path, no lock */
  if (status != ZEROIPC_E_NOT_FOUND) return status;
  if (size == 0) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "%s: structure '%s' of 0 bytes", where(m, w, sizeof w),
                     zipc_printable(name, strlen(name), text, sizeof text));
  }
  if (size > m->size) { /* also keeps align64 from overflowing */
    uint64_t cursor;
    status = load_cursor(m, &cursor);
    return status != ZEROIPC_OK ? status : segment_full(m, name, size, cursor);
  }
  const uint64_t need = zeroipc_align64(size);
  const int64_t deadline = zipc_now_ns() + ZIPC_TABLE_PATIENCE_NS;
  placement p = {0, 0, 0, 0};
  for (;;) {
    enum round_outcome outcome = ROUND_FOUND;
    uint32_t waiting = 0;
    status = locked_round(m, name, need, out, &p, &waiting, &outcome);
    if (status != ZEROIPC_OK || outcome == ROUND_FOUND) return status;
    if (outcome == ROUND_RESERVED) break;
    /* Another process is initialising this name outside the lock: wait for
     * it to publish (then open it) or die (then its entry is undone). */
    if (!wait_for_creation(m, waiting, deadline)) {
      return zipc_fail(ZEROIPC_E_TIMEOUT, "%s: structure '%s' is being created by a live process for longer than %lld ms",
                       where(m, w, sizeof w), zipc_printable(name, strlen(name), text, sizeof text),
                       (long long)(ZIPC_TABLE_PATIENCE_NS / 1000000));
    }
  }
  status = initialise_and_publish(m, &p, init, context);
  if (status != ZEROIPC_OK) return status;
  memset(out, 0, sizeof *out);
  memcpy(out->name, name, strlen(name));
  out->offset = p.offset;
  out->size = p.region;
  out->creator_pid = (uint32_t)zipc_self_pid();
  *created = 1;
  return ZEROIPC_OK;
}
