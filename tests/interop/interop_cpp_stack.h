// interop_cpp_stack.h — interop_cpp's Stack subcommands (interop_cpp_stack.cpp), driven by
// tests/python/test_python_package.py. Each takes argv after the command name, prints one
// result line on stdout and returns 0, or throws (interop_cpp's main prints it and exits 1).
//
//   stack-fill SEG NAME CAPACITY N     creates (or opens) Stack<u64, treiber_tagged> of CAPACITY
//                                      and pushes 1000 + k for k < N (full before N: an error)
//   stack-drain SEG NAME N             opens it and pops N values, which must be 1000 + N - 1
//                                      down to 1000 (LIFO), then finds it empty
#pragma once

namespace interop_stack {

int stack_fill(char** argv);
int stack_drain(char** argv);

}  // namespace interop_stack
