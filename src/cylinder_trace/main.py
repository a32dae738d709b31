"""The ASGI application object for uvicorn workers (structured logs in each worker)."""

from .app import create_app
from .config import get_settings
from .observe import configure_logging

configure_logging(get_settings().log_level, get_settings().log_format)
app = create_app()
