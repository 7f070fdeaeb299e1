// zeroipc/baselines/boost_mq_transport.cpp — boost::interprocess::message_queue:
// a queue of fixed-size slots in a shared-memory segment (/dev/shm/<queue
// name>), guarded by a process-shared mutex, with process-shared condition
// variables to block on when it is full or empty. Compiled only when Boost
// was found (baselines/CMakeLists.txt).
//
// Queues: "<name>.c2s" (client to server) and, for request_reply only,
// "<name>.s2c" (Boost's names carry no '/'). max_msg_size = spec.message_size;
// max_num_msg = spec.capacity for one_way (throughput: as many in flight as
// the other transports get), 2 for request_reply (one message in flight each
// way; one spare). Boost has no system limit of its own: the queue is plain
// shared memory, so what is asked for is what is granted; settings() reports
// both anyway (get_max_msg, get_max_msg_size).
//
// Set up: the server's listen() creates the queues (create_only, after
// removing a stale one of a run that died); the client opens them in connect()
// (open_only) and checks their message size. The server's destructor removes
// them; the client's mapping stays valid until it is gone.
//
// send() and receive() block (on the queue's condition variables); every
// message is sent at priority 0 and a received one must be exactly
// message_size bytes. Boost's interprocess_exception becomes a TransportError
// naming the transport and the call. A peer that died is not noticed: a
// receive waits until a message comes (the harness's timeout ends such a run).
#include <boost/interprocess/exceptions.hpp>
#include <boost/interprocess/ipc/message_queue.hpp>

#include "adapters.h"

namespace zeroipc::baselines::adapters {

namespace {

namespace bip = boost::interprocess;

std::string c2s_name(const LinkSpec& spec) { return spec.name + ".c2s"; }
std::string s2c_name(const LinkSpec& spec) { return spec.name + ".s2c"; }

[[noreturn]] void rethrow(const LinkSpec& spec, const std::string& what, const bip::interprocess_exception& e) {
  throw TransportError(spec.transport + ": " + what + ": " + e.what());
}

struct BoostQueue {
  std::unique_ptr<bip::message_queue> mq;
  std::string name;
  std::size_t wanted = 0;
};

class BoostMqLink final : public Transport {
 public:
  BoostMqLink(const LinkSpec& spec, Side side) : spec_(spec), side_(side) {}

  ~BoostMqLink() override {
    c2s_.mq.reset();
    s2c_.mq.reset();
    if (side_ == Side::server) {
      for (const std::string* n : created_) {
        try {
          bip::message_queue::remove(n->c_str());
        } catch (...) {  // a destructor never throws
        }
      }
    }
  }

  std::string listen() override {
    if (side_ == Side::client) return "";
    const std::size_t wanted = duplex() ? 2 : spec_.capacity;
    create(c2s_, c2s_name(spec_), wanted);
    if (duplex()) create(s2c_, s2c_name(spec_), wanted);
    return c2s_name(spec_);
  }

  void connect(const std::string&) override {
    if (side_ == Side::server) {
      if (!c2s_.mq) throw TransportError(spec_.transport + ": connect: listen() has not run");
      return;  // the queues are there: nothing to accept
    }
    open(c2s_, c2s_name(spec_));
    if (duplex()) open(s2c_, s2c_name(spec_));
  }

  void send(const std::byte* message) override {
    const BoostQueue& q = side_ == Side::client ? c2s_ : s2c_;
    if (!q.mq) throw TransportError(spec_.transport + ": send: no queue to send on");
    try {
      q.mq->send(message, spec_.message_size, 0);
    } catch (const bip::interprocess_exception& e) {
      rethrow(spec_, "send on " + q.name, e);
    }
  }

  void receive(std::byte* message) override {
    const BoostQueue& q = side_ == Side::server ? c2s_ : s2c_;
    if (!q.mq) throw TransportError(spec_.transport + ": receive: no queue to receive on");
    bip::message_queue::size_type received = 0;
    unsigned int priority = 0;
    try {
      // The buffer is exactly max_msg_size (checked when the queue was opened), as receive requires.
      q.mq->receive(message, spec_.message_size, received, priority);
    } catch (const bip::interprocess_exception& e) {
      rethrow(spec_, "receive on " + q.name, e);
    }
    if (received != spec_.message_size) {
      throw TransportError(spec_.transport + ": a message of " + std::to_string(received) + " bytes on " + q.name +
                           " (expected " + std::to_string(spec_.message_size) + ", the link's message size)");
    }
  }

  nlohmann::json settings() const override {
    nlohmann::json s = {{"blocking", "send and receive wait on the queue's process-shared condition variables"},
                        {"priority", 0}};
    for (const BoostQueue* q : {&c2s_, &s2c_}) {
      if (!q->mq) continue;
      nlohmann::json j = {{"name", q->name},
                          {"max_num_msg_granted", q->mq->get_max_msg()},
                          {"max_msg_size_granted", q->mq->get_max_msg_size()}};
      if (side_ == Side::server) {
        j["max_num_msg_wanted"] = q->wanted;
        j["max_msg_size_wanted"] = spec_.message_size;
      }
      s[q == &c2s_ ? "c2s" : "s2c"] = j;
    }
    return s;
  }

 private:
  bool duplex() const { return spec_.pattern == Pattern::request_reply; }

  void create(BoostQueue& q, const std::string& name, std::size_t wanted) {
    q.name = name;
    q.wanted = wanted;
    bip::message_queue::remove(name.c_str());  // a stale queue of a run that died
    try {
      q.mq = std::make_unique<bip::message_queue>(bip::create_only, name.c_str(), wanted, spec_.message_size);
    } catch (const bip::interprocess_exception& e) {
      rethrow(spec_, "create message_queue " + name + " (" + std::to_string(wanted) + " messages of " +
                         std::to_string(spec_.message_size) + " bytes)",
              e);
    }
    created_.push_back(&q.name);
  }

  void open(BoostQueue& q, const std::string& name) {
    q.name = name;
    try {
      q.mq = std::make_unique<bip::message_queue>(bip::open_only, name.c_str());
    } catch (const bip::interprocess_exception& e) {
      rethrow(spec_, "open message_queue " + name + " (the server's listen() creates it)", e);
    }
    if (q.mq->get_max_msg_size() != spec_.message_size) {
      throw TransportError(spec_.transport + ": queue " + name + " holds messages of " +
                           std::to_string(q.mq->get_max_msg_size()) + " bytes (expected " +
                           std::to_string(spec_.message_size) + ", the link's message size)");
    }
  }

  LinkSpec spec_;
  Side side_;
  BoostQueue c2s_, s2c_;
  std::vector<const std::string*> created_;  // names of the queues the server created
};

}  // namespace

std::unique_ptr<Transport> make_boost_mq(const LinkSpec& spec, Side side) {
  return std::make_unique<BoostMqLink>(spec, side);
}

void remove_boost_mq_leftovers(const LinkSpec& spec) noexcept {
  try {
    bip::message_queue::remove(c2s_name(spec).c_str());
    bip::message_queue::remove(s2c_name(spec).c_str());
  } catch (...) {  // std::string's allocation
  }
}

}  // namespace zeroipc::baselines::adapters
