"""The Python face (issue 18): pandas-native tables, typed lifted results, the summary as
its own object, docstrings generated from the catalogue whose examples run as doctests,
``dir(smallcap)``, the lower-case Excel names and Python's TypeError for a bad keyword."""

from __future__ import annotations

import datetime as dt
import doctest
import warnings

import numpy as np
import pandas as pd
import pytest

import smallcap
from smallcap import api, catalogue, service

NOTE = "2024-07-16"


def functions() -> list:
    return [getattr(smallcap, fn.name) for fn in catalogue.functions()]


@pytest.fixture()
def as_default(reference_store_path):
    """The reference store as the default store (the docstrings' examples omit store=)."""
    api.use_store(reference_store_path)
    yield
    api.use_store(None)


@pytest.mark.parametrize("function", [*functions(), smallcap.summary],
                         ids=lambda f: f.__name__)
def test_docstring_examples_run(function, as_default) -> None:
    examples = doctest.DocTestParser().get_examples(function.__doc__ or "")
    assert examples, f"{function.__name__} has no example"
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    test = doctest.DocTest(examples, {"smallcap": smallcap, "np": np, "datetime": dt},
                           function.__name__, None, 0, function.__doc__)
    result = runner.run(test, out=lambda text: print(text, end=""))
    assert result.failed == 0 and result.attempted == len(examples)


@pytest.mark.parametrize("fn", list(catalogue.functions()), ids=lambda fn: fn.name)
def test_docstring_is_generated_from_the_catalogue(fn) -> None:
    doc = getattr(smallcap, fn.name).__doc__
    for argument in fn.arguments:  # each argument: its full help and its default
        assert f"{argument.name} : {argument.kind.name}, default " in doc
        assert argument.help in doc
    for section in ("Parameters", "Returns", "Raises", "Examples"):
        assert f"\n{section}\n" in doc
    assert "BadArgument" in doc and "TypeError" in doc and "store : Store or path" in doc
    assert f"={fn.excel[0]}()" in doc
    assert len(doc.splitlines()) > 15


def test_day_tables_have_a_date_index_and_typed_columns(reference_store) -> None:
    prices = smallcap.price_history("^RUT", "2024-07-01", NOTE, store=reference_store)
    assert isinstance(prices.index, pd.DatetimeIndex) and prices.index.name == "date"
    assert prices.index[-1] == pd.Timestamp(NOTE)
    assert prices.dtypes.tolist() == [np.float64, np.float64]
    series = smallcap.rotation_series("1M", start="2024-01-01", end=NOTE, store=reference_store)
    assert isinstance(series.index, pd.DatetimeIndex) and series.index.name == "date"
    assert list(series.columns) == ["small_return", "large_return", "spread"]
    assert (series.dtypes == np.float64).all()
    assert series.loc[NOTE, "spread"] == smallcap.rotation_spread("1M", as_of=NOTE,
                                                                  store=reference_store)


def test_episode_tables_one_row_per_episode(reference_store) -> None:
    episodes = smallcap.streak_episodes(5, as_of=NOTE, store=reference_store)
    assert episodes.index.name == "signal" and isinstance(episodes.index, pd.DatetimeIndex)
    assert episodes.dtypes.to_dict() == {"start": np.dtype("datetime64[ns]"),
                                         "end": np.dtype("datetime64[ns]"),
                                         "days": np.dtype("int64"),
                                         "run_return": np.dtype("float64")}
    assert len(episodes) == smallcap.streak_count(5, as_of=NOTE, store=reference_store)
    forward = smallcap.forward_returns(50, as_of=NOTE, store=reference_store)
    assert list(forward.index) == list(episodes.index)  # no summary rows among them
    assert forward["peak_day"].dtype == "Int64" and forward["peak_day"].isna().iloc[-1]
    assert (forward.drop(columns=["peak_day", "status"]).dtypes == np.float64).all()
    assert list(forward.columns)[-1] == "status" and pd.api.types.is_string_dtype(
        forward["status"])  # text, last, as Excel spills it
    assert forward["status"].iloc[0] == "complete"
    assert forward["status"].iloc[-1].startswith("pending: ")


def test_summary_is_the_rows_excel_spills(reference_store) -> None:
    """smallcap.summary(table) holds the very numbers of FORWARD_RETURNS' summary rows."""
    for as_of in (NOTE, None):
        table = smallcap.forward_returns(50, as_of=as_of, store=reference_store)
        spilled = service.call("FORWARD_RETURNS", ["50", "", "", "", "", "", as_of or ""],
                               store=reference_store)
        rows = spilled[spilled["signal"].isin(["count", "median", "mean", "share positive"])]
        assert rows["status"].isna().all()  # the summary rows' status is blank
        expected = rows.set_index("signal").drop(columns="status").astype("float64")
        got = smallcap.summary(table)
        assert list(got.index) == list(expected.index) and got.index.name == "statistic"
        np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())
        assert len(spilled) == len(table) + 4  # Excel/HTTP/CLI keep the spilled layout
    runs = smallcap.summary(smallcap.streak_episodes(store=reference_store))
    assert runs.loc["count", "run_return"] == smallcap.streak_count(store=reference_store)


def test_data_status_dates_are_datetimes(reference_store) -> None:
    status = smallcap.data_status("^RUT", store=reference_store)
    assert status["first_date"].dtype == "datetime64[ns]"
    assert status["rows"].dtype == np.int64


def test_lifted_results_are_typed(reference_store) -> None:
    kw = {"store": reference_store}
    counts = smallcap.streak_count([3, 4, 5], as_of=NOTE, **kw)
    assert counts.dtype == np.int64 and counts.index.name == "length"
    assert counts[5] == smallcap.streak_count(5, as_of=NOTE, **kw)
    days = smallcap.highest_since(["^RUT", "IWM"], NOTE, **kw)
    assert days.dtype.kind == "M"
    assert days["^RUT"] == pd.Timestamp(smallcap.highest_since("^RUT", NOTE, **kw))
    grid = smallcap.window_return(["^RUT", "IWM"], [["1M", "3M"]], NOTE, **kw)
    assert (grid.dtypes == np.float64).all()


def test_pairs_are_labelled_by_small_and_large(reference_store) -> None:
    got = smallcap.rotation_spread([["1M", "3M"]], ["^RUT", "^RUT", "IWM"],
                                   ["^GSPC", "^NDX", "SPY"], NOTE, store=reference_store)
    assert isinstance(got.index, pd.MultiIndex) and got.index.names == ["small", "large"]
    assert got.index.is_unique and list(got.columns) == ["1M", "3M"]
    assert got.loc[("^RUT", "^NDX"), "3M"] == smallcap.rotation_spread(
        "3M", "^RUT", "^NDX", NOTE, store=reference_store)


def test_an_element_without_answer_is_nan_with_its_error(reference_store) -> None:
    with pytest.warns(UserWarning, match=r"1 of 2 elements have no answer.*\^XYZ"):
        got = smallcap.price(["^RUT", "^XYZ"], NOTE, store=reference_store)
    assert got.dtype == np.float64 and np.isnan(got["^XYZ"])
    assert isinstance(got.attrs["errors"]["^XYZ"], smallcap.NoData)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        counts = smallcap.streak_count([5, 0], store=reference_store)
    assert counts.dtype == np.float64  # a missing whole number: float64, as pandas does
    with pytest.raises(smallcap.NoData, match="XYZ"):  # nothing to show: the error itself
        smallcap.price(["^XYZ", "^ABC"], NOTE, store=reference_store)


def test_pandas_operations_keep_working(reference_store) -> None:
    a = smallcap.forward_returns(50, as_of="2020-12-31", store=reference_store)
    b = smallcap.forward_returns(50, as_of=NOTE, store=reference_store)
    assert len(pd.concat([a, b])) == len(a) + len(b)


def test_dir_lists_public_names_only() -> None:
    names = dir(smallcap)
    assert not {"Any", "Path", "annotations", "import_module"} & set(names)
    assert all(not n.startswith("_") for n in names if n != "__version__")
    assert {"streak_count", "rut_streak", "summary", "NoData", "use_store"} <= set(names)


def test_excel_names_in_lower_case() -> None:
    assert smallcap.rut_streak is smallcap.streak_length
    assert smallcap.close_price is smallcap.price
    assert smallcap.rotation_spread is api.rotation_spread
    with pytest.raises(AttributeError):
        smallcap.RUT_STREAK  # noqa: B018


def test_unknown_keyword_is_a_type_error_naming_the_closest() -> None:
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'lenght'; did you "
                                        r"mean 'length'\?"):
        smallcap.streak_count(lenght=5)
    with pytest.raises(TypeError, match="multiple values for argument 'length'"):
        smallcap.streak_count(5, length=5)
    with pytest.raises(TypeError, match="at most 5 positional"):
        smallcap.streak_count(1, 2, 3, 4, 5, 6)
