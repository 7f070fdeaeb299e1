// Every transport that was built, end to end between two processes: a server
// (forked child: listen, hand the address back on a pipe, accept) and a client
// (this process), a few hundred messages each way, every byte checked; then
// nothing of the link is left behind (queues, segments, files).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.h"
#include "zeroipc/baselines/redis_server.h"
#include "zeroipc/baselines/transport.h"

namespace zb = zeroipc::baselines;

namespace {

constexpr int kMessages = 300;

// Byte i of message `seq`: the sequence in the first 8 bytes, then a pattern of (seq, i).
void fill(std::vector<std::byte>& m, std::uint64_t seq) {
  std::memcpy(m.data(), &seq, 8);
  for (std::size_t i = 8; i < m.size(); ++i) m[i] = static_cast<std::byte>((seq * 131 + i * 7) & 0xff);
}
// "" when `m` is message `seq` intact, else what is wrong.
std::string check(const std::vector<std::byte>& m, std::uint64_t seq) {
  std::uint64_t got = 0;
  std::memcpy(&got, m.data(), 8);
  if (got != seq) return "expected message " + std::to_string(seq) + ", got " + std::to_string(got);
  for (std::size_t i = 8; i < m.size(); ++i) {
    if (m[i] != static_cast<std::byte>((seq * 131 + i * 7) & 0xff)) {
      return "message " + std::to_string(seq) + ": byte " + std::to_string(i) + " is wrong";
    }
  }
  return "";
}

// The Redis server all Redis cases share, started on first use.
zb::RedisServer* redis() {
  static std::unique_ptr<zb::RedisServer> server;
  if (!server) server = std::make_unique<zb::RedisServer>(zb::RedisServer::Options{});
  return server.get();
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/zeroipc-baselines-test-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Entries of `dir` whose name contains `name`.
std::vector<std::string> entries_named(const std::string& dir, const std::string& name) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().filename().string().find(name) != std::string::npos) out.push_back(e.path().string());
  }
  return out;
}

struct Param {
  std::string transport;
  zb::Pattern pattern;
  std::size_t size;
};

std::string param_name(const testing::TestParamInfo<Param>& p) {
  return p.param.transport + "_" + std::string(zb::to_string(p.param.pattern)) + "_" + std::to_string(p.param.size) +
         "B";
}

std::vector<Param> params() {
  std::vector<Param> out;
  for (const auto& t : zb::transports()) {
    // A server that is a program of its own (zeroipc_python_*) only echoes:
    // test_baselines_e2e.py runs it through the harness.
    if (!t.built || !t.server_in_worker) continue;
    for (std::size_t size : {std::size_t{8}, std::size_t{1000}, std::size_t{65536}}) {
      if (t.request_reply) out.push_back({std::string(t.name), zb::Pattern::request_reply, size});
      if (t.one_way) out.push_back({std::string(t.name), zb::Pattern::one_way, size});
    }
  }
  return out;
}

class Exchange : public testing::TestWithParam<Param> {};

TEST_P(Exchange, EveryMessageArrivesIntactAndNothingIsLeftBehind) {
  const Param& p = GetParam();
  const zb::TransportInfo& info = zb::transport_info(p.transport);
  TempDir dir;
  static int counter = 0;
  zb::LinkSpec spec;
  spec.transport = p.transport;
  spec.name = "zbt-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  spec.dir = dir.path();
  spec.message_size = p.size;
  spec.capacity = 16;
  spec.pattern = p.pattern;
  if (info.needs_redis) {
    spec.redis_unix_socket = redis()->unix_socket();
    spec.redis_port = redis()->port();
  }

  if (const std::string why = zb::size_refusal(p.transport, p.size); !why.empty()) {
    // A size this machine refuses (POSIX mq over msgsize_max): a clear error, not an exchange.
    try {
      auto t = zb::make_transport(spec, zb::Side::server);
      t->listen();
      FAIL() << "size_refusal says '" << why << "', yet listen() succeeded";
    } catch (const zb::TransportError& e) {
      EXPECT_NE(std::string(e.what()).find("msgsize_max"), std::string::npos) << e.what();
    }
    EXPECT_EQ(entries_named("/dev/mqueue", spec.name), std::vector<std::string>{});
    return;
  }

  int address_pipe[2];
  ASSERT_EQ(::pipe(address_pipe), 0);
  const pid_t server = zeroipc::test::spawn([&]() -> int {
    ::close(address_pipe[0]);
    auto t = zb::make_transport(spec, zb::Side::server);
    const std::string address = t->listen();
    const std::string line = address + "\n";
    if (::write(address_pipe[1], line.data(), line.size()) != static_cast<ssize_t>(line.size())) return 10;
    ::close(address_pipe[1]);
    t->connect("");
    std::vector<std::byte> m(spec.message_size);
    for (int i = 0; i < kMessages; ++i) {
      t->receive(m.data());
      if (auto why = check(m, static_cast<std::uint64_t>(i)); !why.empty()) {
        std::fprintf(stderr, "server: %s\n", why.c_str());
        return 11;
      }
      if (spec.pattern == zb::Pattern::request_reply) {
        fill(m, static_cast<std::uint64_t>(i) + 1000000);
        t->send(m.data());
      }
    }
    return 0;
  });
  ::close(address_pipe[1]);
  std::string address;
  char c;
  while (::read(address_pipe[0], &c, 1) == 1 && c != '\n') address += c;
  {
    auto t = zb::make_transport(spec, zb::Side::client);
    EXPECT_EQ(t->listen(), "");
    t->connect(address);
    std::vector<std::byte> m(spec.message_size);
    for (int i = 0; i < kMessages; ++i) {
      fill(m, static_cast<std::uint64_t>(i));
      t->send(m.data());
      if (spec.pattern == zb::Pattern::request_reply) {
        t->receive(m.data());
        ASSERT_EQ(check(m, static_cast<std::uint64_t>(i) + 1000000), "");
      }
    }
    EXPECT_TRUE(t->settings().is_object());
    // The client's side stays open until the server has everything (a close
    // must not race the last messages of a one-way run).
    EXPECT_EQ(zeroipc::test::wait_for(server), 0) << "the server side failed (its message is above)";
  }
  ::close(address_pipe[0]);
  EXPECT_EQ(entries_named("/dev/shm", spec.name), std::vector<std::string>{});
  EXPECT_EQ(entries_named("/dev/mqueue", spec.name), std::vector<std::string>{});
  EXPECT_EQ(entries_named(spec.dir, ""), std::vector<std::string>{});
}

INSTANTIATE_TEST_SUITE_P(Built, Exchange, testing::ValuesIn(params()), param_name);

TEST(Transports, ListIsCompleteAndUnbuiltOnesSayWhy) {
  for (const char* name : {"pipe", "unix_stream", "unix_seqpacket", "tcp", "posix_mq", "boost_mq", "zmq_ipc", "zmq_tcp",
                           "zmq_ipc_reqrep", "redis_unix", "redis_tcp", "zeroipc_vyukov_bounded",
                           "zeroipc_c_vyukov_bounded", "zeroipc_c_spsc_ring", "zeroipc_c_locked_ring"}) {
    const auto& t = zb::transport_info(name);
    EXPECT_EQ(t.name, name);
    if (!t.built) {
      EXPECT_NE(t.missing.find("not found"), std::string_view::npos) << name;
    }
  }
  try {
    zb::transport_info("carrier_pigeon");
    FAIL() << "an unknown transport was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("valid: pipe"), std::string::npos) << e.what();
  }
}

// The C implementation's transports (zeroipc_c_<variant>): each beside the C++
// one of the same variant; its errors carry the C library's status and message.
TEST(Transports, CImplementationBesideTheCxxOneWithItsErrors) {
  for (const char* variant : {"vyukov_bounded", "spsc_ring", "locked_ring"}) {
    const auto& c = zb::transport_info(std::string("zeroipc_c_") + variant);
    const auto& cxx = zb::transport_info(std::string("zeroipc_") + variant);
    EXPECT_TRUE(c.built && c.zeroipc && c.request_reply && c.one_way) << c.name;
    EXPECT_NE(c.description.find("libzeroipc-c"), std::string_view::npos) << c.description;
    EXPECT_EQ(cxx.built, true) << cxx.name;
  }
  zb::LinkSpec spec;
  spec.transport = "zeroipc_c_vyukov_bounded";
  spec.name = "zbt-missing-" + std::to_string(::getpid());
  spec.dir = "/tmp";
  spec.message_size = 8;
  spec.capacity = 4;
  auto t = zb::make_transport(spec, zb::Side::client);
  try {
    t->connect("/" + spec.name + "-zeroipc-c");
    FAIL() << "connected to a segment that does not exist";
  } catch (const zb::TransportError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("zeroipc_c_vyukov_bounded: zeroipc_memory_open: ZEROIPC_E_NOT_FOUND: "), std::string::npos)
        << what;
  }
}

// The Python server's transports (zeroipc_python_<variant>): listed beside the
// C ones with their languages; an interpreter that cannot run is a
// TransportError naming it (test_baselines_e2e.py runs them end to end).
TEST(Transports, PythonServerBesideTheCOneWithItsLanguages) {
  for (const char* variant : {"vyukov_bounded", "spsc_ring", "locked_ring"}) {
    const auto& py = zb::transport_info(std::string("zeroipc_python_") + variant);
    const auto& c = zb::transport_info(std::string("zeroipc_c_") + variant);
    EXPECT_TRUE(py.built && py.zeroipc && py.request_reply && py.one_way && !py.server_in_worker) << py.name;
    EXPECT_EQ(py.client_language, "C");
    EXPECT_EQ(py.server_language, "Python");
    EXPECT_TRUE(c.server_in_worker && c.client_language == "C" && c.server_language == "C") << c.name;
  }
  EXPECT_EQ(zb::transport_info("unix_stream").server_language, "C++");
  zb::LinkSpec spec;
  spec.transport = "zeroipc_python_vyukov_bounded";
  spec.name = "zbt-nopython-" + std::to_string(::getpid());
  spec.dir = "/tmp";
  spec.message_size = 8;
  spec.capacity = 4;
  const char* old = std::getenv("ZEROIPC_PYTHON");
  const std::string saved = old ? old : "";
  ::setenv("ZEROIPC_PYTHON", "/nonexistent/python3", 1);
  try {
    auto t = zb::make_transport(spec, zb::Side::server);
    t->listen();
    FAIL() << "listen() ran a Python peer with no interpreter";
  } catch (const zb::TransportError& e) {
    EXPECT_NE(std::string(e.what()).find("zeroipc_python_vyukov_bounded: cannot run the Python interpreter "
                                         "/nonexistent/python3: No such file or directory"),
              std::string::npos)
        << e.what();
  }
  if (old) ::setenv("ZEROIPC_PYTHON", saved.c_str(), 1);
  else ::unsetenv("ZEROIPC_PYTHON");
  EXPECT_EQ(entries_named("/dev/shm", spec.name), std::vector<std::string>{});
}

// One format, two implementations: a C client (zeroipc_c_vyukov_bounded) on
// the segment a C++ server (zeroipc_vyukov_bounded) created, and back.
TEST(Transports, CClientOnACxxServersSegment) {
  zb::LinkSpec spec;
  spec.name = "zbt-mixed-" + std::to_string(::getpid());
  spec.dir = "/tmp";
  spec.message_size = 1000;
  spec.capacity = 8;
  spec.pattern = zb::Pattern::request_reply;
  zb::LinkSpec server_spec = spec, client_spec = spec;
  server_spec.transport = "zeroipc_vyukov_bounded";
  client_spec.transport = "zeroipc_c_vyukov_bounded";
  auto server = zb::make_transport(server_spec, zb::Side::server);
  const std::string address = server->listen();
  auto client = zb::make_transport(client_spec, zb::Side::client);
  client->connect(address);
  server->connect("");
  std::vector<std::byte> m(spec.message_size);
  for (int i = 0; i < 50; ++i) {
    fill(m, static_cast<std::uint64_t>(i));
    client->send(m.data());
    server->receive(m.data());
    ASSERT_EQ(check(m, static_cast<std::uint64_t>(i)), "");
    fill(m, static_cast<std::uint64_t>(i) + 1000000);
    server->send(m.data());
    client->receive(m.data());
    ASSERT_EQ(check(m, static_cast<std::uint64_t>(i) + 1000000), "");
  }
  client.reset();
  server.reset();
  EXPECT_EQ(entries_named("/dev/shm", spec.name), std::vector<std::string>{});
}

TEST(Transports, BadSpecsAreRefusedWithTheReason) {
  zb::LinkSpec spec;
  spec.transport = "pipe";
  spec.name = "ok";
  spec.dir = "/tmp";
  spec.capacity = 4;
  spec.message_size = 4;
  try {
    zb::make_transport(spec, zb::Side::client);
    FAIL();
  } catch (const zb::TransportError& e) {
    EXPECT_NE(std::string(e.what()).find("message size 4"), std::string::npos) << e.what();
  }
  spec.message_size = 8;
  spec.name = "a/b";
  EXPECT_THROW(zb::make_transport(spec, zb::Side::client), zb::TransportError);
  spec.name = "ok";
  spec.transport = "zmq_ipc_reqrep";
  spec.pattern = zb::Pattern::one_way;
  try {
    zb::make_transport(spec, zb::Side::client);
    FAIL();
  } catch (const zb::TransportError& e) {
    const std::string what = e.what();
    EXPECT_TRUE(what.find("one_way") != std::string::npos || what.find("not built") != std::string::npos) << what;
  }
}

}  // namespace
