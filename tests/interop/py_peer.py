"""Interop peer on Python's `websockets` (Debian python3-websockets).

  python3 py_peer.py client URL   sends text and binary messages, expects each echoed intact
  python3 py_peer.py server PORT  echoes every message (text stays text, binary binary)
"""
import asyncio
import sys

import websockets


async def client(url):
    expected = ["héllo wörld", bytes(range(256))] + [f"message {i}" for i in range(50)] + ["x" * 100000]
    async with websockets.connect(url, max_size=None) as ws:
        for m in expected:
            await ws.send(m)
        for i, want in enumerate(expected):
            got = await asyncio.wait_for(ws.recv(), 10)
            if got != want or type(got) is not type(want):
                sys.exit(f"python client: message {i} differs")
    return 0


async def server(port):
    async def echo(ws, *_):
        async for m in ws:
            await ws.send(m)

    async with websockets.serve(echo, "127.0.0.1", port, max_size=None):
        print("ready", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    mode, arg = sys.argv[1], sys.argv[2]
    sys.exit(asyncio.run(client(arg) if mode == "client" else server(int(arg))))
