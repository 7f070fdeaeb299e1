// commands.h — the subcommands of zeroipc-inspect, one file each.
//
// Exit status (a contract, README and --help): 0 ok; 1 something was
// reported as corrupt or missing; 2 bad usage (CLI11 reports it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace zeroipc::inspect {

inline constexpr int kExitOk = 0;
inline constexpr int kExitProblem = 1;
inline constexpr int kExitUsage = 2;

struct ListArgs {
  bool json = false;
};
struct ShowArgs {
  std::string segment;
  std::optional<std::string> structure;
  std::uint64_t elements = 16;
  bool json = false;
};
struct MonitorArgs {
  std::string segment;
  std::vector<std::string> structures;
  double interval = 0.5;
  std::uint64_t count = 0;  // 0: until interrupted
  bool json = false;
};
struct DumpArgs {
  std::string segment;
  std::optional<std::string> structure;
  std::uint64_t offset = 0;
  std::optional<std::uint64_t> size;
  bool json = false;
};
struct CleanArgs {
  /// Only names matching one of these shell patterns ("/sim_*"); empty: every name.
  std::vector<std::string> patterns;
  bool dry_run = false;
  bool json = false;
};

int run_list(const ListArgs& args);
int run_show(const ShowArgs& args);
int run_monitor(const MonitorArgs& args);
int run_dump(const DumpArgs& args);
int run_clean(const CleanArgs& args);

}  // namespace zeroipc::inspect
