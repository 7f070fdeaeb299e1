// zeroipc/select.h — wait on several channels at once, like Go's select.
//
//   std::size_t fired = zeroipc::select(
//       zeroipc::recv_case(tasks, [&](Task t) { run(t); }),
//       zeroipc::recv_case(control, [&](Command c) { obey(c); },
//                          [&] { /* control is closed and drained */ }),
//       zeroipc::send_case(results, result, [&] { ++sent; }));    // the index of the case that fired
//   std::optional<std::size_t> i = zeroipc::select_for(50ms, cases...);  // nullopt: timed out
//   std::optional<std::size_t> j = zeroipc::try_select(cases...);        // nullopt: the "default" branch
//
// Exactly one case fires per call: its element is received (and its action
// called with it) or its value sent (and its action called). When several
// are ready, the earliest in argument order wins (deterministic priority,
// not Go's random choice: put a case that must not starve first, or rotate).
//
// A recv case on a closed, drained channel fires its on_closed action if it
// has one; without one it never fires, and a select whose cases are all
// such throws ChannelClosed instead of blocking forever. A send case on a
// closed channel throws ChannelClosed (Go panics). An action's exception
// leaves the select; the element was received (or sent) before it ran.
//
// Blocking does not poll: the select reads each case's epoch word
// (data_epoch for a recv case, space_epoch for a send case, see channel.h)
// *before* trying the cases, then sleeps on all of them at once with
// FUTEX_WAITV (detail::wait_any), so a change in any channel after the
// reads — by any process — wakes it, and it tries every case again.
//
// Rendezvous channels: a recv case takes a posted offer; while the select
// sleeps it counts as a waiting receiver of that channel, so a sender's
// try_send or send case offers to it. A send case fires when a receiver
// (or a sleeping select) is waiting: it offers and lets a receiver take the
// value within 100 ms (detail::kHandoffGrace), else withdraws it and the
// case was not ready; it withdraws at once when no receiver waits any more
// (a receiving select that fired another case stops counting on return).
// Two selects therefore meet on a rendezvous channel, as in Go.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "zeroipc/channel.h"
#include "zeroipc/detail/channel_core.h"
#include "zeroipc/detail/wait.h"

namespace zeroipc {

namespace detail {

enum class CaseResult { kFired, kNotReady, kDisabled };  // kDisabled: closed and drained, no on_closed

/// The action of a case that was given none.
struct NoAction {
  void operator()() const noexcept {}
};
/// The on_closed of a recv case that was given none: the case is disabled instead.
struct NoClosedAction {};

inline Deadline now_deadline() noexcept { return Deadline::after(std::chrono::nanoseconds::zero()); }

}  // namespace detail

/// A case of select(): receive from `channel`, then call the action with the element.
template <class T, class F, class OnClosed>
class RecvCase {
 public:
  static constexpr bool kIsSend = false;
  RecvCase(Channel<T>& channel, F action, OnClosed on_closed)
      : channel_(&channel), action_(std::move(action)), on_closed_(std::move(on_closed)) {}

  [[nodiscard]] detail::ChannelCore& core() const noexcept { return channel_->core(); }
  detail::CaseResult attempt() {
    std::array<std::byte, sizeof(T)> bytes;
    switch (channel_->core().receive(bytes.data(), detail::now_deadline(), true)) {
      case detail::RecvStatus::kReceived:
        std::invoke(action_, std::bit_cast<T>(bytes));
        return detail::CaseResult::kFired;
      case detail::RecvStatus::kClosed:
        if constexpr (std::is_same_v<OnClosed, detail::NoClosedAction>) {
          return detail::CaseResult::kDisabled;
        } else {
          std::invoke(on_closed_);
          return detail::CaseResult::kFired;
        }
      case detail::RecvStatus::kNotReady: break;
    }
    return detail::CaseResult::kNotReady;
  }

 private:
  Channel<T>* channel_;
  F action_;
  [[no_unique_address]] OnClosed on_closed_;
};

/// A case of select(): send a copy of `value` on `channel`, then call the action.
template <class T, class F>
class SendCase {
 public:
  static constexpr bool kIsSend = true;
  SendCase(Channel<T>& channel, const T& value, F action)
      : channel_(&channel), value_(value), action_(std::move(action)) {}

  [[nodiscard]] detail::ChannelCore& core() const noexcept { return channel_->core(); }
  detail::CaseResult attempt() {
    if (channel_->core().send(&value_, detail::now_deadline(), true) != detail::SendStatus::kSent) {
      return detail::CaseResult::kNotReady;
    }
    std::invoke(action_);
    return detail::CaseResult::kFired;
  }

 private:
  Channel<T>* channel_;
  T value_;
  F action_;
};

/// Receive from `channel` and call `on_value(element)`.
template <class T, class F>
  requires std::is_invocable_v<std::decay_t<F>&, T>
RecvCase<T, std::decay_t<F>, detail::NoClosedAction> recv_case(Channel<T>& channel, F&& on_value) {
  return {channel, std::forward<F>(on_value), detail::NoClosedAction{}};
}
/// As above; when the channel is closed and drained, the case fires `on_closed()`.
template <class T, class F, class G>
  requires std::is_invocable_v<std::decay_t<F>&, T> && std::is_invocable_v<std::decay_t<G>&>
RecvCase<T, std::decay_t<F>, std::decay_t<G>> recv_case(Channel<T>& channel, F&& on_value, G&& on_closed) {
  return {channel, std::forward<F>(on_value), std::forward<G>(on_closed)};
}
/// Send `value` on `channel` (and call `on_sent()`).
template <class T>
SendCase<T, detail::NoAction> send_case(Channel<T>& channel, const std::type_identity_t<T>& value) {
  return {channel, value, detail::NoAction{}};
}
template <class T, class F>
  requires std::is_invocable_v<std::decay_t<F>&>
SendCase<T, std::decay_t<F>> send_case(Channel<T>& channel, const std::type_identity_t<T>& value, F&& on_sent) {
  return {channel, value, std::forward<F>(on_sent)};
}

namespace detail {

template <class C>
concept SelectCase = requires(std::remove_cvref_t<C>& c) {
  { c.attempt() } -> std::same_as<CaseResult>;
  { c.core() } -> std::same_as<ChannelCore&>;
  { std::remove_cvref_t<C>::kIsSend } -> std::convertible_to<bool>;
};

/// The rendezvous channels a sleeping select counts itself a receiver of.
template <std::size_t N>
class ReceiverRegistration {
 public:
  ReceiverRegistration() = default;
  ReceiverRegistration(const ReceiverRegistration&) = delete;
  ReceiverRegistration& operator=(const ReceiverRegistration&) = delete;
  ~ReceiverRegistration() {
    for (std::size_t i = 0; i < count_; ++i) cores_[i]->unregister_receiver();
  }
  void add(ChannelCore* core) {
    if (std::find(cores_.begin(), cores_.begin() + static_cast<std::ptrdiff_t>(count_), core) !=
        cores_.begin() + static_cast<std::ptrdiff_t>(count_)) {
      return;
    }
    core->register_receiver();
    cores_[count_++] = core;
  }

 private:
  std::array<ChannelCore*, N> cores_{};
  std::size_t count_ = 0;
};

template <class... Cases>
std::optional<std::size_t> select_until(const Deadline& deadline, bool block, Cases&... cases) {
  constexpr std::size_t n = sizeof...(Cases);
  static_assert(n >= 1, "select() needs at least one case");
  const std::array<ChannelCore*, n> cores{&cases.core()...};
  constexpr std::array<bool, n> sends{Cases::kIsSend...};
  ReceiverRegistration<n> registration;
  bool registered = false;
  std::vector<WaitTarget> targets;
  targets.reserve(n);
  std::vector<WaitTarget> live;
  live.reserve(n);
  for (;;) {
    // 1. Every epoch word, before any attempt: a change after this read wakes wait_any.
    targets.clear();
    for (std::size_t i = 0; i < n; ++i) {
      targets.push_back(sends[i] ? cores[i]->space_target() : cores[i]->data_target());
    }
    // 2. The attempts, in argument order; the first that fires ends the select.
    std::array<bool, n> disabled{};
    std::size_t index = 0;
    std::size_t n_disabled = 0;
    std::optional<std::size_t> fired;
    const auto attempt = [&](auto& c) {
      const std::size_t i = index++;
      const CaseResult r = c.attempt();
      if (r == CaseResult::kFired) fired = i;
      if (r == CaseResult::kDisabled) {
        disabled[i] = true;
        ++n_disabled;
      }
      return r == CaseResult::kFired;
    };
    (attempt(cases) || ...);
    if (fired) return fired;
    if (n_disabled == n) {
      throw ChannelClosed("zeroipc: select: every one of its " + std::to_string(n) +
                          " cases receives from a channel that is closed and drained (give a recv_case "
                          "an on_closed action to be told instead)");
    }
    if (!block || deadline.passed()) return std::nullopt;
    // 3. Sleep on the live cases' words at once (each word once).
    if (!registered) {
      for (std::size_t i = 0; i < n; ++i) {
        if (!sends[i] && !disabled[i] && cores[i]->capacity() == 0) registration.add(cores[i]);
      }
      registered = true;
    }
    live.clear();
    for (std::size_t i = 0; i < n; ++i) {
      if (disabled[i]) continue;
      const bool seen = std::any_of(live.begin(), live.end(), [&](const WaitTarget& t) {
        return t.word.futex_address() == targets[i].word.futex_address();
      });
      if (!seen) live.push_back(targets[i]);
    }
    wait_any(live, deadline);
  }
}

}  // namespace detail

/// Blocks until one case fires; returns its index (0-based, in argument order).
template <detail::SelectCase... Cases>
std::size_t select(Cases&&... cases) {
  return *detail::select_until(detail::Deadline::forever(), true, cases...);
}

/// As select(), waiting at most `timeout`: nullopt if no case fired in time.
template <class Rep, class Period, detail::SelectCase... Cases>
std::optional<std::size_t> select_for(const std::chrono::duration<Rep, Period>& timeout, Cases&&... cases) {
  return detail::select_until(detail::deadline_after(timeout), true, cases...);
}

/// Fires the first case that is ready now; nullopt if none is (Go's `default:`).
template <detail::SelectCase... Cases>
std::optional<std::size_t> try_select(Cases&&... cases) {
  return detail::select_until(detail::now_deadline(), false, cases...);
}

}  // namespace zeroipc
