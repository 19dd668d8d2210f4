"""Load benchmark: mixed reads and writes at rising concurrency, from a second process on loopback.

    .venv/bin/python bench/load.py [--rows 100000] [--seconds 8] [--levels 1 4 16 64] [--workers 2]

bench/dataset.py fills a database; the app serves it with `--workers` uvicorn processes (rate limits
off: this measures capacity, not the limiter). Per concurrency level, for a bounded time and count:
70 % bbox reads (~1,000 incidents), 10 % hotspot analysis (cached after the first), 20 % incident
creation. Prints requests/s, p50/p99 latency per kind and the error count.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.features import bbox_with, free_port, wait_port  # noqa: E402


async def level(base: str, token: str, box: str, connections: int, seconds: float,
                max_requests: int) -> dict[str, list[float]]:
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    deadline = time.monotonic() + seconds
    sent = 0
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30, limits=limits) as client:
        async def worker(seed: int) -> None:
            nonlocal sent
            rng = random.Random(seed)
            while time.monotonic() < deadline and sent < max_requests:
                sent += 1
                roll = rng.random()
                start = time.perf_counter()
                try:
                    if roll < 0.7:
                        kind = "bbox read"
                        response = await client.get("/api/v1/incidents", params={"bbox": box, "limit": 1000})
                    elif roll < 0.8:
                        kind = "hotspots"
                        response = await client.get("/api/v1/analysis/clusters")
                    else:
                        kind = "create"
                        response = await client.post("/api/v1/incidents", json={
                            "lon": 15.12 + rng.random() * 0.02, "lat": 58.32 + rng.random() * 0.01,
                            "category": "vald", "occurred_at": "2026-11-01T20:00:00Z", "source": "demo"})
                    ok = response.status_code in (200, 201)
                except httpx.HTTPError:
                    ok = False
                latencies[kind].append(time.perf_counter() - start)
                errors[kind] += not ok

        await asyncio.gather(*(worker(i) for i in range(connections)))
    return {**latencies, "_errors": [float(sum(errors.values()))]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 4, 16, 64])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-requests", type=int, default=20_000)
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
    try:
        wait_port(port)
        time.sleep(2)
        base = f"http://127.0.0.1:{port}"
        asyncio.run(level(base, token, box, 2, 2.0, 50))  # warm up caches and connections
        print(f"{args.rows} incidents, {args.workers} workers, bbox read returns ~1,000 incidents")
        print(f"{'clients':>7} {'req/s':>8} {'errors':>6}  per kind: p50 / p99 ms")
        for connections in args.levels:
            result = asyncio.run(level(base, token, box, connections, args.seconds, args.max_requests))
            errors = int(result.pop("_errors")[0])
            total = sum(len(v) for v in result.values())
            kinds = "  ".join(f"{k} {np.percentile(v, 50) * 1000:.0f}/{np.percentile(v, 99) * 1000:.0f}"
                              for k, v in sorted(result.items()))
            print(f"{connections:>7} {total / args.seconds:>8.1f} {errors:>6}  {kinds}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
