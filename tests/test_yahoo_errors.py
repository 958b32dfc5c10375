"""Yahoo's HTTP errors other than 404 (no such symbol) and 429 (rate limit) (issue 17,
tests that notice): a 4xx is a refusal, one line naming the status, not retried, the
ticker's rows kept; a 5xx is retried (bounded). Against tests/yahoo_server.py."""

from __future__ import annotations

from pathlib import Path

import pytest
import yahoo_server as server_module
from conftest import stored_rows
from yahoo_server import YahooServer

from smallcap.sources.refresh import refresh
from smallcap.store import Store

yahoo_server = server_module.yahoo_server  # fixtures: the module's server, reset per test
yahoo = server_module.yahoo


@pytest.fixture
def filled(yahoo: YahooServer, tmp_path: Path) -> Store:
    store = Store(tmp_path / "s.sqlite")
    yahoo.cutoff["^RUT"] = yahoo.cutoff["IWM"] = server_module.np.datetime64("2026-01-30")
    assert refresh(["^RUT", "IWM"], store=store).ok
    yahoo.cutoff.clear()
    yield store
    store.close()


@pytest.mark.parametrize("status", ["400", "401", "403", "451"])
def test_a_4xx_is_one_line_naming_it_not_retried_and_the_rows_kept(
        yahoo: YahooServer, filled: Store, tmp_path: Path, status: str) -> None:
    before = stored_rows(tmp_path / "s.sqlite")
    yahoo.set_fault("^RUT", status)
    report = refresh(["^RUT", "IWM"], store=filled)
    rut, iwm = report.results
    assert not rut.ok and rut.kind == "http" and rut.attempts == 1
    assert rut.message == (f"the Yahoo server at {yahoo.url} refused the request with "
                           f"HTTP {status}")
    assert iwm.ok and iwm.added > 0 and "failed: ^RUT" in report.summary()
    after = [row for row in stored_rows(tmp_path / "s.sqlite") if row[0] == "^RUT"]
    assert after == [row for row in before if row[0] == "^RUT"]


@pytest.mark.parametrize("status", ["500", "503"])
def test_a_5xx_is_retried_then_named(yahoo: YahooServer, filled: Store, status: str) -> None:
    yahoo.set_fault("^RUT", status, count=2)  # yfinance itself asks twice
    report = refresh(["^RUT"], store=filled)
    assert report.ok and report.results[0].attempts == 2
