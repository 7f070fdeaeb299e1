// zeroipc/ring.h — a bulk streaming ring: one writer, up to 64 readers, each
// reader with its own position; copies or zero copy.
//
//   zeroipc::Ring<float> samples(mem, "samples", 1 << 20);      // create (any capacity >= 1), or open + check
//   std::size_t written = samples.write(std::span<const float>(buf));   // copies what fits, returns the count
//   std::span<float> slot = samples.write_acquire(n);          // zero copy: up to n contiguous elements to fill
//   samples.write_release(k);                                  // publish the first k of them
//   samples.write_all(std::span<const float>(buf), 1s);        // waits for room, up to the timeout
//   auto reader = samples.reader();                            // registers a reader (a slot in the segment)
//   std::size_t got = reader.read(std::span<float>(out));      // copies up to out.size(), returns the count
//   std::span<const float> view = reader.read_acquire(n);      // zero copy: up to n contiguous published elements
//   reader.read_release(k);
//
// The writer never overwrites what a live reader has not read: it writes
// less (write), or waits (write_all). A reader sees every element written
// after it registered, in order. The writer role belongs to one process at
// a time (a second live writer gets RoleTaken; a dead writer's role is taken
// over); within that process, write from one thread at a time. A dead
// reader's slot is freed by the writer it holds back (one 10 ms check), so it
// cannot block the writer for good. variants/gated_ring.h has the protocol
// and what a kill costs; SPECIFICATION.md §7.10 the bytes.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>

#include "zeroipc/detail/layout.h"
#include "zeroipc/detail/process_roles.h"
#include "zeroipc/detail/structure_handle.h"
#include "zeroipc/memory.h"
#include "zeroipc/variants/gated_ring.h"

namespace zeroipc {

namespace variants {
using default_ring = gated_ring;
}

template <class T, class V = variants::default_ring>
class Ring : public detail::StructureHandle {
  static_assert(std::is_trivially_copyable_v<T>,
                "Ring<T> copies T's bytes between processes: T must be trivially copyable");
  static_assert(!std::is_const_v<T> && !std::is_volatile_v<T>, "use Ring<T>, not Ring<const T>");
  static_assert(alignof(T) <= detail::kCacheLine, "the data starts on a 64-byte boundary: alignof(T) must be <= 64");
  static_assert(sizeof(T) <= 0xFFFFFFF0u, "element_size is a u32 in the common header (spec §6)");
  using Impl = typename V::ring;

 public:
  using value_type = T;
  using variant = V;

  /// Creates `name` with room for `capacity` elements, or opens it if it exists.
  Ring(Memory& mem, std::string_view name, std::size_t capacity)
      : StructureHandle(mem, name, spec(), check_capacity(mem, name, capacity),
                        [&](std::byte* body) { V::init(body, capacity); }),
        impl_(make_impl()) {}
  /// Opens the existing ring `name`.
  Ring(Memory& mem, std::string_view name) : Ring(mem, name, open_only) {}
  Ring(Memory& mem, std::string_view name, open_only_t)
      : StructureHandle(mem, name, spec(), open_only), impl_(make_impl()) {}

  Ring(Ring&& o) noexcept
      : StructureHandle(std::move(o)), impl_(std::move(o.impl_)), writer_key_(std::exchange(o.writer_key_, 0)),
        acquired_(o.acquired_) {}
  Ring& operator=(Ring&& o) noexcept {
    if (this != &o) {
      this->~Ring();
      new (this) Ring(std::move(o));
    }
    return *this;
  }
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
  ~Ring() {
    if (writer_key_ != 0 && writer_key_ == detail::self_key() && detail::ProcessRoles::release(role_key())) {
      impl_->release_writer();
    }
  }

  // ------------------------------------------------------------------ writing
  /// Copies as many of `items` as fit without overwriting what a live
  /// reader has not read; returns how many.
  std::size_t write(std::span<const T> items) {
    claim_writer();
    return guarded([&] {
      const auto room = impl_->room(items.size());
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(room.count, items.size()));
      const std::size_t first = static_cast<std::size_t>(std::min<std::uint64_t>(room.contiguous, n));
      std::memcpy(impl_->write_slot(0), items.data(), first * sizeof(T));
      if (n > first) std::memcpy(impl_->write_slot(first), items.data() + first, (n - first) * sizeof(T));
      impl_->publish(n);
      return n;
    });
  }

  /// Writes all of `items`, waiting for readers to make room for at most
  /// `timeout`; returns how many it wrote (all of them unless it timed out).
  template <class Rep, class Period>
  std::size_t write_all(std::span<const T> items, std::chrono::duration<Rep, Period> timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t done = 0;
    for (int idle = 0; done < items.size();) {
      const std::size_t n = write(items.subspan(done));
      done += n;
      if (n != 0) {
        idle = 0;
        continue;
      }
      if (std::chrono::steady_clock::now() >= deadline) break;
      if (++idle < 64) {
        std::this_thread::yield();
      } else {
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
    }
    return done;
  }

  /// Zero copy: up to `n` contiguous elements to fill in place (fewer near
  /// the end of the data or when readers hold room back; empty when full).
  /// Nothing is visible to readers until write_release().
  std::span<T> write_acquire(std::size_t n) {
    claim_writer();
    const auto room = guarded([&] { return impl_->room(n); });
    acquired_ = static_cast<std::size_t>(std::min<std::uint64_t>(room.contiguous, n));
    return {reinterpret_cast<T*>(impl_->write_slot(0)), acquired_};
  }
  /// Publishes the first `k` elements of the last write_acquire() (k <= its size).
  void write_release(std::size_t k) {
    if (k > acquired_) {
      throw InvalidArgument(where() + ": write_release(" + std::to_string(k) + ") after write_acquire gave " +
                            std::to_string(acquired_) + " elements");
    }
    impl_->publish(k);
    acquired_ = 0;
  }

  // ------------------------------------------------------------------ reading
  class Reader {
   public:
    Reader(Reader&& o) noexcept
        : ring_(std::exchange(o.ring_, nullptr)), slot_(o.slot_), key_(o.key_), pos_(o.pos_), acquired_(o.acquired_) {}
    Reader& operator=(Reader&& o) noexcept {
      if (this != &o) {
        this->~Reader();
        new (this) Reader(std::move(o));
      }
      return *this;
    }
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;
    ~Reader() {
      if (ring_ != nullptr && key_ == detail::self_key()) ring_->impl_->leave(slot_);
    }

    /// Copies up to out.size() published elements, in order; returns how many.
    std::size_t read(std::span<T> out) {
      check_owner();
      return ring_->guarded([&] {
        const auto r = ring_->impl_->readable(pos_);
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(r.count, out.size()));
        const std::size_t first = static_cast<std::size_t>(std::min<std::uint64_t>(r.contiguous, n));
        std::memcpy(out.data(), ring_->impl_->read_slot(pos_), first * sizeof(T));
        if (n > first) std::memcpy(out.data() + first, ring_->impl_->read_slot(pos_ + first), (n - first) * sizeof(T));
        pos_ += n;
        ring_->impl_->advance(slot_, pos_);
        return n;
      });
    }
    /// Zero copy: up to `n` contiguous published elements (empty when none).
    /// They stay valid until read_release().
    std::span<const T> read_acquire(std::size_t n) {
      check_owner();
      const auto r = ring_->guarded([&] { return ring_->impl_->readable(pos_); });
      acquired_ = static_cast<std::size_t>(std::min<std::uint64_t>(r.contiguous, n));
      return {reinterpret_cast<const T*>(ring_->impl_->read_slot(pos_)), acquired_};
    }
    /// Gives back the first `k` elements of the last read_acquire() (k <= its size).
    void read_release(std::size_t k) {
      if (k > acquired_) {
        throw InvalidArgument(ring_->where() + ": read_release(" + std::to_string(k) + ") after read_acquire gave " +
                              std::to_string(acquired_) + " elements");
      }
      pos_ += k;
      acquired_ = 0;
      ring_->impl_->advance(slot_, pos_);
    }
    /// Published elements not yet read.
    [[nodiscard]] std::size_t available() const {
      return static_cast<std::size_t>(ring_->guarded([&] { return ring_->impl_->readable(pos_).count; }));
    }
    /// The position of the next element this reader reads (elements written before it registered excluded).
    [[nodiscard]] std::uint64_t position() const noexcept { return pos_; }

   private:
    friend class Ring;
    Reader(Ring* ring, std::uint32_t slot, std::uint64_t pos)
        : ring_(ring), slot_(slot), key_(detail::self_key()), pos_(pos) {}
    void check_owner() const {
      if (key_ != detail::self_key()) {
        throw RoleTaken(ring_->where() + ": this reader was registered by another process (a handle inherited "
                                         "across fork()); register a reader of its own with reader()");
      }
    }
    Ring* ring_;
    std::uint32_t slot_;
    std::uint32_t key_;
    std::uint64_t pos_;
    std::size_t acquired_ = 0;
  };

  /// Registers a reader: it reads every element written from now on. Throws
  /// LimitReached when 64 live readers are registered. The Reader uses this
  /// Ring handle: keep the handle alive while it reads.
  Reader reader() {
    std::uint64_t start = 0;
    const std::uint32_t slot = impl_->join(start);
    if (slot == V::kReaders) {
      throw LimitReached(where() + ": all " + std::to_string(V::kReaders) + " reader slots are held by live readers");
    }
    return Reader(this, slot, start);
  }

  [[nodiscard]] std::size_t capacity() const noexcept { return static_cast<std::size_t>(stored_capacity()); }
  /// Reader slots in use now (dead readers included until the writer frees them).
  [[nodiscard]] std::size_t readers() const noexcept { return impl_->readers(); }

  static detail::StructSpec spec() noexcept {
    return detail::element_spec<T>(detail::Kind::kRing, V::kId, "Ring", &total_size);
  }
  static std::uint64_t total_size(std::uint64_t capacity, std::uint32_t element_size) noexcept {
    return detail::with_header(V::body_size(capacity, element_size));
  }

 private:
  std::unique_ptr<Impl> make_impl() const {
    return std::make_unique<Impl>(body(), stored_capacity(), static_cast<std::uint32_t>(sizeof(T)));
  }
  static std::size_t check_capacity(const Memory& mem, std::string_view name, std::size_t capacity) {
    if (V::body_size(capacity, sizeof(T)) == 0) bad_capacity(mem, name, spec(), capacity, "1 to 2^48 elements");
    return capacity;
  }
  std::string role_key() const {
    return segment_name() + '\0' + name() + std::string("\0w", 2) + std::to_string(writer_key_);
  }
  void claim_writer() {
    if (writer_key_ == detail::self_key()) return;
    const variants::detail::RoleClaim c = impl_->claim_writer();
    if (!c.ok) {
      throw RoleTaken(where() + ": the writer role is held by live " + detail::process_text(c.holder) +
                      "; a ring has one writer");
    }
    writer_key_ = c.key;
    detail::ProcessRoles::claim(role_key());
  }

  std::unique_ptr<Impl> impl_;
  std::uint32_t writer_key_ = 0;  // the owner key this handle claimed the writer role under (0: none)
  std::size_t acquired_ = 0;      // elements of the last write_acquire
};

}  // namespace zeroipc
