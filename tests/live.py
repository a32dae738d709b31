"""The real app served by uvicorn in a thread, on a free port, for tests that need a socket."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn


class LiveService:
    """The real app under uvicorn in a thread; stop() and start() again on the same port."""

    def __init__(self, database_url: str) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        from cylinder_trace.app import create_app

        config = uvicorn.Config(create_app(self.database_url), host="127.0.0.1", port=self.port,
                                log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                return
            time.sleep(0.02)
        raise RuntimeError("service did not start")

    def stop(self) -> None:
        assert self.server is not None and self.thread is not None
        self.server.should_exit = True
        self.thread.join(timeout=10)
