/* zeroipc/layout/layout.h — every C99 layout header of SPECIFICATION.md
 * (format version 1), in one include. Plain data for C and C++: see
 * common.h for the conventions (offsets, reserved bytes, how atomic fields
 * are accessed).
 *
 *   common.h                 conventions, align8/align64/bit_ceil, owner-lock bits
 *   segment.h                §1-§4   segment header, name table entry, attach slot
 *   structure.h              §6      common structure header, kinds, variants, dtypes; role word
 *   array.h                  §7.1    Array
 *   queue.h                  §7.2    what the queue variants share (R, capacity limits)
 *   queue_vyukov_bounded.h   §7.2.1
 *   queue_lcrq.h             §7.2.2  body, ring header, 16-byte cell, data node
 *   queue_scq.h              §7.2.3  body, ring header, entry remap
 *   queue_spsc_ring.h        §7.2.4  body with the producer and consumer roles
 *   queue_locked_ring.h      §7.2.5
 *   stack.h                  §7.3    treiber_tagged, elimination_backoff, node header
 *   codata.h                 §7.4    Future and Lazy
 *   stream.h                 §7.5    Stream: config, lines, subscriber slot, cell header
 *   channel.h                §7.6    Channel: config and lines
 *   op_slots.h               §7.7    thread slots and recovery control (8256 bytes)
 *   map.h                    §7.8    Map and Set: key-size config, locked_probe, key hash
 *   pool.h                   §7.9    Pool: handle, locked_free_list
 *   ring.h                   §7.10   Ring: gated_ring
 */
#ifndef ZEROIPC_LAYOUT_LAYOUT_H
#define ZEROIPC_LAYOUT_LAYOUT_H

#include "zeroipc/layout/assert.h"
#include "zeroipc/layout/common.h"
#include "zeroipc/layout/segment.h"
#include "zeroipc/layout/structure.h"
#include "zeroipc/layout/array.h"
#include "zeroipc/layout/queue.h"
#include "zeroipc/layout/queue_vyukov_bounded.h"
#include "zeroipc/layout/queue_lcrq.h"
#include "zeroipc/layout/queue_scq.h"
#include "zeroipc/layout/queue_spsc_ring.h"
#include "zeroipc/layout/queue_locked_ring.h"
#include "zeroipc/layout/op_slots.h"
#include "zeroipc/layout/stack.h"
#include "zeroipc/layout/codata.h"
#include "zeroipc/layout/stream.h"
#include "zeroipc/layout/channel.h"
#include "zeroipc/layout/map.h"
#include "zeroipc/layout/pool.h"
#include "zeroipc/layout/ring.h"

#endif /* ZEROIPC_LAYOUT_LAYOUT_H */
