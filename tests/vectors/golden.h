// tests/vectors/golden.h — the golden test vectors of the format: the bytes
// of a segment and of one structure of every kind and variant after a known
// sequence of operations, as the C++ implementation writes them.
//
// tests/vectors/ holds them (generated once by write_vectors, committed), and
// every implementation checks itself against them: the C++ one here
// (golden_test.cpp: rebuild, compare), the C one (tests/c/vectors_test.c: the
// same operations through zeroipc.h, compare; parse the rest), Python next.
//
// A byte that depends on the process (a pid, an owner key, a creation time, a
// random pool id) is not golden: each vector lists those ranges in `mask`, and
// a comparison zeroes them on both sides first. Everything else must match
// byte for byte. The manifest (MANIFEST.txt) is the description, one vector a
// line, with its operations spelled so that any implementation can replay them:
//
//   fill             Array of u64: element i = i + 1
//   fill_record      Array of Record: {id = i + 1, price = 1.5 * (i + 1), qty = -(i + 1)}
//   push:N,pop:M     Queue/Stack of u64: push 1..N, then pop M
//   set:V            Future<u64>: set_value(V)
//   error:TEXT       Future<u64>: set_error(TEXT)
//   send:N,receive:M Channel<u64>: send 1..N, then receive M
//   compute:V        Lazy<u64>: the first get() computes V
//   emit:N           Stream<u64>: emit 1..N (no subscriber)
//   insert:N         Map<u64,u64>: insert(k, 100 * k) for k = 1..N; Set<u64>: insert(k)
//   acquire:N,release:M  Pool<u64>: acquire N objects (object j := j + 1), release the first M
//   write:N          Ring<u64>: write 1..N (no reader)
//   none             created, nothing else
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace zeroipc::golden {

/// Array element of the fill_record vector: 24 bytes, 4 of them padding (zero).
struct Record {
  std::uint64_t id;
  double price;
  std::int32_t qty;
};
static_assert(sizeof(Record) == 24);

/// Bytes [offset, offset + size) are process-dependent: zeroed before comparing.
struct Range {
  std::uint64_t offset;
  std::uint64_t size;
};

struct StructureVector {
  std::string name;  // the structure's name in the segment, and the vector's file stem
  std::string ops;   // as in the table above
  std::uint16_t kind = 0;
  std::uint16_t variant = 0;
  std::uint32_t element_size = 0;
  std::uint8_t dtype = 0;
  std::uint64_t capacity = 0;  // the header's (a Channel's: cells)
  std::uint64_t requested = 0; // what the creator asked for (a Channel's capacity: 0 = rendezvous)
  std::vector<std::byte> bytes;  // [offset, offset + total_size) of the structure
  std::vector<Range> mask;
};

/// One segment: its header, attach slots and name table ([0, data_offset)),
/// and its structures, created in this order.
struct SegmentVector {
  std::string name;  // "core" or "full"
  std::uint64_t segment_size = 0;
  std::uint32_t table_capacity = 0;
  std::vector<std::byte> bytes;
  std::vector<Range> mask;
  std::vector<StructureVector> structures;
};

/// Builds the vectors in fresh segments (named after `segment_prefix`, removed
/// afterwards). "core": what every implementation supports (Array, the
/// vyukov_bounded, spsc_ring and locked_ring queues, the treiber_tagged stack,
/// Future, Channel); "full": every other kind and variant.
std::vector<SegmentVector> build(const std::string& segment_prefix);

/// The manifest's text for these vectors.
std::string manifest(const std::vector<SegmentVector>& segments);

/// Copies `bytes` with every range of `mask` zeroed.
std::vector<std::byte> masked(std::vector<std::byte> bytes, const std::vector<Range>& mask);

}  // namespace zeroipc::golden
