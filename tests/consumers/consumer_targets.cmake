# The consumer's own targets, shared by the three consumer projects: a downstream
# library that links switchboard::switchboard publicly, and an app that uses both.
# Header-only use in two translation units also proves there are no ODR clashes.
add_library(downstream STATIC ${CMAKE_CURRENT_LIST_DIR}/downstream.cpp)
target_include_directories(downstream PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(downstream PUBLIC switchboard::switchboard)
add_executable(consumer_app ${CMAKE_CURRENT_LIST_DIR}/app.cpp)
target_link_libraries(consumer_app PRIVATE downstream)
foreach(t downstream consumer_app)
  target_compile_options(${t} PRIVATE -Wall -Wextra -Wpedantic -Werror)
endforeach()
if(TARGET switchboard_unit_tests OR TARGET switchboard_lib)
  message(FATAL_ERROR "a consumer must not get switchboard's own tests or build helpers")
endif()
