#include "zeroipc/error.h"

#include <cstring>

namespace zeroipc {

SystemError::SystemError(const std::string& what_failed, int err)
    : Error(what_failed + ": " + std::strerror(err)), code_(err) {}

}  // namespace zeroipc
