// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_SRC_HPP
#define SWITCHBOARD_SRC_HPP

/// @file
/// Include this in exactly one translation unit of a program that defines
/// `SWITCHBOARD_SEPARATE_COMPILATION` everywhere: it compiles switchboard's
/// non-template code once (as Boost.Beast's `<boost/beast/src.hpp>`). Every `.ipp` is
/// listed here; header-only builds include the same files from the end of the
/// endpoint that uses them (`impl/server.ipp`, `impl/client.hpp`) or of a
/// self-contained header (`error.hpp`, `options.hpp`, `detail/base64.hpp`, ...).

#if !defined(SWITCHBOARD_SEPARATE_COMPILATION)
#error "Define SWITCHBOARD_SEPARATE_COMPILATION to use <switchboard/src.hpp>"
#endif

#include <switchboard/config.hpp>

// Shared pieces.
#include <switchboard/impl/authorization.ipp>
#include <switchboard/impl/base64.ipp>
#include <switchboard/impl/error.ipp>
#include <switchboard/impl/options.ipp>
#include <switchboard/impl/sha1.ipp>

// Cores and endpoints.
#include <switchboard/impl/client_core.ipp>
#include <switchboard/impl/connection_slot.ipp>
#include <switchboard/impl/http_front.ipp>
#include <switchboard/impl/http_upstream.ipp>
#include <switchboard/impl/server.ipp>
#include <switchboard/impl/server_core.ipp>
#include <switchboard/impl/server_session.ipp>
#include <switchboard/impl/session.ipp>
#include <switchboard/impl/stream_connection.ipp>
#include <switchboard/impl/tls.ipp>

// Carriers.
#include <switchboard/long_polling/impl/client_carrier.ipp>
#include <switchboard/long_polling/impl/server_channel.ipp>
#include <switchboard/sse/impl/client_carrier.ipp>
#include <switchboard/sse/impl/server_connection.ipp>
#include <switchboard/websocket/impl/client_carrier.ipp>
#include <switchboard/websocket/impl/server_connection.ipp>

#endif
