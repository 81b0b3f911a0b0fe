// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_HPP
#define SWITCHBOARD_HPP

/// @file
/// Includes all of switchboard.

#include <switchboard/authorization.hpp>
#include <switchboard/client.hpp>
#include <switchboard/config.hpp>
#include <switchboard/error.hpp>
#include <switchboard/event.hpp>
#include <switchboard/json.hpp>
#include <switchboard/options.hpp>
#include <switchboard/server.hpp>
#include <switchboard/session/backoff.hpp>
#include <switchboard/session/heartbeat.hpp>
#include <switchboard/session/inbound_sequencer.hpp>
#include <switchboard/session/replay_window.hpp>
#include <switchboard/session/sequence.hpp>
#include <switchboard/session.hpp>
#include <switchboard/state.hpp>
#include <switchboard/transport.hpp>
#include <switchboard/version.hpp>

#endif
