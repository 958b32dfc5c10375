"""The catalogue by name, for the command line (``smallcap call``) and HTTP (``smallcap
serve``): arguments arrive as text, results leave as JSON. An adapter: it looks the
function up in :mod:`smallcap.catalogue` (any spelling), and formats; nothing else."""

from __future__ import annotations

import datetime as dt
import json
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pandas as pd

from . import api, catalogue
from .errors import BadArgument, NoAnswer, NoData, OutOfRange, SmallcapError


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
    return function(name)(*raw, store=store)


def describe() -> dict[str, Any]:
    """``GET /functions``: every function with its Excel names, result kind and arguments."""
    return {fn.name: {"excel": list(fn.excel), "result": fn.result, "summary": fn.summary,
                      "arguments": [{"name": a.name, "kind": a.kind.name,
                                     "default": a.default, "help": a.wizard_help}
                                    for a in fn.arguments]}
            for fn in catalogue.functions()}


def jsonable(value: Any) -> Any:
    """A scalar result as JSON: dates as ISO text, NaN as null."""
    if isinstance(value, dt.date | dt.datetime | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalar
        return jsonable(value.item())
    return value


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


class _Handler(BaseHTTPRequestHandler):
    server_version = "smallcap"

    def do_GET(self) -> None:  # noqa: N802 (http.server's spelling)
        url = urlsplit(self.path)
        name = url.path.strip("/")
        if name in ("", "functions"):
            return self._send(HTTPStatus.OK, describe())
        try:
            result = call(name, named=dict(parse_qsl(url.query, keep_blank_values=True)),
                          store=getattr(self.server, "store", None))
        except SmallcapError as exc:
            status = HTTPStatus.NOT_FOUND if getattr(exc, "argument", "") == "function" else (
                http_status(exc))
            return self._send(status, {"error": {"code": exc.excel_code, "message": exc.message}})
        self._send(HTTPStatus.OK, to_json(result))

    def _send(self, status: HTTPStatus, body: dict[str, Any]) -> None:
        data = json.dumps(body, allow_nan=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return  # quiet: one line per request would drown the console


def serve(host: str = "127.0.0.1", port: int = 8750, *, background: bool = False,
          store: api.StoreLike = None) -> ThreadingHTTPServer:
    """Serve the catalogue as JSON over HTTP: ``GET /streak_count?length=5&as_of=2024-07-16``.
    With ``background`` the server runs in a daemon thread and is returned at once."""
    server = ThreadingHTTPServer((host, port), _Handler)
    server.store = store  # type: ignore[attr-defined]
    if background:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    else:
        server.serve_forever()
    return server
