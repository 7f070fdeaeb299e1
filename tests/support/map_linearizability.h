// A Wing & Gong linearizability checker (as linearizability.h) for short
// histories of a bounded map: insert, insert_or_assign, erase and find over
// a few keys, with "full" (StructureFull) as a possible answer of the first
// two. The sequential specification is a std::map holding at most
// `capacity` keys.
#pragma once

#include <algorithm>
#include <climits>
#include <cstdint>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace zeroipc::test {

struct MapOp {
  enum Kind { kInsert, kAssign, kErase, kFind } kind;
  std::uint64_t key;
  std::uint64_t value;  // insert/assign: the value written; find: the value found (if ok)
  enum Result { kFalse, kTrue, kFull } result;  // find: kTrue = found
  std::int64_t invoked;
  std::int64_t returned;
};

class MapLinearizabilityChecker {
 public:
  explicit MapLinearizabilityChecker(std::size_t capacity) : capacity_(capacity) {}

  /// True when `history` (at most 64 operations) is linearizable.
  bool check(const std::vector<MapOp>& history) {
    ops_ = history;
    seen_.clear();
    std::map<std::uint64_t, std::uint64_t> model;
    return search(ops_.size() == 64 ? ~0ull : (1ull << ops_.size()) - 1, model);
  }

 private:
  using Model = std::map<std::uint64_t, std::uint64_t>;

  // Applies op to model if its observed result matches; false otherwise.
  bool apply(const MapOp& op, Model& m) const {
    const bool present = m.count(op.key) != 0;
    switch (op.kind) {
      case MapOp::kInsert:
        if (present) return op.result == MapOp::kFalse;
        if (m.size() >= capacity_) return op.result == MapOp::kFull;
        if (op.result != MapOp::kTrue) return false;
        m[op.key] = op.value;
        return true;
      case MapOp::kAssign:
        if (!present && m.size() >= capacity_) return op.result == MapOp::kFull;
        if (op.result != (present ? MapOp::kFalse : MapOp::kTrue)) return false;
        m[op.key] = op.value;
        return true;
      case MapOp::kErase:
        if (op.result != (present ? MapOp::kTrue : MapOp::kFalse)) return false;
        m.erase(op.key);
        return true;
      case MapOp::kFind:
        if (!present) return op.result == MapOp::kFalse;
        return op.result == MapOp::kTrue && m.at(op.key) == op.value;
    }
    return false;
  }

  bool search(std::uint64_t remaining, Model& model) {
    if (remaining == 0) return true;
    if (!seen_.insert({remaining, model}).second) return false;
    std::int64_t first_return = INT64_MAX;
    for (std::size_t i = 0; i < ops_.size(); ++i) {
      if (remaining >> i & 1) first_return = std::min(first_return, ops_[i].returned);
    }
    for (std::size_t i = 0; i < ops_.size(); ++i) {
      if (!(remaining >> i & 1) || ops_[i].invoked > first_return) continue;
      Model next = model;
      if (!apply(ops_[i], next)) continue;
      if (search(remaining & ~(1ull << i), next)) return true;
    }
    return false;
  }

  std::size_t capacity_;
  std::vector<MapOp> ops_;
  std::set<std::pair<std::uint64_t, Model>> seen_;
};

inline std::string describe(const std::vector<MapOp>& h) {
  static constexpr const char* kNames[] = {"insert", "assign", "erase", "find"};
  static constexpr const char* kResults[] = {"false", "true", "full"};
  std::ostringstream out;
  for (const auto& op : h) {
    out << "  [" << op.invoked << ", " << op.returned << "] " << kNames[op.kind] << "(" << op.key;
    if (op.kind != MapOp::kErase) out << ", " << op.value;
    out << ") -> " << kResults[op.result] << "\n";
  }
  return out.str();
}

}  // namespace zeroipc::test
