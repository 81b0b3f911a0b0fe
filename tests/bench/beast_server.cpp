// The raw Beast peer of switchboard's WebSocket benchmark: one
// boost::beast::websocket::stream per connection, one frame per async_write.
//   bench-beast-server PORT echo|fanout [CERT KEY]
// fanout: each message is shared (one buffer) and queued on every connection; each
// connection writes its queue one frame at a time. With CERT and KEY (PEM files): TLS,
// boost::beast::ssl_stream under each websocket::stream.
// Distributed under the Boost Software License, Version 1.0.
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/ssl/impl/src.hpp> // (Asio is compiled separately: its TLS part here)
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <deque>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <type_traits>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

bool fanout = false;

struct subscriber {
    virtual ~subscriber() = default;
    virtual void send(std::shared_ptr<const std::string> msg) = 0;
};
std::set<subscriber*> everyone;

template <class Next> // beast::tcp_stream, or beast::ssl_stream<beast::tcp_stream>
class connection : public subscriber, public std::enable_shared_from_this<connection<Next>> {
public:
    template <class... Args>
    explicit connection(tcp::socket s, Args&... tls) : ws_(std::move(s), tls...) {}
    ~connection() override { everyone.erase(this); }

    void start() {
        if constexpr (std::is_same_v<Next, beast::tcp_stream>) {
            accept();
        } else {
            ws_.next_layer().async_handshake(asio::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
                if (!ec) self->accept();
            });
        }
    }

    void accept() {
        ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
        ws_.async_accept([self = this->shared_from_this()](beast::error_code ec) {
            if (ec) return;
            everyone.insert(self.get());
            self->read();
        });
    }

    void send(std::shared_ptr<const std::string> msg) override {
        queue_.push_back(std::move(msg));
        if (queue_.size() == 1) write();
    }

private:
    void read() {
        ws_.async_read(buffer_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return;
            auto msg = std::make_shared<const std::string>(beast::buffers_to_string(self->buffer_.data()));
            self->buffer_.consume(self->buffer_.size());
            if (fanout)
                for (auto* c : everyone) c->send(msg);
            else
                self->send(msg);
            self->read();
        });
    }

    void write() {
        ws_.text(true);
        ws_.async_write(asio::buffer(*queue_.front()), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return;
            self->queue_.pop_front();
            if (!self->queue_.empty()) self->write();
        });
    }

    websocket::stream<Next> ws_;
    beast::flat_buffer buffer_;
    std::deque<std::shared_ptr<const std::string>> queue_;
};

void accept(tcp::acceptor& a, asio::ssl::context* tls) {
    a.async_accept([&a, tls](beast::error_code ec, tcp::socket s) {
        if (!ec) {
            s.set_option(tcp::no_delay(true));
            if (tls) std::make_shared<connection<beast::ssl_stream<beast::tcp_stream>>>(std::move(s), *tls)->start();
            else std::make_shared<connection<beast::tcp_stream>>(std::move(s))->start();
        }
        accept(a, tls);
    });
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 3) return 2;
    fanout = std::string(argv[2]) == "fanout";
    asio::io_context ioc{1};
    tcp::acceptor a{ioc, {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(std::stoi(argv[1]))}};
    asio::ssl::context tls{asio::ssl::context::tls_server};
    if (argc > 4) {
        tls.use_certificate_chain_file(argv[3]);
        tls.use_private_key_file(argv[4], asio::ssl::context::pem);
    }
    accept(a, argc > 4 ? &tls : nullptr);
    std::cout << "ready" << std::endl;
    ioc.run();
}
