"""Table functions for Excel (:mod:`smallcap.udfs`), kept per arguments and histories.

A spilled table (FORWARD_RETURNS, STREAK_EPISODES, ROTATION_SERIES, PRICE_HISTORY) is a
function of its parsed arguments and of the histories its body read, nothing else: a
History is immutable and the store hands out a new one after any write of its ticker.
So the Excel rows of a table are kept, keyed by function and parsed arguments, with the
Histories they came from; a later call with the same arguments gives the same rows
(a fresh copy) as long as the store still hands out those very Histories (a write by any
process, the next call sees, replaces them). A recalculation of the dashboard, which asks
the same table in many cells, builds each table once. A body that reads the store's
status (DATA_STATUS: row counts and the refresh log) is kept only while the store's
version stamp stands (every write, of any ticker, moves it). Bounded: :data:`ENTRIES`
tables of at most :data:`CELLS` cells each.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from . import catalogue

ENTRIES = 64  # tables kept (least recently used dropped first)
CELLS = 200_000  # a larger table is rebuilt on every call

# key -> ((ticker, History serial) read, the store version when status was read, rows)
_KEPT: OrderedDict[tuple, tuple[tuple[tuple[str, int], ...], int | None, list[list[Any]]]] = \
    OrderedDict()
_LOCK = threading.Lock()


class _Recorder(catalogue.Reader):
    """The store as a table body sees it, noting what it read."""

    __slots__ = ("other",)

    def __init__(self, store: Any) -> None:
        super().__init__(store)
        self.other = False  # read something other than histories

    def status(self, ticker: str) -> dict[str, Any]:
        self.other = True
        return super().status(ticker)


def _still(store: Any, read: tuple[tuple[str, int], ...], version: int | None) -> bool:
    """Whether the store still hands out exactly the Histories ``read`` (by serial: the
    kept rows hold no History alive) and, for a status, still has ``version``."""
    try:
        return (version is None or store.version() == version) and all(
            store.history(ticker).serial == serial for ticker, serial in read)
    except Exception:  # noqa: BLE001 (gone, or the store fails: rebuild, and say why then)
        return False


def rows(fn: catalogue.Function, store: Any, raw: list[Any],
         convert: Callable[[Any], Any]) -> Any:
    """The Excel value of table function ``fn`` on raw (Excel-shaped, single) values:
    ``convert(fn.call(...))``, kept as described above. Raises what the body raises."""
    values = [parse(v) for parse, v in zip(fn.parsers, raw, strict=False)]
    try:
        key = (fn.name, id(store), *values)
        hash(key)
    except TypeError:  # an argument that cannot be a key: build every time
        key = None
    if key is not None:
        with _LOCK:
            kept = _KEPT.get(key)
        if kept is not None and _still(store, kept[0], kept[1]):
            with _LOCK:
                if key in _KEPT:
                    _KEPT.move_to_end(key)
            return [list(row) for row in kept[2]]
    reader = _Recorder(store)
    version = store.version() if key is not None else None  # before the body reads
    value = convert(catalogue.finite(fn.body(reader, *values), fn))
    if key is not None and type(value) is list and sum(map(len, value)) <= CELLS:
        read = tuple((t, h.serial) for t, h in reader._histories.items())
        with _LOCK:
            _KEPT[key] = (read, version if reader.other else None, [list(row) for row in value])
            while len(_KEPT) > ENTRIES:
                _KEPT.popitem(last=False)
    return value
