"""The ASGI application object for uvicorn workers (structured logs in each worker)."""

import gc

from .app import create_app
from .config import get_settings
from .observe import configure_logging

configure_logging(get_settings().log_level, get_settings().log_format)
app = create_app()

# Garbage collection pauses were the fill-authorization tail: p99 74 ms with the default
# thresholds, 21 ms with these at 1,000,000 cylinders (benchmarks/fill_authorization.py).
# Objects made at start-up are frozen out of collection; the youngest generation is collected
# far less often (request objects die by reference counting; cycles are still collected, at
# the cost of up to a few tens of MB between collections).
gc.freeze()
gc.set_threshold(500_000, 100, 1000)
