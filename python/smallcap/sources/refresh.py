"""Incremental refresh of the store from Yahoo Finance.

``refresh(tickers)`` fetches, for each ticker, only what the store lacks: from the last
stored date minus :data:`OVERLAP_DAYS` calendar days (to catch revised closes), or the
whole history for a ticker not stored yet. Each ticker is written in ONE transaction
(:meth:`smallcap.store.Store.write`): a fault of any kind (no network, HTTP 429 after
bounded retries, 5xx, timeout, malformed JSON, unknown symbol, NaN closes, duplicate
days, a process killed mid-write) leaves that ticker's rows exactly as they were,
is recorded in the store's refresh log with a one-line message, and the refresh goes
on with the other tickers. ``refresh`` never raises for a per-ticker fault.

Settings (:mod:`smallcap.settings`): ``SMALLCAP_TICKERS`` (comma-separated default set),
``SMALLCAP_REVISION_TOLERANCE`` (relative change of a stored close above which a
revision is logged as a warning, default 0.001), and the ``SMALLCAP_YAHOO_*`` settings
of :mod:`smallcap.sources.yahoo`.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import params
from ..errors import SmallcapError
from ..settings import default_tickers, revision_tolerance
from ..store import Store, open_store
from . import yahoo

log = logging.getLogger(__name__)

OVERLAP_DAYS = 7  # calendar days re-fetched before the last stored date (~5 trading days)
SOURCE = yahoo.SOURCE

Progress = Callable[[str, int, int], Any]


@dataclass
class TickerResult:
    """What the refresh did for one ticker. ``revised`` counts stored closes that changed;
    ``revisions`` lists those beyond the tolerance as (date, old, new)."""

    ticker: str
    ok: bool
    added: int = 0
    revised: int = 0
    last_date: dt.date | None = None
    seconds: float = 0.0
    message: str = ""
    kind: str = ""  # failure kind: offline, timeout, rate_limit, http, payload, no_data, ...
    attempts: int = 0
    requests: int = 0
    nbytes: int = 0
    revisions: list[tuple[dt.date, float, float]] = field(default_factory=list)

    @property
    def offline(self) -> bool:
        return not self.ok and self.kind == "offline"


@dataclass
class RefreshReport:
    """Per-ticker results of one refresh, in the order asked."""

    results: list[TickerResult]
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every ticker was refreshed."""
        return all(r.ok for r in self.results)

    @property
    def failed(self) -> list[TickerResult]:
        return [r for r in self.results if not r.ok]

    @property
    def offline(self) -> bool:
        """True when there were failures and every one was a connection failure."""
        failed = self.failed
        return bool(failed) and all(r.offline for r in failed)

    @property
    def added(self) -> int:
        return sum(r.added for r in self.results)

    @property
    def nbytes(self) -> int:
        return sum(r.nbytes for r in self.results)

    def summary(self) -> str:
        """One line: tickers refreshed, rows added and revised, last date, time taken."""
        n = len(self.results)
        good = [r for r in self.results if r.ok]
        revised = sum(r.revised for r in self.results)
        last = max((r.last_date for r in good if r.last_date), default=None)
        took = f"{self.seconds:.1f} s"
        if self.offline:
            return (f"offline: cannot reach Yahoo Finance; {n} ticker(s) left as they were "
                    f"({took})")
        text = f"refreshed {len(good)}/{n} ticker(s): {self.added} row(s) added"
        if revised:
            text += f", {revised} revised"
        if last is not None:
            text += f", last date {last.isoformat()}"
        failed = self.failed
        if failed:
            text += f"; failed: {', '.join(r.ticker for r in failed)}"
        return f"{text} ({took})"

    def __str__(self) -> str:
        return self.summary()


# -- one ticker -----------------------------------------------------------------------------


def _rows_to_write(store: Store, ticker: str, rows: pd.DataFrame) -> pd.DataFrame:
    """The fetched rows, plus, when Yahoo's adjustment factor moved since we stored the
    overlap (a dividend went ex in a fund), every older stored row with its adjusted close
    rescaled by the same factor, so the adjusted series stays one consistent chain."""
    if rows.empty:
        return rows
    first = pd.Timestamp(rows["date"].iloc[0]).date()
    stored = store.frame(ticker, start=first, end=pd.Timestamp(rows["date"].iloc[-1]).date())
    if stored.empty:
        return rows
    day = stored.index[0].to_datetime64().astype("datetime64[D]")
    new = rows.loc[rows["date"].to_numpy() == day]
    if new.empty:
        return rows
    old_ratio = stored["adj_close"].iloc[0] / stored["close"].iloc[0]
    new_ratio = float(new["adj_close"].iloc[0]) / float(new["close"].iloc[0])
    factor = new_ratio / old_ratio
    if not np.isfinite(factor) or abs(factor - 1.0) <= 1e-9:
        return rows
    older = store.frame(ticker, end=pd.Timestamp(day).date() - dt.timedelta(days=1))
    if older.empty:
        return rows
    log.info("%s: adjustment factor moved by %.6f since %s; rescaling %d older adjusted closes",
             ticker, factor, pd.Timestamp(day).date(), len(older))
    earlier = pd.DataFrame({
        "date": older.index.to_numpy().astype("datetime64[D]"),
        "close": older["close"].to_numpy(),
        "adj_close": older["adj_close"].to_numpy() * factor,
    })
    return pd.concat([earlier, rows], ignore_index=True)


def refresh_ticker(store: Store, ticker: str, *, settings: yahoo.YahooSettings | None = None,
                   session: Any = None, sleep: Callable[[float], Any] = time.sleep,
                   on_written: Callable[[], Any] | None = None) -> TickerResult:
    """Refresh one ticker (already a valid symbol); never raises for a fault.
    ``on_written`` is handed to :meth:`Store.write` (called inside the transaction,
    before COMMIT; tests use it to kill the process there)."""
    began = time.perf_counter()
    result = TickerResult(ticker, ok=False)
    try:
        settings = settings or yahoo.YahooSettings.from_env()
        session = session if session is not None else yahoo.new_session(settings)
        last = store.last_date(ticker)
        start = None if last is None else last - dt.timedelta(days=OVERLAP_DAYS)
        fetched = None
        for attempt in range(1, settings.retries + 2):
            result.attempts = attempt
            try:
                fetched = yahoo.fetch_history(ticker, start, settings=settings, session=session)
                break
            except yahoo.YahooFetchError as exc:
                if not exc.retryable or attempt > settings.retries:
                    if attempt > 1:
                        exc.message += f" (gave up after {attempt} attempts)"
                        exc.args = (exc.message,)
                    raise
                wait = settings.wait(attempt)
                log.info("%s: %s; retry %d in %.2f s", ticker, exc.message, attempt, wait)
                sleep(wait)
        assert fetched is not None
        result.requests = fetched.requests
        result.nbytes = fetched.nbytes
        rows = _rows_to_write(store, ticker, fetched.rows)
        if rows.empty:
            result.ok = True
            result.last_date = last
            result.message = "no new rows"
        else:
            written = store.write(ticker, rows, SOURCE, on_written=on_written)
            result.ok = True
            result.added = written.added
            result.revised = len(written.revised)
            tolerance = revision_tolerance()
            result.revisions = [(d, o, n) for d, o, n in written.revised
                                if abs(n - o) > tolerance * max(abs(o), 1e-12)]
            result.last_date = store.last_date(ticker)
            result.message = f"{written.added} row(s) added"
            if written.revised:
                result.message += f", {len(written.revised)} close(s) revised"
            for day, old, new in result.revisions:
                log.warning("%s: Yahoo revised the close of %s from %.6g to %.6g (%+.2f%%)",
                            ticker, day, old, new, (new / old - 1) * 100)
            if result.revisions:
                day, old, new = result.revisions[0]
                result.message += (f"; {len(result.revisions)} beyond {tolerance:.2%} "
                                   f"(e.g. {day} {old:.6g} -> {new:.6g})")
    except yahoo.YahooFetchError as exc:
        result.kind = exc.kind
        result.message = exc.message
    except SmallcapError as exc:
        result.kind = "store" if type(exc).__name__ == "StoreError" else "payload"
        result.message = exc.message
    except Exception as exc:  # an unexpected bug in a source must not stop other tickers
        result.kind = "error"
        first = (str(exc).strip().splitlines() or [""])[0]
        result.message = f"{ticker}: unexpected {type(exc).__name__}: {first}"
    result.seconds = time.perf_counter() - began
    prefix = f"{ticker}: "
    if result.message.startswith(prefix):  # the ticker is a field of its own
        result.message = result.message[len(prefix):]
    if not result.ok:
        if result.last_date is None:
            try:
                result.last_date = store.last_date(ticker)
            except SmallcapError:
                pass
        try:
            store.log_failure(ticker, SOURCE, result.message)
        except SmallcapError:
            pass
        log.warning("%s: %s", ticker, result.message)
    return result


# -- the refresh ------------------------------------------------------------------------------


class _RichProgress:
    """A rich progress bar, one step per ticker, with the current ticker's name."""

    def __init__(self, total: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.progress = Progress(TextColumn("[bold]{task.description:<8}"), BarColumn(),
                                 MofNCompleteColumn(), TextColumn("{task.fields[note]}"),
                                 transient=False)
        self.task = self.progress.add_task("refresh", total=total, note="")

    def __enter__(self) -> _RichProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def start(self, ticker: str) -> None:
        self.progress.update(self.task, description=ticker, note="fetching ...")

    def done(self, result: TickerResult) -> None:
        note = (f"+{result.added} to {result.last_date}" if result.ok
                else f"[red]failed[/red] ({result.kind})")
        self.progress.update(self.task, advance=1, note=note)


def refresh(tickers: Iterable[str] | str | None = None, *, store: Store | None = None,
            progress: Progress | None = None, show_progress: bool = False,
            on_written: Callable[[], Any] | None = None) -> RefreshReport:
    """Refresh ``tickers`` (default :func:`default_tickers`) from Yahoo Finance into the
    store (default: the store of this process, :func:`smallcap.store.open_store`).

    ``progress(ticker, index, total)`` is called before each ticker (index from 0), e.g.
    for Excel's status bar; ``show_progress`` draws a rich progress bar on the terminal;
    ``on_written`` goes to each write (see :func:`refresh_ticker`).
    Never raises for a per-ticker fault: see each :class:`TickerResult`."""
    began = time.perf_counter()
    if tickers is None:
        asked = list(default_tickers())
    elif isinstance(tickers, str):
        asked = [t for t in tickers.replace(";", ",").split(",") if t.strip()]
    else:
        asked = list(tickers)
    store = store if store is not None else open_store()
    settings = yahoo.YahooSettings.from_env()
    session = None
    results: list[TickerResult] = []
    bar = _RichProgress(len(asked)) if show_progress else None
    try:
        if bar is not None:
            bar.__enter__()
        for index, raw in enumerate(asked):
            try:
                ticker, bad = params.ticker(raw), None
            except SmallcapError as exc:
                ticker, bad = str(raw), exc.message
            if progress is not None:
                progress(ticker, index, len(asked))
            if bar is not None:
                bar.start(ticker)
            if bad is not None:  # refused before any request; not logged in the store
                result = TickerResult(ticker, ok=False, kind="bad_ticker", message=bad)
            else:
                if session is None:
                    session = yahoo.new_session(settings)
                result = refresh_ticker(store, ticker, settings=settings, session=session,
                                        on_written=on_written)
            results.append(result)
            if bar is not None:
                bar.done(result)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
        if session is not None:
            try:
                session.close()
            except Exception:  # closing a curl session is best effort
                pass
    return RefreshReport(results, time.perf_counter() - began)
