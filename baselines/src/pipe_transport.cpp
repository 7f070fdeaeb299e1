// zeroipc/baselines/pipe_transport.cpp — the kernel's pipe between two
// unrelated processes: two FIFOs (named pipes, mkfifo) in spec.dir,
// "<dir>/<name>.c2s" (client to server) and, for request_reply only,
// "<dir>/<name>.s2c". Every message is exactly spec.message_size bytes, so no
// framing is needed: a message is one write() of that many bytes and a
// read() loop until they are all in.
//
// Set up: the server's listen() makes the FIFOs and returns their base path
// "<dir>/<name>"; connect() opens them, on both sides in the same order so
// that neither can wait for an open the other will never make:
//     server: c2s O_RDONLY, then s2c O_WRONLY
//     client: c2s O_WRONLY, then s2c O_RDONLY
// (an open of a FIFO blocks until the other end is opened too). Once both
// ends are open the names are no longer needed and the server unlinks them;
// its destructor unlinks them again in case connect() never ran.
//
// Pipe size: for one_way (throughput) both sides raise it with F_SETPIPE_SZ to
// /proc/sys/fs/pipe-max-size, the most an unprivileged process may ask for,
// so the writer blocks as rarely as possible; when that is refused (the
// user's pipe-user-pages-soft is spent) it halves the request until one is
// granted or the default is all that is left. request_reply keeps the
// default: one message at a time is in flight, a bigger buffer buys nothing.
// settings() reports what was wanted and what is in force.
//
// SIGPIPE: a write to a pipe whose reader has gone raises SIGPIPE, which
// kills the process by default. Pipes have no MSG_NOSIGNAL, so the adapter
// sets SIGPIPE to ignored when it is still at its default (a handler the
// program installed is left alone): the write then fails with EPIPE, which is
// reported as "peer closed".
#include <fcntl.h>
#include <sys/stat.h>

#include <csignal>

#include "adapters.h"
#include "posix_io.h"

namespace zeroipc::baselines::adapters {

namespace {

using posix_io::Fd;

std::string base_of(const LinkSpec& spec) { return spec.dir + "/" + spec.name; }

// open() that goes on after a signal; a FIFO's open blocks until its other end is opened.
int open_fifo(const LinkSpec& spec, const std::string& path, int flags, const char* how) {
  for (;;) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd >= 0) return fd;
    if (errno != EINTR) throw_errno(spec, "open FIFO " + path + " " + how);
  }
}

// SIGPIPE ignored unless the program chose a handler of its own (see the top).
std::string ignore_sigpipe() {
  struct sigaction old {};
  if (::sigaction(SIGPIPE, nullptr, &old) != 0) return "unknown (sigaction failed)";
  if (old.sa_handler == SIG_IGN) return "ignored (already)";
  if (old.sa_handler != SIG_DFL) return "the program's own handler (left alone)";
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  if (::sigaction(SIGPIPE, &ign, nullptr) != 0) return "default (setting SIG_IGN failed)";
  return "ignored (set by this adapter: a closed reader is EPIPE, 'peer closed')";
}

class PipeLink final : public Transport {
 public:
  PipeLink(const LinkSpec& spec, Side side) : spec_(spec), side_(side) {}

  ~PipeLink() override {
    in_.reset();
    out_.reset();
    if (side_ == Side::server && made_) unlink_fifos();
  }

  std::string listen() override {
    if (side_ == Side::client) return "";
    const std::string base = base_of(spec_);
    for (const std::string& path : fifo_paths(base)) {
      ::unlink(path.c_str());  // a stale FIFO of a run that died
      if (::mkfifo(path.c_str(), 0600) != 0) throw_errno(spec_, "mkfifo " + path);
      made_ = true;
    }
    return base;
  }

  void connect(const std::string& address) override {
    sigpipe_ = ignore_sigpipe();
    if (side_ == Side::server) {
      const std::string base = base_of(spec_);
      in_.reset(open_fifo(spec_, base + ".c2s", O_RDONLY, "for reading"));
      if (duplex()) out_.reset(open_fifo(spec_, base + ".s2c", O_WRONLY, "for writing"));
      size_pipe(in_.get());
      unlink_fifos();  // both ends are open: the names have done their job
    } else {
      if (address.empty()) throw TransportError(spec_.transport + ": connect: no address (expected the FIFOs' base path)");
      out_.reset(open_fifo(spec_, address + ".c2s", O_WRONLY, "for writing"));
      if (duplex()) in_.reset(open_fifo(spec_, address + ".s2c", O_RDONLY, "for reading"));
      size_pipe(out_.get());
    }
  }

  void send(const std::byte* message) override {
    if (!out_) throw TransportError(spec_.transport + ": send: not connected (or the one_way server, which only receives)");
    posix_io::write_all(spec_, out_.get(), message, spec_.message_size, "write");
  }

  void receive(std::byte* message) override {
    if (!in_) throw TransportError(spec_.transport + ": receive: not connected (or the one_way client, which only sends)");
    posix_io::read_all(spec_, in_.get(), message, spec_.message_size, "read");
  }

  nlohmann::json settings() const override {
    nlohmann::json s = {{"fifos", duplex() ? "c2s and s2c" : "c2s only"}, {"sigpipe", sigpipe_}};
    const int c2s = side_ == Side::server ? in_.get() : out_.get();
    const int s2c = side_ == Side::server ? out_.get() : in_.get();
    if (c2s >= 0) s["pipe_size_c2s"] = ::fcntl(c2s, F_GETPIPE_SZ);
    if (s2c >= 0) s["pipe_size_s2c"] = ::fcntl(s2c, F_GETPIPE_SZ);
    if (duplex()) {
      s["pipe_size_wanted"] = "default (request_reply: one message in flight)";
    } else {
      s["pipe_size_wanted"] = wanted_;
      s["pipe_size_source"] = "/proc/sys/fs/pipe-max-size";
      if (!refused_.empty()) s["pipe_size_refused"] = refused_;
    }
    return s;
  }

 private:
  bool duplex() const { return spec_.pattern == Pattern::request_reply; }

  std::vector<std::string> fifo_paths(const std::string& base) const {
    if (duplex()) return {base + ".c2s", base + ".s2c"};
    return {base + ".c2s"};
  }

  void unlink_fifos() noexcept {
    ::unlink((base_of(spec_) + ".c2s").c_str());
    ::unlink((base_of(spec_) + ".s2c").c_str());
  }

  // one_way: the c2s pipe as large as allowed (see the top). Both sides try,
  // so either's settings() shows the size in force; a size is only asked for
  // when it is larger than the current one, so a pipe never shrinks (which
  // could fail with EBUSY once data is in it).
  void size_pipe(int fd) {
    if (duplex()) return;
    const auto max = posix_io::read_proc_number("/proc/sys/fs/pipe-max-size");
    wanted_ = max.value_or(1 << 20);
    long long want = wanted_;
    for (;;) {
      const int current = ::fcntl(fd, F_GETPIPE_SZ);
      if (current < 0 || want <= current) return;
      if (::fcntl(fd, F_SETPIPE_SZ, static_cast<int>(want)) >= 0) return;
      refused_.push_back(std::to_string(want) + " (" + std::strerror(errno) + ")");
      want /= 2;
    }
  }

  LinkSpec spec_;
  Side side_;
  bool made_ = false;  // the server made the FIFOs
  Fd in_, out_;
  long long wanted_ = 0;
  std::vector<std::string> refused_;
  std::string sigpipe_ = "not connected";
};

}  // namespace

std::unique_ptr<Transport> make_pipe(const LinkSpec& spec, Side side) { return std::make_unique<PipeLink>(spec, side); }

void remove_pipe_leftovers(const LinkSpec& spec) noexcept {
  try {
    ::unlink((base_of(spec) + ".c2s").c_str());
    ::unlink((base_of(spec) + ".s2c").c_str());
  } catch (...) {  // std::string's allocation
  }
}

}  // namespace zeroipc::baselines::adapters
