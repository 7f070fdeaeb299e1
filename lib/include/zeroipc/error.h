// zeroipc/error.h — the exceptions every zeroipc call throws.
//
// Every failure throws a zeroipc::Error (derived from std::runtime_error, so
// from std::exception). Its message says what was expected and what was found.
// The subclasses let a caller react to one kind of failure without parsing
// messages.
#pragma once

#include <stdexcept>
#include <string>

namespace zeroipc {

/// Base of every exception zeroipc throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A segment, or a structure inside one, does not exist.
class NotFound : public Error {
 public:
  using Error::Error;
};

/// The bytes are not what the format promises: not a zeroipc segment,
/// an unsupported version, an offset or size out of bounds, a bad header.
class CorruptSegment : public Error {
 public:
  using Error::Error;
};

/// The segment's format_version (or a structure's layout_version) is one
/// this build does not read. Subclass of CorruptSegment.
class VersionMismatch : public CorruptSegment {
 public:
  using CorruptSegment::CorruptSegment;
};

/// A segment or structure name is empty, too long, or has a forbidden byte.
class InvalidName : public Error {
 public:
  using Error::Error;
};

/// A call's argument is unusable (zero capacity, size too small, ...).
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

/// The name exists but holds another kind, variant, element size, dtype or
/// capacity than the caller asked for.
class Mismatch : public Error {
 public:
  using Error::Error;
};

/// The heap of the segment has no room for the structure.
class SegmentFull : public Error {
 public:
  using Error::Error;
};

/// Every entry of the name table is used.
class TableFull : public Error {
 public:
  using Error::Error;
};

/// A role only one process may hold (the producer or consumer of an
/// spsc_ring) is held by another live process.
class RoleTaken : public Error {
 public:
  using Error::Error;
};

/// The segment's file belongs to another user, and the caller did not opt
/// in to trusting it (MemoryOptions / OpenOptions::allow_foreign_owner):
/// its owner could rewrite or truncate it under this process.
class ForeignSegment : public Error {
 public:
  using Error::Error;
};

/// A fixed limit of a structure is reached: a lock-free queue's or stack's
/// 128 thread slots are all held by live threads.
class LimitReached : public Error {
 public:
  using Error::Error;
};

/// A bounded wait ran out (a lock held by a live process for too long, ...).
class Timeout : public Error {
 public:
  using Error::Error;
};

/// A bounded structure has no room for another key (Map, Set). Not the
/// same as "already present": Map::insert returns false for that.
class StructureFull : public Error {
 public:
  using Error::Error;
};

/// An index or handle outside the structure: Array::at past the end, a
/// Pool handle that is not the pool's, or one released twice.
class OutOfRange : public Error {
 public:
  using Error::Error;
};

/// Thrown by Future: a stored error, a dead producer, or a second set.
class FutureError : public Error {
 public:
  enum class Reason {
    kErrorSet,      // the producer stored an error with set_error()
    kProducerDied,  // the producer (or a setter) died before a value was set
    kAlreadySet,    // set_value/set_error/claim_producer on a Future already set
  };
  FutureError(Reason reason, const std::string& what) : Error(what), reason_(reason) {}
  [[nodiscard]] Reason reason() const noexcept { return reason_; }

 private:
  Reason reason_;
};

/// Thrown by Lazy: a failed computation, a dead owner nobody replaced, a
/// timeout with nobody computing, invalidate() during a computation, or a
/// computation that needs its own value.
class LazyError : public Error {
 public:
  enum class Reason {
    kComputationFailed,  // the computation threw; the message has its what()
    kOwnerDied,          // the computing process died and no waiting process has the computation
    kNoComputation,      // nobody computed it in time and this process has no computation
    kBusy,               // invalidate() while a live process computes it
    kRecursive,          // the computation asked for its own value
  };
  LazyError(Reason reason, const std::string& what) : Error(what), reason_(reason) {}
  [[nodiscard]] Reason reason() const noexcept { return reason_; }

 private:
  Reason reason_;
};

/// Thrown by Stream: emit() on an ended stream, all 64 subscriber slots taken,
/// or an operator's target name that exists already.
class StreamError : public Error {
 public:
  enum class Reason {
    kClosed,            // emit() after the stream ended (close(), or its producer is gone)
    kNoSubscriberSlot,  // 64 live subscribers already
    kNotEmittable,      // emit() on a stream fed by an operator
  };
  StreamError(Reason reason, const std::string& what) : Error(what), reason_(reason) {}
  [[nodiscard]] Reason reason() const noexcept { return reason_; }

 private:
  Reason reason_;
};

/// Thrown by a send on a closed channel, by a sender that was blocked when
/// the channel was closed (its value was not sent), and by select() when
/// every one of its cases is a closed, drained channel.
class ChannelClosed : public Error {
 public:
  using Error::Error;
};

/// A system call failed; the message carries the call, the object and strerror.
class SystemError : public Error {
 public:
  SystemError(const std::string& what_failed, int err);
  [[nodiscard]] int code() const noexcept { return code_; }

 private:
  int code_;
};

}  // namespace zeroipc
