"""What a revision of stored closes means: the one place that decides it.

A refresh compares what the source (Yahoo) sends with what the store holds on the same days,
given the splits the source reports with its answer. Every Yahoo write asks here what the
difference means, and the answer is one of:

- ``plain``: new days, and revised closes that the limits of
  :func:`smallcap.analytics.plausible.check_revisions` allow (the store's write checks
  them inside its transaction);
- ``rescale``: the closes agree but the adjusted closes moved by one factor (a fund's
  dividend went ex, and the source re-based its adjustment): the older stored adjusted
  closes are rescaled by it, a factor inside :data:`plausible.FACTOR_BAND`;
- ``split``: the source reports a split after the day up to which the ticker's splits were
  checked, or every overlapping close moved by the one ratio of a reported split: the whole
  history is fetched again, and :func:`judge_history` decides whether it may replace the
  stored one.

A revision of every overlapping close by one common ratio that no reported split explains is
refused (:class:`~smallcap.errors.ImplausibleData`): nothing explains it. So is a whole
history that, after what the reported splits explain, still revises stored closes beyond
the limits, lacks stored days, or is not itself adjusted for a split it reports.

Pure (no I/O): the store's rows and the fetched rows come in as frames.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ImplausibleData
from . import plausible


@dataclass(frozen=True, order=True)
class Split:
    """A split the source reports: on ``day`` each share became ``numerator / denominator``
    shares (2:1 doubles them; 1:10, a reverse split, makes one of ten). Closes before
    ``day`` are divided by :attr:`ratio` in a history adjusted for it."""

    day: dt.date
    numerator: float
    denominator: float

    @property
    def ratio(self) -> float:
        return self.numerator / self.denominator

    @property
    def label(self) -> str:
        """``2:1``, ``1:10``."""
        return f"{self.numerator:g}:{self.denominator:g}"

    def __str__(self) -> str:
        return f"{self.day} ({self.label})"


@dataclass(frozen=True)
class Meaning:
    """What a revision means (see the module): ``kind`` is ``plain``, ``rescale`` (older
    adjusted closes times ``factor``, from ``day`` back) or ``split`` (``splits``: the
    reported splits that explain it). ``revised``: stored closes a whole history moves
    beyond the tolerance after what the splits explain."""

    kind: str
    factor: float = 1.0
    day: dt.date | None = None
    splits: tuple[Split, ...] = ()
    revised: int = 0


PLAIN = Meaning("plain")


def rescale_note(meaning: Meaning) -> str:
    """The line saying a ``rescale`` moved the older adjusted closes ("" for any other
    meaning): allowed inside the band, but never silent."""
    if meaning.kind != "rescale":
        return ""
    return (f"adjusted closes before {meaning.day} rescaled by {meaning.factor:.6g} "
            f"({meaning.factor - 1:+.2%}: Yahoo's dividend adjustment moved)")
SPLIT_MATCH = 0.01  # how near a common ratio must be to a split's to be that split


def describe(splits: Iterable[Split]) -> str:
    """``split on 2026-02-09 (2:1)``; ``splits on 2000-03-20 (2:1), 2024-06-10 (10:1)``."""
    splits = sorted(splits)
    word = "split" if len(splits) == 1 else "splits"
    return f"{word} on {', '.join(map(str, splits))}"


def pending(splits: Iterable[Split], checked_through: dt.date | None) -> list[Split]:
    """The reported splits not yet reflected in the store: those after ``checked_through``
    (the last day whose splits the store's rows are known to reflect; None: no record, so
    every split reported)."""
    return sorted(s for s in splits if s.ratio != 1.0
                  and (checked_through is None or s.day > checked_through))


def _aligned(stored: pd.DataFrame, rows: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """Days both hold (``datetime64[D]``), and their stored and new close and adjusted close."""
    old_days = stored.index.to_numpy().astype("datetime64[D]")
    new_days = rows["date"].to_numpy().astype("datetime64[D]")
    days, i, j = np.intersect1d(old_days, new_days, assume_unique=True, return_indices=True)
    return (days, stored["close"].to_numpy(dtype="float64")[i],
            stored["adj_close"].to_numpy(dtype="float64")[i],
            rows["close"].to_numpy(dtype="float64")[j],
            rows["adj_close"].to_numpy(dtype="float64")[j])


def _day(value: np.datetime64) -> dt.date:
    return pd.Timestamp(value).date()


def judge_overlap(ticker: str, stored: pd.DataFrame, rows: pd.DataFrame,
                  splits: Sequence[Split], checked_through: dt.date | None,
                  limits: plausible.Limits) -> Meaning:
    """What the fetched ``rows`` (``date``, ``close``, ``adj_close``) of an incremental
    refresh mean for the ``stored`` rows on the same days (a frame indexed by date, from
    :meth:`smallcap.store.Store.frame`), given the ``splits`` reported with them.

    Raises :class:`ImplausibleData` for a uniform revision no reported split explains, and
    for an adjusted-close rescale outside the band."""
    new = pending(splits, checked_through)
    if new:
        return Meaning("split", splits=tuple(new))
    days, old_close, old_adj, new_close, new_adj = _aligned(stored, rows)
    if not len(days):
        return PLAIN
    ratio = plausible.common_ratio(old_close, new_close, limits.tolerance)
    if ratio is not None:
        matching = [s for s in splits if s.ratio != 1.0
                    and abs(ratio * s.ratio - 1.0) <= SPLIT_MATCH]
        if matching:  # a split already recorded, which the stored rows do not reflect yet
            return Meaning("split", splits=(matching[0],))
        plausible.refuse_uniform(ticker, days, old_close, new_close, ratio, limits,
                                 "that no split Yahoo reports explains")
    pair = np.array([old_close[0], new_close[0]])
    if plausible.bad_prices(pair).any():  # no factor to speak of: the write refuses them
        return PLAIN
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = float(np.float64(new_adj[0]) / new_close[0] / (np.float64(old_adj[0]) /
                                                                 old_close[0]))
    if abs(factor - 1.0) <= 1e-9:
        return PLAIN
    plausible.check_rescale(ticker, factor, _day(days[0]))
    return Meaning("rescale", factor=factor, day=_day(days[0]))


def judge_history(ticker: str, stored: pd.DataFrame, rows: pd.DataFrame,
                  splits: Sequence[Split], checked_through: dt.date | None,
                  limits: plausible.Limits) -> Meaning:
    """Whether the whole history ``rows`` (``date``, ``close``, ``adj_close``, as fetched
    again) may replace every ``stored`` row of the ticker, given the ``splits`` reported
    with it; ``split`` with the splits that explain moved closes, else ``plain``.

    Between two reported split days the stored closes must have moved by none, or by the
    ratios of the newest splits after them (a history stored before those splits); after
    that, the same limits as any write. Raises :class:`ImplausibleData` when they are
    exceeded, when more than ``limits.max_revised`` stored days are missing from ``rows``,
    or when ``rows`` are not themselves adjusted for a split reported after
    ``checked_through`` (a step of that ratio on the split day)."""
    _check_adjusted(ticker, rows, pending(splits, checked_through), limits)
    if stored.empty:
        return PLAIN
    missing = ~np.isin(stored.index.to_numpy().astype("datetime64[D]"),
                       rows["date"].to_numpy().astype("datetime64[D]"))
    if int(missing.sum()) > limits.max_revised:
        first = int(np.flatnonzero(missing)[0])
        message = (f"{ticker}: Yahoo's whole history lacks {int(missing.sum())} stored "
                   f"day(s), first {stored.index[first].date()} (close "
                   f"{stored['close'].iloc[first]:.6g}); nothing stored")
        raise ImplausibleData(message + (f"; {limits.remedy}" if limits.remedy else ""))
    days, old_close, _, new_close, _ = _aligned(stored, rows)
    ordered = sorted(s for s in splits if s.ratio != 1.0 and math.isfinite(s.ratio))
    split_days = np.array([np.datetime64(s.day, "D") for s in ordered], dtype="datetime64[D]")
    segment = np.searchsorted(split_days, days, side="right")  # splits on or before each day
    scale = np.ones(len(days))
    applied: set[Split] = set()
    with np.errstate(divide="ignore", invalid="ignore"):
        moved = new_close / old_close
    for k in np.unique(segment):
        inside = segment == k
        sane = moved[inside][np.isfinite(moved[inside]) & (moved[inside] > 0)]
        if not len(sane):
            continue
        observed = float(np.median(sane))
        later = ordered[int(k):]
        best, best_error, factor = 0, abs(math.log(observed)), 1.0
        for count in range(1, len(later) + 1):  # the newest `count` splits after this stretch
            factor *= later[-count].ratio
            error = abs(math.log(observed * factor))
            if error < best_error:
                best, best_error = count, error
        if best:
            scale[inside] = math.prod(s.ratio for s in later[len(later) - best:])
            applied.update(later[len(later) - best:])
    if applied:
        note = f"beyond what the {describe(applied)} Yahoo reports explain"
    else:
        note = "with no split Yahoo reports to explain them"
    plausible.check_revisions(ticker, days, old_close, new_close, limits, scale=scale,
                              note=note)
    moves = plausible.relative_moves(old_close / scale, new_close)
    with np.errstate(invalid="ignore"):
        revised = int((moves > limits.tolerance).sum())
    if applied:
        return Meaning("split", splits=tuple(sorted(applied)), revised=revised)
    return Meaning("plain", revised=revised)


def _check_adjusted(ticker: str, rows: pd.DataFrame, splits: Sequence[Split],
                    limits: plausible.Limits) -> None:
    """Refuse ``rows`` that step by a split's ratio on its day: the source reports the split
    but has not adjusted the closes before it (yet)."""
    if not splits or len(rows) < 2:
        return
    days = rows["date"].to_numpy().astype("datetime64[D]")
    close = rows["close"].to_numpy(dtype="float64")
    jump = math.log1p(limits.max_move)
    for split in splits:
        at = int(np.searchsorted(days, np.datetime64(split.day, "D")))
        if not 0 < at < len(days) or not (close[at] > 0 and close[at - 1] > 0):
            continue
        step = math.log(close[at] / close[at - 1])
        if abs(step) > jump and abs(step + math.log(split.ratio)) < abs(step):
            raise ImplausibleData(
                f"{ticker}: Yahoo reports a split on {split.day} ({split.label}) but its "
                f"history is not adjusted for it (close {_day(days[at - 1])}: "
                f"{close[at - 1]:.6g}, {_day(days[at])}: {close[at]:.6g}, "
                f"{close[at] / close[at - 1] - 1:+.1%}); nothing stored; try again later")
