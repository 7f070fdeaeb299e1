// zeroipc/harness/config.cpp — the table of keys, TOML reading, overrides.
#include "zeroipc/harness/config.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <toml++/toml.h>

#include "zeroipc/baselines/kv_store.h"
#include "zeroipc/baselines/transport.h"
#include "zeroipc/harness/topology.h"
#include "zeroipc/harness/workload.h"
#include "zeroipc/registry.h"

namespace zeroipc::harness {

namespace {

using nlohmann::json;

std::vector<std::string> variant_choices() {
  std::vector<std::string> out{"all"};
  for (const auto& v : kVariants) out.emplace_back(v.name);
  return out;
}

std::vector<std::string> transport_choices() {
  std::vector<std::string> out{"all"};
  for (const auto& t : baselines::transports()) out.emplace_back(t.name);
  return out;
}

std::vector<std::string> store_choices() {
  std::vector<std::string> out{"all"};
  for (const auto& s : baselines::stores()) out.emplace_back(s.name);
  return out;
}

std::vector<std::string> placement_choices() {
  std::vector<std::string> out{"all"};
  for (Placement p : kAllPlacements) out.emplace_back(to_string(p));
  return out;
}

std::string join(const std::vector<std::string>& items, std::string_view sep = ", ");

std::vector<KeyDef> make_keys() {
  using K = KeyType;
  std::vector<std::string> measured, summaries;
  for (Workload w : all_workloads()) {
    if (w->is_floor()) continue;
    measured.push_back(w->name);
    summaries.push_back(w->summary);
  }
  std::vector<KeyDef> keys{
      // [experiment]
      make_key("experiment", "name", K::string, "",
               "experiment name, used in the results folder (default: the file's stem)"),
      make_key("experiment", "description", K::string, "", "one line saying what the experiment asks"),
      make_int_key("experiment", "repetitions", 5, 1, 1000,
                   "repetitions of every case, interleaved across cases (round r runs every case once, shuffled)"),
      make_int_key("experiment", "seed", 20261123, 0, INT64_MAX, "seed of the interleaved schedule"),
      make_key("experiment", "oversubscribe", K::boolean, false,
               "allow more busy-polling workers than PUs (such cases are marked oversubscribed)"),
      make_key("experiment", "timeout_s", K::number, 120.0, "a repetition still running after this many seconds fails"),
      make_key("experiment", "floor", K::boolean, true,
               "run the floor probes (cache-line round trip, memcpy, shared-memory read) with the cases"),
      // [matrix]
      make_key("matrix", "workloads", K::string_list, json::array({"pingpong", "streaming"}),
               join(summaries) + "; [] = the floor probes alone", measured),
      make_key("matrix", "structures", K::string_list, json::array({"queue"}),
               "structures measured; 'transport' = the IPC transports of matrix.transports (baselines/), "
               "zeroipc's queues among them; 'stream' = zeroipc::Stream (workload fanout, 1 producer, 1..8 "
               "subscribers); 'map' = the key-value stores of matrix.stores (workload map); 'pool' = zeroipc::Pool "
               "(workload pool); 'ring' = zeroipc::Ring (workload ring); 'reference' = the minimal SPSC ring, the ceiling "
               "of what the harness itself carries (pingpong and streaming, 1p1c)",
               {"queue", "stack", "transport", "stream", "map", "pool", "ring", "reference"}),
      make_key("matrix", "variants", K::string_list, json::array({"all"}),
               "variants measured; 'all' = every variant of the structures, leaving out the combinations it cannot run",
               variant_choices()),
      make_key("matrix", "transports", K::string_list, json::array({"all"}),
               "transports measured when structures has 'transport' (pingpong and streaming, 1p1c); 'all' = every one "
               "this build has, leaving out the combinations it cannot run",
               transport_choices()),
      make_key("matrix", "stores", K::string_list, json::array({"all"}),
               "key-value stores measured when structures has 'map' (workload map): zeroipc's Map and the "
               "baselines a user would pick instead; 'all' = every one this build has, leaving out the ones it lacks",
               store_choices()),
      make_int_list_key("matrix", "message_sizes", json::array({8}), 8, 65536, "bytes per message (map: per value)",
                        supported_message_sizes()),
      make_int_list_key("matrix", "producers", json::array({1}), 1, 64,
                        "producer processes (mixed, map: workers, each pushing and popping, or reading and writing)"),
      make_int_list_key("matrix", "consumers", json::array({1}), 1, 64,
                        "consumer processes (mixed, map: equal to producers; fanout: the stream's subscribers)"),
      make_key("matrix", "placements", K::string_list, json::array({"different-cores"}),
               "where the workers sit relative to each other; 'all' = every placement this machine offers",
               placement_choices()),
      make_key("matrix", "skip_impossible", K::boolean, false,
               "leave out combinations that cannot run (listed in the plan) instead of refusing the experiment"),
  };
  auto add_keys_of = [&](bool floors) {
    for (Workload w : all_workloads()) {
      if (w->is_floor() == floors) keys.insert(keys.end(), w->keys.begin(), w->keys.end());
    }
  };
  add_keys_of(false);
  // [baselines]
  keys.push_back(make_int_key(
      "baselines", "redis_pu", -1, -1, 4095,
      "OS index of the PU the harness's redis-server is pinned to; -1 = the plan picks one (a PU no worker of "
      "a Redis case uses, else the responder's / consumer's)"));
  add_keys_of(true);
  return keys;
}

std::string type_name(KeyType t) {
  switch (t) {
    case KeyType::integer: return "integer";
    case KeyType::number: return "number";
    case KeyType::boolean: return "boolean";
    case KeyType::string: return "string";
    case KeyType::integer_list: return "list of integers";
    case KeyType::string_list: return "list of strings";
  }
  return "?";
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

std::string join_ints(const std::vector<std::int64_t>& items) {
  std::vector<std::string> s;
  for (auto i : items) s.push_back(std::to_string(i));
  return join(s);
}

const KeyDef* find_key(std::string_view section, std::string_view key) {
  for (const auto& k : config_keys()) {
    if (k.section == section && k.key == key) return &k;
  }
  return nullptr;
}

std::vector<std::string> sections() {
  std::vector<std::string> out;
  for (const auto& k : config_keys()) {
    if (std::find(out.begin(), out.end(), k.section) == out.end()) out.push_back(k.section);
  }
  return out;
}

std::vector<std::string> keys_of(std::string_view section) {
  std::vector<std::string> out;
  for (const auto& k : config_keys()) {
    if (k.section == section) out.push_back(k.key);
  }
  return out;
}

[[noreturn]] void unknown_key(std::string_view section, std::string_view key, std::string_view origin) {
  if (keys_of(section).empty()) {
    throw ConfigError(std::string(origin) + ": unknown section [" + std::string(section) +
                      "] (valid sections: " + join(sections()) + ")");
  }
  throw ConfigError(std::string(origin) + ": unknown key '" + std::string(key) + "' in [" + std::string(section) +
                    "] (valid keys: " + join(keys_of(section)) + ")");
}

std::string describe(const json& v) {
  std::string s = v.dump();
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

// Checks v against def (type, bounds, choices) and returns it normalised
// (an integer-valued number stays an integer, an integer given for a number becomes one).
json checked(const KeyDef& def, const json& v, std::string_view origin) {
  const std::string where = std::string(origin) + ": " + def.section + "." + def.key;
  auto wrong_type = [&]() -> json {
    throw ConfigError(where + ": expected " + type_name(def.type) + ", found " + describe(v));
  };
  auto check_int = [&](const json& x) {
    if (!x.is_number_integer()) wrong_type();
    const std::int64_t i = x.get<std::int64_t>();
    if (i < def.min || i > def.max) {
      throw ConfigError(where + ": " + std::to_string(i) + " is out of range (expected " + std::to_string(def.min) +
                        " to " + std::to_string(def.max) + ")");
    }
    if (!def.int_choices.empty() &&
        std::find(def.int_choices.begin(), def.int_choices.end(), i) == def.int_choices.end()) {
      throw ConfigError(where + ": " + std::to_string(i) + " is not supported (valid: " + join_ints(def.int_choices) +
                        ")");
    }
  };
  auto check_string = [&](const json& x) {
    if (!x.is_string()) wrong_type();
    const auto s = x.get<std::string>();
    if (!def.choices.empty() && std::find(def.choices.begin(), def.choices.end(), s) == def.choices.end()) {
      throw ConfigError(where + ": unknown value '" + s + "' (valid: " + join(def.choices) + ")");
    }
  };
  switch (def.type) {
    case KeyType::integer:
      check_int(v);
      return v;
    case KeyType::number:
      if (!v.is_number()) wrong_type();
      if (!std::isfinite(v.get<double>()) || v.get<double>() <= 0) {
        throw ConfigError(where + ": expected a positive finite number, found " + describe(v));
      }
      return v.get<double>();
    case KeyType::boolean:
      if (!v.is_boolean()) wrong_type();
      return v;
    case KeyType::string:
      check_string(v);
      return v;
    case KeyType::integer_list:
    case KeyType::string_list: {
      if (!v.is_array()) wrong_type();
      if (v.empty() && def.key != "workloads") throw ConfigError(where + ": expected at least one value, found []");
      json out = json::array();
      for (const auto& x : v) {
        if (def.type == KeyType::integer_list) check_int(x); else check_string(x);
        if (std::find(out.begin(), out.end(), x) != out.end()) {
          throw ConfigError(where + ": " + describe(x) + " is listed twice");
        }
        out.push_back(x);
      }
      return out;
    }
  }
  return v;
}

json from_toml(const toml::node& node, const std::string& where) {
  if (auto i = node.value<std::int64_t>(); i && node.is_integer()) return *i;
  if (node.is_floating_point()) return *node.value<double>();
  if (node.is_boolean()) return *node.value<bool>();
  if (node.is_string()) return *node.value<std::string>();
  if (const auto* arr = node.as_array()) {
    json out = json::array();
    for (const auto& x : *arr) out.push_back(from_toml(x, where));
    return out;
  }
  throw ConfigError(where + ": unsupported TOML value (expected a number, boolean, string or list)");
}

// Parses an override's text as the key's type: "9", "true", "lcrq,scq", "1.5".
json parse_override_value(const KeyDef& def, std::string_view text, std::string_view where) {
  auto parse_int = [&](std::string_view t) -> json {
    std::int64_t i = 0;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), i);
    if (ec != std::errc() || p != t.data() + t.size()) {
      throw ConfigError(std::string(where) + ": expected " + type_name(def.type) + ", found '" + std::string(t) + "'");
    }
    return i;
  };
  auto split = [](std::string_view t) {
    std::vector<std::string_view> parts;
    while (true) {
      const auto comma = t.find(',');
      parts.push_back(t.substr(0, comma));
      if (comma == std::string_view::npos) break;
      t.remove_prefix(comma + 1);
    }
    return parts;
  };
  switch (def.type) {
    case KeyType::integer: return parse_int(text);
    case KeyType::number: {
      try {
        std::size_t used = 0;
        const double d = std::stod(std::string(text), &used);
        if (used == text.size()) return d;
      } catch (const std::exception&) {
      }
      throw ConfigError(std::string(where) + ": expected a number, found '" + std::string(text) + "'");
    }
    case KeyType::boolean:
      if (text == "true") return true;
      if (text == "false") return false;
      throw ConfigError(std::string(where) + ": expected true or false, found '" + std::string(text) + "'");
    case KeyType::string: return std::string(text);
    case KeyType::integer_list: {
      json out = json::array();
      if (text.empty()) return out;
      for (auto part : split(text)) out.push_back(parse_int(part));
      return out;
    }
    case KeyType::string_list: {
      json out = json::array();
      if (text.empty()) return out;
      for (auto part : split(text)) out.push_back(std::string(part));
      return out;
    }
  }
  return {};
}

}  // namespace

KeyDef make_key(std::string section, std::string name, KeyType type, nlohmann::json def, std::string help,
                std::vector<std::string> choices) {
  KeyDef k;
  k.section = std::move(section);
  k.key = std::move(name);
  k.type = type;
  k.default_value = std::move(def);
  k.help = std::move(help);
  k.choices = std::move(choices);
  return k;
}

KeyDef make_int_key(std::string section, std::string name, std::int64_t def, std::int64_t min, std::int64_t max,
                    std::string help) {
  KeyDef k = make_key(std::move(section), std::move(name), KeyType::integer, def, std::move(help));
  k.min = min;
  k.max = max;
  return k;
}

KeyDef make_int_list_key(std::string section, std::string name, nlohmann::json def, std::int64_t min,
                         std::int64_t max, std::string help, std::vector<std::int64_t> choices) {
  KeyDef k = make_key(std::move(section), std::move(name), KeyType::integer_list, std::move(def), std::move(help));
  k.min = min;
  k.max = max;
  k.int_choices = std::move(choices);
  return k;
}

const std::vector<std::int64_t>& supported_message_sizes() {
  static const std::vector<std::int64_t> sizes{8, 16, 32, 64, 128, 256, 1024, 4096, 16384, 65536};
  return sizes;
}

const std::vector<KeyDef>& config_keys() {
  static const std::vector<KeyDef> keys = make_keys();
  return keys;
}

std::string describe_config_keys() {
  std::ostringstream out;
  std::string section;
  for (const auto& k : config_keys()) {
    if (k.section != section) {
      section = k.section;
      out << "[" << section << "]\n";
    }
    out << "  " << k.key << " (" << type_name(k.type) << ", default " << k.default_value.dump() << "): " << k.help;
    if (!k.choices.empty()) out << "; one of: " << join(k.choices);
    if (!k.int_choices.empty()) out << "; one of: " << join_ints(k.int_choices);
    out << "\n";
  }
  return out.str();
}

Config::Config() : values_(json::object()) {
  for (const auto& k : config_keys()) values_[k.section][k.key] = k.default_value;
}

const json& Config::value(std::string_view section, std::string_view key) const {
  if (!find_key(section, key)) {
    throw std::logic_error("harness: no config key " + std::string(section) + "." + std::string(key));
  }
  return values_.at(std::string(section)).at(std::string(key));
}

std::int64_t Config::get_int(std::string_view s, std::string_view k) const { return value(s, k).get<std::int64_t>(); }
double Config::get_number(std::string_view s, std::string_view k) const { return value(s, k).get<double>(); }
bool Config::get_bool(std::string_view s, std::string_view k) const { return value(s, k).get<bool>(); }
std::string Config::get_string(std::string_view s, std::string_view k) const { return value(s, k).get<std::string>(); }
std::vector<std::int64_t> Config::get_ints(std::string_view s, std::string_view k) const {
  return value(s, k).get<std::vector<std::int64_t>>();
}
std::vector<std::string> Config::get_strings(std::string_view s, std::string_view k) const {
  return value(s, k).get<std::vector<std::string>>();
}

void Config::set(std::string_view section, std::string_view key, const json& v, std::string_view origin) {
  const KeyDef* def = find_key(section, key);
  if (!def) unknown_key(section, key, origin);
  values_[std::string(section)][std::string(key)] = checked(*def, v, origin);
}

void Config::apply_override(std::string_view assignment) {
  const std::string where = "override '" + std::string(assignment) + "'";
  const auto eq = assignment.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw ConfigError(where + ": expected key=value or section.key=value");
  }
  const std::string_view name = assignment.substr(0, eq);
  const std::string_view text = assignment.substr(eq + 1);
  const KeyDef* def = nullptr;
  if (const auto dot = name.find('.'); dot != std::string_view::npos) {
    def = find_key(name.substr(0, dot), name.substr(dot + 1));
    if (!def) unknown_key(name.substr(0, dot), name.substr(dot + 1), where);
  } else {
    std::vector<std::string> matches;
    for (const auto& k : config_keys()) {
      if (k.key == name) {
        def = &k;
        matches.push_back(k.section + "." + k.key);
      }
    }
    if (matches.empty()) {
      std::vector<std::string> all;
      for (const auto& k : config_keys()) all.push_back(k.key);
      throw ConfigError(where + ": unknown key '" + std::string(name) + "' (valid keys: " + join(all) +
                        "; section.key works too)");
    }
    if (matches.size() > 1) {
      throw ConfigError(where + ": '" + std::string(name) + "' is in several sections: write one of " + join(matches));
    }
  }
  set(def->section, def->key, parse_override_value(*def, text, where), "override");
}

void Config::merge_toml(std::string_view text, std::string_view origin) {
  toml::table doc;
  try {
    doc = toml::parse(text, std::string(origin));
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << origin << ":" << e.source().begin.line << ":" << e.source().begin.column << ": " << e.description();
    throw ConfigError(msg.str());
  }
  for (auto&& [section, node] : doc) {
    const std::string sec(section.str());
    const auto* table = node.as_table();
    if (keys_of(sec).empty()) unknown_key(sec, "", origin);
    if (!table) throw ConfigError(std::string(origin) + ": '" + sec + "' must be a [section] table");
    for (auto&& [key, value] : *table) {
      const std::string k(key.str());
      const std::string where = std::string(origin) + ": " + sec + "." + k;
      if (!find_key(sec, k)) unknown_key(sec, k, origin);
      set(sec, k, from_toml(value, where), origin);
    }
  }
}

Config load_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path);
  if (!in) {
    throw ConfigError("cannot read experiment file '" + path + "' (expected a TOML file, e.g. experiments/quick.toml)");
  }
  std::ostringstream text;
  text << in.rdbuf();
  Config c;
  c.merge_toml(text.str(), path);
  if (c.get_string("experiment", "name").empty()) {
    c.set("experiment", "name", std::filesystem::path(path).stem().string(), path);
  }
  for (const auto& o : overrides) c.apply_override(o);
  return c;
}

}  // namespace zeroipc::harness
