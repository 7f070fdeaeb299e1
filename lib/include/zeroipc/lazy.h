// zeroipc/lazy.h — a value computed once, by whichever process first needs
// it, and cached in the segment for every other process.
//
//   zeroipc::Lazy<Matrix> inv(mem, "matrix_inverse");
//   inv.set_computation([&] { return compute_inverse(original); });  // registered: this process provides it
//   zeroipc::Lazy<Matrix> same(peer, "matrix_inverse", zeroipc::open_only);         // open existing
//   Matrix m = same.get();   // first caller with a computation computes; everyone else waits; then cached
//   zeroipc::Lazy<double> h(mem, "H", [] { return entropy(); });       // create + computation
//   h.force();               // = get()
//   h.invalidate();          // reset to empty (generation + 1): the next get() recomputes
//
// Exactly once across processes: get() claims the empty Lazy with one CAS
// (empty -> computing, with this process's pid in the state word), so of N
// processes racing, one computes and the others wait on the futex.
//
// Demand. A handle with a computation is a *provider*: a thread of its
// process sleeps on the Lazy's `demand` word. A get() in a process without
// the computation adds 1 to `demand` and wakes it, and the provider claims
// the empty Lazy and computes it (on that thread), so "computed once, on
// first demand, by whoever has the computation" holds across processes.
// While no live provider exists the get() waits up to `timeout()` for one
// (one that starts later serves a demand already made), then throws
// LazyError (kNoComputation). The provider thread ends when the last copy
// of the handle that registered the computation goes.
// fork(): the provider thread is not copied into a child; a child must not
// destroy a Lazy with a computation that it inherited (let it _exit() or
// exec(), or open the Lazy itself), as with Stream's handles.
//
// Crashes. The computing process is the owner (its key: liveness.h). A waiter
// notices it died within one 20 ms wait slice (wait.h). A waiter that has a
// computation takes the claim over with one CAS (computing(dead) ->
// computing(me)) and computes; one without keeps waiting for somebody who
// has one, and after `timeout()` (default 30 s, set_timeout(); or the
// duration given to get_for()) throws LazyError "the computing process <pid>
// died and no waiting process has the computation". While a *live* process
// computes, get() waits as long as it takes (get_for() bounds it).
//
// Errors. A computation that throws stores its what() for everyone: every
// get(), here and in other processes, throws LazyError with it, until
// invalidate() resets the Lazy for a retry. The computation is a
// std::function of this handle only (functions do not cross processes).
//
// Layout: SPECIFICATION.md §7.4 (the Future layout, kind 9). Phases: 0 empty
// (no owner), 1 computing (owner = the computing process), 2 ready, 3 error
// (owner = the process that computed, kept for messages). `generation` counts
// invalidations.
//
//   empty(s) --get with a computation: CAS--> computing(s+1, me) --CAS--> ready(s+2, me) | error(s+2, me)
//   computing(s, dead D) --get with a computation: CAS--> computing(s+1, me)
//   ready | error | computing(dead) --invalidate: CAS--> empty(s+1), generation + 1
//
// Memory ordering (see also future.h (O1)-(O5) and wait.h):
//   (L1) the computing process stores the value with release word stores
//        (detail::store_words) after its claim CAS, then publishes ready with
//        a seq_cst CAS (N1) that pairs with (L0), the acquire load of `state`
//        in get();
//   (L2) get() copies the value with acquire word loads, then (L3) re-loads
//        `state`: because invalidate() can reset the Lazy and another process
//        recompute it while a reader copies, the copy counts only if the
//        state is unchanged (a sequence lock). If a load in (L2) read a word
//        of a newer computation, it synchronizes with that (L1), which comes
//        after the newer claim, so (L3) sees a changed state and the reader
//        goes round again. The sequence number is 28 bits: a reader would
//        have to be stalled for 2^28 transitions to be fooled.
//
// What a crash costs:
//   computing process killed           its computation is lost; a waiter with a computation
//                                      recomputes it after ~20 ms (so the computation ran
//                                      twice, once to completion); without one, waiters
//                                      throw after timeout()
//   killed after publishing            nothing
//   killed while invalidating          nothing: one CAS, done or not done
//   waiter killed while asleep         `sleepers` stays one too high (one needless wake call
//                                      per later publish)
//
// A computation that calls get() on its own Lazy (directly or through other
// Lazies computed by the same thread) throws LazyError instead of waiting
// for itself. A cycle through two processes (each computing what the other
// needs) is not detected: both wait.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "zeroipc/detail/owned_thread.h"
#include "zeroipc/future.h"

namespace zeroipc {

namespace detail {
/// The Lazy cells this thread is computing now (innermost last).
inline thread_local std::vector<const std::byte*> t_lazy_computing;
}  // namespace detail

template <class T>
class Lazy : public detail::StructureHandle {
  static_assert(std::is_trivially_copyable_v<T>,
                "Lazy<T> copies T's bytes between processes: T must be trivially copyable");
  static_assert(!std::is_const_v<T> && !std::is_volatile_v<T>, "use Lazy<T>, not Lazy<const T>");
  static_assert(alignof(T) <= detail::kCacheLine,
                "the value starts on a 64-byte boundary (spec §7.4): alignof(T) must be <= 64");
  static_assert(sizeof(T) <= 0xFFFFFFF0u, "element_size is a u32 in the common header (spec §6)");

 public:
  using value_type = T;
  /// Phases of the state word (spec §7.4).
  enum Phase : unsigned { kEmpty = 0, kComputing = 1, kReady = 2, kError = 3 };
  /// How long get() waits while nobody live is computing the value.
  static constexpr std::chrono::seconds kDefaultTimeout{30};

  /// Creates `name`, empty; or opens it if it exists.
  Lazy(Memory& mem, std::string_view name)
      : StructureHandle(mem, name, spec(), 1, [](std::byte*) {}), cell_(header_bytes(), kOwnedPhases) {}
  /// Only opens: NotFound if missing, Mismatch if not a Lazy<T>.
  Lazy(Memory& mem, std::string_view name, open_only_t)
      : StructureHandle(mem, name, spec(), open_only), cell_(header_bytes(), kOwnedPhases) {}
  /// open_existing: as (mem, name, open_only) when true, (mem, name) when false.
  Lazy(Memory& mem, std::string_view name, bool open_existing)
      : Lazy(open_existing ? Lazy(mem, name, open_only) : Lazy(mem, name)) {}
  /// Not a constant: Lazy(mem, "pi", 3.14) would read 3.14 as open_existing.
  /// Pass a computation: Lazy<double>(mem, "pi", [] { return 3.14; }).
  template <class B>
    requires(std::is_arithmetic_v<B> && !std::is_same_v<B, bool>)
  Lazy(Memory& mem, std::string_view name, B) = delete;
  /// Creates (or opens) `name` and registers `computation` in this handle.
  template <class F>
    requires(std::is_invocable_r_v<T, std::remove_reference_t<F>&> &&
             !std::is_same_v<std::remove_cvref_t<F>, bool>)
  Lazy(Memory& mem, std::string_view name, F&& computation) : Lazy(mem, name) {
    set_computation(std::forward<F>(computation));
  }

  /// The computation this handle runs when it is the first to need the value,
  /// or when a process without it demands the value (see "Demand" above).
  /// An empty function unregisters it (and stops serving demands).
  void set_computation(std::function<T()> computation) {
    server_.reset();  // stops the thread serving the old computation
    computation_ = std::move(computation);
    if (computation_) server_ = start_server();
  }
  [[nodiscard]] bool has_computation() const noexcept { return static_cast<bool>(computation_); }

  /// The value: cached (one load and a copy), or computed here, or waited for.
  T get() const {
    const std::uint64_t w = cell_.state().load(std::memory_order_acquire);  // (L0)
    if (detail::codata::phase(w) == kReady) [[likely]] {
      const T v = read_value();                                              // (L2)
      if (cell_.state().load(std::memory_order_relaxed) == w) [[likely]] return v;  // (L3)
    }
    return *get_until(detail::Deadline::forever());
  }
  /// Synonym of get().
  T force() const { return get(); }

  /// As get(), waiting at most `timeout` for other processes: nullopt if a
  /// live process is still computing it then; LazyError if nobody is (empty
  /// with no computation here, or its computing process died). A computation
  /// this call runs itself is not cut short.
  template <class Rep, class Period>
  std::optional<T> get_for(const std::chrono::duration<Rep, Period>& timeout) const {
    const std::uint64_t w = cell_.state().load(std::memory_order_acquire);  // (L0)
    if (detail::codata::phase(w) == kReady) {
      const T v = read_value();                                        // (L2)
      if (cell_.state().load(std::memory_order_relaxed) == w) return v;  // (L3)
    }
    return get_until(detail::deadline_after(timeout));
  }

  /// Resets a computed (or failed) value to empty, so the next get()
  /// recomputes; generation() + 1. False if it was empty already. Throws
  /// LazyError (kBusy) while a live process computes it; a computation
  /// whose process died is reset too.
  bool invalidate() {
    using namespace detail::codata;
    for (;;) {
      std::uint64_t w = cell_.state().load(std::memory_order_acquire);
      check_phase(w);
      if (phase(w) == kEmpty) return false;
      pid_t who = 0;
      if (phase(w) == kComputing && !cell_.owner_dead(w, &who)) {
        throw LazyError(LazyError::Reason::kBusy, where() + ": cannot invalidate while " +
                                                      detail::process_text(cell_.owner_pid(w)) + " computes it");
      }
      if (cell_.state().compare_exchange_strong(w, next(w, kEmpty, 0), std::memory_order_seq_cst)) {  // (N1)
        cell_.generation().fetch_add(1, std::memory_order_relaxed);
        detail::wake_all(cell_.wait_word());
        return true;
      }
    }
  }

  /// A value is cached: get() returns it at memory speed.
  [[nodiscard]] bool is_ready() const noexcept {
    return detail::codata::phase(cell_.state().load(std::memory_order_acquire)) == kReady;
  }
  /// A failed computation is stored: get() throws it.
  [[nodiscard]] bool has_error() const noexcept {
    return detail::codata::phase(cell_.state().load(std::memory_order_acquire)) == kError;
  }
  /// The process computing it now, 0 if none.
  [[nodiscard]] pid_t computing_process() const noexcept {
    const std::uint64_t w = cell_.state().load(std::memory_order_acquire);
    return detail::codata::phase(w) == kComputing ? cell_.owner_pid(w) : 0;
  }
  /// Number of invalidate() calls that reset it, by any process.
  [[nodiscard]] std::uint32_t generation() const noexcept {
    return cell_.generation().load(std::memory_order_acquire);
  }

  /// How long get() waits while nobody live computes it (default 30 s).
  void set_timeout(std::chrono::nanoseconds timeout) noexcept { timeout_ = timeout; }
  [[nodiscard]] std::chrono::nanoseconds timeout() const noexcept { return timeout_; }


  static detail::StructSpec spec() noexcept {
    detail::StructSpec s{};
    s.kind = detail::Kind::kLazy;
    s.element_size = static_cast<std::uint32_t>(sizeof(T));
    s.dtype = static_cast<std::uint8_t>(detail::dtype_of<T>());
    s.total_size = &detail::codata::total_size;
    s.type_name = "Lazy";
    return s;
  }

 private:
  static constexpr unsigned kOwnedPhases = 1u << kComputing;

  T read_value() const noexcept {
    std::array<std::byte, sizeof(T)> bytes;
    detail::load_words(bytes.data(), cell_.value(), sizeof(T));  // (L2)
    return std::bit_cast<T>(bytes);
  }

  void check_phase(std::uint64_t w) const {
    if (detail::codata::phase(w) > kError) {
      throw CorruptSegment(where() + ": unknown state phase " + std::to_string(detail::codata::phase(w)) +
                           " in the segment (expected 0 empty, 1 computing, 2 ready or 3 error)");
    }
  }

  bool computing_here() const noexcept {
    const auto& mine = detail::t_lazy_computing;
    return std::find(mine.begin(), mine.end(), cell_.base()) != mine.end();
  }

  static std::string duration_text(std::chrono::nanoseconds d) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
    return ms >= 10000 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
  }

  // Runs the computation for the claim that made `state` == claim, and publishes the outcome.
  T compute(std::uint64_t claim) const {
    using namespace detail::codata;
    cell_.record_owner(claim);  // (O1)(O2)
    const std::uint32_t me = owner(claim);
    std::optional<T> result;
    std::string failure;
    detail::t_lazy_computing.push_back(cell_.base());
    try {
      result.emplace(computation_());
    } catch (const std::exception& e) {
      failure = *e.what() != '\0' ? e.what() : "an exception with an empty message";
    } catch (...) {
      failure = "an exception not derived from std::exception";
    }
    detail::t_lazy_computing.pop_back();
    std::uint64_t expected = claim;
    if (result) {
      detail::store_words(cell_.value(), &*result, sizeof(T));  // (L1)
      cell_.state().compare_exchange_strong(expected, next(claim, kReady, me),
                                            std::memory_order_seq_cst);  // (N1)
      detail::wake_all(cell_.wait_word());                                // (N2)
      return *result;
    }
    cell_.write_error(failure);
    cell_.state().compare_exchange_strong(expected, next(claim, kError, me), std::memory_order_seq_cst);  // (N1)
    detail::wake_all(cell_.wait_word());  // (N2)
    throw_failed(next(claim, kError, me), failure);
  }

  [[noreturn]] void throw_failed(std::uint64_t w, const std::string& message) const {
    throw LazyError(LazyError::Reason::kComputationFailed,
                    where() + ": the computation failed in " + detail::process_text(cell_.owner_pid(w)) +
                        ": " + message);
  }

  // Nobody live is computing it and the time ran out.
  [[noreturn]] void throw_orphaned(bool owner_died, pid_t dead_pid, std::chrono::nanoseconds waited) const {
    if (owner_died) {
      throw LazyError(LazyError::Reason::kOwnerDied,
                      where() + ": the computing " + detail::process_text(dead_pid) +
                          " died and no waiting process has the computation (none took over within " +
                          duration_text(waited) + "; give one a computation, or invalidate())");
    }
    throw LazyError(LazyError::Reason::kNoComputation,
                    where() + ": no process computed it within " + duration_text(waited) +
                        ", and this process has no computation (pass one to the constructor or "
                        "set_computation())");
  }

  // The slow path of get()/get_for(): claim and compute, take over from a
  // dead owner, or wait. `overall` bounds the wait for a live owner;
  // timeout_ bounds the wait while nobody live computes it (an "orphan").
  std::optional<T> get_until(const detail::Deadline& overall) const {
    using namespace detail::codata;
    using Clock = detail::Deadline::Clock;
    const Clock::time_point started = Clock::now();
    const std::uint32_t me = detail::self_key();
    const detail::OwnerCheck check = cell_.owner_check();
    std::optional<detail::Deadline> orphan;  // set while nobody live computes it
    std::uint64_t dead_state = kNoState;     // a computing state whose owner was found dead
    std::uint64_t demanded_at = kNoState;    // the state in which we last asked providers for it
    pid_t dead_pid = 0;
    for (;;) {
      std::uint64_t w = cell_.state().load(std::memory_order_acquire);  // (L0)
      check_phase(w);
      const unsigned ph = phase(w);
      if (ph == kReady) {
        const T v = read_value();                                         // (L2)
        if (cell_.state().load(std::memory_order_relaxed) == w) return v;  // (L3)
        continue;
      }
      if (ph == kError) {
        const std::string message = cell_.read_error();
        if (cell_.state().load(std::memory_order_relaxed) == w) throw_failed(w, message);  // (L3)
        continue;
      }
      const bool owner_known_dead = ph == kComputing && w == dead_state;
      if (ph == kEmpty || owner_known_dead) {
        if (computation_) {
          const std::uint64_t claim = next(w, kComputing, me);
          if (cell_.state().compare_exchange_strong(w, claim, std::memory_order_acq_rel)) return compute(claim);
          continue;
        }
        if (w != demanded_at) {  // once per state we wait in: a provider computes it
          demanded_at = w;
          demand();
        }
        if (!orphan) orphan = detail::Deadline::after(timeout_);
      } else {
        if (owner(w) == me && computing_here()) {
          throw LazyError(LazyError::Reason::kRecursive,
                          where() + ": its computation asked for its own value (it would wait for itself)");
        }
        orphan.reset();  // a live owner, as far as we know
      }
      const bool probe = ph == kComputing && !owner_known_dead;
      const detail::Deadline until = overall.earlier(orphan.value_or(detail::Deadline::forever()));
      const detail::WaitStatus s = detail::wait_while_equal(cell_.wait_word(), w, until, probe ? &check : nullptr);
      if (s.result == detail::WaitResult::kChanged) continue;
      if (s.result == detail::WaitResult::kOwnerDead) {
        dead_state = w;
        dead_pid = s.owner;
        continue;  // take over, or wait as an orphan
      }
      // Timed out with the state unchanged.
      if (probe) {
        pid_t who = 0;
        if (!cell_.owner_dead(w, &who)) return std::nullopt;  // a live process is still computing
        dead_state = w;
        dead_pid = who;
        if (computation_) continue;  // take over
      }
      throw_orphaned(ph == kComputing, dead_pid, Clock::now() - started);
    }
  }

  // Shares the segment and the computation, not the provider thread.
  Lazy(const Lazy& other, duplicate_t)
      : StructureHandle(other, duplicate_t{}), cell_(other.cell_), computation_(other.computation_),
        timeout_(other.timeout_) {}

  // The provider: serves every demand made while the Lazy is empty (or its
  // computing process died), on a thread owned by this handle and its copies.
  std::shared_ptr<detail::OwnedThread> start_server() const {
    return std::make_shared<detail::OwnedThread>([provider = Lazy(*this, duplicate_t{})](
                                                     detail::stream::CancelToken& stop) {
      std::uint32_t served = 0;  // a demand already there when the provider starts is served
      const detail::OwnerCheck none{};
      for (;;) {
        const std::uint32_t d = provider.cell_.demand().load(std::memory_order_acquire);
        if (d != served) {
          served = d;
          provider.serve_demand();
        }
        const detail::WaitTarget target{provider.cell_.demand_word(), d};
        const auto woke = detail::stream::wait_words({&target, 1}, {&none, 1}, &stop, detail::Deadline::forever());
        if (woke.why == detail::stream::Woke::kCancelled) return;
      }
    });
  }

  // Computes the value if it is empty (or its computing process died); a
  // live process computing it, or a value or error already there, is left be.
  void serve_demand() const noexcept {
    try {
      (void)get_until(detail::Deadline::after(std::chrono::nanoseconds::zero()));
    } catch (...) {
      // a failed computation is stored for every reader; nothing else to do here
    }
  }

  // A get() without a computation asks the providers for the value.
  void demand() const noexcept {
    cell_.demand().fetch_add(1, std::memory_order_seq_cst);  // (N1)
    detail::wake_all(cell_.demand_word());                                              // (N2)
  }

  detail::CodataCell cell_;
  std::function<T()> computation_;
  std::chrono::nanoseconds timeout_ = kDefaultTimeout;
  std::shared_ptr<detail::OwnedThread> server_;  // set while this handle has a computation
};

}  // namespace zeroipc
