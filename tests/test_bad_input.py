"""Every public function refuses bad input with a typed error naming the argument."""

from __future__ import annotations

import pytest

import smallcap
from smallcap.errors import BadArgument, NoData, OutOfRange, SmallcapError

CASES = [
    # (function, args, kwargs, exception, text the message must hold)
    ("streak_length", (0.01, "^XYZ"), {}, NoData, "no data for ^XYZ"),
    ("streak_length", (0.01, "../etc/passwd"), {}, BadArgument, "ticker"),
    ("streak_length", (0.01, "RUT'; DROP TABLE prices;--"), {}, BadArgument, "ticker"),
    ("streak_length", (0.01, "^R UT"), {}, BadArgument, "ticker"),
    ("streak_length", (0.01, "A" * 21), {}, BadArgument, "ticker"),
    ("streak_length", (0.01, 5), {}, BadArgument, "ticker"),
    ("streak_length", (1.0,), {}, BadArgument, "threshold"),
    ("streak_length", (-1.5,), {}, BadArgument, "threshold"),
    ("streak_length", ("abc",), {}, BadArgument, "threshold"),
    ("streak_length", (float("nan"),), {}, BadArgument, "threshold"),
    ("streak_length", (True,), {}, BadArgument, "threshold"),
    ("streak_length", (0.01, "^RUT", "1970-01-01"), {}, OutOfRange, "before the first stored"),
    ("streak_length", (0.01, "^RUT", "16/07/2024"), {}, BadArgument, "as_of"),
    ("streak_count", (0,), {}, BadArgument, "length"),
    ("streak_count", (-3,), {}, BadArgument, "length"),
    ("streak_count", (2.5,), {}, BadArgument, "length"),
    ("streak_count", ("five",), {}, BadArgument, "length"),
    ("streak_count", (5, 0.01, "^RUT", "2024-07-17", "2024-07-16"), {}, BadArgument, "since"),
    ("streak_count", (5, 0.01, "^RUT", "2030-01-01"), {}, BadArgument, "since"),
    ("streak_episodes", (5, 2.0), {}, BadArgument, "threshold"),
    ("streak_episodes", (5, 0.01, "^RUT", "not a date"), {}, BadArgument, "since"),
    ("rotation_spread", (0,), {}, BadArgument, "window"),
    ("rotation_spread", (-21,), {}, BadArgument, "window"),
    ("rotation_spread", ("2M",), {}, BadArgument, "window"),
    ("rotation_spread", (10**6,), {}, OutOfRange, "window"),
    ("rotation_spread", ("1M", "^RUT", "^NOPE"), {}, NoData, "^NOPE"),
    ("rotation_spread", ("1M", "^RUT", "S P"), {}, BadArgument, "large"),
    ("rotation_ratio", ("1M", "R/UT"), {}, BadArgument, "small"),
    ("rotation_ratio", ("1M", "^RUT", "^GSPC", "1900-01-01"), {}, OutOfRange, "as_of"),
    ("rotation_series", ("1M", "^RUT", "^GSPC", "2024-07-16", "2024-07-01"), {}, BadArgument,
     "start"),
    ("rotation_series", (21.5,), {}, BadArgument, "window"),
    ("window_return", ("^RUT", "1Y", "1988-01-04"), {}, OutOfRange, "first stored date"),
    ("window_return", ("^RUT", "weekly"), {}, BadArgument, "window"),
    ("highest_since", ("^RUT", "1987-01-01"), {}, OutOfRange, "as_of"),
    ("highest_since", ("^RUT", "1987-09-10"), {}, smallcap.NoAnswer, "all-time high"),
    ("forward_returns", (0,), {}, BadArgument, "horizon"),
    ("forward_returns", (50, 0), {}, BadArgument, "length"),
    ("forward_returns", (50, 5, 1.2), {}, BadArgument, "threshold"),
    ("forward_returns", (50, 5, 0.01, "^RUT", "<script>"), {}, BadArgument, "large"),
    ("rate_beta", (1,), {}, BadArgument, "needs at least 3"),
    ("rate_beta", (2,), {}, BadArgument, "needs at least 3"),
    ("rate_beta", (252, "^RUT", "^NONE"), {}, NoData, "^NONE"),
    ("rate_beta", (100000,), {}, OutOfRange, "window"),
    ("price", ("^RUT", "1950-01-01"), {}, OutOfRange, "date"),
    ("price", ("^RUT", "yesterday"), {}, BadArgument, "date"),
    ("price", ("^RUT", -5), {}, BadArgument, "date"),
    ("price_history", ("^RUT", "2024-07-16", "2024-01-01"), {}, BadArgument, "start"),
    ("price_history", ("C:\\data",), {}, BadArgument, "ticker"),
    ("data_status", ("^ABC",), {}, NoData, "refresh first"),
    ("data_status", (5,), {}, BadArgument, "ticker"),
    ("streak_count", (1e20,), {}, OutOfRange, "length"),
    ("forward_returns", (10**20,), {}, OutOfRange, "horizon"),
    ("price", ("^RUT", "2024-07-16junk"), {}, BadArgument, "date"),
    ("price", ("^RUT", "2024-07-161"), {}, BadArgument, "date"),
]


@pytest.mark.parametrize("name,args,kwargs,error,text", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_bad_input_raises_typed_error(reference_store, name, args, kwargs, error, text) -> None:
    function = getattr(smallcap, name)
    with pytest.raises(error) as caught:
        function(*args, store=reference_store, **kwargs)
    assert isinstance(caught.value, SmallcapError)
    assert text in str(caught.value)
    assert caught.value.cell_text().startswith("#")


def test_empty_arguments_take_the_defaults(reference_store) -> None:
    """Left out, None or blank text: the default, in Python as in a cell or on the CLI."""
    expected = smallcap.streak_length(0.01, "^RUT", "2024-07-16", store=reference_store)
    assert smallcap.streak_length(None, "", "2024-07-16", store=reference_store) == expected
    assert smallcap.streak_length(" ", None, "2024-07-16", store=reference_store) == expected
    assert (smallcap.data_status(None, store=reference_store).equals(
        smallcap.data_status("^RUT", store=reference_store)))


def test_empty_store_says_refresh_first(empty_store) -> None:
    for name in ("streak_length", "window_return", "highest_since", "price", "data_status"):
        with pytest.raises(NoData, match="refresh first"):
            getattr(smallcap, name)(store=empty_store)
    with pytest.raises(NoData, match="refresh first"):
        smallcap.rotation_spread(store=empty_store)
