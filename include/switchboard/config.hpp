// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_CONFIG_HPP
#define SWITCHBOARD_CONFIG_HPP

/// @file
/// Build configuration. switchboard is header-only by default. Define
/// `SWITCHBOARD_SEPARATE_COMPILATION` in every translation unit and include
/// `<switchboard/src.hpp>` in exactly one of them to compile the non-template code
/// once (as Boost.Beast's `src.hpp`).

#if __cplusplus < 202002L && !(defined(_MSVC_LANG) && _MSVC_LANG >= 202002L)
#error "switchboard requires C++20"
#endif

#if defined(SWITCHBOARD_SEPARATE_COMPILATION)
#define SWITCHBOARD_DECL
#else
#define SWITCHBOARD_HEADER_ONLY 1
#define SWITCHBOARD_DECL inline
#endif

#endif
