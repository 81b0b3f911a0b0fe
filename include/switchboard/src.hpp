// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_SRC_HPP
#define SWITCHBOARD_SRC_HPP

/// @file
/// Include this in exactly one translation unit of a program that defines
/// `SWITCHBOARD_SEPARATE_COMPILATION` everywhere: it compiles switchboard's
/// non-template code once (as Boost.Beast's `<boost/beast/src.hpp>`).

#if !defined(SWITCHBOARD_SEPARATE_COMPILATION)
#error "Define SWITCHBOARD_SEPARATE_COMPILATION to use <switchboard/src.hpp>"
#endif

#include <switchboard/config.hpp>

#include <switchboard/impl/base64.ipp>
#include <switchboard/impl/client_core.ipp>
#include <switchboard/impl/error.ipp>
#include <switchboard/impl/options.ipp>
#include <switchboard/impl/server.ipp>
#include <switchboard/impl/sha1.ipp>
#include <switchboard/impl/sse_client.ipp>
#include <switchboard/impl/websocket_client.ipp>

#endif
