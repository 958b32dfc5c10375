"""Pure analytics on pandas Series of daily closes (or :class:`History`); no I/O."""
