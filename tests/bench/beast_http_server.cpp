// The raw Beast peer of switchboard's long-polling benchmark, its ceiling: a keep-alive
// HTTP server that answers every request at once with the bytes of a one-event
// long-polling answer (same headers, same body size), one connection per object, one
// http::async_read and one http::async_write per request.
//   bench-beast-http-server PORT
// Distributed under the Boost Software License, Version 1.0.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <iostream>
#include <memory>
#include <string>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// What a long-polling answer with one benchmark event carries.
const std::string body = "id: 0123456789abcdef0123456789abcdef-1\ndata: 1 1234567890123456789\n\n";

class connection : public std::enable_shared_from_this<connection> {
public:
    explicit connection(tcp::socket s) : stream_(std::move(s)) {}

    void read() {
        request_ = {};
        http::async_read(stream_, buffer_, request_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return;
            self->answer();
        });
    }

private:
    void answer() {
        response_ = {http::status::ok, request_.version()};
        response_.set(http::field::content_type, "text/event-stream; charset=utf-8");
        response_.set(http::field::cache_control, "no-store");
        response_.keep_alive(request_.keep_alive());
        response_.body() = body;
        response_.prepare_payload();
        http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec || !self->response_.keep_alive()) return;
            self->read();
        });
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    http::request<http::string_body> request_;
    http::response<http::string_body> response_;
};

void accept(tcp::acceptor& a) {
    a.async_accept([&a](beast::error_code ec, tcp::socket s) {
        if (!ec) {
            s.set_option(tcp::no_delay(true));
            std::make_shared<connection>(std::move(s))->read();
        }
        accept(a);
    });
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    asio::io_context ioc{1};
    tcp::acceptor a{ioc, {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(std::stoi(argv[1]))}};
    accept(a);
    std::cout << "ready" << std::endl;
    ioc.run();
}
