// interop_cpp_map.h — interop_cpp's Map and Set subcommands (interop_cpp_map.cpp), driven by
// tests/python/test_python_map.py. Each takes argv after the command name, prints one result
// line on stdout and returns 0, or throws (interop_cpp's main prints the error and exits 1).
//
//   map-fill SEG NAME TYPE CAPACITY N SEED   creates Map<u64, TYPE> (TYPE f64 or order) and
//                                            inserts keys 0..N-1 with value(k, SEED)
//   map-check SEG NAME TYPE N SEED           opens it: exactly N keys, each with value(k, SEED)
//   map-insert-range SEG NAME GATE FROM TO   Map<u64, f64>: adds its pid to the Set<u64> GATE
//                                            (capacity 2), waits until it holds 2, then inserts
//                                            keys FROM..TO-1 with value(k, 1)
//   map-hold SEG NAME KEY                    Map<u64, f64>: insert_or_assign(KEY, -1) stopped
//                                            half-way through the new value (the old one in the
//                                            journal): prints "held <pid>", sleeps until killed
//   map-big-check SEG NAME N                 Map<u64, Big> (64 KiB values, word i of key k in
//                                            generation g = g * 2^32 + k * 8192 + i): exactly N
//                                            keys, none torn, generations non-increasing by key;
//                                            prints "ok N keys, generations HI..LO"
//   set-fill SEG NAME CAPACITY N             creates Set<u32> and adds k * 7 + 1 for k < N
//   set-check SEG NAME N                     opens it: exactly those N keys (and not k * 7 + 2)
//
// value(k, seed): f64 k * 0.5 + seed; order {id k ^ seed, price k * 0.25 + seed, qty -3k}.
#pragma once

namespace interop_map {

int map_fill(char** argv);
int map_check(char** argv);
int map_insert_range(char** argv);
int map_hold(char** argv);
int map_big_check(char** argv);
int set_fill(char** argv);
int set_check(char** argv);

}  // namespace interop_map
