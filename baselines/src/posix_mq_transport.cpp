// zeroipc/baselines/posix_mq_transport.cpp — POSIX message queues (mq_open,
// mq_send, mq_receive): "/<name>.c2s" (client to server) and, for
// request_reply only, "/<name>.s2c". The kernel keeps message boundaries; one
// message is one mq_send() and one mq_receive(), all at priority 0.
//
// Set up: the server's listen() creates the queues (after unlinking a stale
// one of a run that died: O_CREAT | O_EXCL, so it never opens someone else's);
// the client opens them in connect() and checks their message size. The
// server's destructor unlinks them; an open queue lives on until its last
// descriptor closes, so the client finishes undisturbed.
//
// Attributes: mq_msgsize = spec.message_size. mq_maxmsg, the messages a queue
// holds: spec.capacity for one_way (throughput: as many in flight as the
// other transports get), 2 for request_reply (one message in flight each
// way; one spare). The kernel may refuse them:
//   - mq_maxmsg above /proc/sys/fs/mqueue/msg_max (10 by default) and
//     mq_msgsize above /proc/sys/fs/mqueue/msgsize_max (8192) are EINVAL for a
//     process without CAP_SYS_RESOURCE;
//   - the bytes of all of a user's queues (messages and their bookkeeping)
//     count against RLIMIT_MSGQUEUE (819200 by default), for every user, root
//     included: EMFILE.
// The adapter asks for what it wants; on EINVAL it falls back to msg_max; on
// EMFILE (or ENOMEM) it first raises the soft RLIMIT_MSGQUEUE to the hard
// limit, then asks for fewer messages, down to one. A message size the system
// refuses is an error naming msgsize_max and its value (a smaller queue
// would not help). settings() records, per queue, what was wanted, what
// mq_getattr says was granted, and why they differ, with the limits read.
//
// A peer that died is not noticed: a queue has no notion of its other end,
// and a receive blocks until a message comes (the harness's timeout ends such
// a run).
#include <fcntl.h>
#include <mqueue.h>
#include <sys/resource.h>

#include <algorithm>
#include <limits>

#include "adapters.h"
#include "posix_io.h"

namespace zeroipc::baselines::adapters {

namespace {

constexpr const char* kMsgMax = "/proc/sys/fs/mqueue/msg_max";
constexpr const char* kMsgsizeMax = "/proc/sys/fs/mqueue/msgsize_max";
constexpr const char* kQueuesMax = "/proc/sys/fs/mqueue/queues_max";

std::string c2s_name(const LinkSpec& spec) { return "/" + spec.name + ".c2s"; }
std::string s2c_name(const LinkSpec& spec) { return "/" + spec.name + ".s2c"; }

std::string proc_text(const char* path) {
  const auto v = posix_io::read_proc_number(path);
  return v ? std::to_string(*v) : std::string("unreadable");
}

std::string rlimit_text(rlim_t v) { return v == RLIM_INFINITY ? std::string("unlimited") : std::to_string(v); }

// A bound on the messages of `msgsize` bytes one queue may hold under a limit
// of `bytes`: the kernel charges each message its size plus bookkeeping (a
// struct msg_msg, a tree node: under 128 bytes), so this is at least the
// answer, and a step down from it finds the answer in a few tries.
long fit_in(rlim_t bytes, long msgsize) {
  if (bytes == RLIM_INFINITY) return std::numeric_limits<long>::max();
  return static_cast<long>(bytes / static_cast<rlim_t>(msgsize + 1));
}

struct MqQueue {
  mqd_t mq = static_cast<mqd_t>(-1);
  std::string name;
  long wanted = 0;
  mq_attr granted{};
  std::vector<std::string> why;  // refusals, in the order they came
};

class PosixMqLink final : public Transport {
 public:
  PosixMqLink(const LinkSpec& spec, Side side) : spec_(spec), side_(side) {}

  ~PosixMqLink() override {
    for (MqQueue* q : {&c2s_, &s2c_}) {
      if (q->mq != static_cast<mqd_t>(-1)) ::mq_close(q->mq);
    }
    if (side_ == Side::server) {
      for (const std::string* n : created_) ::mq_unlink(n->c_str());
    }
  }

  std::string listen() override {
    if (side_ == Side::client) return "";
    const long wanted = duplex() ? 2 : static_cast<long>(spec_.capacity);
    create(c2s_, c2s_name(spec_), O_RDONLY, wanted);
    if (duplex()) create(s2c_, s2c_name(spec_), O_WRONLY, wanted);
    return c2s_name(spec_);
  }

  void connect(const std::string&) override {
    if (side_ == Side::server) {
      if (c2s_.mq == static_cast<mqd_t>(-1)) throw TransportError(spec_.transport + ": connect: listen() has not run");
      return;  // the queues are there: nothing to accept
    }
    open(c2s_, c2s_name(spec_), O_WRONLY);
    if (duplex()) open(s2c_, s2c_name(spec_), O_RDONLY);
  }

  void send(const std::byte* message) override {
    const MqQueue& q = side_ == Side::client ? c2s_ : s2c_;
    if (q.mq == static_cast<mqd_t>(-1)) throw TransportError(spec_.transport + ": send: no queue to send on");
    while (::mq_send(q.mq, reinterpret_cast<const char*>(message), spec_.message_size, 0) != 0) {
      if (errno != EINTR) throw_errno(spec_, "mq_send " + q.name);
    }
  }

  void receive(std::byte* message) override {
    const MqQueue& q = side_ == Side::server ? c2s_ : s2c_;
    if (q.mq == static_cast<mqd_t>(-1)) throw TransportError(spec_.transport + ": receive: no queue to receive on");
    for (;;) {
      // The buffer is exactly mq_msgsize (checked when the queue was opened), as mq_receive requires.
      const ssize_t n = ::mq_receive(q.mq, reinterpret_cast<char*>(message), spec_.message_size, nullptr);
      if (n == static_cast<ssize_t>(spec_.message_size)) return;
      if (n >= 0) {
        throw TransportError(spec_.transport + ": a message of " + std::to_string(n) + " bytes on " + q.name +
                             " (expected " + std::to_string(spec_.message_size) + ", the link's message size)");
      }
      if (errno != EINTR) throw_errno(spec_, "mq_receive " + q.name);
    }
  }

  nlohmann::json settings() const override {
    rlimit rl{};
    ::getrlimit(RLIMIT_MSGQUEUE, &rl);
    nlohmann::json s = {
        {"limits",
         {{"msg_max", proc_text(kMsgMax)},
          {"msgsize_max", proc_text(kMsgsizeMax)},
          {"rlimit_msgqueue_soft", rlimit_text(rl.rlim_cur)},
          {"rlimit_msgqueue_hard", rlimit_text(rl.rlim_max)}}}};
    if (!rlimit_note_.empty()) s["limits"]["rlimit_raised"] = rlimit_note_;
    for (const MqQueue* q : {&c2s_, &s2c_}) {
      if (q->mq == static_cast<mqd_t>(-1)) continue;
      nlohmann::json j = {{"name", q->name},
                          {"maxmsg_granted", q->granted.mq_maxmsg},
                          {"msgsize_granted", q->granted.mq_msgsize}};
      if (side_ == Side::server) {
        j["maxmsg_wanted"] = q->wanted;
        j["msgsize_wanted"] = spec_.message_size;
        if (!q->why.empty()) j["refused"] = q->why;
      }
      s[q == &c2s_ ? "c2s" : "s2c"] = j;
    }
    return s;
  }

 private:
  bool duplex() const { return spec_.pattern == Pattern::request_reply; }

  // Server: creates `name` with the most messages, up to `wanted`, the system grants (see the top).
  void create(MqQueue& q, const std::string& name, int access, long wanted) {
    q.name = name;
    q.wanted = wanted;
    const long msgsize = static_cast<long>(spec_.message_size);
    mq_attr attr{};
    attr.mq_maxmsg = wanted;
    attr.mq_msgsize = msgsize;
    ::mq_unlink(name.c_str());  // a stale queue of a run that died
    for (;;) {
      q.mq = ::mq_open(name.c_str(), access | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
      if (q.mq != static_cast<mqd_t>(-1)) break;
      const int e = errno;
      if (e == EINTR) continue;
      if (e == EINVAL) {
        const auto msgsize_max = posix_io::read_proc_number(kMsgsizeMax);
        if (msgsize_max && msgsize > *msgsize_max) {
          throw TransportError(spec_.transport + ": mq_open " + name + ": a message size of " +
                               std::to_string(msgsize) + " bytes is refused: " + kMsgsizeMax + " is " +
                               std::to_string(*msgsize_max) +
                               " (only a process with CAP_SYS_RESOURCE may exceed it; raise it with sysctl "
                               "fs.mqueue.msgsize_max or use smaller messages)");
        }
        const auto msg_max = posix_io::read_proc_number(kMsgMax);
        if (msg_max && *msg_max >= 1 && attr.mq_maxmsg > *msg_max) {
          q.why.push_back("maxmsg " + std::to_string(attr.mq_maxmsg) + ": EINVAL, above " + kMsgMax + " (" +
                          std::to_string(*msg_max) + ")");
          attr.mq_maxmsg = static_cast<long>(*msg_max);
          continue;
        }
        throw TransportError(spec_.transport + ": mq_open " + name + " with maxmsg " +
                             std::to_string(attr.mq_maxmsg) + " and msgsize " + std::to_string(msgsize) + ": " +
                             std::strerror(e) + " (" + kMsgMax + " is " + proc_text(kMsgMax) + ", " +
                             kMsgsizeMax + " is " + proc_text(kMsgsizeMax) + ")");
      }
      if (e == EMFILE || e == ENOMEM) {
        rlimit rl{};
        ::getrlimit(RLIMIT_MSGQUEUE, &rl);
        if (!rlimit_tried_ && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max) {
          rlimit_tried_ = true;
          const rlim_t before = rl.rlim_cur;
          rl.rlim_cur = rl.rlim_max;
          if (::setrlimit(RLIMIT_MSGQUEUE, &rl) == 0) {
            rlimit_note_ = "soft RLIMIT_MSGQUEUE raised from " + rlimit_text(before) + " to the hard limit " +
                           rlimit_text(rl.rlim_max) + " bytes";
            continue;
          }
        }
        if (attr.mq_maxmsg > 1) {
          const long next = std::max(1L, std::min(attr.mq_maxmsg - 1, fit_in(rl.rlim_cur, msgsize)));
          q.why.push_back("maxmsg " + std::to_string(attr.mq_maxmsg) + ": " + (e == EMFILE ? "EMFILE" : "ENOMEM") +
                          ", the user's queues would exceed RLIMIT_MSGQUEUE (" + rlimit_text(rl.rlim_cur) +
                          " bytes)");
          attr.mq_maxmsg = next;
          continue;
        }
        throw TransportError(spec_.transport + ": mq_open " + name + ": even one message of " +
                             std::to_string(msgsize) + " bytes does not fit: " + std::strerror(e) +
                             " (RLIMIT_MSGQUEUE is " + rlimit_text(rl.rlim_cur) +
                             " bytes for all of this user's queues together)");
      }
      if (e == ENFILE) {
        throw TransportError(spec_.transport + ": mq_open " + name + ": " + std::strerror(e) + " (" + kQueuesMax +
                             " is " + proc_text(kQueuesMax) + " queues for the whole system)");
      }
      throw_errno(spec_, "mq_open " + name + " (create)");
    }
    created_.push_back(&q.name);
    if (::mq_getattr(q.mq, &q.granted) != 0) throw_errno(spec_, "mq_getattr " + name);
    collapse(q.why);
  }

  // Client: opens the queue the server created, and checks its message size.
  void open(MqQueue& q, const std::string& name, int access) {
    q.name = name;
    for (;;) {
      q.mq = ::mq_open(name.c_str(), access | O_CLOEXEC);
      if (q.mq != static_cast<mqd_t>(-1)) break;
      if (errno != EINTR) throw_errno(spec_, "mq_open " + name + " (the server's listen() creates it)");
    }
    if (::mq_getattr(q.mq, &q.granted) != 0) throw_errno(spec_, "mq_getattr " + name);
    if (q.granted.mq_msgsize != static_cast<long>(spec_.message_size)) {
      throw TransportError(spec_.transport + ": queue " + name + " holds messages of " +
                           std::to_string(q.granted.mq_msgsize) + " bytes (expected " +
                           std::to_string(spec_.message_size) + ", the link's message size)");
    }
  }

  // Steps down one message at a time say the same thing: keep the first and the last.
  static void collapse(std::vector<std::string>& why) {
    if (why.size() <= 3) return;
    const std::string last = why.back();
    const std::size_t dropped = why.size() - 2;
    why.resize(1);
    why.push_back("(" + std::to_string(dropped) + " more steps down)");
    why.push_back(last);
  }

  LinkSpec spec_;
  Side side_;
  MqQueue c2s_, s2c_;
  std::vector<const std::string*> created_;  // names of the queues the server created
  std::string rlimit_note_;  // set when the soft RLIMIT_MSGQUEUE was raised
  bool rlimit_tried_ = false;
};

}  // namespace

std::unique_ptr<Transport> make_posix_mq(const LinkSpec& spec, Side side) {
  return std::make_unique<PosixMqLink>(spec, side);
}

void remove_posix_mq_leftovers(const LinkSpec& spec) noexcept {
  try {
    ::mq_unlink(c2s_name(spec).c_str());
    ::mq_unlink(s2c_name(spec).c_str());
  } catch (...) {  // std::string's allocation
  }
}

}  // namespace zeroipc::baselines::adapters
