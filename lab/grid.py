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
    path = os.path.join(ROOT, "src/Burrow.Cli/bin/Release/net10.0/Burrow.Cli.dll")
    if not os.path.exists(path):
        subprocess.run(["dotnet", "build", "-c", "Release", os.path.join(ROOT, "src/Burrow.Cli")], check=True,
                       stdout=subprocess.DEVNULL)
    return path


class Proc:
    """A process inside a lab namespace whose stderr carries --json events, one per line."""

    def __init__(self, prefix, node, args):
        self.p = subprocess.Popen(["ip", "netns", "exec", f"{prefix}-{node}", *args], stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
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
                continue
            if event.get("event") in (name, "error"):
                return event
        return None

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()  # only processes this script started, by their own handle
        self.p.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--delay", type=int, default=25, help="one-way WAN delay per router, ms (RTT through it: twice)")
    ap.add_argument("--loss", type=float, default=1)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs/grid"))
    ap.add_argument("--types", default=",".join(TYPES))
    ap.add_argument("--no-profile", action="store_true", help="do not profile the NATs (--stun) before connecting")
    a = ap.parse_args()
    types = a.types.split(",")
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
        extra = [] if a.no_profile else ["--stun", f"{SERVER}:{STUN_PORT}"]
        results = []
        for listen_type in types:
            for dial_type in types:
                for run in range(a.runs):
                    results.append(one_run(prefix, cli, listen_type, dial_type, run, extra))
        write(a, types, results)
    finally:
        for p in procs:
            p.kill()
        subprocess.run(["bash", os.path.join(LAB, "lab.sh"), "down", prefix], stdout=subprocess.DEVNULL)
        os.unlink(f.name)


def one_run(prefix, cli, listen_type, dial_type, run, extra):
    rv = f"{SERVER}:{RV_PORT}"
    listener = Proc(prefix, f"{TYPES[listen_type]}a1", ["dotnet", cli, "listen", "--rendezvous", rv,
                                                         "--relay", f"{SERVER}:{RELAY_PORT}", "--ephemeral", "--json", *extra])
    dialer = None
    result = {"listener": listen_type, "dialer": dial_type, "run": run + 1, "ok": False, "strategy": None, "elapsedMs": None}
    try:
        listening = listener.wait_for("listening", 60)
        if not listening or listening.get("event") != "listening" or not listener.wait_for("registered", 30):
            result["error"] = "listener did not start or register"
            return result
        dialer = Proc(prefix, f"{TYPES[dial_type]}b1", ["dotnet", cli, "connect", listening["address"], "--rendezvous", rv,
                                                         "--timeout", "20", "--ephemeral", "--json", *extra])
        connected = dialer.wait_for("connected", 60)
        if connected and connected.get("event") == "connected":
            result.update(ok=True, strategy=connected["strategy"], elapsedMs=connected["elapsedMs"])
        else:
            result["error"] = (connected or {}).get("message", "no connected event")
            result["attempts"] = (connected or {}).get("attempts")
        return result
    finally:
        for p in (listener, dialer):
            if p:
                p.kill()
        status = f"{result['strategy']} in {result['elapsedMs']} ms" if result["ok"] else f"FAILED: {result.get('error')}"
        print(f"{dial_type:>10} -> {listen_type:<10} run {run + 1}: {status}", flush=True)


def write(a, types, results):
    rows = []
    for lt in types:
        for dt in types:
            rs = [r for r in results if r["listener"] == lt and r["dialer"] == dt]
            ok = [r for r in rs if r["ok"]]
            times = [r["elapsedMs"] for r in ok]
            strategies = sorted({r["strategy"] for r in ok})
            rows.append({"dialer": dt, "listener": lt, "runs": len(rs), "succeeded": len(ok),
                         "strategies": strategies, "medianMs": statistics.median(times) if times else None,
                         "maxMs": max(times) if times else None})
    with open(a.out + ".json", "w") as f:
        json.dump({"delayMs": a.delay, "lossPercent": a.loss, "runsPerPair": a.runs, "profiled": not a.no_profile,
                   "pairs": rows, "runs": results}, f, indent=1)
    total = len(results)
    good = sum(r["ok"] for r in results)
    with open(a.out + ".md", "w") as f:
        f.write(f"# Connect grid\n\nMeasured by `sudo python3 lab/grid.py --runs {a.runs} --delay {a.delay} --loss {a.loss:g}` "
                f"on {time.strftime('%Y-%m-%d')}: every router's WAN has {a.delay} ms one-way delay ({2 * a.delay} ms RTT "
                f"through it) and {a.loss:g} % loss each way; the dialer is behind the row's type, the listener behind the "
                f"column's; {'both ends profiled their NAT first (`--stun`)' if not a.no_profile else 'no NAT profiling'}. "
                f"{good} of {total} connects succeeded.\n\n")
        f.write("| dialer ↓ / listener → | " + " | ".join(types) + " |\n|" + " --- |" * (len(types) + 1) + "\n")
        for dt in types:
            cells = []
            for lt in types:
                r = next(x for x in rows if x["dialer"] == dt and x["listener"] == lt)
                med = f"{r['medianMs']:.0f}" if r["medianMs"] is not None else "–"
                mx = f"{r['maxMs']:.0f}" if r["maxMs"] is not None else "–"
                cells.append(f"{r['succeeded']}/{r['runs']} {'+'.join(r['strategies']) or '–'} {med}/{mx} ms")
            f.write(f"| **{dt}** | " + " | ".join(cells) + " |\n")
        f.write("\nEach cell: successes/runs, strategies that connected, median/max time to an authenticated stream "
                "(from the dialer's `connected` event: signaling included, process start excluded).\n")
    print(f"{good}/{total} connected; wrote {a.out}.md and {a.out}.json")


if __name__ == "__main__":
    main()
