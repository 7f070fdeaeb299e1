// zeroipc/future.h — a value that one process sets once and any number of
// processes wait for.
//
//   zeroipc::Future<double> result(mem, "expensive_calc");     // create, pending; this process is the producer
//   result.set_value(run_simulation());                        // single assignment; a second set throws
//   result.set_error("diverged at step 812");                  // or an error, with a message
//   zeroipc::Future<double> r(peer, "expensive_calc", zeroipc::open_only);   // open existing
//   if (auto v = r.get_for(std::chrono::seconds(5))) use(*v); else handle_timeout();
//   double v = r.get();        // blocks; throws FutureError with the stored message, or if the producer died
//   auto all = zeroipc::Future<double>::all(futures);          // every value, in order
//   auto [i, first] = zeroipc::Future<double>::any(futures);   // the first value set
//   auto y = r.map([](double x) { return 2 * x; });            // f(get()), run here
//   auto z = r.then(mem, "doubled", [](double x) { return 2 * x; });  // a named Future set by a thread here
//
// The producer. A pending Future records the owner key (liveness.h) of its
// producer: the process that created it, or the last one that called
// claim_producer(). Readers wait as long as the producer lives; when it dies
// before a value or error is set, every reader throws FutureError
// "producer process <pid> died before setting a value" within one 20 ms
// wait slice (wait.h), instead of hanging. So a process that creates a
// Future for another process to fulfil should let that process call
// claim_producer(). Any process may call set_value()/set_error(); the setter
// owns the Future while it copies the value in, and a setter that dies then
// counts as a dead producer too.
//
// Layout (SPECIFICATION.md §7.4; shared with Lazy, kind 9):
//
//   0    common header (§6), kind 8, capacity 1, element_size = sizeof(T)
//   64   u64 state        phase (bits 0-3) | sequence (bits 4-31) << 4 | owner key << 32
//   72   u64 owner_pid    pid of the owner, for messages (§4.1: the key judges liveness)
//   80   u32 owner_tag    owner key for which owner_pid was written
//   84   u32 sleepers     processes that may sleep on `state` (wait.h)
//   88   u32 generation   Lazy: invalidations; Future: 0
//   92   u32 demand       Lazy: demands from processes without a computation; Future: 0
//   96   u32 demand_sleepers  Lazy: providers that may sleep on `demand`
//   128  char error[256]  NUL-terminated message of set_error()
//   384  value            sizeof(T) bytes, padded to a multiple of 8
//
// Future phases: 0 pending (owner = producer), 1 setting (owner = setter),
// 2 ready, 3 error (owner = the setter, kept for messages). Every transition
// adds 1 to the sequence, so the futex half of `state` changes with every
// transition (wait.h's rule). Any other phase read from the segment is a
// CorruptSegment error.
//
//   pending(s, P) --set: CAS--> setting(s+1, me) --store--> ready(s+2, me) | error(s+2, me)
//   pending(s, P) --claim_producer: CAS--> pending(s+1, me)
//   setting(s, dead D) --set: CAS--> setting(s+1, me)   (a dead setter's claim is taken over)
//
// Memory ordering:
//   (F1) the setter's CAS pending -> setting claims the Future (one winner).
//   (F2) the value (or message) is written with plain stores after (F1)...
//   (F3) ...and published by the seq_cst CAS setting -> ready/error, whose
//        release half pairs with (F4) the acquire load of `state` in get():
//        a reader that sees ready sees the whole value. No one writes the
//        value after ready, so readers copy it with a plain memcpy.
//   The owner's identity is its key, inside `state`: every claim publishes
//   owner and phase with one CAS, so nobody ever sees an owner without its
//   identity. Its pid is written next to it for messages only:
//   (O1) owner_pid and (O2) owner_tag (the owner's key) are stored with
//        release after a claim; (O3) the acquire load of owner_tag pairs
//        with (O2), so a tag equal to the key in the state vouches for the
//        pid read after it, through every later transition by that owner;
//        (O4) the acquire load of owner_pid pairs with (O1) of any later
//        claim, so (O5) a re-load of `state` that still finds the claim
//        proves the pid is that claim's (and, before declaring an owner
//        dead, that no later claim took over meanwhile).
//   (N1)/(N2)/(W1)-(W3): the waking protocol of wait.h.
//
// What a crash costs:
//   producer killed while pending      readers throw "producer process P died before setting a
//                                      value" within ~20 ms; a later set_value() still works
//   setter killed in `setting`         the same; the next set_value() takes the claim over
//   setter killed after publishing     nothing: the value (or error) is there
//   reader killed while waiting        `sleepers` stays one too high: setters make one
//                                      needless wake call; nothing else
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "zeroipc/detail/dtype.h"
#include "zeroipc/detail/layout.h"
#include "zeroipc/detail/mapping.h"
#include "zeroipc/detail/names.h"
#include "zeroipc/detail/owned_thread.h"
#include "zeroipc/detail/structure.h"
#include "zeroipc/detail/structure_handle.h"
#include "zeroipc/detail/wait.h"
#include "zeroipc/error.h"
#include "zeroipc/memory.h"
#include "zeroipc/variants/detail/liveness.h"
#include "zeroipc/variants/detail/process.h"

namespace zeroipc {

namespace detail {

// ------------------------------------------------------------ §7.4 layout, shared by Future and Lazy
inline constexpr std::size_t kCodataErrorOffset = ZEROIPC_CODATA_ERROR_OFFSET;
inline constexpr std::size_t kCodataErrorBytes = ZEROIPC_CODATA_ERROR_SIZE;
inline constexpr std::size_t kCodataValueOffset = ZEROIPC_CODATA_VALUE_OFFSET;

/// The bytes of §7.4 before the value (the C99 layout header's struct, shared with lib/c).
using CodataLayout = ::zeroipc_codata;
static_assert(sizeof(CodataLayout) == kCodataValueOffset, "the value starts at 384 (spec §7.4)");
static_assert(offsetof(CodataLayout, state) == 64,
              "the state word starts its own cache line, after the common header (spec §7.4)");
static_assert(offsetof(CodataLayout, owner_pid) == 72, "spec §7.4");
static_assert(offsetof(CodataLayout, owner_tag) == 80, "spec §7.4");
static_assert(offsetof(CodataLayout, sleepers) == 84, "spec §7.4");
static_assert(offsetof(CodataLayout, generation) == 88, "spec §7.4");
static_assert(offsetof(CodataLayout, demand) == 92 && offsetof(CodataLayout, demand_sleepers) == 96, "spec §7.4");
static_assert(offsetof(CodataLayout, error) == kCodataErrorOffset, "spec §7.4");
static_assert(kIsLayout<CodataLayout>, "layout structs are overlaid on shared bytes: plain data only");
static_assert(kCodataValueOffset % 64 == 0 && kCodataErrorOffset % 8 == 0,
              "value and message are copied in aligned 8-byte words (and T may need 64-byte alignment)");
static_assert(std::atomic_ref<std::uint64_t>::is_always_lock_free &&
                  std::atomic_ref<std::uint32_t>::is_always_lock_free,
              "state, owner and sleeper words are shared between processes: they must be lock-free");

/// The state word: phase | sequence << 4 | owner key << 32.
namespace codata {
inline constexpr std::uint64_t kPhaseMask = 0xF;
inline constexpr unsigned kSequenceShift = 4;
inline constexpr std::uint32_t kSequenceMask = 0x0FFFFFFF;
/// Not a state any implementation writes (phase 15): "none seen yet".
inline constexpr std::uint64_t kNoState = ~std::uint64_t{0};

constexpr unsigned phase(std::uint64_t w) noexcept { return static_cast<unsigned>(w & kPhaseMask); }
constexpr std::uint32_t sequence(std::uint64_t w) noexcept {
  return static_cast<std::uint32_t>(w >> kSequenceShift) & kSequenceMask;
}
constexpr std::uint32_t owner(std::uint64_t w) noexcept { return static_cast<std::uint32_t>(w >> 32); }
constexpr std::uint64_t make(std::uint32_t seq, unsigned ph, std::uint32_t owner_pid) noexcept {
  return std::uint64_t{owner_pid} << 32 | std::uint64_t{seq & kSequenceMask} << kSequenceShift |
         (ph & kPhaseMask);
}
/// The state after a transition from `w`: sequence + 1.
constexpr std::uint64_t next(std::uint64_t w, unsigned ph, std::uint32_t owner_pid) noexcept {
  return make(sequence(w) + 1, ph, owner_pid);
}
/// Bytes of a Future or Lazy of one element of `element_size` bytes; 0 if not allowed.
inline std::uint64_t total_size(std::uint64_t capacity, std::uint32_t element_size) noexcept {
  if (capacity != 1 || element_size == 0) return 0;
  return kCodataValueOffset + ((std::uint64_t{element_size} + 7) & ~std::uint64_t{7});
}
}  // namespace codata

/// Copies `n` bytes into shared memory as aligned 8-byte release stores
/// (the last word zero-padded). Pairs with load_words (acquire).
inline void store_words(std::byte* shared, const void* src, std::size_t n) noexcept {
  const auto* in = static_cast<const unsigned char*>(src);
  for (std::size_t off = 0; off < n; off += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, in + off, std::min<std::size_t>(8, n - off));
    std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(shared + off))
        .store(w, std::memory_order_release);
  }
}

/// Copies `n` bytes out of shared memory as aligned 8-byte acquire loads:
/// no data race with a concurrent store_words, and no later load moves
/// before them (what a sequence re-check after the copy relies on).
inline void load_words(void* dst, std::byte* shared, std::size_t n) noexcept {
  auto* out = static_cast<unsigned char*>(dst);
  for (std::size_t off = 0; off < n; off += 8) {
    const std::uint64_t w = std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(shared + off))
                                .load(std::memory_order_acquire);
    std::memcpy(out + off, &w, std::min<std::size_t>(8, n - off));
  }
}

/// One Future or Lazy in the mapping: its state word, owner record, message
/// and value. `owned_phases` has bit p set when phase p has an owner whose
/// death its waiters must notice.
class CodataCell {
 public:
  CodataCell(std::byte* base, unsigned owned_phases) noexcept
      : base_(base), layout_(reinterpret_cast<CodataLayout*>(base)), owned_(owned_phases) {}

  [[nodiscard]] std::byte* base() const noexcept { return base_; }
  [[nodiscard]] std::byte* value() const noexcept { return base_ + kCodataValueOffset; }
  [[nodiscard]] std::atomic_ref<std::uint64_t> state() const noexcept { return atomic_of(layout_->state); }
  [[nodiscard]] std::atomic_ref<std::uint32_t> generation() const noexcept {
    return atomic_of(layout_->generation);
  }
  [[nodiscard]] WaitWord wait_word() const noexcept { return {layout_->state, layout_->sleepers}; }
  /// Lazy: the word a providing process sleeps on until another process demands the value.
  [[nodiscard]] WaitWord demand_word() const noexcept { return {layout_->demand, layout_->demand_sleepers}; }
  [[nodiscard]] std::atomic_ref<std::uint32_t> demand() const noexcept { return atomic_of(layout_->demand); }
  [[nodiscard]] bool owned(std::uint64_t w) const noexcept { return ((owned_ >> codata::phase(w)) & 1u) != 0; }

  /// Records this process's pid (for messages) for the claim that made `state` == claim.
  void record_owner(std::uint64_t claim) const noexcept {
    record_owner(layout_, claim);
  }
  /// The same on a layout not yet published (creation).
  static void record_owner(CodataLayout* l, std::uint64_t claim) noexcept {
    atomic_of(l->owner_pid).store(static_cast<std::uint64_t>(current_pid()), std::memory_order_release);  // (O1)
    atomic_of(l->owner_tag).store(codata::owner(claim), std::memory_order_release);  // (O2)
  }

  /// The pid recorded for the claim that made state `w`; 0 if it is not
  /// (yet) known, or `state` moved on meanwhile.
  [[nodiscard]] pid_t owner_pid(std::uint64_t w) const noexcept {
    const std::uint32_t tag = atomic_of(layout_->owner_tag).load(std::memory_order_acquire);  // (O3)
    const std::uint64_t pid = atomic_of(layout_->owner_pid).load(std::memory_order_acquire);  // (O4)
    if (tag != codata::owner(w) || pid == 0 || pid > INT_MAX) return 0;
    return state().load(std::memory_order_acquire) == w ? static_cast<pid_t>(pid) : 0;  // (O5)
  }

  /// True (and the owner's pid in *who, 0 if not recorded) when the owner
  /// named by state `w` is dead and `state` still is `w`. A key of 0 (a
  /// corrupt segment) counts as dead.
  bool owner_dead(std::uint64_t w, pid_t* who) const noexcept {
    *who = owner_pid(w);
    if (owner_alive(base_, codata::owner(w))) return false;
    return state().load(std::memory_order_acquire) == w;  // (O5)
  }

  /// For wait_while_equal(): is the owner of the current state dead?
  [[nodiscard]] OwnerCheck owner_check() const noexcept { return {&probe, this}; }

  /// Stores `message` (at most 255 bytes; longer ones are cut, at a UTF-8
  /// character boundary, and end in " [truncated]"), NUL-terminated.
  void write_error(std::string_view message) const noexcept {
    static constexpr std::string_view kNote = " [truncated]";
    char buf[kCodataErrorBytes] = {};
    if (message.size() < kCodataErrorBytes) {
      std::memcpy(buf, message.data(), message.size());
    } else {
      std::size_t keep = kCodataErrorBytes - 1 - kNote.size();
      while (keep > 0 && (static_cast<unsigned char>(message[keep]) & 0xC0u) == 0x80u) --keep;
      std::memcpy(buf, message.data(), keep);
      std::memcpy(buf + keep, kNote.data(), kNote.size());
    }
    store_words(base_ + kCodataErrorOffset, buf, sizeof buf);
  }

  /// The stored message (untrusted bytes: cut at the first NUL or at 255).
  [[nodiscard]] std::string read_error() const {
    char buf[kCodataErrorBytes];
    load_words(buf, base_ + kCodataErrorOffset, sizeof buf);
    buf[kCodataErrorBytes - 1] = '\0';
    return std::string(buf, ::strnlen(buf, kCodataErrorBytes - 1));
  }

 private:
  static bool probe(const void* self, pid_t* who) noexcept {
    const auto* cell = static_cast<const CodataCell*>(self);
    const std::uint64_t w = cell->state().load(std::memory_order_acquire);
    return cell->owned(w) && cell->owner_dead(w, who);
  }

  std::byte* base_;
  CodataLayout* layout_;
  unsigned owned_;
};

/// A deadline `d` from now, saturating: durations too long for nanoseconds are forever.
template <class Rep, class Period>
Deadline deadline_after(const std::chrono::duration<Rep, Period>& d) noexcept {
  if (std::chrono::duration<double, std::nano>(d).count() >= 9.0e18) return Deadline::forever();
  return Deadline::after(std::chrono::duration_cast<std::chrono::nanoseconds>(d));
}

/// "segment '/x', future 'name'" for messages.
inline std::string codata_where(const Mapping& m, const char* kind, std::string_view name) {
  return "zeroipc: segment '" + printable(m.name()) + "', " + kind + " '" + printable(name) + "'";
}

/// How often a then() continuation checks that its handle still exists.
inline constexpr std::chrono::milliseconds kContinuationPoll{50};

}  // namespace detail

template <class T>
class Future : public detail::StructureHandle {
  static_assert(std::is_trivially_copyable_v<T>,
                "Future<T> copies T's bytes between processes: T must be trivially copyable");
  static_assert(!std::is_const_v<T> && !std::is_volatile_v<T>, "use Future<T>, not Future<const T>");
  static_assert(alignof(T) <= detail::kCacheLine,
                "the value starts on a 64-byte boundary (spec §7.4): alignof(T) must be <= 64");
  static_assert(sizeof(T) <= 0xFFFFFFF0u, "element_size is a u32 in the common header (spec §6)");

 public:
  using value_type = T;
  /// Phases of the state word (spec §7.4).
  enum Phase : unsigned { kPending = 0, kSetting = 1, kReady = 2, kError = 3 };

  /// Creates `name`, pending, with this process as its producer; or opens it
  /// if it exists (then the producer is unchanged: see claim_producer()).
  Future(Memory& mem, std::string_view name)
      : StructureHandle(mem, name, spec(), 1, [](std::byte* body) { init(body - sizeof(detail::StructHeader)); }),
        cell_(header_bytes(), kOwnedPhases) {}
  /// Only opens: NotFound if missing, Mismatch if not a Future<T>.
  Future(Memory& mem, std::string_view name, open_only_t)
      : StructureHandle(mem, name, spec(), open_only), cell_(header_bytes(), kOwnedPhases) {}
  /// open_existing: as (mem, name, open_only) when true, (mem, name) when false.
  Future(Memory& mem, std::string_view name, bool open_existing)
      : Future(open_existing ? Future(mem, name, open_only) : Future(mem, name)) {}

  /// Sets the value; wakes every waiter. Throws FutureError (kAlreadySet) if
  /// a value or error was set before, by any process.
  void set_value(const T& value) {
    settle(kReady, [&] { std::memcpy(cell_.value(), &value, sizeof(T)); });  // (F2)
  }

  /// Sets an error (message up to 255 bytes); get() throws it everywhere.
  void set_error(std::string_view message) {
    settle(kError, [&] { cell_.write_error(message); });  // (F2)
  }

  /// Makes this process the producer whose death fails the readers.
  /// Throws FutureError (kAlreadySet) once a value or error is set.
  void claim_producer() {
    using namespace detail::codata;
    const std::uint32_t me = detail::self_key();
    for (;;) {
      std::uint64_t w = cell_.state().load(std::memory_order_acquire);
      if (phase(w) != kPending) {
        check_phase(w);
        throw FutureError(FutureError::Reason::kAlreadySet,
                          where() + ": cannot claim the producer role: " + settled_text(w));
      }
      if (owner(w) == me) return;
      const std::uint64_t claim = next(w, kPending, me);
      if (cell_.state().compare_exchange_strong(w, claim, std::memory_order_seq_cst)) {  // (N1)
        cell_.record_owner(claim);
        detail::wake_all(cell_.wait_word());  // readers re-check the new producer
        return;
      }
    }
  }

  /// The value; blocks until it is set. Throws FutureError with the stored
  /// message, or when the producer died before setting a value.
  T get() const {
    const std::uint64_t w = cell_.state().load(std::memory_order_acquire);  // (F4)
    if (detail::codata::phase(w) == kReady) [[likely]] return read_value();
    return *wait_until(detail::Deadline::forever());
  }

  /// The value, or nullopt if none was set within `timeout`; throws as get().
  template <class Rep, class Period>
  std::optional<T> get_for(const std::chrono::duration<Rep, Period>& timeout) const {
    const std::uint64_t w = cell_.state().load(std::memory_order_acquire);  // (F4)
    if (detail::codata::phase(w) == kReady) return read_value();
    return wait_until(detail::deadline_after(timeout));
  }

  /// f(get()), run in this process.
  template <class F>
  auto map(F&& f) const -> std::invoke_result_t<F, T> {
    return std::invoke(std::forward<F>(f), get());
  }

  /// The Future `name` of f(value), set by a thread of this process as soon
  /// as this one is set: a pipeline of dependent results, across processes
  /// (any process opens `name` and waits for it). `name` is created, or
  /// opened if it exists and is pending; this process claims its producer
  /// role. An error here (set_error, or a dead producer) sets an error there
  /// with this one's message; so does f throwing (its what()). Chains:
  /// a.then(mem, "b", f).then(mem, "c", g). The returned handle (and its
  /// copies) own the thread: destroying the last one before this Future
  /// settles sets the error "its then() handle was destroyed before ..." on it,
  /// and the death of this process fails its readers (kProducerDied).
  /// Throws FutureError (kAlreadySet) if `name` was set already. fork(): a
  /// child must not destroy a then() handle it inherited (its thread is the
  /// parent's): let it _exit() or exec().
  template <class F>
    requires std::is_invocable_v<F&, const T&>
  auto then(Memory& mem, std::string_view name, F f) const -> Future<std::decay_t<std::invoke_result_t<F&, const T&>>> {
    using U = std::decay_t<std::invoke_result_t<F&, const T&>>;
    Future<U> out(mem, name);
    out.claim_producer();
    out.continuation_ = std::make_shared<detail::OwnedThread>(
        [in = Future(*this, duplicate_t{}, true), target = Future<U>(out, duplicate_t{}),
         f = std::move(f)](detail::stream::CancelToken& stop) mutable {
          std::optional<T> value;
          std::string failure;
          try {
            while (!(value = in.get_for(detail::kContinuationPoll))) {
              if (stop.cancelled()) {
                failure = target.where() + ": its then() handle was destroyed before " + in.where() + " was set";
                break;
              }
            }
          } catch (const std::exception& e) {
            failure = e.what();  // the input's error, or its dead producer
          }
          if (value) {
            try {
              target.set_value(static_cast<U>(f(*value)));
              return;
            } catch (const FutureError& e) {
              if (e.reason() == FutureError::Reason::kAlreadySet) return;  // set by someone else: theirs stands
              failure = e.what();
            } catch (const std::exception& e) {
              failure = std::string("then(): the function threw: ") + e.what();
            } catch (...) {
              failure = "then(): the function threw an exception not derived from std::exception";
            }
          }
          try {
            target.set_error(failure);
          } catch (const FutureError&) {
            // set meanwhile by another process: nothing to report
          }
        });
    return out;
  }

  /// A value is set: get() returns it at once.
  [[nodiscard]] bool is_ready() const noexcept {
    return detail::codata::phase(cell_.state().load(std::memory_order_acquire)) == kReady;
  }
  /// An error is set: get() throws it at once.
  [[nodiscard]] bool has_error() const noexcept {
    return detail::codata::phase(cell_.state().load(std::memory_order_acquire)) == kError;
  }
  /// The pid of the owner recorded in the state: the producer while pending,
  /// the setter after (0 if not recorded).
  [[nodiscard]] pid_t producer() const noexcept {
    return cell_.owner_pid(cell_.state().load(std::memory_order_acquire));
  }

  /// Every value, in order; blocks until all are set; throws the first failure met.
  static std::vector<T> all(std::span<const Future> futures) {
    std::vector<T> out;
    out.reserve(futures.size());
    for (const Future& f : futures) out.push_back(f.get());
    return out;
  }

  /// The first value set, with its index. Futures that fail (error, dead
  /// producer) are skipped; if every one fails, throws the first failure.
  /// Sleeps on all state words at once (wait_any: FUTEX_WAITV), no polling.
  static std::pair<std::size_t, T> any(std::span<const Future> futures) {
    return *any_until(futures, detail::Deadline::forever());
  }
  /// As any(), or nullopt if none is set within `timeout`.
  template <class Rep, class Period>
  static std::optional<std::pair<std::size_t, T>> any_for(std::span<const Future> futures,
                                                          const std::chrono::duration<Rep, Period>& timeout) {
    return any_until(futures, detail::deadline_after(timeout));
  }


  static detail::StructSpec spec() noexcept {
    detail::StructSpec s{};
    s.kind = detail::Kind::kFuture;
    s.element_size = static_cast<std::uint32_t>(sizeof(T));
    s.dtype = static_cast<std::uint8_t>(detail::dtype_of<T>());
    s.total_size = &detail::codata::total_size;
    s.type_name = "Future";
    return s;
  }

 private:
  static constexpr unsigned kOwnedPhases = 1u << kPending | 1u << kSetting;

  // The creator is the producer (runs under the table lock, before publication).
  static void init(std::byte* base) {
    detail::CodataLayout& l = *reinterpret_cast<detail::CodataLayout*>(base);
    const std::uint64_t w = detail::codata::make(0, kPending, detail::self_key());
    detail::atomic_of(l.state).store(w, std::memory_order_relaxed);
    detail::CodataCell::record_owner(&l, w);
  }

  T read_value() const noexcept {
    std::array<std::byte, sizeof(T)> bytes;
    std::memcpy(bytes.data(), cell_.value(), sizeof(T));  // immutable once ready
    return std::bit_cast<T>(bytes);
  }

  void check_phase(std::uint64_t w) const {
    if (detail::codata::phase(w) > kError) {
      throw CorruptSegment(where() + ": unknown state phase " + std::to_string(detail::codata::phase(w)) +
                           " in the segment (expected 0 pending, 1 setting, 2 ready or 3 error)");
    }
  }

  std::string settled_text(std::uint64_t w) const {
    const std::string by = detail::process_text(cell_.owner_pid(w));
    switch (detail::codata::phase(w)) {
      case kReady: return "it already has a value (set by " + by + ")";
      case kError: return "it already has an error (set by " + by + "): " + cell_.read_error();
      default: return by + " is setting it now";
    }
  }

  [[noreturn]] void throw_error(std::uint64_t w) const {
    throw FutureError(FutureError::Reason::kErrorSet,
                      where() + ": error set by " + detail::process_text(cell_.owner_pid(w)) + ": " +
                          cell_.read_error());
  }

  [[noreturn]] void throw_dead(std::uint64_t w, pid_t who) const {
    throw FutureError(FutureError::Reason::kProducerDied,
                      where() + ": producer " + detail::process_text(who) +
                          " died before setting a value" +
                          (detail::codata::phase(w) == kSetting ? " (it died while setting it)" : ""));
  }

  // pending -> setting (or a dead setter's setting -> ours) -> final phase.
  template <class Write>
  void settle(unsigned final_phase, Write&& write) {
    using namespace detail::codata;
    const std::uint32_t me = detail::self_key();
    std::uint64_t claim = 0;
    for (;;) {
      std::uint64_t w = cell_.state().load(std::memory_order_acquire);
      check_phase(w);
      if (phase(w) == kReady || phase(w) == kError) {
        throw FutureError(FutureError::Reason::kAlreadySet,
                          where() + ": " + settled_text(w) + "; a Future is assigned once");
      }
      pid_t who = 0;
      if (phase(w) == kSetting && !cell_.owner_dead(w, &who)) {
        throw FutureError(FutureError::Reason::kAlreadySet,
                          where() + ": " + settled_text(w) + "; a Future is assigned once");
      }
      claim = next(w, kSetting, me);
      if (cell_.state().compare_exchange_strong(w, claim, std::memory_order_acq_rel)) break;  // (F1)
    }
    cell_.record_owner(claim);
    write();
    std::uint64_t expected = claim;
    if (!cell_.state().compare_exchange_strong(expected, next(claim, final_phase, me),
                                               std::memory_order_seq_cst)) {  // (F3)(N1)
      throw FutureError(FutureError::Reason::kAlreadySet,
                        where() + ": another process took over while this one was setting it "
                                  "(this process was taken for dead)");
    }
    detail::wake_all(cell_.wait_word());  // (N2)
  }

  std::optional<T> wait_until(const detail::Deadline& deadline) const {
    const detail::OwnerCheck check = cell_.owner_check();
    for (;;) {
      const std::uint64_t w = cell_.state().load(std::memory_order_acquire);  // (F4)
      check_phase(w);
      if (detail::codata::phase(w) == kReady) return read_value();
      if (detail::codata::phase(w) == kError) throw_error(w);
      const detail::WaitStatus s = detail::wait_while_equal(cell_.wait_word(), w, deadline, &check);
      if (s.result == detail::WaitResult::kOwnerDead) throw_dead(w, s.owner);
      if (s.result == detail::WaitResult::kTimedOut) {
        pid_t who = 0;
        if (cell_.owner_dead(w, &who)) throw_dead(w, who);  // a dead producer is an error, not a timeout
        return std::nullopt;
      }
    }
  }

  static std::optional<std::pair<std::size_t, T>> any_until(std::span<const Future> futures,
                                                            const detail::Deadline& deadline) {
    using Clock = detail::Deadline::Clock;
    if (futures.empty()) throw InvalidArgument("zeroipc: Future::any() of no futures");
    std::vector<std::uint64_t> dead_state(futures.size(), detail::codata::kNoState);
    std::vector<detail::WaitTarget> targets;
    Clock::time_point next_owner_check = Clock::now() + detail::kOwnerCheckInterval;
    for (;;) {
      const bool check_owners = Clock::now() >= next_owner_check;
      if (check_owners) next_owner_check = Clock::now() + detail::kOwnerCheckInterval;
      targets.clear();
      std::optional<std::size_t> first_failed;
      std::size_t failed = 0;
      for (std::size_t i = 0; i < futures.size(); ++i) {
        const Future& f = futures[i];
        const std::uint64_t w = f.cell_.state().load(std::memory_order_acquire);  // (F4)
        f.check_phase(w);
        const unsigned ph = detail::codata::phase(w);
        pid_t who = 0;
        if (ph == kReady) return std::pair<std::size_t, T>(i, f.read_value());
        if (ph == kPending || ph == kSetting) {
          if (w != dead_state[i] && !(check_owners && f.cell_.owner_dead(w, &who))) {
            targets.push_back({f.cell_.wait_word(), w});
            continue;
          }
          dead_state[i] = w;
        }
        ++failed;
        if (!first_failed) first_failed = i;
      }
      if (failed == futures.size()) {
        try {
          futures[*first_failed].get();  // throws its failure
        } catch (const FutureError& e) {
          throw FutureError(e.reason(), "zeroipc: Future::any(): all " + std::to_string(futures.size()) +
                                            " futures failed; the first: " + e.what());
        }
        continue;  // it was set meanwhile: look again
      }
      if (deadline.passed()) return std::nullopt;
      detail::wait_any(targets, deadline.earlier(detail::Deadline::at(next_owner_check)));
    }
  }

  template <class>
  friend class Future;

  // Shares the structure, and the continuation that sets it if `with_continuation`
  // (a then() on a then()'s Future keeps the earlier link's thread going).
  Future(const Future& other, duplicate_t, bool with_continuation = false)
      : StructureHandle(other, duplicate_t{}),
        cell_(other.cell_),
        continuation_(with_continuation ? other.continuation_ : nullptr) {}

  detail::CodataCell cell_;
  std::shared_ptr<detail::OwnedThread> continuation_;  // then(): the thread that sets this one
};

}  // namespace zeroipc
