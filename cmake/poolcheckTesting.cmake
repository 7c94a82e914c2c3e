# poolcheck_add_stress_test(NAME <name> COMMAND <target-or-path> [ARGS <arg>...] [TIMEOUT <seconds>])
#
# Registers the ctest test <name>, which runs
#     <command> <arg>... --junit <current binary dir>/<name>.junit.xml
# COMMAND is an executable target (the installed command, poolcheck::stress, or the project's own
# program built on poolcheck::check's stress_main) or a path; a target is replaced by its file.
# The command's exit code is the verdict: 0 passes, anything else (a violation, a crash, a
# sanitizer's report, a usage error) fails the test. The JUnit file holds the violation, naming
# both leases involved, and the replay line that reruns the failing round; CI systems read it as
# they read ctest's own JUnit output. TIMEOUT sets the test's TIMEOUT property.
# Shipped in the poolcheck CMake package: find_package(poolcheck) includes it.
include_guard(GLOBAL)

function(poolcheck_add_stress_test)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "NAME;COMMAND;TIMEOUT" "ARGS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "poolcheck_add_stress_test: unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_NAME OR NOT arg_COMMAND)
    message(FATAL_ERROR "poolcheck_add_stress_test: NAME and COMMAND are required")
  endif()
  set(junit "${CMAKE_CURRENT_BINARY_DIR}/${arg_NAME}.junit.xml")
  add_test(NAME ${arg_NAME} COMMAND ${arg_COMMAND} ${arg_ARGS} --junit ${junit})
  if(DEFINED arg_TIMEOUT)
    set_tests_properties(${arg_NAME} PROPERTIES TIMEOUT ${arg_TIMEOUT})
  endif()
endfunction()
