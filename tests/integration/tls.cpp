// TLS: certificate checks, listeners side by side, misuse. (Every template test of the
// transports runs over TLS too: ctest's integration-tls/ tests.)
// Distributed under the Boost Software License, Version 1.0.
#include "fixture.hpp"
#include "raw.hpp"

#include <catch2/catch.hpp>

#ifdef SWITCHBOARD_WITH_OPENSSL
#include <boost/asio/ssl.hpp>
#include <boost/asio/ssl/impl/src.hpp> // (Asio is compiled separately: its TLS part here)
#include <boost/beast/ssl.hpp>
#endif

#include <csignal>
#include <cstdlib>
#include <future>
#include <mutex>

#ifdef SWITCHBOARD_WITH_OPENSSL

using namespace harness;
namespace sb = switchboard;

namespace {

// TLS only, with the certificate `name` (tests/tls/make_certs.sh).
sb::server_options tls_with(const std::string& name) {
    sb::server_options o;
    o.tls.certificate_chain_file = cert(name + ".pem");
    o.tls.private_key_file = cert(name + ".key");
    o.tls.port = 0;
    o.listen_plain = false;
    return o;
}

sb::client_options trusting_test_ca() {
    sb::client_options o;
    o.tls.ca_file = cert("ca.pem");
    return o;
}

template <class Transport>
std::string secure_url(unsigned short port) {
    return url_for<Transport>(port, "/live", true);
}

// An application's own TLS listener, with its own context and asio's or Beast's TLS
// stream: it does the handshake and reads each request itself, then hands the stream
// to the server (server::handle).
template <class Stream>
class tls_application {
public:
    tls_application(asio::io_context& ioc, sb::server& srv) : state_(std::make_shared<state>(ioc, srv)) {
        state::accept(state_);
    }
    ~tls_application() { // the server is not called after this
        std::promise<void> closed;
        asio::post(state_->acceptor.get_executor(), [&] {
            std::lock_guard lock(state_->mutex);
            state_->srv = nullptr;
            state_->acceptor.close();
            closed.set_value();
        });
        closed.get_future().wait();
    }
    unsigned short port() const { return state_->port; }
    std::size_t handed_over() const { return state_->handed_over; }

private:
    struct state {
        asio::ssl::context ctx{asio::ssl::context::tls_server};
        tcp::acceptor acceptor;
        unsigned short port;
        std::mutex mutex;
        sb::server* srv;
        std::atomic<std::size_t> handed_over{0};
        state(asio::io_context& ioc, sb::server& s)
            : acceptor(asio::make_strand(ioc), {asio::ip::make_address("127.0.0.1"), 0}),
              port(acceptor.local_endpoint().port()), srv(&s) {
            ctx.use_certificate_chain_file(cert("server.pem"));
            ctx.use_private_key_file(cert("server.key"), asio::ssl::context::pem);
        }
        static void accept(std::shared_ptr<state> self) {
            self->acceptor.async_accept([self](boost::system::error_code ec, tcp::socket socket) {
                if (ec) return;
                auto stream = std::make_shared<Stream>(std::move(socket), self->ctx);
                stream->async_handshake(asio::ssl::stream_base::server, [self, stream](boost::system::error_code ec) {
                    if (ec) return;
                    auto buffer = std::make_shared<boost::beast::flat_buffer>();
                    auto req = std::make_shared<boost::beast::http::request<boost::beast::http::string_body>>();
                    boost::beast::http::async_read(*stream, *buffer, *req,
                                                   [self, stream, buffer, req](boost::system::error_code ec, std::size_t) {
                                                       std::lock_guard lock(self->mutex);
                                                       if (ec || !self->srv) return;
                                                       ++self->handed_over;
                                                       self->srv->handle(std::move(*stream), std::move(*req),
                                                                         std::move(*buffer));
                                                   });
                });
                accept(self);
            });
        }
    };
    std::shared_ptr<state> state_;
};

template <class Stream, class Transport>
void serve_handed_over_tls() {
    io_threads io(2);
    sb::server server(io.ioc, {.address = "127.0.0.1", .port = 0});
    server.on_event([](sb::session s, sb::event e) { s.send(std::move(e)); });
    tls_application<Stream> app(io.ioc, server);
    test_client<Transport> c(io.ioc, url_for<Transport>(app.port(), "/app/live", true), trusting_test_ca());
    c.connect();
    for (int i = 1; i <= 20; ++i) c.send({.type = "echo", .data = std::to_string(i)});
    REQUIRE(wait_until([&] { return c.events.size() == 20; }));
    CHECK(data_of(c.events.items()) == numbered(1, 20));
    CHECK(app.handed_over() >= 1);
    CHECK(server.session_count() == 1);
}

} // namespace

TEMPLATE_TEST_CASE("the server serves requests an application read over TLS and handed over", "[integration]",
                   SWITCHBOARD_TRANSPORTS) {
    serve_handed_over_tls<asio::ssl::stream<tcp::socket>, TestType>();
}

TEST_CASE("a Beast ssl_stream can be handed over too", "[integration]") {
    serve_handed_over_tls<boost::beast::ssl_stream<boost::beast::tcp_stream>, sb::websocket>();
    serve_handed_over_tls<boost::beast::ssl_stream<boost::beast::tcp_stream>, sb::sse>();
}

TEST_CASE("a TLS stream before its handshake is refused by server::handle", "[integration]") {
    io_threads io;
    sb::server server(io.ioc, {.address = "127.0.0.1", .port = 0});
    asio::ssl::context ctx{asio::ssl::context::tls_server};
    tcp::acceptor acceptor(io.ioc, {asio::ip::make_address("127.0.0.1"), 0});
    tcp::socket client(io.ioc);
    client.connect(acceptor.local_endpoint());
    asio::ssl::stream<tcp::socket> stream(acceptor.accept(), ctx);
    CHECK_THROWS_AS(server.handle(std::move(stream), {}), std::invalid_argument);
    CHECK(stream.next_layer().is_open()); // still the caller's
}

TEMPLATE_TEST_CASE("a certificate that is expired, for another host, or not from a trusted CA is refused once, "
                   "with certificate_rejected",
                   "[integration]", SWITCHBOARD_TRANSPORTS) {
    const auto name = GENERATE(as<std::string>{}, "expired", "wrong-host", "self-signed");
    CAPTURE(name);
    test_server srv(tls_with(name));
    test_client<TestType> c(srv.io.ioc, secure_url<TestType>(srv.server.tls_port()), trusting_test_ca());
    CHECK(c.connect_error() == sb::error::certificate_rejected);
    CHECK(c.client.current_state() == sb::state::closed); // never retried
    CHECK(srv.server.session_count() == 0);
}

TEMPLATE_TEST_CASE("insecure_skip_verify accepts a certificate for another host", "[integration]", SWITCHBOARD_TRANSPORTS) {
    test_server srv(tls_with("wrong-host"));
    auto o = trusting_test_ca();
    o.tls.insecure_skip_verify = true;
    test_client<TestType> c(srv.io.ioc, secure_url<TestType>(srv.server.tls_port()), o);
    c.connect();
    c.send({.type = "echo", .data = "through"});
    REQUIRE(wait_until([&] { return c.events.size() == 1; }));
    CHECK(c.events.items()[0].data == "through");
}

TEMPLATE_TEST_CASE("the system trust store is the default: the test CA is not in it", "[integration]",
                   SWITCHBOARD_TRANSPORTS) {
    test_server srv(tls_with("server"));
    test_client<TestType> c(srv.io.ioc, secure_url<TestType>(srv.server.tls_port()));
    CHECK(c.connect_error() == sb::error::certificate_rejected);
}

TEMPLATE_TEST_CASE("TLS and plain listeners of one server serve one set of sessions", "[integration]",
                   SWITCHBOARD_TRANSPORTS) {
    auto o = tls_with("server");
    o.listen_plain = true;
    test_server srv(o);
    REQUIRE(srv.server.port() != 0);
    REQUIRE(srv.server.tls_port() != 0);
    test_client<TestType> plain(srv.io.ioc, url_for<TestType>(srv.server.port()));
    test_client<TestType> secure(srv.io.ioc, secure_url<TestType>(srv.server.tls_port()), trusting_test_ca());
    plain.connect();
    secure.connect();
    plain.send({.type = "join", .data = "news"});
    secure.send({.type = "join", .data = "news"});
    REQUIRE(wait_until([&] { return srv.received.size() == 2; }));
    for (int i = 1; i <= 50; ++i) srv.server.publish("news", {.type = "news", .data = std::to_string(i)});
    REQUIRE(wait_until([&] { return plain.events.size() == 50 && secure.events.size() == 50; }));
    CHECK(data_of(plain.events.items()) == numbered(1, 50));
    CHECK(data_of(secure.events.items()) == numbered(1, 50));
}

TEMPLATE_TEST_CASE("a TLS client at a plain port fails with tls_failed", "[integration]", SWITCHBOARD_TRANSPORTS) {
    test_server srv; // plain only
    test_client<TestType> c(srv.io.ioc, secure_url<TestType>(srv.server.port()), trusting_test_ca());
    CHECK(c.connect_error() == sb::error::tls_failed);
}

TEMPLATE_TEST_CASE("a plain client at the TLS port fails, and the server goes on", "[integration]",
                   SWITCHBOARD_TRANSPORTS) {
    test_server srv(tls_with("server"));
    {
        test_client<TestType> c(srv.io.ioc, url_for<TestType>(srv.server.tls_port()));
        CHECK(c.connect_error() != sb::error_code{});
    }
    test_client<TestType> d(srv.io.ioc, secure_url<TestType>(srv.server.tls_port()), trusting_test_ca());
    d.connect();
    d.send({.type = "echo", .data = "fine"});
    REQUIRE(wait_until([&] { return d.events.size() == 1; }));
}

TEST_CASE("a connection that never finishes its TLS handshake is dropped after handshake_timeout", "[integration]") {
    auto o = tls_with("server");
    o.handshake_timeout = std::chrono::milliseconds(300);
    test_server srv(o);
    asio::io_context raw;
    auto s = raw::connect_to(raw, srv.server.tls_port());
    const char partial[] = "\x16\x03\x01\x00\xff"; // a record header, then silence
    asio::write(s, asio::buffer(partial, 5));
    REQUIRE(wait_until([&] { return srv.server.connection_count() == 1; }));
    REQUIRE(wait_until([&] { return srv.server.connection_count() == 0; }, std::chrono::seconds(5)));
    char b[16];
    boost::system::error_code ec;
    s.read_some(asio::buffer(b), ec);
    CHECK(ec); // the server closed it
}

TEST_CASE("a peer flooding TLS key updates without reading is cut off, and the server goes on", "[integration]") {
    // Each TLS 1.3 KeyUpdate request makes the server owe one of its own (OpenSSL keeps
    // one answer pending, sent with the next write, and fails a connection after 32 key
    // updates in one read): the flood costs the server nothing that grows, and ends.
    std::signal(SIGPIPE, SIG_IGN); // (OpenSSL writes to the client's socket with write())
    test_server srv(tls_with("server"));
    asio::io_context ioc;
    tcp::socket s(ioc);
    s.open(tcp::v4());
    s.set_option(asio::socket_base::receive_buffer_size(4096));
    s.connect({asio::ip::make_address("127.0.0.1"), srv.server.tls_port()});
    const timeval limit{10, 0}; // a write blocked for good fails instead of hanging the test
    REQUIRE(setsockopt(s.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit) == 0);
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()), &SSL_CTX_free);
    REQUIRE(SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION) == 1);
    std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), &SSL_free);
    SSL_set_fd(ssl.get(), s.native_handle());
    REQUIRE(SSL_connect(ssl.get()) == 1);
    const std::string upgrade = "GET /live?sb=1 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    REQUIRE(SSL_write(ssl.get(), upgrade.data(), static_cast<int>(upgrade.size())) == static_cast<int>(upgrade.size()));
    char head[12] = {};
    REQUIRE(SSL_read(ssl.get(), head, sizeof head) > 0);
    REQUIRE(std::string(head, 12) == "HTTP/1.1 101");
    REQUIRE(wait_until([&] { return srv.server.session_count() == 1; }));
    int requests = 0;
    constexpr int enough = 300000;
    while (requests < enough && SSL_key_update(ssl.get(), SSL_KEY_UPDATE_REQUESTED) == 1 && SSL_do_handshake(ssl.get()) == 1)
        ++requests;
    CAPTURE(requests);
    CHECK(requests < enough); // the server ended the connection
    REQUIRE(wait_until([&] { return srv.server.connection_count() == 0; }));
    test_client<sb::websocket> c(srv.io.ioc, secure_url<sb::websocket>(srv.server.tls_port()), trusting_test_ca());
    c.connect();
    c.send({.type = "echo", .data = "still here"});
    REQUIRE(wait_until([&] { return c.events.size() == 1; }));
}

TEST_CASE("TLS files that cannot be used are named at construction") {
    asio::io_context ioc;
    auto o = tls_with("server");
    o.tls.private_key_file = cert("expired.key"); // not the certificate's key
    CHECK_THROWS_AS(sb::server(ioc, o), std::invalid_argument);
    o.tls.certificate_chain_file = cert("missing.pem");
    CHECK_THROWS_AS(sb::server(ioc, o), std::invalid_argument);
    sb::client_options c;
    c.tls.ca_file = cert("missing.pem");
    CHECK_THROWS_AS(sb::websocket_client(ioc, "wss://127.0.0.1:1/live", c), std::invalid_argument);
    CHECK_NOTHROW(sb::websocket_client(ioc, "ws://127.0.0.1:1/live", c)); // not used without TLS
}

TEST_CASE("a server serves TLS with an OpenSSL context of the application's", "[integration]") {
    auto* ctx = SSL_CTX_new(TLS_server_method());
    REQUIRE(SSL_CTX_use_certificate_chain_file(ctx, cert("server.pem").c_str()) == 1);
    REQUIRE(SSL_CTX_use_PrivateKey_file(ctx, cert("server.key").c_str(), SSL_FILETYPE_PEM) == 1);
    io_threads io;
    sb::server server(io.ioc, {.address = "127.0.0.1", .port = 0, .tls = {.port = 0}});
    server.on_event([](sb::session s, sb::event e) { s.send(std::move(e)); });
    server.use_tls(ctx);
    SSL_CTX_free(ctx); // the server holds its own reference
    server.start();
    test_client<sb::websocket> c(io.ioc, secure_url<sb::websocket>(server.tls_port()), trusting_test_ca());
    c.connect();
    c.send({.type = "echo", .data = "own context"});
    REQUIRE(wait_until([&] { return c.events.size() == 1; }));
}

TEMPLATE_TEST_CASE("a server that asks for client certificates serves a client with one and refuses one without",
                   "[integration]", SWITCHBOARD_TRANSPORTS) {
    // Mutual TLS through an application's context: the test CA's certificates both ways.
    auto* ctx = SSL_CTX_new(TLS_server_method());
    REQUIRE(SSL_CTX_use_certificate_chain_file(ctx, cert("server.pem").c_str()) == 1);
    REQUIRE(SSL_CTX_use_PrivateKey_file(ctx, cert("server.key").c_str(), SSL_FILETYPE_PEM) == 1);
    REQUIRE(SSL_CTX_load_verify_locations(ctx, cert("ca.pem").c_str(), nullptr) == 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    io_threads io;
    sb::server server(io.ioc, {.address = "127.0.0.1", .port = 0, .tls = {.port = 0}, .listen_plain = false});
    server.on_event([](sb::session s, sb::event e) { s.send(std::move(e)); });
    server.use_tls(ctx);
    SSL_CTX_free(ctx);
    server.start();
    const auto url = secure_url<TestType>(server.tls_port());
    {
        test_client<TestType> anonymous(io.ioc, url, trusting_test_ca());
        CHECK(anonymous.connect_error() != sb::error_code{});
        CHECK(anonymous.client.current_state() == sb::state::closed);
    }
    auto o = trusting_test_ca();
    o.tls.certificate_file = cert("server.pem"); // (any certificate of the test CA)
    o.tls.private_key_file = cert("server.key");
    test_client<TestType> known(io.ioc, url, o);
    known.connect();
    known.send({.type = "echo", .data = "it is me"});
    REQUIRE(wait_until([&] { return known.events.size() == 1; }));
    CHECK(server.session_count() == 1);
}

TEST_CASE("ca_directory trusts the CAs of a hashed directory") {
    // `openssl rehash` names each CA by its subject hash; made here from the test CA.
    const auto dir = cert_dir() + "/ca-dir";
    REQUIRE(std::system(("mkdir -p " + dir + " && cp " + cert("ca.pem") + " " + dir + "/ca.pem && openssl rehash " + dir +
                         " >/dev/null 2>&1")
                            .c_str()) == 0);
    test_server srv(tls_with("server"));
    sb::client_options o;
    o.tls.ca_directory = dir;
    test_client<sb::websocket> c(srv.io.ioc, secure_url<sb::websocket>(srv.server.tls_port()), o);
    c.connect();
    c.send({.type = "echo", .data = "trusted"});
    REQUIRE(wait_until([&] { return c.events.size() == 1; }));
}

#endif
