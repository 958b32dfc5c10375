"""`smallcap report`: the note's story as a reader needs it. Only data known on the day,
both caveats and the window start, wording that fits the numbers, every row at most three
lines at 80 columns, numbers right-aligned (also in `call` and `status`), errors in one
line with exit status 2."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
from rich.console import Console

from smallcap import api, cli, report
from smallcap.store import Store

NOTE = "2024-07-16"


@pytest.fixture(scope="module")
def note_day(reference_store) -> report.Story:
    return report.story(NOTE, store=reference_store)


@pytest.fixture(scope="module")
def latest(reference_store) -> report.Story:
    return report.story(store=reference_store)


def rendered(told: report.Story, width: int) -> list[str]:
    console = Console(width=width, file=io.StringIO(), color_system=None, force_terminal=False)
    report.print_story(told, console)
    return console.file.getvalue().splitlines()


def table_rows(lines: list[str]) -> list[list[str]]:
    """The printed table's rows (header first), each as its printed lines."""
    top = next(i for i, line in enumerate(lines) if line.startswith("┌"))
    bottom = next(i for i, line in enumerate(lines) if line.startswith("└"))
    rows: list[list[str]] = [[]]
    for line in lines[top + 1:bottom]:
        if line.startswith("├"):
            rows.append([])
        else:
            rows[-1].append(line)
    return rows


# -- as of means as of ----------------------------------------------------------------------


def test_the_note_day_names_four_complete_earlier_episodes(note_day, reference_store):
    table = api.forward_returns(as_of=NOTE, store=reference_store)  # one row per episode
    done = table.dropna()
    assert len(done) == 4 and pd.Timestamp(NOTE) not in done.index
    day50 = note_day.claim("^RUT's return on day 50")
    assert "4 complete streaks" in day50.detail
    assert day50.figure == f"{done['small_return'].median():+.2%} median"
    peak = note_day.claim("^RUT's peak within 50 days")
    best = done.loc[done["peak_gain"].idxmax()]
    assert peak.figure == f"{done['peak_gain'].median():+.2%} median"
    assert f"best {best['peak_gain']:+.2%} ({best.name.date()})" in peak.detail
    reached = int((done["peak_gain"] >= 0.40).sum())
    assert f"{reached} of 4 reached 40%" in peak.detail
    after = note_day.claim("After the 2024-07-16 streak")
    assert after.figure == "pending"


def test_the_latest_day_says_what_followed_the_note(latest, reference_store):
    row = api.forward_returns(store=reference_store).loc["2024-07-16"]
    after = latest.claim("After the 2024-07-16 streak")
    assert after.figure == f"{row['small_return']:+.2%} on day 50"
    assert f"drawdown {row['drawdown']:+.2%}" in after.detail
    assert row["peak_gain"] < 0 and "never above its signal close" in after.detail


def test_the_story_for_a_day_is_the_same_on_data_cut_after_it(reference_store, tmp_path,
                                                               note_day):
    cut = Store(tmp_path / "cut.sqlite")
    for ticker in ("^RUT", "^GSPC", "^TNX"):
        cut.write(ticker, reference_store.frame(ticker, end=dt.date(2024, 7, 16)), "cut")
    try:
        assert report.story(NOTE, store=cut) == note_day
    finally:
        cut.close()


# -- what the report prints ------------------------------------------------------------------


def test_both_caveats_and_the_window_start(note_day, reference_store):
    text = "\n".join(rendered(note_day, 120))
    assert "starts 1987-09-10" in text and "not counted" in text
    r21 = api.window_return("^RUT", 21, NOTE, store=reference_store)
    assert f"over 21 trading days ^RUT returned {r21:+.2%}" in text
    month = note_day.claim("One-month return")
    assert month.detail == "calendar month: from the close of 2024-06-14 (20 trading days)"
    price = api.price_history("^RUT", "2024-06-14", NOTE, store=reference_store)
    assert len(price) - 1 == 20  # the window start and its length, counted independently


def test_the_note_day_figures_as_the_readme_shows_them(note_day, reference_store):
    s = reference_store
    figures = {c.label: c.figure for c in note_day.claims}
    assert figures["^RUT's move on the day"] == f"{api.window_return('^RUT', 1, NOTE, store=s):+.2%}"
    assert figures["One-month ratio, ^RUT / ^GSPC"] == "2.96x"
    assert figures["One-month spread, ^RUT − ^GSPC"] == "+8.50 pp"
    assert figures["Rate beta, ^RUT on ^TNX"] == "-0.077"
    share = api.spread_percentile("1M", "^RUT", "^GSPC", NOTE, store=s)
    assert f"at or above {share:.1%} of the" in note_day.claim("One-month spread").detail
    assert note_day.note
    text = "\n".join(rendered(note_day, 120))
    assert "The note said" in text and "^RUT jumped 3.5%" in text


def test_labels_describe_the_values_on_other_days(latest):
    text = "\n".join(rendered(latest, 120))
    assert not latest.note
    assert "jumped 3.5%" not in text and "The note said" not in text
    assert "^RUT's move on the day" in text


def test_a_ratio_of_two_losses_is_not_meaningful(latest, reference_store):
    row = api.rotation_series("1M", "^RUT", "^GSPC", latest.day, latest.day,
                              store=reference_store).iloc[0]
    assert row["small_return"] < 0 and row["large_return"] < 0  # the latest reference day
    ratio = latest.claim("One-month ratio")
    assert ratio.figure == "#N/A" and "not meaningful" in ratio.detail


def test_a_day_after_the_last_stored_one_says_so(reference_store, latest):
    told = report.story("2030-01-01", store=reference_store)
    assert told.day == latest.day
    assert told.notices and "after the last stored ^RUT day" in told.notices[0]
    sunday = report.story("2024-07-14", store=reference_store)
    assert sunday.day == dt.date(2024, 7, 12) and "not a ^RUT trading day" in sunday.notices[0]
    assert not report.story(NOTE, store=reference_store).notices


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("day", [NOTE, None, "2020-05-15", "2009-09-10"])
def test_fits_the_width_in_at_most_three_lines_a_row(reference_store, width, day):
    lines = rendered(report.story(day, store=reference_store), width)
    assert max(len(line) for line in lines) <= width
    rows = table_rows(lines)
    assert len(rows) == 1 + len(report.story(day, store=reference_store).claims)
    for row in rows:
        assert 1 <= len(row) <= 3, "\n".join(row)
    for row in rows[1:]:  # "We find" is right-aligned: its text touches the right padding
        cell = row[0].split("│")[2]
        assert cell.endswith(" ") and not cell.endswith("  ") and cell.strip(), row[0]


# -- the command ----------------------------------------------------------------------------


def test_offline_on_an_empty_store_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SMALLCAP_YAHOO_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("SMALLCAP_TICKERS", "^RUT")
    code = cli.main(["--store", str(tmp_path / "empty.sqlite"), "report"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == "" and err.count("\n") == 1
    assert err.startswith("error: ") and "load-csv" in err and "unreachable" in err


def test_no_refresh_on_an_empty_store_is_one_line_and_exit_2(tmp_path, capsys):
    code = cli.main(["--store", str(tmp_path / "empty.sqlite"), "report", "--no-refresh"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1 and "no data for ^RUT" in err


def right_edges(lines: list[str], token_index: int) -> set[int]:
    """Where the ``token_index``-th whitespace-separated token of each line ends."""
    import re

    edges = set()
    for line in lines:
        tokens = list(re.finditer(r"\S+", line.replace("│", " ")))
        edges.add(tokens[token_index].end())
    return edges


def test_call_and_status_right_align_numbers(reference_store_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    store = str(reference_store_path)
    assert cli.main(["--store", store, "call", "streak_episodes", "5", "0.01", "^RUT", "",
                     NOTE]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()[:2] in
             ("19", "20")]
    assert len(lines) == 5
    assert len(right_edges(lines, 3)) == 1 and len(right_edges(lines, 4)) == 1  # days, return
    assert cli.main(["--store", store, "status"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines()
             if line.startswith("│") and ("^" in line or "IWM" in line or "SPY" in line)]
    assert len(lines) >= 5
    assert len(right_edges(lines, 3)) == 1  # rows: 9686 and 24748 end in the same column
