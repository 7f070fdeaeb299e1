// zeroipc-inspect — see, watch and clean zeroipc segments from the shell.
// Command-line parsing is CLI11's; each subcommand lives in cmd_<name>.cpp.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "commands.h"

namespace {

constexpr const char* kDescription = R"(NAME
  zeroipc-inspect - see, watch and clean zeroipc shared-memory segments

SYNOPSIS
  zeroipc-inspect list [--json]
  zeroipc-inspect show SEGMENT [STRUCTURE] [--elements N] [--json]
  zeroipc-inspect monitor SEGMENT [STRUCTURE...] [--interval S] [--count N] [--json]
  zeroipc-inspect dump SEGMENT [--structure NAME] [--offset N] [--size N] [--json]
  zeroipc-inspect clean [PATTERN...] [--dry-run] [--json]

DESCRIPTION
  Reads the segments in /dev/shm exactly as SPECIFICATION.md lays them out: kinds and
  variants come from the structure headers, never from guesses. Segments are mapped
  read-only (PROT_READ); the tool takes no lock, never attaches and never writes (clean
  only unlinks). A hostile, corrupt or truncated segment is described as far as it can
  be trusted, each bad field reported as a problem. SEGMENT is "/name" or "name".)";

constexpr const char* kFooter = R"(
EXIT STATUS
  0  ok
  1  something was reported as corrupt or missing (a segment, a structure, a file)
  2  bad usage (an unknown command or option, an invalid name or offset)

OUTPUT
  --json prints one document (monitor: one per line) in the stable schema
  "zeroipc-inspect/1", documented in lib/tools/inspect/SCHEMA.md. Human output uses
  colour only on a terminal, and never when NO_COLOR is set.

LIVENESS
  A process is alive while it holds its liveness lock on the segment's file
  (an OFD lock, SPECIFICATION.md 4.1), asked of the kernel: this works across pid
  namespaces and whatever pid reuse happened.

EXAMPLES
  zeroipc-inspect list
  zeroipc-inspect show /sensor_data
  zeroipc-inspect show /sensor_data temperature --elements 8
  zeroipc-inspect monitor /sensor_data --interval 1 --count 5
  zeroipc-inspect dump /sensor_data --structure temperature --size 128
  zeroipc-inspect clean --dry-run
  zeroipc-inspect clean '/sim_*')";

}  // namespace

int main(int argc, char** argv) {
  using namespace zeroipc::inspect;
  CLI::App app{kDescription, "zeroipc-inspect"};
  app.footer(kFooter);
  app.require_subcommand(1);
  app.get_formatter()->column_width(36);

  ListArgs list;
  auto* c_list = app.add_subcommand("list", "Every zeroipc segment in /dev/shm: size, use, structures, processes");
  c_list->add_flag("--json", list.json, "Print the zeroipc-inspect/1 JSON document");

  ShowArgs show;
  std::string show_structure;
  auto* c_show = app.add_subcommand("show", "One segment: header, processes, table and every structure; or one structure");
  c_show->add_option("segment", show.segment, "The segment, /name or name")->required();
  c_show->add_option("structure", show_structure, "Only this structure, in detail (an Array's first elements decoded)");
  c_show->add_option("--elements", show.elements, "Array elements shown with a STRUCTURE")->capture_default_str();
  c_show->add_flag("--json", show.json, "Print the zeroipc-inspect/1 JSON document");

  MonitorArgs monitor;
  auto* c_mon = app.add_subcommand("monitor", "Live view: rates from the structures' counters, fill, lag, processes");
  c_mon->add_option("segment", monitor.segment, "The segment, /name or name")->required();
  c_mon->add_option("structures", monitor.structures, "Only these structures");
  c_mon->add_option("--interval", monitor.interval, "Seconds between samples")
      ->check(CLI::Range(0.01, 3600.0))
      ->capture_default_str();
  c_mon->add_option("--count", monitor.count, "Stop after N samples (0: until interrupted)")->capture_default_str();
  c_mon->add_flag("--json", monitor.json, "Print one JSON document per sample (JSON lines)");

  DumpArgs dump;
  std::string dump_structure;
  std::uint64_t dump_size = 1024;
  auto* c_dump = app.add_subcommand("dump", "Hex and ASCII, each line annotated with the fields that start in it");
  c_dump->add_option("segment", dump.segment, "The segment, /name or name")->required();
  c_dump->add_option("--structure", dump_structure, "Dump this structure (offsets relative to its start)");
  c_dump->add_option("--offset", dump.offset, "First byte (in the segment, or in the structure)")->capture_default_str();
  auto* size_opt = c_dump->add_option("--size", dump_size, "Bytes to dump (cut at the end)")->capture_default_str();
  c_dump->add_flag("--json", dump.json, "Print the zeroipc-inspect/1 JSON document");

  CleanArgs clean;
  auto* c_clean = app.add_subcommand("clean", "Remove segments no live process has mapped, and dead creators' temporaries");
  c_clean->add_option("patterns", clean.patterns, "Only names matching these shell patterns, e.g. '/sim_*'");
  c_clean->add_flag("--dry-run", clean.dry_run, "Say what would be removed; remove nothing");
  c_clean->add_flag("--json", clean.json, "Print the zeroipc-inspect/1 JSON document");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  try {
    if (*c_list) return run_list(list);
    if (*c_show) {
      if (!show_structure.empty()) show.structure = show_structure;
      return run_show(show);
    }
    if (*c_mon) return run_monitor(monitor);
    if (*c_dump) {
      if (!dump_structure.empty()) dump.structure = dump_structure;
      if (*size_opt) dump.size = dump_size;
      return run_dump(dump);
    }
    if (*c_clean) return run_clean(clean);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "zeroipc-inspect: %s\n", e.what());
    return kExitProblem;
  }
  return kExitUsage;
}
