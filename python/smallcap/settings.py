"""Settings shared by every layer (read from the environment when asked, never cached)."""

from __future__ import annotations

import os

from . import params

DEFAULT_TICKERS = ("^RUT", "^GSPC", "^NDX", "IWM", "SPY", "^TNX")
TICKERS_ENV = "SMALLCAP_TICKERS"


def default_tickers() -> tuple[str, ...]:
    """Tickers refreshed (and written to the Data sheet) by default: ``$SMALLCAP_TICKERS``
    (comma-separated) when set, else :data:`DEFAULT_TICKERS`."""
    text = os.environ.get(TICKERS_ENV, "").strip()
    if not text:
        return DEFAULT_TICKERS
    return tuple(params.ticker(t, TICKERS_ENV) for t in text.split(",") if t.strip())
