// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_IMPL_TLS_IPP
#define SWITCHBOARD_IMPL_TLS_IPP

#include <switchboard/detail/tls.hpp>

#include <map>
#include <mutex>
#include <stdexcept>
#include <tuple>

namespace switchboard::detail {

SWITCHBOARD_DECL tls_context client_tls_context(const client_tls_options& o) {
#ifdef SWITCHBOARD_WITH_OPENSSL
    // Loading a trust store costs milliseconds: one context per set of options, kept
    // while a client holds it.
    using key = std::tuple<std::string, std::string, std::string, std::string, bool>;
    static std::mutex mutex;
    static std::map<key, std::weak_ptr<SSL_CTX>> made;
    const key k{o.ca_file, o.ca_directory, o.certificate_file, o.private_key_file, o.insecure_skip_verify};
    std::lock_guard lock(mutex);
    if (auto ctx = made[k].lock()) return ctx;
    auto bad = [](const char* what, const std::string& file) {
        return std::invalid_argument("switchboard: client_options.tls." + std::string(what) + " '" + file +
                                     "' cannot be used: " + tls_error_text());
    };
    auto ctx = adopt_context(SSL_CTX_new(TLS_client_method()));
    if (!ctx) throw std::bad_alloc();
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    if (!o.ca_file.empty() || !o.ca_directory.empty()) {
        if (SSL_CTX_load_verify_locations(ctx.get(), o.ca_file.empty() ? nullptr : o.ca_file.c_str(),
                                          o.ca_directory.empty() ? nullptr : o.ca_directory.c_str()) != 1)
            throw bad(o.ca_file.empty() ? "ca_directory" : "ca_file", o.ca_file.empty() ? o.ca_directory : o.ca_file);
    } else {
        SSL_CTX_set_default_verify_paths(ctx.get());
    }
    if (!o.certificate_file.empty() && SSL_CTX_use_certificate_chain_file(ctx.get(), o.certificate_file.c_str()) != 1)
        throw bad("certificate_file", o.certificate_file);
    if (!o.private_key_file.empty() &&
        SSL_CTX_use_PrivateKey_file(ctx.get(), o.private_key_file.c_str(), SSL_FILETYPE_PEM) != 1)
        throw bad("private_key_file", o.private_key_file);
    for (auto it = made.begin(); it != made.end();) it = it->second.expired() ? made.erase(it) : std::next(it);
    made[k] = ctx;
    return ctx;
#else
    (void)o;
    return nullptr;
#endif
}

#ifdef SWITCHBOARD_WITH_OPENSSL
SWITCHBOARD_DECL tls_context server_tls_context(const server_tls_options& o) {
    auto bad = [](const char* what, const std::string& file) {
        return std::invalid_argument("switchboard: server_options.tls." + std::string(what) + " '" + file +
                                     "' cannot be used: " + tls_error_text());
    };
    auto ctx = adopt_context(SSL_CTX_new(TLS_server_method()));
    if (!ctx) throw std::bad_alloc();
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), o.certificate_chain_file.c_str()) != 1)
        throw bad("certificate_chain_file", o.certificate_chain_file);
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), o.private_key_file.c_str(), SSL_FILETYPE_PEM) != 1)
        throw bad("private_key_file", o.private_key_file);
    if (SSL_CTX_check_private_key(ctx.get()) != 1) throw bad("private_key_file", o.private_key_file);
    return ctx;
}
#endif

} // namespace switchboard::detail

#endif
