"""Pure analytics on pandas Series of daily closes (or :class:`History`); no I/O.

Every function takes closes indexed by date (a pandas Series) or a History, and
returns fractions, trading-day counts, ``datetime.date`` or DataFrames. One module
per topic: ``streaks``, ``returns`` (windows and rotation), ``levels``, ``forward``,
``rarity`` (how rare a move was), ``rates``; ``history`` and ``windows`` hold what they
share.
"""

from .forward import forward_returns
from .history import History, as_history, inner_join
from .levels import highest_since, price, price_history
from .rarity import return_percentile, spread_percentile
from .rates import rate_beta
from .returns import (
    pair_returns,
    ratio_or_nan,
    ratio_reading,
    rebase,
    rotation_ratio,
    rotation_series,
    rotation_spread,
    window_return,
    window_returns,
)
from .streaks import run_lengths, streak_count, streak_episodes, streak_length

__all__ = [
    "History",
    "as_history",
    "forward_returns",
    "highest_since",
    "inner_join",
    "pair_returns",
    "price",
    "price_history",
    "rate_beta",
    "ratio_or_nan",
    "ratio_reading",
    "rebase",
    "return_percentile",
    "rotation_ratio",
    "rotation_series",
    "rotation_spread",
    "run_lengths",
    "spread_percentile",
    "streak_count",
    "streak_episodes",
    "streak_length",
    "window_return",
    "window_returns",
]
