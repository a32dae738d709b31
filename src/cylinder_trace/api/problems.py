"""The one handler that turns errors into RFC 9457 problem+json."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError as DBAPIDataError
from sqlalchemy.exc import IntegrityError as DBAPIIntegrityError
from sqlalchemy.exc import OperationalError as DBAPIOperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..domain.errors import DomainError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

def problem_for(exc: DomainError) -> JSONResponse:
    """The problem+json answer of a domain error (what its exception handler sends)."""
    return problem(exc.status, exc.code, exc.title_en, exc.detail, title_zh=exc.title_zh,
                   **exc.extra)


def problem(
    status: int, code: str, title: str, detail: str, *, title_zh: str = "", **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"/problems/{code.lower().replace('_', '-')}",
        "title": title,
        "title_zh": title_zh,
        "status": status,
        "detail": detail,
        "code": code,
    }
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)

_HTTP_CODES = {
    400: ("BAD_REQUEST", "请求有误"),
    401: ("NOT_AUTHENTICATED", "未登录或凭证无效"),
    403: ("FORBIDDEN", "无权执行此操作"),
    404: ("NOT_FOUND", "未找到"),
    405: ("METHOD_NOT_ALLOWED", "不支持此方法"),
    413: ("BODY_TOO_LARGE", "请求体过大"),
    415: ("UNSUPPORTED_MEDIA_TYPE", "不支持的内容类型"),
    429: ("TOO_MANY_REQUESTS", "请求过于频繁"),
}

def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return problem_for(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body",
                "message": err.get("msg", ""),
                "type": err.get("type", ""),
            }
            for err in exc.errors()
        ]
        return problem(
            422,
            "VALIDATION_ERROR",
            "Validation failed",
            "The request has invalid fields",
            title_zh="请求字段校验失败",
            errors=errors,
        )

    @app.exception_handler(DBAPIDataError)
    async def _data(_: Request, exc: DBAPIDataError) -> JSONResponse:
        # PostgreSQL refused a value the request carried (a NUL character in text, a number
        # out of range): the request is at fault, and nothing was written (rolled back).
        return problem(422, "INVALID_VALUE", "A value cannot be stored",
                       "A value in the request cannot be stored (control characters such as NUL, "
                       "or a number out of range)", title_zh="请求中的值无法保存")

    @app.exception_handler(DBAPIIntegrityError)
    async def _integrity(request: Request, exc: DBAPIIntegrityError) -> JSONResponse:
        # A constraint no use case checked first refused the write (most often a unique key
        # taken by a concurrent request, found at commit): nothing was written.
        from psycopg import errors as pg

        if isinstance(exc.orig, pg.UniqueViolation | pg.ExclusionViolation
                      | pg.ForeignKeyViolation):
            return problem(409, "CONFLICT", "Conflict with the current state",
                           "The write conflicts with a record that exists (or no longer "
                           "exists); nothing was written", title_zh="与当前状态冲突")
        if isinstance(exc.orig, pg.CheckViolation | pg.NotNullViolation):
            return problem(422, "INVALID_VALUE", "A value cannot be stored",
                           "A value in the request breaks a rule of the stored record; nothing "
                           "was written", title_zh="请求中的值无法保存")
        return await _unexpected(request, exc)

    @app.exception_handler(DBAPIOperationalError)
    async def _operational(request: Request, exc: DBAPIOperationalError) -> JSONResponse:
        # Two writers waited on each other (PostgreSQL broke the cycle and rolled this one
        # back): nothing was written, and the same request again will succeed.
        from psycopg import errors as pg

        if isinstance(exc.orig, pg.DeadlockDetected | pg.SerializationFailure):
            return problem(409, "RETRY", "Conflicting concurrent write",
                           "Another write to the same records ran at the same time; nothing "
                           "was written: send the request again", title_zh="并发写入冲突，请重试")
        return await _unexpected(request, exc)

    @app.exception_handler(OverflowError)
    async def _overflow(_: Request, exc: OverflowError) -> JSONResponse:
        # Date arithmetic past year 9999 (or before year 1) on a date the request carried:
        # the value is at fault, not the service.
        return problem(422, "INVALID_VALUE", "A value is out of range",
                       "A date or number in the request is out of range",
                       title_zh="请求中的值超出范围")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, zh = _HTTP_CODES.get(exc.status_code, ("HTTP_ERROR", "请求失败"))
        detail = exc.detail if isinstance(exc.detail, str) else code
        return problem(exc.status_code, code, detail, detail, title_zh=zh)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Log the type and route only: exception text may carry request data.
        log.error(
            "unhandled %s on %s %s",
            type(exc).__name__,
            request.method,
            request.url.path,
            exc_info=exc,
        )
        return problem(
            500,
            "INTERNAL_ERROR",
            "Internal error",
            "An internal error occurred",
            title_zh="服务内部错误",
        )
