"""The story of the July 2024 small-cap note for one day, as rows of (label, figure, how).

An adapter: every figure comes from :mod:`smallcap.api`; this module only picks the
questions and words the answers. As of means as of: every figure for a day uses only
closes on or before that day (a streak whose ten weeks are not over is *pending*). A
question that cannot be answered (a ticker not in the store) becomes a row whose figure is
the error text, so one gap never hides the rest of the story.

On the note's own day (2024-07-16, ^RUT against ^GSPC) the first column quotes what the
note said; on any other day it says what the figure beside it is.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from . import analytics, api, frames, params
from .errors import NoAnswer, SmallcapError
from .settings import (
    DEFAULT_LARGE,
    DEFAULT_RATE,
    DEFAULT_SINCE,
    DEFAULT_TICKER,
    SUMMARY_COUNT,
    SUMMARY_MEDIAN,
)
from .store import Store

NOTE_DAY = dt.date(2024, 7, 16)
NOTE_THRESHOLD = 0.01
NOTE_LENGTH = 5
NOTE_SINCE = DEFAULT_SINCE
NOTE_HORIZON = 50  # trading days, about ten weeks
NOTE_TARGET = 0.40  # "as high as 40%"
NOTE_WINDOW = "1M"
BETA_WINDOW = 252
MAX_SIGNALS_LISTED = 5


@dataclass(frozen=True)
class Claim:
    """One line of the story: what the figure is, the figure, how we got it, and (on the
    note day) what the note said."""

    label: str
    figure: str
    detail: str = ""
    said: str = ""
    ok: bool = True


@dataclass(frozen=True)
class Story:
    """The story for one day: the claims, lines to read before them (``notices``: the day
    asked about was not a trading day, or after the last stored one) and after them
    (``caveats``)."""

    day: dt.date
    claims: list[Claim]
    notices: list[str] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    note: bool = False  # the note's own day and tickers: the note's words are shown

    def claim(self, start: str) -> Claim:
        """The claim whose label starts with ``start``."""
        return next(c for c in self.claims if c.label.startswith(start))


def pct(value: float | None) -> str:
    """A fraction as a signed percentage with two decimals ("+3.50%"); "—" when missing."""
    return "—" if value is None or math.isnan(value) else f"{value:+.2%}"


def _ask(label: str, said: str, compute: Callable[[], tuple[str, str]]) -> Claim:
    try:
        figure, detail = compute()
        return Claim(label, figure, detail, said)
    except SmallcapError as exc:  # the code as the figure, the message where text wraps
        return Claim(label, exc.excel_code, exc.message, said, ok=False)


def story(
    as_of: object = None,
    *,
    small: str = DEFAULT_TICKER,
    large: str = DEFAULT_LARGE,
    rate: str = DEFAULT_RATE,
    store: Store | None = None,
) -> Story:
    """The note's claims checked for ``as_of`` (default: the latest stored day of
    ``small``; a later day means that one, and the story says so)."""
    chosen = store or api.current_store()
    small, large = params.ticker(small, "small"), params.ticker(large, "large")
    rate = params.ticker(rate, "rate")
    history = chosen.history(small)
    asked = params.optional_date(as_of, "as_of")
    day = params.to_date(history.dates[history.locate(asked)])
    last = params.to_date(history.dates[-1])
    first = params.to_date(history.dates[0])
    notices = []
    if asked is not None and params.to_date(asked) > last:
        notices.append(f"{params.to_date(asked)} is after the last stored {small} day: "
                       f"this is the story on {last}, the latest.")
    elif asked is not None and params.to_date(asked) != day:
        notices.append(f"{params.to_date(asked)} is not a {small} trading day: this is the "
                       f"story on {day}, the last one before it.")
    kw = {"store": chosen}
    note = day == NOTE_DAY and small == DEFAULT_TICKER and large == DEFAULT_LARGE
    pair = f"{small} vs {large}"

    def move() -> tuple[str, str]:
        change = api.window_return(small, 1, day, **kw)
        return pct(change), f"close {api.price(small, day, **kw):,.2f}"

    def high() -> tuple[str, str]:
        try:
            since = api.highest_since(small, day, **kw)
        except NoAnswer:
            return "all-time high", "no earlier close was as high"
        return since.isoformat(), "the last earlier close at or above this one"

    def streak() -> tuple[str, str]:
        days = api.streak_length(NOTE_THRESHOLD, small, day, **kw)
        if not days:
            return "0 days", f"the day's move was not above {NOTE_THRESHOLD:.0%}"
        started = api.price_history(small, None, day, **kw).index[-days].date()
        return f"{days} day{'s' if days != 1 else ''}", f"since {started}"

    def episodes() -> tuple[str, str]:
        table = api.streak_episodes(NOTE_LENGTH, NOTE_THRESHOLD, small, NOTE_SINCE, day, **kw)
        signals = [d.date().isoformat() for d in table.index]
        if not signals:
            return "0", "none"
        if len(signals) > MAX_SIGNALS_LISTED:
            return f"{len(signals)}", f"signals {signals[0]} … {signals[-1]}"
        return f"{len(signals)}", "signals " + ", ".join(signals)

    def month() -> tuple[str, str]:
        row = api.rotation_series(NOTE_WINDOW, small, large, day, day, **kw).iloc[0]
        start, days = month_start(chosen, small, large, day)
        return f"{pct(row['small_return'])} vs {pct(row['large_return'])}", (
            f"calendar month: from the close of {start} ({days} trading days)")

    def spread() -> tuple[str, str]:
        value = api.rotation_spread(NOTE_WINDOW, small, large, day, **kw)
        share = api.spread_percentile(NOTE_WINDOW, small, large, day, NOTE_SINCE, **kw)
        series = api.rotation_series(NOTE_WINDOW, small, large, NOTE_SINCE, day, **kw)
        return f"{value * 100:+.2f} pp", (
            f"at or above {share:.1%} of the {len(series):,} one-month spreads since "
            f"{series.index[0].date()}")

    def ratio() -> tuple[str, str]:
        try:  # the ratio's rule is the API's (analytics.ratio_reading), as in every host
            value = api.rotation_ratio(NOTE_WINDOW, small, large, day, **kw)
        except NoAnswer:  # the cell's #N/A, its words without the returns shown above
            row = api.rotation_series(NOTE_WINDOW, small, large, day, day, **kw).iloc[0]
            reading = analytics.ratio_reading(row["small_return"], row["large_return"])
            if reading is None:
                raise
            return "#N/A", ": ".join(reading)
        return f"{value:.2f}x", f"{small}'s gain over {large}'s"

    forward: dict[str, Any] = {}

    def table() -> Any:
        if "table" not in forward:
            forward["table"] = api.forward_returns(NOTE_HORIZON, NOTE_LENGTH, NOTE_THRESHOLD,
                                                   small, large, NOTE_SINCE, day, **kw)
        return forward["table"]

    def peaks() -> tuple[str, str]:
        rows = table()
        done = rows[rows["peak_gain"].notna()]
        if not len(done):
            return "—", f"no streak's {NOTE_HORIZON} trading days were over by {day}"
        summary = frames.summary(rows)
        best = done.loc[done["peak_gain"].idxmax()]
        reached = int((done["peak_gain"] >= NOTE_TARGET).sum())
        return f"{pct(summary.loc[SUMMARY_MEDIAN, 'peak_gain'])} median", (
            f"best {pct(best['peak_gain'])} ({best.name.date()}); {reached} of {len(done)} "
            f"reached {NOTE_TARGET:.0%}")

    def day50() -> tuple[str, str]:
        rows = table()
        summary = frames.summary(rows)
        count = int(summary.loc[SUMMARY_COUNT, "small_return"])
        if not count:
            return "—", f"no streak's {NOTE_HORIZON} trading days were over by {day}"
        positive = int((rows["small_return"] > 0).sum())
        return f"{pct(summary.loc[SUMMARY_MEDIAN, 'small_return'])} median", (
            f"{count} complete streak{'s' if count != 1 else ''}, {positive} up; {large} "
            f"median {pct(summary.loc[SUMMARY_MEDIAN, 'large_return'])}")

    claims = [
        _ask(f"{small}'s move on the day", f"{small} jumped 3.5%", move),
        _ask(f"{small}'s highest close since", "highest close since January 2022", high),
        _ask(f"Days in a row up more than {NOTE_THRESHOLD:.0%}",
             "a five-day streak of gains above 1%", streak),
        _ask(f"{NOTE_LENGTH}-day streaks of >{NOTE_THRESHOLD:.0%} gains since "
             f"{NOTE_SINCE[:4]}", "the fifth such streak since 1979", episodes),
        _ask(f"One-month return, {pair}", "up 12.8% in a month", month),
        _ask(f"One-month spread, {small} − {large}", "", spread),
        _ask(f"One-month ratio, {small} / {large}", "triple the S&P 500", ratio),
        _ask(f"{small}'s peak within {NOTE_HORIZON} days after a streak",
             "the move should last ~10 weeks and reach up to 40%", peaks),
        _ask(f"{small}'s return on day {NOTE_HORIZON} after a streak", "", day50),
    ]
    try:
        claims.append(_after(table(), day))
    except SmallcapError as exc:
        claims.append(Claim("After the last streak", exc.excel_code, exc.message, ok=False))
    claims.append(_ask(f"Rate beta, {small} on {rate}", "small caps are rate-sensitive",
                       lambda: _beta(chosen, small, rate, day)))
    return Story(day, [c for c in claims if c is not None], notices,
                 _caveats(chosen, small, first, day, note), note)


def _after(table: Any, day: dt.date) -> Claim | None:
    """What followed the note's streak (or, before the note, the last streak) as known on
    ``day``: pending until its horizon is over."""
    rows = table
    if not len(rows):
        return None
    signals = [d.date() for d in rows.index]
    row = rows.iloc[signals.index(NOTE_DAY) if NOTE_DAY in signals else -1]
    signal = row.name.date()
    label = f"After the {signal} streak"
    if pd.isna(row["small_return"]):
        return Claim(label, "pending", f"its {NOTE_HORIZON} trading days are not over by "
                     f"{day}: unknown that day")
    if row["peak_gain"] < 0:
        peak = (f"never above its signal close (peak {pct(row['peak_gain'])}, day "
                f"{int(row['peak_day'])})")
    else:
        peak = f"peak {pct(row['peak_gain'])} on day {int(row['peak_day'])}"
    return Claim(label, f"{pct(row['small_return'])} on day {NOTE_HORIZON}",
                 f"{peak}; drawdown {pct(row['drawdown'])}")


def _beta(store: Store, small: str, rate: str, day: dt.date) -> tuple[str, str]:
    value = api.rate_beta(BETA_WINDOW, small, rate, day, store=store)
    rate_day = api.price_history(rate, None, day, store=store).index[-1].date()
    to = f" (to {rate_day})" if rate_day < day else ""
    return f"{value:.3f}", (f"daily {small} return per +1 pp of {rate} over {BETA_WINDOW} "
                            f"days{to}")


def month_start(store: Store, small: str, large: str, day: dt.date) -> tuple[dt.date, int]:
    """The close a one-month window ending on ``day`` starts from (the last common date on
    or before the same calendar day a month earlier) and the trading days it spans."""
    from .analytics.windows import calendar_anchor

    anchor = calendar_anchor(day, NOTE_WINDOW)
    tables = [api.price_history(t, anchor - dt.timedelta(days=31), day, store=store)
              for t in (small, large)]
    common = sorted(set(tables[0].index.date) & set(tables[1].index.date))
    start = max(d for d in common if d <= anchor)
    return start, sum(1 for d in common if start < d <= day)


def _caveats(store: Store, small: str, first: dt.date, day: dt.date, note: bool) -> list[str]:
    """The two caveats: how far back the store's history goes, and what "one month" is."""
    found = []
    if first > dt.date.fromisoformat(NOTE_SINCE):
        found.append(f'"Since {NOTE_SINCE[:4]}": the store\'s {small} history starts {first}, '
                     "so streaks before then are not counted"
                     + ("; the count still comes to five, as the note's source says."
                        if note else "."))
    try:
        days21 = api.window_return(small, 21, day, store=store)
        found.append(f'"One month" is a calendar month: over 21 trading days {small} '
                     f"returned {pct(days21)}.")
    except SmallcapError:
        pass
    return found


# -- printing ---------------------------------------------------------------------------------


def table(told: Story) -> Any:
    """The story as a rich Table: numbers right-aligned, at most three lines a row at 80
    columns (a question without an answer shows its error code as the figure, and why
    under How, which wraps: such a row may take more lines)."""
    from rich import box
    from rich.table import Table

    grid = Table(title=f"The small-cap story on {told.day:%A %Y-%m-%d}", show_lines=True,
                 box=box.SQUARE, title_justify="left")
    grid.add_column("The note said" if told.note else "Question", ratio=5, min_width=16)
    grid.add_column("We find", justify="right", style="bold", no_wrap=True)
    grid.add_column("How", ratio=8, min_width=20)
    for claim in told.claims:
        first = claim.said if told.note and claim.said else claim.label
        if told.note and not claim.said:
            first = f"[italic]{first}[/italic]"
        grid.add_row(first, claim.figure if claim.ok else f"[red]{claim.figure}[/red]",
                     claim.detail)
    return grid


def print_story(told: Story, console: Any) -> None:
    """Notices, the table, then the caveats."""
    for line in told.notices:
        console.print(f"[yellow]{line}[/yellow]")
    console.print(table(told))
    for line in told.caveats:
        console.print(f"• {line}")


def justify(values: list[Any]) -> str:
    """How a terminal table aligns a column of ``values``: "right" when every value shown
    is a number or a date (blanks aside), else "left"."""
    shown = [v for v in values if v is not None and (isinstance(v, str) or v == v)]
    numeric = all(not isinstance(v, bool | str) and (isinstance(v, int | float | dt.date)
                                                      or hasattr(v, "dtype")) for v in shown)
    return "right" if shown and numeric else "left"
