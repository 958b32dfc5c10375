"""The bytes of an HTTP request, for the server in :mod:`smallcap.service`: how long a
request's body says it is, whether the client that sent a request is still connected, and
the request target as text (UTF-8, %-decoded once), and the listening socket. Pure socket and text helpers: no
smallcap answer is computed here."""

from __future__ import annotations

import errno
import re
import socket
from urllib.parse import unquote

from .errors import BadArgument

_CONTENT_LENGTH = re.compile(rb"\r?\ncontent-length[ \t]*:[ \t]*([^\r\n]*)", re.IGNORECASE)


def declared_body(head: bytes) -> int:
    """The body length a request head declares (its first ``Content-Length``); 0 when it
    declares none or nothing readable (the request is answered without reading on)."""
    found = _CONTENT_LENGTH.search(head)
    if found is None:
        return 0
    try:
        return max(int(found.group(1).strip()), 0)
    except ValueError:
        return 0


def client_gone(conn: socket.socket) -> bool:
    """True when the client of ``conn`` has reset the connection or closed it (the
    request is complete, so nothing more is expected from it): its answer would be
    computed for no one. Never waits."""
    timeout = conn.gettimeout()
    conn.setblocking(False)  # a socket timeout would make the peek wait
    try:
        peeked = conn.recv(1, socket.MSG_PEEK)
    except (BlockingIOError, InterruptedError):
        return False  # connected, nothing to read: waiting for its answer
    except OSError:
        return True  # reset, or not connected any more
    finally:
        conn.settimeout(timeout)
    return peeked == b""


def request_target(raw: str) -> str:
    """The request target as sent: http.server decodes the request line as Latin-1, so
    raw UTF-8 in a path arrives garbled; re-read it as UTF-8 (not UTF-8: BadArgument)."""
    try:
        return raw.encode("latin-1").decode("utf-8")
    except UnicodeError:
        raise BadArgument("path", f"{raw[:60]!r} is not UTF-8") from None


def function_name(path: str) -> str:
    """The function a path names, %-decoded once (``/%20price`` names ``price``); an
    escape that is not UTF-8 raises BadArgument."""
    try:
        return unquote(path.strip("/"), errors="strict").strip()
    except UnicodeDecodeError:
        raise BadArgument("path", f"{path[:60]!r} is not UTF-8 once %-decoded") from None


def listen(host: str, port: int, backlog: int) -> socket.socket:
    """A listening socket on ``host``:``port``; a bad address, a port in use or a
    privileged port raise :class:`BadArgument` naming ``--host`` or ``--port``."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise BadArgument("--port", f"{port!r} is not a port: use a whole number from 1 to "
                          "65535 (0: any free port), e.g. 8750")
    if not str(host).strip():
        raise BadArgument("--host", "is empty: give the address to listen on, e.g. 127.0.0.1 "
                          "(0.0.0.0 for every interface, on purpose)")
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        raise BadArgument("--host", f"{host!r} is not an address or name this machine can "
                          f"listen on ({reason(exc)}); e.g. 127.0.0.1") from None
    found.sort(key=lambda info: info[0] != socket.AF_INET)  # "localhost": 127.0.0.1 first
    family, kind, proto, _, address = found[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(backlog)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        where = f"{host}:{port}"
        if exc.errno == errno.EADDRINUSE:
            raise BadArgument("--port", f"{where} is already in use (another smallcap serve?);"
                              " choose another with --port") from None
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise BadArgument("--port", f"{where}: port {port} needs administrator rights; "
                              "use a port above 1023, e.g. 8750") from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise BadArgument("--host", f"{host!r} is not an address of this machine; "
                              "e.g. 127.0.0.1") from None
        raise BadArgument("--host", f"cannot listen on {where}: {reason(exc)}") from None
    return sock


def reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
