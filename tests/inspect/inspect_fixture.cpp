// inspect_fixture — the processes the zeroipc-inspect tests need, written as
// a user would write them (tests/python/test_inspect_e2e.py drives it):
//
//   inspect_fixture build NAME         a segment with one structure of every kind and
//                                      queue variant, some traffic in each, built by
//                                      processes that then died (a dead attached
//                                      process, dead subscriber, dead reader, dead
//                                      Future producer), plus a float Array and a
//                                      Future holding an error
//   inspect_fixture hold NAME          attach, subscribe to "stream", print "ready",
//                                      stay until killed
//   inspect_fixture traffic NAME QUEUE RATE SECONDS
//                                      push and pop RATE items per second on the
//                                      vyukov_bounded queue QUEUE, paced
//   inspect_fixture corpus NAME DIR INSPECT
//                                      every input of the fuzz corpus DIR patched into
//                                      the fuzzer's image (and some truncated), each run
//                                      through `INSPECT show/dump/list/monitor`: no
//                                      crash, no hang, exit 0 or 1, valid JSON
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_image.h"

extern char** environ;

namespace {

using namespace std::chrono_literals;

int usage() {
  std::fprintf(stderr, "usage: inspect_fixture build NAME | hold NAME | traffic NAME QUEUE RATE SECONDS | "
                       "corpus NAME DIR INSPECT\n");
  return 2;
}

// In a child that then dies: every owner it records is a dead process's.
template <class F>
void in_dying_child(F&& f) {
  const pid_t child = ::fork();
  if (child == 0) {
    f();
    std::fflush(nullptr);
    ::_exit(0);  // no destructors: attach slot, subscriber, producer claims stay behind
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) std::exit(1);
}

int build(const std::string& name) {
  fuzz_image::build_image(name);
  in_dying_child([&] {
    zeroipc::Memory mem(name);
    zeroipc::Array<float> temps(mem, "temperature", 64);
    for (std::size_t i = 0; i < temps.size(); ++i) temps[i] = 20.0f + 0.5f * static_cast<float>(i);
    zeroipc::Future<double> failed(mem, "failed_calc");
    failed.set_error("sensor offline");
  });
  return 0;
}

volatile sig_atomic_t g_stop = 0;

int hold(const std::string& name) {
  ::signal(SIGTERM, [](int) { g_stop = 1; });
  zeroipc::Memory mem(name);
  zeroipc::Stream<std::uint64_t> stream(mem, "stream");
  auto cursor = stream.cursor();  // a live subscriber
  std::printf("ready %d\n", static_cast<int>(::getpid()));
  std::fflush(stdout);
  while (g_stop == 0) std::this_thread::sleep_for(20ms);
  return 0;
}

int traffic(const std::string& name, const std::string& queue, double rate, double seconds) {
  zeroipc::Memory mem(name);
  zeroipc::Queue<std::uint64_t, zeroipc::variants::vyukov_bounded> q(mem, queue);
  std::printf("ready %d\n", static_cast<int>(::getpid()));
  std::fflush(stdout);
  const auto start = std::chrono::steady_clock::now();
  const auto period = std::chrono::duration<double>(1.0 / rate);
  std::uint64_t done = 0;
  for (; std::chrono::steady_clock::now() - start < std::chrono::duration<double>(seconds); ++done) {
    if (!q.push(done)) std::exit(3);
    if (!q.pop()) std::exit(4);
    std::this_thread::sleep_until(start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(period * double(done + 1)));
  }
  std::printf("done %llu\n", static_cast<unsigned long long>(done));
  return 0;
}

struct Outcome {
  int status = -1;  // exit status, or -signal, or -1000 for a hang
  std::string out;
};

// Runs argv with stdout captured, at most `limit`.
Outcome run(const std::vector<std::string>& argv, std::chrono::milliseconds limit) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) std::exit(1);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ) != 0) std::exit(1);
  posix_spawn_file_actions_destroy(&fa);
  ::close(pipefd[1]);
  ::fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
  Outcome o;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  for (;;) {
    char buf[65536];
    ssize_t n;
    while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) o.out.append(buf, static_cast<std::size_t>(n));
    const pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ::close(pipefd[0]);
      o.status = -1000;
      return o;
    }
    std::this_thread::sleep_for(1ms);
  }
  char buf[65536];
  for (ssize_t n; (n = ::read(pipefd[0], buf, sizeof buf)) > 0;) o.out.append(buf, static_cast<std::size_t>(n));
  ::close(pipefd[0]);
  o.status = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  return o;
}

int corpus(const std::string& prefix, const std::string& dir, const std::string& inspect) {
  // In a sanitizer build a finding must not pass for "exit 1: corrupt": give it its own status.
  for (const char* var : {"ASAN_OPTIONS", "UBSAN_OPTIONS"}) {
    const char* old = std::getenv(var);
    const std::string v = (old != nullptr && *old != '\0' ? std::string(old) + ":" : std::string()) + "exitcode=99";
    ::setenv(var, v.c_str(), 1);
  }
  const std::string name = prefix + "_" + std::to_string(::getpid());  // two builds' suites may run at once
  fuzz_image::build_image(name);
  const std::string path = "/dev/shm" + name;
  const std::vector<unsigned char> image = fuzz_image::read_file(path);
  const std::vector<fuzz_image::Region> regions = fuzz_image::image_regions(name, image.size());
  std::vector<std::string> inputs;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') inputs.push_back(dir + "/" + e->d_name);
    }
    ::closedir(d);
  }
  std::sort(inputs.begin(), inputs.end());
  if (inputs.empty()) {
    std::fprintf(stderr, "corpus: no inputs in %s\n", dir.c_str());
    return 1;
  }
  std::map<int, int> statuses;
  int failures = 0, runs = 0;
  auto check = [&](const std::string& input, const std::vector<std::string>& argv, bool json_out) {
    const Outcome o = run(argv, 20s);
    ++runs;
    ++statuses[o.status];
    std::string why;
    if (o.status == -1000) why = "hung (killed after 20 s)";
    else if (o.status < 0) why = "killed by signal " + std::to_string(-o.status);
    else if (o.status != 0 && o.status != 1) why = "exit status " + std::to_string(o.status);
    else if (json_out) {
      // monitor prints JSON lines; the others one document
      std::size_t from = 0;
      while (from < o.out.size()) {
        const std::size_t nl = argv[1] == "monitor" ? o.out.find('\n', from) : std::string::npos;
        const std::string doc = o.out.substr(from, nl == std::string::npos ? std::string::npos : nl - from);
        if (!nlohmann::json::accept(doc)) {
          why = "printed output that is not JSON";
          break;
        }
        if (nl == std::string::npos) break;
        from = nl + 1;
      }
    }
    if (!why.empty()) {
      ++failures;
      std::string cmd;
      for (const auto& a : argv) cmd += a + " ";
      std::fprintf(stderr, "FAIL %s: %s%s\n", input.c_str(), cmd.c_str(), why.c_str());
    }
  };
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const std::vector<unsigned char> bytes = fuzz_image::read_file(inputs[i]);
    std::vector<unsigned char> img = fuzz_image::patched(image, regions, bytes.data(), bytes.size());
    if (i % 8 == 7) img.resize((i * 7919) % img.size());  // truncated, at an arbitrary byte
    fuzz_image::write_file(path, img);
    check(inputs[i], {inspect, "show", name, "--json"}, true);
    check(inputs[i], {inspect, "show", name}, false);
    check(inputs[i], {inspect, "dump", name, "--size", "100000", "--json"}, true);
    if (i % 16 == 0) {
      check(inputs[i], {inspect, "show", name, "arr", "--json"}, true);
      check(inputs[i], {inspect, "monitor", name, "--count", "2", "--interval", "0.01", "--json"}, true);
      check(inputs[i], {inspect, "list", "--json"}, true);
      check(inputs[i], {inspect, "list"}, false);
      check(inputs[i], {inspect, "monitor", name, "--count", "2", "--interval", "0.01"}, false);
    }
  }
  ::unlink(path.c_str());
  std::string summary;
  for (const auto& [s, n] : statuses) summary += " " + std::to_string(s) + ":" + std::to_string(n);
  std::printf("corpus: %zu inputs, %d runs of zeroipc-inspect, exit statuses%s, %d failure(s)\n", inputs.size(), runs,
              summary.c_str(), failures);
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> a(argv + 1, argv + argc);
  try {
    if (a.size() == 2 && a[0] == "build") return build(a[1]);
    if (a.size() == 2 && a[0] == "hold") return hold(a[1]);
    if (a.size() == 5 && a[0] == "traffic") return traffic(a[1], a[2], std::stod(a[3]), std::stod(a[4]));
    if (a.size() == 4 && a[0] == "corpus") return corpus(a[1], a[2], a[3]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "inspect_fixture: %s\n", e.what());
    return 1;
  }
  return usage();
}
