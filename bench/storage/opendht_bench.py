#!/usr/bin/python3
"""OpenDHT baseline for bench/storage/overlay-storage.ts (issue 7).

The same workload as the RELOAD bench, against OpenDHT (Debian's python3-opendht, which
is what users would pick instead): N DhtRunner nodes on loopback in one process, bootstrapped
to each other; OPS puts of 1 KiB values from random nodes, then one get of each value from
another random node, with at most CONCURRENCY operations in flight. Prints p50/p99 latency in
ms, success rate and ops/s for put and get (a get succeeds when the value put comes back
byte for byte).

Run with Debian's interpreter (the module is installed for /usr/bin/python3):
    /usr/bin/python3 bench/storage/opendht_bench.py [--nodes 100] [--ops 2000]
        [--concurrency 8] [--seed 1] [--json]
"""
import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

try:
    import opendht as dht
except ImportError:  # pragma: no cover - reported, never faked
    print(
        json.dumps({"error": "python3-opendht is not installed for %s "
                    "(apt-get install -y python3-opendht)" % sys.executable}),
        flush=True,
    )
    sys.exit(2)

VALUE_SIZE = 1024
OP_TIMEOUT_S = 30.0


def percentile(sorted_ms, p):
    """Nearest-rank percentile of an ascending list (same rule as the TS bench)."""
    if not sorted_ms:
        return None
    k = max(0, min(len(sorted_ms) - 1, int(-(-p * len(sorted_ms) // 100)) - 1))
    return sorted_ms[k]


def summary(lat_ms, ok, total, wall_s):
    s = sorted(lat_ms)
    return {
        "p50": percentile(s, 50),
        "p99": percentile(s, 99),
        "mean": sum(s) / len(s) if s else None,
        "max": s[-1] if s else None,
        "ok": ok,
        "total": total,
        "successRate": ok / total if total else 0,
        "opsPerSec": total / wall_s if wall_s > 0 else 0,
    }


def put(node, key, value):
    done = threading.Event()
    res = {"ok": False}

    def done_cb(ok, _nodes):
        res["ok"] = ok
        done.set()

    t0 = time.perf_counter()
    node.put(key, dht.Value(value), done_cb=done_cb)
    if not done.wait(OP_TIMEOUT_S):
        return False, (time.perf_counter() - t0) * 1000, None
    return res["ok"], (time.perf_counter() - t0) * 1000, None


def get(node, key, expected):
    """Latency until the get completes (done_cb) and until the expected value first arrives."""
    done = threading.Event()
    res = {"ok": False, "found": False, "first": None}
    t0 = time.perf_counter()

    def get_cb(v):
        if bytes(v.data) == expected and not res["found"]:
            res["found"] = True
            res["first"] = (time.perf_counter() - t0) * 1000
        return True

    def done_cb(ok, _nodes):
        res["ok"] = ok
        done.set()

    node.get(key, get_cb=get_cb, done_cb=done_cb)
    if not done.wait(OP_TIMEOUT_S):
        return False, (time.perf_counter() - t0) * 1000, res["first"]
    return res["ok"] and res["found"], (time.perf_counter() - t0) * 1000, res["first"]


def run_phase(pool, fn, jobs):
    t0 = time.perf_counter()
    results = list(pool.map(lambda j: fn(*j), jobs))
    wall = time.perf_counter() - t0
    lat = [r[1] for r in results if r[0]]
    first = [r[2] for r in results if r[0] and r[2] is not None]
    return summary(lat, sum(1 for r in results if r[0]), len(results), wall), first


def opendht_version():
    try:
        return subprocess.run(
            ["dpkg-query", "-W", "-f", "${Version}", "python3-opendht"],
            capture_output=True, text=True, check=False,
        ).stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nodes", type=int, default=100)
    ap.add_argument("--ops", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--settle", type=float, default=5.0,
                    help="seconds to let routing tables fill after bootstrap")
    ap.add_argument("--json", action="store_true", help="one JSON object on stdout")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    log = (lambda *x: print(*x, file=sys.stderr, flush=True)) if a.json else print

    t_setup = time.perf_counter()
    nodes = []
    for i in range(a.nodes):
        r = dht.DhtRunner()
        r.run(port=0, ipv4="127.0.0.1", ipv6="")
        port = r.getBound().getPort()
        # Each node bootstraps to the first node and to a random earlier one.
        if nodes:
            r.bootstrap("127.0.0.1", str(nodes[0][1]))
            r.bootstrap("127.0.0.1", str(rnd.choice(nodes)[1]))
        nodes.append((r, port))
    time.sleep(a.settle)
    setup_s = time.perf_counter() - t_setup
    log("opendht: %d nodes up in %.1f s" % (a.nodes, setup_s))

    runners = [n[0] for n in nodes]
    with ThreadPoolExecutor(max_workers=a.concurrency) as pool:
        # Warm-up (not measured): 50 put/get pairs.
        warm = [(dht.InfoHash.get("warm-%d" % i), os.urandom(VALUE_SIZE)) for i in range(50)]
        list(pool.map(lambda kv: put(rnd.choice(runners), kv[0], kv[1]), warm))
        list(pool.map(lambda kv: get(rnd.choice(runners), kv[0], kv[1]), warm))

        items = []
        for i in range(a.ops):
            owner = rnd.randrange(a.nodes)
            reader = rnd.randrange(a.nodes - 1)
            if reader >= owner:
                reader += 1
            items.append((owner, reader, dht.InfoHash.get("bench-%d-%d" % (a.seed, i)),
                          os.urandom(VALUE_SIZE)))
        store, _ = run_phase(pool, put, [(runners[o], k, v) for (o, _, k, v) in items])
        log("opendht put: %s" % store)
        fetch, first = run_phase(pool, get, [(runners[r], k, v) for (_, r, k, v) in items])
        log("opendht get: %s" % fetch)

    first.sort()
    out = {
        "impl": "opendht",
        "version": opendht_version(),
        "python": sys.executable,
        "nodes": a.nodes,
        "ops": a.ops,
        "concurrency": a.concurrency,
        "valueBytes": VALUE_SIZE,
        "setupSeconds": setup_s,
        "store": store,
        "fetch": fetch,
        "fetchFirstValue": {"p50": percentile(first, 50), "p99": percentile(first, 99)},
    }
    if a.json:
        print(json.dumps(out), flush=True)
    else:
        for name in ("store", "fetch"):
            s = out[name]
            print("%-6s p50 %7.2f ms  p99 %7.2f ms  success %d/%d  %.0f ops/s" % (
                "put" if name == "store" else "get", s["p50"] or -1, s["p99"] or -1,
                s["ok"], s["total"], s["opsPerSec"]))
        print("get, until the value first arrives: p50 %.2f ms  p99 %.2f ms" % (
            out["fetchFirstValue"]["p50"] or -1, out["fetchFirstValue"]["p99"] or -1))
    sys.stdout.flush()
    # Stop the nodes; DhtRunner.join() can block on shutdown, so give it 10 s, then exit.
    stopper = threading.Thread(target=lambda: [r.join() for r in runners], daemon=True)
    stopper.start()
    stopper.join(10)
    os._exit(0)


if __name__ == "__main__":
    main()
