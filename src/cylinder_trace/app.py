"""create_app(): routers, error handlers, limits, lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from .api.front import Front
from .api.openapi import install_openapi, operation_id
from .api.problems import install_error_handlers
from .config import get_settings
from .db.engine import dispose_engine, init_engine
from .observe import metrics_response
from .parent import follow_serve
from .services.reports import MAX_PHOTOS

log = logging.getLogger(__name__)

# Routes whose bodies may be larger than the default limit (bulk CSV import).
LARGE_BODY_PATHS = ("/api/v1/cylinders/import",)
# Public reports carry up to three photos (each size-checked by the service).
REPORT_PATHS = ("/report", "/api/v1/public/reports")


def create_app(database_url: str | None = None) -> FastAPI:
    settings = get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        follow_serve()  # a worker of `serve`'s stops when serve dies, even by SIGKILL
        engine = init_engine(database_url)
        from .db.engine import libpq_url
        from .services.authorizing import Authorizer

        conninfo = libpq_url(engine.url.render_as_string(hide_password=False))
        app.state.authorizer = Authorizer(conninfo)
        await app.state.authorizer.open()
        from .db.engine import read_pool

        # the reads answered on the event loop (the history page's fast path)
        app.state.reads = read_pool(conninfo)
        await app.state.reads.open()
        app.state.scheduler = None
        if settings.scheduler_enabled:
            from .jobs import make_scheduler

            app.state.scheduler = make_scheduler()
            app.state.scheduler.start()
        try:
            yield
        finally:
            if app.state.scheduler is not None:
                app.state.scheduler.shutdown(wait=False)
            await app.state.authorizer.close()
            await app.state.reads.close()
            dispose_engine()

    app = FastAPI(
        title="cylinder-trace",
        summary="LPG cylinder traceability: one cylinder, one code (一瓶一码)",
        version="0.1.0",
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        # FastAPI's own OpenTelemetry bridge asked, on every request, whether a provider was
        # configured (4 % of a fill worker's CPU); we export Prometheus metrics instead
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    install_openapi(app)
    install_error_handlers(app)
    from .api.routes.cylinders import HISTORY, history_asgi
    from .api.routes.fills import FILL_AUTHORIZATIONS, fill_authorization_asgi

    # One pure ASGI layer for request ids, limits, security headers, metrics and the access
    # line (four stacked middlewares cost more than the authorization itself: front.py).
    app.add_middleware(
        Front,
        default_limit=settings.max_body_bytes,
        large_limit=settings.max_import_bytes,
        large_paths=LARGE_BODY_PATHS,
        login_per_minute=settings.rate_login_per_minute,
        public_per_minute=settings.rate_public_per_minute,
        report_per_minute=settings.rate_report_per_minute,
        path_limits=dict.fromkeys(
            REPORT_PATHS, MAX_PHOTOS * settings.report_photo_max_bytes + 65536),
        # the scanner's hot path, answered ahead of the router (its FastAPI route stays, for
        # every request of another shape and for the OpenAPI description)
        fast={FILL_AUTHORIZATIONS: fill_authorization_asgi},
        # a person's history page, read on the event loop (its FastAPI route stays likewise)
        fast_get={HISTORY: history_asgi},
        fast_log_every=settings.access_log_fast_every,
    )
    if settings.bench_echo:
        # Benchmarks only (the cost of our stack): matched before every other route.
        @app.post("/api/v1/echo", include_in_schema=False)
        async def echo(request: Request) -> JSONResponse:
            return JSONResponse(await request.json())

    from .api.pages import agencies as pages_agencies
    from .api.pages import public
    from .api.pages import regulator as pages
    from .api.pages import session as web
    from .api.routes import (
        admin,
        agencies,
        audit,
        campaign,
        custody,
        cylinders,
        deliveries,
        fills,
        jobs,
        licences,
        mobile,
        reports,
        stats,
        supervision,
    )

    # Routes are matched in order, each included router scanning its own: the scanner's hot
    # path (POST /fill-authorizations) goes first, not after ~90 others (its router has no
    # path parameters, so it shadows nothing).
    app.include_router(fills.router)
    app.include_router(cylinders.reads)  # the history page: GET only, shadows nothing
    app.include_router(admin.router)
    app.include_router(audit.router)
    app.include_router(campaign.router)
    app.include_router(campaign.pages)
    app.include_router(stats.router)
    app.include_router(jobs.router)
    app.include_router(mobile.router)  # before /deliveries/{id}
    app.include_router(deliveries.router)
    app.include_router(custody.router)
    app.include_router(agencies.router)
    app.include_router(cylinders.router)
    app.include_router(public.router)
    app.include_router(reports.router)
    app.include_router(licences.router)
    app.include_router(supervision.router)
    app.include_router(supervision.pages)
    app.include_router(audit.pages)
    app.include_router(licences.pages)
    app.include_router(reports.pages)
    app.include_router(web.router)
    app.include_router(pages.router)
    app.include_router(pages_agencies.router)
    from fastapi.staticfiles import StaticFiles

    from .api.pages.public import TEMPLATES

    app.mount("/static", StaticFiles(directory=TEMPLATES.parent / "static"), name="static")
    app.include_router(mobile.pages)
    app.mount("/app", StaticFiles(directory=mobile.APP_DIR), name="app")

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        """Prometheus metrics (per worker process; scrape each, or run one worker per pod)."""
        body, content_type = metrics_response()
        return Response(body, media_type=content_type)
    return app
