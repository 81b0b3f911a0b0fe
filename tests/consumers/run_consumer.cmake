# Configures, builds and runs one consumer project (see CMakeLists.txt beside this).
# For find_package, first installs switchboard from its build tree into a prefix.
cmake_minimum_required(VERSION 3.21)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}")
  endif()
  message(STATUS "${out}")
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(args -S ${SOURCE_DIR} -B ${WORK_DIR}/build -G ${GENERATOR}
         -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
         -DSWITCHBOARD_SOURCE_DIR=${SWITCHBOARD_SOURCE_DIR})
if(LAUNCHER)
  list(APPEND args -DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER})
endif()

if(KIND STREQUAL "find_package")
  run(${CMAKE_COMMAND} --install ${SWITCHBOARD_BINARY_DIR} --prefix ${WORK_DIR}/prefix)
  # Only the installed package may be found: not the source tree, not the build tree.
  list(APPEND args -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
                   -DSWITCHBOARD_SOURCE_DIR=/nonexistent)
  if(NOT EXISTS ${WORK_DIR}/prefix/share/cmake/switchboard/switchboardConfig.cmake)
    message(FATAL_ERROR "the install did not write switchboardConfig.cmake")
  endif()
  if(NOT EXISTS ${WORK_DIR}/prefix/include/switchboard/switchboard.hpp)
    message(FATAL_ERROR "the install did not copy the headers")
  endif()
endif()

run(${CMAKE_COMMAND} ${args})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer_app)
