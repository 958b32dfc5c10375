"""The HTTP server under load, on loopback: 200 concurrent requests all answered, idle and
slow clients cut at the timeout without holding a thread, clients that hang up are not
errors. Every test is bounded in count and time (pytest-timeout); speed is measured in
benchmarks/bench_service.py, never asserted here."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from smallcap import service

CONCURRENT = 200


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


def url(server, path: str) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def get(address: str, timeout: float = 30) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(address, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def serving_threads() -> int:
    return sum(t.name.startswith("smallcap-serve") for t in threading.enumerate())


def read_all(sock: socket.socket) -> bytes:
    reply = b""
    while chunk := sock.recv(65536):
        reply += chunk
    return reply


@pytest.mark.timeout(120)
def test_200_concurrent_requests_are_all_answered(serve) -> None:
    server = serve(workers=16)
    threads_before = serving_threads()
    paths = ["/streak_count?length=5&as_of=2024-07-16", "/price?ticker=%5ERUT&date=2024-07-16",
             "/rotation_ratio?window=1M&as_of=2024-07-16", "/functions"]
    start = threading.Barrier(CONCURRENT, timeout=60)
    results: list[tuple[int, dict] | BaseException | None] = [None] * CONCURRENT

    def client(i: int) -> None:
        try:
            start.wait()
            results[i] = get(url(server, paths[i % len(paths)]), timeout=60)
        except BaseException as exc:  # noqa: BLE001 (reported below)
            results[i] = exc

    clients = [threading.Thread(target=client, args=(i,)) for i in range(CONCURRENT)]
    for thread in clients:
        thread.start()
    deadline = time.monotonic() + 90
    for thread in clients:
        thread.join(max(deadline - time.monotonic(), 0))
    assert not any(thread.is_alive() for thread in clients)
    failures = [r for r in results if not isinstance(r, tuple) or r[0] != 200]
    assert failures == []
    assert results[0][1] == {"value": 5}
    assert results[1][1]["value"] == pytest.approx(2263.67, abs=0.01)
    assert "streak_count" in results[3][1]
    assert serving_threads() - threads_before <= 0  # the pool did not grow


@pytest.mark.timeout(60)
def test_idle_connections_hold_no_thread_and_are_closed_after_the_timeout(serve) -> None:
    """One worker, 300 idle connections: a request is still answered at once (each idle
    connection used to hold a thread for ever), and each idle one then gets a 408 and is
    closed after the timeout."""
    server = serve(workers=1, timeout=1.0)
    idle = [socket.create_connection(server.server_address[:2], timeout=30) for _ in range(300)]
    try:
        assert get(url(server, "/streak_count?length=5&as_of=2024-07-16")) == (200, {"value": 5})
        assert serving_threads() <= 2  # one worker, one reading thread
        for sock in idle:
            reply = read_all(sock)  # the server closes it: no client timeout reached
            assert reply.startswith(b"HTTP/1.0 408 ")
            body = json.loads(reply.partition(b"\r\n\r\n")[2])
            assert body["error"]["message"] == "no complete request within 1 s"
    finally:
        for sock in idle:
            sock.close()


@pytest.mark.timeout(60)
def test_a_client_trickling_its_request_is_cut_at_the_timeout(serve) -> None:
    server = serve(timeout=1.0)
    with socket.create_connection(server.server_address[:2], timeout=30) as sock:
        started = time.monotonic()
        try:
            for byte in b"GET /price?ticker=%5ERUT HTTP/1.1\r\nHost: x\r\n":
                sock.send(bytes([byte]))
                time.sleep(0.1)
        except OSError:
            pass  # closed under our feet: that is the point
        reply = read_all(sock)
    assert reply.startswith(b"HTTP/1.0 408 ")
    assert time.monotonic() - started < 30  # bounded, not a speed target


@pytest.mark.timeout(60)
def test_clients_hanging_up_are_not_errors(serve, capfd, caplog) -> None:
    server = serve(workers=2)
    address = server.server_address[:2]
    reset = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close sends a reset
    for _ in range(20):
        with socket.create_connection(address) as sock:  # half a request, then gone
            sock.sendall(b"GET /price?ticker=%5ERUT&da")
        with socket.create_connection(address) as sock:  # half a request, then a reset
            sock.sendall(b"GET /streak_count?len")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, reset)
        with socket.create_connection(address) as sock:  # a big answer nobody reads
            sock.sendall(b"GET /price_history?ticker=%5ERUT&start=1987-01-01 HTTP/1.1\r\n\r\n")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, reset)
        with socket.create_connection(address):  # connected, said nothing
            pass
    assert get(url(server, "/streak_count?length=5&as_of=2024-07-16")) == (200, {"value": 5})
    server.shutdown()  # every connection above has been dealt with
    captured = capfd.readouterr()
    assert captured.err == "" and "Traceback" not in captured.out
    assert [r for r in caplog.records if r.levelname in ("ERROR", "WARNING")] == []


@pytest.mark.timeout(60)
def test_connections_beyond_the_limit_wait_in_the_backlog(reference_store) -> None:
    server = service.Server("127.0.0.1", 0, store=reference_store, workers=1, timeout=5,
                            max_connections=2)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        idle = [socket.create_connection(server.server_address[:2]) for _ in range(2)]
        results = []
        waiting = threading.Thread(target=lambda: results.append(
            get(url(server, "/streak_count?length=5&as_of=2024-07-16"))))
        waiting.start()  # accepted once an idle one is closed (408 after 5 s)
        for sock in idle:
            sock.close()  # room again: the waiting request is accepted and answered
        waiting.join(30)
        assert results == [(200, {"value": 5})]
    finally:
        server.shutdown()
        server.server_close()


def test_shutdown_frees_the_port(reference_store) -> None:
    server = service.serve("127.0.0.1", 0, background=True, store=reference_store)
    port = server.server_address[1]
    assert get(url(server, "/functions"))[0] == 200
    server.shutdown()
    server.server_close()
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
