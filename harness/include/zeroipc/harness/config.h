// An experiment's configuration: a TOML file (toml++) plus command-line
// `key=value` overrides, checked against one table of known keys before
// anything runs.
//
//   Config c = load_config("experiments/quick.toml", {"variants=lcrq,scq", "repetitions=9"});
//   c.get_int("experiment", "repetitions");       // 9
//   c.get_strings("matrix", "variants");          // {"lcrq", "scq"}
//   nlohmann::json resolved = c.to_json();        // every key, defaults filled in: goes into results
//
// Every section and key, its type, default, bounds and help text, is in
// config_keys() (config.cpp, with each workload's own keys from its
// descriptor, workload.h): `zeroipc-harness --keys` prints it. An override
// names a key as `section.key`, or by its bare name when only one section has
// it (`repetitions=9`); list values are comma-separated (`variants=lcrq,scq`).
// Anything wrong — an unknown section or key, a wrong type, a value out of
// bounds or not among the choices, an ambiguous bare name — throws
// ConfigError naming the key, what was found and what is valid.
// Combinations of valid values that cannot run together (3 producers on
// spsc_ring) are judged by the plan (plan.h), which knows the variants and
// the machine.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace zeroipc::harness {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class KeyType { integer, number, boolean, string, integer_list, string_list };

struct KeyDef {
  std::string section;
  std::string key;
  KeyType type;
  nlohmann::json default_value;
  std::string help;
  std::int64_t min = 0;                 // integers and integer lists: inclusive bounds
  std::int64_t max = INT64_MAX;
  std::vector<std::string> choices;     // strings and string lists: allowed values (empty = any)
  std::vector<std::int64_t> int_choices;  // integer lists: allowed values (empty = any in bounds)
};

/// Builders of the key table's entries (config.cpp; a workload's keys, workloads/*.cpp).
KeyDef make_key(std::string section, std::string key, KeyType type, nlohmann::json default_value, std::string help,
                std::vector<std::string> choices = {});
KeyDef make_int_key(std::string section, std::string key, std::int64_t default_value, std::int64_t min,
                    std::int64_t max, std::string help);
KeyDef make_int_list_key(std::string section, std::string key, nlohmann::json default_value, std::int64_t min,
                         std::int64_t max, std::string help, std::vector<std::int64_t> choices = {});
/// The upper bound of a count key (messages, round trips, ...).
inline constexpr std::int64_t kMaxCount = std::int64_t{1} << 40;

/// Every key the harness knows, in the order `--keys` prints them: [experiment],
/// [matrix], the measured workloads' keys, [baselines], the floor probes' keys.
const std::vector<KeyDef>& config_keys();
/// The message sizes a case can use (bytes); each is compiled in as its own element type.
const std::vector<std::int64_t>& supported_message_sizes();
/// "section.key (type, default ...): help" for every key, one per line.
std::string describe_config_keys();

class Config {
 public:
  /// Every key at its default.
  Config();

  std::int64_t get_int(std::string_view section, std::string_view key) const;
  double get_number(std::string_view section, std::string_view key) const;
  bool get_bool(std::string_view section, std::string_view key) const;
  std::string get_string(std::string_view section, std::string_view key) const;
  std::vector<std::int64_t> get_ints(std::string_view section, std::string_view key) const;
  std::vector<std::string> get_strings(std::string_view section, std::string_view key) const;

  /// Sets section.key from a JSON value of the key's type; throws ConfigError.
  /// `origin` says where the value came from, for messages ("quick.toml", "override").
  void set(std::string_view section, std::string_view key, const nlohmann::json& value, std::string_view origin);
  /// Applies "key=value" / "section.key=value"; throws ConfigError.
  void apply_override(std::string_view assignment);
  /// Merges a TOML document's text; throws ConfigError (parse errors with line and column).
  void merge_toml(std::string_view text, std::string_view origin);

  /// {"section": {"key": value, ...}, ...} with every key.
  const nlohmann::json& to_json() const { return values_; }

 private:
  const nlohmann::json& value(std::string_view section, std::string_view key) const;
  nlohmann::json values_;
};

/// Reads `path` (a TOML file), then applies `overrides` in order. [experiment]
/// name defaults to the file's stem. Throws ConfigError for a missing or
/// unreadable file as for bad content.
Config load_config(const std::string& path, const std::vector<std::string>& overrides);

}  // namespace zeroipc::harness
