# Install the library, its headers, a CMake package (find_package(zeroipc)) and a
# pkg-config file. Included from the top level after add_subdirectory(lib).
include(CMakePackageConfigHelpers)

set(ZEROIPC_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/zeroipc" CACHE STRING
    "Where zeroipcConfig.cmake is installed (relative to the prefix)")

# zeroipc_warnings is in the export set because a static zeroipc names it as
# $<LINK_ONLY:zeroipc_warnings>; its flags are BUILD_INTERFACE-only, so it is empty there.
# The C implementation (lib/c) is in the same package: zeroipc::c_static and
# zeroipc::c_shared (libzeroipc-c.a / libzeroipc-c.so), header zeroipc.h.
install(TARGETS zeroipc zeroipc_warnings zeroipc_c_static zeroipc_c_shared
  EXPORT zeroipcTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY "${PROJECT_SOURCE_DIR}/lib/include/zeroipc"
                  "${PROJECT_SOURCE_DIR}/variants/include/zeroipc"
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES "${PROJECT_SOURCE_DIR}/lib/c/include/zeroipc.h" DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

install(EXPORT zeroipcTargets
  FILE zeroipcTargets.cmake
  NAMESPACE zeroipc::
  DESTINATION ${ZEROIPC_INSTALL_CMAKEDIR})
configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/zeroipcConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/zeroipcConfig.cmake"
  INSTALL_DESTINATION ${ZEROIPC_INSTALL_CMAKEDIR})
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/zeroipcConfigVersion.cmake"
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/zeroipcConfig.cmake"
  "${PROJECT_BINARY_DIR}/zeroipcConfigVersion.cmake"
  DESTINATION ${ZEROIPC_INSTALL_CMAKEDIR})

# pkg-config: relocatable (paths relative to the .pc file), so that
# `cmake --install <build> --prefix <anywhere>` gives a working file.
set(_pcdir "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(ZEROIPC_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(ZEROIPC_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH _up "/prefix/${_pcdir}" "/prefix")   # ../.. for lib/pkgconfig
  string(REGEX REPLACE "/$" "" _up "${_up}")
  set(ZEROIPC_PC_PREFIX "\${pcfiledir}/${_up}")
  set(ZEROIPC_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(ZEROIPC_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(ZEROIPC_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file("${PROJECT_SOURCE_DIR}/cmake/zeroipc.pc.in" "${PROJECT_BINARY_DIR}/zeroipc.pc" @ONLY)
configure_file("${PROJECT_SOURCE_DIR}/cmake/zeroipc-c.pc.in" "${PROJECT_BINARY_DIR}/zeroipc-c.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/zeroipc.pc" "${PROJECT_BINARY_DIR}/zeroipc-c.pc" DESTINATION "${_pcdir}")
