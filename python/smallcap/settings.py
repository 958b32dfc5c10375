"""Every setting and shared convention of smallcap, stated once.

The lowest layer with :mod:`smallcap.errors`: it imports nothing else from the package,
so every layer, :mod:`smallcap.params` included, may import it. The
environment is read when a function is called, never cached at import; a malformed
value raises :class:`~smallcap.errors.BadArgument` naming the variable, in one line.

Environment settings: ``SMALLCAP_STORE``, ``SMALLCAP_TICKERS``, ``SMALLCAP_YAHOO_URL``,
``SMALLCAP_YAHOO_TIMEOUT``, ``SMALLCAP_YAHOO_RETRIES``, ``SMALLCAP_YAHOO_BACKOFF``,
``SMALLCAP_YAHOO_BACKOFF_MAX``, ``SMALLCAP_YFINANCE_CACHE``, ``SMALLCAP_REVISION_TOLERANCE``,
``SMALLCAP_MAX_CSV_BYTES``, ``SMALLCAP_MAX_YAHOO_BYTES``,
``SMALLCAP_SERVE_WORKERS``, ``SMALLCAP_SERVE_TIMEOUT``.
The store a process uses is :func:`store_path`: the one :func:`choose_store` picked
(``smallcap.use_store``, ``smallcap --store``), else ``$SMALLCAP_STORE``, else
``smallcap.sqlite`` in the user's data folder.
"""

from __future__ import annotations

import functools
import math
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from .errors import BadArgument

# -- conventions shared by the analytics and every adapter ---------------------------------

DEFAULT_TICKER = "^RUT"  # the small-cap index every function looks at by default
DEFAULT_LARGE = "^GSPC"  # the large-cap index it is compared with
DEFAULT_RATE = "^TNX"  # the ten-year yield (percent) behind RATE_BETA
DEFAULT_SINCE = "1979-01-01"  # first day streak episodes are counted from (RUT's inception)
CALENDAR_WINDOWS = ("1W", "1M", "3M", "6M", "1Y", "YTD")
TICKER_RE = re.compile(r"[A-Z0-9^.=-]{1,20}")  # a Yahoo symbol, after trimming and upper-casing
SUMMARY_COUNT = "count"  # FORWARD_RETURNS' summary rows, below the episodes
SUMMARY_MEDIAN = "median"
SUMMARY_MEAN = "mean"
SUMMARY_SHARE_POSITIVE = "share positive"
SUMMARY_ROWS = (SUMMARY_COUNT, SUMMARY_MEDIAN, SUMMARY_MEAN, SUMMARY_SHARE_POSITIVE)
DEFAULT_TICKERS = ("^RUT", "^GSPC", "^NDX", "IWM", "SPY", "^TNX")  # refreshed by default
# File names without the caret that index symbols carry (RUT.csv holds ^RUT): load-dir and
# the bundled sample history name files this way.
INDEX_FILES = {"RUT": "^RUT", "GSPC": "^GSPC", "NDX": "^NDX", "DJI": "^DJI", "TNX": "^TNX",
               "IRX": "^IRX", "TYX": "^TYX", "VIX": "^VIX"}
INDEX_SYMBOLS = tuple(INDEX_FILES.values())  # "RUT" typed for one of them: did you mean ^RUT?
# Table columns holding fractions (shown as percentages) and whole numbers (days, rows)
FRACTION_COLUMNS = ("small_return", "large_return", "spread", "peak_gain", "drawdown",
                    "run_return")
WHOLE_COLUMNS = ("days", "peak_day", "rows")
# The dashboard workbook's array formulas read this hidden sheet where smallcap's functions
# cannot answer (LibreOffice, Excel without the add-in): IF(<no add-in>, Cached!..., f(...)).
# The ribbon's Refresh re-enters them, as it does the formulas showing #NAME?.
WORKBOOK_CACHED_SHEET = "Cached"
WORKBOOK_NO_ADDIN = "ISERROR(INDEX(DATA_STATUS(),1,1))"  # one cheap call, a scalar

# -- environment variables and their defaults --------------------------------------------

STORE_ENV = "SMALLCAP_STORE"
STORE_FILENAME = "smallcap.sqlite"
TICKERS_ENV = "SMALLCAP_TICKERS"
YAHOO_URL_ENV = "SMALLCAP_YAHOO_URL"
DEFAULT_YAHOO_URL = "https://query2.finance.yahoo.com"
YAHOO_TIMEOUT_ENV = "SMALLCAP_YAHOO_TIMEOUT"
DEFAULT_YAHOO_TIMEOUT = 10.0  # seconds per HTTP request
MIN_YAHOO_TIMEOUT = 0.05
YAHOO_RETRIES_ENV = "SMALLCAP_YAHOO_RETRIES"
DEFAULT_YAHOO_RETRIES = 3  # retries after a 429, a 5xx or a timeout
YAHOO_BACKOFF_ENV = "SMALLCAP_YAHOO_BACKOFF"
DEFAULT_YAHOO_BACKOFF = 1.0  # seconds before the first retry, doubling after each
YAHOO_BACKOFF_MAX_ENV = "SMALLCAP_YAHOO_BACKOFF_MAX"
DEFAULT_YAHOO_BACKOFF_MAX = 30.0  # the longest wait between two retries
YFINANCE_CACHE_ENV = "SMALLCAP_YFINANCE_CACHE"  # default: yfinance's own cache folder
REVISION_TOLERANCE_ENV = "SMALLCAP_REVISION_TOLERANCE"
DEFAULT_REVISION_TOLERANCE = 0.001  # relative close change logged as a revision warning
SERVE_WORKERS_ENV = "SMALLCAP_SERVE_WORKERS"
DEFAULT_SERVE_WORKERS = 16  # threads answering HTTP requests (smallcap serve)
MAX_SERVE_WORKERS = 256
SERVE_TIMEOUT_ENV = "SMALLCAP_SERVE_TIMEOUT"
DEFAULT_SERVE_TIMEOUT = 10.0  # seconds a client has to send its request (and read the answer)
MIN_SERVE_TIMEOUT = 0.05
MAX_CSV_BYTES_ENV = "SMALLCAP_MAX_CSV_BYTES"
DEFAULT_MAX_CSV_BYTES = 64 * 2**20  # a CSV file larger than this is refused unread
MAX_YAHOO_BYTES_ENV = "SMALLCAP_MAX_YAHOO_BYTES"
DEFAULT_MAX_YAHOO_BYTES = 64 * 2**20  # a Yahoo answer larger than this is refused


def _env(name: str) -> str:
    return os.environ.get(name, "").strip()


def _number(name: str, default: float, *, whole: bool = False,
            maximum: float = math.inf) -> float:
    """``$name`` as a finite number from 0 to ``maximum`` (a whole one with ``whole``),
    else ``default``."""
    text = _env(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not 0 <= value <= maximum or (
            whole and not value.is_integer()):
        kind = "a whole number" if whole else "a number"
        upper = "" if maximum == math.inf else f" and at most {maximum:g}"
        raise BadArgument(name, f"{text[:40]!r} is not {kind} >= 0{upper} (default {default})")
    return value


# -- the store ------------------------------------------------------------------------------

STORE_READ_TIMEOUT = 1.0  # seconds a read waits on a lock (WAL readers normally never wait)
STORE_WRITE_TIMEOUT = 30.0  # seconds a load or refresh waits for another process's write

_chosen_store: Path | None = None


def choose_store(path: str | os.PathLike[str] | None) -> None:
    """Make ``path`` the store of this process; None (or "") goes back to the default."""
    global _chosen_store
    try:
        _chosen_store = Path(path).expanduser() if path else None
    except RuntimeError:
        raise BadArgument("--store", f"{str(path)!r}: no such user's home folder") from None


def chosen_store() -> Path | None:
    """The path :func:`choose_store` picked, or None when the default applies."""
    return _chosen_store


def store_path() -> Path:
    """The chosen store, else ``$SMALLCAP_STORE``, else ``smallcap.sqlite`` in the user's
    data folder. Asked on every call that is not given a store, so it stays cheap."""
    if _chosen_store is not None:
        return _chosen_store
    env = _env(STORE_ENV)
    if env:
        return _expanded(env)
    return _user_store()


@functools.lru_cache(maxsize=8)
def _expanded(text: str, argument: str = STORE_ENV) -> Path:
    try:
        return Path(text).expanduser()
    except RuntimeError:  # ~user that does not exist
        raise BadArgument(argument, f"{text!r}: no such user's home folder") from None


def store_file(path: str | os.PathLike[str]) -> Path:
    """A store path given to smallcap (``store=``, ``use_store``), ``~`` expanded; a home
    folder that does not exist is a BadArgument naming ``store``."""
    return _expanded(os.fspath(path), "store")


@functools.lru_cache(maxsize=1)
def _user_store() -> Path:
    """``smallcap.sqlite`` in the user's data folder (the operating system's, looked up
    once per process: platformdirs takes ~15 us)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("smallcap", appauthor=False)) / STORE_FILENAME


# -- refresh --------------------------------------------------------------------------------


def default_tickers() -> tuple[str, ...]:
    """Tickers refreshed (and written to the Data sheet) by default: ``$SMALLCAP_TICKERS``
    (comma-separated) when set, else :data:`DEFAULT_TICKERS`."""
    text = _env(TICKERS_ENV)
    if not text:
        return DEFAULT_TICKERS
    symbols = tuple(t.strip().upper() for t in text.split(",") if t.strip())
    if not symbols:
        raise BadArgument(TICKERS_ENV, f"{text!r} names no ticker (e.g. ^RUT,^GSPC,IWM)")
    for symbol in symbols:
        if not TICKER_RE.fullmatch(symbol):
            raise BadArgument(TICKERS_ENV, f"{symbol!r} is not a ticker symbol: use 1-20 "
                              "characters from A-Z 0-9 ^ . = - (e.g. ^RUT,^GSPC,IWM)")
    return symbols


def revision_tolerance() -> float:
    """Relative close change above which a revised stored close is logged as a warning."""
    return _number(REVISION_TOLERANCE_ENV, DEFAULT_REVISION_TOLERANCE)


def max_csv_bytes() -> int:
    """The largest CSV file the loaders read, in bytes (a whole number >= 1)."""
    return _size(MAX_CSV_BYTES_ENV, DEFAULT_MAX_CSV_BYTES)


def max_yahoo_bytes() -> int:
    """The largest body of one Yahoo answer, in bytes (a whole number >= 1)."""
    return _size(MAX_YAHOO_BYTES_ENV, DEFAULT_MAX_YAHOO_BYTES)


_MAX_SIZE = 2**53  # bytes; beyond it a size is a typo (and no longer a C integer for curl)


def _size(name: str, default: int) -> int:
    value = _number(name, default, whole=True)
    if not 1 <= value <= _MAX_SIZE:
        raise BadArgument(name, f"{_env(name)!r} is not a whole number of bytes from 1 to "
                          f"{_MAX_SIZE} (default {default})")
    return int(value)


_CREDENTIALS = re.compile(r"(?<=://)[^/\s]*@")


def redact_url(text: str) -> str:
    """``text`` with the credentials of every URL in it hidden: ``https://user:secret@host``
    becomes ``https://***@host`` (for error messages and log lines)."""
    return _CREDENTIALS.sub("***@", text)


def yahoo_url() -> str:
    """Base URL of Yahoo's API (a mirror, a recording or a test server when set)."""
    url = _env(YAHOO_URL_ENV).rstrip("/") or DEFAULT_YAHOO_URL
    try:
        split = urlsplit(url)
        split.port  # noqa: B018 (raises on a port out of range)
    except ValueError:
        split = urlsplit("")
    if split.scheme not in ("http", "https") or not split.hostname:
        raise BadArgument(YAHOO_URL_ENV, f"{redact_url(url)!r} is not an http(s) URL "
                          f"(e.g. {DEFAULT_YAHOO_URL} or http://127.0.0.1:8765)")
    return url


MAX_WAIT = 3600.0  # seconds: the longest timeout or wait a setting may ask for
MAX_RETRIES = 20  # retries of one request: bounded, so a refresh always ends


def yahoo_timeout() -> float:
    """Seconds per HTTP request (at least :data:`MIN_YAHOO_TIMEOUT`, at most an hour)."""
    return max(_number(YAHOO_TIMEOUT_ENV, DEFAULT_YAHOO_TIMEOUT, maximum=MAX_WAIT),
               MIN_YAHOO_TIMEOUT)


def yahoo_retries() -> int:
    """Retries after a 429, a 5xx or a timeout (at most :data:`MAX_RETRIES`)."""
    return int(_number(YAHOO_RETRIES_ENV, DEFAULT_YAHOO_RETRIES, whole=True,
                       maximum=MAX_RETRIES))


def yahoo_backoff() -> float:
    """Seconds before the first retry (doubling after each; at most an hour)."""
    return _number(YAHOO_BACKOFF_ENV, DEFAULT_YAHOO_BACKOFF, maximum=MAX_WAIT)


def yahoo_backoff_max() -> float:
    """The longest wait between two retries, seconds (at most an hour)."""
    return _number(YAHOO_BACKOFF_MAX_ENV, DEFAULT_YAHOO_BACKOFF_MAX, maximum=MAX_WAIT)


def yfinance_cache() -> str | None:
    """Folder for yfinance's time-zone and cookie caches; None: yfinance's own."""
    text = _env(YFINANCE_CACHE_ENV)
    if text and Path(text).exists() and not Path(text).is_dir():
        raise BadArgument(YFINANCE_CACHE_ENV, f"{text!r} is a file, not a folder")
    return text or None


# -- the HTTP server (smallcap serve) ----------------------------------------------------------


def serve_workers() -> int:
    """Threads answering HTTP requests, 1 to :data:`MAX_SERVE_WORKERS`; connections beyond
    them wait (an idle connection holds no thread)."""
    value = int(_number(SERVE_WORKERS_ENV, DEFAULT_SERVE_WORKERS, whole=True))
    if not 1 <= value <= MAX_SERVE_WORKERS:
        raise BadArgument(SERVE_WORKERS_ENV, f"{value} is not from 1 to {MAX_SERVE_WORKERS} "
                          f"(default {DEFAULT_SERVE_WORKERS})")
    return value


def serve_timeout() -> float:
    """Seconds a client has to send its whole request, and to read the answer (at least
    :data:`MIN_SERVE_TIMEOUT`); then the connection is closed."""
    return max(_number(SERVE_TIMEOUT_ENV, DEFAULT_SERVE_TIMEOUT, maximum=MAX_WAIT),
               MIN_SERVE_TIMEOUT)


# -- the machine ------------------------------------------------------------------------------


def user_folder(name: str) -> Path | None:
    """A Windows user folder the environment names (``APPDATA``, ``USERPROFILE``), or None."""
    text = _env(name)
    return Path(text) if text else None
