#!/usr/bin/env python3
"""Client side of the lab's behaviour tests (runs in a host or on the server).

  labprobe.py map --local-port 40000 --listen --hold 198.18.0.10:7001 198.18.0.11:7002
      connects to each target in turn from the same local port (and listens on it, as a
      hole-punching peer would); labecho.py answers with the address it saw:
      events "mapped" {target, observed, rtt_ms} ... "done"; then, with --hold, stays up
      until stdin closes, reporting "accepted" {remote} for inbound connections.
  labprobe.py map --udp ...           the same with UDP datagrams from one socket
  labprobe.py connect 198.18.1.3:40000 [--bind 198.18.0.11] [--timeout 2]     ([2001:2::1]:40000 for IPv6)
      one TCP connection attempt: event "result" {outcome: open|rst|drop|unreachable}
  labprobe.py udp-loss 198.18.0.10:7001 --count 200
      event "stats" {sent, received} for an echo of `count` datagrams

Events are JSON lines with an "event" field on stderr (Burrow's CLI contract).
Standard library only.
"""
import argparse, errno, json, socket, sys, threading, time


def event(name, **fields):
    print(json.dumps({"event": name, **fields}), file=sys.stderr, flush=True)


def parse(endpoint):
    host, port = endpoint.rsplit(":", 1)
    return host.strip("[]"), int(port)          # "[2001:2::1]:7000" too


def reusable(kind, local_port, bind="0.0.0.0"):
    sock = socket.socket(socket.AF_INET, kind)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((bind, local_port))
    return sock


def serve(listener):
    while True:
        conn, addr = listener.accept()
        event("accepted", remote=f"{addr[0]}:{addr[1]}")
        local = conn.getsockname()
        conn.sendall(json.dumps({"hello": f"{local[0]}:{local[1]}", "remote": f"{addr[0]}:{addr[1]}"}).encode() + b"\n")
        conn.close()


def hold(seconds):
    if seconds > 0:
        time.sleep(seconds)
    elif seconds < 0:
        sys.stdin.read()  # until the test closes our stdin (or kills us)


def map_tcp(args):
    if args.listen:
        listener = reusable(socket.SOCK_STREAM, args.local_port)
        listener.listen(16)
        threading.Thread(target=serve, args=(listener,), daemon=True).start()
    for target in args.targets:
        sock = reusable(socket.SOCK_STREAM, args.local_port)
        sock.settimeout(args.timeout)
        started = time.monotonic()
        try:
            sock.connect(parse(target))
            rtt = (time.monotonic() - started) * 1000
            reply = json.loads(sock.makefile().readline())
            event("mapped", target=target, observed=reply["observed"], rtt_ms=round(rtt, 2))
        except (OSError, ValueError) as error:
            event("error", target=target, error=str(error))
        finally:
            sock.close()
    event("done")
    hold(args.hold)


def map_udp(args):
    sock = reusable(socket.SOCK_DGRAM, args.local_port)
    sock.settimeout(args.timeout / 4)
    for target in args.targets:
        for _ in range(4):
            sock.sendto(b"map", parse(target))
            try:
                data, addr = sock.recvfrom(2048)
                while addr != parse(target):  # only the asked address counts as an answer
                    data, addr = sock.recvfrom(2048)
                event("mapped", target=target, observed=json.loads(data)["observed"])
                break
            except socket.timeout:
                continue
        else:
            event("error", target=target, error="no answer")
    event("done")
    if args.listen:
        sock.settimeout(None)
        threading.Thread(target=lambda: [event("received", remote=f"{a[0]}:{a[1]}") for _, a in iter(lambda: sock.recvfrom(2048), None)], daemon=True).start()
    hold(args.hold)


def connect(args):
    family = socket.AF_INET6 if ":" in parse(args.target)[0] else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    if args.bind:
        sock.bind((args.bind, 0))
    sock.settimeout(args.timeout)
    started = time.monotonic()
    try:
        sock.connect(parse(args.target))
        outcome, detail = "open", ""
        try:  # lab tools greet with one line; other servers may say nothing
            sock.settimeout(0.5)
            detail = sock.makefile().readline().strip()
        except OSError:
            pass
    except socket.timeout:
        outcome, detail = "drop", "timed out"
    except ConnectionRefusedError:
        outcome, detail = "rst", "connection refused"
    except OSError as error:
        outcome = "unreachable" if error.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH) else "error"
        detail = str(error)
    event("result", target=args.target, outcome=outcome, detail=detail,
          ms=round((time.monotonic() - started) * 1000, 2))


def udp_loss(args):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect(parse(args.target))
    sock.setblocking(False)
    received = 0
    for i in range(args.count):
        sock.send(b"quiet %d" % i)
        time.sleep(0.002)
    deadline = time.monotonic() + args.timeout
    sock.settimeout(0.2)
    while time.monotonic() < deadline and received < args.count:
        try:
            sock.recv(2048)
            received += 1
        except socket.timeout:
            pass
        except ConnectionRefusedError:
            pass
    event("stats", sent=args.count, received=received)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("map")
    m.add_argument("targets", nargs="+")
    m.add_argument("--local-port", type=int, required=True)
    m.add_argument("--udp", action="store_true")
    m.add_argument("--listen", action="store_true")
    m.add_argument("--hold", type=float, default=0, help="seconds to stay up; -1: until stdin closes")
    m.add_argument("--timeout", type=float, default=3)
    c = sub.add_parser("connect")
    c.add_argument("target")
    c.add_argument("--bind")
    c.add_argument("--timeout", type=float, default=2)
    u = sub.add_parser("udp-loss")
    u.add_argument("target")
    u.add_argument("--count", type=int, default=200)
    u.add_argument("--timeout", type=float, default=2)
    args = parser.parse_args()
    if args.command == "map":
        (map_udp if args.udp else map_tcp)(args)
    elif args.command == "connect":
        connect(args)
    else:
        udp_loss(args)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
