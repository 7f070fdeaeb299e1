// zeroipc/harness/worker.cpp — worker mode: the Worker every workload's loop
// works with (worker_kit.h), the one-way loop streaming and burst share, and
// worker_main. The loops themselves are the workloads' (workloads/*.cpp).
//
// Every wait is a busy poll (the thing measured is how fast a poller sees a
// change), except in oversubscribed cases, where a waiter yields its PU.
// The memory-ordering pairs (1)-(4) are listed in worker_kit.h.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <iostream>

#include "worker_kit.h"
#include "zeroipc/harness/topology.h"

namespace zeroipc::harness {

Worker::Worker(const RunParams& params, int i)
    : p(params),
      index(i),
      mem(params.segment),
      control_words_(mem, run::kControlName),
      ctl(run::control_of(control_words_)),
      clock_(params.clock) {
  if (p.samples > 0) {
    send_stamps_.emplace(mem, run::kSendStamps);
    recv_stamps_.emplace(mem, run::kRecvStamps);
    const auto need = p.stamp_slots();
    if (send_stamps_->size() < need || recv_stamps_->size() < need) {
      throw std::runtime_error("stamp arrays are smaller than the run needs");
    }
    send_stamps_data_ = send_stamps_->data();
    recv_stamps_data_ = recv_stamps_->data();
  }
  first_stamped_ = p.warmup * p.burst_size;
  stride_mask_ = p.stride - 1;  // from_json checked: a power of two
  stride_shift_ = std::countr_zero(p.stride);
  next_index_.assign(static_cast<std::size_t>(std::max(p.producers, 1)), 0);
  if (p.fault_worker == index) fault_after_ = p.fault_after;
}

nlohmann::json Worker::run() {
  p.workload->run(*this);
  nlohmann::json counters_json = {{"available", counters.available()},
                                  {"reason", counters.unavailable_reason()},
                                  {"values", counter_values}};
  if (!counters.last_error().empty()) counters_json["error"] = counters.last_error();
  nlohmann::json report = {{"worker", index},
                           {"role", p.role(index)},
                           {"role_index", p.role_index(index)},
                           {"pid", ::getpid()},
                           {"pu", p.pus.at(static_cast<std::size_t>(index))},
                           {"pu_at_end", current_pu()},
                           {"start_ticks", start},
                           {"end_ticks", end},
                           {"timed_messages", timed_messages},
                           {"waits", timed_waits},
                           {"bytes", bytes},
                           {"tally",
                            {{"sent", tally.sent},
                             {"sent_hash", tally.sent_hash},
                             {"received", tally.received},
                             {"received_hash", tally.received_hash},
                             {"corrupt", tally.corrupt},
                             {"out_of_order", tally.out_of_order}}},
                           {"software", to_json(facts)},
                           {"counters", counters_json}};
  if (round_trips.count() > 0) report["round_trip_ns"] = round_trips.to_json();
  if (p.is_transport()) report["link"] = link_settings;
  if (p.is_map()) report["store"] = link_settings;  // what the store's adapter set up
  return report;
}

// ---- waiting, the barrier, timing -----------------------------------------------------

void Worker::barrier() {
  const auto workers = static_cast<std::uint64_t>(p.pus.size());
  const std::uint64_t generation = ctl->barrier_generation.v.load(std::memory_order_acquire);  // (4)
  if (ctl->barrier_count.v.fetch_add(1, std::memory_order_acq_rel) + 1 == workers) {
    ctl->barrier_count.v.store(0, std::memory_order_relaxed);
    ctl->barrier_generation.v.fetch_add(1, std::memory_order_release);  // (3)
  } else {
    while (ctl->barrier_generation.v.load(std::memory_order_acquire) == generation) wait_hint();  // (4)
  }
}

std::uint64_t Worker::ticks_for(std::uint64_t ns) const {
  // to_ns is (ticks * mult) >> shift: invert it, rounding up.
  const auto num = static_cast<detail::u128>(ns) << clock_.shift;
  return static_cast<std::uint64_t>((num + clock_.mult - 1) / clock_.mult);
}

void Worker::begin_timed() {
  barrier();
  before = sample_self();
  if (counters.available()) counters.start();
  waits_ = 0;
  start = now();
}

void Worker::end_timed() {
  end = now();
  timed_waits = waits_;
  if (counters.available()) counter_values = counters.stop();
  facts = sample_self() - before;
}

void Worker::count_toward_fault() {
  if (++fault_count_ == fault_after_) ::kill(::getpid(), SIGKILL);
}

// ---- a transport's link -----------------------------------------------------------------

void Worker::with_link(const std::function<void(baselines::Transport&)>& body) {
  const bool server = index == 1;
  auto link = baselines::make_transport(p.link_spec(), server ? baselines::Side::server : baselines::Side::client);
  if (server) {
    const std::string address = link->listen();
    if (address.size() > sizeof(ctl->address)) {
      throw std::runtime_error("the link's address is longer than " + std::to_string(sizeof(ctl->address)) +
                               " bytes: " + address);
    }
    std::memcpy(ctl->address, address.data(), address.size());
    ctl->address_length = address.size();
  }
  barrier();  // (3)/(4): the address is written before the client reads it
  std::string address;
  if (!server) {
    const std::uint64_t n = ctl->address_length;
    if (n > sizeof(ctl->address)) throw std::runtime_error("corrupt link address length in the control block");
    address.assign(ctl->address, n);
  }
  link->connect(address);
  link_settings = link->settings();
  body(*link);
  // Neither side closes before the other has everything: a sender that
  // closes right after its last send can lose what is still queued on some
  // transports (ZeroMQ's PUSH did, see zmq_transport.cpp), and a TCP close
  // with unread data resets the connection.
  barrier();
}

// ---- the one-way loop ---------------------------------------------------------------------

void run_one_way(Worker& w) {
  with_handles(w, [&]<class H>(H& forward, H&) {
    one_way_phases(w, forward);
  });
}

// ---- worker mode ----------------------------------------------------------------------------

int worker_main(int index, const std::string& params_json) {
  try {
    const RunParams p = RunParams::from_json(nlohmann::json::parse(params_json));
    if (index < 0 || static_cast<std::size_t>(index) >= p.pus.size()) {
      throw std::invalid_argument("worker index " + std::to_string(index) + " out of range");
    }
    pin_current_process(p.pus[static_cast<std::size_t>(index)]);
    nlohmann::json report;
    {
      Worker w(p, index);
      report = w.run();
    }  // handles released (and roles given back) before reporting
    std::cout << report.dump() << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cout << nlohmann::json{{"error", e.what()}}.dump() << std::endl;
    return 3;
  }
}

}  // namespace zeroipc::harness
