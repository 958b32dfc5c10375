"""One exception hierarchy for the whole package.

Every error carries the Excel error value a cell shows for it (``excel_code``) and
a message that names the argument or the data at fault and how to fix it. The
UDF adapter turns an error into the text ``"<excel_code> <message>"``, e.g.
``#N/A no data for ^XYZ — refresh first``.
"""

from __future__ import annotations


class SmallcapError(Exception):
    """Base class of every error smallcap raises on purpose."""

    excel_code = "#VALUE!"

    MAX_MESSAGE = 400  # characters: an error is one readable line, whatever the input

    def __init__(self, message: str) -> None:
        message = " ".join(str(message).split()) if "\n" in message or "\r" in message \
            else message
        if len(message) > self.MAX_MESSAGE:
            message = message[: self.MAX_MESSAGE - 1] + "…"
        super().__init__(message)
        self.message = message

    def cell_text(self) -> str:
        """What an Excel cell shows for this error: the error code, then the message."""
        return f"{self.excel_code} {self.message}"


class BadArgument(SmallcapError, ValueError):
    """An argument is malformed or out of range (a ticker, a window, a threshold, a date)."""

    excel_code = "#VALUE!"

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(f"{argument}: {message}")
        self.argument = argument


class OutOfRange(BadArgument):
    """An argument is well formed but outside what the data allows (window longer than the
    history, ``as_of`` before the first stored date)."""

    excel_code = "#NUM!"


class NoData(SmallcapError, LookupError):
    """The store holds no rows for a ticker (or none in the asked range)."""

    excel_code = "#N/A"


class NoAnswer(SmallcapError, ArithmeticError):
    """The data is there but the question has no numeric answer (a zero denominator,
    a close that is the all-time high so nothing is higher)."""

    excel_code = "#N/A"


class StoreError(SmallcapError, OSError):
    """The SQLite store cannot be opened, read or written."""

    excel_code = "#N/A"


class SourceError(SmallcapError):
    """A data source failed: a bad CSV line, a network fault, a malformed answer."""

    excel_code = "#N/A"


class CsvFormatError(SourceError, ValueError):
    """A CSV file is malformed; the message names the file and line."""


class FetchError(SourceError):
    """Fetching from an online source failed (network, HTTP status, bad payload)."""


class ImplausibleData(SourceError, ValueError):
    """Rows a source would write are not plausible (a close that is not a number > 0, a day
    outside 1900-2100, a revision of too many or too far moved stored closes, an adjusted-
    close rescale outside its band); nothing was written. The message names the ticker, the
    date and the values."""


class ImplausibleRow(ImplausibleData, CsvFormatError):
    """A line of a CSV file holds implausible data; the message names the file and line."""


class InputTooLarge(SourceError, ValueError):
    """A file or an answer is larger than its size cap (the message names the setting)."""


class NotARegularFile(CsvFormatError):
    """A path given as a data file is not a regular file (a folder, a FIFO, a device)."""
