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

/// Inside a catch: rethrows the exception being handled, a variant failure
/// translated (the prefix where() built here, only when one is thrown). Out
/// of line and cold: the caller's frame keeps one small landing pad, so
/// translating_variant_errors inlines into push/pop and their hot paths
/// save no registers and make no call. Any other exception passes unchanged.
template <class Where>
[[noreturn, gnu::cold, gnu::noinline]] void rethrow_variant_error(const Where& where) {
  try {
    throw;
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

/// Calls f(); a variants::CorruptState becomes CorruptSegment, LimitReached
/// LimitReached, Busy Timeout, Full StructureFull, each prefixed with where() ("zeroipc: segment
/// '/x', queue 'q' (scq)"). `where` is a callable, so the prefix is only
/// built when something is thrown, not on every operation.
template <class Where, class F>
  requires std::is_invocable_r_v<std::string, Where>
decltype(auto) translating_variant_errors(Where&& where, F&& f) {
  try {
    return std::forward<F>(f)();
  } catch (...) {
    rethrow_variant_error(where);
  }
}

/// The same with the prefix given as a string.
template <class F>
decltype(auto) translating_variant_errors(const std::string& where, F&& f) {
  return translating_variant_errors([&] { return where; }, std::forward<F>(f));
}

}  // namespace zeroipc::detail
