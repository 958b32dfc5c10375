"""Tables for Excel are kept per arguments and histories (smallcap.udf_tables): the same
call gives the same rows as a fresh build, a caller changing them changes nothing kept,
and a write of a ticker the table read (by this or another process) shows on the next
call; DATA_STATUS, which reads the refresh log, is kept only while the store's version
stands."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from smallcap import api, udf_tables, udfs
from smallcap.store import Store

NOTE = dt.datetime(2024, 7, 16)


@pytest.fixture()
def store(tmp_path: Path, shared_data: Path):
    path = tmp_path / "store.sqlite"
    chosen = Store(path)
    for ticker, name in (("^RUT", "RUT.csv"), ("^GSPC", "GSPC.csv")):
        api.load_csv(ticker, shared_data / name, store=chosen)
    api.use_store(chosen)
    yield chosen
    api.use_store(None)
    chosen.close()


def fresh(name: str, *args):
    """The rows built again, nothing kept."""
    udf_tables._KEPT.clear()
    return getattr(udfs, name)(*args)


CALLS = [("FORWARD_RETURNS", (50.0, 5.0, 0.01, "^RUT", "^GSPC", "1979-01-01", NOTE)),
         ("STREAK_EPISODES", (5.0, 0.01, "^RUT", None, NOTE)),
         ("ROTATION_SERIES", ("1M", "^RUT", "^GSPC", dt.datetime(2024, 1, 1), NOTE)),
         ("PRICE_HISTORY", ("^RUT", dt.datetime(2024, 6, 1), None))]


@pytest.mark.parametrize("name,args", CALLS, ids=[c[0] for c in CALLS])
def test_a_kept_table_is_the_built_one_and_callers_cannot_change_it(store, name, args) -> None:
    built = fresh(name, *args)
    assert isinstance(built, list) and len(built) > 2
    again = getattr(udfs, name)(*args)
    assert again == built and again is not built
    again[1][0] = "changed"
    again.append(["junk"])
    assert getattr(udfs, name)(*args) == built


WRITER = textwrap.dedent("""
    import sys
    import pandas as pd
    from smallcap.store import Store
    store = Store(sys.argv[1])
    store.write("^RUT", pd.DataFrame({"date": ["2024-06-04"], "close": [float(sys.argv[2])]}),
                "w", replace=False)
    store.close()
""")


def test_a_write_by_another_process_shows_on_the_next_call(store) -> None:
    args = ("^RUT", dt.datetime(2024, 6, 1), dt.datetime(2024, 6, 10))
    before = udfs.PRICE_HISTORY(*args)
    old = [row for row in before if row[0] == dt.datetime(2024, 6, 4)][0]
    new_close = round(old[1] * 1.001, 4)
    subprocess.run([sys.executable, "-c", WRITER, str(store.path), str(new_close)],
                   check=True, timeout=120)
    after = udfs.PRICE_HISTORY(*args)
    assert [row for row in after if row[0] == dt.datetime(2024, 6, 4)][0][1] == new_close
    assert after == fresh("PRICE_HISTORY", *args)


def test_data_status_is_kept_only_while_the_store_version_stands(store, shared_data) -> None:
    first = udfs.DATA_STATUS("^RUT")
    assert udfs.DATA_STATUS("^RUT") == first
    rows = pd.read_csv(shared_data / "GSPC.csv").rename(columns={"Date": "date", "Close": "close"})
    store.write("^GSPC", rows.tail(1), "again")  # another ticker: the version moves
    second = udfs.DATA_STATUS("^RUT")
    assert second == first  # same rows and refresh for ^RUT: same table, built again
    rows = pd.read_csv(shared_data / "RUT.csv").rename(columns={"Date": "date", "Close": "close"})
    last = rows.tail(1).copy()
    last["date"] = (pd.Timestamp(last["date"].iloc[0]) + pd.offsets.BDay(1)).strftime("%Y-%m-%d")
    store.write("^RUT", last, "one more day")
    third = udfs.DATA_STATUS("^RUT")
    assert third[1][3] == first[1][3] + 1  # one more row: not the kept table
    assert third == fresh("DATA_STATUS", "^RUT")
