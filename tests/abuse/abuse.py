#!/usr/bin/env python3
# What hostile clients do to switchboard-echo-server (--threads 2), each at once with a
# well-behaved client: slowloris and half-open handshakes, a ping flood, oversize frames,
# bodies and headers, a session flood from one address, and 300 stalled readers of a
# topic while 45 events of 1 MiB are published to it. After each, the server must answer
# a well-behaved client within the probe bound, its RSS must stay under the stated bound,
# and no event may be lost by a well-behaved session.
#   abuse.py ECHO_SERVER [--sanitized]
# Standard library only. Attackers use source addresses 127.0.0.2 and up (the
# per-address limits would otherwise refuse the well-behaved client too, which is a
# test of its own: the session flood).
# Distributed under the Boost Software License, Version 1.0.
import base64, os, resource, socket, struct, subprocess, sys, threading, time

SERVER = sys.argv[1]
SANITIZED = "--sanitized" in sys.argv
SLOW = 5 if SANITIZED else 1
PROBE_BOUND = 1.0 * SLOW               # seconds for a well-behaved client to connect and get its echo
RSS_BOUND_MB = 400 * (4 if SANITIZED else 1)
failures = []
passed = [0]
figures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if ok:
        passed[0] += 1
    else:
        failures.append(what)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def connect(port, source="127.0.0.1", rcvbuf=None, timeout=5.0):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind((source, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    return s


def read_head(s):
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(4096)
        if not chunk:
            break
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    return head.decode("latin-1"), rest


def status_of(head):
    parts = head.split(" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def ws_frame(opcode, payload, fin=True, length=None):
    # A client frame with a zero mask key (any key is valid; zero leaves the payload as is).
    n = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | opcode])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    return head + b"\0\0\0\0" + payload


class WsClient:
    """A raw RFC 6455 client; session=True speaks the switchboard session protocol."""

    def __init__(self, port, session=True, source="127.0.0.1", rcvbuf=None, timeout=5.0):
        self.s = connect(port, source, rcvbuf, timeout)
        target = "/live?sb=1" if session else "/live"
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall((f"GET {target} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n\r\n").encode())
        head, self.buf = read_head(self.s)
        self.status = status_of(head)
        self.seq = 0

    def read_frame(self):
        while True:
            if len(self.buf) >= 2:
                n = self.buf[1] & 0x7F
                at = 2
                if n == 126:
                    if len(self.buf) < 4:
                        n = None
                    else:
                        n, at = struct.unpack("!H", self.buf[2:4])[0], 4
                elif n == 127:
                    if len(self.buf) < 10:
                        n = None
                    else:
                        n, at = struct.unpack("!Q", self.buf[2:10])[0], 10
                if n is not None and len(self.buf) >= at + n:
                    op, payload = self.buf[0] & 0x0F, self.buf[at:at + n]
                    self.buf = self.buf[at + n:]
                    return op, payload
            chunk = self.s.recv(1 << 20)
            if not chunk:
                return None, b""
            self.buf += chunk

    def send_event(self, type_, data):
        self.seq += 1
        self.s.sendall(ws_frame(1, f"E{self.seq} t {type_}\n".encode() + data))

    def close(self):
        self.s.close()


def probe(port):
    """A well-behaved session: connect, send, get the echo. Seconds taken, or None."""
    start = time.monotonic()
    try:
        c = WsClient(port, timeout=PROBE_BOUND * 3)
        if c.status != 101:
            return None
        op, welcome = c.read_frame()
        if not welcome.startswith(b"W"):
            return None
        c.send_event("echo", b"still here")
        while True:
            op, payload = c.read_frame()
            if op is None:
                return None
            if payload.startswith(b"E") and payload.endswith(b"\nstill here"):
                c.close()
                return time.monotonic() - start
    except OSError:
        return None


def check_probe(port, during):
    t = probe(port)
    figures.append(f"probe {during}: " + (f"{t * 1000:.0f} ms" if t is not None else "no answer"))
    check(t is not None and t <= PROBE_BOUND, f"a well-behaved client is served within {PROBE_BOUND:.0f} s {during}"
          + (f" ({t * 1000:.0f} ms)" if t is not None else " (no answer)"))


def slowloris_and_half_open(port, pid):
    # 2,000 connections sending one header byte a second, from two addresses, and 900
    # that send most of an upgrade and then nothing.
    drip = []
    for i in range(2000):
        try:
            s = connect(port, f"127.0.0.{10 + i // 1000}")
            s.setblocking(False)
            drip.append(s)
        except OSError:
            pass
    half = []
    for i in range(900):
        try:
            s = connect(port, "127.0.0.12")
            s.sendall(b"GET /live?sb=1 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n")
            half.append(s)
        except OSError:
            pass
    check(len(drip) == 2000 and len(half) == 900, f"slowloris: {len(drip)} dripping and {len(half)} half-open connections made")
    request = b"GET /live HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 64
    for second in range(3):
        for s in drip:
            try:
                s.send(request[second:second + 1])
            except OSError:
                pass
        time.sleep(1)
    check_probe(port, "among 2,900 slow connections")
    peak = rss_mb(pid)
    figures.append(f"RSS with 2,900 slow connections: {peak:.0f} MB")
    # handshake_timeout (10 s) ends every one of them.
    deadline = time.monotonic() + 15 * SLOW
    open_ = drip + half
    for s in open_:
        s.setblocking(True)
    ended = 0
    for s in open_:
        s.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            while s.recv(4096):
                pass
            ended += 1
        except OSError:
            pass
        s.close()
    check(ended == len(open_), f"slowloris: the server ended {ended} of {len(open_)} slow connections (handshake_timeout)")
    return peak


def ping_flood(port, pid):
    # One peer sends pings and never reads: its pongs fill the socket, then the queue.
    c = WsClient(port, session=False, source="127.0.0.20", rcvbuf=4096)
    pings = ws_frame(9, b"p" * 125) * 8000  # 1 MB
    sent = 0
    closed = False
    peak = 0.0
    c.s.settimeout(10 * SLOW)
    # Until the server ends the connection (past max_queued_bytes it closes, drains what
    # the peer still sends for the close linger, 5 s, then drops it), at most 20 s.
    deadline = time.monotonic() + 20 * SLOW
    try:
        while time.monotonic() < deadline:
            c.s.sendall(pings)
            sent += len(pings)
            if sent % (32 << 20) < len(pings):
                peak = max(peak, rss_mb(pid))
    except OSError:
        closed = True
    peak = max(peak, rss_mb(pid))
    figures.append(f"ping flood: {sent >> 20} MB of pings before the server closed the peer; RSS {peak:.0f} MB")
    check(closed, "ping flood: the peer that never reads is closed (max_queued_bytes counts pongs)")
    check_probe(port, "after a ping flood")
    c.close()
    return peak


def oversize(port, pid):
    c = WsClient(port, session=False, source="127.0.0.21")
    c.s.sendall(ws_frame(2, b"", length=1 << 40))
    op, payload = c.read_frame()
    code = struct.unpack("!H", payload[:2])[0] if op == 8 and len(payload) >= 2 else 0
    check(code == 1009, f"oversize: a frame declaring 1 TiB is closed with 1009 before its payload (got {code})")
    c.close()
    s = connect(port, "127.0.0.21")
    s.sendall(b"POST /live?sb=1&token=x HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n")
    head, _ = read_head(s)
    check(status_of(head) == 413, f"oversize: a POST declaring 1 GiB is answered 413 at once (got {status_of(head)})")
    s.close()
    s = connect(port, "127.0.0.21")
    s.sendall(b"GET /live HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 16384 + b"\r\n\r\n")
    head, _ = read_head(s)
    check(status_of(head) == 431, f"oversize: a 16 KiB header is answered 431 (got {status_of(head)})")
    s.close()


def session_flood(port, pid):
    # One address opens sessions and drops them: each waits session_timeout for a resume.
    statuses = {}
    for i in range(1100):
        try:
            c = WsClient(port, source="127.0.0.30")
            statuses[c.status] = statuses.get(c.status, 0) + 1
            c.close()
        except OSError:
            statuses[0] = statuses.get(0, 0) + 1
    figures.append(f"session flood from one address: {statuses}")
    check(statuses.get(101, 0) == 1000 and statuses.get(503, 0) == 100,
          f"session flood: one address gets max_sessions_per_address (1,000) sessions, then 503 ({statuses})")
    check_probe(port, "after a session flood from another address")


def stalled_readers(port, pid):
    # 300 sessions read their welcome and stop reading; 45 events of 1 MiB are published
    # to everyone. Two well-behaved sessions must get every one, in order.
    stalled = []
    for i in range(300):
        c = WsClient(port, source="127.0.0.40", rcvbuf=4096)
        c.read_frame()
        stalled.append(c)
    good = [WsClient(port) for _ in range(2)]
    for g in good:
        g.read_frame()
    got = [[] for _ in good]

    def read_all(g, out):
        g.s.settimeout(30 * SLOW)
        try:
            while len(out) < 45:
                op, payload = g.read_frame()
                if op is None:
                    return
                if payload.startswith(b"E"):
                    head, _, data = payload.partition(b"\n")
                    out.append((int(head[1:].split()[0]), len(data)))
        except OSError:
            return

    readers = [threading.Thread(target=read_all, args=(g, out)) for g, out in zip(good, got)]
    for r in readers:
        r.start()
    # The publisher is a session too (the echo server's sessions all join the topic): it
    # reads what it is sent, or it would be closed as a slow consumer before it is done.
    publisher = WsClient(port, source="127.0.0.41")
    publisher.read_frame()
    drained = []
    readers.append(threading.Thread(target=read_all, args=(publisher, drained)))
    readers[-1].start()
    peak = 0.0
    data = b"x" * (1 << 20)
    for i in range(45):
        publisher.send_event("broadcast", data)
        if i % 5 == 0:
            peak = max(peak, rss_mb(pid))
    for r in readers:
        r.join(60 * SLOW)
    peak = max(peak, rss_mb(pid))
    figures.append(f"300 stalled readers + 45 x 1 MiB published: RSS {peak:.0f} MB")
    for i, out in enumerate(got):
        seqs = [seq for seq, _ in out]
        check(len(out) == 45 and seqs == sorted(seqs) and len(set(seqs)) == 45 and all(n == 1 << 20 for _, n in out),
              f"stalled readers: well-behaved session {i + 1} got all 45 events once, in order ({len(out)})")
    check_probe(port, "after 300 stalled readers were sent 45 MiB")
    for c in stalled + good + [publisher]:
        c.close()
    return peak


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    port = free_port()
    server = subprocess.Popen([SERVER, "--port", str(port), "--threads", "2"], stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                connect(port).close()
                break
            except OSError:
                time.sleep(0.05)
        idle = rss_mb(server.pid)
        figures.append(f"RSS idle: {idle:.0f} MB")
        check_probe(port, "at rest")
        peaks = [0.0]
        for phase in (slowloris_and_half_open, ping_flood, oversize, session_flood, stalled_readers):
            try:
                peaks.append(phase(port, server.pid) or 0.0)
            except OSError as e:  # a server that stops answering fails the phase, not the script
                check(False, f"{phase.__name__}: {e!r}")
        peak = max(peaks)
        check(peak < RSS_BOUND_MB, f"the server's RSS stayed under {RSS_BOUND_MB} MB (peak {peak:.0f} MB)")
        check(server.poll() is None, "the server is still running")
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            check(False, "the server ends within 10 s of SIGTERM")
            server.kill()
            server.wait()
    print("figures:\n  " + "\n  ".join(figures))
    print(f"{passed[0]} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
