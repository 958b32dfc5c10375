"""Rate beta against numpy's least squares."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smallcap import analytics
from smallcap.errors import NoAnswer


@pytest.mark.parametrize("window,as_of", [(252, "2024-07-16"), (63, "2022-06-30"),
                                          ("1Y", "2013-06-28"), (21, None)])
def test_rate_beta_equals_polyfit(reference_store, window, as_of) -> None:
    rut, tnx = reference_store.history("^RUT"), reference_store.history("^TNX")
    frame = pd.concat({"r": rut.to_series(), "y": tnx.to_series()}, axis=1, join="inner")
    if as_of is not None:
        frame = frame.loc[:as_of]
    returns = frame["r"].pct_change()
    changes = frame["y"].diff()
    if isinstance(window, int):
        rows = window
    else:
        anchor = frame.index[-1] - pd.DateOffset(years=1)
        rows = len(frame) - 1 - frame.index.get_indexer([anchor], method="ffill")[0]
    slope = np.polyfit(changes.iloc[-rows:], returns.iloc[-rows:], 1)[0]
    assert analytics.rate_beta(rut, tnx, window, as_of) == pytest.approx(slope, rel=1e-9)


def test_rate_beta_on_note_day_is_negative(reference_store) -> None:
    beta = analytics.rate_beta(reference_store.history("^RUT"),
                               reference_store.history("^TNX"), 252, "2024-07-16")
    assert -0.2 < beta < 0


def test_flat_yield_has_no_beta() -> None:
    days = pd.bdate_range("2024-01-01", periods=10)
    with pytest.raises(NoAnswer, match="did not move"):
        analytics.rate_beta(pd.Series(np.arange(10.0) + 100, days), pd.Series(4.0, days), 5)
