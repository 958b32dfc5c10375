"""Settings: read from the environment when asked, malformed values are one-line typed
errors, and the store choice lives in one place behind every adapter."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from smallcap import api, settings
from smallcap import store as store_layer
from smallcap.cli import main
from smallcap.errors import BadArgument
from smallcap.sources import yahoo


@pytest.mark.parametrize("name,value,match", [
    ("SMALLCAP_YAHOO_RETRIES", "inf", "not a whole number"),
    ("SMALLCAP_YAHOO_RETRIES", "2.5", "not a whole number"),
    ("SMALLCAP_YAHOO_TIMEOUT", "nan", "not a number"),
    ("SMALLCAP_YAHOO_BACKOFF", "-1", "not a number >= 0"),
    ("SMALLCAP_YAHOO_BACKOFF_MAX", "soon", "not a number"),
    ("SMALLCAP_YAHOO_URL", "ftp://example.com", "not an http"),
    ("SMALLCAP_YAHOO_URL", "localhost:8765", "not an http"),
])
def test_a_malformed_yahoo_setting_is_one_typed_line(monkeypatch, name, value, match) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(BadArgument, match=match) as caught:
        yahoo.YahooSettings.from_env()
    assert caught.value.message.startswith(f"{name}: ") and "\n" not in caught.value.message


def test_settings_are_read_when_asked(monkeypatch) -> None:
    monkeypatch.setenv("SMALLCAP_YAHOO_RETRIES", "5")
    monkeypatch.setenv("SMALLCAP_YAHOO_TIMEOUT", "0.001")
    monkeypatch.setenv("SMALLCAP_YAHOO_URL", "http://127.0.0.1:8765/")
    monkeypatch.setenv("SMALLCAP_TICKERS", " iwm, ^rut ,")
    monkeypatch.setenv("SMALLCAP_REVISION_TOLERANCE", "0.01")
    found = yahoo.YahooSettings.from_env()
    assert (found.retries, found.timeout, found.url) == (5, settings.MIN_YAHOO_TIMEOUT,
                                                         "http://127.0.0.1:8765")
    assert settings.default_tickers() == ("IWM", "^RUT")
    assert settings.revision_tolerance() == 0.01
    monkeypatch.setenv("SMALLCAP_REVISION_TOLERANCE", "lots")
    with pytest.raises(BadArgument, match="SMALLCAP_REVISION_TOLERANCE: 'lots'"):
        settings.revision_tolerance()
    monkeypatch.delenv("SMALLCAP_YAHOO_RETRIES")
    assert yahoo.YahooSettings.from_env().retries == settings.DEFAULT_YAHOO_RETRIES


def test_a_bad_setting_stops_the_cli_with_one_line(monkeypatch, capsys, tmp_path) -> None:
    monkeypatch.setenv("SMALLCAP_YAHOO_RETRIES", "inf")
    code = main(["--store", str(tmp_path / "s.sqlite"), "refresh", "^RUT", "-q"])
    err = capsys.readouterr().err
    assert code == 2
    assert err == ("error: SMALLCAP_YAHOO_RETRIES: 'inf' is not a whole number >= 0 and at "
                   "most 20 (default 3)\n")


def test_the_store_choice(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SMALLCAP_STORE", str(tmp_path / "env.sqlite"))
    assert settings.chosen_store() is None
    assert store_layer.open_store().path == tmp_path / "env.sqlite"
    chosen = api.use_store(tmp_path / "chosen.sqlite")
    try:
        assert settings.store_path() == tmp_path / "chosen.sqlite"
        assert api.current_store() is chosen is store_layer.open_store()
        own = store_layer.Store(tmp_path / "own.sqlite")  # a Store object is kept as it is
        assert api.use_store(own) is own and api.current_store() is own
    finally:
        api.use_store(None)
    assert api.current_store().path == tmp_path / "env.sqlite"


def test_cli_store_is_chosen_for_the_command_only(tmp_path: Path, capsys) -> None:
    path = tmp_path / "cli.sqlite"
    store = store_layer.Store(path)
    store.write("^RUT", pd.DataFrame({"date": ["2024-01-02"], "close": [1.0]}), "t")
    store.close()
    before = settings.store_path()
    assert main(["--store", str(path), "status"]) == 0
    assert "^RUT" in capsys.readouterr().out
    assert settings.store_path() == before and settings.chosen_store() is None
