"""Where a ticker's stored history came from, in the words ``DATA_STATUS`` and
``smallcap status`` show: ``yahoo``, or a history loaded from a CSV file, which may miss
splits Yahoo would have reported (a refresh checks only its own window; ``smallcap refresh
--full TICKER`` checks the whole history).

Read from the store's refresh log: the newest successful CSV load of the ticker, and whether
a whole history fetched from Yahoo replaced it since.
"""

from __future__ import annotations

import pandas as pd

from ..store import Store
from .yahoo import SOURCE as YAHOO

CSV = "csv"  # the refresh-log source of a CSV load starts with it (``csv:RUT.csv``)
WHOLE = "whole history"  # in the refresh-log message of a Yahoo write of a whole history
LOG_ROWS = 100_000  # more successful writes of one ticker than any store holds


def provenance(store: Store, ticker: str) -> str:
    """``yahoo`` when no CSV load is newer than the last whole history fetched from Yahoo
    (or there was none); else ``csv: splits not checked`` (never refreshed since) or
    ``csv: splits before D not checked``, D the first day a Yahoo refresh has read since
    the load (splits from D on are checked)."""
    log = store.refresh_log(LOG_ROWS, ticker)
    log = log[log["ok"] == 1]
    loads = log[log["source"].astype(str).str.startswith(CSV)]
    if loads.empty:
        return YAHOO
    after = log[(log["id"] > loads["id"].max()) & (log["source"] == YAHOO)]
    if after["message"].astype(str).str.contains(WHOLE, regex=False).any():
        return YAHOO
    days = pd.to_datetime(after["first_date"], errors="coerce").dropna()
    if days.empty:
        return f"{CSV}: splits not checked"
    return f"{CSV}: splits before {days.min().date()} not checked"
