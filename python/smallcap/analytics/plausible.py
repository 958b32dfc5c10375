"""Plausibility of price rows before they are written: the same rules for every source.

Pure checks (no I/O) used on every write path: :meth:`smallcap.store.Store.write` (through
:func:`smallcap.analytics.rows.normalise_rows`) checks every row it is given and, inside its
transaction and before anything is written, the closes it would revise; the Yahoo refresh
checks an adjusted-close rescale before asking for it; the CSV loader uses the same value
and year rules to name the bad line. A refusal is one :class:`~smallcap.errors.ImplausibleData`
naming the ticker, the date and the values.

The rules:

- **values**: a close and an adjusted close are finite numbers greater than 0;
- **dates**: a whole trading day (nothing after it), year :data:`MIN_YEAR` to
  :data:`MAX_YEAR`, and not after today (:func:`last_day`);
- **revisions**: a write that would move more than :data:`MAX_REVISED` stored closes by
  more than the tolerance (``SMALLCAP_REVISION_TOLERANCE``, 0.1%), or any one stored close by
  more than :data:`MAX_MOVE`, is refused unless the caller replaces the ticker's rows or
  says what explains the revision (``explained_by``: a split, a re-fetch of the whole
  history);
- **rescale**: an adjusted-close rescale of the older stored rows needs a finite factor
  inside :data:`FACTOR_BAND` per refresh;
- **adjusted closes**: every write holds the stored adjusted closes to the revision rule
  (:func:`check_adjusted`), except a re-based adjustment (a dividend): one factor inside
  :data:`FACTOR_BAND` for every stored day from the first overlapping one up to some day;
- **uniform revisions**: every overlapping close moved by one common ratio
  (:func:`common_ratio`) is a rescaled series; :mod:`smallcap.analytics.revisions` decides
  whether a split the source reports explains it (else it is refused).

Lives below the store (it imports only errors and settings) so that the store, the sources
and the adapters all use this one copy.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from .. import settings
from ..errors import ImplausibleData

MIN_YEAR = 1900  # first year a stored trading day may have
MAX_YEAR = 2100  # last year
MAX_REVISED = 5  # stored closes one write may revise beyond the tolerance
MAX_MOVE = 0.20  # the largest relative move of any one stored close a write may make
FACTOR_BAND = (0.5, 1.5)  # an adjusted-close rescale per refresh, inclusive
MIN_UNIFORM = 2  # overlapping closes that, all moved by one ratio, make a uniform revision

_FIRST_DAY = np.datetime64(f"{MIN_YEAR}-01-01", "D")
_LAST_DAY = np.datetime64(f"{MAX_YEAR}-12-31", "D")


# -- values and dates -----------------------------------------------------------------------


MIN_PRICE, MAX_PRICE = 1e-6, 1e9  # a close outside these is a typo or a corrupt answer


def bad_prices(values: np.ndarray) -> np.ndarray:
    """Mask of the values that are not a price: not finite, or outside
    :data:`MIN_PRICE` .. :data:`MAX_PRICE` (so a close of 0 or 1e308 is refused)."""
    values = np.asarray(values, dtype="float64")
    with np.errstate(invalid="ignore"):
        return ~np.isfinite(values) | ~((values >= MIN_PRICE) & (values <= MAX_PRICE))


def bad_years(days: np.ndarray) -> np.ndarray:
    """Mask of the days (``datetime64[D]``) outside :data:`MIN_YEAR` .. :data:`MAX_YEAR`."""
    days = np.asarray(days).astype("datetime64[D]")
    return (days < _FIRST_DAY) | (days > _LAST_DAY)


def year_rule() -> str:
    return f"years {MIN_YEAR} to {MAX_YEAR}"


FUTURE_RULE = "a close cannot be dated after today"


def last_day(now: dt.datetime | None = None) -> dt.date:
    """The last day a close may be dated: today, in the zone furthest ahead of this
    machine's and UTC (a close is dated in its exchange's zone, and every exchange closes
    in its afternoon, before that day ends in UTC). ``now``: a test hook."""
    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        return now.date()
    return max(now.astimezone(dt.UTC).date(), now.astimezone().date())


def check_values(ticker: str, days: np.ndarray, close: np.ndarray, adj: np.ndarray,
                 latest: dt.date | None = None) -> None:
    """Raise :class:`ImplausibleData` when a day is outside the years allowed or after
    ``latest`` (default :func:`last_day`), or a close or adjusted close is not a number
    > 0; the message names the first such row."""
    years = bad_years(days)
    if years.any():
        first = np.flatnonzero(years)[0]
        raise ImplausibleData(f"{ticker}: {int(years.sum())} row(s) dated outside "
                              f"{year_rule()} (first {days[first]}); nothing stored")
    latest = latest or last_day()
    future = np.asarray(days).astype("datetime64[D]") > np.datetime64(latest, "D")
    if future.any():
        first = np.flatnonzero(future)[0]
        raise ImplausibleData(f"{ticker}: {int(future.sum())} row(s) dated after today "
                              f"({latest}), first {days[first]}: {FUTURE_RULE}; nothing stored")
    bad = bad_prices(close) | bad_prices(adj)
    if bad.any():
        first = np.flatnonzero(bad)[0]
        raise ImplausibleData(
            f"{ticker}: {int(bad.sum())} row(s) have no valid close (first {days[first]}: "
            f"close {_num(close[first])}, adjusted close {_num(adj[first])}); a close must "
            f"be a number from {MIN_PRICE:g} to {MAX_PRICE:g}; nothing stored")


# -- revisions of stored closes ---------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """How far one write may revise stored closes: ``tolerance`` (relative move that counts as
    a revision), ``max_revised`` such revisions, and no stored close moved by more than
    ``max_move``. ``remedy`` ends the refusal's message (what the user can do)."""

    tolerance: float = settings.DEFAULT_REVISION_TOLERANCE
    max_revised: int = MAX_REVISED
    max_move: float = MAX_MOVE
    remedy: str = ""
    adjusted_note: str = ""  # ends a refusal of adjusted closes (where the source's came from)

    @classmethod
    def from_settings(cls, remedy: str = "", adjusted_note: str = "") -> Limits:
        """The limits now: the tolerance is ``SMALLCAP_REVISION_TOLERANCE``."""
        return cls(tolerance=settings.revision_tolerance(), remedy=remedy,
                   adjusted_note=adjusted_note)


def relative_moves(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """``|new - old| / |old|`` (inf where old is 0; NaN where there is no old close)."""
    old = np.asarray(old, dtype="float64")
    new = np.asarray(new, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.abs(new - old) / np.abs(old)


def check_revisions(ticker: str, days: list[str] | np.ndarray, old: np.ndarray,
                    new: np.ndarray, limits: Limits, *, scale: np.ndarray | None = None,
                    note: str = "", what: str = "close") -> None:
    """Raise :class:`ImplausibleData` when writing closes ``new`` over the stored ``old`` (NaN:
    no stored close that day) would revise more than ``limits.max_revised`` closes beyond
    ``limits.tolerance``, or move any one by more than ``limits.max_move``. The message names
    the ticker, how many closes, and the first offending date with its old and new close.

    ``scale`` (per day; splits a source reports) is what explains part of the move: each old
    close is compared as ``old / scale``, while the message still shows the stored one.
    ``note`` follows the values in the message (what was, or was not, explained); ``what``
    names the values (``close``, ``adjusted close``)."""
    moves = relative_moves(old if scale is None else np.asarray(old, dtype="float64") / scale,
                           new)
    known = ~np.isnan(np.asarray(old, dtype="float64"))
    with np.errstate(invalid="ignore"):
        revised = known & (moves > limits.tolerance)
        large = known & (moves > limits.max_move)
    count = int(revised.sum())
    if count > limits.max_revised:
        first = int(np.flatnonzero(revised)[0])
        reason = (f"would revise {count} stored {what}(s) by more than "
                  f"{percent(limits.tolerance)} (at most {limits.max_revised} may be)")
    elif large.any():
        first = int(np.flatnonzero(large)[0])
        reason = (f"would move {int(large.sum())} stored {what}(s) by more than "
                  f"{percent(limits.max_move)}")
    else:
        return
    raise _refusal(ticker, reason, days[first], old[first], new[first], limits, note)


def check_adjusted(ticker: str, days: list[str] | np.ndarray, old_close: np.ndarray,
                   old_adj: np.ndarray, new_close: np.ndarray, new_adj: np.ndarray,
                   limits: Limits) -> None:
    """The revision rule for the stored adjusted closes, which answers use as much as the
    closes: raise :class:`ImplausibleData` when writing ``new_adj`` over ``old_adj`` (NaN:
    no stored row that day) moves them beyond ``limits`` as :func:`check_revisions` counts
    it, after what a revised close explains (each day's adjustment factor, adjusted close
    over close, is compared). One exception, what a dividend does: a re-based adjustment
    moves every stored day from the first overlapping one up to some day by one common
    factor inside :data:`FACTOR_BAND`, and no later day."""
    old_close, old_adj, new_close, new_adj = (np.asarray(a, dtype="float64") for a in (
        old_close, old_adj, new_close, new_adj))
    known = ~np.isnan(old_adj)
    if not known.any():
        return
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = (new_adj / new_close) / (old_adj / old_close)  # 1: the adjustment is kept
        moved = known & ~(np.abs(factor - 1.0) <= limits.tolerance)
    if not moved.any():
        return
    index = np.flatnonzero(known)
    shift = factor[index[moved[index]]]
    prefix = moved[index].argmin() if not moved[index].all() else len(index)
    low, high = FACTOR_BAND
    if (moved[index][:prefix].all() and not moved[index][prefix:].any()
            and np.isfinite(shift).all() and low <= float(np.median(shift)) <= high
            and (np.abs(shift / np.median(shift) - 1.0) <= limits.tolerance).all()):
        return
    if limits.adjusted_note:
        limits = dataclasses.replace(limits, remedy="; ".join(
            part for part in (limits.remedy, limits.adjusted_note) if part))
    check_revisions(ticker, days, old_adj, new_adj, limits, scale=old_close / new_close,
                    what="adjusted close")


def _refusal(ticker: str, reason: str, day: object, old: float, new: float, limits: Limits,
             note: str = "") -> ImplausibleData:
    """The one-line refusal of a revision: ticker, why, the first date with its old and
    new close, and what to do."""
    message = (f"{ticker}: {reason}, first {_day(day)}: {_num(old)} -> {_num(new)} "
               f"({_change(old, new)}){', ' + note if note else ''}; nothing stored")
    return ImplausibleData(f"{message}; {limits.remedy}" if limits.remedy else message)


def common_ratio(old: np.ndarray, new: np.ndarray, tolerance: float) -> float | None:
    """The one ratio ``new / old`` by which every one of (at least :data:`MIN_UNIFORM`)
    stored closes moved, each beyond ``tolerance`` and all within ``tolerance`` of their
    median: the mark of a rescaled series (a split, or a source changing its basis), not of
    corrected closes. None otherwise."""
    old = np.asarray(old, dtype="float64")
    new = np.asarray(new, dtype="float64")
    if len(old) < MIN_UNIFORM:
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = new / old
    if not (np.isfinite(ratios).all() and (ratios > 0).all()):
        return None
    ratio = float(np.median(ratios))
    if abs(ratio - 1.0) <= tolerance or (np.abs(ratios / ratio - 1.0) > tolerance).any():
        return None
    if (np.abs(ratios - 1.0) <= tolerance).any():
        return None
    return ratio


def refuse_uniform(ticker: str, days: list[str] | np.ndarray, old: np.ndarray,
                   new: np.ndarray, ratio: float, limits: Limits, why: str) -> None:
    """Raise :class:`ImplausibleData` for a uniform revision (every stored close ``old``
    moved to ``new`` by ``ratio``, see :func:`common_ratio`) that nothing explains (``why``,
    e.g. ``that no split Yahoo reports explains``): the message of
    :func:`check_revisions` when the limits refuse it anyway, else its own."""
    note = f"every overlapping close by one ratio, {_num(ratio)}, {why}"
    check_revisions(ticker, days, old, new, limits, note=note)
    raise _refusal(ticker, f"would revise all {len(old)} overlapping stored closes by one "
                   f"ratio, {_num(ratio)}, {why}", days[0], old[0], new[0], limits)


# -- adjusted-close rescale ---------------------------------------------------------------------


def check_rescale(ticker: str, factor: float, day: dt.date) -> None:
    """Raise :class:`ImplausibleData` unless ``factor`` (the move of the source's adjustment
    factor on ``day``, by which the older stored adjusted closes would be rescaled) is finite
    and inside :data:`FACTOR_BAND`."""
    low, high = FACTOR_BAND
    if not (math.isfinite(factor) and low <= factor <= high):
        raise ImplausibleData(
            f"{ticker}: the adjusted close of {day} implies rescaling the stored adjusted "
            f"closes by a factor of {_num(factor)}, outside {low:g} to {high:g}; "
            "nothing stored")


# -- formatting ---------------------------------------------------------------------------------


def percent(fraction: float) -> str:
    """0.001 -> ``0.1%``, 0.2 -> ``20%``."""
    return f"{fraction * 100:.6g}%"


def _num(value: float) -> str:
    return f"{float(value):.6g}"


def _change(old: float, new: float) -> str:
    """``+25.0%``; for a stored close of 0 (written before these rules): ``was 0``."""
    return f"{new / old - 1:+.1%}" if old != 0 else "was 0"


def _day(value: object) -> str:
    return str(value)[:10]
