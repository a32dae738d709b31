"""Request body size limits as a plain ASGI middleware."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import PROBLEM_JSON


async def _send_413(send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "type": "/problems/body-too-large",
            "title": "Request body too large",
            "title_zh": "请求体过大",
            "status": 413,
            "detail": f"The limit is {limit} bytes",
            "code": "BODY_TOO_LARGE",
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuse bodies over the limit: by Content-Length up front, or while streaming."""

    def __init__(
        self, app: ASGIApp, default_limit: int, large_limit: int, large_paths: tuple[str, ...],
        path_limits: dict[str, int] | None = None,
    ) -> None:
        self.app = app
        self.default_limit = default_limit
        self.limits = {path: large_limit for path in large_paths} | (path_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"], self.default_limit)
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _send_413(send, limit)
            return
        if length is not None:
            await self.app(scope, receive, send)
            return
        # No Content-Length (chunked): buffer up to the limit, then replay.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _send_413(send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replay: list[Message] = [
            {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        ]

        async def replay_receive() -> Any:
            return replay.pop() if replay else await receive()

        await self.app(scope, replay_receive, send)


class RateLimit:
    """Per client address and bucket, a sliding one-minute window, in this process.

    Buckets: the login (guessing passwords) and the public page (scraping the registry). Behind
    a reverse proxy, run uvicorn with --proxy-headers so the client address is the real one.
    """

    def __init__(self, app: ASGIApp, login_per_minute: int, public_per_minute: int,
                 report_per_minute: int = 5) -> None:
        self.app = app
        self.limits = {"login": login_per_minute, "public": public_per_minute,
                       "report": report_per_minute}
        self.hits: dict[tuple[str, str], list[float]] = {}

    def bucket(self, scope: Scope) -> str | None:
        path, method = scope["path"], scope.get("method", "GET")
        if path in ("/api/v1/auth/token", "/login") and method == "POST":
            return "login"
        if path in ("/report", "/api/v1/public/reports") and method == "POST":
            return "report"
        if path.startswith(("/c/", "/C/", "/report", "/api/v1/public/")):
            return "public"
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        bucket = self.bucket(scope) if scope["type"] == "http" else None
        if bucket is not None:
            import time

            client = (scope.get("client") or ("?", 0))[0]
            now = time.monotonic()
            window = [t for t in self.hits.get((bucket, client), []) if now - t < 60.0]
            if len(window) >= self.limits[bucket]:
                retry = int(60 - (now - window[0])) + 1
                body = json.dumps({
                    "type": "/problems/too-many-requests", "title": "Too many requests",
                    "title_zh": "请求过于频繁，请稍后再试", "status": 429,
                    "detail": f"At most {self.limits[bucket]} a minute; retry in {retry} s",
                    "code": "TOO_MANY_REQUESTS"}).encode()
                await send({"type": "http.response.start", "status": 429, "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(retry).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
            window.append(now)
            self.hits[(bucket, client)] = window
            if len(self.hits) > 100_000:  # forget idle clients
                self.hits = {k: v for k, v in self.hits.items() if v and now - v[-1] < 60}
        await self.app(scope, receive, send)


# Our own pages (and answers) load nothing from elsewhere; /docs (Swagger UI) keeps FastAPI's.
PAGE_CSP = (b"default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            b"frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


# The phone app compiles the QR decoder (WebAssembly) and uses the camera and location: the
# same 'self'-only policy, plus WebAssembly compilation, a blob: for the signature image, and
# a Permissions-Policy that lets only our own pages ask for the camera and the location.
APP_CSP = (b"default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
           b"img-src 'self' data: blob:; media-src 'self' blob: mediastream:; "
           b"frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # everything but the OpenAPI viewers, which load FastAPI's own assets
        page = not scope["path"].startswith(("/docs", "/redoc"))
        app = scope["path"].startswith("/app")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"no-referrer"),
                            (b"x-frame-options", b"DENY")]
                if app:
                    headers += [(b"content-security-policy", APP_CSP),
                                (b"permissions-policy", b"camera=(self), geolocation=(self)")]
                elif page:
                    headers.append((b"content-security-policy", PAGE_CSP))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
