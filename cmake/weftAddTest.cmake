# SPDX-License-Identifier: MIT
# weftAddTest.cmake: weft_add_test(), installed with the weft CMake package
# (weftConfig.cmake includes it) for users' own projects:
#
#   weft_add_test(NAME n COMMAND prog args... [EXPECT kind=count...]
#                 [SUPPRESSIONS file] [WEFT_ARGS arg...])
#
# registers the CTest test n, which runs the command under `weft run` and
# fails when the command fails (its exit status, passed through by weft
# run) or when the findings differ from EXPECT (none expected: no finding
# may be reported; kind=count: exactly count findings of kind). The trace
# is left next to the test's output: ${CMAKE_CURRENT_BINARY_DIR}/n.weft.db
# (read it with `weft report n.weft.db`). prog may be a target of the
# project. The weft command used is WEFT_EXECUTABLE (set by the package to
# the installed weft).
set(_WEFT_RUN_TEST_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/weftRunTest.cmake")

function(weft_add_test)
  cmake_parse_arguments(W "" "NAME;SUPPRESSIONS" "COMMAND;EXPECT;WEFT_ARGS" ${ARGN})
  if(NOT W_NAME OR NOT W_COMMAND)
    message(FATAL_ERROR "weft_add_test: NAME and COMMAND are required")
  endif()
  if(W_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "weft_add_test(${W_NAME}): unknown arguments: ${W_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT WEFT_EXECUTABLE)
    message(FATAL_ERROR "weft_add_test(${W_NAME}): WEFT_EXECUTABLE is not set (this weft package was installed without the weft command)")
  endif()
  if(CMAKE_VERSION VERSION_LESS 3.19)
    message(FATAL_ERROR "weft_add_test needs CMake 3.19 or newer (string(JSON))")
  endif()
  foreach(e IN LISTS W_EXPECT)
    if(NOT e MATCHES "^[A-Za-z0-9_-]+=[0-9]+$")
      message(FATAL_ERROR "weft_add_test(${W_NAME}): EXPECT wants kind=count, not '${e}'")
    endif()
  endforeach()
  if(W_SUPPRESSIONS AND NOT IS_ABSOLUTE "${W_SUPPRESSIONS}")
    set(W_SUPPRESSIONS "${CMAKE_CURRENT_SOURCE_DIR}/${W_SUPPRESSIONS}")
  endif()
  list(GET W_COMMAND 0 prog)
  list(REMOVE_AT W_COMMAND 0)
  if(TARGET ${prog})
    set(prog "$<TARGET_FILE:${prog}>")
  endif()
  # The test's settings go into a small file (generator expressions
  # resolved there), so that lists and odd arguments reach the driver
  # intact, without quoting through the command line.
  set(spec "${CMAKE_CURRENT_BINARY_DIR}/weft_tests/${W_NAME}.cmake")
  set(content "set(WEFT_TEST_NAME [==[${W_NAME}]==])\n")
  string(APPEND content "set(WEFT [==[${WEFT_EXECUTABLE}]==])\n")
  string(APPEND content "set(TRACE [==[${CMAKE_CURRENT_BINARY_DIR}/${W_NAME}.weft.db]==])\n")
  string(APPEND content "set(SUPPRESSIONS [==[${W_SUPPRESSIONS}]==])\n")
  string(APPEND content "set(CMD [==[${prog}]==])\n")
  foreach(a IN LISTS W_COMMAND)
    string(APPEND content "list(APPEND CMD [==[${a}]==])\n")
  endforeach()
  string(APPEND content "set(WEFT_ARGS)\n")
  foreach(a IN LISTS W_WEFT_ARGS)
    string(APPEND content "list(APPEND WEFT_ARGS [==[${a}]==])\n")
  endforeach()
  string(APPEND content "set(EXPECT [==[${W_EXPECT}]==])\n")
  file(GENERATE OUTPUT "${spec}" CONTENT "${content}")
  add_test(NAME ${W_NAME}
    COMMAND ${CMAKE_COMMAND} -DWEFT_TEST_SPEC=${spec} -P ${_WEFT_RUN_TEST_SCRIPT}
    WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
endfunction()
