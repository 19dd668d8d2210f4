"""The leanest Python answer to bench/features.py's request: a floor, not a server to deploy.

A bare ASGI app: no authentication, no audit row, no rate limit, no middleware, no FastAPI; one
prepared keyset query on async psycopg connections, the stored feature texts joined into a
FeatureCollection. Whatever Lägesbild's /ogc items cannot beat, this shows how much of it is the
machine's (PostgreSQL's share and the HTTP server's own), not the app's:

    .venv/bin/python bench/features.py --floor
"""

from __future__ import annotations

import asyncio
import os
from typing import Any
from urllib.parse import parse_qs

import psycopg

from app.db import DATA_VERSION_SQL

PAGE_SQL = f"""SELECT p.id, p.feature, v.version FROM ({DATA_VERSION_SQL}) v (version)
    LEFT JOIN LATERAL (SELECT i.id, i.feature FROM incidents i
                       WHERE i.geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326) ORDER BY i.id LIMIT %s) p ON TRUE"""
CONNECTIONS = 16

_pool: asyncio.Queue[psycopg.AsyncConnection[Any]] | None = None


async def _connections() -> asyncio.Queue[psycopg.AsyncConnection[Any]]:
    global _pool
    if _pool is None:
        url = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        pool: asyncio.Queue[psycopg.AsyncConnection[Any]] = asyncio.Queue()
        for _ in range(CONNECTIONS):
            # planned with each box's values, as Lägesbild's connections are (a generic plan cannot see the box)
            pool.put_nowait(await psycopg.AsyncConnection.connect(url, autocommit=True,
                                                                  options="-c plan_cache_mode=force_custom_plan"))
        _pool = pool
    return _pool


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    query = parse_qs(scope["query_string"].decode())
    box = [float(v) for v in query["bbox"][0].split(",")]
    limit = int(query.get("limit", ["100"])[0])
    pool = await _connections()
    conn = await pool.get()
    try:
        rows = await (await conn.execute(PAGE_SQL, (*box, limit + 1), prepare=True)).fetchall()
    finally:
        pool.put_nowait(conn)
    page = [row for row in rows if row[0] is not None][:limit]
    body = (f'{{"type":"FeatureCollection","numberReturned":{len(page)},"features":['
            + ",".join(row[1] for row in page) + "]}").encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/geo+json")]})
    await send({"type": "http.response.body", "body": body})
