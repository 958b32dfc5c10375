"""A Yahoo refresh that rescales the older adjusted closes (a fund's dividend moved Yahoo's
adjustment factor; allowed from 0.5 to 1.5) says so: a line the command line prints and the
refresh log keeps (issue 17, case 17). Against tests/yahoo_server.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yahoo_server as server_module
from yahoo_server import YahooServer

from smallcap.sources.refresh import refresh
from smallcap.store import Store

yahoo_server = server_module.yahoo_server  # fixtures: the module's server, reset per test
yahoo = server_module.yahoo

CUT = "2026-01-30"


@pytest.fixture
def iwm(yahoo: YahooServer, tmp_path: Path) -> Store:
    """IWM refreshed up to CUT with Yahoo's adjusted close at 0.98 of the close."""
    store = Store(tmp_path / "s.sqlite")
    yahoo.adj_factor["IWM"] = 0.98
    yahoo.cutoff["IWM"] = np.datetime64(CUT)
    assert refresh(["IWM"], store=store).ok
    yahoo.cutoff.clear()
    yield store
    store.close()


@pytest.mark.parametrize("factor", [0.97, 0.6, 1.4])
def test_a_rescale_is_said_and_logged(yahoo: YahooServer, iwm: Store, factor: float) -> None:
    yahoo.adj_factor["IWM"] = factor
    report = refresh(["IWM"], store=iwm)
    assert report.ok
    ratio = factor / 0.98
    lines = [line for line in report.revision_lines() if "rescaled" in line]
    assert len(lines) == 1
    assert lines[0].startswith("IWM: adjusted closes before 2026-01-2")
    assert f"rescaled by {ratio:.6g} ({ratio - 1:+.2%}" in lines[0]
    logged = iwm.refresh_log(1)
    assert logged["ticker"].iloc[0] == "IWM" and lines[0].removeprefix("IWM: ") in (
        logged["message"].iloc[0])
    frame = iwm.frame("IWM")
    np.testing.assert_allclose(frame["adj_close"] / frame["close"], factor)


def test_a_refresh_without_a_rescale_says_nothing_of_one(yahoo: YahooServer,
                                                         iwm: Store) -> None:
    report = refresh(["IWM"], store=iwm)
    assert report.ok and report.results[0].added > 0
    assert not any("rescaled" in line for line in report.revision_lines())
    assert "rescaled" not in iwm.refresh_log(1)["message"].iloc[0]
