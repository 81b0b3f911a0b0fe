// The Catch2 main of every switchboard test executable.
// Distributed under the Boost Software License, Version 1.0.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
