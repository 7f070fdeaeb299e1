// RedisServer: it comes up on both its Unix socket and its TCP port, stop()
// leaves no process and no directory, a killed owner takes the server with it
// (PR_SET_PDEATHSIG), and a server that cannot start says why.
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.h"
#include "zeroipc/baselines/redis_server.h"
#include "zeroipc/baselines/transport.h"

#if ZEROIPC_BASELINES_REDIS
#include <hiredis/hiredis.h>
#endif

namespace zb = zeroipc::baselines;

namespace {

#define SKIP_WITHOUT_REDIS()                                                                          \
  if (!zb::redis_built()) {                                                                           \
    GTEST_SKIP() << "the Redis baselines were not built (libhiredis-dev or redis-server was missing)"; \
  }

/// The command lines of every process that mentions `needle` ("pid: cmdline").
std::vector<std::string> processes_mentioning(const std::string& needle) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string pid = e.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (char& c : cmdline) c = c == '\0' ? ' ' : c;
    if (cmdline.find(needle) != std::string::npos) out.push_back(pid + ": " + cmdline);
  }
  return out;
}

#if ZEROIPC_BASELINES_REDIS
/// "PONG", or what went wrong.
std::string ping(redisContext* c) {
  if (c == nullptr) return "no context";
  if (c->err != 0) {
    std::string e = c->errstr;
    redisFree(c);
    return "connect: " + e;
  }
  auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
  std::string out = r == nullptr ? std::string("PING: ") + c->errstr : std::string(r->str, r->len);
  if (r != nullptr) freeReplyObject(r);
  redisFree(c);
  return out;
}
#endif

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

TEST(RedisServer, AnswersOnBothAddressesAndStopLeavesNothing) {
  SKIP_WITHOUT_REDIS();
#if ZEROIPC_BASELINES_REDIS
  zb::RedisServer server(zb::RedisServer::Options{});
  const pid_t pid = server.pid();
  const std::string dir = server.dir();
  const std::string port = ":" + std::to_string(server.port());
  ASSERT_GT(pid, 0);
  EXPECT_EQ(dir.rfind("/tmp/zeroipc-redis-", 0), 0u) << dir;
  EXPECT_EQ(server.unix_socket(), dir + "/redis.sock");
  EXPECT_GT(server.port(), 0);
  EXPECT_FALSE(server.version().empty());
  EXPECT_EQ(ping(redisConnectUnix(server.unix_socket().c_str())), "PONG");
  EXPECT_EQ(ping(redisConnect("127.0.0.1", server.port())), "PONG");

  server.stop();
  server.stop();  // idempotent
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH) << "the server's pid still exists after stop()";
  EXPECT_EQ(processes_mentioning(dir), std::vector<std::string>{});
  // redis-server rewrites its command line to "redis-server 127.0.0.1:<port>".
  for (const auto& p : processes_mentioning(port)) EXPECT_EQ(p.find("redis-server"), std::string::npos) << p;
  EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
#endif
}

TEST(RedisServer, DiesWithTheProcessThatStartedIt) {
  SKIP_WITHOUT_REDIS();
  int report[2];
  ASSERT_EQ(::pipe(report), 0);
  const pid_t owner = zeroipc::test::spawn([&]() -> int {
    ::close(report[0]);
    zb::RedisServer server(zb::RedisServer::Options{});
    const std::string line = std::to_string(server.pid()) + " " + server.dir() + "\n";
    if (::write(report[1], line.data(), line.size()) != static_cast<ssize_t>(line.size())) return 10;
    ::pause();  // until the parent's SIGKILL
    return 11;
  });
  ::close(report[1]);
  std::string line;
  char c;
  while (::read(report[0], &c, 1) == 1 && c != '\n') line += c;
  ::close(report[0]);
  const auto space = line.find(' ');
  ASSERT_NE(space, std::string::npos) << "the child reported nothing (its error is above): '" << line << "'";
  const pid_t server = static_cast<pid_t>(std::stol(line.substr(0, space)));
  const std::string dir = line.substr(space + 1);
  const int pidfd = pidfd_open(server);
  ASSERT_GE(pidfd, 0) << "pidfd_open(" << server << "): " << std::strerror(errno);

  ::kill(owner, SIGKILL);
  EXPECT_EQ(zeroipc::test::wait_for(owner), 128 + SIGKILL);
  pollfd p{pidfd, POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 5000), 1) << "redis-server " << server << " outlived its owner by 5 s";
  ::close(pidfd);
  if (p.revents == 0) ::kill(server, SIGKILL);  // leave nothing behind even when the test fails
  EXPECT_TRUE(std::filesystem::exists(dir)) << dir;  // nobody ran the owner's destructor
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  EXPECT_FALSE(ec) << ec.message();
}

TEST(RedisServer, AServerThatCannotStartSaysWhy) {
  SKIP_WITHOUT_REDIS();
  try {
    zb::RedisServer server(zb::RedisServer::Options{.executable = "/nonexistent/redis-server"});
    FAIL() << "a missing executable started";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("/nonexistent/redis-server"), std::string::npos) << what;
    EXPECT_NE(what.find("exec"), std::string::npos) << what;
  }
  try {
    zb::RedisServer server(zb::RedisServer::Options{.executable = "/bin/false"});
    FAIL() << "/bin/false became ready";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("exited with status 1 before it was ready"), std::string::npos) << what;
  }
}

#if ZEROIPC_BASELINES_REDIS
/// LLEN of `key`, or -1.
long long list_length(const zb::RedisServer& server, const std::string& key) {
  redisContext* c = redisConnectUnix(server.unix_socket().c_str());
  if (c == nullptr || c->err != 0) {
    if (c != nullptr) redisFree(c);
    return -1;
  }
  auto* r = static_cast<redisReply*>(redisCommand(c, "LLEN %s", key.c_str()));
  const long long n = r != nullptr && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
  if (r != nullptr) freeReplyObject(r);
  redisFree(c);
  return n;
}
#endif

// A Redis list is unbounded; the one_way link's credit window keeps a producer
// at most spec.capacity messages ahead of its consumer.
TEST(RedisTransport, OneWayWindowBoundsTheList) {
  SKIP_WITHOUT_REDIS();
#if ZEROIPC_BASELINES_REDIS
  zb::RedisServer server(zb::RedisServer::Options{});
  zb::LinkSpec spec;
  spec.transport = "redis_unix";
  spec.name = "zbt-window-" + std::to_string(::getpid());
  spec.dir = "/tmp";
  spec.message_size = 8;
  spec.capacity = 4;  // a credit every 2 messages
  spec.pattern = zb::Pattern::one_way;
  spec.redis_unix_socket = server.unix_socket();
  spec.redis_port = server.port();
  const std::string queue = "zeroipc:" + spec.name + ":c2s";
  auto consumer = zb::make_transport(spec, zb::Side::server);
  consumer->listen();
  consumer->connect("");
  auto producer = zb::make_transport(spec, zb::Side::client);
  producer->connect("");
  std::vector<std::byte> m(spec.message_size);
  for (std::size_t i = 0; i < spec.capacity; ++i) producer->send(m.data());  // a full window: no wait
  EXPECT_EQ(list_length(server, queue), 4);
  std::thread more([&] { producer->send(m.data()); });  // waits for a credit
  EXPECT_EQ(list_length(server, queue), 4) << "the producer went past its window";
  consumer->receive(m.data());
  EXPECT_EQ(list_length(server, queue), 3) << "one message taken is not yet a credit";
  consumer->receive(m.data());  // the second: a credit for 2 messages
  more.join();
  EXPECT_EQ(list_length(server, queue), 3);
  EXPECT_EQ(producer->settings().value("window_messages", 0), 4);
  EXPECT_EQ(producer->settings().value("credit_every_messages", 0), 2);
  for (int i = 0; i < 3; ++i) consumer->receive(m.data());
  producer.reset();
  consumer.reset();
  EXPECT_EQ(list_length(server, queue), 0);
  EXPECT_EQ(list_length(server, "zeroipc:" + spec.name + ":credit"), 0);
#endif
}

}  // namespace
