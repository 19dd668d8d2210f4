"""Request body size limit as pure ASGI middleware (counts streamed bytes too, not only Content-Length)."""

from __future__ import annotations

import hashlib
import time

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class StatusRecorder:
    """A `send` wrapper that remembers the response status, for middleware that acts on it afterwards."""

    def __init__(self, send: Send, default: int = 500) -> None:
        self.send = send
        self.status = default

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        await self.send(message)


class BodySizeLimit:
    """Answer 413 when a body exceeds `max_bytes` (or `upload_bytes` under the upload prefixes; photos from
    safety walks, whose paths end in /photo, get PHOTO_BYTES: a phone picture is often 3-5 MB)."""

    PHOTO_BYTES = 6_000_000

    def __init__(self, app: ASGIApp, *, max_bytes: int, upload_bytes: int,
                 upload_prefixes: tuple[str, ...] = ("/api/v1/imports",)) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_bytes = upload_bytes
        self.upload_prefixes = upload_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_bytes if scope["path"].startswith(self.upload_prefixes) else self.max_bytes
        if scope["path"].endswith("/photo"):
            limit = max(limit, self.PHOTO_BYTES)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        received = 0
        started = too_large = False

        async def counting_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if too_large:
                # the framework turned the interrupted body into its own answer (a chunked body
                # became "400 error parsing the body"): the answer is 413, whatever it says
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await _too_large(send, limit)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _too_large(send, limit)


class _TooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = orjson.dumps({"detail": [{"loc": ["body"], "msg": f"request body larger than {limit} bytes",
                                     "type": "too_large"}]})
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def content_security_policy(tile_url: str | None, nonce: str | None = None) -> str:
    """The page's Content-Security-Policy: scripts only from this origin (and, for a map frame, the
    inline scripts Folium writes, by `nonce`); images also from the tile server; nothing else from
    anywhere. Styles may be inline: Leaflet positions every marker with a style attribute."""
    tiles = ""
    if tile_url:
        from urllib.parse import urlsplit

        parts = urlsplit(tile_url.replace("{s}.", "*.").replace("{s}", "*"))
        if parts.scheme in ("http", "https") and parts.netloc:
            tiles = f" {parts.scheme}://{parts.netloc}"
    scripts = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    return (f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
            f"img-src 'self' data: blob:{tiles}; connect-src 'self'; font-src 'self'; object-src 'none'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'self'")


class SecurityHeaders:
    """Conservative headers on every response: no sniffing, no framing by other sites, no referrer leaks,
    and a Content-Security-Policy on every one that has none of its own (a map frame sets its own, with
    the nonce of its inline scripts).

    The app's own pages embed the maps in same-origin iframes, so frames are allowed from 'self' only.
    The API documentation (/docs, /redoc) is FastAPI's, which loads Swagger UI from a CDN: it gets none.
    """

    HEADERS = (
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"SAMEORIGIN"),
        (b"referrer-policy", b"same-origin"),
        (b"permissions-policy", b"geolocation=(), camera=(), microphone=()"),
    )
    UNGUARDED = ("/docs", "/redoc")

    def __init__(self, app: ASGIApp, tile_url: str | None = None) -> None:
        self.app = app
        self.csp = (b"content-security-policy", content_security_policy(tile_url).encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        guarded = not scope["path"].startswith(self.UNGUARDED)
        cacheable = scope["path"].startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", [])) + list(self.HEADERS)
                names = {name.lower() for name, _ in headers}
                if guarded and b"content-security-policy" not in names:
                    headers.append(self.csp)
                if not cacheable and b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))  # incident data never sits in a cache
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


class HeadAsGet:
    """HEAD on the OGC API and Open311 paths answers as GET would, without the body (OGC API – Features
    Part 1 requires HEAD wherever GET is; FastAPI routes only the methods they declare)."""

    PATHS = ("/ogc", "/open311/")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD" or not scope["path"].startswith(self.PATHS):
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if not message.get("more_body"):
                    await send({"type": "http.response.body", "body": b""})
                return
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


class RateLimit:
    """Per-caller limits: writes per token (or address) per minute, failed sign-ins per address.

    In-process token buckets: each worker counts on its own, which bounds abuse without a shared store.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def _level(self, key: tuple[str, str], capacity: float, per_seconds: float) -> float:
        now = time.monotonic()
        level, stamp = self.buckets.get(key, (capacity, now))
        return min(capacity, level + (now - stamp) * capacity / per_seconds)

    def _take(self, key: tuple[str, str], capacity: float, per_seconds: float) -> float:
        """Take one token; return 0 when allowed, else the seconds until one is free."""
        now = time.monotonic()
        level = self._level(key, capacity, per_seconds)
        if level < 1:
            self.buckets[key] = (level, now)
            return (1 - level) * per_seconds / capacity
        self.buckets[key] = (level - 1, now)
        if len(self.buckets) > 100_000:
            self.buckets.clear()
        return 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from app.config import get_settings

        settings = get_settings()
        enabled = settings.rate_limit if settings.rate_limit is not None else settings.environment != "test"
        if scope["type"] != "http" or not enabled or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        client = (scope.get("client") or ("?",))[0]
        if scope["path"] == "/logga-in":
            key = ("login", client)
            if self._level(key, settings.failed_logins_per_15_minutes, 900) < 1:
                await _too_many(send, 900, "too many failed sign-ins from this address; wait 15 minutes")
                return
            recorder = StatusRecorder(send, default=200)
            await self.app(scope, receive, recorder)
            if recorder.status == 401:
                self._take(key, settings.failed_logins_per_15_minutes, 900)
            return
        if scope["path"] == "/felanmalan":  # the public fault form: no account, so per address and per hour
            wait = self._take(("public-report", client), settings.public_reports_per_hour, 3600)
            if wait > 0:
                await _too_many_page(send, int(wait) + 1)
                return
        credential = headers.get(b"authorization") or headers.get(b"x-api-key") or client.encode()
        wait = self._take(("write", hashlib.sha256(credential).hexdigest()), settings.writes_per_minute, 60)
        if wait > 0:
            await _too_many(send, int(wait) + 1, "too many writes; slow down")
            return
        await self.app(scope, receive, send)


async def _too_many_page(send: Send, retry_after: int) -> None:
    """The public form's refusal, as a page a citizen reads."""
    minutes = max(1, retry_after // 60)
    body = ("<!doctype html><html lang=\"sv\"><meta charset=\"utf-8\"><meta name=\"viewport\" "
            "content=\"width=device-width, initial-scale=1\"><title>För många felanmälningar · Lägesbild</title>"
            "<main><h1>För många felanmälningar</h1><p>Vi har fått många felanmälningar från din adress på kort tid. "
            f"Försök igen om ungefär {minutes} minuter, eller ring kommunens växel.</p>"
            "<p><a href=\"/\">Till startsidan</a></p></main></html>").encode()
    await send({"type": "http.response.start", "status": 429,
                "headers": [(b"content-type", b"text/html; charset=utf-8"), (b"retry-after", str(retry_after).encode()),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def _too_many(send: Send, retry_after: int, message: str) -> None:
    body = orjson.dumps({"detail": [{"loc": ["request"], "msg": message, "type": "rate_limited"}]})
    await send({"type": "http.response.start", "status": 429,
                "headers": [(b"content-type", b"application/json"), (b"retry-after", str(retry_after).encode()),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
