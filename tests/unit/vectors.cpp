// The protocol vectors shared with the browser client's tests (tests/vectors/protocol.json):
// the C++ reader makes of each frame, POST body and welcome what the JavaScript one does.
// Distributed under the Boost Software License, Version 1.0.
#include <switchboard/browser/script.hpp>
#include <switchboard/detail/protocol.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iterator>
#include <string>

namespace proto = switchboard::detail::proto;
using nlohmann::json;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const json& vectors() {
    static const json v = json::parse(read_file(SWITCHBOARD_TEST_SOURCE_DIR "/vectors/protocol.json"));
    return v;
}

std::string unhex(const std::string& hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return out;
}

std::string bytes_of(const json& v, const char* name) {
    const std::string hex = std::string(name) + "_hex";
    return v.contains(hex) ? unhex(v[hex].get<std::string>()) : v[name].get<std::string>();
}

} // namespace

TEST_CASE("every shared frame vector reads as the vectors say") {
    std::size_t checked = 0;
    for (const auto& v : vectors()["frames"]) {
        const auto wire = bytes_of(v, "wire");
        CAPTURE(wire);
        const auto f = proto::parse(wire);
        const auto& want = v["frame"];
        if (want.is_null()) {
            CHECK_FALSE(f);
            ++checked;
            continue;
        }
        REQUIRE(f);
        const auto kind = want["kind"].get<std::string>();
        if (kind == "event") {
            CHECK(f->k == proto::kind::event);
            CHECK(f->a == want["seq"].get<std::uint64_t>());
            CHECK(f->binary == want["binary"].get<bool>());
            CHECK(proto::event_type(f->type) == want["type"].get<std::string>());
            CHECK(std::string(f->body) == bytes_of(want, "data"));
            // Written back, the frame is the same bytes (an empty type is written as is).
            if (f->type == want["type"].get<std::string>())
                CHECK(proto::event_header(f->a, f->type, f->binary) + std::string(f->body) == wire);
        } else if (kind == "ack") {
            CHECK(f->k == proto::kind::ack);
            CHECK(f->a == want["seq"].get<std::uint64_t>());
            CHECK(proto::encode_ack(f->a) == wire);
        } else if (kind == "gap") {
            CHECK(f->k == proto::kind::gap);
            CHECK(f->a == want["first"].get<std::uint64_t>());
            CHECK(f->b == want["last"].get<std::uint64_t>());
            CHECK(proto::encode_gap({f->a, f->b}) == wire);
        } else if (kind == "heartbeat") {
            CHECK(f->k == proto::kind::heartbeat);
        } else if (kind == "close") {
            CHECK(f->k == proto::kind::close);
            CHECK(f->a == want["code"].get<std::uint64_t>());
            CHECK(std::string(f->body) == want["reason"].get<std::string>());
            CHECK(proto::encode_close(static_cast<std::uint16_t>(f->a), f->body) == wire);
        } else {
            REQUIRE(kind == "welcome");
            CHECK(f->k == proto::kind::welcome);
            CHECK(std::string(f->body) == want["body"].get<std::string>());
        }
        ++checked;
    }
    CHECK(checked == vectors()["frames"].size());
    CHECK(checked > 40);
}

TEST_CASE("every shared POST body vector splits into its frames, or is refused") {
    for (const auto& v : vectors()["bodies"]) {
        const auto body = bytes_of(v, "body");
        CAPTURE(body);
        std::string_view rest = body;
        std::vector<std::string> got;
        bool ok = true;
        while (!rest.empty()) {
            std::string_view frame;
            if (!proto::next_framed(rest, frame)) {
                ok = false;
                break;
            }
            got.emplace_back(frame);
        }
        const bool valid = v.contains("frames_hex") || !v["frames"].is_null();
        CHECK(ok == valid);
        if (!valid) continue;
        std::vector<std::string> want;
        if (v.contains("frames_hex"))
            for (const auto& h : v["frames_hex"]) want.push_back(unhex(h.get<std::string>()));
        else
            for (const auto& f : v["frames"]) want.push_back(f.get<std::string>());
        CHECK(got == want);
        std::string written;
        for (const auto& f : want) proto::append_framed(written, f);
        CHECK(written == body);
    }
}

TEST_CASE("every shared welcome vector is accepted or refused as the vectors say") {
    for (const auto& v : vectors()["welcomes"]) {
        const auto body = v["body"].get<std::string>();
        CAPTURE(body);
        CHECK(proto::parse_welcome(body).has_value() == v["valid"].get<bool>());
    }
}

TEST_CASE("the script the server serves is switchboard.js as it is in the repository") {
    // (include/switchboard/browser/script.hpp is made from it: cmake/embed_browser_client.cmake)
    CHECK(switchboard::browser::script == read_file(SWITCHBOARD_TEST_SOURCE_DIR "/../include/switchboard/browser/switchboard.js"));
}
