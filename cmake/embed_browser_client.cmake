# Writes include/switchboard/browser/script.hpp from switchboard.js beside it: the
# server serves that text at <path>/switchboard.js. Run after editing the script:
#   cmake -P cmake/embed_browser_client.cmake             writes the header
#   cmake -DCHECK=ON -P cmake/embed_browser_client.cmake  fails when it is out of date
# (The header is kept in the repository so that the library stays header-only: no
# build step for those who include it.)
get_filename_component(root "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
set(js "${root}/include/switchboard/browser/switchboard.js")
set(hpp "${root}/include/switchboard/browser/script.hpp")
file(READ "${js}" text)
string(FIND "${text}" ")sbjs\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "switchboard.js contains the raw string delimiter )sbjs\"")
endif()
set(out "// Generated from switchboard.js by cmake/embed_browser_client.cmake: do not edit.
// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_BROWSER_SCRIPT_HPP
#define SWITCHBOARD_BROWSER_SCRIPT_HPP

#include <string_view>

namespace switchboard::browser {

/// The browser client, include/switchboard/browser/switchboard.js, as the server serves
/// it at `<path>/switchboard.js` (server_options::serve_client_script).
inline constexpr std::string_view script =
")
# Pieces of at most 8000 bytes: some compilers limit one string literal.
string(LENGTH "${text}" size)
set(at 0)
while(at LESS size)
  string(SUBSTRING "${text}" ${at} 8000 piece)
  string(APPEND out "R\"sbjs(${piece})sbjs\"\n")
  math(EXPR at "${at} + 8000")
endwhile()
string(APPEND out ";

} // namespace switchboard::browser

#endif
")
if(CHECK)
  file(READ "${hpp}" current)
  if(NOT current STREQUAL out)
    message(FATAL_ERROR "include/switchboard/browser/script.hpp is out of date: run cmake -P cmake/embed_browser_client.cmake")
  endif()
else()
  file(WRITE "${hpp}" "${out}")
endif()
