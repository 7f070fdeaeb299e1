// A Wing & Gong linearizability checker (J. M. Wing and C. Gong, "Testing and
// Verifying Concurrent Objects", JPDC 17(1), 1993) for short histories of
// push/pop on a bounded queue or stack.
//
// A history is a set of completed operations, each with the time it was
// invoked and the time it returned (taken in the calling thread just before
// and just after the call). It is linearizable if some total order of the
// operations (a) respects real time — if a returned before b was invoked, a
// comes first — and (b) replays on the sequential specification with exactly
// the results observed. The search tries, at each step, every operation that
// no other remaining operation must precede, replays it on a model, and
// backtracks on a mismatch; visited (remaining-set, model) states are cached.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <sstream>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace zeroipc::test {

struct Op {
  enum Kind { kPush, kPop } kind;
  std::uint64_t value;  // push: the value pushed; pop: the value popped (if ok)
  bool ok;              // push: accepted (false = full); pop: got a value (false = empty)
  std::int64_t invoked;
  std::int64_t returned;
};

enum class Order { kFifo, kLifo };

class LinearizabilityChecker {
 public:
  /// With `spurious_failures`, a push that reported "full" or a pop that
  /// reported "empty" is accepted whatever the model holds (and changes
  /// nothing): the weaker guarantee of queues whose full/empty answers can be
  /// spurious while another operation is in progress (vyukov_bounded).
  LinearizabilityChecker(Order order, std::size_t capacity, bool spurious_failures = false)
      : order_(order), capacity_(capacity), spurious_failures_(spurious_failures) {}

  /// True when `history` (at most 64 operations) is linearizable.
  bool check(const std::vector<Op>& history) {
    ops_ = history;
    seen_.clear();
    const std::uint64_t all = ops_.size() == 64 ? ~0ull : (1ull << ops_.size()) - 1;
    std::deque<std::uint64_t> model;
    return search(all, model);
  }

 private:
  bool search(std::uint64_t remaining, std::deque<std::uint64_t>& model) {
    if (remaining == 0) return true;
    if (!seen_.insert({remaining, model}).second) return false;  // explored, failed
    // The earliest return among remaining ops: an op invoked after it cannot go first.
    std::int64_t first_return = INT64_MAX;
    for (std::size_t i = 0; i < ops_.size(); ++i) {
      if (remaining >> i & 1) first_return = std::min(first_return, ops_[i].returned);
    }
    for (std::size_t i = 0; i < ops_.size(); ++i) {
      if (!(remaining >> i & 1) || ops_[i].invoked > first_return) continue;
      const Op& op = ops_[i];
      std::deque<std::uint64_t> next = model;
      if (!apply(op, next)) continue;
      if (search(remaining & ~(1ull << i), next)) return true;
    }
    return false;
  }

  // Replays `op` on the sequential specification; false if its result differs.
  bool apply(const Op& op, std::deque<std::uint64_t>& m) const {
    if (!op.ok && spurious_failures_) return true;
    if (op.kind == Op::kPush) {
      const bool fits = m.size() < capacity_;
      if (op.ok != fits) return false;
      if (fits) m.push_back(op.value);
      return true;
    }
    if (m.empty()) return !op.ok;
    if (!op.ok) return false;
    const std::uint64_t v = order_ == Order::kFifo ? m.front() : m.back();
    if (v != op.value) return false;
    if (order_ == Order::kFifo) {
      m.pop_front();
    } else {
      m.pop_back();
    }
    return true;
  }

  Order order_;
  std::size_t capacity_;
  bool spurious_failures_;
  std::vector<Op> ops_;
  std::set<std::pair<std::uint64_t, std::deque<std::uint64_t>>> seen_;
};

/// The history, one operation a line, for failure messages.
inline std::string describe(const std::vector<Op>& history) {
  std::vector<Op> sorted = history;
  std::sort(sorted.begin(), sorted.end(), [](const Op& a, const Op& b) { return a.invoked < b.invoked; });
  std::ostringstream out;
  const std::int64_t t0 = sorted.empty() ? 0 : sorted.front().invoked;
  for (const Op& op : sorted) {
    out << "  [" << op.invoked - t0 << ", " << op.returned - t0 << "] ns  "
        << (op.kind == Op::kPush ? "push(" : "pop() -> ");
    if (op.kind == Op::kPush) {
      out << op.value << ") -> " << (op.ok ? "ok" : "full");
    } else {
      out << (op.ok ? std::to_string(op.value) : std::string("empty"));
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace zeroipc::test
