#!/usr/bin/env python3
# Writes the seed corpora tests/fuzz/corpus/<target>/ from the vectors of the unit
# tests (tests/unit/*.cpp). The files are committed; run this again after changing it.
# Distributed under the Boost Software License, Version 1.0.
import base64
import os
import shutil

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
KEY = bytes([0x37, 0xFA, 0x21, 0x3D])


def frame(first, payload, masked=True, length=None):
    """A client frame, as client_frame in tests/unit/websocket_frame.cpp."""
    n = len(payload) if length is None else length
    bit = 0x80 if masked else 0
    out = bytes([first])
    if n < 126:
        out += bytes([bit | n])
    elif n <= 0xFFFF:
        out += bytes([bit | 126]) + n.to_bytes(2, "big")
    else:
        out += bytes([bit | 127]) + n.to_bytes(8, "big")
    if masked:
        out += KEY + bytes(b ^ KEY[i & 3] for i, b in enumerate(payload))
    else:
        out += payload
    return out


def close(code, reason=b""):
    return code.to_bytes(2, "big") + reason


SPLIT = b"\x00\x05"  # websocket_frame and http_request: two bytes choose the split

WEBSOCKET = {
    "text": frame(0x81, b"hello"),
    "binary_126": frame(0x82, b"x" * 126),
    "binary_empty": frame(0x82, b""),
    "fragmented_with_ping": frame(0x01, b"hel") + frame(0x89, b"p") + frame(0x80, b"lo"),
    "split_euro_sign": frame(0x01, b"\xe2\x82") + frame(0x80, b"\xac"),
    "close_then_late": frame(0x88, close(1000, b"bye")) + frame(0x81, b"late"),
    "close_empty": frame(0x88, b""),
    "pong": frame(0x8A, b"pong"),
    "unmasked": frame(0x81, b"x", masked=False),
    "rsv1": frame(0xC1, b"x"),
    "reserved_opcode": frame(0x83, b"x"),
    "stray_continuation": frame(0x80, b"x"),
    "fragmented_ping": frame(0x09, b"x"),
    "long_ping": frame(0x89, b"p" * 126),
    "message_in_message": frame(0x01, b"a") + frame(0x81, b"b"),
    "one_byte_close": frame(0x88, b"x"),
    "close_1005": frame(0x88, close(1005)),
    "overlong_utf8": frame(0x81, b"\xc0\xaf"),
    "truncated_utf8_fragments": frame(0x01, b"ok\xe2\x82") + frame(0x80, b"x"),
    "binary_not_utf8": frame(0x82, b"\xc0\xaf"),
    "too_big_header_only": frame(0x82, b"", length=5000)[:8],
    "fragments_too_big": frame(0x02, b"a" * 600) + frame(0x00, b"a" * 600) + frame(0x80, b"a" * 3000),
    "length_64": frame(0x82, b"", length=1 << 40)[:14],
}

SSE = {
    "event": b"data: hello\n\n",
    "line_ends": b"data: a\r\rdata: b\n\ndata: c\r\n\r\ndata: d\r\n\n",
    "multi_line": b"data: one\ndata: two\ndata\n\n",
    "spaces": b"data:  two spaces\n\ndata:none\n\n",
    "no_colon": b"event\ndata: x\n\ndata\n\n",
    "types": b"event: a\n\nevent: b\ndata: x\n\ndata: y\n\n",
    "comments": b":hb\n: spaced\ndata: x\n\n",
    "ids": b"id: 1\ndata: a\n\ndata: b\n\nid: bad\0id\ndata: c\n\nid\ndata: d\n\n",
    "retry": b"retry: 1500\nretry: 15x\nretry: -1\nretry:\nretry: 20\nretry: 99999999999999999999\n\n",
    "unknown_fields": b"foo: bar\ndata: x\nDATA: y\n\n",
    "unterminated": b"data: done\n\ndata: cut off\n",
    "bom": b"\xef\xbb\xbfdata: x\n\n",
    "two_boms": b"\xef\xbb\xbf\xef\xbb\xbfdata: x\n\n",
    "invalid_utf8": b"data: a\xc0\xafb\n\ndata: \xe2\x82x\n\ndata: \xed\xa0\x80\n\ndata: \xe2\x82\n\n",
    "emoji": b"data: \xf0\x9f\x98\x80\n\n",
    "long_line": b"data: " + b"a" * 600,
    "big_event": (b"data: " + b"d" * 200 + b"\n") * 12 + b"\n",
    "switchboard_control": b"event: switchboard\ndata: W{\"v\":1}\nid: 3\n\n",
}

WELCOME = b'W{"v":1,"token":"abc","last":12,"resumed":true,"heartbeat":25000,"timeout":60000,"max_message":99}'
FRAMES = {
    "event": b"E42 t chat message\nline 1\nline 2",
    "event_binary": b"E1 b \n\x00\x01",
    "event_base64": b"E7 b blob\n" + base64.b64encode(b"\x00\x01\x02\xff"),
    "ack": b"A7",
    "gap": b"G3 9",
    "heartbeat": b"H",
    "close": b"C4000 bye now",
    "welcome": WELCOME,
    "bad_seq_zero": b"E0 t x\n",
    "bad_kind": b"E1 q x\n",
    "bad_leading_zero": b"E01 t x\n",
    "bad_gap": b"G5 3",
    "bad_huge": b"E99999999999999999999999 t x\n",
    "bad_cr": b"E1 t a\rb\n",
    "bad_welcome_version": b'W{"v":99}',
}


def framed(*frames):
    return b"".join(str(len(f)).encode() + b":" + f for f in frames)


POST = {
    "three": framed(b"E1 t up\nhello", b"E2 b up\n\0\r\n:9:", b"A7"),
    "gap_and_events": framed(b"E1 t a\nx", b"G2 5", b"E7 t a\ny", b"E3 t a\nold"),
    "close": framed(b"E1 t a\nx", b"C0 bye", b"E2 t a\ny"),
    "heartbeat": framed(b"H"),
    "empty_frame": framed(b""),
    "truncated": b"5:A1",
    "no_length": b":A1",
    "leading_zero": b"02:A1",
    "welcome": framed(WELCOME),
}

REQUESTS = {
    "websocket": b"GET /live?sb=1 HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                 b"Origin: https://app.example\r\n\r\n",
    "sse_resume": b"GET /live?sb=1&token=ab%20c+d&last=42 HTTP/1.1\r\nHost: h\r\n"
                  b"Accept: text/event-stream\r\nLast-Event-ID: 42\r\n\r\n",
    "post": b"POST /live?sb=1&token=t HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n"
            b"Origin: HTTP://LOCALHOST:8080\r\n\r\n" + framed(b"E1 t a\nx"),
    "post_chunked": b"POST /live?sb=1&token=t HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                    b"4\r\n2:A1\r\n0\r\n\r\n",
    "options": b"OPTIONS /live HTTP/1.1\r\nHost: h\r\nOrigin: https://evil.example\r\n\r\n",
    "bad_escape": b"GET /live?sb=1&token=%zz&last=4x HTTP/1.1\r\nHost: h\r\n\r\n",
}

HELPERS = {  # first byte % 4: 0 url, 1 query, 2 base64, 3 utf8
    "url": b"\x00ws://example.com:9000/live?room=a&x=1#frag",
    "url_ipv6": b"\x00ws://[::1]:8080/live",
    "url_https": b"\x00HTTPS://h?q",
    "url_bad_port": b"\x00ws://h:65536/",
    "url_user": b"\x00ws://user@h/",
    "url_unterminated_ipv6": b"\x00ws://[::1/",
    "query": b"\x01sb=1&token=ab%20c+d&last=42",
    "query_flag": b"\x01flag&x=1",
    "query_bad_escape": b"\x01a=%4",
    "query_number": b"\x0118446744073709551615",
    "base64": b"\x02aGVsbG8=",
    "base64_bytes": b"\x02\x00\x01\x02\xff\xfe",
    "base64_padding": b"\x02QQ==",
    "utf8": b"\x03\x04h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80",
    "utf8_overlong": b"\x03\x01\xc0\xaf",
    "utf8_surrogate": b"\x03\x02\xed\xa0\x80",
    "utf8_above_max": b"\x03\x02\xf4\x90\x80\x80",
    "utf8_truncated": b"\x03\x01\xe2\x82",
}

CORPORA = {
    "websocket_frame": {k: SPLIT + v for k, v in WEBSOCKET.items()},
    "sse_parser": {k: b"\x07" + v for k, v in SSE.items()},
    "session_frame": FRAMES,
    "post_body": POST,
    "http_request": {k: SPLIT + v for k, v in REQUESTS.items()},
    "helpers": HELPERS,
}

for target, files in CORPORA.items():
    folder = os.path.join(ROOT, target)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    for name, data in files.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
    print(f"{target}: {len(files)} files")
