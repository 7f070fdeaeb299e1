#!/usr/bin/env bash
# ZeroMQ and Redis absent at configure time: a build of the harness made with
# pkg-config seeing no package at all (so neither libzmq nor hiredis is found)
# must configure, build, and plan experiments/ipc-baselines.toml with those
# transports left out — each one named, with what was missing.
#   check_absent_deps.sh SOURCE_DIR GENERATOR MAKE_PROGRAM CXX [sanitizer flags...]
set -euo pipefail
src="$1" generator="$2" make_program="$3" cxx="$4"
shift 4
flags="$*"
work="$(mktemp -d /tmp/zeroipc-absent-deps-XXXXXX)"
trap 'rm -rf "$work"' EXIT

export PKG_CONFIG_LIBDIR="$work/no-packages"   # an empty search path: every pkg-config lookup fails
mkdir -p "$PKG_CONFIG_LIBDIR"
cmake -S "$src" -B "$work/build" -G "$generator" -DCMAKE_MAKE_PROGRAM="$make_program" \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=Debug -DZEROIPC_BUILD_TESTS=OFF \
  -DZEROIPC_BUILD_BENCHMARKS=OFF -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" \
  >"$work/configure.log" 2>&1 || { cat "$work/configure.log"; exit 1; }
grep -q "libzmq not found (libzmq3-dev): ZeroMQ baseline disabled" "$work/configure.log" ||
  { echo "configure did not report ZeroMQ missing:"; cat "$work/configure.log"; exit 1; }
grep -q "hiredis not found (libhiredis-dev): Redis baseline disabled" "$work/configure.log" ||
  { echo "configure did not report Redis missing:"; cat "$work/configure.log"; exit 1; }
cmake --build "$work/build" --target zeroipc-harness >"$work/build.log" 2>&1 || { tail -50 "$work/build.log"; exit 1; }

plan="$("$work/build/harness/zeroipc-harness" "$src/experiments/ipc-baselines.toml" --plan)"
status=0
for t in zmq_ipc zmq_tcp zmq_ipc_reqrep; do
  grep -q "note: transport $t is off: ZeroMQ was not found when zeroipc was configured (libzmq3-dev and cppzmq-dev)" <<<"$plan" ||
    { echo "the plan does not say why $t is off"; status=1; }
done
for t in redis_unix redis_tcp; do
  grep -q "note: transport $t is off: Redis was not found when zeroipc was configured (libhiredis-dev and redis-server)" <<<"$plan" ||
    { echo "the plan does not say why $t is off"; status=1; }
  grep -q "skipped pingpong/transport/$t/8B/1p1c/different-cores: $t is not built" <<<"$plan" ||
    { echo "the plan does not list $t's cases as skipped"; status=1; }
done
grep -q "pingpong/transport/unix_stream/8B/1p1c/different-cores  on PUs" <<<"$plan" ||
  { echo "the other transports should still be planned"; status=1; }
grep -q "redis-server pinned" <<<"$plan" && { echo "no Redis case, yet a redis-server is planned"; status=1; }
if [[ $status -ne 0 ]]; then echo "$plan"; exit 1; fi
echo "ZeroMQ and Redis absent at configure time: built, planned without them, each named with the reason"
