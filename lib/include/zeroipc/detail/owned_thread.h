// zeroipc/detail/owned_thread.h — a thread of this process that works for a
// handle (Future::then's continuation, a Lazy's demand server): the handles
// share it, and the last one to go cancels its token and joins it.
#pragma once

#include <thread>
#include <utility>

#include "zeroipc/detail/stream_wait.h"

namespace zeroipc::detail {

class OwnedThread {
 public:
  /// Runs body(CancelToken&) on a new thread; the body returns once the
  /// token is cancelled (a wait on the token ends at once: stream_wait.h).
  template <class Body>
  explicit OwnedThread(Body body) : thread_([this, b = std::move(body)]() mutable { b(token_); }) {}
  OwnedThread(const OwnedThread&) = delete;
  OwnedThread& operator=(const OwnedThread&) = delete;
  ~OwnedThread() {
    token_.cancel();
    if (thread_.joinable()) thread_.join();
  }

 private:
  stream::CancelToken token_;  // declared before thread_: ready before the thread starts
  std::thread thread_;
};

}  // namespace zeroipc::detail
