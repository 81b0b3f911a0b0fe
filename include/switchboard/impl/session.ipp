// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_IMPL_SESSION_IPP
#define SWITCHBOARD_IMPL_SESSION_IPP

#include <switchboard/detail/server_session.hpp>
#include <switchboard/session.hpp>

namespace switchboard {

SWITCHBOARD_DECL void session::send(event e) const {
    if (impl_) impl_->post_send(std::make_shared<const event>(detail::checked(std::move(e))));
}
SWITCHBOARD_DECL void session::join(std::string topic) const {
    if (impl_) detail::server_session_join(impl_, std::move(topic));
}
SWITCHBOARD_DECL void session::leave(std::string topic) const {
    if (impl_) detail::server_session_leave(impl_, topic);
}
SWITCHBOARD_DECL void session::close(std::string reason) const {
    if (impl_) impl_->post_close(std::move(reason));
}
SWITCHBOARD_DECL std::uint64_t session::id() const noexcept { return impl_ ? impl_->id() : 0; }
SWITCHBOARD_DECL transport_kind session::transport() const noexcept {
    return impl_ ? impl_->kind() : transport_kind::websocket;
}
SWITCHBOARD_DECL bool session::resumable() const noexcept { return impl_ && impl_->resumable(); }
SWITCHBOARD_DECL std::string_view session::principal() const noexcept {
    return impl_ ? std::string_view(impl_->principal()) : std::string_view();
}
SWITCHBOARD_DECL const std::any& session::data() const noexcept {
    static const std::any none;
    return impl_ ? impl_->data() : none;
}

} // namespace switchboard

#endif
