"""Drive an HTTP endpoint with wrk (Debian's `wrk`, a C load generator) and read its figures.

A Python client (httpx, asyncio) spends about as much CPU per request as the server it measures; on a
two-core machine it takes a core from the server and flattens the difference between a fast server
and a slow one. wrk costs well under a tenth of that. scripts/system-deps.sh installs it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


@dataclass(frozen=True)
class Figures:
    requests: int
    per_second: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx/3xx answers plus socket errors (connect, read, write, timeout)


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is not installed: run scripts/system-deps.sh (or apt-get install wrk)")
    return path


def run(url: str, *, connections: int, seconds: float, headers: dict[str, str] | None = None,
        script: Path | None = None, timeout_s: float = 30) -> Figures:
    command = [wrk_path(), f"-t{min(connections, 2)}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
               "--latency", f"--timeout={timeout_s:g}s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    return parse(out)


def _ms(text: str, label: str) -> float:
    match = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s|m)\s*$", text, re.MULTILINE)
    return float(match.group(1)) * UNITS[match.group(2)] if match else float("nan")


def parse(out: str) -> Figures:
    total = re.search(r"(\d+) requests in", out)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non_2xx.group(1)) if non_2xx else 0) + (sum(map(int, sockets.groups())) if sockets else 0)
    return Figures(requests=int(total.group(1)) if total else 0, per_second=float(rate.group(1)) if rate else 0.0,
                   p50_ms=_ms(out, "50%"), p99_ms=_ms(out, "99%"), errors=errors)
