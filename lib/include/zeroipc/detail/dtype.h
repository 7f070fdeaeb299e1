// zeroipc/detail/dtype.h — the dtype code of an element type (SPECIFICATION.md §6.3).
//
// Scalars get their code, so a float array opened as int32 fails with a clear
// message, and Python can map a segment's array to the right NumPy dtype.
// Everything else (structs) is opaque: only its size is checked.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>

namespace zeroipc::detail {

enum class DType : std::uint8_t {
  kOpaque = 0, kI8 = 1, kU8 = 2, kI16 = 3, kU16 = 4, kI32 = 5, kU32 = 6,
  kI64 = 7, kU64 = 8, kF32 = 9, kF64 = 10, kBool = 11,
};

template <class T>
constexpr DType dtype_of() noexcept {
  using U = std::remove_cv_t<T>;
  if constexpr (std::is_same_v<U, bool>) return DType::kBool;
  else if constexpr (std::is_same_v<U, float> && sizeof(U) == 4) return DType::kF32;
  else if constexpr (std::is_same_v<U, double> && sizeof(U) == 8) return DType::kF64;
  else if constexpr (std::is_integral_v<U> && !std::is_same_v<U, char>) {
    // plain char's signedness is implementation-defined: it stays opaque
    constexpr bool s = std::is_signed_v<U>;
    if constexpr (sizeof(U) == 1) return s ? DType::kI8 : DType::kU8;
    else if constexpr (sizeof(U) == 2) return s ? DType::kI16 : DType::kU16;
    else if constexpr (sizeof(U) == 4) return s ? DType::kI32 : DType::kU32;
    else if constexpr (sizeof(U) == 8) return s ? DType::kI64 : DType::kU64;
    else return DType::kOpaque;
  } else {
    return DType::kOpaque;
  }
}

/// "f32", "i64", "opaque", or "unknown(N)".
std::string dtype_name(std::uint8_t code);

}  // namespace zeroipc::detail
