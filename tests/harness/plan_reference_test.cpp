// The harness's ceiling, structure "reference" (plan.cpp, run_layout.h):
// its one variant named in the case ids beside the queues', its 1p1c rule
// (a clear refusal for any other shape, a skip with skip_impossible), the
// workloads it runs (pingpong, streaming); and the ring itself
// (zeroipc/harness/reference_spsc.h): FIFO, full and empty, and what opening
// checks.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include <zeroipc/harness/config.h>
#include <zeroipc/harness/message.h>
#include <zeroipc/harness/plan.h>
#include <zeroipc/harness/reference_spsc.h>
#include <zeroipc/harness/worker.h>

#include "plan_test_support.h"

namespace {

using namespace zeroipc::harness;
using namespace zeroipc::harness::test;

Config config_of(const std::vector<std::string>& overrides) {
  Config c;
  c.apply_override("name=reference-test");
  c.apply_override("floor=false");
  for (const auto& o : overrides) c.apply_override(o);
  return c;
}

TEST(PlanReference, OneCasePerWorkloadAndSizeBesideTheQueues) {
  REQUIRE_TWO_CORES();
  const Plan p = make_plan(config_of({"workloads=pingpong,streaming", "structures=queue,reference",
                                      "variants=spsc_ring", "message_sizes=8,64"}),
                           topology());
  EXPECT_EQ(ids(p), (std::vector<std::string>{
                        "pingpong/queue/spsc_ring/8B/1p1c/different-cores",
                        "pingpong/queue/spsc_ring/64B/1p1c/different-cores",
                        "pingpong/reference/minimal_spsc/8B/1p1c/different-cores",
                        "pingpong/reference/minimal_spsc/64B/1p1c/different-cores",
                        "streaming/queue/spsc_ring/8B/1p1c/different-cores",
                        "streaming/queue/spsc_ring/64B/1p1c/different-cores",
                        "streaming/reference/minimal_spsc/8B/1p1c/different-cores",
                        "streaming/reference/minimal_spsc/64B/1p1c/different-cores"}));
  const CaseSpec* c = find_case(p, "streaming/reference/minimal_spsc/64B/1p1c/different-cores");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->structure, "reference");
  EXPECT_EQ(c->variant, kReferenceVariant);
  EXPECT_EQ(c->capacity, 1024u);  // streaming.capacity, like the queues'
  EXPECT_EQ(c->workers(), 2);
  EXPECT_TRUE(p.skipped.empty());
}

TEST(PlanReference, OtherShapesAreRefusedClearly) {
  const std::string two_producers =
      plan_error(config_of({"workloads=streaming", "structures=reference", "producers=2"}));
  EXPECT_TRUE(contains(two_producers, "streaming/reference/minimal_spsc/8B/2p1c/different-cores")) << two_producers;
  EXPECT_TRUE(contains(two_producers, "the reference ring is single-producer single-consumer")) << two_producers;
  EXPECT_TRUE(contains(two_producers, "producers = 1 and consumers = 1, not 2p1c")) << two_producers;

  const std::string two_consumers =
      plan_error(config_of({"workloads=pingpong", "structures=reference", "consumers=2"}));
  EXPECT_TRUE(contains(two_consumers, "the reference ring is single-producer single-consumer")) << two_consumers;

  const std::string burst = plan_error(config_of({"workloads=burst", "structures=reference"}));
  EXPECT_TRUE(contains(burst, "burst does not run on a reference")) << burst;
}

TEST(PlanReference, SkippedWithSkipImpossibleBesideAQueueThatRuns) {
  REQUIRE_TWO_CORES();
  const Plan p = make_plan(config_of({"workloads=streaming", "structures=queue,reference", "variants=vyukov_bounded",
                                      "producers=1,2", "skip_impossible=true", "oversubscribe=true"}),
                           topology());
  EXPECT_NE(find_case(p, "streaming/reference/minimal_spsc/8B/1p1c/different-cores"), nullptr);
  EXPECT_NE(find_case(p, "streaming/queue/vyukov_bounded/8B/2p1c/different-cores"), nullptr);
  EXPECT_EQ(find_case(p, "streaming/reference/minimal_spsc/8B/2p1c/different-cores"), nullptr);
  ASSERT_EQ(p.skipped.size(), 1u);
  EXPECT_EQ(p.skipped[0].id, "streaming/reference/minimal_spsc/8B/2p1c/different-cores");
  EXPECT_TRUE(contains(p.skipped[0].reason, "single-producer single-consumer")) << p.skipped[0].reason;
}

// Every message is verified; the stamps are sampled: streaming (a throughput)
// at least every 64th timed message, pingpong every round trip (up to 65536).
TEST(PlanReference, StreamingStampsEvery64thMessagePingpongEveryRoundTrip) {
  REQUIRE_TWO_CORES();
  const Config c = config_of({"workloads=pingpong,streaming", "structures=reference", "streaming.messages=200000",
                              "pingpong.round_trips=20000"});
  const Plan p = make_plan(c, topology());
  const RunParams streaming = make_run_params(
      *find_case(p, "streaming/reference/minimal_spsc/8B/1p1c/different-cores"), c, ClockCalibration{}, "/x");
  EXPECT_EQ(streaming.stride, 64u);
  EXPECT_EQ(streaming.samples, 200000u / 64);
  const RunParams pingpong = make_run_params(
      *find_case(p, "pingpong/reference/minimal_spsc/8B/1p1c/different-cores"), c, ClockCalibration{}, "/x");
  EXPECT_EQ(pingpong.stride, 1u);
  EXPECT_EQ(pingpong.samples, 20000u);
  // Beyond 64 x 65536 messages the stride grows to keep 65536 samples.
  Config many = c;
  many.apply_override("streaming.messages=10000000");
  const RunParams more = make_run_params(
      *find_case(make_plan(many, topology()), "streaming/reference/minimal_spsc/8B/1p1c/different-cores"), many,
      ClockCalibration{}, "/x");
  EXPECT_EQ(more.stride, 256u);
  EXPECT_LE(more.samples, 65536u);
}

// ---- the ring ---------------------------------------------------------------------

struct AlignedBytes {
  explicit AlignedBytes(std::size_t n) : size(n), at(::operator new(n, std::align_val_t{64})) {}
  ~AlignedBytes() { ::operator delete(at, std::align_val_t{64}); }
  std::size_t size;
  void* at;
};

TEST(ReferenceSpsc, FifoFullAndEmptyThroughTwoHandles) {
  using M = Message<64>;
  AlignedBytes mem(ReferenceSpsc<M>::bytes(8));
  ReferenceSpsc<M> producer(mem.at, 8);
  ReferenceSpsc<M> consumer(mem.at, mem.size, kOpenReference);
  EXPECT_EQ(consumer.capacity(), 8u);
  M m, got;
  EXPECT_FALSE(consumer.pop(got));
  for (std::uint64_t round = 0; round < 3; ++round) {  // wraps around the slots
    for (std::uint64_t i = 0; i < 8; ++i) {
      m.write(sequence_of(0, round * 8 + i));
      EXPECT_TRUE(producer.push(m));
    }
    m.write(sequence_of(0, 999));
    EXPECT_FALSE(producer.push(m));  // full
    for (std::uint64_t i = 0; i < 8; ++i) {
      ASSERT_TRUE(consumer.pop(got));
      EXPECT_TRUE(got.intact());
      EXPECT_EQ(got.sequence(), sequence_of(0, round * 8 + i));
    }
    EXPECT_FALSE(consumer.pop(got));  // empty
  }
}

TEST(ReferenceSpsc, CreateAndOpenCheckWhatTheyAreGiven) {
  AlignedBytes mem(ReferenceSpsc<std::uint64_t>::bytes(16) + 64);
  EXPECT_THROW(ReferenceSpsc<std::uint64_t>(mem.at, 12), std::invalid_argument);  // not a power of two
  EXPECT_THROW(ReferenceSpsc<std::uint64_t>(static_cast<char*>(mem.at) + 8, 16), std::invalid_argument);  // unaligned
  ReferenceSpsc<std::uint64_t> made(mem.at, 16);
  // Too few bytes for the capacity the header says, or slots of another size.
  try {
    ReferenceSpsc<std::uint64_t> small(mem.at, ReferenceSpsc<std::uint64_t>::bytes(8), kOpenReference);
    FAIL() << "opened 16 slots in the room of 8";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), "capacity 16")) << e.what();
  }
  try {
    ReferenceSpsc<Message<16>> other(mem.at, mem.size, kOpenReference);
    FAIL() << "opened 8-byte slots as 16-byte ones";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), "slots of 8 bytes, expected 16")) << e.what();
  }
  EXPECT_THROW(ReferenceSpsc<std::uint64_t>(mem.at, 64, kOpenReference), std::runtime_error);  // no room for the header
  ReferenceSpsc<std::uint64_t> opened(mem.at, mem.size, kOpenReference);
  EXPECT_EQ(opened.capacity(), 16u);
}

}  // namespace
