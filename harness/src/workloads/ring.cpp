// ring: bulk transfer through one zeroipc::Ring, zero copy: one writer
// process, 1..N reader processes, messages of [ring] transfer_sizes bytes
// (4 KiB .. 4 MiB). Metric: bytes per second delivered to each reader
// (throughput_bytes_per_s), to set against the same run's floors: the
// shared-memory read probe of the placement (the summary's "x floor") and
// the memcpy probe (scripts/plot.py's ring figure and table).
//
// What is timed, and why it compares with floor-memcpy: the writer
// write_acquire()s room in the ring and memcpy()s the message into it from
// a private buffer, then write_release()s it; each reader read_acquire()s the
// published bytes and memcpy()s them out into a private buffer, then
// read_release()s them. Every byte is read once and written once on each
// side, as in one memcpy pass (floor-memcpy copies private to private on one
// PU); the two sides run on two PUs at once, so a ring that costs nothing
// beyond the copies delivers at about the memcpy rate. A message that
// wraps at the end of the ring is moved in two pieces.
//
// Checks (every message, by every reader): the first word is the message's
// header (message.h: sequence and check bits), the last word mixes the
// sequence with the message's length, and sequences arrive 0, 1, 2, ...
// (the writer is the only producer); a torn, stale, misaligned or
// lost message fails the repetition. The words between are not checked:
// reading them again would double the reader's traffic.
//
// Protocol: worker 0 (the writer) creates the ring ([ring] capacity_bytes);
// barrier 1; each reader opens it and registers (it sees everything written
// after); barrier 2; warm-up messages; begin_timed (a barrier); timed
// messages; end_timed; barrier 3 (every reader read everything).
#include <cstring>
#include <optional>

#include "common.h"
#include "zeroipc/ring.h"

namespace zeroipc::harness::workloads {

namespace {

constexpr const char* kRingName = "ring";
using Word = std::uint64_t;  // the ring's element: messages are whole words

/// The last word of message `seq` of `bytes` bytes.
Word tail_of(std::uint64_t seq, std::uint64_t bytes) { return mix64(seq ^ (bytes << 48)); }

std::uint64_t words_of(std::uint64_t bytes) { return bytes / sizeof(Word); }

/// Messages in `bytes` of traffic, at least one.
std::uint64_t messages_in(std::uint64_t bytes, std::uint64_t message_size) {
  return std::max<std::uint64_t>(1, bytes / message_size);
}

class RingWorker {
 public:
  explicit RingWorker(Worker& w) : w_(w), words_(words_of(w.p.message_size)), buffer_(words_) {}

  void run() {
    std::optional<Ring<Word>> ring;
    if (writer()) ring.emplace(w_.mem, kRingName, static_cast<std::size_t>(w_.p.capacity / sizeof(Word)));
    w_.barrier();  // 1: the ring exists
    if (!writer()) ring.emplace(w_.mem, kRingName, open_only);
    std::optional<Ring<Word>::Reader> reader;
    if (!writer()) reader.emplace(ring->reader());
    w_.barrier();  // 2: every reader is registered
    auto phase = [&](std::uint64_t first, std::uint64_t count) {
      for (std::uint64_t i = first; i < first + count; ++i) {
        if (writer()) {
          write(*ring, i);
        } else {
          read(*reader, i);
        }
      }
    };
    phase(0, w_.p.warmup);
    w_.begin_timed();
    phase(w_.p.warmup, w_.p.timed);
    w_.end_timed();
    w_.timed_messages = w_.p.timed;
    w_.bytes = w_.p.timed * w_.p.message_size;
    w_.barrier();  // 3: every reader read everything
  }

 private:
  bool writer() const { return w_.index == 0; }

  /// Message i into the ring: memcpy from the private buffer into the
  /// acquired room, the first and last word made the message's own.
  void write(Ring<Word>& ring, std::uint64_t i) {
    const std::uint64_t seq = sequence_of(0, i);
    for (std::uint64_t done = 0; done < words_;) {
      std::span<Word> room = ring.write_acquire(static_cast<std::size_t>(words_ - done));
      if (room.empty()) {
        w_.wait_hint();
        continue;
      }
      std::memcpy(room.data(), buffer_.data() + done, room.size_bytes());
      if (done == 0) room.front() = header_of(seq);
      if (done + room.size() == words_) room.back() = tail_of(seq, w_.p.message_size);
      ring.write_release(room.size());
      done += room.size();
    }
    w_.tally.on_send(seq);
    w_.count_message();
  }

  /// Message i out of the ring: memcpy from the acquired view into the
  /// private buffer, then its first and last word checked.
  void read(Ring<Word>::Reader& reader, std::uint64_t i) {
    for (std::uint64_t done = 0; done < words_;) {
      std::span<const Word> view = reader.read_acquire(static_cast<std::size_t>(words_ - done));
      if (view.empty()) {
        w_.wait_hint();
        continue;
      }
      std::memcpy(buffer_.data() + done, view.data(), view.size_bytes());
      reader.read_release(view.size());
      done += view.size();
    }
    const std::uint64_t seq = buffer_.front() & kSequenceMask;
    w_.tally.on_receive(seq);
    w_.count_message();
    if (buffer_.front() != header_of(seq) || buffer_.back() != tail_of(seq, w_.p.message_size)) {
      ++w_.tally.corrupt;
    } else if (seq != sequence_of(0, i)) {
      ++w_.tally.out_of_order;
    }
  }

  Worker& w_;
  const std::uint64_t words_;
  std::vector<Word> buffer_;  // the writer's source, a reader's destination (faulted in: zeroed)
};

std::string refusal(const CaseShape& s) {
  if (s.producers != 1) {
    return "ring: a ring has one writer (valid: producers = 1; consumers = its readers, 1 to 64), not " +
           std::to_string(s.producers) + " producers";
  }
  if (s.consumers > 64) return "ring: at most 64 readers (consumers), not " + std::to_string(s.consumers);
  if (s.message_size < 2 * sizeof(Word) || s.message_size % sizeof(Word) != 0) {
    return "ring: messages are whole 8-byte words, at least 16 bytes (a header and a tail word), not " +
           std::to_string(s.message_size);
  }
  return "";
}

}  // namespace

const WorkloadDef& ring() {
  static const WorkloadDef def{
      .name = "ring",
      .summary = "ring (bulk transfer, zero copy: one writer, 1..64 readers, 4 KiB .. 4 MiB messages; structure "
                 "'ring' only)",
      .keys = {make_int_list_key("ring", "transfer_sizes", nlohmann::json::array({4096, 65536, 1048576, 4194304}), 16,
                                 std::int64_t{1} << 26, "bytes per message (whole 8-byte words), one case each"),
               make_int_key("ring", "capacity_bytes", 16 << 20, 4096, std::int64_t{1} << 34,
                            "bytes of the ring's data (rounded down to whole 8-byte words)"),
               make_int_key("ring", "transfer_bytes", 256 << 20, 16, std::int64_t{1} << 40,
                            "timed bytes the writer sends (whole messages, at least one)"),
               make_int_key("ring", "warmup_transfer_bytes", 32 << 20, 0, std::int64_t{1} << 40,
                            "untimed bytes before them (whole messages)")},
      .structures = {"ring"},
      .wrong_structure = "ring measures zeroipc::Ring's bulk transfer",
      .refusal = refusal,
      .message_sizes = [](const Config& c) { return c.get_ints("ring", "transfer_sizes"); },
      .workers = [](int, int consumers) { return 1 + consumers; },
      .capacity_section = "ring",
      .capacity_key = "capacity_bytes",
      .roles = {.split = Roles::Split::producers_consumers, .first = "writer", .second = "reader"},
      .fill =
          [](const Config& c, RunParams& p) {
            p.timed = messages_in(u64(c, "ring", "transfer_bytes"), p.message_size);
            const std::uint64_t warmup = u64(c, "ring", "warmup_transfer_bytes");
            p.warmup = warmup == 0 ? 0 : messages_in(warmup, p.message_size);
          },
      .own_structure_bytes =
          [](const RunParams& p) {
            return Ring<Word>::total_size(p.capacity / sizeof(Word), sizeof(Word)) + 128;
          },
      .run = [](Worker& w) { RingWorker(w).run(); },
      .expected_sent = [](const RunParams& p) { return p.warmup + p.timed; },
      .multicast = true,
      .metrics = {.primary = "throughput_bytes_per_s", .msgs_per_s = true, .bytes_per_s = true},
  };
  return def;
}

}  // namespace zeroipc::harness::workloads
