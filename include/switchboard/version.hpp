// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_VERSION_HPP
#define SWITCHBOARD_VERSION_HPP

/// The library version; CMake reads the three numbers below.
#define SWITCHBOARD_VERSION_MAJOR 0
#define SWITCHBOARD_VERSION_MINOR 1
#define SWITCHBOARD_VERSION_PATCH 0
/// major * 100000 + minor * 100 + patch, as BOOST_VERSION.
#define SWITCHBOARD_VERSION \
    (SWITCHBOARD_VERSION_MAJOR * 100000 + SWITCHBOARD_VERSION_MINOR * 100 + SWITCHBOARD_VERSION_PATCH)
#define SWITCHBOARD_VERSION_STRINGIZE_(x) #x
#define SWITCHBOARD_VERSION_STRINGIZE(x) SWITCHBOARD_VERSION_STRINGIZE_(x)
/// The version as a string literal, "major.minor.patch".
#define SWITCHBOARD_VERSION_STRING                          \
    SWITCHBOARD_VERSION_STRINGIZE(SWITCHBOARD_VERSION_MAJOR) \
    "." SWITCHBOARD_VERSION_STRINGIZE(SWITCHBOARD_VERSION_MINOR) "." SWITCHBOARD_VERSION_STRINGIZE(SWITCHBOARD_VERSION_PATCH)
/// The version of the wire protocol (docs/protocol.md) this library speaks.
#define SWITCHBOARD_PROTOCOL_VERSION 1

namespace switchboard {

/// The library version as "major.minor.patch".
inline constexpr char version_string[] = SWITCHBOARD_VERSION_STRING;

/// The wire protocol version, sent in the session handshake.
inline constexpr int protocol_version = SWITCHBOARD_PROTOCOL_VERSION;

} // namespace switchboard

#endif
