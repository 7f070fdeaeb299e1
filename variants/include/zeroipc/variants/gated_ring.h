// zeroipc/variants/gated_ring.h — one writer, up to 64 readers, each reader
// with its own position; the writer is gated by the slowest live reader
// (the LMAX Disruptor's "gating sequences": Thompson, Farley, Barker,
// Gee, Stewart, 2011), for bulk transfers with zero copies.
//
// Positions are u64 element counts that only grow; element p lives at
// data[p mod capacity] (any capacity >= 1). The writer publishes write_pos
// after writing; a reader reads up to write_pos and then stores its own
// read_pos. The writer may write up to min(read_pos of live readers) +
// capacity: it never overwrites what a live reader has not read. With no
// reader at all it writes freely (what nobody reads is not kept).
//
// Layout (offsets from the start of the body; SPECIFICATION.md §7.10):
//
//   0     writer role (role.h): u32 key, u32 pid, u64 reserved
//   64    u64 write_pos          published by the writer (atomic)
//   128   64 reader slots of 64 bytes:
//           +0  u32 key          owner key of the reader's process; 0 = free (atomic)
//           +4  u32 pid          for messages and tools
//           +8  u64 read_pos     next position it reads (atomic)
//   4224  data: capacity elements
//
// Memory ordering:
//   (G1) the writer's seq_cst store of write_pos, after writing the data,
//        pairs with (G2) a reader's acquire load of write_pos before
//        reading it: a reader reads only published, complete elements.
//   (G3) a reader's release store of read_pos, after reading, pairs with
//        (G4) the writer's acquire load of read_pos: the writer overwrites
//        nothing a reader is still copying.
//   Joining. A reader claims a slot (seq_cst CAS on its key), then loads
//   write_pos (seq_cst) as its start W, and stores read_pos = W. Between
//   the two the slot still holds a dead reader's old position: at most W
//   (positions only grow), so gating on it only holds the writer back; or
//   more than a lap behind, which no reader the writer has gated on can be:
//   the writer then gates on the write_pos of its previous scan. In the
//   seq_cst order that scan did not see the claim, so it came before it,
//   and W (loaded after the claim) is at least that value.
//
// Dead readers. When a reader's position keeps the writer from writing what
// it was asked, the writer asks (at most every 10 ms) whether the readers
// holding it back are alive, and frees the slots of dead ones (CAS key ->
// 0): a reader killed mid-read stalls the writer for one check, not for good.
//
// What a kill costs: a writer killed mid-write published nothing of the
// chunk it was writing (write_pos moves after the data); the next writer
// takes the role over from the dead one and goes on from write_pos. A
// reader killed mid-read leaves its position, freed as above.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <unistd.h>

#include "zeroipc/layout/ring.h"
#include "zeroipc/variants/detail/failure.h"
#include "zeroipc/variants/detail/liveness.h"
#include "zeroipc/variants/detail/process.h"
#include "zeroipc/variants/detail/ring_math.h"
#include "zeroipc/variants/detail/role.h"

namespace zeroipc::variants {

struct gated_ring {
  static constexpr std::uint16_t kId = 1;
  static constexpr std::string_view kName = "gated_ring";
  static constexpr std::uint32_t kReaders = ZEROIPC_GATED_RING_READERS;
  static constexpr std::uint64_t kDataOffset = sizeof(zeroipc_gated_ring_body);
  static constexpr std::uint64_t kMaxCapacity = std::uint64_t{1} << 48;
  static_assert(kDataOffset == 4224);

  static constexpr std::uint64_t body_size(std::uint64_t capacity, std::uint32_t element_size) noexcept {
    if (capacity == 0 || capacity > kMaxCapacity || element_size == 0) return 0;
    return detail::mul_add_or_zero(capacity, element_size, kDataOffset);
  }
  static void init(std::byte*, std::uint64_t) noexcept {}  // all zero: no writer, no reader, position 0

  class ring {
   public:
    ring(std::byte* body, std::uint64_t capacity, std::uint32_t element_size) noexcept
        : body_(reinterpret_cast<zeroipc_gated_ring_body*>(body)),
          capacity_(capacity),
          element_size_(element_size),
          data_(body + kDataOffset) {}

    // ------------------------------------------------------------ writer
    /// Claims the writer role for this process (see role.h).
    detail::RoleClaim claim_writer() noexcept {
      detail::RoleClaim c = detail::claim_role(body_->writer);
      if (c.ok) {
        const std::uint64_t wp = write_pos().load(std::memory_order_acquire);
        wp_ = wp;
        last_scan_wp_ = wp;
      }
      return c;
    }
    void release_writer() noexcept { detail::release_role(body_->writer); }

    /// Room to write now: elements, and the first of them's offset in the
    /// data (contiguous up to the end of the data). `want` sets whether dead
    /// readers are looked for when the room is less.
    struct Room {
      std::uint64_t count;
      std::uint64_t contiguous;
    };
    Room room(std::uint64_t want) {
      wp_ = write_pos().load(std::memory_order_relaxed);  // this process's own last publish
      std::uint64_t gate = gate_position();
      if (wp_ + want > gate + capacity_ && release_dead_readers()) gate = gate_position();
      const std::uint64_t free = gate + capacity_ - wp_;
      const std::uint64_t at = wp_ % capacity_;
      return {free, std::min(free, capacity_ - at)};
    }
    /// The element at position write_pos + i (i < room).
    [[nodiscard]] std::byte* write_slot(std::uint64_t i) const noexcept {
      return data_ + ((wp_ + i) % capacity_) * element_size_;
    }
    /// Publishes `n` more elements (written already).
    void publish(std::uint64_t n) noexcept {
      wp_ += n;
      write_pos().store(wp_, std::memory_order_seq_cst);  // (G1)
    }
    [[nodiscard]] std::uint64_t writer_position() const noexcept { return wp_; }

    // ------------------------------------------------------------ readers
    /// Claims a free reader slot; returns its index, or kReaders when all
    /// 64 are held by live readers. `start` receives the first position.
    std::uint32_t join(std::uint64_t& start) {
      const std::uint32_t me = zeroipc::detail::self_key();
      for (std::uint32_t i = 0; i < kReaders; ++i) {
        std::uint32_t seen = slot_key(i).load(std::memory_order_acquire);
        if (seen != 0 && (seen == me || zeroipc::detail::owner_alive(body_, seen))) continue;
        if (!slot_key(i).compare_exchange_strong(seen, me, std::memory_order_seq_cst)) continue;
        slot(i).pid = static_cast<std::uint32_t>(::getpid());
        start = write_pos().load(std::memory_order_seq_cst);
        slot_pos(i).store(start, std::memory_order_seq_cst);
        return i;
      }
      return kReaders;
    }
    /// Frees reader slot i (held by this process).
    void leave(std::uint32_t i) noexcept {
      std::uint32_t me = zeroipc::detail::self_key();
      slot_key(i).compare_exchange_strong(me, 0, std::memory_order_acq_rel);
    }
    /// True while slot i is still this process's (a slot is only taken from a dead process).
    [[nodiscard]] bool holds(std::uint32_t i) const noexcept {
      return slot_key(i).load(std::memory_order_relaxed) == zeroipc::detail::self_key();
    }
    /// Published elements from `rp`: count, and contiguous from its offset.
    Room readable(std::uint64_t rp) const {
      const std::uint64_t wp = write_pos().load(std::memory_order_acquire);  // (G2)
      if (wp < rp || wp - rp > capacity_) {
        throw CorruptState("write_pos " + std::to_string(wp) + " is not within " + std::to_string(capacity_) +
                           " elements after this reader's position " + std::to_string(rp));
      }
      const std::uint64_t at = rp % capacity_;
      return {wp - rp, std::min(wp - rp, capacity_ - at)};
    }
    [[nodiscard]] const std::byte* read_slot(std::uint64_t pos) const noexcept {
      return data_ + (pos % capacity_) * element_size_;
    }
    void advance(std::uint32_t i, std::uint64_t rp) noexcept {
      slot_pos(i).store(rp, std::memory_order_release);  // (G3)
    }

    /// Readers registered now (live or not yet found dead).
    [[nodiscard]] std::uint32_t readers() const noexcept {
      std::uint32_t n = 0;
      for (std::uint32_t i = 0; i < kReaders; ++i) n += slot_key(i).load(std::memory_order_relaxed) != 0;
      return n;
    }

   private:
    zeroipc_gated_reader_slot& slot(std::uint32_t i) const noexcept { return body_->readers[i]; }
    std::atomic_ref<std::uint32_t> slot_key(std::uint32_t i) const noexcept {
      return std::atomic_ref<std::uint32_t>(slot(i).key);
    }
    std::atomic_ref<std::uint64_t> slot_pos(std::uint32_t i) const noexcept {
      return std::atomic_ref<std::uint64_t>(slot(i).read_pos);
    }
    std::atomic_ref<std::uint64_t> write_pos() const noexcept { return std::atomic_ref<std::uint64_t>(body_->write_pos); }

    // The lowest position a live reader still needs (wp_ when none).
    std::uint64_t gate_position() {
      std::uint64_t gate = wp_;
      for (std::uint32_t i = 0; i < kReaders; ++i) {
        if (slot_key(i).load(std::memory_order_seq_cst) == 0) continue;
        std::uint64_t rp = slot_pos(i).load(std::memory_order_seq_cst);  // (G4)
        if (rp > wp_) {
          throw CorruptState("reader " + std::to_string(i) + " is at position " + std::to_string(rp) +
                             ", past the writer's " + std::to_string(wp_));
        }
        // More than a lap behind: no reader the writer has seen can be, so
        // it is joining (its start not stored yet, the slot's old position
        // still there): gate on what it can start from (Joining, above).
        if (wp_ - rp > capacity_) rp = std::max(last_scan_wp_, wp_ - capacity_);
        gate = std::min(gate, rp);
      }
      last_scan_wp_ = wp_;
      return gate;
    }

    // Frees the slots of dead readers (at most every 10 ms); true if it freed one.
    bool release_dead_readers() {
      const auto now = std::chrono::steady_clock::now();
      if (now < next_dead_scan_) return false;
      next_dead_scan_ = now + std::chrono::milliseconds(10);
      bool freed = false;
      for (std::uint32_t i = 0; i < kReaders; ++i) {
        std::uint32_t key = slot_key(i).load(std::memory_order_acquire);
        if (key == 0 || zeroipc::detail::owner_alive(body_, key)) continue;
        freed |= slot_key(i).compare_exchange_strong(key, 0, std::memory_order_acq_rel);
      }
      return freed;
    }

    zeroipc_gated_ring_body* body_;
    std::uint64_t capacity_;
    std::uint32_t element_size_;
    std::byte* data_;
    std::uint64_t wp_ = 0;            // write_pos, as this writer last read or published it
    std::uint64_t last_scan_wp_ = 0;  // wp_ at the previous gate scan
    std::chrono::steady_clock::time_point next_dead_scan_{};
  };
};

}  // namespace zeroipc::variants
