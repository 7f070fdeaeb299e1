#!/usr/bin/env bash
# example.fibonacci_generator: a generator process builds the endless stream
# "fib" with unfold (F(0) = 0, F(1) = 1) and "fib.first50" with take(50); a
# consumer process opens "fib.first50" by name and prints it with foreach.
# Checked: the consumer got 50 numbers, the last F(49) = 7778742049, each the
# sum of the two before it, and the stream closed; the generator's take()
# passed on 50; the segment is gone after.
#   run.sh <dir of the executables>
source "$(dirname "$0")/../driver.sh" fibonacci_generator "$@"

launch_ready generator "$bin/fib_generator" "$seg"
launch consumer "$bin/fib_consumer" "$seg"
finish
expect_field consumer count 50
expect_field consumer last 7778742049
expect_field consumer sums ok
expect_field consumer end closed
expect consumer "F(0..9): 0 1 1 2 3 5 8 13 21 34"
expect consumer "F(40..49): 102334155 165580141 267914296 433494437 701408733 1134903170 1836311903"
expect consumer " 2971215073 4807526976 7778742049"
same generator taken consumer count
