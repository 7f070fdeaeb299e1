// zeroipc/registry.h — every queue and stack variant, by name, so the
// harness, the CLI and the tests pick one from a string.
//
//   const auto& info = zeroipc::variant_info("lcrq");   // throws InvalidArgument listing valid names
//   zeroipc::with_queue_variant("spsc_ring", [&]<class V>(std::type_identity<V>) {
//     zeroipc::Queue<Msg, V> q(mem, "q", 1024); ...
//   });
//
// The tuples below are the one list of variants: the typed tests, the
// registry and (later) the harness are all generated from them.
#pragma once

#include <array>
#include <optional>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "zeroipc/detail/layout.h"
#include "zeroipc/detail/names.h"
#include "zeroipc/error.h"
#include "zeroipc/map.h"
#include "zeroipc/pool.h"
#include "zeroipc/ring.h"
#include "zeroipc/queue.h"
#include "zeroipc/stack.h"

namespace zeroipc {

using QueueVariants =
    std::tuple<variants::vyukov_bounded, variants::lcrq, variants::scq, variants::spsc_ring, variants::locked_ring,
               variants::lcrq_nodes, variants::scq_indices>;
using StackVariants = std::tuple<variants::treiber_tagged, variants::elimination_backoff>;
/// Map and Set share their variants (a Set is a Map without values).
using MapVariants = std::tuple<variants::locked_probe>;
using PoolVariants = std::tuple<variants::locked_free_list>;
using RingVariants = std::tuple<variants::gated_ring>;

struct VariantInfo {
  std::string_view name;
  detail::Kind kind;    // kQueue, kStack, kMap (a map variant serves Set too) or kPool
  std::uint16_t id;     // stored in the structure header
  bool multi_producer;  // more than one process may push at once
  bool multi_consumer;  // more than one process may pop at once
};

namespace detail {
template <class V>
constexpr VariantInfo queue_info() {
  return {V::kName, Kind::kQueue, V::kId, V::kMultiProducer, V::kMultiConsumer};
}
template <class V>
constexpr VariantInfo stack_info() {
  return {V::kName, Kind::kStack, V::kId, true, true};
}
template <class V>
constexpr VariantInfo map_info() {
  return {V::kName, Kind::kMap, V::kId, true, true};
}
template <class V>
constexpr VariantInfo pool_info() {
  return {V::kName, Kind::kPool, V::kId, true, true};
}
template <class... Q, class... S, class... M, class... P>
constexpr auto make_registry(std::tuple<Q...>*, std::tuple<S...>*, std::tuple<M...>*, std::tuple<P...>*) {
  return std::array<VariantInfo, sizeof...(Q) + sizeof...(S) + sizeof...(M) + sizeof...(P)>{
      queue_info<Q>()..., stack_info<S>()..., map_info<M>()..., pool_info<P>()...};
}
}  // namespace detail

/// Every variant: queues, stacks, maps, pools.
inline constexpr auto kVariants = detail::make_registry(static_cast<QueueVariants*>(nullptr),
                                                        static_cast<StackVariants*>(nullptr),
                                                        static_cast<MapVariants*>(nullptr),
                                                        static_cast<PoolVariants*>(nullptr));

/// "vyukov_bounded, spsc_ring, ..." — for messages.
inline std::string variant_names() {
  std::string out;
  for (const auto& v : kVariants) {
    if (!out.empty()) out += ", ";
    out += v.name;
  }
  return out;
}

/// The variant called `name`; throws InvalidArgument naming the valid ones.
inline const VariantInfo& variant_info(std::string_view name) {
  for (const auto& v : kVariants) {
    if (v.name == name) return v;
  }
  throw InvalidArgument("zeroipc: unknown variant '" + detail::printable(name) +
                        "' (valid: " + variant_names() + ")");
}

namespace detail {
[[noreturn]] inline void not_a_variant_of(std::string_view name, Kind kind) {
  const VariantInfo& info = variant_info(name);  // throws for unknown names, listing them all
  std::string valid;
  for (const auto& v : kVariants) {
    if (v.kind != kind) continue;
    if (!valid.empty()) valid += ", ";
    valid += v.name;
  }
  throw InvalidArgument("zeroipc: variant '" + std::string(info.name) + "' is not a " +
                        kind_name(static_cast<std::uint16_t>(kind)) + " variant (valid " +
                        kind_name(static_cast<std::uint16_t>(kind)) + " variants: " + valid + ")");
}

template <class Tuple, class F, std::size_t... I>
decltype(auto) visit_by_name(std::string_view name, Kind kind, F&& f,
                             std::index_sequence<I...>) {
  using R = decltype(f(std::type_identity<std::tuple_element_t<0, Tuple>>{}));
  if constexpr (std::is_void_v<R>) {
    bool found = ((std::tuple_element_t<I, Tuple>::kName == name
                       ? (f(std::type_identity<std::tuple_element_t<I, Tuple>>{}), true)
                       : false) ||
                  ...);
    if (!found) not_a_variant_of(name, kind);
  } else {
    std::optional<R> result;
    ((std::tuple_element_t<I, Tuple>::kName == name
          ? (result.emplace(f(std::type_identity<std::tuple_element_t<I, Tuple>>{})), true)
          : false) ||
     ...);
    if (!result) not_a_variant_of(name, kind);
    return R(*std::move(result));  // a value, never a reference into `result`
  }
}
}  // namespace detail

/// Calls f(std::type_identity<V>{}) with the queue variant called `name`.
template <class F>
decltype(auto) with_queue_variant(std::string_view name, F&& f) {
  return detail::visit_by_name<QueueVariants>(
      name, detail::Kind::kQueue, std::forward<F>(f), std::make_index_sequence<std::tuple_size_v<QueueVariants>>{});
}

/// Calls f(std::type_identity<V>{}) with the stack variant called `name`.
template <class F>
decltype(auto) with_stack_variant(std::string_view name, F&& f) {
  return detail::visit_by_name<StackVariants>(
      name, detail::Kind::kStack, std::forward<F>(f), std::make_index_sequence<std::tuple_size_v<StackVariants>>{});
}

/// Calls f(std::type_identity<V>{}) with the map (and set) variant called `name`.
template <class F>
decltype(auto) with_map_variant(std::string_view name, F&& f) {
  return detail::visit_by_name<MapVariants>(
      name, detail::Kind::kMap, std::forward<F>(f), std::make_index_sequence<std::tuple_size_v<MapVariants>>{});
}

}  // namespace zeroipc
