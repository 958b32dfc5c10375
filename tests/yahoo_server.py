"""A local stand-in for the part of Yahoo Finance's HTTP API that yfinance uses for daily
history, serving JSON built from the real closes bundled with the package
(``smallcap/sample_data``; open, high and low are the close, volume 0).

Endpoints (plain http on 127.0.0.1, any port):

- ``GET /`` (what ``https://fc.yahoo.com`` is rewritten to): 404 with an ``A3`` cookie,
  like Yahoo's cookie step;
- ``GET /v1/test/getcrumb``: a crumb as text;
- ``GET /v8/finance/chart/{symbol}``: the chart JSON, honouring ``period1``/``period2``
  (epoch seconds, inclusive/exclusive) or ``range`` (``1d``...``max``);
- anything else (consent pages, quoteSummary): 404 with Yahoo's error object.

Fault scenarios are set per symbol with :meth:`YahooServer.set_fault` (``"*"`` for
every symbol): ``"429"``, ``"500"``, ``"503"`` (and 400, 401, 403, 451), ``"timeout"``, ``"truncated"``,
``"malformed"``, ``"nan"``, ``"duplicate"``, ``"endless"`` (a chunked body that never
ends), optionally only for the first ``count`` chart requests. ``closes[(symbol, day)]``
serves one day's close and adjusted close as given (0, -1, 1000 ...); ``adj_factor`` and
``revisions`` scale them (``adj_revisions`` the adjusted close alone). Every request is
logged (path, query, status, body bytes) so tests can count what a refresh asked for.

Splits: ``splits[symbol]`` lists :class:`SplitEvent` s. The CSV is read as the history of a
share that never split; a split on day D (once D is on or before the last day served, the
server's "now") divides every price from D on by its ratio (numerator / denominator: the
prices really traded after it) and, as Yahoo does, every price before D too (the history
split-adjusted), so the series served has no step; volumes are multiplied by the ratio. The
event is reported under ``events.splits`` when its day is inside the requested period, as
Yahoo does. ``reported=False`` serves the adjusted history without the event (a rescale
nothing explains); ``adjusted=False`` reports the event but leaves the closes before D as
they were (Yahoo late to adjust: a step on D).

Run ``python tests/yahoo_server.py --port 8765`` to serve by hand.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import numpy as np
import pandas as pd
import pytest

DATA_DIR = Path(__file__).resolve().parents[1] / "python" / "smallcap" / "sample_data"
EXCHANGE_TZ = "America/New_York"
CRUMB = "t3stCrumb.local"

_META = {
    "^RUT": ("INDEX", "WCB", "Chicago Options"),
    "^GSPC": ("INDEX", "SNP", "SNP"),
    "^NDX": ("INDEX", "NIM", "Nasdaq GIDS"),
    "^DJI": ("INDEX", "DJI", "DJI"),
    "^TNX": ("INDEX", "CGI", "Cboe Indices"),
    "IWM": ("ETF", "PCX", "NYSEArca"),
    "SPY": ("ETF", "PCX", "NYSEArca"),
    "QQQ": ("ETF", "NMS", "NasdaqGS"),
}

FAULTS = ("429", "500", "503", "400", "401", "403", "451", "timeout", "truncated", "malformed",
          "nan", "duplicate", "endless")
ENDLESS_CHUNK = b" " * 65536


@dataclass(frozen=True)
class Logged:
    """One request the server answered."""

    path: str
    query: dict[str, str]
    status: int
    nbytes: int

    @property
    def symbol(self) -> str | None:
        prefix = "/v8/finance/chart/"
        return unquote(self.path[len(prefix):]) if self.path.startswith(prefix) else None


@dataclass(frozen=True)
class SplitEvent:
    """A split the server applies (see the module): on ``day`` (ISO) each share became
    ``numerator / denominator`` shares."""

    day: str
    numerator: float
    denominator: float
    reported: bool = True  # listed under events.splits
    adjusted: bool = True  # prices before the day divided by the ratio too

    @property
    def ratio(self) -> float:
        return self.numerator / self.denominator

    def stamp(self) -> int:
        """Epoch seconds of the day's 09:30 open, exchange time (how Yahoo stamps it)."""
        local = pd.Timestamp(self.day).tz_localize(EXCHANGE_TZ) + pd.Timedelta(hours=9,
                                                                                 minutes=30)
        return int(local.tz_convert("UTC").timestamp())


@dataclass
class Series:
    """One symbol's history, ready to slice: epoch seconds of each day's 09:30 open
    (exchange time, as Yahoo stamps daily bars) and the price columns."""

    dates: np.ndarray  # datetime64[D]
    stamps: np.ndarray  # int64 epoch seconds
    columns: dict[str, np.ndarray]


def csv_path(symbol: str) -> Path:
    return DATA_DIR / f"{symbol.lstrip('^')}.csv.gz"


def load_series(symbol: str) -> Series | None:
    path = csv_path(symbol)
    if symbol.lstrip("^") != symbol.lstrip("^").upper() or not path.is_file():
        return None
    frame = pd.read_csv(path)
    dates = pd.to_datetime(frame["Date"]).to_numpy().astype("datetime64[D]")
    local = pd.DatetimeIndex(dates).tz_localize(EXCHANGE_TZ) + pd.Timedelta(hours=9, minutes=30)
    stamps = local.tz_convert("UTC").as_unit("s").asi8
    close = frame["Close"].to_numpy(dtype="float64")
    columns = {
        **{name: (frame[name.title()] if name.title() in frame.columns else frame["Close"])
           .to_numpy(dtype="float64") for name in ("open", "high", "low")},
        "close": close,
        "volume": (frame["Volume"].to_numpy(dtype="float64") if "Volume" in frame.columns
                   else np.zeros(len(frame))),
        "adjclose": close.copy(),
    }
    return Series(dates, np.asarray(stamps, dtype="int64"), columns)


def _nulls(values: np.ndarray) -> list[float | None]:
    return [None if not np.isfinite(v) else float(v) for v in values]


class YahooServer:
    """The local Yahoo server: ``start()``/``stop()`` (or a context manager), ``url``,
    ``log`` of answered requests, per-symbol faults, a data cut-off and revisions."""

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self.log: list[Logged] = []
        self.faults: dict[str, tuple[str, int | None]] = {}
        self.cutoff: dict[str, np.datetime64] = {}  # symbol -> last date served
        self.revisions: dict[tuple[str, str], float] = {}  # (symbol, ISO date) -> close factor
        self.adj_factor: dict[str, float] = {}  # symbol -> adjclose = close * factor
        self.adj_revisions: dict[tuple[str, str], float] = {}  # (symbol, day) -> adjclose factor
        self.closes: dict[tuple[str, str], float] = {}  # (symbol, ISO date) -> close served
        # (symbol, ISO date) -> every field of that bar (NaN: null), as Yahoo sends a bar
        # without a trade; and symbol -> the meta.symbol answered in its place
        self.blank_bars: dict[tuple[str, str], float] = {}
        self.meta_symbol: dict[str, str] = {}
        self.splits: dict[str, list[SplitEvent]] = {}  # symbol -> splits (see the module)
        self.timeout_seconds = 5.0
        self._series: dict[str, Series | None] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> YahooServer:
        server = self

        class Handler(_Handler):
            yahoo = server

        self._stop.clear()
        self._httpd = _QuietServer(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> YahooServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- scenario control -------------------------------------------------------------

    def set_fault(self, symbol: str, fault: str | None, count: int | None = None) -> None:
        """Answer chart requests for ``symbol`` (``"*"``: all) with ``fault``; with ``count``
        only the next ``count`` chart requests fail. ``None`` clears it."""
        if fault is None:
            self.faults.pop(symbol, None)
            return
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {FAULTS}")
        self.faults[symbol] = (fault, count)

    def reset(self) -> None:
        """Clear faults, cut-offs, revisions and the request log."""
        with self._lock:
            self.faults.clear()
            self.cutoff.clear()
            self.revisions.clear()
            self.adj_factor.clear()
            self.adj_revisions.clear()
            self.closes.clear()
            self.blank_bars.clear()
            self.meta_symbol.clear()
            self.splits.clear()
            self.log.clear()

    def chart_requests(self, symbol: str | None = None) -> list[Logged]:
        with self._lock:
            return [r for r in self.log if r.symbol is not None
                    and (symbol is None or r.symbol == symbol)]

    def bytes_served(self) -> int:
        with self._lock:
            return sum(r.nbytes for r in self.log)

    def series(self, symbol: str) -> Series | None:
        with self._lock:
            if symbol not in self._series:
                self._series[symbol] = load_series(symbol)
            return self._series[symbol]

    def _take_fault(self, symbol: str) -> str | None:
        with self._lock:
            key = symbol if symbol in self.faults else "*" if "*" in self.faults else None
            if key is None:
                return None
            fault, count = self.faults[key]
            if count is not None:
                if count <= 0:
                    return None
                self.faults[key] = (fault, count - 1)
            return fault

    # -- the chart payload ------------------------------------------------------------

    def chart(self, symbol: str, query: dict[str, str], fault: str | None) -> dict:
        series = self.series(symbol)
        assert series is not None
        dates, stamps = series.dates, series.stamps
        cols = {k: v.copy() for k, v in series.columns.items()}
        if symbol in self.adj_factor:
            cols["adjclose"] = cols["close"] * self.adj_factor[symbol]
        keep = np.ones(len(dates), dtype=bool)
        if symbol in self.cutoff:
            keep &= dates <= self.cutoff[symbol]
        last_index = int(np.flatnonzero(keep)[-1])
        splits = [e for e in self.splits.get(symbol, [])
                  if np.datetime64(e.day) <= dates[last_index]]  # happened by "now"
        for event in splits:
            moved = dates >= np.datetime64(event.day)
            if event.adjusted:
                moved[:] = True
            for name in ("open", "high", "low", "close", "adjclose"):
                cols[name][moved] /= event.ratio
            cols["volume"][moved] *= event.ratio
        low, high = -2**62, 2**62
        if "period1" in query or "period2" in query:
            if query.get("period1"):
                low = int(float(query["period1"]))
                keep &= stamps >= low
            if query.get("period2"):
                high = int(float(query["period2"]))
                keep &= stamps < high
        else:
            rng = query.get("range", "1mo")
            days = {"1d": 1, "5d": 5, "1mo": 21, "3mo": 63, "6mo": 126, "1y": 252,
                    "2y": 504, "5y": 1260, "10y": 2520}.get(rng)
            if days is not None:
                idx = np.flatnonzero(keep)[-days:]
                keep = np.zeros(len(dates), dtype=bool)
                keep[idx] = True
        idx = np.flatnonzero(keep)
        for (sym, day), factor in self.revisions.items():
            if sym == symbol:
                hit = np.flatnonzero(dates == np.datetime64(day))
                for i in hit:
                    for name in ("open", "high", "low", "close", "adjclose"):
                        cols[name][i] *= factor
        for (sym, day), factor in self.adj_revisions.items():  # the adjusted close alone
            if sym == symbol:
                cols["adjclose"][dates == np.datetime64(day)] *= factor
        for (sym, day), value in self.closes.items():
            if sym == symbol:
                for i in np.flatnonzero(dates == np.datetime64(day)):
                    cols["close"][i] = cols["adjclose"][i] = value
        for (sym, day), value in self.blank_bars.items():
            if sym == symbol:
                for i in np.flatnonzero(dates == np.datetime64(day)):
                    for name in cols:
                        cols[name][i] = value
        ts = stamps[idx].tolist()
        picked = {k: v[idx] for k, v in cols.items()}
        if fault == "nan" and len(ts):
            picked["close"][-1] = np.nan  # a broken row: prices present, close missing
            picked["adjclose"][-1] = np.nan
        if fault == "duplicate" and len(ts) >= 2:
            # the same trading day twice, with different closes
            at = len(ts) - 2
            ts.insert(at + 1, ts[at] + 3600)
            for name, values in picked.items():
                picked[name] = np.insert(values, at + 1, values[at] * 1.01)
        instrument, exchange, full_exchange = _META.get(symbol, ("EQUITY", "NYQ", "NYSE"))
        last_stamp = int(stamps[last_index])
        regular_start = last_stamp
        regular_end = last_stamp + int(6.5 * 3600)
        period = {"timezone": "EST", "gmtoffset": -18000}
        meta = {
            "currency": "USD",
            "symbol": self.meta_symbol.get(symbol, symbol),
            "exchangeName": exchange,
            "fullExchangeName": full_exchange,
            "instrumentType": instrument,
            "firstTradeDate": int(stamps[0]),
            "regularMarketTime": regular_end,
            "hasPrePostMarketData": instrument != "INDEX",
            "gmtoffset": -18000,
            "timezone": "EST",
            "exchangeTimezoneName": EXCHANGE_TZ,
            "regularMarketPrice": float(cols["close"][last_index]),
            "chartPreviousClose": float(cols["close"][max(last_index - 1, 0)]),
            "priceHint": 2,
            "currentTradingPeriod": {
                "pre": {**period, "start": regular_start - 19800, "end": regular_start},
                "regular": {**period, "start": regular_start, "end": regular_end},
                "post": {**period, "start": regular_end, "end": regular_end + 14400},
            },
            "dataGranularity": query.get("interval", "1d"),
            "range": query.get("range", ""),
            "validRanges": ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y",
                            "ytd", "max"],
        }
        result = {
            "meta": meta,
            "timestamp": ts,
            "indicators": {
                "quote": [{name: _nulls(picked[name])
                           for name in ("open", "high", "low", "close", "volume")}],
                "adjclose": [{"adjclose": _nulls(picked["adjclose"])}],
            },
        }
        if ts:
            low, high = max(low, ts[0]), min(high, ts[-1] + 1)
        reported = {str(e.stamp()): {"date": e.stamp(), "numerator": e.numerator,
                                     "denominator": e.denominator,
                                     "splitRatio": f"{e.numerator:g}:{e.denominator:g}"}
                    for e in splits if e.reported and low <= e.stamp() < high}
        if reported:
            result["events"] = {"splits": reported}
        if not ts:
            del result["timestamp"]
            result["indicators"] = {"quote": [{}], "adjclose": [{}]}
        return {"chart": {"result": [result], "error": None}}


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up (e.g. curl stopping at its size cap) is not worth a traceback."""

    def handle_error(self, request: object, client_address: object) -> None:
        pass


class _Handler(BaseHTTPRequestHandler):
    yahoo: YahooServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # quiet

    def _send(self, status: int, body: bytes, content_type: str = "application/json",
              headers: dict[str, str] | None = None) -> None:
        split = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        with self.yahoo._lock:
            self.yahoo.log.append(Logged(split.path, query, status, len(body)))
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _endless(self) -> None:
        """200 with a chunked JSON-looking body that never ends, until the client hangs up
        (or the server stops)."""
        split = urlsplit(self.path)
        with self.yahoo._lock:
            self.yahoo.log.append(Logged(split.path, {}, 200, 0))
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"1\r\n{\r\n")
            chunk = b"%x\r\n%s\r\n" % (len(ENDLESS_CHUNK), ENDLESS_CHUNK)
            while not self.yahoo._stop.is_set():
                self.wfile.write(chunk)
        except OSError:
            pass
        self.close_connection = True

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._not_found()

    def _not_found(self) -> None:
        body = {"finance": {"result": None,
                            "error": {"code": "Not Found", "description": "HTTP 404 Not Found"}}}
        self._send(404, json.dumps(body).encode())

    def do_GET(self) -> None:
        split = urlsplit(self.path)
        path = split.path
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        if path in ("", "/"):  # fc.yahoo.com: 404 plus the A3 cookie
            self._send(404, b"<html><body>Not found</body></html>", "text/html",
                       {"Set-Cookie": "A3=d=AQABBLocal&S=AQAAAlocal; Max-Age=31557600; Path=/"})
            return
        if path == "/v1/test/getcrumb":
            self._send(200, CRUMB.encode(), "text/plain;charset=utf-8")
            return
        if not path.startswith("/v8/finance/chart/"):
            self._not_found()
            return
        symbol = unquote(path[len("/v8/finance/chart/"):])
        if self.yahoo.series(symbol) is None:
            error = {"chart": {"result": None, "error": {
                "code": "Not Found", "description": "No data found, symbol may be delisted"}}}
            self._send(404, json.dumps(error).encode())
            return
        fault = self.yahoo._take_fault(symbol)
        if fault == "429":
            self._send(429, b"Too Many Requests\r\n", "text/plain", {"Retry-After": "1"})
            return
        if fault in ("500", "503", "400", "401", "403", "451"):  # an error page, not JSON
            self._send(int(fault), f"<html><body>{fault} Error</body></html>".encode(),
                       "text/html")
            return
        if fault == "timeout":
            self.yahoo._stop.wait(self.yahoo.timeout_seconds)
            # the client gave up long ago; answer anyway so the log shows the request
        if fault == "malformed":
            self._send(200, b"<html><body>Will be right back...</body></html>", "text/html")
            return
        if fault == "endless":
            self._endless()
            return
        body = json.dumps(self.yahoo.chart(symbol, query, fault)).encode()
        if fault == "truncated":
            body = body[: len(body) // 2]
        self._send(200, body)


# -- pytest fixtures (import them into a test module) -------------------------------------


@pytest.fixture(scope="module")
def yahoo_server() -> Iterator[YahooServer]:
    """A started local Yahoo server, shared by a module's tests; stopped afterwards."""
    with YahooServer() as server:
        yield server


@pytest.fixture
def yahoo(yahoo_server: YahooServer, monkeypatch: pytest.MonkeyPatch,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[YahooServer]:
    """The module's server, reset, with smallcap pointed at it (SMALLCAP_YAHOO_URL), fast
    retry settings and yfinance's caches in a temporary folder."""
    yahoo_server.reset()
    monkeypatch.setenv("SMALLCAP_YAHOO_URL", yahoo_server.url)
    monkeypatch.setenv("SMALLCAP_YAHOO_RETRIES", "2")
    monkeypatch.setenv("SMALLCAP_YAHOO_BACKOFF", "0.01")
    monkeypatch.setenv("SMALLCAP_YAHOO_TIMEOUT", "2")
    cache = tmp_path_factory.getbasetemp() / "yfinance-cache"
    monkeypatch.setenv("SMALLCAP_YFINANCE_CACHE", str(cache))
    yield yahoo_server
    yahoo_server.reset()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    with YahooServer(args.port) as server:
        print(f"serving Yahoo's chart API from {DATA_DIR} at {server.url}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
