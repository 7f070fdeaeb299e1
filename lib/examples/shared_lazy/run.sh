#!/usr/bin/env bash
# example.shared_lazy: a provider process registers the computation of the
# Lazy "primes" (a sieve up to ten million, about 100 ms) and never asks for
# the value; three reader processes, started at once, open it without a
# computation and call get().
# Checked: the value was computed exactly once, by the provider; every reader
# got the same value (664579 primes below 10^7, the largest 9999991); the
# segment is gone after.
#   run.sh <dir of the executables>
source "$(dirname "$0")/../driver.sh" shared_lazy "$@"

readers=3
launch_ready provider "$bin/primes_provider" "$seg"
for i in $(seq 1 "$readers"); do launch "reader$i" "$bin/primes_reader" "$seg" "$i" "$readers"; done
finish
expect provider "computed 1 time"
expect_field provider computations 1
expect_field provider readers "$readers"
provider_pid=$(grep -oE 'provider \(pid [0-9]+\)' "$work/provider.out" | grep -oE '[0-9]+')
for i in $(seq 1 "$readers"); do
  expect_field "reader$i" count 664579
  expect_field "reader$i" largest 9999991
  expect_field "reader$i" computed_by "$provider_pid"
  same reader1 sum "reader$i" sum
done
