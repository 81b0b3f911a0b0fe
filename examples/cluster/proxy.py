#!/usr/bin/env python3
# A round-robin TCP proxy without stickiness, as a load balancer in front of a cluster:
# each new connection goes to the next node that accepts it (a node that refuses is
# skipped, as a balancer's health check would). Prints "connection N -> PORT" for each.
#
#   proxy.py LISTEN_PORT NODE_PORT...
#
# Distributed under the Boost Software License, Version 1.0.
import asyncio
import sys

listen_port = int(sys.argv[1])
nodes = [int(p) for p in sys.argv[2:]]
turn = 0
count = 0


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def serve(client_reader, client_writer):
    global turn, count
    for _ in nodes:
        port = nodes[turn % len(nodes)]
        turn += 1
        try:
            node_reader, node_writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            continue
        count += 1
        print(f"connection {count} -> {port}", flush=True)
        await asyncio.gather(pipe(client_reader, node_writer), pipe(node_reader, client_writer))
        return
    client_writer.close()


async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", listen_port)
    async with server:
        await server.serve_forever()


asyncio.run(main())
