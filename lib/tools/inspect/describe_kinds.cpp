// Per kind and variant: fill, state, counters and owners of one structure
// (the rows of SCHEMA.md's structure table), read through its layout.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

#include "describe_parts.h"
#include "zeroipc/detail/names.h"
#include "zeroipc/detail/stream_layout.h"
#include "zeroipc/future.h"
#include "zeroipc/registry.h"
#include "zeroipc/variants/detail/op_slots.h"

namespace zeroipc::inspect::parts {

using detail::Kind;

json element_json(const std::string& b, std::uint8_t dtype, std::uint64_t full_size) {
  auto get = [&](auto v) {
    std::memcpy(&v, b.data(), sizeof v);
    return v;
  };
  if (b.size() == 1 && dtype == 1) return get(std::int8_t{});
  if (b.size() == 1 && dtype == 2) return get(std::uint8_t{});
  if (b.size() == 2 && dtype == 3) return get(std::int16_t{});
  if (b.size() == 2 && dtype == 4) return get(std::uint16_t{});
  if (b.size() == 4 && dtype == 5) return get(std::int32_t{});
  if (b.size() == 4 && dtype == 6) return get(std::uint32_t{});
  if (b.size() == 8 && dtype == 7) return get(std::int64_t{});
  if (b.size() == 8 && dtype == 8) return get(std::uint64_t{});
  if (b.size() == 1 && dtype == 11) return b[0] == 1 ? json(true) : b[0] == 0 ? json(false) : json("invalid bool");
  if ((b.size() == 4 && dtype == 9) || (b.size() == 8 && dtype == 10)) {
    // A float as the shortest decimal that reads back as the same float (19.47454, not 19.474540710449219).
    double d = get(double{});
    if (b.size() == 4) {
      const float f = get(float{});
      char buf[32];
      const auto r = std::to_chars(buf, buf + sizeof buf, f);
      d = r.ec == std::errc{} ? std::strtod(std::string(buf, r.ptr).c_str(), nullptr) : double{f};
    }
    if (std::isfinite(d)) return d;
    return std::isnan(d) ? "nan" : d > 0 ? "inf" : "-inf";  // JSON has no NaN or infinity
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex = "0x";
  for (unsigned char c : b) {
    hex.push_back(kHex[c >> 4]);
    hex.push_back(kHex[c & 15]);
  }
  if (full_size > b.size()) hex += "…";
  return hex;
}




// §7.7 thread slots: in use, dead, inside an operation; recoveries.
void describe_op_slots(Ctx& c) {
  const Fields& f = c.fields;
  json t;
  t["recovering"] = f.u32("ops.recovering") != 0;
  t["recovery_lock"] = lock_json(f.u32("ops.recovery_lock"), f.u64("ops.recovery_pid"), c.owners);
  t["recoveries"] = f.u64("ops.recoveries");
  t["recovered"] = f.u64("ops.recovered");
  t["suspects"] = f.u64("ops.suspects");
  std::uint64_t used = 0, dead = 0, active = 0, dead_active = 0;
  std::map<std::uint32_t, std::pair<std::uint64_t, std::uint64_t>> by_key;  // key -> (pid, threads)
  for (std::uint32_t i = 0; i < variants::detail::kOpSlots; ++i) {
    const std::uint32_t key = f.u32("ops.slots", i, "key");
    if (key == 0) continue;
    ++used;
    const bool is_active = f.u32("ops.slots", i, "active") != 0;
    const bool is_dead = c.owners.alive(key) == Alive::kNo;
    active += is_active;
    dead += is_dead;
    dead_active += is_dead && is_active;
    auto& entry = by_key[key];
    entry.first = f.u64("ops.slots", i, "pid");
    ++entry.second;
  }
  t["slots_used"] = used;
  t["slots_dead"] = dead;
  t["in_operation"] = active;
  t["dead_in_operation"] = dead_active;
  c.out["threads"] = t;
  for (const auto& [key, v] : by_key) {
    json o = c.owners.owner("thread slots", key, v.first);
    o["threads"] = v.second;
    c.out["owners"].push_back(o);
  }
  if (dead_active != 0) {
    c.out["summary"]["state"] = std::to_string(dead_active) + " dead thread(s) mid-operation: recover()";
    c.note(std::to_string(dead_active) +
              " thread slot(s) of dead processes were inside an operation: their nodes come back at the next "
              "recovery (Queue::recover() / Stack::recover(), or a push that finds no free node)");
  }
}

void describe_queue(Ctx& c) {
  const std::uint64_t cap = c.h.capacity;
  json fill;
  fill["capacity"] = cap;
  auto depth = [&](std::uint64_t tail, std::uint64_t head) {
    const auto d = static_cast<std::int64_t>(tail - head);
    return d < 0 ? std::uint64_t{0} : std::min<std::uint64_t>(static_cast<std::uint64_t>(d), cap);
  };
  std::string depth_note;
  switch (c.h.variant) {
    case variants::vyukov_bounded::kId: {
      const std::uint64_t d = c.fields.u64("dequeue_pos"), e = c.fields.u64("enqueue_pos");
      fill["depth"] = depth(e, d);
      c.out["counters"] = {{"pushes", e}, {"pops", d}};
      break;
    }
    case variants::spsc_ring::kId: {
      const std::uint64_t head = c.fields.u64("head"), tail = c.fields.u64("tail");
      fill["depth"] = depth(tail, head);
      c.out["counters"] = {{"pushes", tail}, {"pops", head}};
      for (const char* role : {"producer", "consumer"}) {
        const std::uint32_t key = c.fields.u32(role, 0, "key");
        if (key != 0) c.out["owners"].push_back(c.owners.owner(role, key, c.fields.u32(role, 0, "pid")));
      }
      break;
    }
    case variants::locked_ring::kId: {
      const std::uint64_t head = c.fields.u64("head"), tail = c.fields.u64("tail");
      fill["depth"] = depth(tail, head);
      c.out["counters"] = {{"pushes", tail}, {"pops", head}};
      c.out["state"]["lock"] = lock_json(c.fields.u32("lock"), c.fields.u64("holder_pid"), c.owners);
      c.out["summary"]["state"] = "lock " + lock_text(c.out["state"]["lock"]);
      if (tail - head > cap) c.problem("tail - head = " + std::to_string(tail - head) + " exceeds the capacity");
      break;
    }
    case variants::scq::kId:
    case variants::scq_indices::kId: {
      // Positions of aq (direct cells, §7.2.3: of the one ring): a push claims one
      // (a retry claims another), and a pop of an empty ring can move tail up to
      // head: the difference is the depth, give or take operations in flight;
      // there is no exact counter of completed pushes.
      const char* ring =
          c.h.variant == variants::scq::kId && variants::scq::direct(c.h.element_size) ? "ring" : "aq";
      const std::uint64_t head = c.fields.u64(ring, 0, "head"), tail = c.fields.u64(ring, 0, "tail");
      fill["depth"] = depth(tail, head);
      fill["depth_exact"] = false;
      depth_note = "≈";
      break;
    }
    case variants::lcrq::kId:
    case variants::lcrq_nodes::kId: {
      // Walk the ring list from head_ring; count the live positions of each ring.
      using L = variants::lcrq;
      const std::uint64_t rings = L::ring_count(cap), rs = L::ring_size(cap);
      std::uint64_t ring = c.fields.u64("head_ring"), total = 0, hops = 0;
      std::set<std::uint64_t> seen;
      bool ok = true;
      while (ok) {
        if (ring >= rings || !seen.insert(ring).second || ++hops > rings) {
          ok = false;
          break;
        }
        // Direct cells (§7.2.2) have 62-bit positions: bit 62 of head and tail is not part of them.
        const std::uint64_t mask = c.h.variant == variants::lcrq::kId && L::direct(c.h.element_size)
                                       ? ZEROIPC_LCRQ_DIRECT_POSITION_MASK
                                       : ZEROIPC_LCRQ_POSITION_MASK;
        const std::uint64_t head = c.fields.u64("rings", ring, "head") & mask;
        const std::uint64_t tail = c.fields.u64("rings", ring, "tail") & mask;
        if (tail > head) total += std::min(tail - head, rs);
        const std::uint32_t next = c.fields.u32("rings", ring, "next");
        if (next == 0) break;
        ring = next - 1;
      }
      fill["rings_linked"] = seen.size();
      fill["rings"] = rings;
      fill["depth_exact"] = false;
      depth_note = "≈";
      if (ok) {
        fill["depth"] = std::min(total, cap);
      } else {
        fill["depth"] = nullptr;
        depth_note = "? (ring list changed during the walk, or is corrupt)";
      }
      break;
    }
    default:
      break;
  }
  if (c.h.variant == variants::scq::kId || c.h.variant == variants::lcrq::kId ||
      c.h.variant == variants::lcrq_nodes::kId || c.h.variant == variants::scq_indices::kId) {
    describe_op_slots(c);
  }
  c.out["fill"] = fill;
  const std::string d = fill["depth"].is_null() ? "?" : std::to_string(fill["depth"].get<std::uint64_t>());
  c.out["summary"]["fill"] = depth_note + d + " / " + std::to_string(cap);
}

void describe_stack(Ctx& c) {
  const std::uint64_t cap = c.h.capacity;
  const std::uint64_t top = c.fields.u64("top");
  // Walk the list from top (bounded): a live stack may change under the walk.
  std::uint64_t depth = 0;
  bool ok = true;
  for (std::uint32_t idx = static_cast<std::uint32_t>(top); idx != 0;) {
    if (idx > cap || ++depth > cap) {
      ok = false;
      break;
    }
    idx = c.fields.u32("nodes", idx - 1, "next");
  }
  json fill;
  fill["capacity"] = cap;
  fill["depth"] = ok ? json(depth) : json(nullptr);
  fill["depth_exact"] = false;
  c.out["fill"] = fill;
  // Every successful CAS on top adds 1 to its tag: pushes + pops that went through top.
  c.out["counters"] = {{"top_changes", top >> 32}};
  describe_op_slots(c);
  c.out["summary"]["fill"] = ok ? "≈" + std::to_string(depth) + " / " + std::to_string(cap)
                                : "? (list changed during the walk, or is corrupt)";
}

void describe_map(Ctx& c) {
  const std::uint64_t cap = c.h.capacity, count = c.fields.u64("count");
  json fill;
  fill["count"] = count;
  fill["capacity"] = cap;
  fill["load"] = cap == 0 ? 0.0 : static_cast<double>(count) / static_cast<double>(cap);
  fill["tombstones"] = c.fields.u64("tombstones");
  c.out["fill"] = fill;
  c.out["counters"] = {{"inserted", c.fields.u64("inserted")},
                       {"erased", c.fields.u64("erased")},
                       {"assigned", c.fields.u64("assigned")},
                       {"rebuilds", c.fields.u64("rebuilds")}};
  json st;
  st["lock"] = lock_json(c.fields.u32("lock"), c.fields.u64("holder_pid"), c.owners);
  const std::uint32_t active = c.fields.u32("active");
  st["active_table"] = active == 0 ? "a" : active == 1 ? "b" : "corrupt";
  if (active > 1) c.problem("active table " + std::to_string(active) + " is neither 0 nor 1");
  const std::uint64_t journal = c.fields.u64("journal");
  st["journal"] = journal;
  if (journal != 0) {
    st["repair_pending"] = true;
    c.note("a value replacement was cut short (journal " + std::to_string(journal) +
           "): the next process to take the lock restores the old value");
  }
  c.out["state"] = st;
  std::uint32_t key_size = 0;
  std::memcpy(&key_size, c.h.kind_specific, 4);
  c.out["key_size"] = key_size;
  if (count > cap) c.problem("count " + std::to_string(count) + " exceeds the capacity " + std::to_string(cap));
  c.out["summary"]["fill"] = std::to_string(count) + " / " + std::to_string(cap) + pct(count, cap);
  c.out["summary"]["state"] = "lock " + lock_text(st["lock"]);
}

void describe_pool(Ctx& c) {
  const std::uint64_t cap = c.h.capacity, free_top = c.fields.u64("free_top");
  json fill;
  fill["capacity"] = cap;
  fill["free"] = free_top;
  fill["in_use"] = free_top <= cap ? cap - free_top : 0;
  if (free_top > cap) c.problem("free_top " + std::to_string(free_top) + " exceeds the capacity " + std::to_string(cap));
  // Objects whose acquirer is dead (they stay acquired: the handle may be in a live process's hands).
  constexpr std::uint64_t kScan = std::uint64_t{1} << 20;
  std::uint64_t dead = 0;
  const std::uint64_t scan = std::min(cap, kScan);
  for (std::uint64_t i = 0; i < scan; ++i) {
    const std::uint64_t s = c.fields.u64("states", i);
    if ((s & 1) != 0 && c.owners.alive(static_cast<std::uint32_t>(s >> 1)) == Alive::kNo) ++dead;
  }
  fill["held_by_dead"] = dead;
  if (scan < cap) fill["held_by_dead_scanned"] = scan;
  c.out["fill"] = fill;
  c.out["counters"] = {{"acquired", c.fields.u64("acquired")}, {"released", c.fields.u64("released")}};
  c.out["state"]["lock"] = lock_json(c.fields.u32("lock"), c.fields.u64("holder_pid"), c.owners);
  c.out["summary"]["state"] = "lock " + lock_text(c.out["state"]["lock"]);
  c.out["summary"]["fill"] = std::to_string(free_top) + " free / " + std::to_string(cap) +
                             (dead != 0 ? ", " + std::to_string(dead) + " held by dead" : "");
}

void describe_ring(Ctx& c) {
  const std::uint64_t wp = c.fields.u64("write_pos");
  const std::uint32_t wkey = c.fields.u32("writer", 0, "key");
  if (wkey != 0) c.out["owners"].push_back(c.owners.owner("writer", wkey, c.fields.u32("writer", 0, "pid")));
  json readers = json::array();
  std::uint64_t max_lag = 0, dead = 0;
  for (std::uint32_t i = 0; i < variants::gated_ring::kReaders; ++i) {
    const std::uint32_t key = c.fields.u32("readers", i, "key");
    if (key == 0) continue;
    json r = c.owners.owner("reader", key, c.fields.u32("readers", i, "pid"));
    const std::uint64_t rp = c.fields.u64("readers", i, "read_pos");
    c.out["owners"].push_back(r);
    dead += r["alive"] == "dead";
    r["slot"] = i;
    r["read_pos"] = rp;
    r["lag"] = wp >= rp ? wp - rp : 0;
    if (rp > wp) c.problem("reader slot " + std::to_string(i) + " read_pos " + std::to_string(rp) + " is past write_pos");
    max_lag = std::max(max_lag, wp >= rp ? wp - rp : 0);
    readers.push_back(r);
  }
  json fill;
  fill["capacity"] = c.h.capacity;
  fill["write_pos"] = wp;
  fill["readers"] = readers;
  c.out["fill"] = fill;
  c.out["counters"] = {{"writes", wp}};
  c.out["summary"]["fill"] = std::to_string(readers.size()) + " reader(s)" +
                             (dead != 0 ? " (" + std::to_string(dead) + " dead)" : "") + ", max lag " +
                             std::to_string(max_lag);
}

void describe_codata(Ctx& c, bool lazy) {
  const std::uint64_t w = c.fields.u64("state");
  const unsigned ph = detail::codata::phase(w);
  static constexpr const char* kFuture[] = {"pending", "setting", "ready", "error"};
  static constexpr const char* kLazy[] = {"empty", "computing", "ready", "error"};
  json st;
  st["phase"] = ph <= 3 ? (lazy ? kLazy[ph] : kFuture[ph]) : "corrupt";
  st["sequence"] = detail::codata::sequence(w);
  if (ph > 3) c.problem("phase " + std::to_string(ph) + " is never written (phases 0-3)");
  const std::uint32_t key = detail::codata::owner(w);
  std::string text = st["phase"].get<std::string>();
  if (key != 0) {
    // owner_pid names the owner only if owner_tag is its key (§7.4).
    const std::uint64_t pid = c.fields.u64("owner_pid");
    const bool named = c.fields.u32("owner_tag") == key;
    const char* role = lazy ? (ph == 1 ? "computing" : "computed") : (ph == 0 ? "producer" : ph == 1 ? "setter" : "set by");
    c.out["owners"].push_back(c.owners.owner(role, key, named ? pid : 0));
  }
  st["sleepers"] = c.fields.u32("sleepers");
  if (lazy) {
    st["generation"] = c.fields.u32("generation");
    st["demand"] = c.fields.u32("demand");
    st["demand_sleepers"] = c.fields.u32("demand_sleepers");
  }
  if (ph == 2) {
    const std::string v = c.fields.bytes("value", std::min<std::uint64_t>(c.h.element_size, kMaxShownBytes));
    st["value"] = element_json(v, c.h.dtype, c.h.element_size);
    if (lazy) text = "cached";  // a Lazy's READY: its value is computed and shared
    text += " = " + st["value"].dump();
  } else if (ph == 3) {
    std::string e = c.fields.bytes("error", detail::kCodataErrorBytes);
    e.resize(strnlen(e.c_str(), detail::kCodataErrorBytes - 1));
    st["error"] = detail::printable(e);
    text += ": " + st["error"].get<std::string>();
  }
  c.out["state"] = st;
  c.out["summary"]["state"] = text;
}

void describe_stream(Ctx& c) {
  namespace s = detail::stream;
  s::StreamConfig cfg{};
  std::memcpy(&cfg, c.h.kind_specific, sizeof cfg);
  static constexpr const char* kEnd[] = {"open", "closed", "producer_gone", "operator_stopped", "operator_failed"};
  static constexpr const char* kOrigin[] = {"emit", "map", "filter", "fold", "take", "skip", "window_count",
                                            "window_time", "merge", "zip", "unfold"};
  const std::uint64_t published = c.fields.u64("published");
  const std::uint64_t count = s::count_of(published);
  const std::uint32_t end = c.fields.u32("end_reason");
  json st;
  st["end_reason"] = end <= s::kMaxEndReason ? kEnd[end] : "corrupt";
  if (end > s::kMaxEndReason) c.problem("end_reason " + std::to_string(end) + " is not 0-4");
  st["closed"] = s::closed_in(published);
  st["published"] = count;
  st["overflow"] = cfg.overflow == 0 ? "block" : cfg.overflow == 1 ? "drop_oldest" : "corrupt";
  st["origin"] = cfg.origin <= s::kMaxOrigin ? kOrigin[cfg.origin] : "corrupt";
  const std::uint64_t resume_at = c.fields.u64("resume_at");
  st["producer_blocked"] = resume_at != 0;
  const std::uint32_t pkey = c.fields.u32("producer_key");
  c.out["owners"].push_back(c.owners.owner("producer", pkey, c.fields.u32("producer_pid")));
  json subs = json::array();
  const std::uint32_t high = std::min<std::uint32_t>(c.fields.u32("high_water"), s::kSubscriberSlots);
  std::uint64_t max_lag = 0, live = 0;
  for (std::uint32_t i = 0; i < high; ++i) {
    const std::uint64_t sw = c.fields.u64("slots", i, "state");
    const unsigned ph = s::slot::phase(sw);
    if (ph == s::slot::kFree) continue;
    json sub = c.owners.owner("subscriber", s::slot::owner(sw), c.fields.u64("slots", i, "pid"));
    c.out["owners"].push_back(sub);
    const std::uint64_t cursor = c.fields.u64("slots", i, "cursor");
    sub["slot"] = i;
    sub["phase"] = ph == s::slot::kJoining ? "joining" : ph == s::slot::kActive ? "active" : "corrupt";
    sub["cursor"] = cursor;
    sub["lag"] = count >= cursor ? count - cursor : 0;
    sub["missed"] = c.fields.u64("slots", i, "missed");
    if (sub["alive"] != "dead") ++live;
    if (count >= cursor) max_lag = std::max(max_lag, count - cursor);
    subs.push_back(sub);
  }
  st["subscribers"] = subs;
  c.out["state"] = st;
  c.out["fill"] = {{"capacity", c.h.capacity}, {"max_lag", max_lag}};
  c.out["counters"] = {{"emits", count}};
  c.out["summary"]["fill"] = "max lag " + std::to_string(max_lag);
  std::string text = st["end_reason"].get<std::string>() + ", " + std::to_string(live) + " subscriber(s)";
  if (subs.size() != live) text += " + " + std::to_string(subs.size() - live) + " dead";
  if (resume_at != 0) text += ", producer blocked";
  c.out["summary"]["state"] = text;
}

void describe_channel(Ctx& c) {
  std::uint64_t n = 0;
  std::memcpy(&n, c.h.kind_specific, sizeof n);
  const std::uint32_t closed = c.fields.u32("closed");
  json st;
  st["channel_capacity"] = n;
  st["rendezvous"] = n == 0;
  st["closed"] = closed == 1;
  if (closed > 1) c.problem("closed is " + std::to_string(closed) + " (0 or 1)");
  if (closed == 1) st["closed_by"] = c.fields.u32("closed_by");
  st["lock"] = lock_json(c.fields.u32("lock"), c.fields.u64("lock_pid"), c.owners);
  st["data_sleepers"] = c.fields.u32("data_sleepers");
  st["space_sleepers"] = c.fields.u32("space_sleepers");
  std::string fill_text;
  if (n == 0) {
    const std::uint64_t w = c.fields.u64("handoff");
    const unsigned ph = detail::codata::phase(w);
    st["handoff"] = ph == 0 ? "empty" : ph == 1 ? "offered" : "corrupt";
    st["receivers_waiting"] = c.fields.u32("receivers_waiting");
    if (ph == 1) {
      const std::uint32_t key = detail::codata::owner(w);
      const bool named = c.fields.u32("handoff_tag") == key;
      c.out["owners"].push_back(c.owners.owner("offering sender", key, named ? c.fields.u64("handoff_pid") : 0));
    }
    c.out["counters"] = {{"data_epoch", c.fields.u64("data_epoch")}};
    fill_text = "rendezvous, " + st["handoff"].get<std::string>();
  } else {
    const std::uint64_t head = c.fields.u64("head"), tail = c.fields.u64("tail");
    if (tail - head > n) c.problem("tail - head = " + std::to_string(tail - head) + " exceeds the capacity " + std::to_string(n));
    c.out["fill"] = {{"depth", std::min(tail - head, n)}, {"capacity", n}};
    c.out["counters"] = {{"sends", tail}, {"receives", head}};
    fill_text = std::to_string(std::min(tail - head, n)) + " / " + std::to_string(n);
  }
  c.out["state"] = st;
  c.out["summary"]["fill"] = fill_text;
  std::string text = closed == 1 ? "closed by pid " + std::to_string(c.fields.u32("closed_by")) : std::string("open");
  if (st["lock"]["held"].get<bool>()) text += ", lock " + lock_text(st["lock"]);
  c.out["summary"]["state"] = text;
}

void describe_array(Ctx& c) {
  c.out["fill"] = {{"elements", c.h.capacity}};
  c.out["summary"]["fill"] = std::to_string(c.h.capacity) + (c.h.capacity == 1 ? " element" : " elements");
  if (!c.options.only) return;
  json elems = json::array();
  const std::uint64_t n = std::min(c.h.capacity, c.options.max_elements);
  const std::uint64_t shown = std::min<std::uint64_t>(c.h.element_size, kMaxShownBytes);
  for (std::uint64_t i = 0; i < n; ++i) {
    elems.push_back(element_json(c.fields.bytes("elements", shown, i), c.h.dtype, c.h.element_size));
  }
  c.out["elements"] = elems;
  c.out["elements_shown"] = n;
}

void describe_body(Ctx& c) {
  switch (static_cast<Kind>(c.h.kind)) {
    case Kind::kArray: describe_array(c); break;
    case Kind::kQueue: describe_queue(c); break;
    case Kind::kStack: describe_stack(c); break;
    case Kind::kMap:
    case Kind::kSet: describe_map(c); break;
    case Kind::kPool: describe_pool(c); break;
    case Kind::kRing: describe_ring(c); break;
    case Kind::kFuture: describe_codata(c, false); break;
    case Kind::kLazy: describe_codata(c, true); break;
    case Kind::kStream: describe_stream(c); break;
    case Kind::kChannel: describe_channel(c); break;
  }
}

}  // namespace zeroipc::inspect::parts
