"""The folders ``smallcap addin install`` creates, so that ``uninstall`` removes them again.

Install may create Excel's start-up folder (and its parents, on a fresh user folder) and
the config's folder. It records the ones it created, one per line (UTF-8), in
:func:`record_file` beside the add-in's user config (the config itself stays exactly as
xlwings writes it); uninstall removes that file, then each recorded folder that is empty
once the add-in and the config are gone, deepest first, and never a folder it did not
create.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

RECORD_NAME = "smallcap-folders.txt"


def record_file(config: Path) -> Path:
    """Where install records the folders it created: beside the config file."""
    return config.with_name(RECORD_NAME)


def missing(folder: Path) -> list[Path]:
    """``folder`` and its parents that do not exist yet (the deepest first)."""
    found = []
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            break
        found.append(candidate)
    return found


def recorded(config: Path) -> list[Path]:
    """The folders install recorded beside ``config`` (none when there is no record)."""
    try:
        text = record_file(config).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    return [Path(line) for line in text.splitlines() if line.strip()]


def record(config: Path, created: list[Path]) -> None:
    """Add ``created`` to the folders recorded beside ``config`` (written when any)."""
    folders = list(dict.fromkeys(str(f) for f in [*recorded(config), *created]))
    if folders:
        record_file(config).write_text("\n".join(folders) + "\n", encoding="utf-8")


def forget(config: Path, *, dry_run: bool) -> list[Path]:
    """The recorded folders, and the record removed (unless ``dry_run``)."""
    folders = recorded(config)
    if not dry_run:
        with contextlib.suppress(OSError):
            record_file(config).unlink()
    return folders


def remove_empty(folders: list[Path], *, dry_run: bool) -> list[str]:
    """Remove each of ``folders`` that is empty, deepest first; the actions taken (with
    ``dry_run``: the folders that would go, assuming the add-in's own files are gone)."""
    actions = []
    for folder in sorted(set(folders), key=lambda f: len(f.parts), reverse=True):
        if not folder.is_dir():
            continue
        if dry_run:
            actions.append(f"remove the folder {folder} if it is empty")
            continue
        with contextlib.suppress(OSError):  # not empty (the user's files): it stays
            folder.rmdir()
            actions.append(f"remove the empty folder {folder}")
    return actions
