// zeroipc/detail/stream_operators.h — the machinery behind Stream's
// operators: a subscriber handle (ReaderHandle), the thread that runs an
// operator (OperatorWork), the element types of window() and zip() (Window,
// Pair), and one loop per operator.
//
// Ownership. An operator runs on a thread of the process that created it.
// The thread is owned by an OperatorWork, shared by every Stream handle of
// the derived stream (and by its Subscriptions and Cursors, and by the works
// of operators derived from it), so
//   auto w = s.filter(mem, "a", p).window(mem, "b", 5);
// keeps the filter running although its handle was a temporary. When the
// last owner lets go, the thread is cancelled (its CancelToken wakes it at
// once, blocked or not), joined, and the derived stream is closed with
// EndReason::operator_stopped. When the operator ends by itself (its input
// ended, take() got its n, unfold() ran out) it closes the derived stream
// with EndReason::closed; when its function throws, with operator_failed
// (the message stays in this process: Stream::operator_error()). When the
// process dies, the derived stream's producer (recorded at creation: this
// process) is dead and its subscribers see EndReason::producer_gone.
#pragma once

#include <array>
#include <bit>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <tuple>
#include <utility>
#include <vector>

#include "zeroipc/detail/stream_ring.h"

namespace zeroipc {

/// The default number of items a Window can hold (Stream::window<N>() picks another).
inline constexpr std::size_t kDefaultWindow = 64;

/// One window of window(): up to N items of a trivially copyable T, and the
/// span of time it covers, on the operator's std::chrono::steady_clock
/// (CLOCK_MONOTONIC: comparable between processes of one machine).
///   count windows: `count` == n, except a last, shorter one at end of stream
///   time windows:  the items that arrived in [start_ns, end_ns); empty
///                  periods emit nothing; a period with more than N items is
///                  cut into several windows (`full` set on all but the last)
template <class T, std::size_t N = kDefaultWindow>
struct Window {
  static_assert(N >= 1 && N <= 65536, "a window holds 1..65536 items");
  std::uint32_t count;   // items in use: items[0, count)
  std::uint32_t full;    // 1: a time window cut short because it reached N items
  std::int64_t start_ns;
  std::int64_t end_ns;
  T items[N];

  [[nodiscard]] std::size_t size() const noexcept { return count; }
  [[nodiscard]] bool empty() const noexcept { return count == 0; }
  [[nodiscard]] const T* begin() const noexcept { return items; }
  [[nodiscard]] const T* end() const noexcept { return items + count; }
  const T& operator[](std::size_t i) const noexcept { return items[i]; }
};

/// One element of zip(): trivially copyable where std::pair is not.
/// Structured bindings work: `auto [a, b] = pair;`.
template <class A, class B>
struct Pair {
  A first;
  B second;
  friend bool operator==(const Pair&, const Pair&) = default;
};

namespace detail::stream {

template <class T>
T from_bytes(const std::array<std::byte, sizeof(T)>& bytes) noexcept {
  return std::bit_cast<T>(bytes);
}

inline std::int64_t steady_ns(std::chrono::steady_clock::time_point t) noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

/// A subscriber slot held for the lifetime of the handle.
class ReaderHandle {
 public:
  enum class Next { kItem, kEnd, kTimedOut, kCancelled };

  explicit ReaderHandle(std::shared_ptr<StreamCore> core) : core_(std::move(core)), r_(core_->join()) {}
  ReaderHandle(ReaderHandle&& o) noexcept : core_(std::move(o.core_)), r_(o.r_) { o.r_.joined = false; }
  ReaderHandle& operator=(ReaderHandle&& o) noexcept {
    if (this != &o) {
      reset();
      core_ = std::move(o.core_);
      r_ = o.r_;
      o.r_.joined = false;
    }
    return *this;
  }
  ReaderHandle(const ReaderHandle&) = delete;
  ReaderHandle& operator=(const ReaderHandle&) = delete;
  ~ReaderHandle() { reset(); }

  /// Leaves the slot (the producer no longer waits for this reader).
  void reset() noexcept {
    if (core_) core_->leave(r_);
  }

  /// The next element into `out` (element_size bytes), blocking until one
  /// comes, the stream ends (drained first), `deadline` or `cancel`.
  Next next(void* out, const Deadline& deadline, CancelToken* cancel) {
    for (;;) {
      if (cancel != nullptr && cancel->cancelled()) return Next::kCancelled;
      std::uint64_t seen = 0;
      const Read rd = core_->try_read(r_, out, &seen);
      if (rd == Read::kItem) return Next::kItem;
      if (rd == Read::kEnd) return Next::kEnd;
      if (deadline.passed()) return Next::kTimedOut;
      const WakeStatus s = core_->wait_readable(seen, deadline, cancel);
      if (s.why == Woke::kOwnerDead) core_->close(EndReason::producer_gone);  // drain, then kEnd
      if (s.why == Woke::kCancelled) return Next::kCancelled;
    }
  }
  Read try_next(void* out, std::uint64_t* seen) { return core_->try_read(r_, out, seen); }

  [[nodiscard]] const Reader& state() const noexcept { return r_; }
  [[nodiscard]] StreamCore& core() const noexcept { return *core_; }

 private:
  std::shared_ptr<StreamCore> core_;
  Reader r_;
};

/// The thread of one operator and the derived stream it feeds.
class OperatorWork {
 public:
  OperatorWork(std::shared_ptr<StreamCore> out, std::vector<std::shared_ptr<OperatorWork>> upstream)
      : out_(std::move(out)), upstream_(std::move(upstream)) {}
  OperatorWork(const OperatorWork&) = delete;
  OperatorWork& operator=(const OperatorWork&) = delete;
  ~OperatorWork() {
    token_.cancel();
    if (thread_.joinable()) thread_.join();
    out_->close(EndReason::operator_stopped);  // no-op if it ended already
  }

  /// Runs `body(*this)` on a new thread; it returns how the output ends
  /// (EndReason::open: leave that to the destructor, it was cancelled).
  template <class Body>
  void start(Body body) {
    thread_ = std::thread([this, b = std::optional<Body>(std::move(body))]() mutable { run(b); });
  }

  /// Waits until the derived stream has a subscriber (its first reader, in
  /// any process); false when cancelled, or once it ended. An operator reads
  /// its input only after this: nothing is passed on before anybody listens.
  bool wait_for_demand() { return out_->wait_subscribers(1, Deadline::forever(), &token_); }

  /// Emits into the derived stream; false when cancelled while blocked.
  bool emit(const void* bytes) { return out_->publish(bytes, Deadline::forever(), &token_) == Publish::kDone; }

  [[nodiscard]] CancelToken& token() noexcept { return token_; }
  [[nodiscard]] StreamCore& out() const noexcept { return *out_; }

  bool wait_done(std::chrono::nanoseconds timeout) {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, timeout, [&] { return done_; });
  }
  [[nodiscard]] std::string error() const {
    std::lock_guard lock(m_);
    return error_;
  }

 private:
  // Runs the body, then drops it (its readers leave their slots) before it
  // ends the output and says it is done.
  template <class Body>
  void run(std::optional<Body>& body) {
    EndReason end = EndReason::open;
    std::string failure;
    try {
      end = (*body)(*this);
    } catch (const StreamError& e) {
      if (e.reason() != StreamError::Reason::kClosed) {
        failure = e.what();
        end = EndReason::operator_failed;
      }  // kClosed: someone closed the output; it keeps their reason
    } catch (const std::exception& e) {
      failure = *e.what() != '\0' ? e.what() : "an exception with an empty message";
      end = EndReason::operator_failed;
    } catch (...) {
      failure = "an exception not derived from std::exception";
      end = EndReason::operator_failed;
    }
    body.reset();
    if (end != EndReason::open) out_->close(end);
    {
      std::lock_guard lock(m_);
      done_ = true;
      error_ = failure;
    }
    cv_.notify_all();
  }

  std::shared_ptr<StreamCore> out_;
  std::vector<std::shared_ptr<OperatorWork>> upstream_;  // keeps the operators feeding ours running
  CancelToken token_;
  std::thread thread_;
  mutable std::mutex m_;
  std::condition_variable cv_;
  bool done_ = false;
  std::string error_;
};

using Next = ReaderHandle::Next;

// ---------------------------------------------------------------- the loops
// Each returns a body for OperatorWork::start(); `in` was joined by the
// caller (before the operator's constructor returned), so no item emitted
// after that is missed.

/// How an operator's stream ends when its input `in` ended: with the
/// input's reason (an input whose operator failed, or whose producer died,
/// says so downstream too), `closed` if it was closed.
inline EndReason passed_on(const ReaderHandle& in) noexcept {
  const EndReason e = in.state().end;
  return e == EndReason::open ? EndReason::closed : e;
}

/// map, filter, fold, take, skip: one input, at most one output per item.
/// `step(const In&, Emit)` returns false to end the output (take).
template <class In, class Step>
auto per_item(ReaderHandle in, Step step) {
  return [in = std::move(in), step = std::move(step)](OperatorWork& w) mutable -> EndReason {
    std::array<std::byte, sizeof(In)> buf;
    bool cancelled = false;
    const auto emit = [&](const auto& out) {
      if (!w.emit(&out)) cancelled = true;
      return !cancelled;
    };
    for (;;) {
      const Next r = in.next(buf.data(), Deadline::forever(), &w.token());
      if (r == Next::kCancelled) return EndReason::open;
      if (r == Next::kEnd) return passed_on(in);
      if (!step(from_bytes<In>(buf), emit)) return cancelled ? EndReason::open : EndReason::closed;
      if (cancelled) return EndReason::open;
    }
  };
}

/// window(n): tumbling windows of n items; a shorter last one at the end.
template <class T, std::size_t N>
auto count_windows(ReaderHandle in, std::size_t n) {
  return [in = std::move(in), n](OperatorWork& w) mutable -> EndReason {
    using Clock = std::chrono::steady_clock;
    std::array<std::byte, sizeof(T)> buf;
    Window<T, N> win{};
    const auto flush = [&](Clock::time_point now) {
      win.end_ns = steady_ns(now);
      const bool ok = win.count == 0 || w.emit(&win);
      win.count = 0;
      return ok;
    };
    for (;;) {
      const Next r = in.next(buf.data(), Deadline::forever(), &w.token());
      if (r == Next::kCancelled) return EndReason::open;
      if (r == Next::kEnd) return flush(Clock::now()) ? passed_on(in) : EndReason::open;
      if (win.count == 0) win.start_ns = steady_ns(Clock::now());
      win.items[win.count++] = from_bytes<T>(buf);
      if (win.count == n && !flush(Clock::now())) return EndReason::open;
    }
  };
}

/// window(duration): the items of each period [start, start + d) of a grid
/// that starts when the operator does.
template <class T, std::size_t N>
auto time_windows(ReaderHandle in, std::chrono::nanoseconds period) {
  return [in = std::move(in), period](OperatorWork& w) mutable -> EndReason {
    using Clock = std::chrono::steady_clock;
    std::array<std::byte, sizeof(T)> buf;
    Window<T, N> win{};
    Clock::time_point start = Clock::now();
    Clock::time_point end = start + period;
    const auto flush = [&](Clock::time_point until, bool full) {
      win.start_ns = steady_ns(start);
      win.end_ns = steady_ns(until);
      win.full = full ? 1 : 0;
      const bool ok = win.count == 0 || w.emit(&win);
      win.count = 0;
      return ok;
    };
    for (;;) {
      const Next r = in.next(buf.data(), Deadline::at(end), &w.token());
      const Clock::time_point now = Clock::now();
      if (r == Next::kCancelled) return EndReason::open;
      if (now >= end) {
        if (!flush(end, false)) return EndReason::open;
        while (end <= now) end += period;
        start = end - period;
      }
      if (r == Next::kEnd) return flush(now, false) ? passed_on(in) : EndReason::open;
      if (r != Next::kItem) continue;
      if (win.count == N) {
        if (!flush(now, true)) return EndReason::open;
        start = now;
      }
      win.items[win.count++] = from_bytes<T>(buf);
    }
  };
}

/// merge: whichever input has an item, alternating when both do; ends when both ended.
template <class T>
auto merged(ReaderHandle a, ReaderHandle b) {
  return [a = std::move(a), b = std::move(b)](OperatorWork& w) mutable -> EndReason {
    std::array<std::byte, sizeof(T)> buf;
    std::array<ReaderHandle*, 2> in{&a, &b};
    std::array<bool, 2> ended{false, false};
    std::size_t turn = 0;
    for (;;) {
      if (w.token().cancelled()) return EndReason::open;
      if (ended[0] && ended[1]) return EndReason::closed;
      std::array<std::uint64_t, 2> seen{};
      bool got = false;
      for (std::size_t k = 0; k < 2 && !got; ++k) {
        const std::size_t i = (turn + k) % 2;
        if (ended[i]) continue;
        const Read rd = in[i]->try_next(buf.data(), &seen[i]);
        if (rd == Read::kItem) {
          if (!w.emit(buf.data())) return EndReason::open;
          got = true;
          turn = i + 1;
        } else if (rd == Read::kEnd) {
          ended[i] = true;
          got = true;  // look again before sleeping
        }
      }
      if (got) continue;
      std::array<WaitTarget, 2> targets{in[0]->core().prepare_wait(seen[0]),
                                        in[1]->core().prepare_wait(seen[1])};
      std::array<OwnerCheck, 2> checks{in[0]->core().producer_check(), in[1]->core().producer_check()};
      std::array<std::size_t, 2> which{};
      std::size_t n = 0;
      for (std::size_t i = 0; i < 2; ++i) {
        if (ended[i]) continue;
        targets[n] = targets[i];
        checks[n] = checks[i];
        which[n++] = i;
      }
      const WakeStatus s = wait_words({targets.data(), n}, {checks.data(), n}, &w.token(), Deadline::forever());
      if (s.why == Woke::kCancelled) return EndReason::open;
      if (s.why == Woke::kOwnerDead) in[which[s.index]]->core().close(EndReason::producer_gone);
    }
  };
}

/// zip: one item of each input per pair; ends when either input ended.
template <class A, class B>
auto zipped(ReaderHandle a, ReaderHandle b) {
  return [a = std::move(a), b = std::move(b)](OperatorWork& w) mutable -> EndReason {
    std::array<std::byte, sizeof(A)> buf_a;
    std::array<std::byte, sizeof(B)> buf_b;
    for (;;) {
      Next r = a.next(buf_a.data(), Deadline::forever(), &w.token());
      if (r != Next::kItem) return r == Next::kEnd ? passed_on(a) : EndReason::open;
      r = b.next(buf_b.data(), Deadline::forever(), &w.token());
      if (r != Next::kItem) return r == Next::kEnd ? passed_on(b) : EndReason::open;
      const Pair<A, B> p{from_bytes<A>(buf_a), from_bytes<B>(buf_b)};
      if (!w.emit(&p)) return EndReason::open;
    }
  };
}

// The shapes of unfold's step, called as step(state) with a State lvalue:
//   (a) std::optional<std::pair<U, State>>  the next item and the next state; nullopt ends
//   (b) std::pair<U, State>                 the same, never ends
//   (c) std::optional<U>                    step advanced `state` itself; nullopt ends
//   (d) U                                   the same, never ends
// U converts to T; std::tuple<U, State> is accepted wherever std::pair is.
template <class X>
inline constexpr bool kIsOptional = false;
template <class X>
inline constexpr bool kIsOptional<std::optional<X>> = true;
template <class X>
inline constexpr bool kIsPairLike = false;
template <class A, class B>
inline constexpr bool kIsPairLike<std::pair<A, B>> = true;
template <class A, class B>
inline constexpr bool kIsPairLike<std::tuple<A, B>> = true;

/// Which of the shapes above `R`, step's result, is; 0 if none.
template <class T, class State, class R>
constexpr int unfold_shape() {
  if constexpr (kIsOptional<R>) {
    using V = typename R::value_type;
    if constexpr (kIsPairLike<V>) {
      using U = std::tuple_element_t<0, V>;
      using S = std::tuple_element_t<1, V>;
      return std::is_convertible_v<U, T> && std::is_convertible_v<S, State> ? 1 : 0;
    } else {
      return std::is_convertible_v<V, T> ? 3 : 0;
    }
  } else if constexpr (kIsPairLike<R>) {
    using U = std::tuple_element_t<0, R>;
    using S = std::tuple_element_t<1, R>;
    return std::is_convertible_v<U, T> && std::is_convertible_v<S, State> ? 2 : 0;
  } else {
    return std::is_convertible_v<R, T> ? 4 : 0;
  }
}

/// One step: the next item, or nullopt at the end; advances `*state`
/// (held in an optional so that a State without assignment works).
template <class T, class State, class Step>
std::optional<T> unfold_step(Step& step, std::optional<State>& state) {
  static_assert(std::is_invocable_v<Step&, State&>,
                "unfold: step must be callable as step(state) with a State& (or const State&, or State)");
  using R = std::invoke_result_t<Step&, State&>;
  constexpr int shape = unfold_shape<T, State, R>();
  static_assert(shape != 0,
                "unfold: step(state) must return one of: std::optional<std::pair<T, State>> (nullopt ends), "
                "std::pair<T, State> (endless), std::optional<T> after advancing state itself (nullopt ends), "
                "or T after advancing state itself (endless); std::tuple works in place of std::pair");
  if constexpr (shape == 1) {
    auto next = step(*state);
    if (!next) return std::nullopt;
    T item = static_cast<T>(std::get<0>(std::move(*next)));
    state.emplace(std::get<1>(std::move(*next)));
    return item;
  } else if constexpr (shape == 2) {
    auto next = step(*state);
    T item = static_cast<T>(std::get<0>(std::move(next)));
    state.emplace(std::get<1>(std::move(next)));
    return item;
  } else if constexpr (shape == 3) {
    auto next = step(*state);
    if (!next) return std::nullopt;
    return static_cast<T>(*std::move(next));
  } else {
    return static_cast<T>(step(*state));
  }
}

/// unfold: emits step's values while its stream has a subscriber, until step ends it.
template <class T, class State, class Step>
auto unfolded(State seed, Step step) {
  return [state = std::optional<State>(std::move(seed)), step = std::move(step)](OperatorWork& w) mutable
         -> EndReason {
    for (;;) {
      if (w.token().cancelled()) return EndReason::open;
      // Generates only while somebody listens: an endless generator whose
      // last reader (a take() that is done) left does not spin on its own.
      if (w.out().live_subscribers() == 0 && !w.wait_for_demand()) return EndReason::open;
      const std::optional<T> item = unfold_step<T, State>(step, state);
      if (!item) return EndReason::closed;
      if (!w.emit(&*item)) return EndReason::open;
    }
  };
}

}  // namespace detail::stream
}  // namespace zeroipc
