// The results' context block; see context.h.
#include "zeroipc/harness/context.h"

#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>

#include "zeroipc/harness/counters.h"
#include "zeroipc/harness/topology.h"

#ifndef ZEROIPC_BUILD_TYPE
#define ZEROIPC_BUILD_TYPE "unknown"
#endif
#ifndef ZEROIPC_CXX_COMPILER
#define ZEROIPC_CXX_COMPILER "unknown"
#endif
#ifndef ZEROIPC_SANITIZE_NAME
#define ZEROIPC_SANITIZE_NAME ""
#endif

namespace zeroipc::harness {
namespace {

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// stdout of a shell command, or nullopt if it could not run or exited non-zero
// (git missing, not a repository, "dubious ownership", ...).
std::optional<std::string> command_output(const std::string& command) {
  FILE* pipe = popen((command + " 2>/dev/null").c_str(), "r");
  if (!pipe) return std::nullopt;
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  const int status = pclose(pipe);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  return out;
}

std::string utc_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

std::string kernel() {
  utsname u{};
  if (uname(&u) != 0) return "unknown";
  return std::string(u.sysname) + " " + u.release + " " + u.version + " " + u.machine;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return trim(line.substr(colon + 1));
    }
  return "unknown";
}

// A governor other than "performance" lets the clock speed wander during the
// run; that is worth seeing next to any latency number.
nlohmann::json governors() {
  namespace fs = std::filesystem;
  nlohmann::json out = nlohmann::json::object();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/sys/devices/system/cpu", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() < 4 || name.rfind("cpu", 0) != 0 || !std::isdigit(static_cast<unsigned char>(name[3])))
      continue;
    std::ifstream in(entry.path() / "cpufreq" / "scaling_governor");
    std::string governor;
    if (in >> governor) out[name] = governor;
  }
  if (out.empty()) return "unknown (no cpufreq)";
  return out;
}

nlohmann::json load_average() {
  double load[3] = {};
  if (getloadavg(load, 3) != 3) return nullptr;
  return {load[0], load[1], load[2]};
}

bool is_short_hash(const std::string& s) {
  if (s.size() < 7) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

nlohmann::json base_context(const std::string& source_dir) {
  const std::string sanitizer = ZEROIPC_SANITIZE_NAME;
  nlohmann::json ctx = {
      {"timestamp", utc_timestamp()},
      {"hostname", hostname()},
      {"kernel", kernel()},
      {"cpu_model", cpu_model()},
      {"online_cpus", sysconf(_SC_NPROCESSORS_ONLN)},
      {"cpufreq_governor", governors()},
      {"load_average", load_average()},
      {"build_type", ZEROIPC_BUILD_TYPE},
      {"compiler", ZEROIPC_CXX_COMPILER},
      {"sanitizer", sanitizer.empty() ? "none" : sanitizer},
  };
  const std::string git = "git -C " + shell_quote(source_dir);
  const auto commit = command_output(git + " rev-parse --short HEAD");
  const std::string hash = commit ? trim(*commit) : "";
  ctx["git_commit"] = is_short_hash(hash) ? hash : "unknown";
  // Untracked files count too: the build globs source folders, so a new file changes the binary.
  // Except under results/: earlier runs' folders, waiting to be committed, change nothing built.
  const auto status =
      is_short_hash(hash) ? command_output(git + " status --porcelain -- . " + shell_quote(":(exclude)results"))
                          : std::nullopt;
  ctx["git_dirty"] = status ? nlohmann::json(!trim(*status).empty()) : nlohmann::json(nullptr);
  ctx["counters"] = counters_status();
  return ctx;
}

} // namespace

nlohmann::json collect_context(const std::string& source_dir, const Topology& topology) {
  nlohmann::json ctx = base_context(source_dir);
  ctx["topology"] = topology.summary();
  return ctx;
}

nlohmann::json collect_context(const std::string& source_dir) {
  nlohmann::json ctx = base_context(source_dir);
  try {
    ctx["topology"] = Topology().summary();
  } catch (const std::exception& e) {
    ctx["topology"] = std::string("unknown (") + e.what() + ")";
  }
  return ctx;
}

} // namespace zeroipc::harness
