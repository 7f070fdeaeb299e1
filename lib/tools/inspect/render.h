// render.h — human output: aligned columns, units, colour only on a terminal.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "describe.h"

namespace zeroipc::inspect {

/// Colour when stdout is a terminal and NO_COLOR is not set (no-color.org).
class Style {
 public:
  static Style for_stdout();
  [[nodiscard]] std::string bad(const std::string& s) const { return wrap("31", s); }
  [[nodiscard]] std::string good(const std::string& s) const { return wrap("32", s); }
  [[nodiscard]] std::string warn(const std::string& s) const { return wrap("33", s); }
  [[nodiscard]] std::string bold(const std::string& s) const { return wrap("1", s); }
  [[nodiscard]] std::string dim(const std::string& s) const { return wrap("2", s); }
  /// "alive" green, "dead" red, other text as is.
  [[nodiscard]] std::string alive(const std::string& s) const {
    return s == "alive" ? good(s) : s == "dead" ? bad(s) : s;
  }
  [[nodiscard]] bool colour() const noexcept { return on_; }

 private:
  [[nodiscard]] std::string wrap(const char* code, const std::string& s) const {
    return on_ ? "\x1b[" + std::string(code) + "m" + s + "\x1b[0m" : s;
  }
  bool on_ = false;
};

/// Rows printed with every column padded to its widest cell (escape codes not counted).
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : rows_{std::move(header)} {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print(std::FILE* out, const Style& style) const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

/// "2 h 5 min", "14 s".
std::string human_age(double seconds);
/// "1.2 k/s", "950 /s".
std::string human_rate(double per_second);

/// The whole segment (show /seg), or one structure in detail (show /seg NAME).
void print_segment(std::FILE* out, const json& segment, const Style& style);
void print_structure_detail(std::FILE* out, const json& structure, const Style& style);
/// The structures table of a segment document, with a RATES column when `rates` is given (monitor).
void print_structures(std::FILE* out, const json& segment, const Style& style, const json* rates = nullptr);

}  // namespace zeroipc::inspect
