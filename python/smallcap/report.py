"""The story of SPEC.md for one day, as rows of (claim, figure, detail).

An adapter: every figure comes from :mod:`smallcap.api`; this module only picks the
questions and formats the answers. A question that cannot be answered (a ticker not
in the store) becomes a row whose figure is the error text, so one gap never hides
the rest of the story.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

from . import api, params
from .errors import SmallcapError
from .settings import (
    DEFAULT_LARGE,
    DEFAULT_RATE,
    DEFAULT_SINCE,
    DEFAULT_TICKER,
    SUMMARY_COUNT,
    SUMMARY_MEDIAN,
    SUMMARY_ROWS,
    SUMMARY_SHARE_POSITIVE,
)
from .store import Store

NOTE_THRESHOLD = 0.01
NOTE_LENGTH = 5
NOTE_SINCE = DEFAULT_SINCE
NOTE_HORIZON = 50  # trading days, about ten weeks
NOTE_TARGET = 0.40  # "as much as 40%"


@dataclass(frozen=True)
class Claim:
    """One line of the story: what the note said, our figure, and how we got it."""

    claim: str
    figure: str
    detail: str
    ok: bool = True


def _pct(value: float) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:+.2%}"


def _ask(claim: str, compute: Callable[[], tuple[str, str]]) -> Claim:
    try:
        figure, detail = compute()
        return Claim(claim, figure, detail)
    except SmallcapError as exc:
        return Claim(claim, exc.cell_text(), "", ok=False)


def story(
    as_of: object = None,
    *,
    small: str = DEFAULT_TICKER,
    large: str = DEFAULT_LARGE,
    rate: str = DEFAULT_RATE,
    store: Store | None = None,
) -> tuple[dt.date, list[Claim]]:
    """The note's claims checked for ``as_of`` (default: the latest stored day of ``small``)."""
    chosen = store or api.current_store()
    history = chosen.history(params.ticker(small, "small"))
    day = params.to_date(history.dates[history.locate(params.optional_date(as_of, "as_of"))])
    kw = {"store": chosen}

    def move() -> tuple[str, str]:
        change = api.window_return(small, 1, day, **kw)
        return _pct(change), f"{small} closed at {api.price(small, day, **kw):,.2f} on {day}"

    def high() -> tuple[str, str]:
        since = api.highest_since(small, day, **kw)
        return since.isoformat(), f"last close at or above {day}'s close"

    def streak() -> tuple[str, str]:
        days = api.streak_length(NOTE_THRESHOLD, small, day, **kw)
        return f"{days} days", f"consecutive daily gains above {NOTE_THRESHOLD:.0%}"

    def episodes() -> tuple[str, str]:
        table = api.streak_episodes(NOTE_LENGTH, NOTE_THRESHOLD, small, NOTE_SINCE, day, **kw)
        first = params.to_date(history.dates[0])
        signals = ", ".join(d.isoformat() for d in table["signal"])
        coverage = (
            f"; the store's {small} history starts {first}, so runs before then are not counted"
            if first > dt.date.fromisoformat(NOTE_SINCE)
            else ""
        )
        return (
            f"{len(table)}",
            f"runs of {NOTE_LENGTH}+ days above {NOTE_THRESHOLD:.0%} since {NOTE_SINCE[:4]}, "
            f"counted on the day they reach {NOTE_LENGTH}: {signals or 'none'}{coverage}",
        )

    def rotation() -> tuple[str, str]:
        small_return = api.window_return(small, "1M", day, **kw)
        large_return = api.window_return(large, "1M", day, **kw)
        spread = api.rotation_spread("1M", small, large, day, **kw)
        return _pct(spread), (
            f"one calendar month: {small} {_pct(small_return)} vs {large} {_pct(large_return)} "
            "(common dates)"
        )

    def ratio() -> tuple[str, str]:
        value = api.rotation_ratio("1M", small, large, day, **kw)
        return f"{value:.2f}x", f"{small}'s one-month gain over {large}'s"

    def forward() -> tuple[str, str]:
        table = api.forward_returns(NOTE_HORIZON, NOTE_LENGTH, NOTE_THRESHOLD, small, large,
                                    NOTE_SINCE, **kw)
        summary = table.set_index("signal").loc[list(SUMMARY_ROWS)]
        episodes_done = table.iloc[: len(table) - len(SUMMARY_ROWS)]
        best = episodes_done["small_return"].max()
        median, count = summary.loc[SUMMARY_MEDIAN], summary.loc[SUMMARY_COUNT]
        return _pct(median["small_return"]), (
            f"median {small} return {NOTE_HORIZON} trading days after the "
            f"{int(count['small_return'])} complete past episodes "
            f"({summary.loc[SUMMARY_SHARE_POSITIVE, 'small_return']:.0%} positive, "
            f"best {_pct(best)}; the forecast was up to {NOTE_TARGET:.0%}); median spread "
            f"over {large} {_pct(median['spread'])}"
        )

    def beta() -> tuple[str, str]:
        value = api.rate_beta(252, small, rate, day, **kw)
        return f"{value:+.4f}", (
            f"{small}'s daily return per +1 percentage point of {rate} over 252 trading days: "
            f"a 0.10 pp fall in the yield goes with {_pct(-0.1 * value)}"
        )

    claims = [
        _ask("Jumped 3.5% that day", move),
        _ask("Highest close since January 2022", high),
        _ask("Current streak of >1% gains", streak),
        _ask("Fifth 5-day streak of >1% gains since 1979", episodes),
        _ask("Up 12.8% in a month, triple the S&P 500: spread", rotation),
        _ask("... ratio of the one-month gains", ratio),
        _ask("Move to last ~10 weeks, up to 40%", forward),
        _ask("Small caps are rate-sensitive (rate beta)", beta),
    ]
    return day, claims
