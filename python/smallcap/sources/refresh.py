"""Incremental refresh of the store from Yahoo Finance.

``refresh(tickers)`` fetches, for each ticker, only what the store lacks: from the last
stored date minus :data:`OVERLAP_DAYS` calendar days (to catch revised closes), or the
whole history for a ticker not stored yet. Each ticker is written in ONE transaction
(:meth:`smallcap.store.Store.write`): a fault of any kind (no network, HTTP 429 after
bounded retries, 5xx, timeout, malformed JSON, unknown symbol, NaN closes, duplicate
days, implausible rows, a process killed mid-write) leaves that ticker's rows exactly as
they were, is recorded in the store's refresh log with a one-line message, and the
refresh goes on with the other tickers. ``refresh`` never raises for a per-ticker fault.

Implausible rows (:mod:`smallcap.analytics.plausible`, kind ``implausible``): a close that
is not a number > 0; more than 5 stored closes revised beyond the tolerance, or one moved
by more than 20%; an adjusted-close rescale outside 0.5 to 1.5; every overlapping close
moved by one ratio that no split Yahoo reports explains.

Splits (:mod:`smallcap.analytics.revisions` decides what a revision means, for splits and
dividends alike): Yahoo serves closes split-adjusted, so after a split every close before
it comes back divided by the split's ratio. When Yahoo reports a split after the last day
whose splits the ticker's rows are known to reflect (:func:`checked_through`: recorded as
``splits checked through YYYY-MM-DD`` in the refresh-log message of every Yahoo write), or
every overlapping close moved by the ratio of a reported split, the refresh fetches the
ticker's whole history again and replaces the stored rows with it in ONE transaction, after
:func:`revisions.judge_history` allows it (what the splits do not explain stays within the
same limits). The request starts at that recorded day when it is older than the
incremental window, so a split the window no longer shows is still seen. ``full=True``
(``smallcap refresh --full``) replaces the whole history on demand, after the same checks.

Settings (:mod:`smallcap.settings`): ``SMALLCAP_TICKERS`` (comma-separated default set),
``SMALLCAP_REVISION_TOLERANCE`` (relative change of a stored close above which a
revision is logged as a warning and counts against the limit, default 0.001), and the
``SMALLCAP_YAHOO_*`` settings of :mod:`smallcap.sources.yahoo`.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import params
from ..analytics import plausible, revisions
from ..errors import BadArgument, ImplausibleData, SmallcapError
from ..settings import default_tickers, redact_url, revision_tolerance
from ..store import Store, open_store
from . import yahoo, yahoo_answer
from .progress import RichProgress

log = logging.getLogger(__name__)

OVERLAP_DAYS = 7  # calendar days re-fetched before the last stored date (~5 trading days)
CHECKED = "splits checked through "  # + ISO day: in the refresh-log message of a Yahoo write
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
    kind: str = ""  # failure kind: offline, timeout, rate_limit, http, payload, no_data,
    # implausible (rows refused by smallcap.analytics.plausible), store, error, bad_ticker
    attempts: int = 0
    requests: int = 0
    nbytes: int = 0
    revisions: list[tuple[dt.date, float, float]] = field(default_factory=list)
    replaced: int = 0  # stored rows replaced by the whole history (a split, or --full)
    removed: int = 0  # stored rows the whole history lacks (deleted by the replace)
    touched: tuple[dt.date, dt.date] | None = None  # first and last day whose row changed
    splits: list[revisions.Split] = field(default_factory=list)  # that explained it
    note: str = ""  # the one line saying so (``split on ... : whole history re-fetched, ...``)
    skipped: list[tuple[dt.date, str]] = field(default_factory=list)  # bars with no close

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

    def revision_lines(self) -> list[str]:
        """One line per ticker whose stored closes this refresh revised beyond the tolerance
        (revisions within the limits, so accepted): ``^RUT: 2 close(s) revised beyond 0.1%,
        first 2026-01-26: 2659.67 -> 2686.27 (+1.0%)``; and one per ticker whose whole
        history replaced the stored one: ``IWM: split on 2026-02-09 (2:1): whole history
        re-fetched, 6449 row(s) replaced, 10 added``. For the command line to print
        without ``-v``."""
        tolerance = plausible.percent(revision_tolerance())
        lines = []
        for r in self.results:
            if r.ok and r.note:
                lines.append(f"{r.ticker}: {r.note}")
            elif r.ok and r.revisions:
                day, old, new = r.revisions[0]
                lines.append(f"{r.ticker}: {len(r.revisions)} close(s) revised beyond "
                             f"{tolerance}, first {day}: {old:.6g} -> {new:.6g} "
                             f"({new / old - 1:+.1%})")
        return lines

    def summary(self) -> str:
        """One line: tickers refreshed, rows added, revised and removed, last date, the first
        and last day whose stored row changed, time taken."""
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
        replaced = sum(r.replaced for r in good)
        if replaced:
            text += (f", {replaced} replaced (whole history of "
                     f"{', '.join(r.ticker for r in good if r.replaced)})")
        removed = sum(r.removed for r in good)
        text += f", {removed} removed" if removed else ""
        if last is not None:
            text += f", last date {last.isoformat()}"
        touched = [r.touched for r in good if r.touched]
        if touched:
            text += (f", rows changed {min(t[0] for t in touched)} to "
                     f"{max(t[1] for t in touched)}")
        text += "".join(f"; {r.ticker}: {yahoo_answer.describe(r.skipped)}"
                        for r in good if r.skipped)  # counted and dated, never silent
        failed = self.failed
        if failed:
            text += f"; failed: {', '.join(r.ticker for r in failed)}"
        return f"{text} ({took})"

    def __str__(self) -> str:
        return self.summary()


# -- one ticker -----------------------------------------------------------------------------


def checked_through(store: Store, ticker: str) -> dt.date | None:
    """The last day whose splits ``ticker``'s stored rows are known to reflect: the date
    after :data:`CHECKED` in the refresh log of the newest Yahoo write of this smallcap,
    else the last date of a whole history an older smallcap fetched; None when the ticker
    was never fetched whole from Yahoo (loaded from CSV): then only the incremental window's
    splits are seen, and ``smallcap refresh --full TICKER`` checks the rest."""
    logged = store.last_logged(ticker, SOURCE, CHECKED)
    if logged is None:
        return None
    message, last_date = logged
    found = re.search(re.escape(CHECKED) + r"(\d{4}-\d{2}-\d{2})", message)
    try:
        return dt.date.fromisoformat(found.group(1) if found else last_date)
    except (TypeError, ValueError):
        return None


def _checked_note(fetched: yahoo.Fetched) -> str:
    """The refresh-log note of a write of ``fetched``: splits are checked up to its last day
    (or the day of a later split it reports)."""
    days = [pd.Timestamp(fetched.rows["date"].iloc[-1]).date()] if len(fetched.rows) else []
    days += [s.day for s in fetched.splits]
    note = f"{CHECKED}{max(days).isoformat()}" if days else ""
    return "; ".join(filter(None, [note, fetched.closeless and yahoo_answer.describe(
        fetched.closeless)]))


def _rows_to_write(store: Store, ticker: str, rows: pd.DataFrame,
                   meaning: revisions.Meaning) -> pd.DataFrame:
    """The fetched rows, plus, for a ``rescale`` (Yahoo's adjustment factor moved since we
    stored the overlap: a dividend went ex in a fund), every older stored row with its
    adjusted close rescaled by the same factor, so the adjusted series stays one consistent
    chain. (The factor was checked by :func:`revisions.judge_overlap`.)"""
    if meaning.kind != "rescale" or meaning.day is None:
        return rows
    older = store.frame(ticker, end=meaning.day - dt.timedelta(days=1))
    if older.empty:
        return rows
    earlier = pd.DataFrame({
        "date": older.index.to_numpy().astype("datetime64[D]"),
        "close": older["close"].to_numpy(),
        "adj_close": older["adj_close"].to_numpy() * meaning.factor,
    })
    return pd.concat([earlier, rows], ignore_index=True)


def _fetch(ticker: str, start: dt.date | None, settings: yahoo.YahooSettings, session: Any,
           sleep: Callable[[float], Any], result: TickerResult) -> yahoo.Fetched:
    """One history request, retried after a 429, a 5xx or a timeout (bounded)."""
    for attempt in range(1, settings.retries + 2):
        result.attempts += 1
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
    result.requests += fetched.requests
    result.nbytes += fetched.nbytes
    return fetched


def _replace(store: Store, ticker: str, fetched: yahoo.Fetched, checked: dt.date | None,
             limits: plausible.Limits, reported: tuple[revisions.Split, ...],
             result: TickerResult, on_written: Callable[[], Any] | None) -> None:
    """Replace every stored row of ``ticker`` by the whole history ``fetched``, in one
    transaction, after :func:`revisions.judge_history` (inside it) allows it. ``reported``:
    the splits that made the refresh fetch it again (none for ``--full``)."""
    seen: dict[str, Any] = {}

    def check(stored: pd.DataFrame) -> str | None:
        meaning = revisions.judge_history(ticker, stored, fetched.rows, fetched.splits,
                                          checked, limits)
        days = stored.index.to_numpy().astype("datetime64[D]")
        seen.update(meaning=meaning, replaced=len(stored),
                    added=int((~np.isin(fetched.rows["date"].to_numpy(), days)).sum()))
        return revisions.describe(meaning.splits) if meaning.splits else None

    written = store.write(ticker, fetched.rows, SOURCE, limits=limits, replace=True,
                          check=check, note=f"whole history re-fetched; {_checked_note(fetched)}",
                          on_written=on_written)
    meaning: revisions.Meaning = seen["meaning"]
    splits = meaning.splits or reported
    line = f"{revisions.describe(splits)}: " if splits else ""
    line += "whole history re-fetched" + ("" if splits else " (--full)")
    line += f", {seen['replaced']} row(s) replaced"
    line += f", {seen['added']} added" if seen["added"] else ""
    line += f", {written.removed} removed" if written.removed else ""
    if meaning.revised:
        line += (f", {meaning.revised} close(s) revised beyond "
                 f"{plausible.percent(limits.tolerance)}")
    result.ok = True
    result.added, result.removed, result.touched = seen["added"], written.removed, written.touched
    result.replaced = seen["replaced"]
    result.revised = meaning.revised
    result.splits = list(splits)
    result.note = result.message = line
    result.last_date = store.last_date(ticker)
    log.warning("%s: %s", ticker, line)


def refresh_ticker(store: Store, ticker: str, *, settings: yahoo.YahooSettings | None = None,
                   session: Any = None, sleep: Callable[[float], Any] = time.sleep,
                   on_written: Callable[[], Any] | None = None,
                   full: bool = False) -> TickerResult:
    """Refresh one ticker (already a valid symbol); never raises for a fault.
    ``full`` fetches the whole history and replaces the stored one (after the same checks).
    ``on_written`` is handed to :meth:`Store.write` (called inside the transaction,
    before COMMIT; tests use it to kill the process there)."""
    began = time.perf_counter()
    result = TickerResult(ticker, ok=False)
    try:
        settings = settings or yahoo.YahooSettings.from_env()
        session = session if session is not None else yahoo.new_session(settings)
        last = store.last_date(ticker)
        checked = None if last is None else checked_through(store, ticker)
        start = None
        if last is not None and not full:
            start = last - dt.timedelta(days=OVERLAP_DAYS)
            if checked is not None and checked < start:  # rows since then: splits unchecked
                start = checked
        fetched = _fetch(ticker, start, settings, session, sleep, result)
        limits = plausible.Limits.from_settings(remedy=(
            f"the stored rows are kept (to take Yahoo's: smallcap load-csv {ticker} FILE "
            "--replace)"))
        rows = fetched.rows
        meaning = revisions.PLAIN
        if start is not None and not rows.empty:
            overlap = store.frame(ticker, start=pd.Timestamp(rows["date"].iloc[0]).date(),
                                  end=pd.Timestamp(rows["date"].iloc[-1]).date())
            meaning = revisions.judge_overlap(ticker, overlap, rows, fetched.splits, checked,
                                              limits)
        if last is not None and (start is None or meaning.kind == "split"):
            if start is not None:
                log.info("%s: Yahoo reports a %s: fetching the whole history again", ticker,
                         revisions.describe(meaning.splits))
                fetched = _fetch(ticker, None, settings, session, sleep, result)
            _replace(store, ticker, fetched, checked, limits, meaning.splits, result,
                     on_written)
        elif rows.empty:
            result.ok = True
            result.last_date = last
            result.message = "no new rows"
        else:
            rows = _rows_to_write(store, ticker, rows, meaning)
            result.note = revisions.rescale_note(meaning)  # said, printed and logged
            written = store.write(ticker, rows, SOURCE, limits=limits, on_written=on_written,
                                  note="; ".join(filter(None, (_checked_note(fetched),
                                                               result.note))))
            result.ok = True
            result.added, result.touched = written.added, written.touched
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
                result.message += (f"; {len(result.revisions)} beyond "
                                   f"{plausible.percent(tolerance)} (e.g. {day} {old:.6g} -> "
                                   f"{new:.6g})")
        if fetched.closeless:  # yfinance drops such bars without a word: count and date them
            result.skipped = fetched.closeless
            result.message += f"; {yahoo_answer.describe(fetched.closeless)}"
    except yahoo.YahooFetchError as exc:
        result.kind = exc.kind
        hint = params.caret_hint(ticker) if exc.kind == "no_data" else ""
        result.message = f"{exc.message}; {hint}" if hint else exc.message
    except ImplausibleData as exc:
        result.kind = "implausible"
        result.message = exc.message
    except SmallcapError as exc:
        result.kind = "store" if type(exc).__name__ == "StoreError" else "payload"
        result.message = redact_url(exc.message)
    except Exception as exc:  # an unexpected bug in a source must not stop other tickers
        result.kind = "error"
        first = (str(exc).strip().splitlines() or [""])[0]
        result.message = redact_url(f"{ticker}: unexpected {type(exc).__name__}: {first}")
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


def refresh(tickers: Iterable[str] | str | None = None, *, store: Store | str | None = None,
            progress: Progress | None = None, show_progress: bool = False,
            on_written: Callable[[], Any] | None = None, full: bool = False) -> RefreshReport:
    """Refresh ``tickers`` (default :func:`default_tickers`) from Yahoo Finance into the
    store (default: the store of this process, :func:`smallcap.store.open_store`).

    ``progress(ticker, index, total)`` is called before each ticker (index from 0), e.g.
    for Excel's status bar; ``show_progress`` draws a rich progress bar on the terminal;
    ``on_written`` goes to each write (see :func:`refresh_ticker`); ``full`` fetches each
    ticker's whole history and replaces the stored one, after the same checks.
    Never raises for a per-ticker fault: see each :class:`TickerResult`."""
    began = time.perf_counter()
    full, show_progress = params.flag(full, "full"), params.flag(show_progress, "show_progress")
    if tickers is None:
        asked = list(default_tickers())
    elif isinstance(tickers, str):
        asked = [t for t in tickers.replace(";", ",").split(",") if t.strip()]
    elif isinstance(tickers, Iterable) and not isinstance(tickers, bytes | bytearray):
        asked = list(tickers)
    else:
        raise BadArgument("tickers", f"expected a list of tickers such as ['^RUT', 'IWM'], "
                          f"got {type(tickers).__name__}")
    store = store if isinstance(store, Store) else open_store(store)
    settings = yahoo.YahooSettings.from_env()
    session = None
    results: list[TickerResult] = []
    bar = RichProgress(len(asked)) if show_progress else None
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
                                        on_written=on_written, full=full)
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
