"""Bounds on what one request may cost the portal before any handler runs.

* ``BoundedHttpToolsProtocol``: uvicorn's httptools protocol with a cap on the request head (request
  line + headers, ``MAX_HEAD_BYTES``) and on the number of headers (``MAX_HEADERS``); beyond either,
  the connection gets a 431 and is closed, so a 10 MB header is never buffered whole.
* ``BodyLimit``: ASGI middleware that answers 413 to a body over the configured size (declared by
  Content-Length or counted while it streams in), before the application reads it.
* ``int_param`` / ``float_param``: query parameters as bounded numbers, or a 400 naming the bound.
"""
from __future__ import annotations

import math

from starlette.requests import Request
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD_BYTES = 16 * 1024
MAX_HEADERS = 64
_431 = (b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
        b"content-length: 27\r\nconnection: close\r\n\r\nrequest headers too large\r\n")


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """httptools with a bounded request head (see the module doc). The head is measured before the
    parser sees the bytes: header lines are counted as line ends before the blank line."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._in_head = True
        self._head_bytes = 0
        self._head_lines = 0
        self._tail = b""          # the last bytes of the head so far: its blank line may span two packets

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            end = (self._tail + data).find(b"\r\n\r\n")
            head = data if end < 0 else data[:max(0, end - len(self._tail))]
            self._tail = (self._tail + data)[-3:]
            self._head_bytes += len(head)
            self._head_lines += head.count(b"\n")
            if self._head_bytes > MAX_HEAD_BYTES or self._head_lines > MAX_HEADERS:
                if not self.transport.is_closing():
                    self.transport.write(_431)
                    self.transport.close()
                return
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True          # the next request on this connection starts its own head
        self._head_bytes = self._head_lines = 0
        self._tail = b""


class BodyLimit:
    """413 for a request body over ``max_bytes`` (declared or streamed)."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            return await _too_large(send, self.max_bytes)
        seen = 0
        started = False

        async def bounded_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _BodyTooLarge()
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, bounded_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await _too_large(send, self.max_bytes)


class _BodyTooLarge(Exception):
    pass


async def _too_large(send, max_bytes: int) -> None:
    body = f'{{"error": "request body over {max_bytes} bytes"}}'.encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class BadParam(ValueError):
    """A query parameter out of its bounds; the message names it and the bounds."""


def int_param(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    if len(text) > 12 or not text.lstrip("-").isdigit():
        raise BadParam(f"{name} must be an integer in {lo}..{hi}")
    value = int(text)
    if not lo <= value <= hi:
        raise BadParam(f"{name} must be an integer in {lo}..{hi}")
    return value


def float_param(request: Request, name: str) -> float | None:
    """A finite number (epoch seconds), or None when absent."""
    text = request.query_params.get(name)
    if text is None or text == "":
        return None
    try:
        value = float(text) if len(text) <= 32 else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > 1e12:
        raise BadParam(f"{name} must be epoch seconds (a finite number)")
    return value
