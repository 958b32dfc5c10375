"""Fresh history for xlwings Lite without Windows: ``smallcap serve --cors`` sends the
headers a page of the add-in's origin needs (preflight and Private Network Access
included), and ``load_history`` reads from it, or from a CSV URL, through xlwings' own
server-side code (tests/lite_replay.py), writing what it read into the Data sheet."""

from __future__ import annotations

import datetime as dt
import http.server
import threading
import urllib.request
from pathlib import Path

import pytest
from test_lite import NOTE, book, replay

from smallcap import cli, cors, service
from smallcap.errors import BadArgument
from smallcap.lite import build

ORIGIN = cors.LITE_ORIGIN


@pytest.fixture(scope="module")
def cors_url(reference_store):
    server = service.serve("127.0.0.1", 0, background=True, store=reference_store, cors=ORIGIN)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def request(url: str, method: str = "GET", headers: dict | None = None):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method,
                                                           headers=headers or {}),
                                    timeout=30) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_answers_carry_the_allowed_origin(cors_url):
    status, headers, _ = request(f"{cors_url}/RUT_STREAK?as_of=2024-07-16", headers={"Origin": ORIGIN})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == ORIGIN
    status, headers, _ = request(f"{cors_url}/NOPE", headers={"Origin": ORIGIN})
    assert status == 404 and headers["Access-Control-Allow-Origin"] == ORIGIN


def test_a_preflight_is_answered_with_private_network_access(cors_url):
    status, headers, body = request(f"{cors_url}/PRICE_HISTORY?ticker=%5ERUT", "OPTIONS", {
        "Origin": ORIGIN, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "x-requested-with",
        "Access-Control-Request-Private-Network": "true"})
    assert status == 204 and body == b""
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "GET" in headers["Access-Control-Allow-Methods"]
    assert headers["Access-Control-Allow-Headers"] == "x-requested-with"
    assert headers["Access-Control-Allow-Private-Network"] == "true"


def test_without_cors_nothing_is_sent_and_options_stays_refused(base_url):
    status, headers, _ = request(f"{base_url}/RUT_STREAK", headers={"Origin": ORIGIN})
    assert status == 200 and "Access-Control-Allow-Origin" not in headers
    status, headers, _ = request(f"{base_url}/RUT_STREAK", "OPTIONS", {"Origin": ORIGIN})
    assert status == 405 and "Access-Control-Allow-Origin" not in headers


@pytest.mark.parametrize("value", ["addin.xlwings.org", "https://a.org/path", "ftp://a.org", ""])
def test_a_cors_value_that_is_not_an_origin_is_refused(value):
    with pytest.raises(BadArgument, match="not an origin"):
        cors.origin(value)


def test_serve_cors_alone_means_the_lite_origin():
    args = cli.build_parser().parse_args(["serve", "--cors"])
    assert args.cors == ORIGIN
    assert cli.build_parser().parse_args(["serve", "--cors", "*"]).cors == "*"
    assert cli.build_parser().parse_args(["serve"]).cors is None


@pytest.fixture(scope="module")
def csv_url(tmp_path_factory):
    """A CSV file in the Data layout, served with a CORS header like a static host."""
    folder = tmp_path_factory.mktemp("csv")
    (folder / "closes.csv").write_text("date,^RUT,^GSPC\n2024-07-12,2100,5600\n"
                                       "2024-07-15,2150,5630\n2024-07-16,2220,5660\n")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def end_headers(self):
            self.send_header("Access-Control-Allow-Origin", "*")
            super().end_headers()

        def log_message(self, *args):
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/closes.csv"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def main_py(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("lite")
    build.build(out)
    return out / "main.py"


def written(actions: list[dict]) -> list[list]:
    return next(a["values"] for a in actions if a["func"] == "setValues")


def test_load_history_from_smallcap_serve_and_from_a_csv_url(main_py, cors_url, csv_url):
    header_only = book([["date", "^RUT", "IWM"]])
    got = replay(main_py, [
        {"script": "load_history", "book": header_only, "args": [cors_url]},
        {"call": "RUT_STREAK", "args": [[[None]], [["^RUT"]], [[NOTE]]]},
        {"call": "PRICE", "args": [[["IWM"]], [[NOTE]]]},
        {"script": "load_history", "book": book(None), "args": [csv_url]},
        {"call": "PRICE", "args": [[["^GSPC"]], [[NOTE]]]},
        {"call": "WINDOW_RETURN", "args": [[["^RUT"]], [[1]], [[NOTE]]]},
        {"script": "load_history", "book": book(None), "args": ["http://127.0.0.1:9/none.csv"]},
        {"call": "PRICE", "args": [[["^GSPC"]], [[NOTE]]]},
    ])["steps"]
    served, streak, iwm, from_csv, gspc, ret, unreachable, kept = got
    assert served["value"].startswith(f"smallcap: loaded 2 tickers from {cors_url}")
    rows = written(served["actions"])
    assert rows[0] == ["date", "^RUT", "IWM"] and rows[1][0] <= "1990-01-01"
    assert [a["func"] for a in served["actions"]][-1] == "calculate"
    assert streak == {"value": [[5]]}
    assert iwm["value"][0][0] > 0
    assert from_csv["value"].startswith("smallcap: loaded 2 tickers")
    assert "addSheet" in [a["func"] for a in from_csv["actions"]]  # no Data sheet: added
    assert written(from_csv["actions"])[1:] == [
        ["2024-07-12", 2100.0, 5600.0], ["2024-07-15", 2150.0, 5630.0],
        ["2024-07-16", 2220.0, 5660.0]]
    assert gspc == {"value": [[5660.0]]}
    assert ret["value"][0][0] == pytest.approx(2220 / 2150 - 1)
    assert unreachable["value"].startswith("smallcap: nothing loaded") and "cannot read" in \
        unreachable["value"]
    assert kept == gspc
    assert dt.date.fromisoformat(rows[-1][0]) >= dt.date(2024, 7, 16)
