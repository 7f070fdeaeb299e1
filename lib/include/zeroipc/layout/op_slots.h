/* zeroipc/layout/op_slots.h — thread slots and recovery control
 * (SPECIFICATION.md §7.7), the 8256-byte area inside lcrq (at body offset
 * 320), scq (0), treiber_tagged (128) and elimination_backoff (1152).
 *
 *   0            one control line (zeroipc_op_control)
 *   64 + 64 i    slot i, 0 <= i < 128, one cache line each (zeroipc_op_slot)
 *
 * Plain data: atomic fields are accessed with __atomic builtins (C) or
 * std::atomic_ref (C++), see common.h. The Dekker pair of §7.7 (an
 * operation's store active = 1 then load of recovering, against the
 * recoverer's store recovering = 1 then loads of active) must be
 * sequentially consistent, or use membarrier(MEMBARRIER_CMD_GLOBAL).
 */
#ifndef ZEROIPC_LAYOUT_OP_SLOTS_H
#define ZEROIPC_LAYOUT_OP_SLOTS_H

#include "zeroipc/layout/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ZEROIPC_OP_SLOTS 128u
#define ZEROIPC_OP_SLOT_SIZE 64u
#define ZEROIPC_OP_CONTROL_SIZE 64u
/** §7.7: the whole area, 64 + 128 * 64. */
#define ZEROIPC_OP_AREA_SIZE 8256u

/** §7.7: the control line, at +0 of the area. */
typedef struct zeroipc_op_control {
  uint32_t recovery_lock; /* 0 atomic: owner lock (§3.2) of the process recovering */
  uint32_t recovering;    /* 4 atomic: 1 while a recovery runs, else 0 (a futex word) */
  uint64_t recovery_pid;  /* 8 atomic: the recoverer's pid, for messages */
  uint64_t recoveries;    /* 16 atomic: recoveries completed */
  uint64_t recovered;     /* 24 atomic: nodes or indices given back, in all */
  uint64_t suspects;      /* 32 atomic: slots taken over from dead threads inside an operation */
  uint8_t reserved[24];   /* 40: zero */
} zeroipc_op_control;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_op_control) == ZEROIPC_OP_CONTROL_SIZE, "spec 7.7: the control line is 64 bytes");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_op_control, recovery_lock) == 0, "spec 7.7");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_op_control, recovering) == 4, "spec 7.7");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_op_control, recovery_pid) == 8, "spec 7.7");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_op_control, recoveries) == 16, "spec 7.7");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_op_control, recovered) == 24, "spec 7.7");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_op_control, suspects) == 32, "spec 7.7");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_op_control, reserved) == 40, "spec 7.7");

/** §7.7: one thread's slot, 64 bytes, at 64 + 64 i of the area. */
typedef struct zeroipc_op_slot {
  uint32_t key;          /* 0 atomic: owner key of its process (§4.1); 0 = free */
  uint32_t tid;          /* 4: the thread */
  uint64_t pid;          /* 8: for messages */
  uint32_t active;       /* 16 atomic: 1 while the thread is inside an operation */
  uint8_t reserved0[4];  /* 20: zero */
  uint64_t aux;          /* 24 atomic: the variant's (lcrq: hazard, ring index + 1; 0 = none) */
  uint8_t reserved1[32]; /* 32: zero */
} zeroipc_op_slot;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_op_slot) == ZEROIPC_OP_SLOT_SIZE, "spec 7.7: a slot is one cache line");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_op_slot, key) == 0, "spec 7.7");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_op_slot, tid) == 4, "spec 7.7");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_op_slot, pid) == 8, "spec 7.7");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_op_slot, active) == 16, "spec 7.7");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_op_slot, reserved0) == 20, "spec 7.7");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_op_slot, aux) == 24, "spec 7.7");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_op_slot, reserved1) == 32, "spec 7.7");

/** §7.7: the whole 8256-byte area (fixed size, so a struct of its own). */
typedef struct zeroipc_op_area {
  zeroipc_op_control control;              /* 0 */
  zeroipc_op_slot slots[ZEROIPC_OP_SLOTS]; /* 64 + 64 i */
} zeroipc_op_area;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_op_area) == ZEROIPC_OP_AREA_SIZE, "spec 7.7: the area is 8256 bytes");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_op_area, control) == 0, "spec 7.7");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_op_area, slots) == 64, "spec 7.7");

/** §7.7: offset of slot i from the start of the area. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_op_slot_offset(uint32_t i) {
  return ZEROIPC_OP_CONTROL_SIZE + i * UINT64_C(64);
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ZEROIPC_LAYOUT_OP_SLOTS_H */
