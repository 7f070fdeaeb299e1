// zeroipc/stream.h — a multicast stream of trivially copyable T in a segment:
// one producer process emits, any number of subscribers in any processes
// each read every item, in order, at their own pace.
//
//   zeroipc::Stream<double> temperature(mem, "temp_stream", 1000);   // create (or open); this process emits
//   temperature.emit(read_sensor());                                  // blocks while a live subscriber is 1024 behind
//   zeroipc::Stream<double> t(peer, "temp_stream");                   // open by name in another process
//   auto fahrenheit = t.map(mem, "temp_f", [](double c) { return c * 9 / 5 + 32; });
//   auto warnings = fahrenheit.filter(mem, "warnings", [](double f) { return f > 100.0; })
//                             .window(mem, "5min", std::chrono::minutes(5));
//   auto sub = warnings.subscribe([](const auto& window) { alert(window); });  // a thread here
//   auto cur = t.cursor(); while (auto v = cur.next()) use(*v);               // or pull
//
// The ring. `capacity` cells (rounded up to a power of two: 1000 -> 1024),
// a 64-bit count of published items that only grows, and per cell a
// sequence word saying which position it holds (a sequence lock per cell, so
// a reader that loses a race with an overwrite notices). Layout and memory
// ordering: detail/stream_layout.h, detail/stream_ring.h, SPECIFICATION.md §7.5.
//
// Subscribers. A Cursor or Subscription holds one of 64 slots of the
// stream's header (owner key, pid, cursor) from its creation, and sees the
// items emitted after that. Backpressure (the default, Overflow::block):
// emit() waits (futex, wait.h) while the slowest live subscriber is
// `capacity` behind. Overflow::drop_oldest: emit() never waits; a slow
// subscriber skips what was overwritten and its missed() says how many.
// A subscriber that died is found by the waiting producer (its owner key,
// checked every 20 ms) and its slot released: it blocks nobody for long.
//
// The producer. One process emits: the stream's creator (for a derived
// stream, the process that runs its operator); it is recorded with its owner
// key. emit() from another process (a forked child too) throws RoleTaken. Emit from one thread at
// a time. When the producer process dies (or exits without close()), the
// subscribers drain what is there and then see the end
// (StreamEnd::producer_gone) within ~20 ms: they never hang.
//
// Operators (map, filter, fold, take, skip, window, merge, zip, unfold)
// create a real named stream in the segment, fed by a thread of this
// process: other processes open it by name. See detail/stream_operators.h
// for who owns that thread and how the derived stream ends.
//
// What a crash costs:
//   producer killed                 the item being written is lost; subscribers drain the
//                                   rest, then see the end (producer_gone) in ~20 ms
//   producer killed while blocked   the same; `resume_at` stays set: each subscriber read
//                                   that reaches it costs one needless epoch bump
//   subscriber killed               its slot is released when it holds the producer back
//                                   (~20 ms after the producer blocks on it) or when a new
//                                   subscriber finds no free slot; nothing is lost for others
//   subscriber killed while asleep  `reader_sleepers` stays one too high: the producer makes
//                                   one needless wake call per later sleep of another
//                                   subscriber (wakes are coalesced: stream_ring.h (A1)(A2))
//   operator's process killed       its derived streams end (producer_gone) for their
//                                   subscribers; its cursors on its inputs are released
//                                   as dead subscribers
//
// Running a program again. A stream's name stays taken (the table has no
// removal), so the next run finds the streams of the last one. When their
// producer (or operator's process) is dead, the new run feeds them again:
// the first emit() of another process, or an operator created under the
// same name (same operator kind and overflow), takes the producer role over
// (StreamCore::revive()); positions go on from where they were, and
// subscribers that join from then on read the new items. While the earlier
// producer lives, that emit() or operator throws RoleTaken naming it; while
// a live process of the earlier run still holds a subscriber slot on the
// stream, too (it must destroy its cursor or subscription first).
//
// fork(): handles are per process. A child must not destroy a Cursor,
// Subscription or operator handle it inherited (its slot and thread are the
// parent's): let it _exit() or exec(), and open the stream itself.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>

#include "zeroipc/detail/dtype.h"
#include "zeroipc/detail/stream_operators.h"
#include "zeroipc/detail/stream_ring.h"
#include "zeroipc/detail/structure.h"
#include "zeroipc/error.h"
#include "zeroipc/memory.h"
#include "zeroipc/table.h"

namespace zeroipc {

/// Options of a new stream. For an operator's stream, capacity 0 means the
/// capacity of its (first) input.
struct StreamOptions {
  Overflow overflow = Overflow::block;
  std::size_t capacity = 0;
};

template <class T>
class Stream;

/// A pull subscriber: `while (auto v = cur.next()) ...`. One thread at a time.
template <class T>
class Cursor {
 public:
  /// The next item; blocks until there is one. nullopt at the end of the stream.
  std::optional<T> next() { return pull(detail::Deadline::forever()); }
  /// As next(), or nullopt after `timeout` (then ended() is false).
  template <class Rep, class Period>
  std::optional<T> next_for(const std::chrono::duration<Rep, Period>& timeout) {
    return pull(detail::deadline_after(timeout));
  }
  /// The next item if there is one now.
  std::optional<T> try_next() { return pull(detail::Deadline::after(std::chrono::nanoseconds::zero())); }

  /// The stream ended and every item was read.
  [[nodiscard]] bool ended() const noexcept { return ended_; }
  /// Why it ended (StreamEnd::open until it has).
  [[nodiscard]] StreamEnd end_reason() const noexcept { return reader_.state().end; }
  /// Items this cursor lost to Overflow::drop_oldest.
  [[nodiscard]] std::uint64_t missed() const noexcept { return reader_.state().missed; }
  /// Position of the next item (items published before it are behind this cursor).
  [[nodiscard]] std::uint64_t position() const noexcept { return reader_.state().position; }

 private:
  template <class>
  friend class Stream;
  Cursor(std::shared_ptr<detail::stream::StreamCore> core, std::shared_ptr<detail::stream::OperatorWork> work)
      : reader_(std::move(core)), keep_(std::move(work)) {}

  std::optional<T> pull(const detail::Deadline& deadline) {
    std::array<std::byte, sizeof(T)> buf;
    const auto r = reader_.next(buf.data(), deadline, nullptr);
    if (r == detail::stream::Next::kItem) return detail::stream::from_bytes<T>(buf);
    ended_ = r == detail::stream::Next::kEnd;
    return std::nullopt;
  }

  detail::stream::ReaderHandle reader_;
  std::shared_ptr<detail::stream::OperatorWork> keep_;  // the operator feeding the stream
  bool ended_ = false;
};

/// A push subscriber: runs a callback on a thread of this process for every
/// item until the end of the stream, cancel(), or destruction.
class Subscription {
 public:
  Subscription() noexcept = default;
  Subscription(Subscription&&) noexcept = default;
  Subscription& operator=(Subscription&& o) noexcept {
    if (this != &o) {
      cancel();
      state_ = std::move(o.state_);
    }
    return *this;
  }
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  ~Subscription() { cancel(); }

  /// Stops delivery (a callback running now finishes first) and releases the
  /// slot. From inside the callback it only asks the thread to stop.
  void cancel() noexcept {
    if (!state_) return;
    state_->token.cancel();
    if (state_->thread.joinable()) {
      if (state_->thread.get_id() == std::this_thread::get_id()) {
        state_->thread.detach();  // the thread holds the state until it returns
      } else {
        state_->thread.join();
      }
    }
  }

  /// Blocks until the stream ended and every item was delivered, or cancel();
  /// rethrows what the callback threw.
  void wait() {
    if (!state_) return;
    std::unique_lock lock(state_->m);
    state_->cv.wait(lock, [&] { return state_->done; });
    if (state_->error) std::rethrow_exception(state_->error);
  }
  /// As wait(); false if still running after `timeout`.
  template <class Rep, class Period>
  bool wait_for(const std::chrono::duration<Rep, Period>& timeout) {
    if (!state_) return true;
    std::unique_lock lock(state_->m);
    if (!state_->cv.wait_for(lock, timeout, [&] { return state_->done; })) return false;
    if (state_->error) std::rethrow_exception(state_->error);
    return true;
  }

  /// Delivery stopped: end of stream, cancel(), or a callback that threw.
  [[nodiscard]] bool done() const {
    if (!state_) return true;
    std::lock_guard lock(state_->m);
    return state_->done;
  }
  [[nodiscard]] std::uint64_t delivered() const noexcept { return state_ ? state_->delivered.load() : 0; }
  /// Items lost to Overflow::drop_oldest.
  [[nodiscard]] std::uint64_t missed() const noexcept { return state_ ? state_->missed.load() : 0; }
  [[nodiscard]] StreamEnd end_reason() const noexcept {
    return state_ ? static_cast<StreamEnd>(state_->end.load()) : StreamEnd::open;
  }

 private:
  template <class>
  friend class Stream;
  struct State {
    detail::stream::CancelToken token;
    std::thread thread;
    mutable std::mutex m;
    std::condition_variable cv;
    bool done = false;
    std::exception_ptr error;
    std::atomic<std::uint64_t> delivered{0};
    std::atomic<std::uint64_t> missed{0};
    std::atomic<std::uint32_t> end{0};
    std::shared_ptr<detail::stream::OperatorWork> keep;  // the operator feeding the stream
  };
  std::shared_ptr<State> state_;
};

template <class T>
class Stream {
  static_assert(std::is_trivially_copyable_v<T>,
                "Stream<T> copies T's bytes between processes: T must be trivially copyable");
  static_assert(!std::is_const_v<T> && !std::is_volatile_v<T>, "use Stream<T>, not Stream<const T>");
  static_assert(sizeof(T) <= detail::stream::kMaxElementSize, "a stream element is at most 1 MiB");

  using Core = detail::stream::StreamCore;
  using Work = detail::stream::OperatorWork;
  using Origin = detail::stream::Origin;

 public:
  using value_type = T;
  /// Capacity of unfold()'s stream when the options give none.
  static constexpr std::size_t kDefaultCapacity = 1024;

  /// Creates `name` with `capacity` cells (rounded up to a power of two,
  /// at most 2^30); this process becomes its producer. If it exists, opens
  /// it: then capacity and overflow must match.
  Stream(Memory& mem, std::string_view name, std::size_t capacity, StreamOptions options = {})
      : core_(create(mem, name, capacity, options.overflow, Origin::emit, false)) {
    if (core_->overflow() != options.overflow) {
      throw Mismatch(core_->where() + ": exists with overflow " + overflow_name(core_->overflow()) +
                     ", requested " + overflow_name(options.overflow));
    }
    // A program run again: the stream of its last run, whose producer is
    // dead, is fed from here (before any reader of this process joins it).
    // Refused (a live producer, live readers of that run): emit() says why.
    if (!core_->created() && core_->origin() == Origin::emit && !core_->producer_alive()) (void)core_->revive();
  }
  /// Opens the existing stream `name` (NotFound; Mismatch if it is not a Stream<T>).
  Stream(Memory& mem, std::string_view name)
      : core_(std::make_shared<Core>(mem.mapping(), detail::open_structure(mem.mapping(), name, spec()), name)) {}

  /// Appends `value`; with Overflow::block waits while a live subscriber is
  /// capacity() behind. Throws StreamError (kClosed) once the stream ended,
  /// RoleTaken in a process that is not its producer.
  void emit(const T& value) {
    check_emitter();
    core_->publish(&value, detail::Deadline::forever(), nullptr);
  }
  /// As emit(), giving up after `timeout`: false if the value was not emitted.
  template <class Rep, class Period>
  bool emit_for(const T& value, const std::chrono::duration<Rep, Period>& timeout) {
    check_emitter();
    return core_->publish(&value, detail::deadline_after(timeout), nullptr) == detail::stream::Publish::kDone;
  }
  /// As emit() if there is room now; false otherwise.
  bool try_emit(const T& value) { return emit_for(value, std::chrono::nanoseconds::zero()); }

  /// Ends the stream: subscribers read what is there, then see the end
  /// (StreamEnd::closed). Any process may close. Idempotent.
  void close() noexcept { core_->close(StreamEnd::closed); }

  /// A pull subscriber that sees every item emitted from now on.
  Cursor<T> cursor() const { return Cursor<T>(core_, work_); }

  /// Calls `callback(const T&)` on a thread of this process for every item
  /// emitted from now on, until the end of the stream or the handle goes.
  /// Keep the handle: `auto sub = s.subscribe(f);` (a discarded one cancels
  /// at once). For a handler in this thread until the end, see foreach().
  template <class F>
  [[nodiscard("the Subscription cancels delivery when destroyed: keep it, e.g. auto sub = s.subscribe(f);")]]
  Subscription subscribe(F&& callback) const {
    Subscription sub;
    sub.state_ = std::make_shared<Subscription::State>();
    sub.state_->keep = work_;
    detail::stream::ReaderHandle reader(core_);  // joined before we return
    sub.state_->thread = std::thread(
        [st = sub.state_, reader = std::move(reader), cb = std::decay_t<F>(std::forward<F>(callback))]() mutable {
          std::array<std::byte, sizeof(T)> buf;
          try {
            for (;;) {
              const auto r = reader.next(buf.data(), detail::Deadline::forever(), &st->token);
              st->missed.store(reader.state().missed);
              if (r != detail::stream::Next::kItem) {
                if (r == detail::stream::Next::kEnd) st->end.store(static_cast<std::uint32_t>(reader.state().end));
                break;
              }
              const T value = detail::stream::from_bytes<T>(buf);
              cb(value);
              st->delivered.fetch_add(1);
            }
          } catch (...) {
            st->error = std::current_exception();
          }
          reader.reset();
          {
            std::lock_guard lock(st->m);
            st->done = true;
          }
          st->cv.notify_all();
        });
    return sub;
  }

  /// Calls `handler(const T&)` in this thread for every item emitted from
  /// now on, until the stream ends; a handler that returns bool stops early
  /// by returning false. Returns how many items it handled. The subscriber
  /// slot is taken when foreach starts (a producer's wait_for_subscribers
  /// sees it) and given back when it returns; an exception from the handler
  /// propagates. subscribe() does the same on a thread of its own.
  template <class F>
    requires std::is_invocable_v<F&, const T&>
  std::uint64_t foreach(F&& handler) const {
    using R = std::invoke_result_t<F&, const T&>;
    static_assert(std::is_void_v<R> || std::is_same_v<R, bool>,
                  "foreach: the handler returns void, or bool (false stops)");
    Cursor<T> cur = cursor();
    std::uint64_t handled = 0;
    while (const std::optional<T> v = cur.next()) {
      ++handled;
      if constexpr (std::is_same_v<R, bool>) {
        if (!handler(*v)) break;
      } else {
        handler(*v);
      }
    }
    return handled;
  }

  /// Waits until at least `n` subscribers (in any process) hold a slot.
  template <class Rep, class Period>
  bool wait_for_subscribers(std::size_t n, const std::chrono::duration<Rep, Period>& timeout) const {
    return core_->wait_subscribers(n, detail::deadline_after(timeout), nullptr);
  }

  // ------------------------------------------------------------ operators
  // Each creates the stream `name` (if it exists: fed again when its
  // earlier operator's process is dead, RoleTaken while it lives; see
  // "Running a program again" above),
  // subscribes to this one before returning, and feeds it from a thread of
  // this process owned by the returned handle (detail/stream_operators.h).
  // An operator starts reading its input when its own stream gets its first
  // subscriber (in any process): until then its slot holds the input back,
  // so a chain built before its last reader joins loses nothing. When its
  // input ends, it ends with the input's reason (closed, producer_gone,
  // operator_failed, ...).

  /// f(item) for every item; U = what f returns, or map<U>(...) to convert.
  template <class U = void, class F>
  auto map(Memory& mem, std::string_view name, F f, StreamOptions opts = {}) const {
    using R = std::conditional_t<std::is_void_v<U>, std::decay_t<std::invoke_result_t<F&, const T&>>, U>;
    return derive<R>(mem, name, opts, Origin::map, {}, [&](auto reader) {
      return detail::stream::per_item<T>(std::move(reader), [f = std::move(f)](const T& v, auto emit) mutable {
        return emit(static_cast<R>(f(v)));
      });
    });
  }
  /// The items for which pred(item) is true.
  template <class P>
  Stream<T> filter(Memory& mem, std::string_view name, P pred, StreamOptions opts = {}) const {
    return derive<T>(mem, name, opts, Origin::filter, {}, [&](auto reader) {
      return detail::stream::per_item<T>(std::move(reader), [p = std::move(pred)](const T& v, auto emit) mutable {
        return !p(v) || emit(v);
      });
    });
  }
  /// The running accumulation: acc = f(acc, item), emitted after every item.
  template <class A, class F>
  Stream<A> fold(Memory& mem, std::string_view name, A init, F f, StreamOptions opts = {}) const {
    return derive<A>(mem, name, opts, Origin::fold, {}, [&](auto reader) {
      return detail::stream::per_item<T>(std::move(reader),
                                         [acc = std::move(init), f = std::move(f)](const T& v, auto emit) mutable {
                                           acc = f(acc, v);
                                           return emit(acc);
                                         });
    });
  }
  /// The first n items, then the end.
  Stream<T> take(Memory& mem, std::string_view name, std::uint64_t n, StreamOptions opts = {}) const {
    Stream<T> out = derive<T>(mem, name, opts, Origin::take, {}, [&](auto reader) {
      return detail::stream::per_item<T>(std::move(reader), [left = n](const T& v, auto emit) mutable {
        return left != 0 && emit(v) && --left != 0;
      });
    });
    if (n == 0) out.core_->close(StreamEnd::closed);
    return out;
  }
  /// Every item after the first n.
  Stream<T> skip(Memory& mem, std::string_view name, std::uint64_t n, StreamOptions opts = {}) const {
    return derive<T>(mem, name, opts, Origin::skip, {}, [&](auto reader) {
      return detail::stream::per_item<T>(std::move(reader), [left = n](const T& v, auto emit) mutable {
        if (left != 0) return --left, true;
        return emit(v);
      });
    });
  }
  /// Tumbling windows of n items (1 <= n <= N), as Window<T, N>.
  template <std::size_t N = kDefaultWindow>
  Stream<Window<T, N>> window(Memory& mem, std::string_view name, std::size_t n, StreamOptions opts = {}) const {
    if (n == 0 || n > N) {
      throw InvalidArgument(core_->where() + ": window of " + std::to_string(n) + " items: 1.." +
                            std::to_string(N) + " (use window<N>() for larger windows)");
    }
    return derive<Window<T, N>>(mem, name, opts, Origin::window_count, {}, [&](auto reader) {
      return detail::stream::count_windows<T, N>(std::move(reader), n);
    });
  }
  /// Tumbling windows of `period` (items by arrival at the operator), as Window<T, N>.
  template <std::size_t N = kDefaultWindow, class Rep, class Period>
  Stream<Window<T, N>> window(Memory& mem, std::string_view name, std::chrono::duration<Rep, Period> period,
                              StreamOptions opts = {}) const {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(period);
    if (ns <= std::chrono::nanoseconds::zero()) {
      throw InvalidArgument(core_->where() + ": a time window needs a positive duration");
    }
    return derive<Window<T, N>>(mem, name, opts, Origin::window_time, {}, [&](auto reader) {
      return detail::stream::time_windows<T, N>(std::move(reader), ns);
    });
  }
  /// The items of this stream and `other`, as they come; ends when both ended.
  Stream<T> merge(Memory& mem, std::string_view name, const Stream<T>& other, StreamOptions opts = {}) const {
    detail::stream::ReaderHandle second(other.core_);
    return derive<T>(mem, name, opts, Origin::merge, other.work_, [&](auto reader) {
      return detail::stream::merged<T>(std::move(reader), std::move(second));
    });
  }
  /// Pairs (this item, other's item), one of each; ends when either ended.
  template <class U>
  Stream<Pair<T, U>> zip(Memory& mem, std::string_view name, const Stream<U>& other, StreamOptions opts = {}) const {
    detail::stream::ReaderHandle second(other.core_);
    return derive<Pair<T, U>>(mem, name, opts, Origin::zip, other.work_, [&](auto reader) {
      return detail::stream::zipped<T, U>(std::move(reader), std::move(second));
    });
  }
  /// A stream generated from `seed` by step(state), which returns one of
  ///   std::optional<std::pair<T, State>>  the next item and the next state; nullopt ends
  ///   std::pair<T, State>                 the same, endless (end it with take())
  ///   std::optional<T>                    after advancing `state` (a State&) itself; nullopt ends
  ///   T                                   the same, endless
  /// (std::tuple in place of std::pair; another shape is a compile error that
  /// lists these). Generation starts once the stream has a subscriber, and
  /// is paced by backpressure. State lives in this process only.
  ///   auto fib = Stream<std::uint64_t>::unfold(mem, "fib", std::pair<std::uint64_t, std::uint64_t>{0, 1},
  ///                                           [](auto s) { return std::pair{s.first, std::pair{s.second, s.first + s.second}}; });
  template <class State, class Step>
  static Stream<T> unfold(Memory& mem, std::string_view name, State seed, Step step, StreamOptions opts = {}) {
    const std::size_t capacity = opts.capacity != 0 ? opts.capacity : kDefaultCapacity;
    Stream<T> out(create(mem, name, capacity, opts.overflow, Origin::unfold, true));
    out.work_ = std::make_shared<Work>(out.core_, std::vector<std::shared_ptr<Work>>{});
    out.work_->start(detail::stream::unfolded<T>(std::move(seed), std::move(step)));
    return out;
  }

  // ------------------------------------------------------------ observers
  [[nodiscard]] const std::string& name() const noexcept { return core_->name(); }
  /// True when this handle created the stream.
  [[nodiscard]] bool created() const noexcept { return core_->created(); }
  [[nodiscard]] std::size_t capacity() const noexcept { return core_->capacity(); }
  [[nodiscard]] Overflow overflow() const noexcept { return core_->overflow(); }
  /// Items emitted so far (by any process).
  [[nodiscard]] std::uint64_t published() const noexcept { return core_->published_count(); }
  [[nodiscard]] bool ended() const noexcept { return core_->ended(); }
  [[nodiscard]] StreamEnd end_reason() const { return core_->end_reason(); }
  /// Subscriber slots held now (a dead subscriber counts until it is released).
  [[nodiscard]] std::size_t subscribers() const { return core_->live_subscribers(); }
  /// The process that emits (the creator; for a derived stream, its operator's process).
  [[nodiscard]] pid_t producer() const noexcept { return core_->producer(); }

  /// For a stream this handle's operator feeds: waits until the operator
  /// finished (its input ended, or it failed). True at once for other streams.
  template <class Rep, class Period>
  bool wait_operator_for(const std::chrono::duration<Rep, Period>& timeout) const {
    return !work_ || work_->wait_done(std::chrono::duration_cast<std::chrono::nanoseconds>(timeout));
  }
  /// What the operator's function threw ("" if nothing, or no operator here).
  [[nodiscard]] std::string operator_error() const { return work_ ? work_->error() : std::string(); }

  static detail::StructSpec spec() noexcept {
    detail::StructSpec s{};
    s.kind = detail::Kind::kStream;
    s.element_size = static_cast<std::uint32_t>(sizeof(T));
    s.dtype = static_cast<std::uint8_t>(detail::dtype_of<T>());
    s.total_size = &detail::stream::total_size;
    s.type_name = "Stream";
    return s;
  }

 private:
  template <class>
  friend class Stream;

  explicit Stream(std::shared_ptr<Core> core) : core_(std::move(core)) {}

  static const char* overflow_name(Overflow o) noexcept {
    return o == Overflow::block ? "block" : "drop_oldest";
  }

  // Creates (or, unless `must_create`, opens) the stream `name`.
  static std::shared_ptr<Core> create(Memory& mem, std::string_view name, std::size_t capacity,
                                      Overflow overflow, Origin origin, bool must_create) {
    const std::uint64_t ring = detail::stream::ring_capacity(capacity);
    if (ring == 0 || overflow > Overflow::drop_oldest) {
      throw InvalidArgument(detail::codata_where(*mem.mapping(), "stream", name) + ": capacity " +
                            std::to_string(capacity) + " is not in 1..2^30 (or the overflow mode is unknown)");
    }
    const detail::OpenedStructure opened = detail::create_or_open_structure(
        mem.mapping(), name, spec(), ring, [&](std::byte* base) { Core::init(base, overflow, origin); });
    auto core = std::make_shared<Core>(mem.mapping(), opened, name);
    if (must_create && !opened.created) take_over(*core, overflow, origin);
    return core;
  }

  // An operator's stream that exists already: from an earlier run of the
  // program (its operator's process dead), it is fed again from here; fed
  // by a live process, or another kind of stream, it is an error.
  static void take_over(Core& core, Overflow overflow, Origin origin) {
    if (core.producer_alive()) {
      throw RoleTaken(core.where() + ": exists already, fed by live process " + std::to_string(core.producer()) +
                      " (one process feeds a stream); give this operator another name, or end that process");
    }
    if (core.origin() != origin || core.overflow() != overflow) {
      throw Mismatch(core.where() + ": exists, fed by " + detail::stream::origin_name(core.origin()) + " with overflow " +
                     overflow_name(core.overflow()) + "; this operator is " + detail::stream::origin_name(origin) +
                     " with overflow " + overflow_name(overflow) + " (use another name)");
    }
    const std::string refused = core.revive();
    if (!refused.empty()) {
      throw RoleTaken(core.where() + ": exists already and cannot be fed from here: " + refused +
                      "; or give this operator another name");
    }
  }

  // The stream `name` of U fed by the body make_body(ReaderHandle on this stream) returns.
  template <class U, class MakeBody>
  Stream<U> derive(Memory& mem, std::string_view name, const StreamOptions& opts, Origin origin,
                   std::shared_ptr<Work> other, MakeBody&& make_body) const {
    const std::size_t capacity = opts.capacity != 0 ? opts.capacity : core_->capacity();
    Stream<U> out(Stream<U>::create(mem, name, capacity, opts.overflow, origin, true));
    std::vector<std::shared_ptr<Work>> upstream;
    if (work_) upstream.push_back(work_);
    if (other) upstream.push_back(std::move(other));
    out.work_ = std::make_shared<Work>(out.core_, std::move(upstream));
    out.work_->start([body = make_body(detail::stream::ReaderHandle(core_))](Work& w) mutable {
      return w.wait_for_demand() ? body(w) : detail::stream::EndReason::open;  // nothing passed on before a reader
    });
    return out;
  }

  void check_emitter() const {
    if (core_->origin() != Origin::emit) {
      throw StreamError(StreamError::Reason::kNotEmittable,
                        core_->where() + ": is fed by an operator; emit() into its input instead");
    }
    if (!core_->is_producer()) {
      // A program run again: its earlier run's producer is dead, and the
      // stream is fed again from here (Core::revive() says when it may).
      const std::string refused = core_->revive();
      if (!refused.empty()) throw RoleTaken(core_->where() + ": cannot emit from this process: " + refused);
    }
  }

  std::shared_ptr<Core> core_;
  std::shared_ptr<Work> work_;  // the operator feeding this stream, when this process runs it
};

}  // namespace zeroipc
