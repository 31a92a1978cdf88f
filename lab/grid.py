#!/usr/bin/env python3
"""The connect grid: every ordered pair of lab NAT types, `burrow listen` behind one and `burrow connect` behind
the other, through Burrow's rendezvous (with a relay) on the lab server, with WAN impairment on every router.

    sudo python3 lab/grid.py [--runs N] [--delay MS] [--loss PERCENT] [--out docs/grid] [--types t1,t2,..]

Builds its own topology (two routers per type, so that same-type pairs cross two NATs), prints one line per
run, then writes OUT.md (a Markdown table: success rate, strategies used, median and max connect time) and
OUT.json. Tears everything down on exit, even on failure. Standard library only.
"""
import argparse, json, os, queue, secrets, statistics, subprocess, sys, tempfile, threading, time

LAB = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(LAB)
TYPES = {"open": "op", "firewall": "fw", "nat-drop": "nd", "nat-rst": "nr",
         "symmetric": "sy", "sequential": "sq", "full-cone": "fc", "double": "db"}
SERVER = "198.18.0.10"
RV_PORT, RELAY_PORT, STUN_PORT, STUN_ALT = 7390, 7391, 3480, 3481


def cli_path():
    """Publishes the CLI as it ships (ReadyToRun: compiled ahead of time, so that a connect does not wait for
    the JIT) into artifacts/grid-cli, and returns the path of its dll."""
    out = os.path.join(ROOT, "artifacts/grid-cli")
    subprocess.run(["dotnet", "publish", os.path.join(ROOT, "src/Burrow.Cli"), "-c", "Release", "-r", "linux-x64",
                    "--self-contained", "false", "-p:PublishReadyToRun=true", "-o", out], check=True, stdout=subprocess.DEVNULL)
    return os.path.join(out, "Burrow.Cli.dll")


class Proc:
    """A process inside a lab namespace whose stderr carries --json events, one per line."""

    def __init__(self, prefix, node, args):
        self.p = subprocess.Popen(["ip", "netns", "exec", f"{prefix}-{node}", *args], stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        self.log = []  # stderr lines that are not events (--verbose logging)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stderr:
            self.lines.put(line)
        self.lines.put(None)  # end of output

    def wait_for(self, name, timeout):
        """The first event called NAME (or an error event); None at the end of output or the timeout."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                return None
            if line is None:
                return None
            try:
                event = json.loads(line)
            except ValueError:
                self.log.append(line.rstrip())
                continue
            if event.get("event") in (name, "error"):
                return event
        return None

    def drain(self):
        """Moves what is left of the output into the log (after the process ended)."""
        while (line := self.lines.get()) is not None:
            self.log.append(line.rstrip())

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()  # only processes this script started, by their own handle
        self.p.wait()


class Flows:
    """New TCP flows as one router's conntrack sees them (`conntrack -E`): each line shows the public port the
    NAT gave the flow (the reply tuple's dport)."""

    def __init__(self, prefix, router):
        self.router = router
        self.p = subprocess.Popen(["ip", "netns", "exec", f"{prefix}-{router}", "stdbuf", "-oL", "conntrack", "-E", "-e", "NEW", "-p", "tcp"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.append(line.rstrip())

    def stop(self):
        if self.p.poll() is None:
            self.p.kill()  # only processes this script started, by their own handle
        self.p.wait()
        self.reader.join(timeout=5)  # the lines already written


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--delay", type=int, default=25, help="one-way WAN delay per router, ms (RTT through it: twice)")
    ap.add_argument("--loss", type=float, default=1)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs/grid"))
    ap.add_argument("--types", default=",".join(TYPES))
    ap.add_argument("--pairs", help="only these DIALER:LISTENER pairs (comma-separated), e.g. sequential:nat-drop")
    ap.add_argument("--verbose", action="store_true", help="run both ends with --verbose and print their logs")
    ap.add_argument("--no-profile", action="store_true", help="do not profile the NATs (--stun) before connecting")
    ap.add_argument("--rendezvous-udp", action="store_true", help="nodes reach the rendezvous by datagram (UDP) instead of TLS")
    ap.add_argument("--conntrack", action="store_true", help="print the new TCP flows each run's two routers saw (conntrack -E), with their public ports")
    a = ap.parse_args()
    types = a.types.split(",")
    pairs = [tuple(p.split(":")) for p in a.pairs.split(",")] if a.pairs else None
    if pairs:
        types = [t for t in TYPES if any(t in p for p in pairs)]
    cli = cli_path()
    prefix = "grid" + secrets.token_hex(3)
    topo = ["server"]
    for t in types:
        for side in "ab":
            topo.append(f"router {TYPES[t]}{side} {t} delay={a.delay} loss={a.loss:g}")
    for t in types:
        for side in "ab":
            topo.append(f"host {TYPES[t]}{side}1 {TYPES[t]}{side}")
    with tempfile.NamedTemporaryFile("w", suffix=".topo", delete=False) as f:
        f.write("\n".join(topo) + "\n")
    procs = []
    try:
        t0 = time.monotonic()
        subprocess.run(["bash", os.path.join(LAB, "lab.sh"), "up", prefix, f.name], check=True, stdout=subprocess.DEVNULL,
                       env={**os.environ, "LAB_OWNER_PID": str(os.getpid())})
        print(f"built {len(topo)} nodes in {time.monotonic() - t0:.1f} s", flush=True)
        rv = Proc(prefix, "srv", ["dotnet", cli, "rendezvous", "--listen", f"{SERVER}:{RV_PORT}",
                                  "--relay", f"{SERVER}:{RELAY_PORT}", "--ephemeral", "--json"])
        procs.append(rv)
        if not rv.wait_for("listening", 60):
            sys.exit("the rendezvous did not start")
        stun = Proc(prefix, "srv", ["dotnet", cli, "stun-server", "--listen", f"{SERVER}:{STUN_PORT}",
                                    "--alt", f"198.18.0.11:{STUN_ALT}", "--json"])
        procs.append(stun)
        if not stun.wait_for("listening", 60):
            sys.exit("the STUN server did not start")
        extra = (([] if a.no_profile else ["--stun", f"{SERVER}:{STUN_PORT}"]) + (["--verbose"] if a.verbose else [])
                 + (["--rendezvous-udp"] if a.rendezvous_udp else []))
        results = []
        for listen_type in types:
            for dial_type in types:
                if pairs and (dial_type, listen_type) not in pairs:
                    continue
                for run in range(a.runs):
                    results.append(one_run(prefix, cli, listen_type, dial_type, run, extra, a.conntrack))
        write(a, types, results)
    finally:
        for p in procs:
            p.kill()
        subprocess.run(["bash", os.path.join(LAB, "lab.sh"), "down", prefix], stdout=subprocess.DEVNULL)
        os.unlink(f.name)


def one_run(prefix, cli, listen_type, dial_type, run, extra, conntrack=False):
    rv = f"{SERVER}:{RV_PORT}"
    flows = []
    listener = Proc(prefix, f"{TYPES[listen_type]}a1", ["dotnet", cli, "listen", "--rendezvous", rv,
                                                         "--relay", f"{SERVER}:{RELAY_PORT}", "--ephemeral", "--json", *extra])
    dialer = None
    result = {"listener": listen_type, "dialer": dial_type, "run": run + 1, "ok": False, "strategy": None, "elapsedMs": None}
    try:
        if conntrack:
            flows += [Flows(prefix, f"{TYPES[listen_type]}a"), Flows(prefix, f"{TYPES[dial_type]}b")]
        listening = listener.wait_for("listening", 60)
        if not listening or listening.get("event") != "listening" or not listener.wait_for("registered", 30):
            result["error"] = "listener did not start or register"
            return result
        dialer = Proc(prefix, f"{TYPES[dial_type]}b1", ["dotnet", cli, "connect", listening["address"], "--rendezvous", rv,
                                                         "--timeout", "20", "--ephemeral", "--json", *extra])
        connected = dialer.wait_for("connected", 60)
        if connected and connected.get("event") == "connected":
            result.update(ok=True, strategy=connected["strategy"], elapsedMs=connected["elapsedMs"],
                          attempts=connected.get("attempts"))
        else:
            result["error"] = (connected or {}).get("message", "no connected event")
            result["attempts"] = (connected or {}).get("attempts")
        return result
    finally:
        if "--verbose" in extra:
            time.sleep(0.5)  # let both ends log what came after the connect
        for p in (listener, dialer):
            if p:
                p.kill()
                p.drain()
        for f in flows:
            f.stop()
        status = f"{result['strategy']} in {result['elapsedMs']} ms" if result["ok"] else f"FAILED: {result.get('error')}"
        status += "  [" + ", ".join(f"{x['strategy']} {x['result']} {x['elapsedMs']:.0f}" for x in result.get("attempts") or []) + "]"
        if "--verbose" in extra:
            for name, p in (("listener", listener), ("dialer", dialer)):
                for line in (p.log if p else []):
                    if "unch" in line or "elay" in line or "everse" in line or "lock" in line or "TMARK" in line:
                        status += f"\n      {name}: {line}"
        for f in flows:
            for line in f.lines:
                status += f"\n      {f.router} conntrack: {line}"
        print(f"{dial_type:>10} -> {listen_type:<10} run {run + 1}: {status}", flush=True)


def write(a, types, results):
    rows = []
    for lt in types:
        for dt in types:
            rs = [r for r in results if r["listener"] == lt and r["dialer"] == dt]
            if not rs:
                continue
            ok = [r for r in rs if r["ok"]]
            times = [r["elapsedMs"] for r in ok]
            strategies = sorted({r["strategy"] for r in ok})
            rows.append({"dialer": dt, "listener": lt, "runs": len(rs), "succeeded": len(ok),
                         "strategies": strategies, "medianMs": statistics.median(times) if times else None,
                         "maxMs": max(times) if times else None})
    with open(a.out + ".json", "w") as f:
        json.dump({"delayMs": a.delay, "lossPercent": a.loss, "runsPerPair": a.runs, "profiled": not a.no_profile,
                   "rendezvous": "udp" if a.rendezvous_udp else "tls",
                   "pairs": rows, "runs": results}, f, indent=1)
    total = len(results)
    good = sum(r["ok"] for r in results)
    summary = summarize(a, results)
    with open(a.out + ".md", "w") as f:
        f.write(f"# Connect grid\n\nMeasured by `sudo python3 lab/grid.py --runs {a.runs} --delay {a.delay} --loss {a.loss:g}` "
                f"on {time.strftime('%Y-%m-%d')}: every router's WAN has {a.delay} ms one-way delay ({2 * a.delay} ms RTT "
                f"through it) and {a.loss:g} % loss each way; the dialer is behind the row's type, the listener behind the "
                f"column's; {'both ends profiled their NAT first (`--stun`)' if not a.no_profile else 'no NAT profiling'}; "
                f"the nodes reach the rendezvous {'by datagram (UDP)' if a.rendezvous_udp else 'over TLS'}. "
                f"{good} of {total} connects succeeded.\n\n")
        f.write("| dialer ↓ / listener → | " + " | ".join(types) + " |\n|" + " --- |" * (len(types) + 1) + "\n")
        for dt in types:
            cells = []
            for lt in types:
                r = next((x for x in rows if x["dialer"] == dt and x["listener"] == lt), None)
                if r is None:
                    cells.append("")
                    continue
                med = f"{r['medianMs']:.0f}" if r["medianMs"] is not None else "–"
                mx = f"{r['maxMs']:.0f}" if r["maxMs"] is not None else "–"
                cells.append(f"{r['succeeded']}/{r['runs']} {'+'.join(r['strategies']) or '–'} {med}/{mx} ms")
            f.write(f"| **{dt}** | " + " | ".join(cells) + " |\n")
        f.write("\nEach cell: successes/runs, strategies that connected, median/max time to an authenticated stream "
                "(from the dialer's `connected` event: signaling included, process start excluded).\n\n" + summary + "\n")
    print(summary)
    print(f"{good}/{total} connected; wrote {a.out}.md and {a.out}.json")


def punch_outcome(run):
    """'hit' when the run's one punch attempt connected, 'miss' when it failed or lost to the relay, None when
    no punch was tried or another direct strategy won while it was still going."""
    attempts = {x["strategy"]: x for x in run.get("attempts") or []}
    punch = attempts.get("punch")
    if not punch or punch["result"] == "notstarted":
        return None
    if punch["result"] == "connected":
        return "hit"
    if punch["result"] == "failed" or run.get("strategy") == "relay" or not run["ok"]:
        return "miss"
    return None


def summarize(a, results):
    rtt = 4 * a.delay  # host to host: two routers' WANs, each crossed both ways
    lines = []
    outcomes = [o for o in map(punch_outcome, results) if o]
    if outcomes:
        hits = outcomes.count("hit")
        lines.append(f"- Punch attempts: {hits} of {len(outcomes)} connected on the first (and only) attempt "
                     f"({100 * hits / len(outcomes):.1f} %).")
    for strategy in ("direct", "reverse", "punch", "relay"):
        times = [r["elapsedMs"] for r in results if r["ok"] and r["strategy"] == strategy]
        if times:
            med = statistics.median(times)
            in_rtt = f" = {med / rtt:.2f} RTT (RTT host to host {rtt} ms)" if rtt else ""
            lines.append(f"- {strategy}: {len(times)} connections, median {med:.0f} ms{in_rtt}, max {max(times):.0f} ms.")
    random_pair = {("symmetric", "symmetric")}
    relayed = sorted({(r["dialer"], r["listener"]) for r in results
                      if r["ok"] and r["strategy"] == "relay" and (r["dialer"], r["listener"]) not in random_pair})
    lines.append(f"- Pairs (other than random-random) relayed at least once: {len(relayed)}"
                 + (": " + ", ".join(f"{d}→{l}" for d, l in relayed) if relayed else "") + ".")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
