# Settings for switchboard's own tests, examples and benchmarks (never for consumers):
#  - warnings are errors;
#  - optional sanitizers (SWITCHBOARD_SANITIZE=address,undefined or thread);
#  - ccache when found;
#  - one static library, switchboard_lib, compiles switchboard, Asio and Beast once
#    (SWITCHBOARD/BOOST_ASIO/BOOST_BEAST_SEPARATE_COMPILATION) and owns the
#    precompiled header that every other project target reuses.

set(SWITCHBOARD_SANITIZE "" CACHE STRING
    "Sanitizers for the project's own targets, e.g. address,undefined or thread")

find_program(SWITCHBOARD_CCACHE ccache)
if(SWITCHBOARD_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  # Precompiled headers need these sloppiness settings to be cached at all.
  set(CMAKE_CXX_COMPILER_LAUNCHER
      ${CMAKE_COMMAND} -E env
      "CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime"
      ${SWITCHBOARD_CCACHE})
endif()

add_library(switchboard_options INTERFACE)
target_compile_options(switchboard_options INTERFACE -Wall -Wextra -Wpedantic -Werror)
if(SWITCHBOARD_SANITIZE)
  target_compile_options(switchboard_options INTERFACE
    -fsanitize=${SWITCHBOARD_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(switchboard_options INTERFACE -fsanitize=${SWITCHBOARD_SANITIZE})
  if(SWITCHBOARD_SANITIZE MATCHES "thread" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC warns that TSan does not model std::atomic_thread_fence (used inside Asio).
    target_compile_options(switchboard_options INTERFACE -Wno-tsan)
  endif()
endif()

add_library(switchboard_lib STATIC ${PROJECT_SOURCE_DIR}/tests/lib/switchboard_lib.cpp)
target_link_libraries(switchboard_lib PUBLIC switchboard::switchboard switchboard_options)
target_compile_definitions(switchboard_lib PUBLIC
  SWITCHBOARD_SEPARATE_COMPILATION
  BOOST_ASIO_SEPARATE_COMPILATION
  BOOST_BEAST_SEPARATE_COMPILATION
  BOOST_ASIO_NO_DEPRECATED)
target_precompile_headers(switchboard_lib PRIVATE ${PROJECT_SOURCE_DIR}/tests/lib/pch.hpp)

# Links TARGET to switchboard_lib and reuses its precompiled header.
function(switchboard_use_lib target)
  target_link_libraries(${target} PRIVATE switchboard_lib)
  target_precompile_headers(${target} REUSE_FROM switchboard_lib)
endfunction()
