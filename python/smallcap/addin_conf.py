"""The add-in's user config file (``myaddin.conf``): lines ``"KEY","value"``, which the
add-in's VBA reads with ``Input #`` in the Windows code page. Read whatever encoding a user's
editor saved it in (UTF-8 with or without a BOM, UTF-16 with a BOM as Notepad's "Unicode",
or the Windows code page), written as the xlwings template writes it (``xlwings config
create``: the platform's encoding, CRLF on Windows), and a key or value that would break
the format (a ``"``, a line break, a control character, a character the code page lacks)
is refused with one line, never written."""

from __future__ import annotations

import codecs
import locale
import re
import sys
from pathlib import Path

from .errors import SmallcapError


class AddinError(SmallcapError):
    """Building or installing the add-in failed (missing template, locked file, a config
    that cannot be read or a value that cannot be written into it, ...)."""


#: The code page the add-in's VBA reads the config in on a Western Windows (its ANSI code
#: page); on Windows itself the machine's own ANSI code page is used.
WINDOWS_CODE_PAGE = "cp1252"
_LINE = re.compile(r'\s*"([^"]*)"\s*,\s*"([^"]*)"\s*')
_BREAKS_FORMAT = re.compile(r'["\x00-\x1f\x7f]')
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


def encoding(platform: str) -> str:
    """The encoding the config is written in for ``platform`` (``windows`` or ``mac``)."""
    if platform != "windows":
        return "utf-8"
    if sys.platform == "win32":
        return locale.getencoding()  # the ANSI code page VBA's Input # reads
    return WINDOWS_CODE_PAGE


def decode(data: bytes, path: Path | str = "the config") -> str:
    """The text of a config file: a BOM says UTF-8 or UTF-16; without one, UTF-8, else
    the Windows code page. Text that is none of these (or holds NUL and other control
    characters, as UTF-16 without a BOM does) raises :class:`AddinError`."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(name)
                break
            except UnicodeDecodeError:
                raise AddinError(f"{path}: starts with a {name} byte order mark but is "
                                  f"not {name} text; save it again as UTF-8") from None
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = data.decode(WINDOWS_CODE_PAGE)
            except UnicodeDecodeError:
                raise AddinError(f"{path}: neither UTF-8, UTF-16 nor {WINDOWS_CODE_PAGE} "
                                  "text; save it again as UTF-8") from None
    bad = re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)
    if bad:
        raise AddinError(f"{path}: holds the control character {bad.group()!r} (UTF-16 "
                          "without a byte order mark?); save it again as UTF-8")
    return text.removeprefix("\ufeff")


def read(path: Path) -> dict[str, str]:
    """An xlwings config file (lines ``"KEY","value"``) as a dict, key case kept; {} when
    there is no file."""
    path = Path(path)
    if not path.is_file():
        return {}
    entries: dict[str, str] = {}
    for line in decode(path.read_bytes(), path).splitlines():
        match = _LINE.fullmatch(line)
        if match:
            entries[match.group(1)] = match.group(2)
    return entries


def check(key: str, value: str, platform: str) -> None:
    """Refuse a key or value that would break a ``"KEY","value"`` line or that the
    platform's encoding cannot hold, naming it."""
    for what, text in (("key", key), ("value", value)):
        if not isinstance(text, str):
            raise AddinError(f"{key!r}: the {what} {text!r} is not text")
        bad = _BREAKS_FORMAT.search(text)
        if bad:
            raise AddinError(f"{key!r}: the {what} {text!r} holds {bad.group()!r}, which "
                              "would break the add-in config's \"KEY\",\"value\" lines")
        try:
            text.encode(encoding(platform))
        except UnicodeEncodeError as exc:
            raise AddinError(f"{key!r}: the {what} {text!r} holds {exc.object[exc.start]!r},"
                              f" which the add-in cannot read ({encoding(platform)}); use a "
                              "path without it") from None


def render(entries: dict[str, str], platform: str) -> bytes:
    """The bytes of a config holding ``entries``, as the xlwings template writes it
    (CRLF and the code page on Windows, LF and UTF-8 on macOS); checked first."""
    for key, value in entries.items():
        check(key, value, platform)
    end = "\r\n" if platform == "windows" else "\n"
    return "".join(f'"{k}","{v}"{end}' for k, v in entries.items()).encode(encoding(platform))


def write(path: Path, entries: dict[str, str], platform: str) -> None:
    """Write ``entries`` to ``path`` (see :func:`render`); nothing is written when a value
    is refused."""
    data = render(entries, platform)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
