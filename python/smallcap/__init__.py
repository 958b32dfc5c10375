"""smallcap: the questions behind a small-cap rally, from Excel cells, the command line
or Python.

``smallcap.<function>(...)`` takes the same arguments, in the same order and with the
same defaults, as the Excel function of the same name (see the README's function
reference), reads prices from the local store and returns floats, ints,
``datetime.date`` or pandas DataFrames. ``smallcap.analytics`` holds the pure
functions underneath. Heavy optional parts (yfinance, xlwings) load only when used.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .errors import (
    BadArgument,
    CsvFormatError,
    FetchError,
    NoAnswer,
    NoData,
    OutOfRange,
    SmallcapError,
    SourceError,
    StoreError,
)

__version__ = "0.1.0"

_LAZY = {
    # catalogue (store-backed), see smallcap.api
    "streak_length": "smallcap.api",
    "streak_count": "smallcap.api",
    "streak_episodes": "smallcap.api",
    "rotation_spread": "smallcap.api",
    "rotation_ratio": "smallcap.api",
    "rotation_series": "smallcap.api",
    "window_return": "smallcap.api",
    "highest_since": "smallcap.api",
    "forward_returns": "smallcap.api",
    "rate_beta": "smallcap.api",
    "price": "smallcap.api",
    "price_history": "smallcap.api",
    "data_status": "smallcap.api",
    "use_store": "smallcap.api",
    "current_store": "smallcap.api",
    "load_csv": "smallcap.api",
    # jobs
    "refresh": "smallcap.sources.refresh",
    "main": "smallcap.ribbon",
    # modules
    "analytics": "smallcap.analytics",
    "store": "smallcap.store",
}

__all__ = [
    "BadArgument",
    "CsvFormatError",
    "FetchError",
    "NoAnswer",
    "NoData",
    "OutOfRange",
    "SmallcapError",
    "SourceError",
    "StoreError",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'smallcap' has no attribute {name!r}")
    module = import_module(module_name)
    value = module if module_name == f"{__name__}.{name}" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
