"""OGC API items benchmark: Lägesbild's /ogc items next to tipg serving the same table, same run.

    .venv/bin/python bench/features.py [--rows 100000] [--seconds 10] [--connections 16]

bench/dataset.py fills a database; both servers run on loopback ports (one uvicorn process each), and
this script drives them from its own process with a bounded number of requests over a bounded time:
bbox queries that return about 1,000 features (limit=1000). tipg 1.6 is installed into its own
virtual environment under .bench/ on first use (pip, from PyPI), so the project's dependencies stay
untouched. Prints requests/s, p50 and p99 latency and errors per server, and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TIPG_VENV = ROOT / ".bench" / "tipg-venv"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_tipg() -> Path:
    python = TIPG_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(TIPG_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "tipg==1.6.1", "uvicorn"], check=True)
    return python


def wait_port(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def bbox_with(url: str, target: int = 1000) -> str:
    """A box around the densest part of town holding about `target` incidents."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        lon, lat = conn.execute(text(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ST_X(geom)), "
            "percentile_cont(0.5) WITHIN GROUP (ORDER BY ST_Y(geom)) FROM incidents")).one()
        half = 0.0005
        while True:
            box = (lon - half * 1.9, lat - half, lon + half * 1.9, lat + half)
            n = conn.execute(text("SELECT count(*) FROM incidents WHERE geom && ST_MakeEnvelope(:a, :b, :c, :d, 4326)"),
                             dict(zip("abcd", box, strict=True))).scalar_one()
            if n >= target:
                break
            half *= 1.15
    engine.dispose()
    return ",".join(f"{v:.6f}" for v in box)


async def drive(url: str, headers: dict[str, str], seconds: float, connections: int,
                max_requests: int) -> tuple[int, int, list[float], int]:
    latencies: list[float] = []
    errors = 0
    returned = 0
    deadline = time.monotonic() + seconds
    sent = 0
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(headers=headers, timeout=60, limits=limits) as client:
        async def worker() -> None:
            nonlocal errors, returned, sent
            while time.monotonic() < deadline and sent < max_requests:
                sent += 1
                start = time.perf_counter()
                try:
                    response = await client.get(url)
                    ok = response.status_code == 200
                    if ok and not returned:  # parse one page only: the driver must not eat the CPU
                        returned = len(response.json()["features"])
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - start)
                errors += not ok

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.monotonic() - started
    return len(latencies), errors, latencies, returned if elapsed else 0


def report(name: str, total: int, errors: int, latencies: list[float], seconds: float, features: int) -> float:
    rate = total / seconds
    p50, p99 = (np.percentile(latencies, [50, 99]) * 1000) if latencies else (float("nan"), float("nan"))
    print(f"{name:<28} {rate:>8.1f} req/s  p50 {p50:>7.1f} ms  p99 {p99:>7.1f} ms  errors {errors}  "
          f"features/page {features}", flush=True)
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--max-requests", type=int, default=20_000)
    args = parser.parse_args()
    from bench.dataset import make

    url = make(args.rows)
    box = bbox_with(url)
    env = {**os.environ, "DATABASE_URL": url}
    token = subprocess.run([sys.executable, "-m", "app.cli", "token", "create", "--role", "analyst", "--name", "bench"],
                           env=env, capture_output=True, text=True, check=True).stdout.strip()
    ours_port, tipg_port = free_port(), free_port()
    plain_url = url.replace("postgresql+psycopg://", "postgresql://")
    servers = [
        subprocess.Popen([sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--port",
                          str(ours_port), "--log-level", "warning"], env=env, cwd=ROOT),
        subprocess.Popen([str(ensure_tipg()), "-m", "uvicorn", "tipg.main:app", "--port", str(tipg_port),
                          "--log-level", "warning"],
                         env={**os.environ, "DATABASE_URL": plain_url, "TIPG_DB_SCHEMAS": '["public"]',
                              "TIPG_DB_TABLES": '["public.incidents"]', "TIPG_MAX_FEATURES_PER_QUERY": "10000"}),
    ]
    try:
        wait_port(ours_port)
        wait_port(tipg_port)
        time.sleep(2)
        print(f"{args.rows} incidents, bbox {box}, limit 1000, {args.connections} connections, "
              f"{args.seconds:.0f} s each")
        targets = [
            ("Lägesbild /ogc items", f"http://127.0.0.1:{ours_port}/ogc/collections/incidents/items?bbox={box}"
             f"&limit=1000", {"Authorization": f"Bearer {token}"}),
            ("tipg 1.6.1 items", f"http://127.0.0.1:{tipg_port}/collections/public.incidents/items?bbox={box}"
             f"&limit=1000", {}),
        ]
        rates = []
        for name, target, headers in targets:
            asyncio.run(drive(target, headers, 2.0, 4, 50))  # warm up
            total, errors, latencies, features = asyncio.run(
                drive(target, headers, args.seconds, args.connections, args.max_requests))
            rates.append(report(name, total, errors, latencies, args.seconds, features))
        print(f"ratio: Lägesbild serves {rates[0] / rates[1]:.1f}× tipg's requests per second")
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
