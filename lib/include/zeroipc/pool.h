// zeroipc/pool.h — a fixed set of objects in a segment, acquired and
// released by any process; a handle names the same object everywhere.
//
//   zeroipc::Pool<Particle> pool(mem, "particles", 10000);   // create, or open + check
//   std::optional<zeroipc::Pool<Particle>::Handle> h = pool.acquire();   // nullopt when exhausted
//   Particle& p = pool[*h];            // the object, in this process's mapping
//   queue.push(*h);                    // a Handle is 16 trivially copyable bytes: send it anywhere
//   pool.release(*h);                  // a second release of the same handle throws OutOfRange
//   pool.available();                  // free objects now
//
// Objects start zeroed and keep their bytes across release and acquire.
// A handle is (index, generation, pool id): after a release it no longer
// matches (release or [] with it throws OutOfRange), and a handle of another
// pool is refused. What a kill costs: variants/locked_free_list.h (nothing
// is handed out twice or lost by a kill inside acquire/release; an object a
// dead process still held stays acquired: held_by_dead() lists those).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <unistd.h>

#include "zeroipc/detail/dtype.h"
#include "zeroipc/detail/layout.h"
#include "zeroipc/detail/structure_handle.h"
#include "zeroipc/memory.h"
#include "zeroipc/variants/locked_free_list.h"

namespace zeroipc {

namespace variants {
using default_pool = locked_free_list;
}

template <class T, class V = variants::default_pool>
class Pool : public detail::StructureHandle {
  static_assert(std::is_trivially_copyable_v<T>,
                "Pool<T> shares T's bytes between processes: T must be trivially copyable");
  static_assert(!std::is_const_v<T> && !std::is_volatile_v<T>, "use Pool<T>, not Pool<const T>");
  static_assert(alignof(T) <= detail::kCacheLine,
                "objects start on a 64-byte boundary (spec §7.9): alignof(T) must be <= 64");
  static_assert(sizeof(T) <= 0xFFFFFFF0u, "element_size is a u32 in the common header (spec §6)");

 public:
  using value_type = T;
  using variant = V;
  /// Names one object of one pool in every process: 16 trivially copyable bytes.
  using Handle = typename V::Handle;
  static_assert(std::is_trivially_copyable_v<Handle>);

  /// Creates `name` with `capacity` zeroed objects, or opens it if it exists
  /// (same variant, object size and capacity).
  Pool(Memory& mem, std::string_view name, std::size_t capacity)
      : StructureHandle(mem, name, spec(), check_capacity(mem, name, capacity),
                        [&](std::byte* body) { V::init(body, capacity, new_pool_id()); }),
        impl_(make_impl()) {}
  /// Opens the existing pool `name`.
  Pool(Memory& mem, std::string_view name) : Pool(mem, name, open_only) {}
  Pool(Memory& mem, std::string_view name, open_only_t)
      : StructureHandle(mem, name, spec(), open_only), impl_(make_impl()) {}

  /// A free object, now held by the caller; nullopt when every object is acquired.
  std::optional<Handle> acquire() {
    Handle h{};
    if (!guarded([&] { return impl_->acquire(h); })) return std::nullopt;
    return h;
  }

  /// Gives the object back. Throws OutOfRange for a handle of another pool,
  /// or one already released (nothing changes then).
  void release(const Handle& h) {
    using R = typename V::pool::Release;
    const R r = guarded([&] { return impl_->release(h); });
    if (r == R::kNotOurs) throw OutOfRange(where() + ": " + handle_text(h) + " is not a handle of this pool");
    if (r == R::kNotHeld) {
      throw OutOfRange(where() + ": " + handle_text(h) + " is not acquired (released already, or stale)");
    }
  }

  /// The object of an acquired handle. Throws OutOfRange, as release(), for
  /// a handle that is not (or no longer) an acquired object of this pool.
  T& operator[](const Handle& h) const {
    std::byte* p = impl_->object(h);
    if (p == nullptr) {
      throw OutOfRange(where() + ": " + handle_text(h) + " is not an acquired object of this pool");
    }
    return *reinterpret_cast<T*>(p);
  }
  T& at(const Handle& h) const { return (*this)[h]; }

  /// Free objects now (exact when no acquire or release is in flight).
  [[nodiscard]] std::size_t available() const noexcept { return static_cast<std::size_t>(impl_->available()); }
  [[nodiscard]] std::size_t capacity() const noexcept { return static_cast<std::size_t>(stored_capacity()); }
  /// Acquired objects whose acquiring process has died (without releasing
  /// them): the application decides whether to release them (their handle
  /// may have been passed to a live process).
  [[nodiscard]] std::vector<Handle> held_by_dead() const { return impl_->held_by_dead(); }

  static detail::StructSpec spec() noexcept {
    return detail::element_spec<T>(detail::Kind::kPool, V::kId, "Pool", &total_size);
  }
  static std::uint64_t total_size(std::uint64_t capacity, std::uint32_t element_size) noexcept {
    return detail::with_header(V::body_size(capacity, element_size));
  }

 private:
  std::unique_ptr<typename V::pool> make_impl() const {
    return std::make_unique<typename V::pool>(body(), stored_capacity(), static_cast<std::uint32_t>(sizeof(T)));
  }
  static std::size_t check_capacity(const Memory& mem, std::string_view name, std::size_t capacity) {
    if (V::body_size(capacity, sizeof(T)) == 0) bad_capacity(mem, name, spec(), capacity, "1 to 2^32 objects");
    return capacity;
  }
  static std::uint64_t new_pool_id() {
    std::random_device rd;
    std::uint64_t id = (std::uint64_t{rd()} << 32) ^ rd() ^
                       static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
                       static_cast<std::uint64_t>(::getpid());
    return id == 0 ? 1 : id;
  }
  static std::string handle_text(const Handle& h) {
    return "handle {index " + std::to_string(h.index) + ", generation " + std::to_string(h.generation) + "}";
  }

  std::unique_ptr<typename V::pool> impl_;
};

}  // namespace zeroipc
