// tests/layout_c/layout_cxx_test.cpp — the C99 layout headers
// (zeroipc/layout/*.h) against the C++ implementation's own layout structs
// and size functions: both are written from SPECIFICATION.md, so every
// sizeof, offsetof and offset function must agree.
//
// Most checks are static_asserts (the C offset functions are constexpr when
// compiled as C++14 or later: ZEROIPC_LAYOUT_FN), so a disagreement fails to
// compile; the C++ functions that are not constexpr (the handles'
// total_size, codata/stream total_size, key_hash) are compared at run time.
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

#include <zeroipc/layout/layout.h>

#include "zeroipc/array.h"
#include "zeroipc/detail/channel_layout.h"
#include "zeroipc/detail/dtype.h"
#include "zeroipc/detail/layout.h"
#include "zeroipc/detail/stream_layout.h"
#include "zeroipc/future.h"
#include "zeroipc/registry.h"
#include "zeroipc/set.h"
#include "zeroipc/variants/detail/key_hash.h"
#include "zeroipc/variants/detail/op_slots.h"
#include "zeroipc/variants/detail/ring_math.h"
#include "zeroipc/variants/detail/tagged_list.h"

namespace {

namespace zd = zeroipc::detail;
namespace zv = zeroipc::variants;
namespace zvd = zeroipc::variants::detail;
namespace zs = zeroipc::detail::stream;

// A field of a C struct and of the C++ struct: same offset and same size.
#define SAME_FIELD_AS(CT, CPPT, cfield, cppfield)                                                  \
  static_assert(offsetof(CT, cfield) == offsetof(CPPT, cppfield), #CT "." #cfield ": offset");     \
  static_assert(sizeof(CT::cfield) == sizeof(CPPT::cppfield), #CT "." #cfield ": size")
// ... with the same name and the same declared type.
#define SAME_FIELD(CT, CPPT, field)                     \
  SAME_FIELD_AS(CT, CPPT, field, field);                \
  static_assert(std::is_same_v<decltype(CT::field), decltype(CPPT::field)>, #CT "." #field ": type")

// ------------------------------------------------------------------ plain data
template <class T>
constexpr bool kPlain = std::is_trivially_copyable_v<T> && std::is_standard_layout_v<T> &&
                        std::is_trivially_default_constructible_v<T>;
static_assert(kPlain<zeroipc_segment_header> && kPlain<zeroipc_attach_slot> && kPlain<zeroipc_table_entry> &&
              kPlain<zeroipc_struct_header> && kPlain<zeroipc_role> && kPlain<zeroipc_vyukov_body> &&
              kPlain<zeroipc_vyukov_cell> && kPlain<zeroipc_lcrq_body> && kPlain<zeroipc_lcrq_ring> &&
              kPlain<zeroipc_lcrq_cell> && kPlain<zeroipc_lcrq_node> && kPlain<zeroipc_scq_body> &&
              kPlain<zeroipc_scq_ring> && kPlain<zeroipc_scq_cell> && kPlain<zeroipc_spsc_body> && kPlain<zeroipc_locked_ring_body> &&
              kPlain<zeroipc_op_control> && kPlain<zeroipc_op_slot> && kPlain<zeroipc_op_area> &&
              kPlain<zeroipc_treiber_body> && kPlain<zeroipc_elimination_slot> &&
              kPlain<zeroipc_elimination_body> && kPlain<zeroipc_stack_node> && kPlain<zeroipc_codata> &&
              kPlain<zeroipc_stream_config> && kPlain<zeroipc_stream_subscriber_slot> && kPlain<zeroipc_stream> &&
              kPlain<zeroipc_stream_cell> && kPlain<zeroipc_channel_config> && kPlain<zeroipc_channel_layout> &&
              kPlain<zeroipc_keyed_config> && kPlain<zeroipc_probe_control> && kPlain<zeroipc_probe_slot> &&
              kPlain<zeroipc_pool_control> && kPlain<zeroipc_pool_handle> && kPlain<zeroipc_gated_reader_slot> &&
              kPlain<zeroipc_gated_ring_body>,
              "the C layout structs are plain data, overlaid on shared bytes");

// ------------------------------------------------------------------ one definition
// The C++ code uses the C structs themselves (detail/layout.h, future.h,
// stream_layout.h, channel_layout.h, op_slots.h): there is no second copy of
// these bytes to compare, only the fact that it is the same type.
static_assert(std::is_same_v<zd::SegmentHeader, zeroipc_segment_header> &&
              std::is_same_v<zd::AttachSlot, zeroipc_attach_slot> &&
              std::is_same_v<zd::TableEntry, zeroipc_table_entry> &&
              std::is_same_v<zd::StructHeader, zeroipc_struct_header> &&
              std::is_same_v<zvd::OpControl, zeroipc_op_control> && std::is_same_v<zvd::OpSlot, zeroipc_op_slot> &&
              std::is_same_v<zd::CodataLayout, zeroipc_codata> &&
              std::is_same_v<zs::StreamConfig, zeroipc_stream_config> &&
              std::is_same_v<zs::SubscriberSlot, zeroipc_stream_subscriber_slot> &&
              std::is_same_v<zs::StreamLayout, zeroipc_stream> && std::is_same_v<zd::ChannelLayout, zeroipc_channel_layout>,
              "the C++ implementation's layout structs are the C99 headers' structs");





// ------------------------------------------------------------------ §1-§6 constants
static_assert(std::string_view(ZEROIPC_SEGMENT_MAGIC, 4) == std::string_view(zd::kSegmentMagic, 4));
static_assert(std::string_view(ZEROIPC_STRUCT_MAGIC, 4) == std::string_view(zd::kStructMagic, 4));
static_assert(ZEROIPC_FORMAT_VERSION == zd::kFormatVersion);
static_assert(ZEROIPC_CACHE_LINE == zd::kCacheLine);
static_assert(ZEROIPC_ATTACH_OFFSET == zd::kAttachOffset);
static_assert(ZEROIPC_DEFAULT_ATTACH_CAPACITY == zd::kAttachCapacity);
static_assert(ZEROIPC_MAX_ATTACH_CAPACITY == zd::kMaxAttachCapacity);
static_assert(ZEROIPC_MAX_TABLE_CAPACITY == zd::kMaxTableCapacity);
static_assert(ZEROIPC_DEFAULT_TABLE_OFFSET == zd::kDefaultTableOffset);
static_assert(ZEROIPC_MAX_STRUCTURE_NAME_LENGTH == zd::kMaxStructureNameLength);
static_assert(ZEROIPC_MAX_SEGMENT_NAME_LENGTH == zd::kMaxSegmentNameLength);
static_assert(ZEROIPC_LOCK_WAITERS_BIT == zd::kLockWaitersBit);
static_assert(ZEROIPC_ENTRY_FREE == static_cast<std::uint32_t>(zd::EntryState::kFree) &&
              ZEROIPC_ENTRY_RESERVED == static_cast<std::uint32_t>(zd::EntryState::kReserved) &&
              ZEROIPC_ENTRY_READY == static_cast<std::uint32_t>(zd::EntryState::kReady));
static_assert(zeroipc_attach_pid(zeroipc_attach_owner(4321, 0x1234567)) == zd::attach_pid(zeroipc_attach_owner(4321, 0x1234567)));
static_assert(zeroipc_attach_key(zeroipc_attach_owner(4321, 0x1234567)) == zd::attach_key(zeroipc_attach_owner(4321, 0x1234567)));
static_assert(zeroipc_attach_key(zeroipc_attach_owner(4321, 0x1234567)) == 0x1234567);
static_assert(zeroipc_segment_data_offset(zd::kDefaultTableOffset, zd::kDefaultTableCapacity) ==
              zd::align64(zd::kDefaultTableOffset + 64 * zd::kDefaultTableCapacity));

constexpr unsigned kind(zd::Kind k) { return static_cast<unsigned>(k); }
static_assert(ZEROIPC_KIND_ARRAY == kind(zd::Kind::kArray) && ZEROIPC_KIND_QUEUE == kind(zd::Kind::kQueue) &&
              ZEROIPC_KIND_STACK == kind(zd::Kind::kStack) && ZEROIPC_KIND_MAP == kind(zd::Kind::kMap) &&
              ZEROIPC_KIND_SET == kind(zd::Kind::kSet) && ZEROIPC_KIND_POOL == kind(zd::Kind::kPool) &&
              ZEROIPC_KIND_RING == kind(zd::Kind::kRing) && ZEROIPC_KIND_FUTURE == kind(zd::Kind::kFuture) &&
              ZEROIPC_KIND_LAZY == kind(zd::Kind::kLazy) && ZEROIPC_KIND_STREAM == kind(zd::Kind::kStream) &&
              ZEROIPC_KIND_CHANNEL == kind(zd::Kind::kChannel),
              "spec 6.1");
static_assert(ZEROIPC_VARIANT_QUEUE_VYUKOV_BOUNDED == zv::vyukov_bounded::kId &&
              ZEROIPC_VARIANT_QUEUE_LCRQ == zv::lcrq::kId && ZEROIPC_VARIANT_QUEUE_SCQ == zv::scq::kId &&
              ZEROIPC_VARIANT_QUEUE_SPSC_RING == zv::spsc_ring::kId &&
              ZEROIPC_VARIANT_QUEUE_LOCKED_RING == zv::locked_ring::kId &&
              ZEROIPC_VARIANT_QUEUE_LCRQ_NODES == zv::lcrq_nodes::kId &&
              ZEROIPC_VARIANT_QUEUE_SCQ_INDICES == zv::scq_indices::kId &&
              ZEROIPC_VARIANT_STACK_TREIBER_TAGGED == zv::treiber_tagged::kId &&
              ZEROIPC_VARIANT_STACK_ELIMINATION_BACKOFF == zv::elimination_backoff::kId &&
              ZEROIPC_VARIANT_MAP_LOCKED_PROBE == zv::locked_probe::kId &&
              ZEROIPC_VARIANT_POOL_LOCKED_FREE_LIST == zv::locked_free_list::kId &&
              ZEROIPC_VARIANT_RING_GATED_RING == zv::gated_ring::kId,
              "spec 6.2");
constexpr unsigned dt(zd::DType d) { return static_cast<unsigned>(d); }
static_assert(ZEROIPC_DTYPE_OPAQUE == dt(zd::DType::kOpaque) && ZEROIPC_DTYPE_I8 == dt(zd::DType::kI8) &&
              ZEROIPC_DTYPE_U8 == dt(zd::DType::kU8) && ZEROIPC_DTYPE_I16 == dt(zd::DType::kI16) &&
              ZEROIPC_DTYPE_U16 == dt(zd::DType::kU16) && ZEROIPC_DTYPE_I32 == dt(zd::DType::kI32) &&
              ZEROIPC_DTYPE_U32 == dt(zd::DType::kU32) && ZEROIPC_DTYPE_I64 == dt(zd::DType::kI64) &&
              ZEROIPC_DTYPE_U64 == dt(zd::DType::kU64) && ZEROIPC_DTYPE_F32 == dt(zd::DType::kF32) &&
              ZEROIPC_DTYPE_F64 == dt(zd::DType::kF64) && ZEROIPC_DTYPE_BOOL == dt(zd::DType::kBool),
              "spec 6.3");

// ------------------------------------------------------------------ §7.7 op slots
static_assert(ZEROIPC_OP_SLOTS == zvd::kOpSlots && ZEROIPC_OP_SLOT_SIZE == zvd::kOpSlotBytes &&
              ZEROIPC_OP_AREA_SIZE == zvd::kOpAreaBytes && sizeof(zeroipc_op_area) == zvd::kOpAreaBytes);

// ------------------------------------------------------------------ §7.2 queue bodies: fixed parts
static_assert(ZEROIPC_QUEUE_MAX_CAPACITY == zvd::kMaxRingCapacity);
static_assert(ZEROIPC_LCRQ_OPS_OFFSET == zv::lcrq::kOpsOffset &&
              offsetof(zeroipc_lcrq_body, ops) == zv::lcrq::kOpsOffset);
static_assert(ZEROIPC_LCRQ_RINGS_OFFSET == zv::lcrq::kRingsOffset && sizeof(zeroipc_lcrq_body) == zv::lcrq::kRingsOffset);
static_assert(ZEROIPC_LCRQ_MAX_CAPACITY == zv::lcrq::kMaxCapacity && ZEROIPC_LCRQ_MAX_RING_SIZE == zv::lcrq::kMaxRingSize);
static_assert(ZEROIPC_LCRQ_FLAG == zv::lcrq_detail::kFlag && ZEROIPC_LCRQ_POSITION_MASK == zv::lcrq_detail::NodeCells::kMask &&
              ZEROIPC_LCRQ_FULL == zv::lcrq_detail::kHolds && ZEROIPC_LCRQ_DIRECT_POSITION_MASK == zv::lcrq_detail::DirectCells::kMask);
static_assert(ZEROIPC_LCRQ_RING_FREE == zv::lcrq_detail::kFree && ZEROIPC_LCRQ_RING_ALLOCATED == zv::lcrq_detail::kAlloc &&
              ZEROIPC_LCRQ_RING_LINKED == zv::lcrq_detail::kLinked && ZEROIPC_LCRQ_RING_RETIRED == zv::lcrq_detail::kRetired);
static_assert(ZEROIPC_SCQ_AQ_OFFSET == zv::scq::kAqOffset && sizeof(zeroipc_scq_body) == zv::scq::kAqOffset);
static_assert(ZEROIPC_SCQ_RING_OFFSET == zv::scq::kRingOffset && ZEROIPC_SCQ_CELL_SIZE == sizeof(zv::scq_detail::Cell) &&
              offsetof(zeroipc_scq_cell, word) == offsetof(zv::scq_detail::Cell, word) &&
              offsetof(zeroipc_scq_cell, value) == offsetof(zv::scq_detail::Cell, value));
static_assert(ZEROIPC_SCQ_MAX_DIRECT_SIZE == zv::scq::kMaxDirectSize && ZEROIPC_SCQ_FULL_INDEX == zv::scq_detail::CellRing::kFull);
static_assert(ZEROIPC_TREIBER_OPS_OFFSET == zv::treiber_tagged::kOpsOffset &&
              offsetof(zeroipc_treiber_body, ops) == zv::treiber_tagged::kOpsOffset);
static_assert(ZEROIPC_TREIBER_NODES_OFFSET == zv::treiber_tagged::kNodesOffset &&
              sizeof(zeroipc_treiber_body) == zv::treiber_tagged::kNodesOffset);
static_assert(ZEROIPC_ELIMINATION_SLOTS == zv::elimination_backoff::kSlots);
static_assert(ZEROIPC_ELIMINATION_OPS_OFFSET == zv::elimination_backoff::kOpsOffset &&
              offsetof(zeroipc_elimination_body, ops) == zv::elimination_backoff::kOpsOffset);
static_assert(ZEROIPC_ELIMINATION_NODES_OFFSET == zv::elimination_backoff::kNodesOffset &&
              sizeof(zeroipc_elimination_body) == zv::elimination_backoff::kNodesOffset);
static_assert(ZEROIPC_PROBE_MAX_CAPACITY == zv::locked_probe::kMaxCapacity);
static_assert(ZEROIPC_PROBE_SLOT_EMPTY == zv::locked_probe::kEmpty && ZEROIPC_PROBE_SLOT_FULL == zv::locked_probe::kFull &&
              ZEROIPC_PROBE_SLOT_TOMBSTONE == zv::locked_probe::kTombstone);
static_assert(ZEROIPC_POOL_MAX_CAPACITY == zv::locked_free_list::kMaxCapacity);
static_assert(sizeof(zeroipc_pool_handle) == sizeof(zv::locked_free_list::Handle));
SAME_FIELD(zeroipc_pool_handle, zv::locked_free_list::Handle, index);
SAME_FIELD(zeroipc_pool_handle, zv::locked_free_list::Handle, generation);
SAME_FIELD(zeroipc_pool_handle, zv::locked_free_list::Handle, pool_id);
static_assert(ZEROIPC_GATED_RING_DATA_OFFSET == zv::gated_ring::kDataOffset &&
              sizeof(zeroipc_gated_ring_body) == zv::gated_ring::kDataOffset);
static_assert(ZEROIPC_GATED_RING_READERS == zv::gated_ring::kReaders);
static_assert(ZEROIPC_GATED_RING_MAX_CAPACITY == zv::gated_ring::kMaxCapacity);

// ------------------------------------------------------------------ §7.4 codata
static_assert(sizeof(zeroipc_codata) == sizeof(zd::CodataLayout) && sizeof(zeroipc_codata) == zd::kCodataValueOffset);
static_assert(ZEROIPC_CODATA_ERROR_OFFSET == zd::kCodataErrorOffset && ZEROIPC_CODATA_ERROR_SIZE == zd::kCodataErrorBytes);
static_assert(ZEROIPC_CODATA_PHASE_MASK == zd::codata::kPhaseMask &&
              ZEROIPC_CODATA_SEQUENCE_SHIFT == zd::codata::kSequenceShift &&
              ZEROIPC_CODATA_SEQUENCE_MASK == zd::codata::kSequenceMask);
static_assert(zeroipc_codata_make(0x1234567, 3, 0x7ABCDEF0) == zd::codata::make(0x1234567, 3, 0x7ABCDEF0));
static_assert(zeroipc_codata_make(0xFFFFFFFF, 15, 1) == zd::codata::make(0xFFFFFFFF, 15, 1));
static_assert(zeroipc_codata_phase(0xDEADBEEFCAFEF00Dull) == zd::codata::phase(0xDEADBEEFCAFEF00Dull) &&
              zeroipc_codata_sequence(0xDEADBEEFCAFEF00Dull) == zd::codata::sequence(0xDEADBEEFCAFEF00Dull) &&
              zeroipc_codata_owner(0xDEADBEEFCAFEF00Dull) == zd::codata::owner(0xDEADBEEFCAFEF00Dull));

// ------------------------------------------------------------------ §7.5 stream
static_assert(sizeof(zeroipc_stream) == sizeof(zs::StreamLayout) && sizeof(zeroipc_stream) == zs::kRingOffset);
static_assert(ZEROIPC_STREAM_SUBSCRIBER_SLOTS == zs::kSubscriberSlots && ZEROIPC_STREAM_MAX_CAPACITY == zs::kMaxCapacity &&
              ZEROIPC_STREAM_MAX_ELEMENT_SIZE == zs::kMaxElementSize &&
              ZEROIPC_STREAM_PRODUCER_OFFSET == zs::kProducerOffset &&
              ZEROIPC_STREAM_PUBLISHED_OFFSET == zs::kPublishedOffset &&
              ZEROIPC_STREAM_BACKPRESSURE_OFFSET == zs::kBackpressureOffset &&
              ZEROIPC_STREAM_SLOTS_OFFSET == zs::kSlotsOffset && ZEROIPC_STREAM_SLOT_SIZE == zs::kSlotBytes &&
              ZEROIPC_STREAM_CELLS_OFFSET == zs::kRingOffset && ZEROIPC_STREAM_CELL_ELEMENT_OFFSET == zs::kCellHeader);
static_assert(ZEROIPC_STREAM_OPEN == static_cast<unsigned>(zs::EndReason::open) &&
              ZEROIPC_STREAM_CLOSED == static_cast<unsigned>(zs::EndReason::closed) &&
              ZEROIPC_STREAM_PRODUCER_GONE == static_cast<unsigned>(zs::EndReason::producer_gone) &&
              ZEROIPC_STREAM_OPERATOR_STOPPED == static_cast<unsigned>(zs::EndReason::operator_stopped) &&
              ZEROIPC_STREAM_OPERATOR_FAILED == static_cast<unsigned>(zs::EndReason::operator_failed));
static_assert(ZEROIPC_STREAM_ORIGIN_EMIT == static_cast<unsigned>(zs::Origin::emit) &&
              ZEROIPC_STREAM_ORIGIN_MAP == static_cast<unsigned>(zs::Origin::map) &&
              ZEROIPC_STREAM_ORIGIN_FILTER == static_cast<unsigned>(zs::Origin::filter) &&
              ZEROIPC_STREAM_ORIGIN_FOLD == static_cast<unsigned>(zs::Origin::fold) &&
              ZEROIPC_STREAM_ORIGIN_TAKE == static_cast<unsigned>(zs::Origin::take) &&
              ZEROIPC_STREAM_ORIGIN_SKIP == static_cast<unsigned>(zs::Origin::skip) &&
              ZEROIPC_STREAM_ORIGIN_WINDOW_COUNT == static_cast<unsigned>(zs::Origin::window_count) &&
              ZEROIPC_STREAM_ORIGIN_WINDOW_TIME == static_cast<unsigned>(zs::Origin::window_time) &&
              ZEROIPC_STREAM_ORIGIN_MERGE == static_cast<unsigned>(zs::Origin::merge) &&
              ZEROIPC_STREAM_ORIGIN_ZIP == static_cast<unsigned>(zs::Origin::zip) &&
              ZEROIPC_STREAM_ORIGIN_UNFOLD == static_cast<unsigned>(zs::Origin::unfold));
static_assert(ZEROIPC_STREAM_SLOT_FREE == zs::slot::kFree && ZEROIPC_STREAM_SLOT_JOINING == zs::slot::kJoining &&
              ZEROIPC_STREAM_SLOT_ACTIVE == zs::slot::kActive);
static_assert(zeroipc_stream_count(0x1235) == zs::count_of(0x1235) && zeroipc_stream_closed(0x1235) == zs::closed_in(0x1235));

// ------------------------------------------------------------------ §7.6 channel
static_assert(sizeof(zeroipc_channel_layout) == sizeof(zd::ChannelLayout) && sizeof(zeroipc_channel_layout) == zd::kChannelCellsOffset);
static_assert(ZEROIPC_CHANNEL_CAPACITY_FIELD == zd::kChannelCapacityField &&
              ZEROIPC_KIND_SPECIFIC_OFFSET + offsetof(zeroipc_channel_config, channel_capacity) == zd::kChannelCapacityField);
static_assert(ZEROIPC_CHANNEL_MAX_CELLS == zd::kMaxChannelCapacity);
static_assert(ZEROIPC_CHANNEL_HANDOFF_EMPTY == zd::channel::kEmpty && ZEROIPC_CHANNEL_HANDOFF_OFFERED == zd::channel::kOffered);

// ------------------------------------------------------------------ offset functions, at compile time
constexpr std::array<std::uint64_t, 44> kCapacities = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 100, 1000, 1023, 1024, 1025, 2047, 2048, 4096, 5000,
    65535, 65536, std::uint64_t{1} << 20, (std::uint64_t{1} << 20) + 1,
    (std::uint64_t{1} << 31) - 1, std::uint64_t{1} << 31, (std::uint64_t{1} << 31) + 1,
    0xFFFFFFFEull, 0xFFFFFFFFull, std::uint64_t{1} << 32, (std::uint64_t{1} << 32) + 1,
    std::uint64_t{3} << 30, (std::uint64_t{3} << 30) + 1, std::uint64_t{1} << 40, (std::uint64_t{1} << 40) + 1,
    std::uint64_t{1} << 41, std::uint64_t{1} << 47, (std::uint64_t{1} << 47) + 3, std::uint64_t{1} << 48,
    (std::uint64_t{1} << 48) + 1, std::uint64_t{1} << 50, 123456789};
constexpr std::array<std::uint32_t, 20> kElementSizes = {
    0, 1, 2, 3, 4, 6, 7, 8, 9, 12, 16, 24, 63, 64, 65, 1000, 4096, 1u << 20, (1u << 20) + 1, 0xFFFFFFFFu};

// The capacities every variant accepts, for the C++ helpers that are only
// defined there (ring_slots: bit_ceil of a valid capacity).
constexpr bool queue_capacity(std::uint64_t c) { return c >= 1 && c <= zvd::kMaxRingCapacity; }

constexpr bool queue_functions_agree() {
  for (const std::uint64_t c : kCapacities) {
    if (queue_capacity(c)) {
      const std::uint64_t n = zvd::ring_slots(c);
      if (zeroipc_queue_ring_slots(c) != n) return false;
      if (zeroipc_lcrq_ring_size(c) != zv::lcrq::ring_size(c)) return false;
      if (zeroipc_lcrq_ring_count(c) != zv::lcrq::ring_count(c)) return false;
      if (zeroipc_lcrq_ring_bytes(c) != zv::lcrq::ring_bytes(c)) return false;
      if (zeroipc_lcrq_nodes_offset(c) != zv::lcrq::nodes_offset(c)) return false;
      if (zeroipc_scq_ring_bytes(c) != zv::scq::ring_bytes(n)) return false;
      if (zeroipc_scq_fq_offset(c) != zv::scq::fq_offset(n)) return false;
      if (zeroipc_scq_data_offset(c) != zv::scq::data_offset(n)) return false;
      if (zeroipc_scq_cell_ring_bytes(c) != zv::scq::cell_ring_bytes(n)) return false;
    }
    for (const std::uint32_t e : kElementSizes) {
      if (zeroipc_vyukov_body_size(c, e) != zv::vyukov_bounded::body_size(c, e)) return false;
      if (zeroipc_lcrq_body_size(c, e) != zv::lcrq::body_size(c, e)) return false;
      if (zeroipc_scq_body_size(c, e) != zv::scq::body_size(c, e)) return false;
      if (zeroipc_scq_indices_body_size(c, e) != zv::scq_indices::body_size(c, e)) return false;
      if (zeroipc_spsc_body_size(c, e) != zv::spsc_ring::body_size(c, e)) return false;
      if (zeroipc_locked_ring_body_size(c, e) != zv::locked_ring::body_size(c, e)) return false;
    }
  }
  for (const std::uint32_t e : kElementSizes) {
    if (zeroipc_vyukov_stride(e) != zv::vyukov_bounded::stride(e)) return false;
    if (zeroipc_lcrq_stride(e) != zvd::node_stride(e)) return false;
  }
  return true;
}
static_assert(queue_functions_agree(), "spec 7.2: the C queue offset functions equal the C++ variants'");

constexpr bool stack_functions_agree() {
  for (const std::uint64_t c : kCapacities) {
    for (const std::uint32_t e : kElementSizes) {
      if (zeroipc_treiber_body_size(c, e) != zv::treiber_tagged::body_size(c, e)) return false;
      if (zeroipc_elimination_body_size(c, e) != zv::elimination_backoff::body_size(c, e)) return false;
    }
  }
  for (const std::uint32_t e : kElementSizes) {
    if (zeroipc_stack_stride(e) != zv::treiber_tagged::stride(e)) return false;
    if (zeroipc_stack_stride(e) != zv::elimination_backoff::stride(e)) return false;
  }
  return true;
}
static_assert(stack_functions_agree(), "spec 7.3: the C stack offset functions equal the C++ variants'");

constexpr bool keyed_functions_agree() {
  for (const std::uint64_t c : kCapacities) {
    if (c >= 1 && c <= zv::locked_probe::kMaxCapacity) {
      if (zeroipc_probe_table_size(c) != zv::locked_probe::table_size(c)) return false;
    }
    for (const std::uint32_t k : kElementSizes) {
      for (const std::uint32_t v : {0u, 1u, 6u, 8u, 9u, 64u, 65u, 1000u}) {
        if (zeroipc_probe_body_size(c, k, v) != zv::locked_probe::body_size(c, k, v)) return false;
      }
    }
  }
  for (const std::uint32_t k : kElementSizes) {
    for (const std::uint32_t v : kElementSizes) {
      if (zeroipc_probe_stride(k, v) != zv::locked_probe::stride(k, v)) return false;
    }
    if (zeroipc_probe_tables_offset(k) != zv::locked_probe::tables_offset(k)) return false;
  }
  return true;
}
static_assert(keyed_functions_agree(), "spec 7.8.1: the C locked_probe functions equal the C++ variant's");

constexpr bool pool_and_ring_functions_agree() {
  for (const std::uint64_t c : kCapacities) {
    if (c <= zv::locked_free_list::kMaxCapacity) {
      if (zeroipc_pool_states_offset(c) != zv::locked_free_list::states_offset(c)) return false;
      if (zeroipc_pool_objects_offset(c) != zv::locked_free_list::objects_offset(c)) return false;
    }
    for (const std::uint32_t e : kElementSizes) {
      if (zeroipc_pool_body_size(c, e) != zv::locked_free_list::body_size(c, e)) return false;
      if (zeroipc_gated_ring_body_size(c, e) != zv::gated_ring::body_size(c, e)) return false;
    }
  }
  return true;
}
static_assert(pool_and_ring_functions_agree(), "spec 7.9.1, 7.10.1: the C pool and ring functions equal the C++ ones");

constexpr bool channel_and_stream_functions_agree() {
  for (const std::uint64_t c : kCapacities) {
    for (const std::uint32_t e : kElementSizes) {
      if (zeroipc_channel_total_size(c, e) != zd::channel::total_size(c, e)) return false;
    }
    if (c >= 1 && c <= zd::kMaxChannelCapacity && zeroipc_channel_slots(c) != zd::channel::slot_count(c)) return false;
  }
  for (const std::uint32_t e : kElementSizes) {
    if (zeroipc_stream_stride(e) != zs::stride_of(e)) return false;
  }
  return true;
}
static_assert(channel_and_stream_functions_agree(), "spec 7.5, 7.6: the C channel and stream functions equal the C++ ones");

// Every number tests/layout_c/layout_c99_test.c checks at run time (derived
// by hand from the specification), checked here at compile time as well:
// the C functions are the same source, constexpr in C++.
static_assert((zeroipc_align8(0)) == (0));
static_assert((zeroipc_align8(13)) == (16));
static_assert((zeroipc_align64(1)) == (64));
static_assert((zeroipc_align64(4000)) == (4032));
static_assert((zeroipc_bit_ceil(0)) == (1));
static_assert((zeroipc_bit_ceil(1)) == (1));
static_assert((zeroipc_bit_ceil(3)) == (4));
static_assert((zeroipc_bit_ceil(1000)) == (1024));
static_assert((zeroipc_bit_ceil(UINT64_C(1) << 63)) == (UINT64_C(1) << 63));
static_assert((zeroipc_bit_ceil((UINT64_C(1) << 63) + 1)) == (0));
static_assert((zeroipc_queue_ring_slots(1)) == (2));
static_assert((zeroipc_queue_ring_slots(2)) == (2));
static_assert((zeroipc_queue_ring_slots(6)) == (8));
static_assert((zeroipc_queue_ring_slots(1000)) == (1024));
static_assert((sizeof(zeroipc_segment_header)) == (128));
static_assert((zeroipc_attach_slot_offset(63)) == (128 + 63 * 16));
static_assert((zeroipc_segment_data_offset(ZEROIPC_DEFAULT_TABLE_OFFSET, 64)) == (1152 + 64 * 64));
static_assert((zeroipc_segment_data_offset(1152, 1)) == (1216));
static_assert((zeroipc_table_entry_offset(1152, 3)) == (1152 + 3 * 64));
static_assert((zeroipc_attach_owner(1234, 0x7654321)) == ((UINT64_C(0x7654321) << 32) | 1234));
static_assert((zeroipc_attach_pid(zeroipc_attach_owner(1234, 0x7654321))) == (1234));
static_assert((zeroipc_attach_key(zeroipc_attach_owner(1234, 0x7654321))) == (0x7654321));
static_assert((zeroipc_array_total_size(6, 4)) == (64 + 24));
static_assert((zeroipc_array_total_size(0, 4)) == (0));
static_assert((zeroipc_array_total_size(UINT64_MAX / 2, 4)) == (0));
static_assert((zeroipc_vyukov_stride(8)) == (16));
static_assert((zeroipc_vyukov_stride(5)) == (16));
static_assert((zeroipc_vyukov_stride(12)) == (24));
static_assert((zeroipc_vyukov_body_size(8, 8)) == (128 + 8 * 16));
static_assert((zeroipc_vyukov_total_size(8, 8)) == (64 + 256));
static_assert((zeroipc_vyukov_body_size(6, 5)) == (128 + 8 * 16));
static_assert((zeroipc_vyukov_body_size(1000, 12)) == (128 + 1024 * 24));
static_assert((zeroipc_vyukov_body_size(1, 1)) == (128 + 2 * 16));
static_assert((zeroipc_vyukov_body_size(0, 8)) == (0));
static_assert((zeroipc_vyukov_body_size(8, 0)) == (0));
static_assert((zeroipc_vyukov_body_size((UINT64_C(1) << 40) + 1, 8)) == (0));
static_assert((zeroipc_vyukov_cell_offset(8, 8, 11)) == (128 + 3 * 16));
static_assert((zeroipc_lcrq_ring_size(8)) == (8));
static_assert((zeroipc_lcrq_ring_count(8)) == (4));
static_assert((zeroipc_lcrq_ring_bytes(8)) == (192 + 16 * 8));
static_assert((zeroipc_lcrq_nodes_offset(8)) == (8576 + 4 * 320));
static_assert((zeroipc_lcrq_body_size(8, 8)) == (9856));
static_assert((zeroipc_lcrq_nodes_body_size(8, 8)) == (9856 + 8 * 16));
static_assert((zeroipc_lcrq_body_size(8, 9)) == (9856 + 8 * 24));
static_assert((zeroipc_lcrq_nodes_offset(1000)) == (8576 + 4 * (192 + 16 * 1024)));
static_assert((zeroipc_lcrq_body_size(1000, 4)) == (74880));
static_assert((zeroipc_lcrq_nodes_body_size(1000, 4)) == (74880 + 1000 * 16));
static_assert((zeroipc_lcrq_ring_size(5000)) == (1024));
static_assert((zeroipc_lcrq_ring_count(5000)) == (11));
static_assert((zeroipc_lcrq_nodes_offset(5000)) == (8576 + 11 * 16576));
static_assert((zeroipc_lcrq_nodes_offset(1)) == (8576 + 4 * (192 + 16 * 2)));
static_assert((zeroipc_lcrq_ring_offset(8, 2)) == (8576 + 2 * 320));
static_assert((zeroipc_lcrq_cell_offset(8, 13)) == (192 + 16 * 5));
static_assert((zeroipc_lcrq_node_offset(8, 8, 1)) == (9856));
static_assert((zeroipc_lcrq_node_offset(8, 8, 3)) == (9856 + 2 * 16));
static_assert((zeroipc_lcrq_body_size((UINT64_C(1) << 31) + 1, 8)) == (0));
static_assert((zeroipc_scq_ring_bytes(8)) == (192 + 16 * 8));
static_assert((zeroipc_scq_fq_offset(8)) == (8256 + 320));
static_assert((zeroipc_scq_data_offset(8)) == (8256 + 640));
static_assert((zeroipc_scq_body_size(8, 8)) == (8256 + 192 + 32 * 8));
static_assert((zeroipc_scq_body_size(6, 4)) == (8704));
static_assert((zeroipc_scq_body_size(8, 9)) == (8896 + 72));
static_assert((zeroipc_scq_indices_body_size(8, 8)) == (8896 + 64));
static_assert((zeroipc_scq_indices_body_size(6, 4)) == (8896 + 24));
static_assert((zeroipc_scq_cell_ring_bytes(8)) == (192 + 32 * 8));
static_assert((zeroipc_scq_cell_remap(8, 1)) == (4));
static_assert((zeroipc_scq_cell_remap(8, 4)) == (1));
static_assert((zeroipc_scq_cell_remap(8, 5)) == (5));
static_assert((zeroipc_scq_cell_remap(8, 16 + 5)) == (5));
static_assert((zeroipc_scq_cell_remap(2, 3)) == (3));
static_assert((zeroipc_scq_cell_offset(8, 5)) == (192 + 16 * 5));
static_assert((zeroipc_scq_total_size(8, 8)) == (64 + 8704));
static_assert((zeroipc_scq_indices_total_size(8, 8)) == (64 + 8960));
static_assert((zeroipc_scq_data_offset(1000)) == (8256 + 2 * (192 + 16 * 1024)));
static_assert((zeroipc_scq_remap(8, 1)) == (2));
static_assert((zeroipc_scq_remap(8, 8)) == (1));
static_assert((zeroipc_scq_remap(8, 9)) == (3));
static_assert((zeroipc_scq_remap(8, 16 + 9)) == (3));
static_assert((zeroipc_scq_remap(2, 3)) == (3));
static_assert((zeroipc_scq_entry_offset(8, 9)) == (192 + 8 * 3));
static_assert((zeroipc_scq_order(8)) == (3));
static_assert((zeroipc_scq_no_index(8)) == (15));
static_assert((zeroipc_spsc_body_size(8, 8)) == (192 + 64));
static_assert((zeroipc_spsc_body_size(1000, 1)) == (192 + 1024));
static_assert((zeroipc_spsc_slot_offset(6, 4, 9)) == (192 + 1 * 4));
static_assert((zeroipc_locked_ring_body_size(3, 8)) == (128 + 4 * 8));
static_assert((zeroipc_locked_ring_total_size(3, 8)) == (64 + 160));
static_assert((zeroipc_stack_stride(8)) == (16));
static_assert((zeroipc_treiber_body_size(10, 8)) == (8384 + 160));
static_assert((zeroipc_elimination_body_size(10, 8)) == (9408 + 160));
static_assert((zeroipc_treiber_body_size(UINT64_C(0xFFFFFFFF), 8)) == (0));
static_assert((zeroipc_treiber_body_size(UINT64_C(0xFFFFFFFE), 1)) == (8384 + UINT64_C(0xFFFFFFFE) * 16));
static_assert((zeroipc_elimination_slot_offset(15)) == (128 + 15 * 64));
static_assert((zeroipc_treiber_node_offset(6, 2)) == (8384 + 2 * 16));
static_assert((zeroipc_op_slot_offset(127)) == (64 + 127 * 64));
static_assert((sizeof(zeroipc_op_area)) == (8256));
static_assert((zeroipc_codata_total_size(1, 1)) == (392));
static_assert((zeroipc_codata_total_size(1, 8)) == (392));
static_assert((zeroipc_codata_total_size(1, 9)) == (400));
static_assert((zeroipc_codata_total_size(2, 8)) == (0));
static_assert((zeroipc_codata_make(5, ZEROIPC_FUTURE_READY, 77)) == ((UINT64_C(77) << 32) | (5u << 4) | 2u));
static_assert((zeroipc_codata_phase(zeroipc_codata_make(5, ZEROIPC_FUTURE_READY, 77))) == (2));
static_assert((zeroipc_codata_sequence(zeroipc_codata_make(0x10000000u, 0, 0))) == (0));
static_assert((zeroipc_stream_stride(1000)) == (1008));
static_assert((zeroipc_stream_total_size(1024, 1000)) == (4352 + 1024 * 1008));
static_assert((zeroipc_stream_total_size(1000, 8)) == (0));
static_assert((zeroipc_stream_total_size(1, 1)) == (4352 + 16));
static_assert((zeroipc_stream_cell_offset(8, 8, 9)) == (4352 + 16));
static_assert((zeroipc_stream_slot_offset(63)) == (256 + 63 * 64));
static_assert((zeroipc_channel_total_size(zeroipc_channel_cells(0), 8)) == (448 + 8));
static_assert((zeroipc_channel_total_size(1000, 4)) == (448 + 1024 * 4));
static_assert((zeroipc_channel_total_size((UINT64_C(1) << 31) + 1, 4)) == (0));
static_assert((zeroipc_probe_table_size(100)) == (256));
static_assert((zeroipc_probe_table_size(6)) == (8));
static_assert((zeroipc_probe_table_size(1)) == (2));
static_assert((zeroipc_probe_stride(8, 8)) == (24));
static_assert((zeroipc_probe_stride(6, 0)) == (16));
static_assert((zeroipc_probe_tables_offset(8)) == (192));
static_assert((zeroipc_probe_body_size(100, 8, 8)) == (192 + 2 * 256 * 24));
static_assert((zeroipc_probe_body_size(6, 6, 0)) == (128 + 2 * 8 * 16));
static_assert((zeroipc_probe_table_offset(100, 8, 8, 1)) == (192 + 256 * 24));
static_assert((zeroipc_probe_slot_value_offset(6)) == (16));
static_assert((zeroipc_pool_states_offset(10)) == (192));
static_assert((zeroipc_pool_objects_offset(10)) == (320));
static_assert((zeroipc_pool_body_size(10, 24)) == (560));
static_assert((zeroipc_pool_objects_offset(1000)) == (128 + 4032 + 8000));
static_assert((zeroipc_pool_state_acquired(3, 5)) == ((UINT64_C(3) << 32) | (5u << 1) | 1u));
static_assert((zeroipc_gated_ring_body_size(6, 4)) == (4224 + 24));
static_assert((zeroipc_gated_ring_element_offset(6, 4, 13)) == (4224 + 1 * 4));
static_assert((zeroipc_gated_ring_body_size((UINT64_C(1) << 48) + 1, 1)) == (0));
static_assert(zeroipc_fmix64(0) == zvd::fmix64(0) && zeroipc_fmix64(0x0123456789ABCDEFull) == zvd::fmix64(0x0123456789ABCDEFull));
static_assert(zeroipc_scq_order(1) == 1 && zeroipc_scq_order(1000) == 10 &&
              zeroipc_scq_order(std::uint64_t{1} << 40) == 40);

// ------------------------------------------------------------------ run time: what C++ does not make constexpr

TEST(LayoutC, TotalSizesMatchTheHandles) {
  for (const std::uint64_t c : kCapacities) {
    for (const std::uint32_t e : kElementSizes) {
      SCOPED_TRACE("capacity " + std::to_string(c) + ", element size " + std::to_string(e));
      EXPECT_EQ(zeroipc_array_total_size(c, e), zeroipc::Array<std::uint64_t>::total_size(c, e));
      EXPECT_EQ(zeroipc_vyukov_total_size(c, e), (zeroipc::Queue<std::uint64_t, zv::vyukov_bounded>::total_size(c, e)));
      EXPECT_EQ(zeroipc_lcrq_total_size(c, e), (zeroipc::Queue<std::uint64_t, zv::lcrq>::total_size(c, e)));
      EXPECT_EQ(zeroipc_scq_total_size(c, e), (zeroipc::Queue<std::uint64_t, zv::scq>::total_size(c, e)));
      EXPECT_EQ(zeroipc_scq_indices_total_size(c, e), (zeroipc::Queue<std::uint64_t, zv::scq_indices>::total_size(c, e)));
      EXPECT_EQ(zeroipc_spsc_total_size(c, e), (zeroipc::Queue<std::uint64_t, zv::spsc_ring>::total_size(c, e)));
      EXPECT_EQ(zeroipc_locked_ring_total_size(c, e), (zeroipc::Queue<std::uint64_t, zv::locked_ring>::total_size(c, e)));
      EXPECT_EQ(zeroipc_treiber_total_size(c, e), (zeroipc::Stack<std::uint64_t, zv::treiber_tagged>::total_size(c, e)));
      EXPECT_EQ(zeroipc_elimination_total_size(c, e),
                (zeroipc::Stack<std::uint64_t, zv::elimination_backoff>::total_size(c, e)));
      EXPECT_EQ(zeroipc_pool_total_size(c, e), zeroipc::Pool<std::uint64_t>::total_size(c, e));
      EXPECT_EQ(zeroipc_gated_ring_total_size(c, e), zeroipc::Ring<std::uint64_t>::total_size(c, e));
      EXPECT_EQ(zeroipc_probe_total_size(c, 8, e), (zeroipc::Map<std::uint64_t, std::uint64_t>::total_size(c, e)));
      EXPECT_EQ(zeroipc_probe_total_size(c, e, 0), zeroipc::Set<std::uint64_t>::total_size(c, e));
      EXPECT_EQ(zeroipc_codata_total_size(c, e), zd::codata::total_size(c, e));
      EXPECT_EQ(zeroipc_stream_total_size(c, e), zs::total_size(c, e));
      EXPECT_EQ(zeroipc_channel_total_size(c, e), zd::channel::total_size(c, e));
    }
  }
}

TEST(LayoutC, NonPowersOfTwo) {
  // The spec's R = bit_ceil(max(c, 2)) and its consequences, spelled out for 6 and 1000.
  EXPECT_EQ(zeroipc_vyukov_body_size(6, 8), zv::vyukov_bounded::body_size(6, 8));
  EXPECT_EQ(zeroipc_vyukov_body_size(6, 8), 128u + 8u * 16u);
  EXPECT_EQ(zeroipc_vyukov_body_size(1000, 6), 128u + 1024u * 16u);
  EXPECT_EQ(zeroipc_lcrq_nodes_offset(6), zv::lcrq::nodes_offset(6));
  EXPECT_EQ(zeroipc_lcrq_nodes_offset(1000), zv::lcrq::nodes_offset(1000));
  EXPECT_EQ(zeroipc_lcrq_body_size(1000, 6), zv::lcrq::body_size(1000, 6));
  EXPECT_EQ(zeroipc_scq_data_offset(6), zv::scq::data_offset(zvd::ring_slots(6)));
  EXPECT_EQ(zeroipc_scq_data_offset(1000), zv::scq::data_offset(zvd::ring_slots(1000)));
  EXPECT_EQ(zeroipc_scq_body_size(1000, 6), zv::scq::body_size(1000, 6));
  EXPECT_EQ(zeroipc_scq_body_size(1000, 6), 8256u + 192u + 2u * 1024u * 16u);  // direct cells
  EXPECT_EQ(zeroipc_scq_indices_body_size(1000, 6), zv::scq_indices::body_size(1000, 6));
  EXPECT_EQ(zeroipc_spsc_body_size(1000, 6), zv::spsc_ring::body_size(1000, 6));
  EXPECT_EQ(zeroipc_locked_ring_body_size(6, 1000), zv::locked_ring::body_size(6, 1000));
  EXPECT_EQ(zeroipc_probe_body_size(1000, 6, 1000), zv::locked_probe::body_size(1000, 6, 1000));
  EXPECT_EQ(zeroipc_pool_objects_offset(1000), zv::locked_free_list::objects_offset(1000));
  EXPECT_EQ(zeroipc_pool_objects_offset(6), zv::locked_free_list::objects_offset(6));
  EXPECT_EQ(zeroipc_gated_ring_body_size(6, 1000), zv::gated_ring::body_size(6, 1000));
  EXPECT_EQ(zeroipc_channel_total_size(6, 1000), zd::channel::total_size(6, 1000));
  EXPECT_EQ(zeroipc_stream_total_size(6, 8), 0u) << "a stream's capacity is a power of two (spec 7.5)";
  EXPECT_EQ(zs::total_size(6, 8), 0u);
}

TEST(LayoutC, KeyHashMatchesTheCxxHash) {
  // The test vectors of spec 7.8.
  EXPECT_EQ(zeroipc_key_hash("", 0), 0xefd01f60ba992926ull);
  const std::uint64_t one = 1;
  EXPECT_EQ(zeroipc_key_hash(&one, sizeof one), 0x4a3a3a4ba6523826ull);
  EXPECT_EQ(zeroipc_key_hash("prices", 6), 0x391095f36b2a47b7ull);
  std::array<std::byte, 257> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = std::byte{static_cast<unsigned char>(i * 37 + 11)};
  for (std::size_t n = 0; n <= bytes.size(); n += 7) {
    EXPECT_EQ(zeroipc_key_hash(bytes.data(), n), zvd::key_hash(bytes.data(), n)) << n << " bytes";
  }
}

TEST(LayoutC, BytesWrittenThroughTheCStructsAreReadByTheCxxStructs) {
  // One round trip per shared struct: the same bytes, both views.
  alignas(64) std::array<unsigned char, 512> raw{};
  zeroipc_segment_header c{};
  std::memcpy(c.magic, ZEROIPC_SEGMENT_MAGIC, 4);
  c.format_version = ZEROIPC_FORMAT_VERSION;
  c.header_size = ZEROIPC_SEGMENT_HEADER_SIZE;
  c.segment_size = 1u << 20;
  c.table_offset = ZEROIPC_DEFAULT_TABLE_OFFSET;
  c.table_capacity = 64;
  c.attach_capacity = ZEROIPC_DEFAULT_ATTACH_CAPACITY;
  c.data_offset = zeroipc_segment_data_offset(ZEROIPC_DEFAULT_TABLE_OFFSET, 64);
  c.table_lock = 0x12345 | ZEROIPC_LOCK_WAITERS_BIT;
  c.table_generation = 0xABCDEF0123ull;
  c.attach_overflow = 9;
  std::memcpy(raw.data(), &c, sizeof c);
  zd::SegmentHeader cxx{};
  std::memcpy(&cxx, raw.data(), sizeof cxx);
  EXPECT_EQ(std::string(cxx.magic, 4), "ZIPM");
  EXPECT_EQ(cxx.format_version, 1u);
  EXPECT_EQ(cxx.header_size, 128u);
  EXPECT_EQ(cxx.table_offset, 1152u);
  EXPECT_EQ(cxx.data_offset, 1152u + 64u * 64u);
  EXPECT_EQ(cxx.table_lock, 0x80012345u);
  EXPECT_EQ(cxx.table_generation, 0xABCDEF0123ull);
  EXPECT_EQ(cxx.attach_overflow, 9u);

  zeroipc_channel_layout ch{};
  ch.head = 5;
  ch.tail = 9;
  ch.handoff = zeroipc_codata_make(3, ZEROIPC_CHANNEL_HANDOFF_OFFERED, 77);
  ch.handoff_tag = 77;
  std::memcpy(raw.data(), &ch, sizeof ch);
  zd::ChannelLayout cl{};
  std::memcpy(&cl, raw.data(), sizeof cl);
  EXPECT_EQ(cl.head, 5u);
  EXPECT_EQ(cl.tail, 9u);
  EXPECT_EQ(zd::codata::phase(cl.handoff), zd::channel::kOffered);
  EXPECT_EQ(zd::codata::owner(cl.handoff), 77u);
  EXPECT_EQ(cl.handoff_tag, 77u);
}

}  // namespace
