"""One meaning per edge, the same in every host (issue 21, item 1).

``ROTATION_RATIO`` when the large-cap leg did not gain has no answer, and every adapter
says so with the same words: Python, Excel, ``smallcap call``, HTTP, ``smallcap report``
and the workbook's cached values. The case is the latest reference day, 2026-02-23, whose
one-month returns both fell (^RUT -1.80%, ^GSPC -1.13%).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import http_get

from smallcap import analytics, api, report, udfs, workbook
from smallcap.errors import NoAnswer
from smallcap.pyface import ElementWarning

LOSSES_DAY = "2026-02-23"


@pytest.fixture(scope="module")
def both_fell(reference_store) -> str:
    """The message of the ratio of two losses, as Python raises it."""
    row = api.rotation_series("1M", "^RUT", "^GSPC", LOSSES_DAY, LOSSES_DAY,
                              store=reference_store).iloc[0]
    assert row["small_return"] < 0 and row["large_return"] < 0  # the case is what it claims
    with pytest.raises(NoAnswer) as caught:
        api.rotation_ratio("1M", "^RUT", "^GSPC", LOSSES_DAY, store=reference_store)
    return str(caught.value)


def test_ratio_of_two_losses_says_so_with_both_returns(both_fell) -> None:
    assert both_fell.startswith("both legs fell (^RUT -1.80%, ^GSPC -1.13%)")
    assert "not meaningful" in both_fell and "ROTATION_SPREAD" in both_fell


def test_ratio_of_two_losses_is_one_answer_in_every_host(
        both_fell, reference_store, reference_store_path, base_url, reference_as_default,
        tmp_path) -> None:
    cell = f"#N/A {both_fell}"
    # Excel: one cell, and the same element of a spilled range
    assert udfs.ROTATION_RATIO("1M", "^RUT", "^GSPC", LOSSES_DAY) == cell
    spilled = udfs.ROTATION_RATIO([["1M", "3M"]], "^RUT", "^GSPC", LOSSES_DAY)
    assert spilled[0][0] == cell and isinstance(spilled[0][1], float)
    # Python, lifted over a range: the element is NaN, its error the same exception
    with pytest.warns(ElementWarning, match="both legs fell"):
        lifted = api.rotation_ratio(["1M", "3M"], "^RUT", "^GSPC", LOSSES_DAY,
                                    store=reference_store)
    assert np.isnan(lifted.loc["1M"]) and np.isfinite(lifted.loc["3M"])
    error = lifted.attrs["errors"]["1M"]
    assert isinstance(error, NoAnswer) and str(error) == both_fell
    # the command line, as a user runs it
    done = subprocess.run([sys.executable, "-m", "smallcap.cli", "--store",
                           str(reference_store_path), "call", "ROTATION_RATIO", "1M", "", "",
                           LOSSES_DAY, "--json"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 2 and done.stderr == ""  # --json: the error as JSON
    assert json.loads(done.stdout) == {"error": {"code": "#N/A", "message": both_fell}}
    done = subprocess.run(done.args[:-1], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == f"error: {both_fell}"
    # HTTP
    status, body = http_get(f"{base_url}/rotation_ratio?window=1M&as_of={LOSSES_DAY}")
    assert status == 422 and body["error"]["code"] == "#N/A"
    assert body["error"]["message"] == both_fell
    # the report: the cell's #N/A, its words without the returns it shows a row above
    claim = report.story(LOSSES_DAY, store=reference_store).claim("One-month ratio")
    assert claim.figure == "#N/A"
    assert claim.detail == "both legs fell: the ratio is not meaningful, use ROTATION_SPREAD"
    assert both_fell.startswith(claim.detail.split(":")[0])
    assert both_fell.endswith(claim.detail.split(": ", 1)[1])
    # the workbook's cached values: the Story's latest-day column and Explore's ratio show
    # the same words, without the error code in front (a sentence on a dashboard)
    path = tmp_path / "smallcap.xlsx"
    workbook.build(path, store=reference_store)
    book = openpyxl.load_workbook(path, data_only=True)
    shown = [(sheet.title, c.value) for sheet in book for row in sheet.iter_rows() for c in row
             if isinstance(c.value, str) and "legs fell" in c.value]
    assert sorted(shown) == [("Explore", both_fell), ("Story", both_fell)]


@pytest.mark.parametrize(("small", "large", "words"), [
    ([100, 92], [100, 95], "both legs fell"),
    ([100, 104], [100, 95], "the large-cap leg fell while the small-cap leg did not"),
    ([100, 104], [100, 100], "the large-cap leg did not move"),
])
def test_ratio_answers_only_over_a_large_cap_gain(small, large, words) -> None:
    days = pd.bdate_range("2024-01-01", periods=2)
    s, g = pd.Series(small, days, name="S", dtype=float), pd.Series(large, days, name="L",
                                                                       dtype=float)
    with pytest.raises(NoAnswer, match=f"^{words} \\(S ") as caught:
        analytics.rotation_ratio(s, g, 1)
    assert "use ROTATION_SPREAD" in str(caught.value)
    assert np.isnan(analytics.ratio_or_nan((small[1] / small[0]) - 1, (large[1] / large[0]) - 1))


def test_ratio_of_a_loss_over_a_large_cap_gain_is_negative() -> None:
    days = pd.bdate_range("2024-01-01", periods=2)
    ratio = analytics.rotation_ratio(pd.Series([100.0, 98], days), pd.Series([100.0, 104], days), 1)
    assert ratio == pytest.approx(-0.5)
    assert analytics.ratio_reading(-0.02, 0.04) is None

