"""No hindsight: an answer for a day uses only closes on or before that day.

Tested by truncating the data, not by reading the code: for each day below, every
catalogue function that takes a day (``as_of``, ``end``, or ``date`` for PRICE) gives on
the full reference store the same answer as on a store holding only the rows up to that
day. The functions come from the catalogue, so a new one is covered without touching
this file.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest

from smallcap import api, catalogue
from smallcap.errors import SmallcapError
from smallcap.store import Store

DAYS = ("2024-07-16", "2020-04-28", "2009-09-10")
DAY_ARGUMENTS = ("as_of", "end", "date")  # the argument that says which day is asked about
FUNCTIONS = list(catalogue.functions()) if api else []  # api declares them (run alone too)
# Other arguments, where a function has them: the defaults, then two other sets.
VARIANTS = (
    {},
    {"ticker": "IWM", "small": "IWM", "large": "SPY", "window": 63, "threshold": -0.01,
     "length": 3, "horizon": 10, "since": "2005-01-01", "start": "2009-01-01"},
    {"window": "YTD", "large": "^NDX", "threshold": 0.02, "length": 2, "horizon": 250,
     "start": "1990-01-01"},
)


def day_argument(fn: catalogue.Function) -> str | None:
    return next((name for name in DAY_ARGUMENTS if name in fn.names), None)


ASKED = [fn for fn in FUNCTIONS if day_argument(fn)]


@pytest.fixture(scope="module")
def truncated(reference_store, tmp_path_factory) -> dict[str, Store]:
    """For each day, a store holding the reference store's rows up to that day."""
    folder = tmp_path_factory.mktemp("truncated")
    stores = {}
    for day in DAYS:
        store = Store(folder / f"{day}.sqlite")
        for ticker in reference_store.tickers():
            rows = reference_store.frame(ticker, end=dt.date.fromisoformat(day))
            if len(rows):
                store.write(ticker, rows, "truncated reference")
        stores[day] = store
    yield stores
    for store in stores.values():
        store.close()


def answer(fn: catalogue.Function, store: Store, raw: list[Any]) -> Any:
    """The function's answer, or its error as (type, message)."""
    try:
        return fn.call(catalogue.Reader(store), raw)
    except SmallcapError as error:
        return (type(error).__name__, error.message)


def differs(a: Any, b: Any) -> str:
    """Why two answers differ ("" when they are the same)."""
    if isinstance(a, pd.DataFrame) or isinstance(b, pd.DataFrame):
        try:
            pd.testing.assert_frame_equal(a, b, check_exact=True)
        except AssertionError as error:
            return str(error).splitlines()[0] + f"\nfull:\n{a}\ntruncated:\n{b}"
        return ""
    same = a == b or (isinstance(a, float) and isinstance(b, float) and a != a and b != b)
    return "" if same else f"full {a!r} != truncated {b!r}"


def arguments(fn: catalogue.Function, day: str, variant: dict[str, Any]) -> list[Any]:
    asked = day_argument(fn)
    return [day if name == asked else variant.get(name) for name in fn.names]


def test_every_function_but_the_status_asks_about_a_day():
    assert {fn.name for fn in FUNCTIONS} - {fn.name for fn in ASKED} == {"data_status"}


@pytest.mark.parametrize("day", DAYS)
@pytest.mark.parametrize("fn", ASKED, ids=[fn.name for fn in ASKED])
def test_the_answer_for_a_day_ignores_later_closes(fn, day, reference_store, truncated):
    answered = 0
    for variant in VARIANTS:
        raw = arguments(fn, day, variant)
        full = answer(fn, reference_store, raw)
        cut = answer(fn, truncated[day], raw)
        why = differs(full, cut)
        assert not why, f"{fn.excel[0]}{tuple(raw)} on {day}: {why}"
        answered += not isinstance(full, tuple)
    assert answered, f"{fn.excel[0]} answered nothing on {day}: the test proves nothing"


def test_the_check_catches_a_function_that_peeks(reference_store, truncated):
    """A function that reads the last stored close whatever the day: the comparison above
    must fail for it."""

    def peek(reader, ticker="^RUT", as_of=None):
        history = reader.history(ticker)
        return float(history.close[-1])

    fn = catalogue.Function("peek", ("PEEK",), (
        catalogue.Argument("ticker", catalogue.TICKER, "^RUT", ""),
        catalogue.Argument("as_of", catalogue.DATE, None, "")), catalogue.NUMBER, "", peek)
    day = DAYS[0]
    raw = arguments(fn, day, {})
    assert differs(answer(fn, reference_store, raw), answer(fn, truncated[day], raw))
