"""Request limits: the body size limit, the per-client rate limit, the security policies.

The pieces only; front.py applies them, in one ASGI layer, to every request.
"""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from .problems import PROBLEM_JSON


async def _send_problem(send: Send, status: int, body: dict[str, Any],
                        headers: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    raw = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(raw)).encode()),
        *headers]})
    await send({"type": "http.response.body", "body": raw})


async def send_413(send: Send, limit: int) -> None:
    await _send_problem(send, 413, {
        "type": "/problems/body-too-large", "title": "Request body too large",
        "title_zh": "请求体过大", "status": 413, "detail": f"The limit is {limit} bytes",
        "code": "BODY_TOO_LARGE"})


async def send_429(send: Send, per_minute: int, retry: int) -> None:
    await _send_problem(send, 429, {
        "type": "/problems/too-many-requests", "title": "Too many requests",
        "title_zh": "请求过于频繁，请稍后再试", "status": 429,
        "detail": f"At most {per_minute} a minute; retry in {retry} s",
        "code": "TOO_MANY_REQUESTS"}, ((b"retry-after", str(retry).encode()),))


async def buffered_receive(receive: Receive, limit: int) -> Receive | None:
    """A body without Content-Length (chunked): read it up to the limit, then replay it.
    None when it is over the limit."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    replay: list[Message] = [{"type": "http.request", "body": b"".join(chunks),
                              "more_body": False}]

    async def replay_receive() -> Any:
        return replay.pop() if replay else await receive()

    return replay_receive


class RateLimit:
    """Per client address and bucket, a sliding one-minute window, in this process.

    Buckets: the login (guessing passwords), the public page (scraping the registry) and the
    public's reports (sent without an account). Behind a reverse proxy, run uvicorn with
    --proxy-headers so the client address is the real one.
    """

    def __init__(self, login_per_minute: int, public_per_minute: int,
                 report_per_minute: int = 5) -> None:
        self.limits = {"login": login_per_minute, "public": public_per_minute,
                       "report": report_per_minute}
        self.hits: dict[tuple[str, str], list[float]] = {}

    @staticmethod
    def bucket(scope: Scope, path: str) -> str | None:
        if path in ("/api/v1/auth/token", "/login") and scope["method"] == "POST":
            return "login"
        if path in ("/report", "/api/v1/public/reports") and scope["method"] == "POST":
            return "report"
        if path.startswith(("/c/", "/C/", "/report", "/api/v1/public/")):
            return "public"
        return None

    def check(self, scope: Scope, path: str) -> tuple[int, int] | None:
        """None if the request may go on, else (the limit a minute, seconds to wait)."""
        bucket = self.bucket(scope, path)
        if bucket is None:
            return None
        client = (scope.get("client") or ("?", 0))[0]
        now = time.monotonic()
        window = [t for t in self.hits.get((bucket, client), []) if now - t < 60.0]
        if len(window) >= self.limits[bucket]:
            return self.limits[bucket], int(60 - (now - window[0])) + 1
        window.append(now)
        self.hits[(bucket, client)] = window
        if len(self.hits) > 100_000:  # forget idle clients
            self.hits = {k: v for k, v in self.hits.items() if v and now - v[-1] < 60}
        return None


# Our own pages (and answers) load nothing from elsewhere; /docs (Swagger UI) keeps FastAPI's.
PAGE_CSP = (b"default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            b"frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


# The phone app compiles the QR decoder (WebAssembly) and uses the camera and location: the
# same 'self'-only policy, plus WebAssembly compilation, a blob: for the signature image, and
# a Permissions-Policy that lets only our own pages ask for the camera and the location.
APP_CSP = (b"default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
           b"img-src 'self' data: blob:; media-src 'self' blob: mediastream:; "
           b"frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
