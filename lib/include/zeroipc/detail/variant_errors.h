// zeroipc/detail/variant_errors.h — the variants' failures (which know
// nothing of segments) as zeroipc::Error subclasses that name the segment
// and the structure: one translation for Queue and Stack.
#pragma once

#include <string>
#include <utility>

#include "zeroipc/error.h"
#include "zeroipc/variants/detail/failure.h"

namespace zeroipc::detail {

/// Calls f(); a variants::CorruptState becomes CorruptSegment, LimitReached
/// LimitReached, Busy Timeout, each prefixed with `where` ("zeroipc: segment
/// '/x', queue 'q' (scq)").
template <class F>
decltype(auto) translating_variant_errors(const std::string& where, F&& f) {
  try {
    return std::forward<F>(f)();
  } catch (const variants::CorruptState& e) {
    throw CorruptSegment(where + ": " + e.what());
  } catch (const variants::LimitReached& e) {
    throw LimitReached(where + ": " + e.what());
  } catch (const variants::Busy& e) {
    throw Timeout(where + ": " + e.what());
  }
}

}  // namespace zeroipc::detail
