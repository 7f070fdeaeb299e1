#!/usr/bin/env bash
# Runs the libFuzzer target over hostile segments (tests/fuzz/segment_fuzzer.cpp)
# for a bounded time, starting from the committed corpus (tests/fuzz/corpus/,
# read only: new inputs go to a temporary directory), and prints libFuzzer's
# count of executed inputs. A finding (crash, sanitizer report, hang longer
# than -timeout) fails the run; its input is kept in $ZEROIPC_FUZZ_FINDINGS
# (default: <build>/tests/fuzz/findings) for reproduction: segment_fuzzer <file>.
#
#   tests/fuzz/run.sh <segment_fuzzer> [seconds]    default seconds: $ZEROIPC_LIBFUZZER_SECONDS or 60
set -euo pipefail
fuzzer="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
seconds="${2:-${ZEROIPC_LIBFUZZER_SECONDS:-60}}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
findings="${ZEROIPC_FUZZ_FINDINGS:-$(dirname "$fuzzer")/findings}"
mkdir -p "$findings"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
set +e
"$fuzzer" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 -max_len=256 -print_final_stats=1 \
          -artifact_prefix="$findings/" "$work" "$here/corpus" > "$work/log" 2>&1
rc=$?
set -e
grep -E "^(stat::number_of_executed_units|stat::average_exec_per_sec|Done [0-9]+ runs)" "$work/log" || true
if ((rc != 0)); then
  tail -n 60 "$work/log"
  echo "segment_fuzzer: finding (exit $rc); inputs in $findings" >&2
fi
exit "$rc"
