#!/usr/bin/env python3
"""Public-server side of the lab's behaviour tests: tells each client what address it saw.

  labecho.py [--bind 198.18.0.10 --bind 198.18.0.11] --tcp 7001 --tcp 7002 --udp 7001

Every TCP connection gets one JSON line {"observed": "ip:port", "local": "ip:port"} and is
closed; every UDP datagram gets the same JSON as a reply. Events (JSON lines with an
"event" field, Burrow's CLI contract) go to stderr: ready, tcp, udp.
Standard library only.
"""
import argparse, asyncio, json, sys


def event(name, **fields):
    print(json.dumps({"event": name, **fields}), file=sys.stderr, flush=True)


def endpoint(addr):
    return f"{addr[0]}:{addr[1]}"


async def on_tcp(reader, writer):
    remote, local = endpoint(writer.get_extra_info("peername")), endpoint(writer.get_extra_info("sockname"))
    event("tcp", remote=remote, local=local)
    writer.write((json.dumps({"observed": remote, "local": local}) + "\n").encode())
    await writer.drain()
    writer.close()


class Udp(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        local = endpoint(self.transport.get_extra_info("sockname"))
        if not data.startswith(b"quiet"):
            event("udp", remote=endpoint(addr), local=local)
        self.transport.sendto((json.dumps({"observed": endpoint(addr), "local": local}) + "\n").encode(), addr)


async def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bind", action="append", help="address to listen on (repeatable; default all)")
    parser.add_argument("--tcp", type=int, action="append", default=[])
    parser.add_argument("--udp", type=int, action="append", default=[])
    args = parser.parse_args()
    loop = asyncio.get_running_loop()
    # one socket per address: UDP answers then leave from the address the client used
    for address in args.bind or ["0.0.0.0"]:
        for port in args.tcp:
            await asyncio.start_server(on_tcp, address, port, reuse_address=True)
        for port in args.udp:
            await loop.create_datagram_endpoint(Udp, local_addr=(address, port))
    event("ready", tcp=args.tcp, udp=args.udp)
    await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
