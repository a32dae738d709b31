"""The one ASGI layer in front of every request: request id, body limit, rate limit, security
headers, metrics and the access line.

One pure ASGI class instead of four stacked middlewares: each of those wrapped `send` and
parsed the headers again, and every request paid all four whatever its path. Here the headers
are read once, the security headers are prepared once per kind of path, the rate limit looks at
the two paths it guards only, and the metrics' label children are bound once per route (see
observe.py). The hot path's access lines are sampled (settings.access_log_fast_every): one line
per fill authorization was a tenth of a worker's CPU, for what the metrics and the cylinder's
history already hold. What each part does is unchanged (limits.py and observe.py hold the pieces).
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..observe import access_line, request_metrics
from .limits import APP_CSP, PAGE_CSP, RateLimit, buffered_receive, send_413, send_429

# an answer slower than this always has its access line, sampled path or not
SLOW_SECONDS = 1.0

# an endpoint answered ahead of the router: (scope, receive, send, the app to hand it to)
Fast = Callable[[Scope, Receive, Send, ASGIApp], Awaitable[None]]

_COMMON = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
           (b"x-frame-options", b"DENY")]
# By kind of path: the phone app's own policy, FastAPI's API viewers (which load FastAPI's
# assets, so no CSP of ours), every other page and answer.
_HEADERS = {
    "app": (*_COMMON, (b"content-security-policy", APP_CSP),
            (b"permissions-policy", b"camera=(self), geolocation=(self)")),
    "docs": tuple(_COMMON),
    "page": (*_COMMON, (b"content-security-policy", PAGE_CSP)),
}


def _kind(path: str) -> str:
    if path.startswith("/app"):
        return "app"
    if path.startswith(("/docs", "/redoc")):
        return "docs"
    return "page"


class Front:
    def __init__(self, app: ASGIApp, *, default_limit: int, large_limit: int,
                 large_paths: tuple[str, ...], login_per_minute: int,
                 public_per_minute: int, report_per_minute: int = 5,
                 path_limits: dict[str, int] | None = None,
                 fast: dict[str, Fast] | None = None, fast_log_every: int = 1,
                 fast_get: dict[str, Fast] | None = None) -> None:
        self.app = app
        # POST endpoints answered here, ahead of the router (api/fills.py: the scanner's)
        self.fast = fast or {}
        # GET endpoints answered here, by their route's path template of one parameter
        # ("/api/v1/cylinders/{code}/history", api/routes/cylinders.py): what is before the
        # parameter and after it
        self.fast_get = [(t[:t.index("{")], t[t.index("}") + 1:], t, endpoint)
                         for t, endpoint in (fast_get or {}).items()]
        # their access lines: one for every so many answered well (settings.py)
        self.fast_log_every = fast_log_every
        self.fast_answered = 0
        self.default_limit = default_limit
        # body limits by path: the bulk import's, the public report's (photos), the default
        self.limits = dict.fromkeys(large_paths, large_limit) | (path_limits or {})
        self.rate = RateLimit(login_per_minute=login_per_minute,
                              public_per_minute=public_per_minute,
                              report_per_minute=report_per_minute)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path = scope["path"]
        headers = dict(scope["headers"])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        # (an id to find a request by, not a secret: no system call for randomness per request)
        request_id = given if given.isprintable() and 0 < len(given) <= 64 \
            else f"{random.getrandbits(128):032x}"
        scope.setdefault("state", {})["request_id"] = request_id
        extra = (*_HEADERS[_kind(path)], (b"x-request-id", request_id.encode()))
        status = 500
        template = None  # the path template of an endpoint answered here

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        try:
            limit = self.limits.get(path, self.default_limit)
            length = headers.get(b"content-length")
            if length is not None and (not length.isdigit() or int(length) > limit):
                await send_413(send_with_headers, limit)
                return
            refused = self.rate.check(scope, path)
            if refused is not None:
                await send_429(send_with_headers, *refused)
                return
            if length is None and scope["method"] not in ("GET", "HEAD"):
                replay: Any = await buffered_receive(receive, limit)
                if replay is None:
                    await send_413(send_with_headers, limit)
                    return
                receive = replay
            fast = None
            if scope["method"] == "POST":
                fast = self.fast.get(path)
                template = path if fast is not None else None
            elif scope["method"] == "GET":
                for prefix, suffix, route_path, endpoint in self.fast_get:
                    # one path segment between them, as the router's "{param}" matches
                    param = path[len(prefix):len(path) - len(suffix)]
                    if param and "/" not in param and path.startswith(prefix) \
                            and path.endswith(suffix):
                        fast, template = endpoint, route_path
                        break
            if fast is not None:
                await fast(scope, receive, send_with_headers, self.app)
            else:
                await self.app(scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or template or "unmatched"
            request_metrics(scope["method"], route, status, elapsed)
            sampled = 1
            if route in self.fast and status < 400 and elapsed < SLOW_SECONDS:
                self.fast_answered += 1
                sampled = self.fast_log_every
            if sampled == 1 or self.fast_answered % sampled == 0:
                principal = scope["state"].get("principal")
                access_line(request_id, scope["method"], route, status, elapsed,
                            principal.actor if principal is not None else None, sampled)
