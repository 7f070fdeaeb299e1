/* op_slots.c — thread slots and recovery (SPECIFICATION.md §7.7), as
 * variants/include/zeroipc/variants/detail/op_slots.h: for the variants whose
 * operations hold a node (or an index) that no list holds for a moment
 * (treiber_tagged here). A process killed there takes the node with it;
 * which one cannot be told while others operate, so a recovery first makes
 * the structure quiescent, then the variant gives back every node its data
 * side does not hold.
 *
 * An operation: active = 1, then look at `recovering`; if it is set,
 * active = 0 and wait until it is clear (recovering itself if the recoverer
 * died); else operate, then active = 0. A recovery: take recovery_lock,
 * recovering = 1, wait until every live slot is idle, rebuild, free the
 * slots of dead processes, recovering = 0.
 *
 * Memory ordering (the C++ numbering), a Dekker pair: (D1) an operation's
 * store active = 1 and (D2) its load of `recovering`, against (D3) the
 * recoverer's store recovering = 1 and (D4) its loads of every `active`:
 * either D2 sees D3 (the operation waits) or D4 sees D1 (the recoverer waits
 * for it). With membarrier(MEMBARRIER_CMD_GLOBAL) the operation side is a
 * plain store and load with a compiler barrier between them, and the
 * recoverer issues the system-wide barrier between D3 and D4; without it
 * (or under ThreadSanitizer) D1-D4 are sequentially consistent. Both sides
 * decide the same way on one kernel, C and C++ alike. (D5) the release store
 * active = 0 that ends an operation pairs with the recoverer's load (D4):
 * the rebuild sees everything the operation wrote.
 */
#include <limits.h>
#include <linux/membarrier.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

/* How long a recovery waits for live operations, and an operation for a live recoverer (§7.7: 5 s). */
#define RECOVERY_PATIENCE_S 5
#define RECOVERY_PATIENCE_NS (INT64_C(1000000000) * RECOVERY_PATIENCE_S)
/* A handle scans the slots for a dead thread in flight at most this often (§7.7: 10 ms). */
#define DEAD_SCAN_INTERVAL_NS INT64_C(10000000)
/* How often a sleeper asks whether the process it waits for lives (20 ms). */
#define OWNER_CHECK_NS INT64_C(20000000)
/* Reads of a busy slot before asking the kernel about its owner. */
#define IDLE_SPINS 64u
/* The handles of this thread whose slot it remembers. */
#define SLOT_CACHE_SIZE 4

typedef struct slot_cache_entry {
  uint64_t handle;
  uint32_t key; /* the owner key the slot was claimed under (a forked child has another) */
  uint32_t slot;
} slot_cache_entry;

static __thread slot_cache_entry slot_cache[SLOT_CACHE_SIZE];

static uint32_t current_tid(void) { return (uint32_t)syscall(SYS_gettid); }

static int thread_exited(uint32_t tid) { return syscall(SYS_tgkill, zipc_self_pid(), (pid_t)tid, 0) != 0; }

/* Whether membarrier(GLOBAL) is available (asked once): the asymmetric fence. */
static int asymmetric_fence(void) {
#if defined(__SANITIZE_THREAD__)
  return 0;
#else
  static int available = -1; /* atomic */
  int a = __atomic_load_n(&available, __ATOMIC_RELAXED);
  if (a < 0) {
    const long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    a = cmds > 0 && (cmds & MEMBARRIER_CMD_GLOBAL) != 0;
    __atomic_store_n(&available, a, __ATOMIC_RELAXED);
  }
  return a;
#endif
}

/* The recoverer's side of the fence: every running thread passes a full barrier. */
static void heavy_fence(void) {
  if (asymmetric_fence()) syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
}

static zeroipc_op_control* control(const zipc_op_slots* ops) { return &ops->area->control; }
static zeroipc_op_slot* slot_at(const zipc_op_slots* ops, uint32_t s) { return &ops->area->slots[s]; }

void zipc_op_slots_init(zipc_op_slots* ops, zipc_mapping* m, zeroipc_op_area* area, const char* where) {
  static uint64_t next_handle = 1; /* atomic */
  ops->m = m;
  ops->area = area;
  ops->where = where;
  ops->handle_id = __atomic_fetch_add(&next_handle, 1, __ATOMIC_RELAXED);
  ops->next_scan_ns = 0;
}

/* ------------------------------------------------------------------ claiming a slot */

static void record_thread(zeroipc_op_slot* slot, uint32_t tid) {
  __atomic_store_n(&slot->tid, tid, __ATOMIC_RELAXED);
  __atomic_store_n(&slot->pid, (uint64_t)zipc_self_pid(), __ATOMIC_RELAXED);
}

/* The slot of (me, tid) if this thread has one. */
static int find_own(const zipc_op_slots* ops, uint32_t me, uint32_t tid, uint32_t* s) {
  for (uint32_t i = 0; i < ZEROIPC_OP_SLOTS; ++i) {
    const zeroipc_op_slot* slot = slot_at(ops, i);
    if (__atomic_load_n(&slot->key, __ATOMIC_ACQUIRE) == me && __atomic_load_n(&slot->tid, __ATOMIC_RELAXED) == tid) {
      *s = i;
      return 1;
    }
  }
  return 0;
}

/* CAS holder -> me; a dead owner may have left the slot active: it is idle
 * now, and what it held waits for the next recovery, which `suspects` asks for. */
static int take_slot(const zipc_op_slots* ops, zeroipc_op_slot* slot, uint32_t holder, uint32_t me, uint32_t tid) {
  if (!__atomic_compare_exchange_n(&slot->key, &holder, me, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) return 0;
  if (__atomic_load_n(&slot->active, __ATOMIC_ACQUIRE) != 0) {
    __atomic_fetch_add(&control(ops)->suspects, 1, __ATOMIC_ACQ_REL);
  }
  __atomic_store_n(&slot->active, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&slot->aux, 0, __ATOMIC_RELAXED);
  record_thread(slot, tid);
  return 1;
}

/* Pass 0: a free slot; pass 1: a dead process's; pass 2: one of this
 * process's whose thread has exited (idle for good). */
static int claim_in_pass(const zipc_op_slots* ops, int pass, uint32_t me, uint32_t tid, uint32_t* s) {
  for (uint32_t i = 0; i < ZEROIPC_OP_SLOTS; ++i) {
    zeroipc_op_slot* slot = slot_at(ops, i);
    const uint32_t holder = __atomic_load_n(&slot->key, __ATOMIC_ACQUIRE);
    int take = 0;
    if (pass == 0) take = holder == 0;
    if (pass == 1) take = holder != 0 && holder != me && !zipc_key_alive(ops->m, holder);
    if (pass == 2 && holder == me) {
      const uint32_t t = __atomic_load_n(&slot->tid, __ATOMIC_RELAXED);
      if (t != 0 && __atomic_load_n(&slot->active, __ATOMIC_ACQUIRE) == 0 && thread_exited(t)) {
        record_thread(slot, tid);
        *s = i;
        return 1;
      }
    }
    if (take && take_slot(ops, slot, holder, me, tid)) {
      *s = i;
      return 1;
    }
  }
  return 0;
}

static int claim(const zipc_op_slots* ops, uint32_t me, uint32_t* s) {
  const uint32_t tid = current_tid();
  if (find_own(ops, me, tid, s)) return ZEROIPC_OK;
  for (int pass = 0; pass < 3; ++pass) {
    if (claim_in_pass(ops, pass, me, tid, s)) return ZEROIPC_OK;
  }
  return zipc_fail(ZEROIPC_E_LIMIT,
                   "%s: all %u thread slots are held by live threads (one per thread using the structure)", ops->where,
                   (unsigned)ZEROIPC_OP_SLOTS);
}

int zipc_op_my_slot(zipc_op_slots* ops, uint32_t* slot) {
  const uint32_t me = zipc_self_key(ops->m);
  for (int i = 0; i < SLOT_CACHE_SIZE; ++i) {
    if (slot_cache[i].handle == ops->handle_id && slot_cache[i].key == me) {
      *slot = slot_cache[i].slot;
      return ZEROIPC_OK;
    }
  }
  const int status = claim(ops, me, slot);
  if (status != ZEROIPC_OK) return status;
  memmove(&slot_cache[1], &slot_cache[0], (SLOT_CACHE_SIZE - 1) * sizeof slot_cache[0]); /* most recent first */
  slot_cache[0].handle = ops->handle_id;
  slot_cache[0].key = me;
  slot_cache[0].slot = *slot;
  return ZEROIPC_OK;
}

/* ------------------------------------------------------------------ recovery */

/* (D4): waits until slot s is idle, free, or its owner dead; 0 at the deadline. */
static int wait_until_idle(const zipc_op_slots* ops, uint32_t s, int64_t deadline) {
  zeroipc_op_slot* slot = slot_at(ops, s);
  for (unsigned spins = 0;; ++spins) {
    const uint32_t key = __atomic_load_n(&slot->key, __ATOMIC_SEQ_CST);
    if (key == 0 || __atomic_load_n(&slot->active, __ATOMIC_SEQ_CST) == 0) return 1; /* (D4) */
    if (spins < IDLE_SPINS) {
      zipc_cpu_relax();
      continue;
    }
    if (!zipc_key_alive(ops->m, key)) return 1; /* in flight for good: recovered now */
    const int64_t now = zipc_now_ns();
    if (now >= deadline) return 0;
    zipc_futex_wait(&slot->active, 1, deadline - now < OWNER_CHECK_NS ? deadline - now : OWNER_CHECK_NS);
  }
}

/* After a rebuild: the slots of dead processes are free again, and the counters move. */
static void finish_recovery(const zipc_op_slots* ops, uint64_t given_back) {
  zeroipc_op_control* c = control(ops);
  __atomic_store_n(&c->suspects, 0, __ATOMIC_RELAXED);
  for (uint32_t s = 0; s < ZEROIPC_OP_SLOTS; ++s) {
    zeroipc_op_slot* slot = slot_at(ops, s);
    uint32_t key = __atomic_load_n(&slot->key, __ATOMIC_ACQUIRE);
    if (key == 0 || zipc_key_alive(ops->m, key)) continue;
    __atomic_store_n(&slot->active, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&slot->aux, 0, __ATOMIC_RELAXED);
    __atomic_compare_exchange_n(&slot->key, &key, 0, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
  }
  __atomic_fetch_add(&c->recoveries, 1, __ATOMIC_RELAXED);
  __atomic_fetch_add(&c->recovered, given_back, __ATOMIC_RELAXED);
}

/* Makes the structure quiescent, rebuilds, frees dead processes' slots.
 * ZEROIPC_E_TIMEOUT (message not set) when a live process kept the recovery
 * lock or an operation in flight past `patience_ns`; the rebuild's error.
 * The calling thread must not be inside an operation. */
static int recover(const zipc_op_slots* ops, const zipc_rebuild* rebuild, int64_t patience_ns,
                   uint64_t* given_back) {
  zeroipc_op_control* c = control(ops);
  const int64_t deadline = zipc_now_ns() + patience_ns;
  int took_over = 0;
  int status = zipc_owner_lock(ops->m, &c->recovery_lock, &c->recovery_pid, ops->where, patience_ns, &took_over);
  if (status != ZEROIPC_OK) return status;
  __atomic_store_n(&c->recovering, 1, __ATOMIC_SEQ_CST); /* (D3) */
  heavy_fence();
  for (uint32_t s = 0; s < ZEROIPC_OP_SLOTS && status == ZEROIPC_OK; ++s) {
    if (!wait_until_idle(ops, s, deadline)) status = ZEROIPC_E_TIMEOUT;
  }
  if (status == ZEROIPC_OK) status = rebuild->fn(rebuild->context, given_back);
  if (status == ZEROIPC_OK) finish_recovery(ops, *given_back);
  __atomic_store_n(&c->recovering, 0, __ATOMIC_SEQ_CST);
  zipc_futex_wake(&c->recovering, INT_MAX);
  zipc_owner_unlock(&c->recovery_lock, &c->recovery_pid);
  return status;
}

/* recover() with the default patience; ZEROIPC_E_TIMEOUT with the C++ Busy message. */
static int recover_or_fail(const zipc_op_slots* ops, const zipc_rebuild* rebuild) {
  uint64_t given_back = 0;
  const int status = recover(ops, rebuild, RECOVERY_PATIENCE_NS, &given_back);
  if (status == ZEROIPC_E_TIMEOUT) {
    return zipc_fail(ZEROIPC_E_TIMEOUT,
                     "%s: a live thread stayed inside an operation (or held the recovery) for more than %d s",
                     ops->where, RECOVERY_PATIENCE_S);
  }
  return status;
}

/* An operation found a recovery running: sleep until it ends; take it over
 * if its recoverer died (the structure may be half rebuilt: rebuild again). */
static int wait_out_recovery(const zipc_op_slots* ops, const zipc_rebuild* rebuild) {
  zeroipc_op_control* c = control(ops);
  const int64_t deadline = zipc_now_ns() + RECOVERY_PATIENCE_NS;
  for (;;) {
    if (__atomic_load_n(&c->recovering, __ATOMIC_ACQUIRE) == 0) return ZEROIPC_OK;
    const uint32_t holder = __atomic_load_n(&c->recovery_lock, __ATOMIC_ACQUIRE) & ZEROIPC_LOCK_KEY_MASK;
    if (holder == 0 || !zipc_key_alive(ops->m, holder)) {
      uint64_t given_back = 0;
      const int status = recover(ops, rebuild, RECOVERY_PATIENCE_NS, &given_back);
      if (status != ZEROIPC_E_TIMEOUT) return status;
      continue;
    }
    const int64_t now = zipc_now_ns();
    if (now >= deadline) {
      return zipc_fail(ZEROIPC_E_TIMEOUT, "%s: a recovery by a live process has run for more than %d s", ops->where,
                       RECOVERY_PATIENCE_S);
    }
    zipc_futex_wait(&c->recovering, 1, OWNER_CHECK_NS);
  }
}

/* ------------------------------------------------------------------ operations */

int zipc_op_enter(zipc_op_slots* ops, uint32_t s, const zipc_rebuild* rebuild) {
  uint32_t* active = &slot_at(ops, s)->active;
  uint32_t* recovering = &control(ops)->recovering;
  for (;;) {
    if (asymmetric_fence()) {
      __atomic_store_n(active, 1, __ATOMIC_RELAXED); /* (D1) */
      __atomic_signal_fence(__ATOMIC_SEQ_CST);
      if (__atomic_load_n(recovering, __ATOMIC_RELAXED) == 0) break; /* (D2) */
    } else {
      __atomic_store_n(active, 1, __ATOMIC_SEQ_CST);                 /* (D1) */
      if (__atomic_load_n(recovering, __ATOMIC_SEQ_CST) == 0) break; /* (D2) */
    }
    __atomic_store_n(active, 0, __ATOMIC_RELEASE);
    const int status = wait_out_recovery(ops, rebuild);
    if (status != ZEROIPC_OK) return status;
  }
  __atomic_thread_fence(__ATOMIC_ACQUIRE); /* see what a finished recovery rebuilt */
  return ZEROIPC_OK;
}

void zipc_op_leave(zipc_op_slots* ops, uint32_t s) {
  uint32_t* active = &slot_at(ops, s)->active;
  __atomic_store_n(active, 0, __ATOMIC_RELEASE); /* (D5) */
  if (__atomic_load_n(&control(ops)->recovering, __ATOMIC_RELAXED) != 0) {
    zipc_futex_wake(active, 1); /* a recoverer may wait for this slot */
  }
}

/* True when something may be held by nobody: an active slot whose process
 * is dead, or such a slot taken over since the last recovery. The scan runs
 * at most once per DEAD_SCAN_INTERVAL_NS per handle. */
static int dead_in_flight(zipc_op_slots* ops) {
  if (__atomic_load_n(&control(ops)->suspects, __ATOMIC_ACQUIRE) != 0) return 1;
  const int64_t now = zipc_now_ns();
  if (now < __atomic_load_n(&ops->next_scan_ns, __ATOMIC_RELAXED)) return 0;
  __atomic_store_n(&ops->next_scan_ns, now + DEAD_SCAN_INTERVAL_NS, __ATOMIC_RELAXED);
  for (uint32_t s = 0; s < ZEROIPC_OP_SLOTS; ++s) {
    const zeroipc_op_slot* slot = slot_at(ops, s);
    if (__atomic_load_n(&slot->active, __ATOMIC_ACQUIRE) == 0) continue;
    const uint32_t key = __atomic_load_n(&slot->key, __ATOMIC_ACQUIRE);
    if (key != 0 && !zipc_key_alive(ops->m, key)) return 1;
  }
  return 0;
}

int zipc_op_push(zipc_op_slots* ops, uint32_t s, int (*attempt)(void* context), void* context,
                 const zipc_rebuild* rebuild) {
  for (int round = 0;; ++round) {
    int status = zipc_op_enter(ops, s, rebuild);
    if (status != ZEROIPC_OK) return status;
    const int pushed = attempt(context);
    zipc_op_leave(ops, s);
    if (pushed) return ZEROIPC_OK;
    if (round > 0 || !dead_in_flight(ops)) return ZEROIPC_FULL;
    status = recover_or_fail(ops, rebuild);
    if (status != ZEROIPC_OK) return status;
  }
}
