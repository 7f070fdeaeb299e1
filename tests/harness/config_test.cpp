// The experiment config (harness/include/zeroipc/harness/config.h): the key
// table's defaults, TOML documents, command-line overrides and load_config,
// and that every mistake is a ConfigError naming the key, what was found and
// what is valid.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <zeroipc/harness/config.h>
#include <zeroipc/registry.h>

namespace {

using namespace zeroipc::harness;
using nlohmann::json;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// The ConfigError's message; fails the test when `f` throws nothing or something else.
std::string config_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected ConfigError, got another exception: " << e.what();
    return "";
  }
  ADD_FAILURE() << "expected ConfigError, nothing was thrown";
  return "";
}

std::string merge_error(const std::string& toml) {
  return config_error([&] {
    Config c;
    c.merge_toml(toml, "test.toml");
  });
}

// A value as an override writes it: lists comma-separated, strings bare.
std::string override_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (!v.is_array()) return v.dump();
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : ",") + (x.is_string() ? x.get<std::string>() : x.dump());
  return out;
}

std::string override_error(const std::string& assignment) {
  return config_error([&] {
    Config c;
    c.apply_override(assignment);
  });
}

std::vector<std::string> sections() {
  std::vector<std::string> out;
  for (const auto& k : config_keys()) {
    if (std::find(out.begin(), out.end(), k.section) == out.end()) out.push_back(k.section);
  }
  return out;
}

std::string joined_sizes() {
  std::string out;
  for (auto s : supported_message_sizes()) out += (out.empty() ? "" : ", ") + std::to_string(s);
  return out;
}

// A file under the test's temporary directory, removed at the end of the test.
class TempFile {
 public:
  TempFile(const std::string& name, const std::string& text)
      : path_(std::filesystem::path(::testing::TempDir()) / name) {
    std::ofstream(path_) << text;
  }
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// ---- the key table and its defaults ----------------------------------------------

TEST(ConfigKeys, EveryKeyHasItsDefaultAndTheDefaultsAreValid) {
  const Config c;
  const json& all = c.to_json();
  ASSERT_FALSE(config_keys().empty());
  std::size_t keys_in_json = 0;
  for (const auto& [section, table] : all.items()) keys_in_json += table.size();
  EXPECT_EQ(keys_in_json, config_keys().size()) << all.dump();
  for (const auto& k : config_keys()) {
    SCOPED_TRACE(k.section + "." + k.key);
    ASSERT_TRUE(all.contains(k.section));
    ASSERT_TRUE(all[k.section].contains(k.key));
    EXPECT_EQ(all[k.section][k.key], k.default_value);
    EXPECT_FALSE(k.help.empty());
    switch (k.type) {
      case KeyType::integer: EXPECT_EQ(c.get_int(k.section, k.key), k.default_value.get<std::int64_t>()); break;
      case KeyType::number: EXPECT_EQ(c.get_number(k.section, k.key), k.default_value.get<double>()); break;
      case KeyType::boolean: EXPECT_EQ(c.get_bool(k.section, k.key), k.default_value.get<bool>()); break;
      case KeyType::string: EXPECT_EQ(c.get_string(k.section, k.key), k.default_value.get<std::string>()); break;
      case KeyType::integer_list:
        EXPECT_EQ(c.get_ints(k.section, k.key), k.default_value.get<std::vector<std::int64_t>>());
        break;
      case KeyType::string_list:
        EXPECT_EQ(c.get_strings(k.section, k.key), k.default_value.get<std::vector<std::string>>());
        break;
    }
    // Each default passes the key's own checks (type, bounds, choices).
    Config copy;
    EXPECT_NO_THROW(copy.set(k.section, k.key, k.default_value, "default"));
    EXPECT_EQ(copy.to_json()[k.section][k.key], k.default_value);
  }
}

TEST(ConfigKeys, KnownDefaultsAndSupportedSizes) {
  const Config c;
  EXPECT_EQ(c.get_int("experiment", "repetitions"), 5);
  EXPECT_EQ(c.get_string("experiment", "name"), "");
  EXPECT_FALSE(c.get_bool("experiment", "oversubscribe"));
  EXPECT_TRUE(c.get_bool("experiment", "floor"));
  EXPECT_EQ(c.get_strings("matrix", "variants"), std::vector<std::string>{"all"});
  EXPECT_EQ(c.get_strings("matrix", "workloads"), (std::vector<std::string>{"pingpong", "streaming"}));
  EXPECT_EQ(c.get_ints("matrix", "message_sizes"), std::vector<std::int64_t>{8});
  EXPECT_EQ(c.get_strings("matrix", "placements"), std::vector<std::string>{"different-cores"});
  EXPECT_EQ(c.get_int("streaming", "capacity"), 1024);
  const auto& sizes = supported_message_sizes();
  ASSERT_FALSE(sizes.empty());
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    EXPECT_GE(sizes[i], 8);
    EXPECT_EQ(sizes[i] % 8, 0) << sizes[i];
    if (i > 0) {
      EXPECT_GT(sizes[i], sizes[i - 1]);
    }
  }
}

TEST(ConfigKeys, DescribeListsEveryKeyAndUnknownKeysAreALogicError) {
  const std::string d = describe_config_keys();
  for (const auto& s : sections()) EXPECT_TRUE(contains(d, "[" + s + "]")) << s;
  for (const auto& k : config_keys()) EXPECT_TRUE(contains(d, "  " + k.key + " (")) << k.key;
  EXPECT_TRUE(contains(d, "lcrq"));
  const Config c;
  EXPECT_THROW((void)c.get_int("experiment", "no_such_key"), std::logic_error);
}

// ---- TOML --------------------------------------------------------------------------

TEST(ConfigToml, MergesAValidDocument) {
  Config c;
  c.merge_toml(R"(
[experiment]
name = "probe"
repetitions = 7
oversubscribe = true
timeout_s = 30

[matrix]
workloads = ["streaming", "burst"]
variants = ["lcrq", "scq"]
message_sizes = [8, 64, 1024]
producers = [1, 2]

[streaming]
capacity = 64
)",
               "valid.toml");
  EXPECT_EQ(c.get_string("experiment", "name"), "probe");
  EXPECT_EQ(c.get_int("experiment", "repetitions"), 7);
  EXPECT_TRUE(c.get_bool("experiment", "oversubscribe"));
  EXPECT_EQ(c.get_number("experiment", "timeout_s"), 30.0);  // an integer given for a number
  EXPECT_TRUE(c.to_json()["experiment"]["timeout_s"].is_number_float());
  EXPECT_EQ(c.get_strings("matrix", "workloads"), (std::vector<std::string>{"streaming", "burst"}));
  EXPECT_EQ(c.get_strings("matrix", "variants"), (std::vector<std::string>{"lcrq", "scq"}));
  EXPECT_EQ(c.get_ints("matrix", "message_sizes"), (std::vector<std::int64_t>{8, 64, 1024}));
  EXPECT_EQ(c.get_ints("matrix", "producers"), (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(c.get_int("streaming", "capacity"), 64);
  // Keys the document does not name keep their defaults.
  EXPECT_EQ(c.get_int("experiment", "seed"), 20261123);
  EXPECT_EQ(c.get_ints("matrix", "consumers"), std::vector<std::int64_t>{1});
  // An empty workload list is the floor probes alone.
  c.merge_toml("[matrix]\nworkloads = []\n", "floor.toml");
  EXPECT_TRUE(c.get_strings("matrix", "workloads").empty());
}

TEST(ConfigToml, UnknownSectionListsTheValidSections) {
  const auto e = merge_error("[bogus]\nx = 1\n");
  EXPECT_TRUE(contains(e, "test.toml")) << e;
  EXPECT_TRUE(contains(e, "unknown section [bogus]")) << e;
  EXPECT_TRUE(contains(e, "valid sections")) << e;
  for (const auto& s : sections()) EXPECT_TRUE(contains(e, s)) << s << " in " << e;
}

TEST(ConfigToml, UnknownKeyListsTheSectionsKeys) {
  const auto e = merge_error("[matrix]\nvariant = [\"lcrq\"]\n");
  EXPECT_TRUE(contains(e, "unknown key 'variant' in [matrix]")) << e;
  EXPECT_TRUE(contains(e, "valid keys")) << e;
  for (const auto& k : config_keys()) {
    if (k.section == "matrix") {
      EXPECT_TRUE(contains(e, k.key)) << k.key << " in " << e;
    }
  }
  EXPECT_FALSE(contains(e, "repetitions")) << "keys of other sections are not listed: " << e;
}

TEST(ConfigToml, WrongTypeNamesKeyExpectedTypeAndValue) {
  auto e = merge_error("[experiment]\nrepetitions = \"five\"\n");
  EXPECT_TRUE(contains(e, "experiment.repetitions")) << e;
  EXPECT_TRUE(contains(e, "expected integer")) << e;
  EXPECT_TRUE(contains(e, "five")) << e;

  e = merge_error("[experiment]\nrepetitions = 5.5\n");
  EXPECT_TRUE(contains(e, "expected integer")) << e;
  e = merge_error("[experiment]\noversubscribe = 1\n");
  EXPECT_TRUE(contains(e, "experiment.oversubscribe")) << e;
  EXPECT_TRUE(contains(e, "expected boolean")) << e;
  e = merge_error("[matrix]\nvariants = \"lcrq\"\n");
  EXPECT_TRUE(contains(e, "matrix.variants")) << e;
  EXPECT_TRUE(contains(e, "expected list of strings")) << e;
  e = merge_error("[matrix]\nmessage_sizes = [8, \"64\"]\n");
  EXPECT_TRUE(contains(e, "matrix.message_sizes")) << e;
  EXPECT_TRUE(contains(e, "expected list of integers")) << e;
  e = merge_error("[experiment]\ntimeout_s = \"long\"\n");
  EXPECT_TRUE(contains(e, "expected number")) << e;
  e = merge_error("experiment = 3\n");
  EXPECT_TRUE(contains(e, "'experiment' must be a [section] table")) << e;
}

TEST(ConfigToml, OutOfRangeNamesTheBounds) {
  auto e = merge_error("[experiment]\nrepetitions = 0\n");
  EXPECT_TRUE(contains(e, "experiment.repetitions")) << e;
  EXPECT_TRUE(contains(e, "0 is out of range")) << e;
  EXPECT_TRUE(contains(e, "1 to 1000")) << e;
  e = merge_error("[matrix]\nproducers = [1, 65]\n");
  EXPECT_TRUE(contains(e, "matrix.producers")) << e;
  EXPECT_TRUE(contains(e, "65 is out of range")) << e;
  e = merge_error("[experiment]\ntimeout_s = -1.0\n");
  EXPECT_TRUE(contains(e, "experiment.timeout_s")) << e;
  EXPECT_TRUE(contains(e, "positive")) << e;
  e = merge_error("[matrix]\nvariants = []\n");
  EXPECT_TRUE(contains(e, "at least one value")) << e;
}

// NaN passes a plain `v <= 0` check: numbers must be finite too, or a
// timeout of nan would never fire.
TEST(ConfigToml, NotANumberIsRefusedAsATimeout) {
  auto e = merge_error("[experiment]\ntimeout_s = nan\n");
  EXPECT_TRUE(contains(e, "experiment.timeout_s")) << e;
  e = override_error("timeout_s=nan");
  EXPECT_TRUE(contains(e, "timeout_s")) << e;
}

TEST(ConfigToml, UnknownVariantListsEveryVariant) {
  const auto e = merge_error("[matrix]\nvariants = [\"lcrq\", \"michael_scott\"]\n");
  EXPECT_TRUE(contains(e, "matrix.variants")) << e;
  EXPECT_TRUE(contains(e, "unknown value 'michael_scott'")) << e;
  EXPECT_TRUE(contains(e, "all")) << e;
  EXPECT_TRUE(contains(e, "lcrq")) << e;
  for (const auto& v : zeroipc::kVariants) EXPECT_TRUE(contains(e, std::string(v.name))) << v.name << " in " << e;
}

TEST(ConfigToml, UnknownChoiceOfOtherStringLists) {
  auto e = merge_error("[matrix]\nworkloads = [\"pingpong\", \"stream\"]\n");
  EXPECT_TRUE(contains(e, "matrix.workloads")) << e;
  EXPECT_TRUE(contains(e, "'stream'")) << e;
  EXPECT_TRUE(contains(e, "streaming")) << e;
  e = merge_error("[matrix]\nplacements = [\"same-socket\"]\n");
  EXPECT_TRUE(contains(e, "matrix.placements")) << e;
  EXPECT_TRUE(contains(e, "different-cores")) << e;
  EXPECT_TRUE(contains(e, "same-numa")) << e;
}

TEST(ConfigToml, UnsupportedMessageSizeListsTheSupportedOnes) {
  const auto e = merge_error("[matrix]\nmessage_sizes = [8, 24]\n");
  EXPECT_TRUE(contains(e, "matrix.message_sizes")) << e;
  EXPECT_TRUE(contains(e, "24 is not supported")) << e;
  EXPECT_TRUE(contains(e, joined_sizes())) << e;
}

TEST(ConfigToml, DuplicateListValueIsRefused) {
  auto e = merge_error("[matrix]\nvariants = [\"lcrq\", \"scq\", \"lcrq\"]\n");
  EXPECT_TRUE(contains(e, "matrix.variants")) << e;
  EXPECT_TRUE(contains(e, "\"lcrq\" is listed twice")) << e;
  e = merge_error("[matrix]\nmessage_sizes = [64, 64]\n");
  EXPECT_TRUE(contains(e, "64 is listed twice")) << e;
}

TEST(ConfigToml, SyntaxErrorHasLineAndColumn) {
  const auto e = merge_error("[experiment]\nrepetitions = 5\nseed = = 3\n");
  EXPECT_TRUE(std::regex_search(e, std::regex(R"(^test\.toml:3:[0-9]+: )"))) << e;
  const auto e2 = merge_error("[matrix\n");
  EXPECT_TRUE(std::regex_search(e2, std::regex(R"(^test\.toml:1:[0-9]+: )"))) << e2;
}

// ---- overrides ------------------------------------------------------------------

TEST(ConfigOverride, BareNamesDottedNamesAndLists) {
  Config c;
  c.apply_override("repetitions=9");
  EXPECT_EQ(c.get_int("experiment", "repetitions"), 9);
  c.apply_override("variants=lcrq,scq");
  EXPECT_EQ(c.get_strings("matrix", "variants"), (std::vector<std::string>{"lcrq", "scq"}));
  c.apply_override("streaming.capacity=64");
  EXPECT_EQ(c.get_int("streaming", "capacity"), 64);
  c.apply_override("message_sizes=8,64,1024");
  EXPECT_EQ(c.get_ints("matrix", "message_sizes"), (std::vector<std::int64_t>{8, 64, 1024}));
  c.apply_override("oversubscribe=true");
  EXPECT_TRUE(c.get_bool("experiment", "oversubscribe"));
  c.apply_override("experiment.floor=false");
  EXPECT_FALSE(c.get_bool("experiment", "floor"));
  c.apply_override("timeout_s=2.5");
  EXPECT_EQ(c.get_number("experiment", "timeout_s"), 2.5);
  c.apply_override("name=my-run");
  EXPECT_EQ(c.get_string("experiment", "name"), "my-run");
  c.apply_override("workloads=");
  EXPECT_TRUE(c.get_strings("matrix", "workloads").empty());
  // The later override wins.
  c.apply_override("experiment.repetitions=3");
  EXPECT_EQ(c.get_int("experiment", "repetitions"), 3);
}

// The key table keeps every bare name in one section, so `capacity=64` style
// overrides always resolve; apply_override still refuses an ambiguous bare
// name (listing section.key choices) should a later key break this.
TEST(ConfigOverride, EveryBareNameResolvesToOneKey) {
  std::map<std::string, std::vector<std::string>> sections_of;
  for (const auto& k : config_keys()) sections_of[k.key].push_back(k.section);
  for (const auto& [name, secs] : sections_of) {
    EXPECT_EQ(secs.size(), 1u) << name << " is in " << ::testing::PrintToString(secs);
    Config c;
    EXPECT_NO_THROW(c.apply_override(name + "=" + override_text(c.to_json()[secs.front()][name]))) << name;
  }
}

TEST(ConfigOverride, UnknownKeys) {
  auto e = override_error("repetitons=9");
  EXPECT_TRUE(contains(e, "override 'repetitons=9'")) << e;
  EXPECT_TRUE(contains(e, "unknown key 'repetitons'")) << e;
  EXPECT_TRUE(contains(e, "repetitions")) << e;
  EXPECT_TRUE(contains(e, "section.key")) << e;
  e = override_error("streaming.bogus=1");
  EXPECT_TRUE(contains(e, "unknown key 'bogus' in [streaming]")) << e;
  EXPECT_TRUE(contains(e, "capacity")) << e;
  e = override_error("bogus.capacity=1");
  EXPECT_TRUE(contains(e, "unknown section [bogus]")) << e;
  EXPECT_TRUE(contains(e, "streaming")) << e;
}

TEST(ConfigOverride, MissingEqualsSign) {
  auto e = override_error("repetitions");
  EXPECT_TRUE(contains(e, "expected key=value")) << e;
  e = override_error("=5");
  EXPECT_TRUE(contains(e, "expected key=value")) << e;
}

TEST(ConfigOverride, ValueParseErrors) {
  auto e = override_error("oversubscribe=yes");
  EXPECT_TRUE(contains(e, "expected true or false")) << e;
  EXPECT_TRUE(contains(e, "'yes'")) << e;
  e = override_error("skip_impossible=1");
  EXPECT_TRUE(contains(e, "expected true or false")) << e;
  e = override_error("floor=TRUE");
  EXPECT_TRUE(contains(e, "expected true or false")) << e;
  e = override_error("repetitions=9x");
  EXPECT_TRUE(contains(e, "expected integer")) << e;
  e = override_error("repetitions=");
  EXPECT_TRUE(contains(e, "expected integer")) << e;
  e = override_error("producers=1,x");
  EXPECT_TRUE(contains(e, "expected list of integers")) << e;
  EXPECT_TRUE(contains(e, "'x'")) << e;
  e = override_error("timeout_s=soon");
  EXPECT_TRUE(contains(e, "expected a number")) << e;
  // Parsed values go through the same checks as TOML ones.
  e = override_error("repetitions=0");
  EXPECT_TRUE(contains(e, "out of range")) << e;
  e = override_error("variants=lcrq,bogus");
  EXPECT_TRUE(contains(e, "unknown value 'bogus'")) << e;
  e = override_error("variants=lcrq,lcrq");
  EXPECT_TRUE(contains(e, "listed twice")) << e;
  e = override_error("message_sizes=24");
  EXPECT_TRUE(contains(e, joined_sizes())) << e;
}

// ---- load_config ------------------------------------------------------------------

TEST(ConfigLoad, MissingFileNamesThePath) {
  const std::string path = (std::filesystem::path(::testing::TempDir()) / "zeroipc-no-such-experiment.toml").string();
  const auto e = config_error([&] { (void)load_config(path, {}); });
  EXPECT_TRUE(contains(e, path)) << e;
}

TEST(ConfigLoad, NameDefaultsToTheFileStemAndOverridesApplyAfterTheFile) {
  const TempFile f("zeroipc-stem-test.toml", "[experiment]\nrepetitions = 3\n[matrix]\nvariants = [\"lcrq\"]\n");
  const Config c = load_config(f.path(), {"variants=scq", "streaming.capacity=64"});
  EXPECT_EQ(c.get_string("experiment", "name"), "zeroipc-stem-test");
  EXPECT_EQ(c.get_int("experiment", "repetitions"), 3);
  EXPECT_EQ(c.get_strings("matrix", "variants"), std::vector<std::string>{"scq"});
  EXPECT_EQ(c.get_int("streaming", "capacity"), 64);

  const TempFile named("zeroipc-named-test.toml", "[experiment]\nname = \"given\"\n");
  EXPECT_EQ(load_config(named.path(), {}).get_string("experiment", "name"), "given");
  EXPECT_EQ(load_config(named.path(), {"name=overridden"}).get_string("experiment", "name"), "overridden");
}

TEST(ConfigLoad, ErrorsInTheFileNameThePath) {
  const TempFile f("zeroipc-bad-test.toml", "[experiment]\nrepetitions = 1\nrepetitions = 2\n");
  const auto e = config_error([&] { (void)load_config(f.path(), {}); });
  EXPECT_TRUE(contains(e, f.path() + ":3:")) << e;
  const TempFile g("zeroipc-bad-value-test.toml", "[experiment]\nrepetitions = 0\n");
  const auto e2 = config_error([&] { (void)load_config(g.path(), {}); });
  EXPECT_TRUE(contains(e2, g.path())) << e2;
  EXPECT_TRUE(contains(e2, "experiment.repetitions")) << e2;
  const TempFile h("zeroipc-good-test.toml", "[experiment]\nrepetitions = 2\n");
  const auto e3 = config_error([&] { (void)load_config(h.path(), {"repetitions=4", "bogus=1"}); });
  EXPECT_TRUE(contains(e3, "override 'bogus=1'")) << e3;
}

}  // namespace
