// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_EVENT_HPP
#define SWITCHBOARD_EVENT_HPP

#include <string>

namespace switchboard {

/** One application message, the same on every transport.

    An `event` goes into `async_send` and comes out of `async_receive` / `on_event`
    unchanged, whichever transport carried it: a handler cannot tell WebSocket from
    SSE, long-polling or polling.

    @code
    switchboard::event e{.type = "chat", .data = "hello"};
    @endcode
*/
struct event {
    /// The application-level kind of the event (the SSE `event:` field).
    std::string type = "message";

    /// The payload: UTF-8 text, or arbitrary bytes when `binary` is true.
    std::string data{};

    /** Whether `data` holds bytes rather than text.

        Binary events travel as WebSocket binary frames, and base64-encoded on the
        text-only carriers; they always arrive with `binary == true` and the original
        bytes.
    */
    bool binary = false;

    /** The event id as carried on the wire (the SSE `id:` field).

        In session mode the library sets it on received events; in plain mode it is
        whatever the peer sent (for SSE, the last event id in force).
    */
    std::string id{};

    friend bool operator==(const event&, const event&) = default;
};

} // namespace switchboard

#endif
