// map: a key-value mix on one map shared by N worker processes, against the
// stores a user would pick instead (matrix.stores, baselines/kv_store.h):
// zeroipc's Map (locked_probe), Boost.Interprocess containers in a managed
// segment behind an interprocess_mutex, Redis GET / SET / DEL. Metric:
// operations per second, all workers together (throughput_ops_per_s).
//
// Keys are 0 .. keys - 1, values message_size bytes. Worker i owns the keys
// k with k % workers == i: it is the only one that writes them, so it knows
// what each must hold at the end. Every operation draws its key uniformly:
//   find              any key (a hit must be an intact value of that key,
//                     written by the key's owner: else it counts as corrupt)
//   insert_or_assign  one of its own keys, a new version of the value
//   erase             one of its own keys
// in the proportions of the case's mix ([map] mixes):
//   read_mostly   90% find, 10% insert_or_assign
//   write_heavy   50% find, 40% insert_or_assign, 10% erase
//
// A value is a harness Message (message.h) whose sequence is (owner, index)
// with index = key | version << 24: its check bits and fill words catch a
// torn or corrupt value, the key in it a value filed under the wrong key.
//
// Protocol:
//   worker 0 creates the store; barrier 1; the others open it; each fills
//   its own keys (version 1); barrier 2; warm-up operations; begin_timed
//   (a barrier); timed operations (ops each, or for timed_ms); end_timed;
//   barrier 3 (nobody writes any more); each worker reads every key of its
//   own back and compares it with the version it wrote last (or absent after
//   an erase), tallying each expected and found (key, value) so the
//   repetition's verification compares the multisets, and adds its present
//   keys to the map's count; barrier 4; worker 0 checks that the store's
//   size() equals that count; barrier 5 (the creator removes the store after
//   it). A mismatch fails the repetition with the first keys that differ.
//
// (5) The present-key counts are added with relaxed fetch_adds before
// barrier 4 and read after it: (3)/(4) order them.
#include <array>
#include <atomic>

#include "common.h"
#include "zeroipc/baselines/kv_store.h"

namespace zeroipc::harness::workloads {

namespace {

constexpr const char* kPresentName = "map_present";  // the workers' count of present keys (one word)
constexpr std::uint64_t kKeyBits = 24;
constexpr std::uint64_t kMaxKeys = std::uint64_t{1} << kKeyBits;
constexpr std::uint64_t kVersionMask = (std::uint64_t{1} << (kIndexBits - kKeyBits)) - 1;

struct Mix {
  const char* name;
  unsigned find_percent, assign_percent;  // the rest: erase
};
constexpr std::array<Mix, 2> kMixes{{{"read_mostly", 90, 10}, {"write_heavy", 50, 40}}};

const Mix& mix_named(const std::string& name) {
  for (const auto& m : kMixes) {
    if (name == m.name) return m;
  }
  throw std::invalid_argument("map: unknown mix '" + name + "' (valid: read_mostly, write_heavy)");
}

std::uint64_t index_for(std::uint64_t key, std::uint64_t version) { return key | (version & kVersionMask) << kKeyBits; }

/// SplitMix64: the workers' random stream (seed + worker index).
struct Random {
  std::uint64_t state;
  std::uint64_t next() { return mix64(state++); }
  /// Uniform in [0, n), n > 0 (Lemire's multiply-shift; the bias is below 2^-40 for these n).
  std::uint64_t below(std::uint64_t n) {
    return static_cast<std::uint64_t>((static_cast<detail::u128>(next()) * n) >> 64);
  }
};

template <std::size_t S>
class MapWorker {
  using M = Message<S>;

 public:
  explicit MapWorker(Worker& w)
      : w_(w),
        mix_(mix_named(w.p.mix)),
        workers_(static_cast<std::uint64_t>(w.p.pus.size())),
        me_(static_cast<std::uint64_t>(w.index)),
        keys_(w.p.settings.at("keys").get<std::uint64_t>()),
        own_((keys_ - me_ + workers_ - 1) / workers_),
        version_(own_, 0),
        random_{w.p.settings.at("seed").get<std::uint64_t>() * 0x9E3779B97F4A7C15ull + me_} {}

  void run() {
    const auto spec = w_.p.store_spec();
    std::unique_ptr<baselines::KeyValueStore> store;
    if (w_.index == 0) store = baselines::make_store(spec, baselines::StoreRole::create);
    w_.barrier();  // 1: the store exists
    if (w_.index != 0) store = baselines::make_store(spec, baselines::StoreRole::open);
    w_.link_settings = store->settings();
    store_ = store.get();
    for (std::uint64_t j = 0; j < own_; ++j) assign(j);
    w_.barrier();  // 2: every key is there
    operations(w_.p.warmup, 0);
    w_.begin_timed();
    w_.timed_messages = operations(w_.p.timed, w_.p.duration_ns);
    w_.end_timed();
    w_.bytes = w_.timed_messages * S;
    w_.barrier();  // 3: nobody writes any more
    std::string problems = verify_own();
    w_.barrier();  // 4: every count is in, (5)
    if (w_.index == 0) {
      const std::uint64_t present = present_count().load(std::memory_order_relaxed);  // (5)
      const std::uint64_t size = store_->size();
      if (size != present) {
        problems += "the store holds " + std::to_string(size) + " keys, the workers' own keys say " +
                    std::to_string(present) + "; ";
      }
    }
    w_.barrier();  // 5: the creator may remove the store
    store.reset();
    if (!problems.empty()) throw std::runtime_error("map verification failed (" + spec.store + "): " + problems);
  }

 private:
  std::uint64_t own_key(std::uint64_t j) const { return me_ + j * workers_; }

  void assign(std::uint64_t j) {
    const std::uint64_t key = own_key(j);
    ++version_[j];
    if (version_[j] == 0) version_[j] = 1;  // 0 means absent
    M m;
    m.write(sequence_of(me_, index_for(key, version_[j])));
    store_->assign(key, reinterpret_cast<const std::byte*>(&m));
  }

  /// `count` operations, or with duration_ns as many as fit; returns how many ran.
  std::uint64_t operations(std::uint64_t count, std::uint64_t duration_ns) {
    const std::uint64_t deadline = duration_ns == 0 ? 0 : w_.now() + w_.ticks_for(duration_ns);
    M got;
    std::uint64_t n = 0;
    for (;; ++n) {
      if (deadline != 0 ? ((n & 63) == 0 && w_.now() >= deadline) : n == count) break;
      const auto dice = static_cast<unsigned>(random_.below(100));
      if (dice < mix_.find_percent) {
        const std::uint64_t key = random_.below(keys_);
        if (store_->find(key, reinterpret_cast<std::byte*>(&got)) && !belongs(got, key)) ++w_.tally.corrupt;
      } else {
        const std::uint64_t j = random_.below(own_);
        if (dice < mix_.find_percent + mix_.assign_percent) {
          assign(j);
        } else {
          store_->erase(own_key(j));
          version_[j] = 0;
        }
      }
      w_.count_message();
    }
    return n;
  }

  /// An intact value of `key`, written by its owner.
  bool belongs(const M& m, std::uint64_t key) const {
    const std::uint64_t seq = m.sequence();
    return m.intact() && producer_of(seq) == key % workers_ && (index_of(seq) & (kMaxKeys - 1)) == key;
  }

  /// Reads every own key back; tallies the expected and found (key, value)
  /// pairs, adds the present keys to the count; returns what differed.
  std::string verify_own() {
    constexpr std::uint64_t kAbsent = std::uint64_t{1} << 63;  // no sequence has this bit
    std::string problems;
    int listed = 0;
    std::uint64_t present = 0;
    M got;
    for (std::uint64_t j = 0; j < own_; ++j) {
      const std::uint64_t key = own_key(j);
      const std::uint64_t want =
          version_[j] == 0 ? kAbsent | key : header_of(sequence_of(me_, index_for(key, version_[j])));
      const bool found = store_->find(key, reinterpret_cast<std::byte*>(&got));
      const std::uint64_t have = !found ? kAbsent | key : got.intact() ? got.w[0] : ~std::uint64_t{0};
      w_.tally.on_send(want);
      w_.tally.on_receive(have);
      if (version_[j] != 0) ++present;
      if (have != want && listed++ < 3) {
        problems += "key " + std::to_string(key) + " holds " +
                    (!found ? std::string("nothing") : got.intact() ? "version " + std::to_string(index_of(got.sequence()) >> kKeyBits) : std::string("a corrupt value")) +
                    ", its owner (worker " + std::to_string(me_) + ") wrote " +
                    (version_[j] == 0 ? std::string("an erase") : "version " + std::to_string(version_[j] & kVersionMask)) +
                    " last; ";
      }
    }
    if (listed > 3) problems += std::to_string(listed - 3) + " more keys of worker " + std::to_string(me_) + " differ; ";
    present_count().fetch_add(present, std::memory_order_relaxed);  // (5)
    return problems;
  }

  std::atomic<std::uint64_t>& present_count() {
    if (!present_) present_.emplace(w_.mem, kPresentName);
    return *reinterpret_cast<std::atomic<std::uint64_t>*>(present_->data());
  }

  Worker& w_;
  const Mix& mix_;
  const std::uint64_t workers_, me_, keys_, own_;
  std::vector<std::uint64_t> version_;  // of each own key, last written; 0: absent
  Random random_;
  baselines::KeyValueStore* store_ = nullptr;
  std::optional<Array<std::uint64_t>> present_;
};

void work(Worker& w) {
  run::with_message_size(w.p.message_size, [&](auto size) {
    constexpr std::size_t S = decltype(size)::value;
    if constexpr (S <= 1024) {
      MapWorker<S>(w).run();
    } else {
      throw std::invalid_argument("map: value size " + std::to_string(S) + " is not compiled in");
    }
  });
}

std::string refusal(const CaseShape& s) {
  if (s.producers != s.consumers) {
    return "map: every worker reads and writes, so consumers must equal producers (found producers = " +
           std::to_string(s.producers) + ", consumers = " + std::to_string(s.consumers) + ")";
  }
  const auto& sizes = baselines::store_value_sizes();
  if (std::find(sizes.begin(), sizes.end(), s.message_size) == sizes.end()) {
    return "map: values of " + std::to_string(s.message_size) +
           " bytes are not compiled in (valid message_sizes: 8, 16, 32, 64, 128, 256, 1024)";
  }
  return "";
}

std::vector<std::string> mixes(const Config& c) { return c.get_strings("map", "mixes"); }

}  // namespace

const WorkloadDef& map() {
  static const WorkloadDef def{
      .name = "map",
      .summary = "map (a key-value mix of find / insert_or_assign / erase on one shared map; structure 'map' only)",
      .keys = {make_int_key("map", "keys", 4096, 1, static_cast<std::int64_t>(kMaxKeys),
                            "distinct keys (the map's capacity); worker i owns the keys k with k % workers == i"),
               make_key("map", "mixes", KeyType::string_list, nlohmann::json::array({"read_mostly", "write_heavy"}),
                        "operation mixes, one case each: read_mostly = 90% find, 10% insert_or_assign; "
                        "write_heavy = 50% find, 40% insert_or_assign, 10% erase",
                        {"read_mostly", "write_heavy"}),
               make_int_key("map", "ops", 200000, 1, kMaxCount, "timed operations per worker"),
               make_int_key("map", "warmup_ops", 20000, 0, kMaxCount, "untimed operations per worker before them"),
               make_int_key("map", "timed_ms", 0, 0, 3600000,
                            "when > 0: each worker runs timed operations for this long instead of [map] ops"),
               make_int_key("map", "op_seed", 1, 0, INT64_MAX, "seed of the workers' keys and operations")},
      .structures = {"map"},
      .wrong_structure = "map measures key-value stores",
      .refusal = refusal,
      .mixes = mixes,
      .workers = [](int producers, int) { return producers; },  // each worker both reads and writes
      .capacity_section = "map",
      .capacity_key = "keys",
      .capacity_at_least_workers = true,  // every worker owns a key
      .roles = {.split = Roles::Split::alike, .first = "worker"},
      .fill =
          [](const Config& c, RunParams& p) {
            p.warmup = u64(c, "map", "warmup_ops");
            p.timed = u64(c, "map", "ops");
            p.duration_ns = u64(c, "map", "timed_ms") * 1'000'000;
            if (p.duration_ns) p.timed = 0;
            p.settings["keys"] = u64(c, "map", "keys");
            p.settings["seed"] = u64(c, "map", "op_seed");
          },
      .arrays = [](const RunParams&) { return std::vector<SegmentArray>{{kPresentName, 1}}; },
      .run = work,
      .expected_sent = [](const RunParams& p) { return p.settings.at("keys").get<std::uint64_t>(); },
      .metrics = {.primary = "throughput_ops_per_s", .ops_per_s = true},
  };
  return def;
}

}  // namespace zeroipc::harness::workloads
