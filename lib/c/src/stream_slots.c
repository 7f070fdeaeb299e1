/* stream_slots.c — the 64 subscriber slots of a Stream (SPECIFICATION.md
 * §7.5): claiming one, judging its owner dead, the scan of cursors the
 * producer makes when it runs out of known room, and the release of dead
 * subscribers that hold it back. As the C++ zeroipc/detail/stream_slots.h
 * (SlotTable), same messages; stream.c numbers the memory-ordering pairs.
 *
 * Slot state: owner key << 32 | sequence << 2 | phase (0 free, 1 joining,
 * 2 active). Every change is a CAS that adds 1 to the sequence; the key is
 * the claimant's identity (§4.1), published by the claim itself.
 *   free(s)                  --join: CAS-->  joining(s+1, me)
 *   joining|active(s, dead)  --join finding no free slot: CAS--> joining(s+1, me)
 *   joining(s, me)           --CAS-->        active(s+1, me)   (after pid, missed, cursor)
 *   active(s, me)            --leave: CAS--> free(s+1)
 *   active(s, dead laggard)  --producer: CAS--> free(s+1)
 *
 * What a kill costs: a subscriber killed while joining or active leaves its
 * slot taken until a producer it holds back, or a joiner finding no free
 * slot, judges its owner key dead (§4.1) and takes the slot back.
 */
#include <limits.h>

#include "stream_core.h"

uint64_t zipc_stream_slot_next(uint64_t s, unsigned phase, uint32_t key) {
  const uint64_t seq = ((s >> ZEROIPC_STREAM_SLOT_SEQUENCE_SHIFT) + 1u) & ZEROIPC_STREAM_SLOT_SEQUENCE_MASK;
  return (uint64_t)key << ZEROIPC_STREAM_SLOT_OWNER_SHIFT | seq << ZEROIPC_STREAM_SLOT_SEQUENCE_SHIFT | phase;
}

static unsigned phase_of(uint64_t s) { return (unsigned)(s & ZEROIPC_STREAM_SLOT_PHASE_MASK); }
static uint32_t owner_of(uint64_t s) { return (uint32_t)(s >> ZEROIPC_STREAM_SLOT_OWNER_SHIFT); }

int zipc_stream_high_water(const zipc_stream_core* c, uint32_t* out) {
  const uint32_t hw = __atomic_load_n(&c->l->high_water, __ATOMIC_SEQ_CST); /* (S1) */
  if (hw > ZEROIPC_STREAM_SUBSCRIBER_SLOTS) {
    return zipc_fail(ZEROIPC_E_CORRUPT, "%s: high_water %u exceeds the 64 subscriber slots", c->where, (unsigned)hw);
  }
  *out = hw;
  return ZEROIPC_OK;
}

int zipc_stream_slot_state(const zipc_stream_core* c, uint32_t i, uint64_t* out) {
  const uint64_t s = __atomic_load_n(&c->l->slots[i].state, __ATOMIC_SEQ_CST); /* (S1) */
  if (phase_of(s) == 3u) {
    return zipc_fail(ZEROIPC_E_CORRUPT, "%s: subscriber slot %u is in phase 3 (expected 0..2)", c->where,
                     (unsigned)i);
  }
  *out = s;
  return ZEROIPC_OK;
}

static int owner_dead(const zipc_stream_core* c, uint64_t s) { return !zipc_key_alive(c->m, owner_of(s)); }

pid_t zipc_stream_slot_pid(const zipc_stream_core* c, uint32_t i) {
  const uint64_t pid = __atomic_load_n(&c->l->slots[i].pid, __ATOMIC_ACQUIRE);
  return pid <= INT_MAX ? (pid_t)pid : 0;
}

int zipc_stream_slot_claim(const zipc_stream_core* c, uint32_t me, uint32_t* index, uint64_t* joining) {
  int pass;
  for (pass = 0; pass < 2; ++pass) { /* pass 1 takes over slots of dead subscribers */
    uint32_t i;
    for (i = 0; i < ZEROIPC_STREAM_SUBSCRIBER_SLOTS; ++i) {
      uint64_t s = 0;
      const int status = zipc_stream_slot_state(c, i, &s);
      int take;
      if (status != ZEROIPC_OK) return status;
      take = phase_of(s) == ZEROIPC_STREAM_SLOT_FREE || (pass == 1 && owner_dead(c, s));
      if (take) {
        const uint64_t next = zipc_stream_slot_next(s, ZEROIPC_STREAM_SLOT_JOINING, me);
        if (__atomic_compare_exchange_n(&c->l->slots[i].state, &s, next, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
          *index = i;
          *joining = next;
          return ZEROIPC_OK;
        }
      }
    }
  }
  return ZEROIPC_E_LIMIT;
}

void zipc_stream_raise_high_water(const zipc_stream_core* c, uint32_t index) {
  uint32_t hw = __atomic_load_n(&c->l->high_water, __ATOMIC_SEQ_CST);
  while (hw < index + 1u && !__atomic_compare_exchange_n(&c->l->high_water, &hw, index + 1u, 1, __ATOMIC_SEQ_CST,
                                                         __ATOMIC_SEQ_CST)) { /* (J1) */
  }
}

int zipc_stream_min_cursor(const zipc_stream_core* c, uint64_t w, uint64_t* out) {
  uint64_t m = w;
  uint32_t hw = 0, i;
  int status = zipc_stream_high_water(c, &hw);
  if (status != ZEROIPC_OK) return status;
  for (i = 0; i < hw; ++i) {
    uint64_t s = 0, cur;
    status = zipc_stream_slot_state(c, i, &s);
    if (status != ZEROIPC_OK) return status;
    if (phase_of(s) != ZEROIPC_STREAM_SLOT_ACTIVE) continue;
    cur = __atomic_load_n(&c->l->slots[i].cursor, __ATOMIC_SEQ_CST); /* (B4) */
    if (cur > w) {
      return zipc_fail(ZEROIPC_E_CORRUPT, "%s: subscriber slot %u has cursor %llu, past the %llu items published",
                       c->where, (unsigned)i, (unsigned long long)cur, (unsigned long long)w);
    }
    if (cur < m) m = cur;
  }
  *out = m;
  return ZEROIPC_OK;
}

/* joining|active(s, dead) --CAS--> free(s+1), if slot i still is `s`: one CAS, done or not done. */
static void free_dead(const zipc_stream_core* c, uint32_t i, uint64_t s) {
  __atomic_compare_exchange_n(&c->l->slots[i].state, &s, zipc_stream_slot_next(s, ZEROIPC_STREAM_SLOT_FREE, 0), 0,
                              __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

int zipc_stream_dead_laggards(const zipc_stream_core* c, uint64_t w, pid_t* who, int release) {
  int found = 0;
  uint32_t hw = 0, i;
  if (zipc_stream_high_water(c, &hw) != ZEROIPC_OK) return 0;
  for (i = 0; i < hw; ++i) {
    uint64_t s = 0, cur;
    if (zipc_stream_slot_state(c, i, &s) != ZEROIPC_OK) return 0;
    if (phase_of(s) != ZEROIPC_STREAM_SLOT_ACTIVE) continue;
    cur = __atomic_load_n(&c->l->slots[i].cursor, __ATOMIC_SEQ_CST);
    if (w - (cur < w ? cur : w) < c->capacity || !owner_dead(c, s)) continue;
    found = 1;
    *who = zipc_stream_slot_pid(c, i);
    if (release) free_dead(c, i, s);
  }
  return found;
}

int zipc_stream_release_dead(const zipc_stream_core* c, uint32_t me, pid_t live[64], uint32_t* count) {
  uint32_t hw = 0, i;
  int status = zipc_stream_high_water(c, &hw);
  *count = 0;
  if (status != ZEROIPC_OK) return status;
  for (i = 0; i < hw; ++i) {
    uint64_t s = 0;
    status = zipc_stream_slot_state(c, i, &s);
    if (status != ZEROIPC_OK) return status;
    if (phase_of(s) == ZEROIPC_STREAM_SLOT_FREE || owner_of(s) == me) continue;
    if (!owner_dead(c, s)) {
      live[(*count)++] = zipc_stream_slot_pid(c, i);
      continue;
    }
    free_dead(c, i, s);
  }
  return ZEROIPC_OK;
}

int zipc_stream_active(const zipc_stream_core* c, uint32_t* out) {
  uint32_t hw = 0, i, n = 0;
  int status = zipc_stream_high_water(c, &hw);
  if (status != ZEROIPC_OK) return status;
  for (i = 0; i < hw; ++i) {
    uint64_t s = 0;
    status = zipc_stream_slot_state(c, i, &s);
    if (status != ZEROIPC_OK) return status;
    if (phase_of(s) == ZEROIPC_STREAM_SLOT_ACTIVE) ++n;
  }
  *out = n;
  return ZEROIPC_OK;
}
