"""The catalogue by name, for the command line (``smallcap call``) and HTTP (``smallcap
serve``): arguments arrive as text, results leave as JSON. An adapter: it looks the
function up in :mod:`smallcap.catalogue` (any spelling), and formats; nothing else.

The HTTP server holds load on its own: one thread reads every connection's request, head
and body, without blocking (an idle or slow client holds a socket, never a thread, and is
closed when its whole request has not arrived :func:`smallcap.settings.serve_timeout`
seconds after it connected), a fixed pool of worker threads answers complete requests
(skipping, or not sending, those whose client has reset or closed the connection), and
connections beyond :data:`MAX_CONNECTIONS` wait in the listen backlog. Every answer is
JSON, errors included; a client that hangs up is not an error."""

from __future__ import annotations

import collections
import datetime as dt
import errno
import io
import json
import logging
import math
import queue
import selectors
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote_plus, urlsplit

import pandas as pd

from . import api, catalogue, cors, settings, wire
from .cors import origin
from .errors import BadArgument, NoAnswer, NoData, OutOfRange, SmallcapError

_log = logging.getLogger(__name__)

BACKLOG = 256  # listen backlog: connections the kernel holds while every slot is busy
MAX_CONNECTIONS = 512  # open connections at once (reading, queued or being answered)
MAX_REQUEST_LINE = 8192  # bytes of "GET /path?query HTTP/1.1"; longer: 414
MAX_HEAD = 65536  # bytes of request line and headers together; longer: 431
MAX_FIELDS = 50  # query parameters; more: 400
MAX_DRAIN = 1 << 20  # request body bytes read and discarded before a 405 (no RST)
ALLOW = "GET"


def function(name: str) -> Callable[..., Any]:
    """The Python function of the catalogue entry called ``name`` (Python or Excel
    spelling, any case: ``price``, ``PRICE``, ``close_price``, ``RUT_STREAK``)."""
    return getattr(api, catalogue.find(name).name)


def call(name: str, positional: Sequence[str | None] = (),
         named: Mapping[str, str] | None = None, *, store: Any = None) -> Any:
    """Call ``name`` with text arguments; empty text or None means "use the default".
    Text is read by each argument's kind, as in a cell (dates also as Excel serials,
    thresholds also as "1%")."""
    fn = catalogue.find(name)
    raw = fn.bind(list(positional), dict(named or {}), name.strip())
    for argument, value in zip(fn.arguments, raw, strict=True):
        if value is not None and not isinstance(value, str):
            raise BadArgument(argument.name, f"expected text, got {type(value).__name__}")
    return fn.call(api._store(store), raw)  # the spilled layout, as a cell shows it


def describe() -> dict[str, Any]:
    """``GET /functions``: every function with its Excel names, result kind and arguments."""
    return {fn.name: {"excel": list(fn.excel), "result": fn.result, "summary": fn.summary,
                      "arguments": [{"name": a.name, "kind": a.kind.name,
                                     "default": jsonable(a.default), "help": a.wizard_help}
                                    for a in fn.arguments]}
            for fn in catalogue.functions()}


def jsonable(value: Any) -> Any:
    """A scalar as JSON: dates as ISO text, NaN, infinities and missing values as null,
    numpy scalars as Python numbers, anything else as its text. Never NaN or Infinity."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, dt.date):  # datetime and pandas Timestamp too
        return value.isoformat()
    if type(value).__module__ == "numpy":
        if getattr(value, "dtype", None) is not None and value.dtype.kind in "mM":
            return jsonable(pd.Timestamp(value)) if value.dtype.kind == "M" else str(value)
        if hasattr(value, "item"):
            return jsonable(value.item())
    return str(value)


def to_json(result: Any) -> dict[str, Any]:
    """``{"value": ...}`` for a scalar, ``{"columns": [...], "rows": [[...]]}`` for a table."""
    if isinstance(result, pd.DataFrame):
        return {"columns": [str(c) for c in result.columns],
                "rows": [[jsonable(v) for v in row] for row in result.itertuples(index=False)]}
    return {"value": jsonable(result)}


def http_status(error: SmallcapError) -> HTTPStatus:
    """The HTTP status of an error: 400 bad input, 404 no data, 422 no answer, else 503."""
    if isinstance(error, BadArgument | OutOfRange):
        return HTTPStatus.BAD_REQUEST
    if isinstance(error, NoData):
        return HTTPStatus.NOT_FOUND
    if isinstance(error, NoAnswer):
        return HTTPStatus.UNPROCESSABLE_ENTITY
    return HTTPStatus.SERVICE_UNAVAILABLE


def error_body(code: str, message: str) -> dict[str, Any]:
    """The JSON of every error answer: ``{"error": {"code": "#VALUE!", "message": ...}}``."""
    return {"error": {"code": code, "message": " ".join(message.split())}}


def query_arguments(query: str) -> dict[str, str]:
    """The ``name=value`` pairs of a query string. A field without ``=``, an empty name,
    a name given twice, a %-escape that is not UTF-8 or more than :data:`MAX_FIELDS`
    fields raise :class:`BadArgument`."""
    named: dict[str, str] = {}
    fields = [f for f in query.split("&") if f]
    if len(fields) > MAX_FIELDS:
        raise BadArgument("query", f"{len(fields)} parameters; at most {MAX_FIELDS}")
    for field in fields:
        key, sep, value = field.partition("=")
        try:
            key = unquote_plus(key, errors="strict")
            value = unquote_plus(value, errors="strict")
        except UnicodeDecodeError:
            raise BadArgument("query", f"{field[:60]!r} is not UTF-8 once %-decoded") from None
        if not sep or not key.strip():
            raise BadArgument("query", f"{field[:60]!r} is not name=value "
                              "(e.g. ?length=5&as_of=2024-07-16)")
        if key in named:
            raise BadArgument(key, "given twice in the query")
        named[key] = value
    return named


def answer(target: str, store: Any = None) -> tuple[HTTPStatus, dict[str, Any]]:
    """The status and JSON body of ``GET target`` (the request's path and query)."""
    url = urlsplit(target)
    try:
        name = wire.function_name(url.path)
    except SmallcapError as exc:
        return http_status(exc), error_body(exc.excel_code, exc.message)
    if name in ("", "functions"):
        return HTTPStatus.OK, describe()
    try:
        catalogue.find(name)
    except SmallcapError as exc:
        return HTTPStatus.NOT_FOUND, error_body(exc.excel_code, exc.message)
    try:
        result = call(name, named=query_arguments(url.query), store=store)
    except SmallcapError as exc:
        return http_status(exc), error_body(exc.excel_code, exc.message)
    return HTTPStatus.OK, to_json(result)


# -- the HTTP server --------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    """One request, whose head the server has already read: answers it in one write."""

    server_version = "smallcap"
    protocol_version = "HTTP/1.0"  # one request per connection: no idle keep-alive
    default_request_version = "HTTP/1.0"  # errors have a status line even on a garbled request

    def setup(self) -> None:
        conn, head, self.problem = self.request
        self.request_version = self.default_request_version
        self.requestline = self.command = ""
        self.connection = conn
        self.rfile = io.BytesIO(head)
        self.wfile = io.BytesIO()  # sent in one write by finish()

    def handle(self) -> None:
        if self.problem is not None:
            self.command = None
            return self.send_error(self.problem, self._problem_text(self.problem))
        self.raw_requestline = self.rfile.readline(MAX_REQUEST_LINE + 1)
        if not self.raw_requestline.strip():
            self.command = None
            return self.send_error(HTTPStatus.BAD_REQUEST, "empty request line")
        if not self.parse_request():
            return  # parse_request has answered (send_error)
        if self.command == "GET":
            return self.do_GET()
        if self.command == "OPTIONS" and getattr(self.server, "cors", None):  # a preflight
            return self._send(HTTPStatus.NO_CONTENT, b"", cors.headers(
                self.server.cors, self.headers, preflight=True))
        self.send_error(HTTPStatus.METHOD_NOT_ALLOWED)

    def _problem_text(self, problem: HTTPStatus) -> str:
        if problem == HTTPStatus.REQUEST_TIMEOUT:
            return f"no complete request within {self.server.timeout:g} s"
        if problem == HTTPStatus.REQUEST_URI_TOO_LONG:
            return f"request line longer than {MAX_REQUEST_LINE} bytes"
        return f"request line and headers longer than {MAX_HEAD} bytes"

    def do_GET(self) -> None:  # noqa: N802 (http.server's spelling)
        try:
            status, body = answer(wire.request_target(self.path),
                                  getattr(self.server, "store", None))
            if wire.client_gone(self.connection):  # computed for no one: not formatted
                return self.server.abandon()
            data = json.dumps(body, allow_nan=False).encode()
        except SmallcapError as exc:  # a path that is not UTF-8
            status, data = http_status(exc), json.dumps(error_body(exc.excel_code,
                                                                   exc.message)).encode()
        except Exception as exc:  # a bug, not bad input: one JSON line, logged
            _log.error("internal error answering GET %s: %s: %s", self.path[:200],
                       type(exc).__name__, exc, exc_info=_log.isEnabledFor(logging.INFO))
            status = HTTPStatus.INTERNAL_SERVER_ERROR
            data = json.dumps(error_body(
                "#N/A", f"internal error ({type(exc).__name__}); the server's log has "
                "the details")).encode()
        self._send(status, data)

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        """Every protocol error as JSON (http.server would answer an HTML page)."""
        status = HTTPStatus(code)
        headers = {}
        if status in (HTTPStatus.NOT_IMPLEMENTED, HTTPStatus.METHOD_NOT_ALLOWED):
            status = HTTPStatus.METHOD_NOT_ALLOWED
            message = f"method {self.command} is not allowed: use GET"
            headers["Allow"] = ALLOW
        elif status == HTTPStatus.HTTP_VERSION_NOT_SUPPORTED:  # bad input: never a 5xx
            status = HTTPStatus.BAD_REQUEST
            message = f"{message or 'HTTP version not supported'}: use HTTP/1.0 or HTTP/1.1"
        text = message or status.description or status.phrase
        if explain and explain != text:
            text = f"{text}: {explain}"
        self.close_connection = True
        code_text = "#N/A" if status >= 500 else "#VALUE!"
        self._send(status, json.dumps(error_body(code_text, text)).encode(), headers)

    def _send(self, status: HTTPStatus, data: bytes,
              headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        allowed = getattr(self.server, "cors", None)
        for key, value in {**(cors.headers(allowed, None) if allowed else {}),
                           **(headers or {})}.items():
            self.send_header(key, value)
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def finish(self) -> None:  # the body was read (and dropped) with the head
        data = self.wfile.getvalue()
        if data:
            self.connection.settimeout(self.server.timeout)
            self.connection.sendall(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return  # quiet: one line per request would drown the console


class _Pending:
    """A connection whose request (head, then body) is still arriving."""

    __slots__ = ("conn", "address", "deadline", "head", "done", "body_left")

    def __init__(self, conn: socket.socket, address: Any, deadline: float) -> None:
        self.conn, self.address, self.deadline = conn, address, deadline
        self.head = bytearray()
        self.done = False
        self.body_left = -1  # body bytes still to read and drop; -1: the head is not over


class Server:
    """The catalogue's HTTP server (see the module's doc): bound and listening once built;
    :meth:`serve_forever` answers until :meth:`shutdown`; :meth:`server_close` frees it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8750, *, store: Any = None,
                 workers: int | None = None, timeout: float | None = None,
                 backlog: int = BACKLOG, max_connections: int = MAX_CONNECTIONS,
                 cors: str | None = None) -> None:
        self.store = store
        self.cors = None if cors is None else origin(cors)  # smallcap.cors: Excel on the web
        self.workers = settings.serve_workers() if workers is None else int(workers)
        self.timeout = settings.serve_timeout() if timeout is None else float(timeout)
        if not 1 <= self.workers <= settings.MAX_SERVE_WORKERS:
            raise BadArgument("workers", f"must be from 1 to {settings.MAX_SERVE_WORKERS}, "
                              f"got {workers}")
        if not math.isfinite(self.timeout) or not 0 < self.timeout <= settings.MAX_WAIT:
            raise BadArgument("--timeout", f"must be a number of seconds > 0 and at most "
                              f"{settings.MAX_WAIT:g}, got {timeout}")
        self.timeout = max(self.timeout, settings.MIN_SERVE_TIMEOUT)
        self.max_connections = max(int(max_connections), self.workers)
        self.socket = wire.listen(host, port, backlog)
        self.server_address = self.socket.getsockname()
        self._jobs: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
        self._open = 0  # connections accepted and not yet closed
        self.abandoned = 0  # connections left unanswered: their client had gone (reset, closed)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._stopped = threading.Event()
        self._stopped.set()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._threads = [threading.Thread(target=self._work, name=f"smallcap-serve-{i}",
                                          daemon=True) for i in range(self.workers)]
        for thread in self._threads:
            thread.start()

    # -- the reading thread ----------------------------------------------------------------

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Accept connections and read their request heads until :meth:`shutdown`."""
        self._stopped.clear()
        pending: collections.deque[_Pending] = collections.deque()  # by deadline
        selector = selectors.DefaultSelector()
        selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        listening = False
        try:
            while not self._stop.is_set():
                with self._lock:
                    room = self._open < self.max_connections
                if room and not listening:
                    selector.register(self.socket, selectors.EVENT_READ, "accept")
                elif listening and not room:
                    selector.unregister(self.socket)
                listening = room
                while pending and (pending[0].done or pending[0].deadline <= time.monotonic()):
                    item = pending.popleft()
                    if not item.done:  # too slow: 408
                        selector.unregister(item.conn)
                        self._dispatch(item, HTTPStatus.REQUEST_TIMEOUT)
                wait = poll_interval if not pending else min(
                    poll_interval, max(pending[0].deadline - time.monotonic(), 0.0))
                for key, _ in selector.select(wait):
                    if key.data == "wake":
                        _drain_wake(self._wake_r)
                    elif key.data == "accept":
                        self._accept(selector, pending)
                    else:
                        self._read(selector, key.data)
        finally:
            for item in pending:
                if not item.done:
                    self._close(item.conn)
            selector.close()
            self._stopped.set()

    def _accept(self, selector: selectors.BaseSelector, pending: collections.deque) -> None:
        for _ in range(64):
            with self._lock:
                if self._open >= self.max_connections:
                    return
            try:
                conn, address = self.socket.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # out of file descriptors, a reset before accept
                _log.warning("cannot accept a connection: %s", exc)
                return
            conn.setblocking(False)
            with self._lock:
                self._open += 1
            item = _Pending(conn, address, time.monotonic() + self.timeout)
            pending.append(item)
            selector.register(conn, selectors.EVENT_READ, item)

    def _read(self, selector: selectors.BaseSelector, item: _Pending) -> None:
        try:
            chunk = item.conn.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:  # reset by the client
            chunk = b""
            item.head.clear()
        if not chunk and not item.head:  # connected and left (or reset) without a word
            selector.unregister(item.conn)
            item.done = True
            self.abandon()
            self._close(item.conn)
            return
        if item.body_left >= 0:  # the head is over: the body is read and dropped
            item.body_left -= len(chunk)
            if chunk and item.body_left > 0:
                return
            selector.unregister(item.conn)
            return self._dispatch(item, None)
        start = max(len(item.head) - 3, 0)
        item.head += chunk
        end = item.head.find(b"\r\n\r\n", start)
        end = end + 4 if end >= 0 else item.head.find(b"\n\n", start) + 2
        complete = end >= 2 or not chunk  # a blank line, or the client stopped sending
        line = item.head.find(b"\n", 0, MAX_REQUEST_LINE + 2)
        if line < 0 and len(item.head) > MAX_REQUEST_LINE + 1:
            problem: HTTPStatus | None = HTTPStatus.REQUEST_URI_TOO_LONG
        elif (end if end >= 2 else len(item.head)) > MAX_HEAD:
            problem = HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
        elif complete:
            problem = None
        else:
            return  # wait for the rest of the head
        if problem is None and end >= 2:  # a body is read within the same deadline
            body = min(wire.declared_body(bytes(item.head[:end])), MAX_DRAIN)
            item.body_left = body - (len(item.head) - end)
            del item.head[end:]
            if chunk and item.body_left > 0:
                return
        selector.unregister(item.conn)
        self._dispatch(item, problem)

    def _dispatch(self, item: _Pending, problem: HTTPStatus | None) -> None:
        item.done = True
        self._jobs.put((item.conn, item.address, bytes(item.head), problem))

    # -- the workers ------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            conn, address, head, problem = job
            if wire.client_gone(conn):  # reset or closed while queued: not started
                self.abandon()
                self._close(conn)
                continue
            try:
                conn.setblocking(True)
                conn.settimeout(self.timeout)
                _Handler((conn, head, problem), address, self)
            except Exception as exc:
                self.handle_error(exc, address)
            finally:
                self._close(conn)

    def abandon(self) -> None:
        """Count a request whose client went before its answer (see :attr:`abandoned`)."""
        with self._lock:
            self.abandoned += 1

    def handle_error(self, exc: BaseException, address: Any) -> None:
        """A client that hangs up or stalls is not an error; anything else is logged."""
        gone = isinstance(exc, ConnectionError | TimeoutError) or (
            isinstance(exc, OSError) and exc.errno in (errno.EPIPE, errno.ECONNRESET,
                                                       errno.ENOTCONN))
        if gone:
            _log.debug("client %s went away: %s", address, exc)
        else:
            _log.error("internal error serving %s: %s: %s", address, type(exc).__name__,
                       exc, exc_info=_log.isEnabledFor(logging.INFO))

    def _close(self, conn: socket.socket) -> None:
        try:
            conn.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        conn.close()
        with self._lock:
            self._open -= 1
            wake = self._open == self.max_connections - 1
        if wake:  # the reading thread may have stopped accepting: room again
            self._wake()

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except OSError:  # the pipe is full (it is awake anyway) or closed
            pass

    # -- life cycle ---------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop :meth:`serve_forever` (from another thread) and wait until it has."""
        self._stop.set()
        self._wake()
        self._stopped.wait()

    def server_close(self) -> None:
        """Close the listening socket and stop the workers (after their current answer)."""
        self._stop.set()
        self._wake()
        self._stopped.wait(timeout=5)
        self.socket.close()
        for _ in self._threads:
            self._jobs.put(None)
        self._wake_r.close()
        self._wake_w.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.server_close()


def _drain_wake(sock: socket.socket) -> None:
    try:
        while sock.recv(4096):
            pass
    except OSError:
        pass


def listen(host: str = "127.0.0.1", port: int = 8750, *, store: api.StoreLike = None,
           workers: int | None = None, timeout: float | None = None,
           cors: str | None = None) -> Server:
    """A :class:`Server` bound to ``host``:``port`` (0: any free port), not serving yet.
    ``workers`` (threads answering) and ``timeout`` (seconds a client has to send its
    request) default to :func:`smallcap.settings.serve_workers` and ``serve_timeout``;
    ``cors``: the origin allowed to read the answers (:mod:`smallcap.cors`)."""
    return Server(host, port, store=store, workers=workers, timeout=timeout, cors=cors)


def serve(host: str = "127.0.0.1", port: int = 8750, *, background: bool = False,
          store: api.StoreLike = None, workers: int | None = None,
          timeout: float | None = None, cors: str | None = None) -> Server:
    """Serve the catalogue as JSON over HTTP: ``GET /streak_count?length=5&as_of=2024-07-16``.
    With ``background`` the server runs in a daemon thread and is returned at once
    (stop it with ``shutdown()`` then ``server_close()``)."""
    server = listen(host, port, store=store, workers=workers, timeout=timeout, cors=cors)
    if background:
        threading.Thread(target=server.serve_forever, name="smallcap-serve",
                         daemon=True).start()
        return server
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return server
