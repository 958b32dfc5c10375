"""Daily history from Yahoo Finance, through the real yfinance code.

``fetch_history(ticker, start)`` asks yfinance (``Ticker.history``, daily, ``auto_adjust=False``
so both the raw ``Close`` and the ``Adj Close`` come back) and returns rows
``date, close, adj_close`` with ``date`` the exchange-local trading day. Every fault
becomes a :class:`YahooFetchError` with a one-line message and a ``kind``:
``offline`` (no connection), ``timeout``, ``rate_limit`` (HTTP 429), ``http`` (other
status), ``payload`` (malformed JSON, NaN closes, duplicate days), ``no_data``
(unknown symbol). ``retryable`` says whether trying again later may help.

yfinance asks for ``events=div,splits`` with every history; the splits Yahoo reports in the
requested range come back as :attr:`Fetched.splits` (read from the raw chart answer, on the
exchange-local day: :func:`chart_splits`), for the refresh to decide what a revision means
(:mod:`smallcap.analytics.revisions`).

Settings (environment variables, read by :mod:`smallcap.settings`):

- ``SMALLCAP_YAHOO_URL``: base URL of Yahoo's API (default ``https://query2.finance.yahoo.com``).
  Any other value (a mirror, a recording, a test server on ``http://127.0.0.1:PORT``)
  makes every request yfinance sends to a ``*.yahoo.com`` host go there instead, same
  path and query: ``/v8/finance/chart/{symbol}``, ``/v1/test/getcrumb``, ``/`` for the
  cookie step.
- ``SMALLCAP_YAHOO_TIMEOUT``: seconds per HTTP request (default 10).
- ``SMALLCAP_YAHOO_RETRIES``, ``SMALLCAP_YAHOO_BACKOFF``, ``SMALLCAP_YAHOO_BACKOFF_MAX``:
  retries after a 429, a 5xx or a timeout (default 3), the first wait in seconds
  (default 1, doubling) and the longest wait (default 30).
- ``SMALLCAP_YFINANCE_CACHE``: folder for yfinance's own caches (time zones, cookies);
  default yfinance's (the user cache folder).
- ``SMALLCAP_MAX_YAHOO_BYTES``: the largest body of one answer (default 64 MB); curl stops
  reading a larger one (a ``payload`` fault naming the setting).

Credentials in ``SMALLCAP_YAHOO_URL`` (``https://user:secret@host``) are sent, never
shown: every message and log line has them as ``***@``.

yfinance quirks handled here: it logs and returns an empty frame instead of raising
(we switch ``yf.config.debug.hide_exceptions`` off for the call and read the HTTP
exchanges recorded by our session); it memoises chart responses, failed ones included
(cleared before each fetch); it silently keeps the first of duplicate timestamps
(we check the raw payload); ``download`` returns MultiIndex columns (flattened by
:func:`frame_to_rows`); the index is tz-aware (converted to exchange-local dates).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import pandas as pd

from .. import settings as env
from ..analytics.revisions import Split
from ..errors import FetchError
from . import yahoo_answer
from .optional import need

SOURCE = "yahoo"
URL_ENV = env.YAHOO_URL_ENV
DEFAULT_URL = env.DEFAULT_YAHOO_URL
CHART_PATH = "/v8/finance/chart/"

_YF_LOCK = threading.RLock()  # yfinance keeps one global session/crumb and a global config
_CACHE_CONFIGURED: list[str] = []
_NULL_HANDLER = logging.NullHandler()


# -- settings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class YahooSettings:
    """Where and how patiently to ask Yahoo. Times in seconds."""

    url: str = env.DEFAULT_YAHOO_URL
    timeout: float = env.DEFAULT_YAHOO_TIMEOUT
    retries: int = env.DEFAULT_YAHOO_RETRIES
    backoff: float = env.DEFAULT_YAHOO_BACKOFF
    backoff_max: float = env.DEFAULT_YAHOO_BACKOFF_MAX
    cache_dir: str | None = None
    max_bytes: int = env.DEFAULT_MAX_YAHOO_BYTES

    @classmethod
    def from_env(cls) -> YahooSettings:
        """The ``SMALLCAP_YAHOO_*`` settings now (a malformed one raises BadArgument)."""
        return cls(url=env.yahoo_url(), timeout=env.yahoo_timeout(), retries=env.yahoo_retries(),
                   backoff=env.yahoo_backoff(), backoff_max=env.yahoo_backoff_max(),
                   cache_dir=env.yfinance_cache(), max_bytes=env.max_yahoo_bytes())

    @property
    def shown_url(self) -> str:
        """The URL as messages show it: credentials hidden."""
        return env.redact_url(self.url)

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc

    @property
    def rewrites(self) -> bool:
        """True when requests go somewhere other than Yahoo's own hosts."""
        return not urlsplit(self.url).netloc.endswith("yahoo.com")

    def wait(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (1, 2, ...): doubling, capped."""
        return min(self.backoff * 2 ** (attempt - 1), self.backoff_max)


# -- errors ---------------------------------------------------------------------------


class YahooFetchError(FetchError):
    """A fetch from Yahoo failed; ``kind`` names the fault, ``retryable`` whether a retry
    may help, ``status`` the HTTP status when there was one."""

    def __init__(self, message: str, kind: str, *, retryable: bool = False,
                 status: int | None = None) -> None:
        super().__init__(env.redact_url(message))
        self.kind = kind
        self.retryable = retryable
        self.status = status

    @property
    def offline(self) -> bool:
        return self.kind == "offline"


class _TooLarge(Exception):
    """Raised by the session (inside yfinance's call) for an answer over the size cap;
    :func:`_classify` turns it into a YahooFetchError naming the ticker."""


_CURLE_FILESIZE_EXCEEDED = 63  # libcurl: the body passed CURLOPT_MAXFILESIZE_LARGE


# -- the session: host rewriting and a record of every exchange ----------------------------


@dataclass(frozen=True)
class Exchange:
    """One HTTP request the session made: final URL, status (None: no answer), body bytes."""

    url: str
    status: int | None
    nbytes: int
    text: str | None = None  # kept for chart answers only


def _session_base() -> type:
    return need("curl_cffi.requests").Session


class _SessionFactory:
    cls: type | None = None

    @classmethod
    def make(cls, settings: YahooSettings) -> Any:
        if cls.cls is None:
            base = _session_base()

            class YahooSession(base):  # type: ignore[misc, valid-type]
                """A curl_cffi session (what yfinance uses) that sends ``*.yahoo.com``
                requests to ``SMALLCAP_YAHOO_URL`` when that is not Yahoo, caps each
                request's timeout, and records every exchange."""

                def __init__(self, settings: YahooSettings) -> None:
                    from curl_cffi import CurlOpt

                    # curl stops reading a body larger than the cap (Content-Length or not)
                    super().__init__(impersonate="chrome",
                                     curl_options={CurlOpt.MAXFILESIZE_LARGE: settings.max_bytes})
                    self.settings = settings
                    self.exchanges: list[Exchange] = []

                def rewrite(self, url: str) -> str:
                    split = urlsplit(url)
                    if not self.settings.rewrites or not (split.hostname or "").endswith(
                        "yahoo.com"
                    ):
                        return url
                    base = urlsplit(self.settings.url)
                    path = base.path.rstrip("/") + (split.path or "/")
                    return urlunsplit((base.scheme, base.netloc, path, split.query, ""))

                def request(self, method: Any, url: str, *args: Any, **kwargs: Any) -> Any:
                    url = self.rewrite(url)
                    cap = self.settings.timeout
                    timeout = kwargs.get("timeout")
                    if not isinstance(timeout, int | float) or timeout <= 0 or timeout > cap:
                        kwargs["timeout"] = cap
                    try:
                        response = super().request(method, url, *args, **kwargs)
                    except Exception as exc:
                        self.exchanges.append(Exchange(url, None, 0))
                        if getattr(exc, "code", None) == _CURLE_FILESIZE_EXCEEDED:
                            raise _TooLarge() from None
                        raise
                    body = response.content or b""
                    if len(body) > self.settings.max_bytes:  # e.g. once decompressed
                        self.exchanges.append(Exchange(url, response.status_code, len(body)))
                        raise _TooLarge()
                    is_chart = CHART_PATH in urlsplit(url).path
                    text = body.decode("utf-8", "replace") if is_chart else None
                    if is_chart:  # keep only the latest chart body in memory
                        self.exchanges = [Exchange(e.url, e.status, e.nbytes)
                                          if e.text is not None else e for e in self.exchanges]
                    self.exchanges.append(Exchange(url, response.status_code, len(body), text))
                    return response

            cls.cls = YahooSession
        return cls.cls(settings)


def new_session(settings: YahooSettings | None = None) -> Any:
    """A session to pass to yfinance (``session=``): a curl_cffi Session subclass."""
    return _SessionFactory.make(settings or YahooSettings.from_env())


# -- result --------------------------------------------------------------------------------


@dataclass
class Fetched:
    """Rows fetched for one ticker, and what it cost: requests, body bytes, seconds."""

    ticker: str
    rows: pd.DataFrame  # date (datetime64[D]), close, adj_close
    requests: int = 0
    nbytes: int = 0
    seconds: float = 0.0
    dropped_live: list[dt.date] = field(default_factory=list)
    splits: list[Split] = field(default_factory=list)  # reported with the answer
    closeless: list[tuple[dt.date, str]] = field(default_factory=list)  # (day, why) skipped


# -- frame handling (pure) -------------------------------------------------------------------


def _flatten(frame: pd.DataFrame, ticker: str) -> pd.DataFrame:
    """``download`` gives MultiIndex columns (Price, Ticker) or (Ticker, Price); keep the
    ticker's own columns with flat names."""
    if not isinstance(frame.columns, pd.MultiIndex):
        return frame
    for level in range(frame.columns.nlevels):
        values = frame.columns.get_level_values(level)
        if ticker in set(values):
            picked = frame.loc[:, values == ticker]
            picked.columns = picked.columns.droplevel(level)
            if isinstance(picked.columns, pd.MultiIndex):
                picked.columns = picked.columns.get_level_values(0)
            return picked
    raise YahooFetchError(f"{ticker}: Yahoo's answer has no columns for {ticker} "
                          f"(got {sorted(set(map(str, frame.columns.get_level_values(-1))))})",
                          "payload")


def frame_to_rows(frame: pd.DataFrame, ticker: str) -> pd.DataFrame:
    """yfinance's frame (``history`` or ``download``, ``auto_adjust=False``) as rows
    ``date`` (exchange-local trading day, datetime64[D]), ``close`` (raw), ``adj_close``.

    Raises :class:`YahooFetchError` (``payload``) for missing columns, NaN closes or two
    rows on one trading day."""
    flat = _flatten(frame, ticker)
    if "Close" not in flat.columns:
        raise YahooFetchError(f"{ticker}: Yahoo's answer has no Close column "
                              f"(got {', '.join(map(str, flat.columns))})", "payload")
    index = flat.index
    if not isinstance(index, pd.DatetimeIndex):
        index = pd.DatetimeIndex(pd.to_datetime(index))
    if index.tz is not None:
        index = index.tz_localize(None)  # wall-clock time at the exchange: its trading day
    days = index.normalize().to_numpy().astype("datetime64[D]")
    close = pd.to_numeric(flat["Close"], errors="coerce").to_numpy(dtype="float64")
    if "Adj Close" in flat.columns:
        adj = pd.to_numeric(flat["Adj Close"], errors="coerce").to_numpy(dtype="float64")
    else:
        adj = close.copy()
    bad = ~np.isfinite(close) | ~np.isfinite(adj)
    if bad.any():
        first = pd.Timestamp(days[np.flatnonzero(bad)[0]]).date()
        raise YahooFetchError(
            f"{ticker}: Yahoo sent {int(bad.sum())} row(s) without a valid close "
            f"(first {first}); nothing stored", "payload")
    order = np.argsort(days, kind="stable")
    days, close, adj = days[order], close[order], adj[order]
    dup = days[1:] == days[:-1]
    if dup.any():
        first = pd.Timestamp(days[1:][dup][0]).date()
        raise YahooFetchError(
            f"{ticker}: Yahoo sent two rows for {first}; nothing stored", "payload")
    return pd.DataFrame({"date": days, "close": close, "adj_close": adj})


def _chart_json(text: str | None) -> dict | None:
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _chart_error(data: dict | None) -> str | None:
    chart = (data or {}).get("chart") or {}
    error = chart.get("error") if isinstance(chart, dict) else None
    if isinstance(error, dict):
        return str(error.get("description") or error.get("code") or "error")
    return None


def _chart_result(data: dict | None) -> dict | None:
    chart = (data or {}).get("chart") or {}
    result = chart.get("result") if isinstance(chart, dict) else None
    if isinstance(result, list) and result and isinstance(result[0], dict):
        return result[0]
    return None


def check_raw_chart(result: dict, ticker: str, now: pd.Timestamp) -> dt.date | None:
    """Check the raw chart result yfinance parsed: two bars on one trading day are a
    fault (yfinance would silently keep the first), except in the live session, which
    Yahoo sends as an extra bar. Returns the live session's date while it is open."""
    meta = result.get("meta") or {}
    tz = meta.get("exchangeTimezoneName") or "UTC"
    live_day: dt.date | None = None
    regular = ((meta.get("currentTradingPeriod") or {}).get("regular") or {})
    try:
        start, end = int(regular["start"]), int(regular["end"])
    except (KeyError, TypeError, ValueError):
        start = end = None
    if start is not None and end is not None and now.timestamp() < end:
        live_day = pd.Timestamp(start, unit="s", tz="UTC").tz_convert(tz).date()
    stamps = result.get("timestamp") or []
    if not stamps:
        return live_day
    days = pd.to_datetime(np.asarray(stamps, dtype="int64"), unit="s", utc=True)
    local = days.tz_convert(tz).date
    seen: set[dt.date] = set()
    for day in local:
        if day in seen and day != live_day:
            raise YahooFetchError(
                f"{ticker}: Yahoo sent two bars for {day}; nothing stored", "payload")
        seen.add(day)
    return live_day


def chart_splits(result: dict, ticker: str) -> list[Split]:
    """The splits Yahoo reports in a chart result (``events.splits``: ``date`` in epoch
    seconds, ``numerator``, ``denominator``), on their exchange-local trading day, oldest
    first. A split that is not a finite ratio > 0 is a ``payload`` fault."""
    events = result.get("events")
    reported = events.get("splits") if isinstance(events, dict) else None
    if not reported:
        return []
    items = reported.values() if isinstance(reported, dict) else reported
    tz = (result.get("meta") or {}).get("exchangeTimezoneName") or "UTC"
    splits = []
    for item in items if isinstance(items, Iterable) else ():
        try:
            stamp = int(item["date"])
            numerator, denominator = float(item["numerator"]), float(item["denominator"])
            day = pd.Timestamp(stamp, unit="s", tz="UTC").tz_convert(tz).date()
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise YahooFetchError(f"{ticker}: Yahoo reported a split that cannot be read "
                                  f"({str(item)[:80]}); nothing stored", "payload") from exc
        if not (np.isfinite([numerator, denominator]).all() and numerator > 0
                and denominator > 0):
            raise YahooFetchError(f"{ticker}: Yahoo reported a split on {day} of "
                                  f"{numerator:g}:{denominator:g}, not a ratio of share counts; "
                                  "nothing stored", "payload")
        splits.append(Split(day, numerator, denominator))
    return sorted(set(splits))


# -- yfinance plumbing -------------------------------------------------------------------------


def _configure_yfinance(settings: YahooSettings) -> Any:
    yf = need("yfinance")
    logging.getLogger("yfinance").addHandler(_NULL_HANDLER)  # no stray stderr lines
    if settings.cache_dir and settings.cache_dir not in _CACHE_CONFIGURED:
        Path(settings.cache_dir).mkdir(parents=True, exist_ok=True)
        yf.set_tz_cache_location(settings.cache_dir)
        _CACHE_CONFIGURED.append(settings.cache_dir)
    try:  # yfinance memoises responses, failed ones too: start each fetch clean
        from yfinance.data import YfData

        YfData.cache_get.cache_clear()
    except (ImportError, AttributeError):  # pragma: no cover - other yfinance versions
        pass
    return yf


def _yf_session() -> Any:
    """The session yfinance's global data object holds now (None if none yet)."""
    try:
        from yfinance.data import YfData

        instance = YfData._instances.get(YfData)
        return instance._session if instance is not None else None
    except (ImportError, AttributeError):  # pragma: no cover - other yfinance versions
        return None


def _restore_yf_session(previous: Any) -> None:
    """Give yfinance back the session it had, so our host-rewriting session does not stay
    installed for other yfinance users in this process."""
    if previous is None:
        return
    try:
        from yfinance.data import YfData

        YfData._instances[YfData]._set_session(previous)
    except (ImportError, AttributeError, KeyError):  # pragma: no cover
        pass


def _classify(exc: BaseException | None, ticker: str, session: Any, start_index: int,
              settings: YahooSettings) -> YahooFetchError:
    """Turn whatever yfinance raised (or the empty frame it returned) into one clear error,
    using the HTTP exchanges our session recorded."""
    from curl_cffi.requests import exceptions as curl_exc

    where = ("Yahoo Finance" if not settings.rewrites
             else f"the Yahoo server at {settings.shown_url}")
    if isinstance(exc, YahooFetchError):
        return exc
    if isinstance(exc, _TooLarge):
        return YahooFetchError(
            f"{ticker}: {where} sent an answer larger than {env.MAX_YAHOO_BYTES_ENV} "
            f"({settings.max_bytes:,} bytes); nothing stored", "payload")
    if isinstance(exc, curl_exc.Timeout):
        return YahooFetchError(
            f"{ticker}: {where} did not answer within {settings.timeout:g} s (timeout)",
            "timeout", retryable=True)
    if isinstance(exc, curl_exc.ConnectionError):
        return YahooFetchError(
            f"{ticker}: cannot connect to {where} (no network, or the server is down)",
            "offline")
    exchanges = session.exchanges[start_index:]
    charts = [e for e in exchanges if CHART_PATH in urlsplit(e.url).path]
    last = charts[-1] if charts else None
    name = type(exc).__name__ if exc is not None else ""
    if name == "YFRateLimitError" or (last is not None and last.status == 429):
        return YahooFetchError(
            f"{ticker}: {where} is rate-limiting requests (HTTP 429, too many requests)",
            "rate_limit", retryable=True, status=429)
    if last is not None and last.status is not None and last.status >= 500:
        return YahooFetchError(f"{ticker}: {where} failed with HTTP {last.status} "
                               "(server error)", "http", retryable=True, status=last.status)
    data = _chart_json(last.text) if last is not None else None
    reason = _chart_error(data)
    if reason is not None or (last is not None and last.status == 404):
        return YahooFetchError(
            f"{ticker}: Yahoo Finance has no data for {ticker} "
            f"({reason or 'HTTP 404'}); check the symbol", "no_data", status=last.status
            if last is not None else None)
    if last is not None and last.status is not None and last.status >= 400:
        return YahooFetchError(f"{ticker}: {where} refused the request with HTTP {last.status}",
                               "http", status=last.status)
    if last is not None and data is None:
        return YahooFetchError(
            f"{ticker}: {where} sent a malformed answer (not valid JSON: truncated or an "
            "error page); nothing stored", "payload")
    if last is None and exc is None:
        return YahooFetchError(f"{ticker}: yfinance made no request for {ticker}", "payload")
    detail = str(exc).strip().splitlines()[0] if exc is not None and str(exc).strip() else name
    return YahooFetchError(f"{ticker}: fetching from {where} failed: {detail}", "payload")


def fetch_history(ticker: str, start: dt.date | None = None, *,
                  settings: YahooSettings | None = None, session: Any = None,
                  now: pd.Timestamp | None = None) -> Fetched:
    """Daily closes of ``ticker`` from ``start`` (exchange-local date, inclusive) to now, or
    the whole history when ``start`` is None. Raises :class:`YahooFetchError`.

    Rows of a session still trading (before Yahoo's regular close) are left out: their
    "close" is an intraday price."""
    settings = settings or YahooSettings.from_env()
    session = session if session is not None else new_session(settings)
    now = now if now is not None else pd.Timestamp.now(tz="UTC")
    began = time.perf_counter()
    start_index = len(session.exchanges)
    kwargs: dict[str, Any] = {"interval": "1d", "auto_adjust": False, "actions": False,
                              "repair": False, "timeout": settings.timeout}
    if start is None:
        kwargs["period"] = "max"
    else:
        kwargs["start"] = start.isoformat()
    frame = None
    error: BaseException | None = None
    with _YF_LOCK, warnings.catch_warnings():
        yf = _configure_yfinance(settings)  # first: importing yfinance adds warning filters
        # yfinance's own pandas deprecation warnings are not the user's business
        warnings.filterwarnings("ignore", module=r"yfinance(\.|$)")
        hide = yf.config.debug.hide_exceptions
        yf.config.debug.hide_exceptions = False
        previous = _yf_session()
        try:
            frame = yf.Ticker(ticker, session=session).history(**kwargs)
        except Exception as exc:  # yfinance and curl_cffi raise many types; classify below
            error = exc
        finally:
            yf.config.debug.hide_exceptions = hide
            _restore_yf_session(previous)
    exchanges = session.exchanges[start_index:]
    charts = [e for e in exchanges if CHART_PATH in urlsplit(e.url).path]
    last = charts[-1] if charts else None
    result = _chart_result(_chart_json(last.text)) if last is not None else None
    if error is not None or frame is None:
        no_bars = (result is not None and last is not None and last.status == 200
                   and not result.get("timestamp") and _chart_error(_chart_json(last.text)) is None)
        if start is not None and no_bars:  # nothing new since start: not a fault
            frame = pd.DataFrame({"Close": [], "Adj Close": []},
                                 index=pd.DatetimeIndex([], name="Date"))
        else:
            raise _classify(error, ticker, session, start_index, settings) from error
    live_day = None
    splits: list[Split] = []
    closeless: list[tuple[dt.date, str]] = []
    if result is not None:
        if (wrong := yahoo_answer.wrong_symbol(result, ticker)) is not None:
            raise YahooFetchError(wrong, "payload")
        live_day = check_raw_chart(result, ticker, now)
        splits = chart_splits(result, ticker)
        closeless = yahoo_answer.closeless_bars(result, live_day)
    if frame.empty and start is None:
        raise _classify(None, ticker, session, start_index, settings)
    rows = frame_to_rows(frame, ticker)
    dropped: list[dt.date] = []
    if live_day is not None and len(rows):
        live = rows["date"].to_numpy() == np.datetime64(live_day, "D")
        if live.any():
            dropped = [live_day]
            rows = rows.loc[~live].reset_index(drop=True)
    return Fetched(ticker, rows, len(exchanges), sum(e.nbytes for e in exchanges),
                   time.perf_counter() - began, dropped, splits, closeless)
