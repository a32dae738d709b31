"""Domain errors with stable codes: what a client can act on (the API turns them into
problem+json: ``api/problems.py``)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """An error a client can act on: a stable ``code``, an HTTP status, zh/en titles."""

    status = 400
    code = "BAD_REQUEST"
    title_en = "Bad request"
    title_zh = "请求有误"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title_en)
        self.detail = detail or self.title_en
        self.extra = extra

def _error(name: str, status: int, code: str, en: str, zh: str) -> type[DomainError]:
    return type(
        name, (DomainError,), {"status": status, "code": code, "title_en": en, "title_zh": zh}
    )

NotAuthenticated = _error(
    "NotAuthenticated", 401, "NOT_AUTHENTICATED", "Not authenticated", "未登录或凭证无效"
)

# 401s a client can tell apart: log in again (session ended) or ask an admin (disabled).
SessionEnded = _error("SessionEnded", 401, "SESSION_ENDED", "The session has ended",
                      "会话已结束，请重新登录")

AccountDisabled = _error("AccountDisabled", 401, "ACCOUNT_DISABLED", "The account is disabled",
                         "账号已停用")

KeyDisabled = _error("KeyDisabled", 401, "API_KEY_DISABLED", "The API key is disabled",
                     "接口密钥已停用")

Forbidden = _error("Forbidden", 403, "FORBIDDEN", "Not allowed", "无权执行此操作")

NotFound = _error("NotFound", 404, "NOT_FOUND", "Not found", "未找到")

Conflict = _error("Conflict", 409, "CONFLICT", "Conflict with the current state", "与当前状态冲突")

Invalid = _error("Invalid", 422, "INVALID", "Invalid request", "请求内容无效")

TooLarge = _error("TooLarge", 413, "BODY_TOO_LARGE", "Request body too large", "请求体过大")

TooMany = _error("TooMany", 429, "TOO_MANY_REQUESTS", "Too many requests", "请求过于频繁")

# A regulator's seizure, recall or station lock, which the company it binds tried to lift.
RegulatorHold = _error("RegulatorHold", 403, "REGULATOR_ACTION",
                       "Only a regulator in scope or a platform admin lifts a regulator's action",
                       "监管部门采取的措施只能由辖区监管部门或平台管理员解除")

# A movement (transfer, entrustment, dispatch, hand-over, return, scrap) of a seized or recalled
# cylinder; ``holds`` names SEIZED and/or RECALLED.
CylinderHeld = _error("CylinderHeld", 409, "CYLINDER_HELD",
                      "The cylinder is seized or recalled: it does not move",
                      "气瓶已被查封或召回，不得流转")
