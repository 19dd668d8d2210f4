"""Load benchmark: mixed reads and writes at rising concurrency, from other processes on loopback.

    .venv/bin/python bench/load.py [--rows 100000] [--seconds 8] [--levels 1 4 16 64] [--workers 2]
    .venv/bin/python bench/load.py --think-ms 1000 --seconds 30 --levels 16 64 128 200 256

bench/dataset.py fills a database; the app serves it with `--workers` uvicorn processes (rate limits
off: this measures capacity, not the limiter). Per concurrency level, for a bounded time, the clients
are split 70 / 10 / 20 between bbox reads (/api/v1/incidents, ~1,000 incidents a page), hotspot
analysis (cached after the first) and incident creation, each kind driven by its own wrk process
(bench/wrk.py) at the same time. Prints requests/s, p50/p99 latency per kind and the error count, and
the largest level at which bbox reads kept p99 under 100 ms with no error.

Two client models. By default each client sends its next request the moment the last one is answered:
N clients keep N requests in flight, which measures capacity, and by Little's law latency is then
N / throughput whatever the server does. With --think-ms each client pauses a random 0.5-1.5 times that
long between requests, as people at a map do; latency then shows how fast each answer is at that load.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import wrk  # noqa: E402
from bench.features import bbox_with, free_port, wait_port  # noqa: E402

SHARES = {"bbox read": 0.7, "hotspots": 0.1, "create": 0.2}
# every request a new incident somewhere in the centre of Mjölby
CREATE_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  local body = string.format('{"lon": %.6f, "lat": %.6f, "category": "vald", '
    .. '"occurred_at": "2026-11-01T20:00:00Z", "source": "demo"}',
    15.12 + math.random() * 0.02, 58.32 + math.random() * 0.01)
  return wrk.format(nil, nil, nil, body)
end
"""
# a client's pause between requests (ms), drawn anew each time; wrk leaves it out of the latency
THINK_SCRIPT = """
delay = function()
  return math.random(math.floor(%(think)d / 2), math.floor(%(think)d * 3 / 2))
end
"""


def split(clients: int) -> dict[str, int]:
    """Clients per kind by largest remainder, so the parts add up to `clients`."""
    exact = {kind: share * clients for kind, share in SHARES.items()}
    counts = {kind: math.floor(value) for kind, value in exact.items()}
    for kind in sorted(exact, key=lambda k: exact[k] - counts[k], reverse=True)[:clients - sum(counts.values())]:
        counts[kind] += 1
    return {kind: n for kind, n in counts.items() if n}


def scripts(folder: Path, think_ms: int) -> tuple[Path | None, Path]:
    """wrk scripts for the reads (None: no pause) and for the creates."""
    think = THINK_SCRIPT % {"think": think_ms} if think_ms else ""
    create = folder / "create.lua"
    create.write_text(CREATE_SCRIPT + think)
    if not think:
        return None, create
    read = folder / "read.lua"
    read.write_text(think)
    return read, create


def level(base: str, token: str, box: str, clients: int, seconds: float,
          script: tuple[Path | None, Path]) -> dict[str, wrk.Figures]:
    headers = {"Authorization": f"Bearer {token}"}
    read, create = script
    urls = {"bbox read": (f"{base}/api/v1/incidents?bbox={box}&limit=1000", read),
            "hotspots": (f"{base}/api/v1/analysis/clusters", read),
            "create": (f"{base}/api/v1/incidents", create)}
    parts = split(clients)
    with ThreadPoolExecutor(len(parts)) as pool:
        futures = {kind: pool.submit(wrk.run, urls[kind][0], connections=n, seconds=seconds, headers=headers,
                                     script=urls[kind][1]) for kind, n in parts.items()}
        return {kind: future.result() for kind, future in futures.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 4, 16, 64])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--think-ms", type=int, default=0, help="each client's mean pause between requests")
    args = parser.parse_args()
    from bench.dataset import make

    url = make(args.rows)
    box = bbox_with(url)
    env = {**os.environ, "DATABASE_URL": url, "LAGESBILD_RATE_LIMIT": "false"}
    token = subprocess.run([sys.executable, "-m", "app.cli", "token", "create", "--role", "analyst", "--name", "load"],
                           env=env, capture_output=True, text=True, check=True).stdout.strip()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--port",
                               str(port), "--workers", str(args.workers), "--log-level", "warning"], env=env, cwd=ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "warm").mkdir()
        script, warm = scripts(Path(tmp), args.think_ms), scripts(Path(tmp) / "warm", 0)
        try:
            wait_port(port)
            time.sleep(2)
            base = f"http://127.0.0.1:{port}"
            level(base, token, box, 4, 2.0, warm)  # warm up connections
            wrk.run(f"{base}/api/v1/analysis/clusters", connections=4, seconds=4,  # the analysis, in each worker
                    headers={"Authorization": f"Bearer {token}"})
            model = f"each client pauses ~{args.think_ms} ms between requests" if args.think_ms else "no pauses"
            print(f"{args.rows} incidents, {args.workers} workers, bbox read returns ~1,000 incidents, driver wrk, "
                  f"{model}")
            print(f"{'clients':>7} {'req/s':>8} {'errors':>6}  per kind (clients): p50 / p99 ms")
            held: list[int] = []  # levels at which the bbox reads stayed under 100 ms p99 with no error
            for clients in args.levels:
                result = level(base, token, box, clients, args.seconds, script)
                total = sum(f.requests for f in result.values()) / args.seconds
                errors = sum(f.errors for f in result.values())
                parts = split(clients)
                kinds = "  ".join(f"{kind} ({parts[kind]}) {f.p50_ms:.0f}/{f.p99_ms:.0f}" for kind, f in result.items())
                print(f"{clients:>7} {total:>8.1f} {errors:>6}  {kinds}", flush=True)
                if errors == 0 and result["bbox read"].p99_ms < 100:
                    held.append(clients)
            print(f"largest level with bbox-read p99 < 100 ms and 0 errors: {max(held) if held else 'none'} clients"
                  f" (levels tried: {', '.join(map(str, args.levels))})")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
