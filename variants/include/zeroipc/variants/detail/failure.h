// zeroipc/variants/detail/failure.h — how an algorithm says that it cannot
// go on. The variants know nothing of segments or names: the Queue and
// Stack wrappers turn these into zeroipc::Error subclasses whose message
// names the segment and the structure (zeroipc::CorruptSegment,
// zeroipc::LimitReached, zeroipc::Timeout).
#pragma once

#include <stdexcept>
#include <string>

namespace zeroipc::variants {

/// The shared state contradicts the algorithm: an index out of range, a
/// ring list with a cycle, a retry loop that made no progress within the
/// bound the structure's own limits give (capacity, ring count, thread
/// slots). Only a corrupt or hostile segment gets here.
class CorruptState : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A fixed limit of the structure is reached (its thread slots are all held
/// by live threads).
class LimitReached : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A live process kept something this operation needs for longer than its
/// patience (a recovery that does not finish).
class Busy : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A bounded structure has no room for what the operation adds (a Map or
/// Set holding `capacity` keys already).
class Full : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace zeroipc::variants
