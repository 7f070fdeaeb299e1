// zeroipc/detail/variant_errors.h — the variants' failures (which know
// nothing of segments) as zeroipc::Error subclasses that name the segment
// and the structure: one translation for Queue and Stack.
#pragma once

#include <string>
#include <type_traits>
#include <utility>

#include "zeroipc/error.h"
#include "zeroipc/variants/detail/failure.h"

namespace zeroipc::detail {

/// Calls f(); a variants::CorruptState becomes CorruptSegment, LimitReached
/// LimitReached, Busy Timeout, Full StructureFull, each prefixed with where() ("zeroipc: segment
/// '/x', queue 'q' (scq)"). `where` is a callable, so the prefix is only
/// built when something is thrown, not on every operation.
template <class Where, class F>
  requires std::is_invocable_r_v<std::string, Where>
decltype(auto) translating_variant_errors(Where&& where, F&& f) {
  try {
    return std::forward<F>(f)();
  } catch (const variants::CorruptState& e) {
    throw CorruptSegment(where() + ": " + e.what());
  } catch (const variants::LimitReached& e) {
    throw LimitReached(where() + ": " + e.what());
  } catch (const variants::Busy& e) {
    throw Timeout(where() + ": " + e.what());
  } catch (const variants::Full& e) {
    throw StructureFull(where() + ": " + e.what());
  }
}

/// The same with the prefix given as a string.
template <class F>
decltype(auto) translating_variant_errors(const std::string& where, F&& f) {
  return translating_variant_errors([&] { return where; }, std::forward<F>(f));
}

}  // namespace zeroipc::detail
