"""CORS for ``smallcap serve --cors ORIGIN``: the headers a page of another origin (the
xlwings Lite add-in, https://addin.xlwings.org) needs to read the server's answers.

Every answer carries ``Access-Control-Allow-Origin``; a preflight (``OPTIONS``) is
answered 204 with the methods and headers allowed, and, when the browser asks for
Private Network Access (a public https page calling 127.0.0.1: Chrome and Edge, hence
Excel on the web there and Excel for Windows' WebView2), ``Access-Control-Allow-Private-
Network: true``. Without ``--cors`` none of this is sent and ``OPTIONS`` stays 405."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from .errors import BadArgument

LITE_ORIGIN = "https://addin.xlwings.org"  # where the xlwings Lite add-in is served from
MAX_AGE = 600  # seconds a browser may cache a preflight's answer


def origin(value: str) -> str:
    """``value`` as an allowed origin: ``*`` or ``scheme://host[:port]`` (no path)."""
    text = (value or "").strip()
    if text == "*":
        return text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/") \
            or parts.query or parts.fragment or parts.username:
        raise BadArgument("--cors", f"{value!r} is not an origin: use * or scheme://host[:port], "
                          f"e.g. {LITE_ORIGIN}")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def headers(allowed: str, request: Mapping[str, str] | None, preflight: bool = False) -> dict[str, str]:
    """The CORS headers of an answer (``request``: the request's headers)."""
    found = {"Access-Control-Allow-Origin": allowed}
    if allowed != "*":
        found["Vary"] = "Origin"
    if preflight:
        found["Access-Control-Allow-Methods"] = "GET, OPTIONS"
        asked = (request or {}).get("Access-Control-Request-Headers")
        if asked:
            found["Access-Control-Allow-Headers"] = asked[:1000]
        found["Access-Control-Max-Age"] = str(MAX_AGE)
        if str((request or {}).get("Access-Control-Request-Private-Network", "")).lower() == "true":
            found["Access-Control-Allow-Private-Network"] = "true"
    return found
