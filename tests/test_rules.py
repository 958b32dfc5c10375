"""The README's rules are the code's rules (issue 21, item 2): one test per rule, named
after it, through the catalogue so that every function with such an argument is held to
the same rule.

- a non-trading day: ``as_of``, ``end`` and ``date`` mean the last trading day on or
  before it; ``since`` and ``start`` the first trading day on or after it;
- a negative threshold counts falling streaks (days whose return is below it);
- a window too short to estimate is refused with the minimum in the message;
- Excel serials are the dates Excel shows, across its 1900 leap-year bug.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

import smallcap
from smallcap import analytics, api, catalogue, params, udfs
from smallcap.errors import BadArgument, SmallcapError

pytestmark = pytest.mark.usefixtures("reference_as_default")  # the cells read it

SATURDAY, SUNDAY = dt.date(2024, 7, 13), dt.date(2024, 7, 14)
FRIDAY, MONDAY = dt.date(2024, 7, 12), dt.date(2024, 7, 15)
ON_OR_BEFORE = ("as_of", "end", "date")
ON_OR_AFTER = ("since", "start")


def _answer(fn: catalogue.Function, argument: str, day: dt.date, store) -> object:
    """``fn`` with every argument at its default but ``argument``; the error text if any."""
    kwargs = {argument: day}
    if argument == "since" and "as_of" in fn.names:
        kwargs["as_of"] = dt.date(2024, 9, 30)  # since before as_of, near the weekend
    try:
        return getattr(api, fn.name)(**kwargs, store=store)
    except SmallcapError as exc:
        return f"{type(exc).__name__}: {exc}"


def _same(a: object, b: object) -> bool:
    if isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame):
        return a.equals(b)
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return type(a) is type(b) and a == b


def _dated(names: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(fn.name, argument) for fn in catalogue.functions()
            for argument in fn.names if argument in names]


@pytest.mark.parametrize(("name", "argument"), _dated(ON_OR_BEFORE))
def test_rule_as_of_end_and_date_on_a_non_trading_day_mean_the_last_trading_day_on_or_before(
        reference_store, name, argument) -> None:
    fn = catalogue.find(name)
    friday = _answer(fn, argument, FRIDAY, reference_store)
    assert not isinstance(friday, str), friday
    for weekend in (SATURDAY, SUNDAY):
        assert _same(_answer(fn, argument, weekend, reference_store), friday)


@pytest.mark.parametrize(("name", "argument"), _dated(ON_OR_AFTER))
def test_rule_since_and_start_on_a_non_trading_day_mean_the_first_trading_day_on_or_after(
        reference_store, name, argument) -> None:
    fn = catalogue.find(name)
    monday = _answer(fn, argument, MONDAY, reference_store)
    assert not isinstance(monday, str), monday
    for weekend in (SATURDAY, SUNDAY):
        assert _same(_answer(fn, argument, weekend, reference_store), monday)


def test_rule_non_trading_day_rules_tell_the_two_directions_apart(reference_store) -> None:
    """The two rules above could not both pass if the direction did not matter: Friday's
    and Monday's answers differ for each kind of argument."""
    s = reference_store
    assert api.price("^RUT", FRIDAY, store=s) != api.price("^RUT", MONDAY, store=s)
    assert api.streak_length(0.0, "^RUT", FRIDAY, store=s) != api.streak_length(
        0.0, "^RUT", MONDAY, store=s)
    assert api.price_history("^RUT", SATURDAY, store=s).index[0] == pd.Timestamp(MONDAY)
    assert api.price_history("^RUT", None, SUNDAY, store=s).index[-1] == pd.Timestamp(FRIDAY)
    series = api.rotation_series("1M", "^RUT", "^GSPC", SATURDAY, SUNDAY + dt.timedelta(7),
                                 store=s)
    assert series.index.name == "date" and series.index[0] == pd.Timestamp(MONDAY)
    assert api.spread_percentile("1M", "^RUT", "^GSPC", "2024-09-30", FRIDAY, store=s) != \
        api.spread_percentile("1M", "^RUT", "^GSPC", "2024-09-30", MONDAY, store=s)


def test_rule_negative_threshold_counts_falling_streaks(reference_store) -> None:
    """Below 0 a day qualifies when its return is below the threshold: ^RUT fell more than
    1% on each of the six trading days 2020-02-21 .. 2020-02-28 (the README's example)."""
    rut = reference_store.history("^RUT")
    returns = rut.to_series().pct_change()
    window = returns.loc["2020-02-21":"2020-02-28"]
    assert len(window) == 6 and (window < -0.01).all()
    assert returns.loc[:"2020-02-20"].iloc[-1] >= -0.01
    assert smallcap.streak_length(-0.01, "^RUT", "2020-02-28", store=reference_store) == 6
    assert udfs.RUT_STREAK(-0.01, "^RUT", "2020-02-28") == 6
    assert smallcap.streak_length(0.01, "^RUT", "2020-02-28", store=reference_store) == 0
    episodes = smallcap.streak_episodes(4, -0.01, "^RUT", "2020-01-01", "2020-03-31",
                                        store=reference_store)
    assert episodes.index.name == "signal"
    first = episodes.iloc[0]
    assert (first["start"], episodes.index[0], first["end"], first["days"]) == (
        pd.Timestamp(2020, 2, 21), pd.Timestamp(2020, 2, 26), pd.Timestamp(2020, 2, 28), 6)
    assert first["run_return"] < -0.12
    # the same rule on a plain series: -1% days count, a +2% day or a -0.5% day does not
    days = pd.bdate_range("2024-01-01", periods=5)
    closes = pd.Series([100.0, 98.0, 96.0, 97.92, 97.43], days)
    assert analytics.streak_length(closes, -0.01, days[2]) == 2
    assert analytics.streak_length(closes, -0.01, days[3]) == 0
    assert analytics.streak_length(closes, -0.01, days[4]) == 0


@pytest.mark.parametrize("window", [1, 2, "1"])
def test_rule_minimum_window_rate_beta_needs_three_daily_changes(reference_store, window) -> None:
    with pytest.raises(BadArgument, match=r"^window: .*needs at least 3 \(a window of 3 "):
        smallcap.rate_beta(window, store=reference_store)
    assert udfs.RATE_BETA(float(window)).startswith("#VALUE! window: ")
    assert math.isfinite(smallcap.rate_beta(3, store=reference_store))


@pytest.mark.parametrize(("serial", "shown"), [
    (1, dt.date(1900, 1, 1)), (59, dt.date(1900, 2, 28)), (61, dt.date(1900, 3, 1)),
    (45489, dt.date(2024, 7, 16))])
def test_rule_excel_serials_are_the_dates_excel_shows(serial, shown) -> None:
    for value in (serial, float(serial), str(serial), serial + 0.75):
        assert params.to_date(params.date(value, "date")) == shown


def test_rule_excel_serial_60_is_excels_phantom_1900_02_29_and_refused(reference_store) -> None:
    for value in (60, 60.0, "60"):
        with pytest.raises(BadArgument, match="60 is Excel's 1900-02-29, a day that never was"):
            params.date(value, "as_of")
    assert udfs.RUT_STREAK(0.01, "^RUT", 60.0).startswith("#VALUE! as_of: 60 is Excel's")
