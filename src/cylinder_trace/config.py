"""Settings: every knob of the service, with its default, in one place."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Read from the environment (prefix ``CYLINDER_TRACE_``; ``DATABASE_URL`` as is)."""

    model_config = SettingsConfigDict(env_prefix="CYLINDER_TRACE_", extra="ignore")

    # With no DATABASE_URL an embedded PostgreSQL is started under data_dir/pg.
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "CYLINDER_TRACE_DATABASE_URL")
    )
    data_dir: Path = Path(".data")
    db_pool_size: int = 10
    # Signs login tokens and, unless code_signing_keys is set, derives the label-signing key.
    # Empty: generated once and kept in the database (table deployment_key), shared by every
    # instance on that database; an older data_dir/secret_key seeds it.
    secret_key: str = ""
    public_base_url: str = "http://127.0.0.1:8000"
    # Hosts whose /C/ URLs the scan parser accepts (besides public_base_url's host).
    accepted_code_hosts: list[str] = []
    timezone: str = "Asia/Shanghai"
    # Shown on the public cylinder page: where the public reports a problem (12315 is the
    # market regulators' hotline; a city may prefer 12345 or its own number).
    report_phone: str = "12315"
    # The public's reports (举报): days a regulator has to answer, and the photo limits.
    report_answer_days: int = 7
    # The campaign's deadlines ({name: date}); the defaults are the seed plans' (Chongqing's
    # records by October 2021, Da'an's door-step checks in the system from 30 September 2023).
    campaign_deadlines: dict[str, str] = {"records": "2021-10-31", "door_checks": "2023-09-30"}
    report_photo_max_bytes: int = 2 * 1024 * 1024
    code_prefix: str = "CT"
    # "ID:SECRET,ID:SECRET"; the first is the one that signs new labels, the rest still verify.
    code_signing_keys: str = ""
    # Key for personal data at rest (ID numbers, phones); derived from secret_key when empty.
    pii_key: str = ""
    token_ttl_minutes: int = 8 * 60
    authorization_ttl_seconds: int = 300
    # A weighed tare (gross minus net) this far from the registered tare flags MASS_MISMATCH:
    # a relabelled cylinder of another size is off by kilograms, scale error by grams.
    tare_tolerance_kg: float = 1.0
    # The fill-authorization hot path: a small async pool per worker, and the most requests
    # one batched round trip carries.
    fill_pool_size: int = 2  # measured: one batch in flight per worker makes fuller batches
    fill_batch_max: int = 256
    # A batch smaller than the one before waits this long for more scans to join it: the
    # scans answered by that batch are on their way back (measured A/B: 1 ms gave 34 % of the
    # bare floor against 30 % at a million cylinders, 2 ms no better: docs/performance.md);
    # a lone scan after a lone scan never waits.
    fill_batch_linger_ms: float = 1.0
    # Deliveries: the customer's one-time code, and how long a hazard owner gets to fix it.
    message_provider: str = "log"
    otp_ttl_minutes: int = 30
    # Wrong codes typed for one code before it is void (a new one must be sent), and codes
    # sent for one delivery in all: at most otp_max_attempts * otp_max_sends guesses.
    otp_max_attempts: int = 5
    otp_max_sends: int = 5
    hazard_deadline_days: int = 7
    # Notifications: webhook delivery, and how far ahead licences, certificates and permits warn.
    webhook_timeout_seconds: float = 5.0
    webhook_backoff_seconds: float = 30.0  # doubled after each failed try
    webhook_max_attempts: int = 8  # then dead-lettered
    # Receivers on loopback, private, link-local or reserved addresses are refused (SSRF),
    # except these: comma-separated host names, addresses or networks (10.20.0.0/16) of a
    # city platform's own private network.
    webhook_allowed_hosts: str = ""
    expiry_warning_days: int = 30
    # Benchmarks only: serve POST /api/v1/echo, the bare JSON floor the fill path is compared to.
    bench_echo: bool = False
    max_body_bytes: int = 1 * 1024 * 1024
    max_import_bytes: int = 64 * 1024 * 1024
    # Region policies: JSON object {region_code_prefix: {policy fields}}; see domain/rules.py.
    region_policies: dict[str, dict[str, Any]] = {}
    # argon2id cost; the defaults follow argon2-cffi's (RFC 9106 low-memory profile).
    password_time_cost: int = 3
    password_memory_kib: int = 65536
    # Per client address and minute (in each worker process).
    rate_login_per_minute: int = 20
    rate_public_per_minute: int = 120
    rate_report_per_minute: int = 5  # reports sent from one address (no account needed)
    login_max_failures: int = 5
    login_lockout_seconds: int = 300
    scheduler_enabled: bool = True
    log_level: str = "INFO"
    # The scanner's fill authorizations (the hot path) write one access line for every so many
    # answered well (1: every one); each refusal (4xx, 5xx) and each answer slower than a second
    # is always written. Every answer is in the metrics, every decision in the cylinder's history.
    access_log_fast_every: int = Field(default=100, ge=1)
    log_format: str = "json"  # json (one object per line) | text

    @field_validator("region_policies", mode="before")
    @classmethod
    def _parse_policies(cls, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value) if value.strip() else {}
        return value

    @field_validator("accepted_code_hosts", mode="before")
    @classmethod
    def _parse_hosts(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [h.strip() for h in value.split(",") if h.strip()]
        return value



# Secrets may come from files (Docker/Kubernetes secrets): CYLINDER_TRACE_SECRET_KEY_FILE=/run/...
_FROM_FILES = {
    "secret_key": "CYLINDER_TRACE_SECRET_KEY_FILE",
    "pii_key": "CYLINDER_TRACE_PII_KEY_FILE",
    "code_signing_keys": "CYLINDER_TRACE_CODE_SIGNING_KEYS_FILE",
    "database_url": "DATABASE_URL_FILE",
}


@lru_cache
def get_settings() -> Settings:
    import os

    overrides = {field: Path(os.environ[env]).read_text().strip()
                 for field, env in _FROM_FILES.items() if os.environ.get(env)}
    settings = Settings()
    return settings.model_copy(update=overrides) if overrides else settings
