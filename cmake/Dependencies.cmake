# Dependency discovery. Every optional dependency that is missing turns its
# ZEROIPC_WITH_<DEP> option OFF with a message naming the Debian package; the
# configure never fails for a missing optional dependency.
#
# Targets for the code to link (defined only when found):
#   zeroipc_dep::hwloc  zeroipc_dep::papi  zeroipc_dep::zmq (libzmq + cppzmq)
#   zeroipc_dep::hiredis  zeroipc_dep::boost (headers + threads + rt)
#   zeroipc_dep::toml  zeroipc_dep::json  zeroipc_dep::cli11
#   GTest::gtest_main GTest::gmock (ZEROIPC_HAVE_GTEST), benchmark::benchmark (ZEROIPC_WITH_BENCHMARK)
# Variables: ZEROIPC_WITH_<DEP> (final state), ZEROIPC_HAVE_{GTEST,TOML,JSON,CLI11},
#   ZEROIPC_REDIS_SERVER (path of redis-server).

find_package(PkgConfig QUIET)
find_package(Threads REQUIRED)

# zeroipc_dep_target(<name> <targets...>): an IMPORTED GLOBAL target zeroipc_dep::<name>
# forwarding to whatever the finder provided.
function(zeroipc_dep_target name)
  add_library(zeroipc_dep::${name} INTERFACE IMPORTED GLOBAL)
  target_link_libraries(zeroipc_dep::${name} INTERFACE ${ARGN})
endfunction()

# zeroipc_pkg(<var> <module>): pkg-config lookup with an imported target PkgConfig::<var>.
macro(zeroipc_pkg var module)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(${var} QUIET IMPORTED_TARGET GLOBAL ${module})
  else()
    set(${var}_FOUND FALSE)
  endif()
endmacro()

# A normal variable shadows the cache option, so installing the package and
# re-running cmake turns the feature back on by itself.
macro(zeroipc_missing option what package feature)
  message(STATUS "zeroipc: ${what} not found (${package}): ${feature} disabled")
  set(${option} OFF)
endmacro()

if(NOT PKG_CONFIG_FOUND)
  message(STATUS "zeroipc: pkg-config not found (pkg-config): hwloc, PAPI, ZeroMQ, Redis lookups will fail")
endif()

# ---- hwloc: pinning workers by topology ---------------------------------------
if(ZEROIPC_WITH_HWLOC)
  zeroipc_pkg(ZEROIPC_HWLOC hwloc)
  if(ZEROIPC_HWLOC_FOUND)
    zeroipc_dep_target(hwloc PkgConfig::ZEROIPC_HWLOC)
  else()
    zeroipc_missing(ZEROIPC_WITH_HWLOC hwloc libhwloc-dev "topology-aware pinning")
  endif()
endif()

# ---- PAPI: hardware counters -----------------------------------------------------
if(ZEROIPC_WITH_PAPI)
  zeroipc_pkg(ZEROIPC_PAPI papi)
  if(ZEROIPC_PAPI_FOUND)
    zeroipc_dep_target(papi PkgConfig::ZEROIPC_PAPI)
  else()
    zeroipc_missing(ZEROIPC_WITH_PAPI PAPI libpapi-dev "hardware counters")
  endif()
endif()

# ---- Boost.Interprocess: baseline --------------------------------------------------
if(ZEROIPC_WITH_BOOST)
  find_package(Boost 1.71 CONFIG QUIET)
  if(Boost_FOUND AND TARGET Boost::headers)
    zeroipc_dep_target(boost Boost::headers Threads::Threads rt)
  else()
    zeroipc_missing(ZEROIPC_WITH_BOOST Boost libboost-dev "Boost.Interprocess baseline")
  endif()
endif()

# ---- ZeroMQ (libzmq + cppzmq header): baseline -------------------------------------
# pkg-config rather than cppzmqConfig.cmake: the latter is a FATAL_ERROR without libzmq.
if(ZEROIPC_WITH_ZMQ)
  zeroipc_pkg(ZEROIPC_LIBZMQ libzmq)
  find_path(ZEROIPC_ZMQ_HPP zmq.hpp)
  if(ZEROIPC_LIBZMQ_FOUND AND ZEROIPC_ZMQ_HPP)
    zeroipc_dep_target(zmq PkgConfig::ZEROIPC_LIBZMQ)
    target_include_directories(zeroipc_dep::zmq INTERFACE "${ZEROIPC_ZMQ_HPP}")
  elseif(NOT ZEROIPC_LIBZMQ_FOUND)
    zeroipc_missing(ZEROIPC_WITH_ZMQ libzmq libzmq3-dev "ZeroMQ baseline")
  else()
    zeroipc_missing(ZEROIPC_WITH_ZMQ zmq.hpp cppzmq-dev "ZeroMQ baseline")
  endif()
endif()

# ---- Redis (hiredis + a redis-server to start): baseline ---------------------------
if(ZEROIPC_WITH_REDIS)
  zeroipc_pkg(ZEROIPC_HIREDIS hiredis)
  find_program(ZEROIPC_REDIS_SERVER redis-server)
  if(ZEROIPC_HIREDIS_FOUND AND ZEROIPC_REDIS_SERVER)
    zeroipc_dep_target(hiredis PkgConfig::ZEROIPC_HIREDIS)
  elseif(NOT ZEROIPC_HIREDIS_FOUND)
    zeroipc_missing(ZEROIPC_WITH_REDIS hiredis libhiredis-dev "Redis baseline")
  else()
    zeroipc_missing(ZEROIPC_WITH_REDIS redis-server redis-server "Redis baseline")
  endif()
endif()

# ---- Google Benchmark: micro-benchmarks --------------------------------------------
if(ZEROIPC_WITH_BENCHMARK)
  find_package(benchmark CONFIG QUIET)
  if(NOT benchmark_FOUND)
    zeroipc_missing(ZEROIPC_WITH_BENCHMARK "Google Benchmark" libbenchmark-dev "micro-benchmarks")
  endif()
endif()

# ---- Without an option: tests and the harness's config/output/CLI -------------------
find_package(GTest CONFIG QUIET)
set(ZEROIPC_HAVE_GTEST ${GTest_FOUND})
if(NOT GTest_FOUND)
  message(STATUS "zeroipc: GoogleTest not found (libgtest-dev libgmock-dev): unit tests cannot build")
endif()

find_package(tomlplusplus CONFIG QUIET)
if(TARGET tomlplusplus::tomlplusplus)
  zeroipc_dep_target(toml tomlplusplus::tomlplusplus)
else()
  zeroipc_pkg(ZEROIPC_TOML tomlplusplus)
  if(ZEROIPC_TOML_FOUND)
    zeroipc_dep_target(toml PkgConfig::ZEROIPC_TOML)
  endif()
endif()
if(TARGET zeroipc_dep::toml)
  set(ZEROIPC_HAVE_TOML ON)
else()
  set(ZEROIPC_HAVE_TOML OFF)
  message(STATUS "zeroipc: toml++ not found (libtomlplusplus-dev): harness config cannot build")
endif()

find_package(nlohmann_json 3 CONFIG QUIET)
set(ZEROIPC_HAVE_JSON ${nlohmann_json_FOUND})
if(nlohmann_json_FOUND)
  zeroipc_dep_target(json nlohmann_json::nlohmann_json)
else()
  message(STATUS "zeroipc: nlohmann_json not found (nlohmann-json3-dev): harness results cannot build")
endif()

find_package(CLI11 CONFIG QUIET)
set(ZEROIPC_HAVE_CLI11 ${CLI11_FOUND})
if(CLI11_FOUND)
  zeroipc_dep_target(cli11 CLI11::CLI11)
else()
  message(STATUS "zeroipc: CLI11 not found (libcli11-dev): command-line tools cannot build")
endif()

# Called at the end of the top-level CMakeLists.txt.
function(zeroipc_print_summary)
  set(lines "")
  foreach(v ZEROIPC_BUILD_TESTS ZEROIPC_BUILD_BENCHMARKS ZEROIPC_WERROR
            ZEROIPC_WITH_HWLOC ZEROIPC_WITH_PAPI ZEROIPC_WITH_BOOST ZEROIPC_WITH_ZMQ
            ZEROIPC_WITH_REDIS ZEROIPC_WITH_BENCHMARK
            ZEROIPC_HAVE_GTEST ZEROIPC_HAVE_TOML ZEROIPC_HAVE_JSON ZEROIPC_HAVE_CLI11)
    if(${v})
      set(_v ON)
    else()
      set(_v OFF)
    endif()
    string(APPEND lines "\n  ${v}: ${_v}")
  endforeach()
  if(ZEROIPC_SANITIZE)
    set(san "${ZEROIPC_SANITIZE}")
  else()
    set(san "none")
  endif()
  get_property(multi GLOBAL PROPERTY GENERATOR_IS_MULTI_CONFIG)
  if(multi)
    set(type "multi-config")
  else()
    set(type "${CMAKE_BUILD_TYPE}")
  endif()
  message(STATUS "zeroipc ${PROJECT_VERSION} configuration:
  build type: ${type}, compiler: ${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION}
  ZEROIPC_SANITIZE: ${san}${lines}
  install prefix: ${CMAKE_INSTALL_PREFIX}")
endfunction()
