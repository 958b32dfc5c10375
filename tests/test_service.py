"""The catalogue over HTTP gives the same answers as Python, and clear JSON errors."""

from __future__ import annotations

import datetime as dt
import errno
import json
import logging
import socket
import urllib.error
import urllib.request

import numpy as np
import pandas as pd
import pytest
from conftest import http_get

import smallcap
from smallcap import cli, service
from smallcap.errors import BadArgument


def test_scalars_match_python(base_url, reference_store) -> None:
    status, body = http_get(f"{base_url}/streak_count?length=5&as_of=2024-07-16")
    assert status == 200 and body == {"value": 5}
    status, body = http_get(f"{base_url}/rotation_ratio?window=1M&as_of=2024-07-16")
    assert body["value"] == smallcap.rotation_ratio("1M", as_of="2024-07-16",
                                                    store=reference_store)
    status, body = http_get(f"{base_url}/highest_since?ticker=%5ERUT&as_of=2024-07-16")
    assert body == {"value": "2022-01-04"}


def test_tables_match_python(base_url, reference_store) -> None:
    status, body = http_get(f"{base_url}/forward_returns?horizon=50")
    expected = smallcap.forward_returns(50, store=reference_store)  # one row per episode
    assert body["columns"] == ["signal", *expected.columns]  # HTTP keeps the spilled layout
    assert len(body["rows"]) == len(expected) + 4  # the summary rows below the episodes
    assert body["rows"][-1][0] == "share positive"
    assert body["rows"][0][0] == str(expected.index[0].date())
    assert body["rows"][0][1] == expected["small_return"].iloc[0]
    summary = smallcap.summary(expected)
    assert body["rows"][-3][1] == summary.loc["median", "small_return"]


@pytest.mark.parametrize("path,status,code,text", [
    ("/price?ticker=%5EXYZ", 404, "#N/A", "no data for ^XYZ"),
    ("/streak_count?length=0", 400, "#VALUE!", "length"),
    ("/price?date=1900-01-01", 400, "#NUM!", "before the first stored date"),
    ("/highest_since?as_of=1987-09-10", 422, "#N/A", "all-time high"),
    ("/price?colour=red", 400, "#VALUE!", "no argument 'colour'"),
    ("/drop_tables", 404, "#VALUE!", "not a smallcap function"),
])
def test_errors_are_json(base_url, path, status, code, text) -> None:
    got, body = http_get(base_url + path)
    assert got == status
    assert body["error"]["code"] == code and text in body["error"]["message"]


def test_function_list(base_url) -> None:
    status, body = http_get(f"{base_url}/functions")
    assert [a["name"] for a in body["streak_count"]["arguments"]] == [
        "length", "threshold", "ticker", "since", "as_of"]
    assert body["price"]["excel"] == ["PRICE", "CLOSE_PRICE"]


# -- the protocol: every method, every error, in JSON ---------------------------------------

def raw(base_url: str, data: bytes, timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    """Send ``data`` as is on a new connection; the status, headers and body answered."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(data)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "BREW"])
def test_other_methods_are_405_json_with_allow(base_url, method) -> None:
    status, headers, body = raw(base_url, f"{method} /price HTTP/1.1\r\nHost: x\r\n"
                                "Content-Length: 5\r\n\r\nhello".encode())
    assert status == 405 and headers["Allow"] == "GET"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["error"]["message"] == f"method {method} is not allowed: use GET"


def test_head_is_405_with_allow_and_no_body(base_url) -> None:
    status, headers, body = raw(base_url, b"HEAD /functions HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (status, headers["Allow"], headers["Content-Type"], body) == (
        405, "GET", "application/json", b"")
    assert int(headers["Content-Length"]) > 0


def test_post_with_urllib_reads_the_405(base_url) -> None:
    request = urllib.request.Request(f"{base_url}/price", data=b"x" * 200_000, method="POST")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=30)
    assert caught.value.code == 405 and caught.value.headers["Allow"] == "GET"
    assert json.loads(caught.value.read())["error"]["code"] == "#VALUE!"


@pytest.mark.parametrize("path,status,text", [
    ("/price?ticker=%5ERUT&ticker=IWM", 400, "ticker: given twice"),
    ("/price?ticker", 400, "is not name=value"),
    ("/price?=5", 400, "is not name=value"),
    ("/price?ticker=%ff", 400, "is not UTF-8"),
    ("/price?" + "&".join(f"a{i}=1" for i in range(60)), 400, "at most 50"),
    ("/no/such/path", 404, "not a smallcap function"),
    ("/price/extra", 404, "not a smallcap function"),
    ("/" + "x" * 9000, 414, "request line longer than 8192 bytes"),
], ids=["twice", "no-equals", "no-name", "not-utf8", "too-many", "unknown", "sub-path",
        "long-url"])
def test_bad_requests_are_4xx_json(base_url, path, status, text) -> None:
    got, body = http_get(base_url + path)
    assert got == status and text in body["error"]["message"], body


@pytest.mark.parametrize("data,status,text", [
    (b"GET /price HTTP/1.1\r\nX-Big: " + b"y" * 70_000 + b"\r\n\r\n", 431, "longer than"),
    (b"GET /price HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(120)) + b"\r\n",
     431, "Too many headers"),
    (b"GET /price HTTP/2.0\r\n\r\n", 400, "use HTTP/1.0 or HTTP/1.1"),
    (b"GET /price HTTP/x\r\n\r\n", 400, "Bad request version"),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400, "Bad"),  # TLS hello
    (b"\r\n\r\n", 400, "empty request line"),
    (b"GET /price ? HTTP/1.1 junk\r\n\r\n", 400, "Bad request"),
], ids=["big-header", "many-headers", "http2", "bad-version", "tls", "empty", "junk"])
def test_malformed_requests_are_4xx_json(base_url, data, status, text) -> None:
    got, headers, body = raw(base_url, data)
    assert got == status and headers["Content-Type"] == "application/json"
    assert text in json.loads(body)["error"]["message"]


def test_http_1_0_and_0_9_clients_are_answered(base_url) -> None:
    status, _, body = raw(base_url, b"GET /price?ticker=%5ERUT&date=2024-07-16 HTTP/1.0\r\n\r\n")
    assert status == 200 and json.loads(body)["value"] == pytest.approx(2263.67, abs=0.01)


def test_an_unexpected_exception_is_a_500_json_line_and_logged(base_url, monkeypatch,
                                                               caplog) -> None:
    def broken(target, store=None):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(service, "answer", broken)
    with caplog.at_level(logging.ERROR, logger="smallcap.service"):
        status, body = http_get(f"{base_url}/price")
    assert status == 500
    assert body == {"error": {"code": "#N/A", "message": "internal error (RuntimeError); the "
                              "server's log has the details"}}
    assert any("internal error answering GET /price: RuntimeError: boom" in r.getMessage()
               for r in caplog.records)


def test_json_never_holds_nan_or_infinity() -> None:
    frame = pd.DataFrame({"a": [np.nan, np.inf, -np.inf, 1.5], "b": [pd.NaT, pd.Timestamp(
        "2024-07-16"), dt.date(2024, 7, 16), None], "c": [np.int64(3), np.float32(np.nan),
                                                           np.bool_(True), pd.NA]})
    body = service.to_json(frame)
    assert body["rows"] == [[None, None, 3], [None, "2024-07-16T00:00:00", None],
                            [None, "2024-07-16", True], [1.5, None, None]]
    for value in (np.nan, np.inf, -np.inf, np.float64("nan"), np.datetime64("NaT"), pd.NaT):
        assert service.to_json(value) == {"value": None}
    assert service.to_json(np.datetime64("2024-07-16")) == {"value": "2024-07-16T00:00:00"}
    json.dumps(body, allow_nan=False)
    json.dumps(service.describe(), allow_nan=False)


def test_query_arguments() -> None:
    assert service.query_arguments("") == {}
    assert service.query_arguments("a=1&&b=&c=x+y%2B") == {"a": "1", "b": "", "c": "x y+"}
    with pytest.raises(BadArgument, match="given twice"):
        service.query_arguments("a=1&a=2")


# -- start-up errors: one line, exit 2 ----------------------------------------------------

def serve_cli(capsys, *args: str) -> tuple[int, str]:
    code = cli.main(["serve", *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.out == ""
    return code, captured.err


def test_serve_on_a_port_in_use(capsys) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, err = serve_cli(capsys, "--port", str(port))
    assert code == 2 and err == (f"error: --port: 127.0.0.1:{port} is already in use "
                                 "(another smallcap serve?); choose another with --port\n")


@pytest.mark.parametrize("args,text", [
    (("--port", "99999"), "--port: 99999 is not a port"),
    (("--port", "-1"), "--port: -1 is not a port"),
    (("--host", "999.1.1.1"), "--host: '999.1.1.1' is not an address or name"),
    (("--host", "192.0.2.1"), "--host: '192.0.2.1' is not an address of this machine"),
    (("--workers", "0"), "workers: must be from 1 to 256, got 0"),
    (("--workers", "100000"), "workers: must be from 1 to 256, got 100000"),
    (("--timeout", "nan"), "timeout: must be a number of seconds > 0"),
    (("--port", "abc"), "argument --port: invalid int value: 'abc'"),
])
def test_serve_start_up_errors_are_one_line(capsys, args, text) -> None:
    code, err = serve_cli(capsys, *args)
    assert code == 2 and err.count("\n") == 1 and text in err, err


def test_serve_on_a_privileged_port(capsys, monkeypatch) -> None:
    def refused(self, address):  # what a non-administrator gets (tests may run as root)
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(socket.socket, "bind", refused)
    code, err = serve_cli(capsys, "--port", "80")
    assert code == 2 and err == ("error: --port: 127.0.0.1:80: port 80 needs administrator "
                                 "rights; use a port above 1023, e.g. 8750\n")


def test_serve_settings_are_validated(monkeypatch) -> None:
    monkeypatch.setenv("SMALLCAP_SERVE_WORKERS", "1000")
    with pytest.raises(BadArgument, match="SMALLCAP_SERVE_WORKERS"):
        service.listen("127.0.0.1", 0)
    monkeypatch.setenv("SMALLCAP_SERVE_WORKERS", "3")
    monkeypatch.setenv("SMALLCAP_SERVE_TIMEOUT", "2.5")
    with service.listen("127.0.0.1", 0) as server:
        assert (server.workers, server.timeout) == (3, 2.5)
