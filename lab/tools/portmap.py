#!/usr/bin/env python3
"""Minimal NAT-PMP (RFC 6886) and PCP (RFC 6887) client for the lab's miniupnpd tests.

  portmap.py natpmp --gateway 192.168.9.1 --internal-port 8081 --external-port 18081
  portmap.py pcp    --gateway 192.168.9.1 --internal-port 8082 --external-port 18082

Asks for the external address and a TCP mapping; prints the JSON-lines event
{"event": "mapped", "protocol", "external_ip", "external_port", "internal_port", "lifetime"}
(or {"event": "error", ...}) on stderr. Standard library only.
"""
import argparse, ipaddress, json, os, socket, struct, sys

PORT = 5351


def event(name, **fields):
    print(json.dumps({"event": name, **fields}), file=sys.stderr, flush=True)


def exchange(sock, request, gateway, timeout):
    """RFC 6886 retransmission: 250 ms, doubling, until the timeout."""
    wait = 0.25
    while timeout > 0:
        sock.settimeout(min(wait, timeout))
        sock.send(request)
        try:
            data, _ = sock.recvfrom(1100)
            return data
        except socket.timeout:
            timeout -= wait
            wait *= 2
    raise TimeoutError(f"no answer from {gateway}:{PORT}")


def natpmp(sock, args):
    data = exchange(sock, struct.pack("!BB", 0, 0), args.gateway, args.timeout)
    _, op, result, _epoch = struct.unpack_from("!BBHI", data)
    if op != 128 or result != 0:
        raise RuntimeError(f"NAT-PMP external address: op {op} result {result}")
    external_ip = socket.inet_ntoa(data[8:12])
    request = struct.pack("!BBHHHI", 0, 2, 0, args.internal_port, args.external_port, args.lifetime)
    data = exchange(sock, request, args.gateway, args.timeout)
    _, op, result, _epoch, internal, external, lifetime = struct.unpack("!BBHIHHI", data[:16])
    if op != 130 or result != 0:
        raise RuntimeError(f"NAT-PMP map TCP: op {op} result {result}")
    return external_ip, external, internal, lifetime


def pcp(sock, args):
    client = ipaddress.IPv6Address("::ffff:" + sock.getsockname()[0]).packed      # IPv4-mapped
    nonce = os.urandom(12)
    header = struct.pack("!BBHI", 2, 1, 0, args.lifetime) + client           # version 2, MAP
    body = nonce + struct.pack("!B3xHH", 6, args.internal_port, args.external_port) + bytes(16)
    data = exchange(sock, header + body, args.gateway, args.timeout)
    version, op, _, result, lifetime = struct.unpack_from("!BBBBI", data)
    if version != 2 or op != 0x81 or result != 0:
        raise RuntimeError(f"PCP MAP: version {version} op {op:#x} result {result}")
    if data[24:36] != nonce:
        raise RuntimeError("PCP MAP: nonce mismatch")
    internal, external = struct.unpack_from("!HH", data, 40)
    external_ip = str(ipaddress.IPv6Address(data[44:60]).ipv4_mapped)
    return external_ip, external, internal, lifetime


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("protocol", choices=["natpmp", "pcp"])
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--internal-port", type=int, required=True)
    parser.add_argument("--external-port", type=int, default=0)
    parser.add_argument("--lifetime", type=int, default=600)
    parser.add_argument("--timeout", type=float, default=4)
    args = parser.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect((args.gateway, PORT))  # fixes our source address (PCP puts it in the request)
    try:
        external_ip, external, internal, lifetime = (natpmp if args.protocol == "natpmp" else pcp)(sock, args)
    except (OSError, RuntimeError) as error:
        event("error", protocol=args.protocol, error=str(error))
        sys.exit(1)
    event("mapped", protocol=args.protocol, external_ip=external_ip, external_port=external,
          internal_port=internal, lifetime=lifetime)


if __name__ == "__main__":
    main()
