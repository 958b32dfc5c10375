"""The optional parts a source needs, imported when used: a missing one is one line
naming the extra that installs it (yfinance and curl_cffi: ``smallcap[yahoo]``, left out of
the base so the package installs where they cannot, e.g. xlwings Lite's Pyodide)."""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from ..errors import SourceError

EXTRAS = {"yfinance": "yahoo", "curl_cffi": "yahoo"}  # top-level module -> extra


def need(name: str) -> ModuleType:
    """The module ``name``; :class:`SourceError` naming the extra when it is not installed."""
    try:
        return import_module(name)
    except ModuleNotFoundError as exc:
        top = name.split(".")[0]
        if exc.name != top or top not in EXTRAS:
            raise
        raise SourceError(f"{top} is not installed: Yahoo Finance needs the {EXTRAS[top]} extra "
                          f'(pip install "smallcap[{EXTRAS[top]}]"); offline, use smallcap '
                          "load-csv") from None
