// zeroipc/detail/process_roles.h — how many handles of this process use a
// role (a queue's producer, a ring's writer) that belongs to the process.
//
// A role is recorded in the segment by the process's owner key, and several
// handles of one process may use it: it is released in the segment when
// the last handle of this process that claimed it goes away. The key of the
// count includes the owner key, so a forked child's counts (a copy of its
// parent's) never mix with its own claims.
#pragma once

#include <map>
#include <mutex>
#include <string>

namespace zeroipc::detail {

class ProcessRoles {
 public:
  /// One more handle of this process uses the role `key`.
  static void claim(const std::string& key) {
    std::lock_guard lock(mutex());
    ++users()[key];
  }
  /// One handle fewer; true when it was the last (release the role in the segment).
  static bool release(const std::string& key) {
    std::lock_guard lock(mutex());
    auto it = users().find(key);
    if (it == users().end()) return false;
    if (--it->second > 0) return false;
    users().erase(it);
    return true;
  }

 private:
  static std::map<std::string, int>& users() {
    static std::map<std::string, int> u;
    return u;
  }
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
};

}  // namespace zeroipc::detail
