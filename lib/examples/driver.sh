# lib/examples/driver.sh — the helpers every example's run.sh sources: start the
# example's programs as separate processes, each under `timeout` (a hang fails,
# it never blocks CI), wait for them, check their exit codes and their output,
# and check that the segment is gone from /dev/shm afterwards.
#
#   source "$(dirname "$0")/../driver.sh" <example> <dir of the executables>
#   launch_ready source "$bin/pipeline_source" "$seg"   # returns once it printed its "ready" line
#   launch display "$bin/pipeline_display" "$seg"       # in the background
#   finish                                              # waits; every exit code 0 (or as expect_rc says)
#   expect display 'averages (F): 104.0'                # a literal piece of its output
#   same source emitted tap items                       # source's emitted=N equals tap's items=N
#
# Programs end their output with `key=value` figures; `field`, `same` and
# `expect_field` read those. `$seg` is the segment name to give the programs:
# it holds the driver's pid, so parallel runs of the tests never collide.
# ZEROIPC_EXAMPLE_TIMEOUT (seconds, default 20) bounds each program.

set -euo pipefail

example=$1
bin=$2
seg="/zeroipc_ex_${example}_$$"
limit=${ZEROIPC_EXAMPLE_TIMEOUT:-20}
work=$(mktemp -d "${TMPDIR:-/tmp}/zeroipc_ex_${example}.XXXXXX")
names=()
declare -A pids=() want_rc=()

# Kills what is still running (only the processes this driver started), then
# removes the temporary folder and, if a failed run left it, the segment.
cleanup() {
  local rc=$?
  local name p
  for name in "${names[@]}"; do
    for p in ${pids[$name]:-}; do kill -TERM "$p" 2>/dev/null || true; done
  done
  rm -rf "$work"
  rm -f "/dev/shm/${seg#/}"
  exit "$rc"
}
trap cleanup EXIT

show_outputs() {
  local name
  for name in "${names[@]}"; do
    sed "s/^/[$name] /" "$work/$name.out" 2>/dev/null || true
  done
}

fail() {
  show_outputs >&2
  echo "example.$example: FAILED: $*" >&2
  exit 1
}

# launch NAME CMD...: runs CMD in the background; its output goes to NAME's log.
launch() {
  local name=$1
  shift
  names+=("$name")
  timeout -k 2 "$limit" "$@" >"$work/$name.out" 2>&1 &
  pids[$name]=$!
}

# launch_ready NAME CMD...: as launch, and returns once CMD printed a line
# containing ": ready" (it has created what the next programs open). A
# blocking read on its output, not a poll; bounded by the timeout.
launch_ready() {
  local name=$1
  shift
  names+=("$name")
  local fd line
  exec {fd}< <(exec timeout -k 2 "$limit" "$@" 2>&1)
  local program=$!
  pids[$name]=$program
  while :; do
    IFS= read -r -t "$limit" -u "$fd" line || fail "$name exited or stalled before its ready line"
    printf '%s\n' "$line" >>"$work/$name.out"
    [[ $line == *": ready"* ]] && break
  done
  cat <&"$fd" >>"$work/$name.out" &  # the rest of its output, until it exits
  pids[$name]="$program $!"
  exec {fd}<&-
}

# expect_rc NAME CODE: NAME is meant to end with CODE (137: killed by SIGKILL).
expect_rc() { want_rc[$1]=$2; }

# finish: waits for every program; fails on an unexpected exit code or a
# segment left in /dev/shm; then prints every program's output.
finish() {
  local name p rc status=()
  for name in "${names[@]}"; do
    rc=0
    for p in ${pids[$name]}; do
      wait "$p" 2>/dev/null || { rc=$?; break; }  # (no "Killed" notice: expect_rc judges)
    done
    [[ $rc == 124 ]] && status+=("$name timed out after ${limit}s")
    [[ $rc != "${want_rc[$name]:-0}" && $rc != 124 ]] && status+=("$name exited with $rc, not ${want_rc[$name]:-0}")
  done
  ((${#status[@]} == 0)) || fail "${status[*]}"
  [[ ! -e "/dev/shm/${seg#/}" ]] || fail "the segment $seg is still in /dev/shm"
  show_outputs
}

# field NAME KEY: the value of the last `KEY=value` NAME printed.
field() {
  local v
  v=$(grep -oE "(^|[[:space:]])$2=[^[:space:]]+" "$work/$1.out" | tail -n 1) ||
    fail "$1 printed no $2="
  printf '%s\n' "${v#*=}"
}

# expect_field NAME KEY VALUE: NAME printed KEY=VALUE.
expect_field() {
  local v
  v=$(field "$1" "$2")
  [[ $v == "$3" ]] || fail "$1: $2=$v, expected $3"
}

# same NAME1 KEY1 NAME2 KEY2: NAME1's KEY1 equals NAME2's KEY2.
same() {
  local a b
  a=$(field "$1" "$2")
  b=$(field "$3" "$4")
  [[ $a == "$b" ]] || fail "$1: $2=$a but $3: $4=$b"
}

# expect NAME TEXT: NAME's output holds TEXT (literally).
expect() {
  grep -qF -- "$2" "$work/$1.out" || fail "$1 did not print: $2"
}
