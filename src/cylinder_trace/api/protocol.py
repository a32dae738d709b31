"""uvicorn's HTTP protocol with one socket write an answer instead of two.

uvicorn writes the status line and headers when the app sends `http.response.start` and the body
when it sends `http.response.body`: two `send` system calls for every answer, which on loopback
also run the receiver's side of TCP. Under load they were the largest single cost of a serving
worker (17-20 % of its CPU during fill authorizations, docs/performance.md). Here the protocol's
transport gathers what is written during one turn of the event loop and hands it to the socket
in one write at the end of that turn: an answer's headers and body leave together (each
connection has its own transport, so what is joined is one connection's writes). Nothing waits
longer than that turn, and closing or aborting the connection flushes or drops what is gathered
first.

`cylinder-trace serve` passes the class to uvicorn (`http=`); everything else about the protocol
(parsing, keep-alive, flow control, pipelining) is uvicorn's own.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class _OneWriteATurn:
    """A transport that joins one loop turn's writes into one. Everything but write, writelines,
    close and abort is the real transport's."""

    __slots__ = ("_loop", "_parts", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._parts: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._parts:
            self._loop.call_soon(self._flush)
        self._parts.append(bytes(data))

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def _flush(self) -> None:
        if not self._parts:
            return
        parts, self._parts = self._parts, []
        if not self._transport.is_closing():
            self._transport.write(parts[0] if len(parts) == 1 else b"".join(parts))

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def abort(self) -> None:
        self._parts.clear()
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class OneWriteProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_OneWriteATurn(transport, self.loop))  # type: ignore[arg-type]
