#!/usr/bin/env bash
# check_install.sh <build dir> <consumer src> <generator> <make program> <c++ compiler> config=<config> [sanitizer flags...]
# Install <build dir> into a temporary prefix, then build and run the consumer
# (1) with find_package(zeroipc) and (2) with pkg-config, then (3) a C99 program
# with pkg-config zeroipc-c (the C implementation). Cleans up after itself.
set -euo pipefail
build="$1" src="$2" gen="$3" make="$4" cxx="$5" config="${6#config=}"
config="${config:-Release}"
shift 6
san=("$@")

tmp="$(mktemp -d "${TMPDIR:-/tmp}/zeroipc-install.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"

echo "== cmake --install into $prefix"
cmake --install "$build" --prefix "$prefix" --config "$config" >"$tmp/install.log" ||
  { cat "$tmp/install.log"; exit 1; }

echo "== zeroipc-inspect installed in bin/"
if grep -q 'zeroipc-inspect' "$build/install_manifest.txt" "$tmp/install.log" 2>/dev/null ||
   [[ -x "$build/bin/zeroipc-inspect" ]]; then  # built (CLI11 and nlohmann-json found): must be installed
  help="$("$prefix/bin/zeroipc-inspect" --help)"
  grep -q '^EXIT STATUS' <<<"$help" ||
    { echo "zeroipc-inspect is not installed in $prefix/bin, or its --help lacks EXIT STATUS" >&2; exit 1; }
  "$prefix/bin/zeroipc-inspect" list --json >/dev/null ||
    [[ $? -eq 1 ]]  # 1: some segment of another test is corrupt at the moment, which is fine here
fi

echo "== find_package(zeroipc) consumer"
cmake -S "$src" -B "$tmp/cmake" -G "$gen" -DCMAKE_MAKE_PROGRAM="$make" \
      -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE="$config" \
      -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
      -DCMAKE_CXX_FLAGS="${san[*]}" -DCMAKE_EXE_LINKER_FLAGS="${san[*]}" >"$tmp/configure.log" ||
  { cat "$tmp/configure.log"; exit 1; }
found="$(sed -n 's/^zeroipc_DIR:PATH=//p' "$tmp/cmake/CMakeCache.txt")"
[[ "$found" == "$prefix"/* ]] || { echo "found zeroipc at '$found', not under $prefix" >&2; exit 1; }
cmake --build "$tmp/cmake" --config "$config"
"$tmp/cmake/consumer"

echo "== pkg-config consumer"
pc="$(find "$prefix" -name zeroipc.pc -print -quit)"
[[ -n "$pc" ]] || { echo "zeroipc.pc not installed under $prefix" >&2; exit 1; }
PKG_CONFIG_LIBDIR="$(dirname "$pc")"   # this prefix only, not the system's
export PKG_CONFIG_LIBDIR
flags="$(pkg-config --cflags --libs zeroipc)"
libdir="$(pkg-config --variable=libdir zeroipc)"
echo "$cxx -std=c++20 ${san[*]} main.cpp $flags"
# shellcheck disable=SC2086  # pkg-config output is a list of flags
"$cxx" -std=c++20 "${san[@]}" "$src/main.cpp" -o "$tmp/consumer-pc" $flags
LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$tmp/consumer-pc"

echo "== pkg-config C consumer (zeroipc-c)"
[[ -f "$PKG_CONFIG_LIBDIR/zeroipc-c.pc" ]] || { echo "zeroipc-c.pc not installed in $PKG_CONFIG_LIBDIR" >&2; exit 1; }
[[ -f "$(pkg-config --variable=includedir zeroipc-c)/zeroipc.h" ]] || { echo "zeroipc.h not installed" >&2; exit 1; }
cflags="$(pkg-config --cflags --libs zeroipc-c)"
cc="${CC:-cc}"
echo "$cc -std=c99 ${san[*]} c_consumer.c $cflags"
# shellcheck disable=SC2086  # pkg-config output is a list of flags
"$cc" -std=c99 "${san[@]}" "$src/c_consumer.c" -o "$tmp/c-consumer-pc" $cflags
LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$tmp/c-consumer-pc"
echo "== install check passed"
