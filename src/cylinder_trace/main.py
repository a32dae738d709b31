"""The ASGI application object for uvicorn workers."""

from .app import create_app

app = create_app()
