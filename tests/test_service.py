"""The catalogue over HTTP gives the same answers as Python, and clear JSON errors."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

import smallcap
from smallcap import service


@pytest.fixture(scope="module")
def base_url(reference_store):
    server = service.serve("127.0.0.1", 0, background=True, store=reference_store)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_scalars_match_python(base_url, reference_store) -> None:
    status, body = get(f"{base_url}/streak_count?length=5&as_of=2024-07-16")
    assert status == 200 and body == {"value": 5}
    status, body = get(f"{base_url}/rotation_ratio?window=1M&as_of=2024-07-16")
    assert body["value"] == smallcap.rotation_ratio("1M", as_of="2024-07-16",
                                                    store=reference_store)
    status, body = get(f"{base_url}/highest_since?ticker=%5ERUT&as_of=2024-07-16")
    assert body == {"value": "2022-01-04"}


def test_tables_match_python(base_url, reference_store) -> None:
    status, body = get(f"{base_url}/forward_returns?horizon=50")
    expected = smallcap.forward_returns(50, store=reference_store)
    assert body["columns"] == list(expected.columns)
    assert len(body["rows"]) == len(expected)
    assert body["rows"][-1][0] == "share positive"
    assert body["rows"][0][1] == pytest.approx(expected["small_return"].iloc[0])


@pytest.mark.parametrize("path,status,code,text", [
    ("/price?ticker=%5EXYZ", 404, "#N/A", "no data for ^XYZ"),
    ("/streak_count?length=0", 400, "#VALUE!", "length"),
    ("/price?date=1900-01-01", 400, "#NUM!", "before the first stored date"),
    ("/highest_since?as_of=1987-09-10", 422, "#N/A", "all-time high"),
    ("/price?colour=red", 400, "#VALUE!", "no argument 'colour'"),
    ("/drop_tables", 404, "#VALUE!", "not a smallcap function"),
])
def test_errors_are_json(base_url, path, status, code, text) -> None:
    got, body = get(base_url + path)
    assert got == status
    assert body["error"]["code"] == code and text in body["error"]["message"]


def test_function_list(base_url) -> None:
    status, body = get(f"{base_url}/functions")
    assert [a["name"] for a in body["streak_count"]["arguments"]] == [
        "length", "threshold", "ticker", "since", "as_of"]
    assert body["price"]["excel"] == ["PRICE", "CLOSE_PRICE"]
