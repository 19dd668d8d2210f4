"""OGC API items benchmark: Lägesbild's /ogc items next to tipg and pygeoapi serving the same table, same run.

    .venv/bin/python bench/features.py [--rows 100000] [--seconds 10] [--rounds 3] [--connections 16] [--workers 1]
                                       [--floor] [--boxes random|fixed] [--no-pygeoapi]

bench/dataset.py fills a database; both servers run on loopback ports (one uvicorn process each), and
wrk (bench/wrk.py) drives them over a bounded time with bbox queries of about 1,000 features
(limit=1000; tipg asked for the same nine properties). With --boxes random (the default) every request
asks for another box, as a panning map or QGIS does: 2,000 boxes of the same size centred on stored
incidents, taken in turn by a wrk Lua script, so no server's cache answers a repeat; --boxes fixed
repeats the one box (what earlier runs measured, where Lägesbild's count cache always hits). tipg 1.6
and pygeoapi 0.21 (its PostgreSQL provider, Starlette app) are each installed into a virtual environment
of their own under .bench/ on first use (pip, from PyPI), so the project's dependencies stay untouched;
both are asked for the same nine properties.
Prints requests/s, p50 and p99 latency, errors and CPU per request (server processes, PostgreSQL) per
server, and the ratio. With --floor a third server joins the rounds: bench/items_floor.py, the leanest
Python answer to the same request (no auth, audit, limits or framework), to show what the machine
itself allows.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import wrk  # noqa: E402

TIPG_VENV = ROOT / ".bench" / "tipg-venv"
PYGEOAPI_VENV = ROOT / ".bench" / "pygeoapi-venv"
PYGEOAPI_VERSION = "0.21.0"  # the last release for Python 3.11, the project's Python
# tipg serves every column unless told; ask for the nine properties Lägesbild's items carry, so both
# answer the same features (and tipg does not also send the stored `feature` text of migration 0012)
PROPERTIES = "category,occurred_at,reported_at,source,external_id,location_precision,precision_m,description,place_id"


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


def ensure_pygeoapi() -> Path:
    python = PYGEOAPI_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PYGEOAPI_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", f"pygeoapi=={PYGEOAPI_VERSION}", "uvicorn",
                        "starlette", "psycopg2-binary", "sqlalchemy", "geoalchemy2",
                        "pygeofilter[backend-sqlalchemy]"], check=True)
    return python


def pygeoapi_server(url: str, port: int, folder: Path, workers: list[str]) -> subprocess.Popen[bytes]:
    """pygeoapi's Starlette app over the same `incidents` table, with its PostgreSQL provider."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    config = folder / "pygeoapi.yml"
    import json

    config.write_text(json.dumps({  # YAML is a superset of JSON
        "server": {"bind": {"host": "127.0.0.1", "port": port}, "url": f"http://127.0.0.1:{port}",
                   "mimetype": "application/json; charset=UTF-8", "encoding": "utf-8", "languages": ["en-US"],
                   "limits": {"default_items": 10, "max_items": 10000},
                   "map": {"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "attribution": "OpenStreetMap"}},
        "logging": {"level": "ERROR"},
        "metadata": {"identification": {"title": "bench", "description": "bench", "keywords": ["bench"],
                                        "terms_of_service": "none", "url": "none"},
                     "license": {"name": "none", "url": "none"}, "provider": {"name": "none", "url": "none"},
                     "contact": {"name": "none", "url": "none", "email": "none@example.org"}},
        "resources": {"incidents": {
            "type": "collection", "title": "incidents", "description": "incidents", "keywords": ["incidents"],
            "extents": {"spatial": {"bbox": [14.5, 58.0, 15.7, 58.6],
                                    "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
            "providers": [{"type": "feature", "name": "PostgreSQL",
                           "data": {"host": u.host, "port": u.port, "dbname": u.database, "user": u.username,
                                    "password": u.password, "search_path": ["public"]},
                           "id_field": "id", "table": "incidents", "geom_field": "geom"}]}},
    }, indent=1))
    python = ensure_pygeoapi()
    openapi = folder / "pygeoapi-openapi.yml"
    env = {**os.environ, "PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
    subprocess.run([str(python.parent / "pygeoapi"), "openapi", "generate", str(config), "--output-file", str(openapi)],
                   env=env, check=True, capture_output=True)
    return subprocess.Popen([str(python), "-m", "uvicorn", "pygeoapi.starlette_app:APP", "--port", str(port),
                             "--log-level", "warning", *workers], env=env)


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


def random_boxes(url: str, box: str, n: int = 2000, seed: int = 23) -> list[str]:
    """n boxes the size of `box`, each centred on a randomly drawn stored incident (so dense and sparse
    parts of town come in proportion to where the data is, as a map user pans)."""
    from sqlalchemy import create_engine, text

    x0, y0, x1, y1 = (float(v) for v in box.split(","))
    hx, hy = (x1 - x0) / 2, (y1 - y0) / 2
    engine = create_engine(url)
    with engine.connect() as conn:
        conn.execute(text("SELECT setseed(:s)"), {"s": seed / 100})
        centres = conn.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM incidents TABLESAMPLE BERNOULLI (5) "
                                    "ORDER BY random() LIMIT :n"), {"n": n}).all()
    engine.dispose()
    return [f"{x - hx:.6f},{y - hy:.6f},{x + hx:.6f},{y + hy:.6f}" for x, y in centres]


def lua_script(paths: list[str]) -> Path:
    """A wrk script that sends the paths in turn, each thread from its own starting point."""
    import tempfile

    body = ",\n".join(f'"{p}"' for p in paths)
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(f"""paths = {{
{body}
}}
counter = 0
function init(args) counter = math.random(#paths) end
function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end
""")
    return script


def _stat(proc: Path) -> list[str]:
    return (proc / "stat").read_text().rsplit(")", 1)[1].split()  # fields after the command name


def cpu_ticks(root: int | None = None, match: str = "") -> dict[int, int]:
    """CPU ticks (user + system) used so far, per process: process `root` and its descendants (uvicorn's
    workers), or every process whose command line contains `match` (PostgreSQL's backends)."""
    stats: dict[int, list[str]] = {}
    names: dict[int, str] = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                stats[int(proc.name)] = _stat(proc)
                names[int(proc.name)] = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
    if root is not None:
        chosen, grew = {root}, True
        while grew:
            more = {pid for pid, fields in stats.items() if int(fields[1]) in chosen} - chosen
            chosen |= more
            grew = bool(more)
    else:
        chosen = {pid for pid, name in names.items() if match in name}
    return {pid: int(stats[pid][11]) + int(stats[pid][12]) for pid in chosen if pid in stats}


def cpu_ms_between(before: dict[int, int], after: dict[int, int]) -> float:
    """Milliseconds of CPU used between two readings; a process that ended in between is not counted."""
    return sum(ticks - before.get(pid, 0) for pid, ticks in after.items()) * 1000 / os.sysconf("SC_CLK_TCK")


def measure(name: str, url: str, headers: dict[str, str], server: int, args: argparse.Namespace,
            script: Path | None = None) -> wrk.Figures:
    before = cpu_ticks(server), cpu_ticks(match="postgres: ")
    figures = wrk.run(url, connections=args.connections, seconds=args.seconds, headers=headers, script=script)
    after = cpu_ticks(server), cpu_ticks(match="postgres: ")
    server_ms, db_ms = (cpu_ms_between(b, a) / max(figures.requests, 1) for a, b in zip(after, before, strict=True))
    print(f"  {name:<22} {figures.per_second:>7.1f} req/s  p50 {figures.p50_ms:>7.1f} ms  p99 {figures.p99_ms:>7.1f} ms"
          f"  errors {figures.errors}  CPU/request: server {server_ms:.1f} ms, PostgreSQL {db_ms:.1f} ms", flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn processes for each server")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of --seconds per server")
    parser.add_argument("--floor", action="store_true", help="also run bench/items_floor.py, the bare floor")
    parser.add_argument("--no-pygeoapi", dest="pygeoapi", action="store_false",
                        help="leave out pygeoapi (installed into .bench/pygeoapi-venv on first use)")
    parser.add_argument("--boxes", choices=("random", "fixed"), default="random",
                        help="a new box on every request (default), or one box repeated")
    args = parser.parse_args()
    from bench.dataset import make

    url = make(args.rows)
    box = bbox_with(url)
    env = {**os.environ, "DATABASE_URL": url}
    token = subprocess.run([sys.executable, "-m", "app.cli", "token", "create", "--role", "analyst", "--name", "bench"],
                           env=env, capture_output=True, text=True, check=True).stdout.strip()
    ours_port, tipg_port, floor_port, pygeoapi_port = free_port(), free_port(), free_port(), free_port()
    import tempfile

    scratch = Path(tempfile.mkdtemp())
    plain_url = url.replace("postgresql+psycopg://", "postgresql://")
    workers = ["--workers", str(args.workers)]
    servers = [
        subprocess.Popen([sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--port",
                          str(ours_port), "--log-level", "warning", *workers], env=env, cwd=ROOT),
        subprocess.Popen([str(ensure_tipg()), "-m", "uvicorn", "tipg.main:app", "--port", str(tipg_port),
                          "--log-level", "warning", *workers],
                         env={**os.environ, "DATABASE_URL": plain_url, "TIPG_DB_SCHEMAS": '["public"]',
                              "TIPG_DB_TABLES": '["public.incidents"]', "TIPG_MAX_FEATURES_PER_QUERY": "10000"}),
    ]
    ports = [ours_port, tipg_port]
    if args.pygeoapi:
        servers.append(pygeoapi_server(url, pygeoapi_port, scratch, workers))
        ports.append(pygeoapi_port)
    if args.floor:
        servers.append(subprocess.Popen([sys.executable, "-m", "uvicorn", "bench.items_floor:app", "--port",
                                         str(floor_port), "--log-level", "warning", *workers], env=env, cwd=ROOT))
        ports.append(floor_port)
    try:
        for port in ports:
            wait_port(port)
        time.sleep(2)
        boxes = random_boxes(url, box) if args.boxes == "random" else [box]
        print(f"{args.rows} incidents, {'2,000 random boxes the size of ' if len(boxes) > 1 else 'bbox '}{box}, "
              f"limit 1000, {args.connections} connections, "
              f"{args.rounds} rounds of {args.seconds:.0f} s per server, {args.workers} uvicorn process(es) each, "
              f"driver wrk")
        paths = [
            ("Lägesbild /ogc items", ours_port, "/ogc/collections/incidents/items?bbox={}&limit=1000",
             {"Authorization": f"Bearer {token}"}, servers[0].pid),
            ("tipg 1.6.1 items", tipg_port, "/collections/public.incidents/items?bbox={}&limit=1000"
             f"&properties={PROPERTIES}", {}, servers[1].pid),
        ]
        if args.pygeoapi:
            paths.append((f"pygeoapi {PYGEOAPI_VERSION} items", pygeoapi_port,
                          "/collections/incidents/items?bbox={}&limit=1000&f=json" f"&properties={PROPERTIES}", {},
                          servers[ports.index(pygeoapi_port)].pid))
        if args.floor:
            paths.append(("bare ASGI floor", floor_port, "/items?bbox={}&limit=1000", {},
                          servers[ports.index(floor_port)].pid))
        targets = [(name, f"http://127.0.0.1:{port}", lua_script([path.format(b) for b in boxes]), headers, pid)
                   for name, port, path, headers, pid in paths]
        for _, target, script, headers, _ in targets:  # warm up: connections, plans (not the measured boxes' cache:
            wrk.run(target, connections=4, seconds=2, headers=headers, script=script)  # 2,000 boxes cycle)
        # Alternate the servers round by round: this machine's speed drifts by tens of per cent within a
        # minute, and the ratio must compare the two under the same conditions.
        runs: list[list[wrk.Figures]] = [[] for _ in targets]
        for round_ in range(1, args.rounds + 1):
            print(f"round {round_}")
            for runs_of, (name, target, script, headers, pid) in zip(runs, targets, strict=True):
                runs_of.append(measure(name, target, headers, pid, args, script))
        rates = [sum(f.requests for f in r) / (args.seconds * args.rounds) for r in runs]
        for (name, *_), r, rate in zip(targets, runs, rates, strict=True):
            print(f"{name:<24} {rate:>7.1f} req/s over {args.rounds} rounds (rounds {min(f.per_second for f in r):.1f}–"
                  f"{max(f.per_second for f in r):.1f}), p99 {max(f.p99_ms for f in r):.0f} ms in the worst round, "
                  f"{sum(f.errors for f in r)} errors")

        def spread(k: int) -> str:  # the ratio round by round: this machine's speed drifts within a minute
            per_round = [a.per_second / b.per_second for a, b in zip(runs[0], runs[k], strict=True) if b.per_second]
            return f"{min(per_round):.2f}–{max(per_round):.2f}" if per_round else "n/a"

        print(f"ratio: Lägesbild serves {rates[0] / rates[1]:.1f}× tipg's requests per second (rounds {spread(1)})")
        for k, (name, *_) in enumerate(targets[2:], start=2):
            if name.startswith("pygeoapi"):
                print(f"ratio: Lägesbild serves {rates[0] / rates[k]:.1f}× pygeoapi's requests per second "
                      f"(rounds {spread(k)})")
            else:
                print(f"floor: Lägesbild serves {rates[0] / rates[k]:.0%} of the bare floor's requests per second "
                      f"(rounds {spread(k)})")
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=20)
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
