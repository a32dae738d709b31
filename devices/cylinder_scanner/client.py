"""The service, seen from the scale: ask for an authorization, report a fill. Fails closed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

UNREACHABLE = {"code": "SERVICE_UNREACHABLE", "message_zh": "无法连接追溯服务，禁止充装",
               "message_en": "The traceability service cannot be reached: do not fill"}


@dataclass(frozen=True)
class Answer:
    allow: bool
    reasons: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)
    authorization_id: str | None = None
    cylinder: dict[str, Any] | None = None
    offline: bool = False


class ServiceClient:
    def __init__(self, base_url: str, api_key: str, *, timeout: float = 2.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout,
                                 headers={"X-API-Key": api_key}, transport=transport)

    def authorize(self, scan: str, rfid: str | None = None,
                  operator: str | None = None) -> Answer:
        """The service's decision; anything but a clear allow is a deny (fail closed)."""
        body: dict[str, Any] = {"scan": scan}
        if rfid:
            body["rfid"] = rfid
        if operator:
            body["operator"] = operator
        try:
            r = self.http.post("/api/v1/fill-authorizations", json=body)
        except httpx.HTTPError:
            return Answer(False, [UNREACHABLE], offline=True)
        if r.status_code != 200:
            return Answer(False, [{"code": f"SERVICE_ERROR_{r.status_code}",
                                   "message_zh": f"服务返回错误 {r.status_code}，禁止充装",
                                   "message_en": f"The service answered {r.status_code}: "
                                                 "do not fill"}])
        a = r.json()
        allow = a.get("decision") == "allow" and bool(a.get("authorization_id"))
        return Answer(allow, a.get("reasons", []), a.get("warnings", []),
                      a.get("authorization_id"), a.get("cylinder"))

    def post_fill(self, record: dict[str, Any], idempotency_key: str) -> str:
        """'sent' (recorded, now or before), 'retry' (no answer: keep it), 'rejected'."""
        try:
            r = self.http.post("/api/v1/fills", json=record,
                               headers={"Idempotency-Key": idempotency_key})
        except httpx.HTTPError:
            return "retry"
        if r.status_code in (200, 201):
            return "sent"
        if r.status_code >= 500 or r.status_code == 429:
            return "retry"
        return "rejected"

    def close(self) -> None:
        self.http.close()
