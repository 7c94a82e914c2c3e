# `cmake --install` puts headers, libraries, `stress` and two CMake packages in place:
#   find_package(bufpool)    bufpool::pool and bufpool::harness: the pool alone, and its checker;
#   find_package(poolcheck)  poolcheck::harness, poolcheck::scenarios, poolcheck::check (the
#                            library behind `stress`), poolcheck::stress (the installed command),
#                            bufpool::pool, and poolcheck_add_stress_test (poolcheckTesting.cmake).
# Each library is exported once: the poolcheck config finds the bufpool package installed beside
# it and names bufpool::harness poolcheck::harness, so the two packages never hold two imported
# targets of one archive.
include(CMakePackageConfigHelpers)

set(poolcheck_package_dir ${CMAKE_INSTALL_LIBDIR}/cmake/poolcheck)
set(bufpool_package_dir ${CMAKE_INSTALL_LIBDIR}/cmake/bufpool)

# A sanitizer build is installed into a prefix of its own, and its targets hand the sanitizer to
# every consumer target that links them: TSan needs every object of a process instrumented, and
# ASan's container annotations must agree across objects. INSTALL_INTERFACE only, so the build tree
# is unchanged (add_compile_options instruments it already). Every exported target links
# bufpool::pool, so the flags reach all of them from there. A comma would end the generator
# expression's argument, so it is written $<COMMA>.
foreach(flag IN LISTS poolcheck_sanitizer_flags)
  string(REPLACE "," "$<COMMA>" flag "${flag}")
  target_compile_options(bufpool_pool INTERFACE "$<INSTALL_INTERFACE:${flag}>")
  target_link_options(bufpool_pool INTERFACE "$<INSTALL_INTERFACE:${flag}>")
endforeach()

# Both configs record how this build was made, so a sanitizer build refuses a consumer compiler
# of another kind.
set(POOLCHECK_BUILT_WITH_CXX_COMPILER_ID ${CMAKE_CXX_COMPILER_ID})
set(POOLCHECK_BUILT_WITH_CXX_COMPILER_VERSION ${CMAKE_CXX_COMPILER_VERSION})
get_filename_component(POOLCHECK_BUILT_WITH_CXX_COMPILER_NAME ${CMAKE_CXX_COMPILER} NAME)

# bufpool: the pool and the harness.
install(TARGETS bufpool_pool poolcheck_harness EXPORT bufpoolTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/pool/include/ ${PROJECT_SOURCE_DIR}/harness/include/
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT bufpoolTargets NAMESPACE bufpool:: DESTINATION ${bufpool_package_dir})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/bufpoolConfig.cmake.in
  ${PROJECT_BINARY_DIR}/bufpoolConfig.cmake
  INSTALL_DESTINATION ${bufpool_package_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/bufpoolConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/bufpoolConfig.cmake ${PROJECT_BINARY_DIR}/bufpoolConfigVersion.cmake
  DESTINATION ${bufpool_package_dir})

# poolcheck: the scenarios, and with the tools the checking library and the `stress` command.
set(poolcheck_exported_libraries poolcheck_scenarios)
set(POOLCHECK_INSTALLED_TOOLS OFF)
if(TARGET poolcheck_stress_core)
  list(APPEND poolcheck_exported_libraries poolcheck_stress_core)
  set(POOLCHECK_INSTALLED_TOOLS ON)
endif()
install(TARGETS ${poolcheck_exported_libraries} EXPORT poolcheckTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/scenarios/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(POOLCHECK_INSTALLED_TOOLS)
  install(TARGETS stress EXPORT poolcheckTargets RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  # The command's own headers, which the public entry point includes by their bare names
  # (poolcheck::check's include directories cover include/poolcheck/stress).
  file(GLOB poolcheck_stress_headers CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/harness/stress/*.hpp)
  install(FILES ${poolcheck_stress_headers} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/poolcheck/stress)
  # The public entry point (poolcheck/check.hpp), once the folder exists.
  if(EXISTS ${PROJECT_SOURCE_DIR}/harness/stress/include)
    install(DIRECTORY ${PROJECT_SOURCE_DIR}/harness/stress/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  endif()
endif()
install(EXPORT poolcheckTargets NAMESPACE poolcheck:: DESTINATION ${poolcheck_package_dir})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/poolcheckConfig.cmake.in
  ${PROJECT_BINARY_DIR}/poolcheckConfig.cmake
  INSTALL_DESTINATION ${poolcheck_package_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/poolcheckConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/poolcheckConfig.cmake ${PROJECT_BINARY_DIR}/poolcheckConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/poolcheckTesting.cmake
  DESTINATION ${poolcheck_package_dir})
