"""A long-polling and polling client written from docs/protocol.md alone (Python
standard library only), against the switchboard echo server in session mode.

  python3 poll_peer.py URL long-polling|polling

It opens a session, sends text (one line, several lines, with a CR), binary and
typed events upstream in POSTs, reads the echoes from its polls, drops an answer on
purpose (the next poll must bring it again), resumes on a new connection with a
handshake carrying token and last, and checks every echo arrived exactly once, in
order, with its bytes and type intact.
"""
import base64
import http.client
import ssl
import json
import sys
import time
import urllib.parse


def parse_sse(body):
    """The events of an SSE body: dicts with id, event, data; and the comments."""
    events, comments, cur, data = [], [], {}, None
    for line in body.split("\n"):
        if line == "":
            if data is not None:
                cur["data"] = "\n".join(data)
                events.append(cur)
            cur, data = {}, None
        elif line.startswith(":"):
            comments.append(line[1:].strip())
        else:
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "data":
                data = (data or []) + [value]
            elif field in ("id", "event"):
                cur[field] = value
    return events, comments


class Session:
    def __init__(self, url, transport):
        u = urllib.parse.urlparse(url)
        self.host, self.port, self.path, self.transport = u.hostname, u.port, u.path, transport
        self.secure = u.scheme == "https"  # the CA: SSL_CERT_FILE, else the system's
        self.token, self.last, self.sent, self.received = None, 0, 0, []
        self.get_conn = self.post_conn = None

    def _request(self, which, method, target, body=None):
        conn = getattr(self, which)
        for attempt in range(2):  # a keep-alive connection the server closed: once more on a new one
            if conn is None:
                if self.secure:
                    conn = http.client.HTTPSConnection(self.host, self.port, timeout=30,
                                                       context=ssl.create_default_context())
                else:
                    conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                setattr(self, which, conn)
            try:
                conn.request(method, target, body=body)
                res = conn.getresponse()
                return res.status, res.getheader("Content-Type", ""), res.read()
            except (http.client.HTTPException, ConnectionError):
                conn.close()
                conn = None
                setattr(self, which, None)
        raise RuntimeError("no answer")

    def handshake(self, resume=False):
        q = f"sb=1&transport={self.transport}"
        if resume:
            q += f"&token={self.token}&last={self.last}"
        status, ctype, body = self._request("get_conn", "GET", f"{self.path}?{q}")
        assert status == 200 and ctype.startswith("text/event-stream"), (status, ctype)
        events, _ = parse_sse(body.decode())
        assert events[0]["event"] == "switchboard" and events[0]["data"][0] == "W", events[0]
        welcome = json.loads(events[0]["data"][1:])
        assert welcome["v"] == 1 and welcome["resumed"] == resume, welcome
        self.token = welcome["token"]
        self.deliver(events[1:])
        return welcome

    def poll(self, keep=True):
        q = f"sb=1&transport={self.transport}&token={self.token}&last={self.last}&poll=1"
        status, _, body = self._request("get_conn", "GET", f"{self.path}?{q}")
        assert status == 200, status
        events, comments = parse_sse(body.decode())
        if keep:
            self.deliver(events)
        return events, "more" in comments

    def deliver(self, events):
        for e in events:
            if e.get("event") == "switchboard":
                assert e["data"][0] in "AG", e  # acknowledgements; no gap is expected here
                continue
            token, _, rest = e["id"].rpartition("-")
            assert token == self.token, e
            flag = rest[-1] if rest[-1] in "be" else ""
            seq = int(rest[: len(rest) - len(flag)])
            if seq <= self.last:
                continue  # a replay of what was delivered
            assert seq == self.last + 1, f"gap before {seq}"
            data = base64.b64decode(e["data"]) if flag else e["data"].encode()
            self.received.append((e.get("event", "message"), data if flag == "b" else data.decode(), flag == "b"))
            self.last = seq

    def send(self, events):
        body = b""
        for type_, data in events:
            self.sent += 1
            binary = isinstance(data, bytes)
            frame = f"E{self.sent} {'b' if binary else 't'} {type_}\n".encode() + (data if binary else data.encode())
            body += str(len(frame)).encode() + b":" + frame
        status, _, answer = self._request("post_conn", "POST", f"{self.path}?sb=1&token={self.token}", body)
        assert status == 200 and answer == f"{len(f'A{self.sent}')}:A{self.sent}".encode(), (status, answer)

    def wait_for(self, n, deadline=20):
        end = time.time() + deadline
        while len(self.received) < n and time.time() < end:
            _, more = self.poll()
            if self.transport == "polling" and not more:
                time.sleep(0.05)
        return len(self.received) >= n


def main(url, transport):
    s = Session(url, transport)
    s.handshake()
    first = [("message", "hello"), ("chat", "two\nlines"), ("message", "carriage\rreturn"),
             ("blob", bytes(range(256))), ("message", "x" * 100000)]
    s.send(first)
    if not s.wait_for(len(first)):
        sys.exit(f"{transport}: {len(s.received)} of {len(first)} echoes")
    # An answer lost in transit: read one and drop it; the next poll brings it again.
    s.send([("message", "lost once")])
    got = []
    end = time.time() + 20
    while not got and time.time() < end:
        got, _ = s.poll(keep=False)
        got = [e for e in got if e.get("event") != "switchboard"]
    assert got, "no echo to drop"
    if not s.wait_for(len(first) + 1):
        sys.exit(f"{transport}: the dropped answer was not sent again")
    # A cut: new connections, a resume handshake with token and last.
    for c in (s.get_conn, s.post_conn):
        if c:
            c.close()
    s.get_conn = s.post_conn = None
    s.send([("message", f"after the cut {i}") for i in range(20)])
    welcome = s.handshake(resume=True)
    assert welcome["last"] == s.sent, welcome  # the server delivered all we sent
    if not s.wait_for(len(first) + 21):
        sys.exit(f"{transport}: {len(s.received)} echoes after the resume")
    want = [(t, d, isinstance(d, bytes)) for t, d in first] + [("message", "lost once", False)] + \
           [("message", f"after the cut {i}", False) for i in range(20)]
    if s.received != want:
        sys.exit(f"{transport}: the echoes differ from what was sent")
    print(f"{transport}: {len(want)} events each way, exactly once, in order")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
