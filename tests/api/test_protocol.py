"""The serving protocol (api/protocol.py): one socket write an answer, uvicorn's HTTP otherwise.

Through a real uvicorn server on a real socket: keep-alive, pipelined requests, `Connection:
close` and a streamed body all answer as uvicorn's own protocol does; and an answer's headers
and body reach the socket in one write.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from cylinder_trace.api import protocol
from cylinder_trace.api.protocol import OneWriteProtocol


async def app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = f"you asked {scope['path']}".encode()
    if scope["path"] == "/stream":  # three body messages, no length: chunked
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for part in (b"one ", b"two ", b"three"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
            await asyncio.sleep(0.01)
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, http=OneWriteProtocol,
                            log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.02)
    yield port
    srv.should_exit = True
    thread.join(10)


def _read_all(sock: socket.socket, until: bytes, count: int = 1) -> bytes:
    got = b""
    sock.settimeout(5)
    while got.count(until) < count:
        chunk = sock.recv(65536)
        if not chunk:
            break
        got += chunk
    return got


def test_keep_alive_and_pipelined_requests_are_answered_in_order(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.sendall(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _read_all(sock, b"you asked /a").startswith(b"HTTP/1.1 200 OK\r\n")
        sock.sendall(b"GET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n")
        both = _read_all(sock, b"you asked /", 2)
    assert both.count(b"HTTP/1.1 200 OK") == 2
    assert both.index(b"you asked /b") < both.index(b"you asked /c")


def test_connection_close_answers_then_closes(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.sendall(b"GET /bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        sock.settimeout(5)
        got = b""
        while chunk := sock.recv(65536):
            got += chunk
    assert got.startswith(b"HTTP/1.1 200 OK") and got.endswith(b"you asked /bye")


def test_a_streamed_body_arrives_whole(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
        got = _read_all(sock, b"0\r\n\r\n")
    assert b"transfer-encoding: chunked" in got
    assert b"one " in got and b"two " in got and b"three" in got


def test_an_answers_headers_and_body_reach_the_socket_in_one_write(
        server: int, monkeypatch: pytest.MonkeyPatch) -> None:
    writes: list[int] = []
    flush = protocol._OneWriteATurn._flush

    def counted(self: Any) -> None:
        if self._parts:
            writes.append(len(self._parts))
        flush(self)

    monkeypatch.setattr(protocol._OneWriteATurn, "_flush", counted)
    with socket.create_connection(("127.0.0.1", server)) as sock:
        for n in range(3):
            sock.sendall(f"GET /{n} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            assert f"you asked /{n}".encode() in _read_all(sock, f"you asked /{n}".encode())
    # each answer: uvicorn wrote the status line and headers, then the body; one flush took both
    assert writes == [2, 2, 2]
