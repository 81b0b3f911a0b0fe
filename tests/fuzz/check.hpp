// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_FUZZ_CHECK_HPP
#define SWITCHBOARD_FUZZ_CHECK_HPP

// What every fuzz target shares: an invariant check that survives NDEBUG and stops
// the fuzzer (abort: libFuzzer keeps the input as a crash), and the input as a view.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define SB_FUZZ_CHECK(cond) ((cond) ? void(0) : ::sb_fuzz::violated(#cond, __FILE__, __LINE__))

namespace sb_fuzz {

[[noreturn]] inline void violated(const char* what, const char* file, int line) {
    std::fprintf(stderr, "%s:%d: invariant violated: %s\n", file, line, what);
    std::abort();
}

inline std::string_view view(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

} // namespace sb_fuzz

#endif
