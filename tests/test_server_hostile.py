"""The HTTP server against hostile clients (issue 17, cases 11, 12 and 17), on 127.0.0.1:
bodies dripped a byte at a time are cut at the request's deadline without holding a worker,
requests whose client has reset are not computed, and the path is read as UTF-8 and
%-decoded once. Bounded in count and time; no speed is asserted (benchmarks/ measures)."""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections.abc import Iterator

import pytest
from conftest import http_get

from smallcap import service

RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends a reset
NORMAL = "/streak_count?length=5&as_of=2024-07-16"


@pytest.fixture
def serve(reference_store) -> Iterator:
    """Start servers with the given options on 127.0.0.1; all stopped afterwards."""
    started = []

    def start(**options):
        server = service.serve("127.0.0.1", 0, background=True, store=reference_store,
                               **options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


def base(server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def read_all(sock: socket.socket) -> bytes:
    reply = b""
    while chunk := sock.recv(65536):
        reply += chunk
    return reply


def raw(server, data: bytes) -> tuple[int, dict]:
    with socket.create_connection(server.server_address[:2], timeout=30) as sock:
        sock.sendall(data)
        reply = read_all(sock)
    head, _, body = reply.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


class Drippers:
    """Clients that declare a 1,000,000-byte body and send one byte every half second."""

    def __init__(self, server, count: int, method: str = "POST") -> None:
        self.stop = threading.Event()
        self.socks = [socket.create_connection(server.server_address[:2], timeout=30)
                      for _ in range(count)]
        for sock in self.socks:
            sock.sendall(f"{method} /price HTTP/1.1\r\nHost: x\r\n"
                         "Content-Length: 1000000\r\n\r\nx".encode())
        self.thread = threading.Thread(target=self._drip, daemon=True)
        self.thread.start()

    def _drip(self) -> None:
        while not self.stop.wait(0.5):
            for sock in self.socks:
                try:
                    sock.send(b"x")
                except OSError:
                    pass  # cut by the server

    def unanswered(self) -> int:
        """How many drippers have received nothing (not cut, still dripping)."""
        quiet = 0
        for sock in self.socks:
            sock.setblocking(False)
            try:
                sock.recv(1, socket.MSG_PEEK)  # an answer, or closed by the server
            except BlockingIOError:
                quiet += 1
            finally:
                sock.settimeout(30)
        return quiet

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        for sock in self.socks:
            sock.close()


@pytest.mark.timeout(90)
@pytest.mark.parametrize("method", ["POST", "GET"])
def test_a_request_is_answered_while_more_clients_than_workers_drip_bodies(serve,
                                                                        method) -> None:
    """Six clients drip bodies into a 4-worker server with a long deadline: a normal
    request is answered while every one of them is still connected and unanswered (a
    worker used to drain each body for as long as it dripped)."""
    server = serve(workers=4, timeout=60)
    drippers = Drippers(server, 6, method)
    try:
        assert http_get(base(server) + NORMAL) == (200, {"value": 5})
        assert drippers.unanswered() == 6
    finally:
        drippers.close()


@pytest.mark.timeout(60)
def test_a_dripped_body_is_cut_at_the_request_deadline(serve) -> None:
    """The deadline covers the whole request, body included: 408 once it has passed."""
    server = serve(workers=1, timeout=1.0)
    drippers = Drippers(server, 2, "GET")
    try:
        for sock in drippers.socks:
            reply = read_all(sock)
            assert reply.startswith(b"HTTP/1.0 408 ")
            message = json.loads(reply.partition(b"\r\n\r\n")[2])["error"]["message"]
            assert message == "no complete request within 1 s"
    finally:
        drippers.close()
    assert http_get(base(server) + NORMAL) == (200, {"value": 5})


@pytest.mark.timeout(60)
def test_a_body_sent_in_pieces_within_the_deadline_is_read_and_the_request_answered(
        serve) -> None:
    server = serve(workers=1)
    with socket.create_connection(server.server_address[:2], timeout=30) as sock:
        sock.sendall(f"GET {NORMAL} HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"
                     .encode())
        sock.sendall(b"defghij")
        reply = read_all(sock)
    assert reply.startswith(b"HTTP/1.0 200 ")
    assert json.loads(reply.partition(b"\r\n\r\n")[2]) == {"value": 5}
    status, body = raw(server, b"POST /price HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")
    assert status == 405 and "use GET" in body["error"]["message"]


@pytest.mark.timeout(90)
def test_requests_of_clients_that_reset_are_not_computed(serve, caplog) -> None:
    """100 clients ask for ^GSPC's whole history and reset: (almost) none is computed
    (one worker may have started on the first before its reset arrived), and the next
    request is answered."""
    server = serve(workers=1)
    socks = []
    for _ in range(100):
        sock = socket.create_connection(server.server_address[:2], timeout=30)
        sock.sendall(b"GET /price_history?ticker=%5EGSPC&start=1927-01-01 HTTP/1.1\r\n\r\n")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET)
        socks.append(sock)
    for sock in socks:
        sock.close()
    assert http_get(base(server) + NORMAL) == (200, {"value": 5})
    assert server.abandoned >= 90
    assert [r for r in caplog.records if r.levelname in ("ERROR", "WARNING")] == []


def test_a_client_that_closes_before_its_answer_is_not_answered(serve) -> None:
    server = serve(workers=1)
    for _ in range(5):
        with socket.create_connection(server.server_address[:2], timeout=30) as sock:
            sock.sendall(b"GET /price_history?ticker=%5EGSPC HTTP/1.1\r\n\r\n")
    assert http_get(base(server) + NORMAL) == (200, {"value": 5})
    assert server.abandoned >= 1  # the queued ones at least


# -- the path: UTF-8, %-decoded once -----------------------------------------------------------

@pytest.mark.parametrize("path", ["/%20price", "/%70rice", "/PRICE%20", "/%50RICE"])
def test_the_path_is_percent_decoded(base_url, path) -> None:
    expected = http_get(f"{base_url}/price?ticker=%5ERUT&date=2024-07-16")
    assert expected[0] == 200
    assert http_get(f"{base_url}{path}?ticker=%5ERUT&date=2024-07-16") == expected


def test_the_path_is_decoded_once(base_url) -> None:
    status, body = http_get(f"{base_url}/%2570rice")
    assert status == 404 and "'%70rice' is not a smallcap function" in body["error"]["message"]


@pytest.mark.parametrize("request_line,status,text", [
    ("GET /prïce HTTP/1.1", 404, "'prïce' is not a smallcap function"),
    ("GET /pr%C3%AFce HTTP/1.1", 404, "'prïce' is not a smallcap function"),
    ("GET /price?ticker=Zürich HTTP/1.1", 400, "'Zürich' is not a ticker"),
])
def test_utf8_in_the_request_is_not_garbled(reference_store, serve, request_line, status,
                                             text) -> None:
    server = serve(workers=1)
    got, body = raw(server, request_line.encode() + b"\r\n\r\n")
    assert got == status and text in body["error"]["message"], body
    assert "Ã" not in body["error"]["message"]


@pytest.mark.parametrize("data", [b"GET /pr\xffce HTTP/1.1\r\n\r\n",
                                  b"GET /pr%FFce HTTP/1.1\r\n\r\n"])
def test_a_path_that_is_not_utf8_is_a_400(serve, data) -> None:
    server = serve(workers=1)
    status, body = raw(server, data)
    assert status == 400 and "is not UTF-8" in body["error"]["message"]
    assert body["error"]["code"] == "#VALUE!"
