# `cmake --install` puts headers, libraries and a CMake package in place, so a user's project can
# `find_package(bufpool)` and link bufpool::pool.
include(CMakePackageConfigHelpers)

install(TARGETS bufpool_pool poolcheck_harness EXPORT bufpoolTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/pool/include/ ${PROJECT_SOURCE_DIR}/harness/include/
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT bufpoolTargets NAMESPACE bufpool:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/bufpool)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/bufpoolConfig.cmake.in
  ${PROJECT_BINARY_DIR}/bufpoolConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/bufpool)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/bufpoolConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/bufpoolConfig.cmake ${PROJECT_BINARY_DIR}/bufpoolConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/bufpool)
