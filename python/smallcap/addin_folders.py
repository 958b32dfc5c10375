"""The folders ``smallcap addin install`` creates, so that ``uninstall`` removes them again.

Install may create Excel's start-up folder (and its parents, on a fresh user folder) and
the config's folder. It records the ones it created under :data:`KEY` in the add-in's
user config (``"smallcap Folders","path|path"``; xlwings ignores keys it does not know);
uninstall removes each of them that is empty once the add-in and the config are gone,
deepest first, and never a folder it did not create.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

KEY = "smallcap Folders"
SEPARATOR = "|"


def missing(folder: Path) -> list[Path]:
    """``folder`` and its parents that do not exist yet (the deepest first)."""
    found = []
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            break
        found.append(candidate)
    return found


def recorded(entries: dict[str, str]) -> list[Path]:
    """The folders a config's :data:`KEY` names."""
    return [Path(p) for p in entries.get(KEY, "").split(SEPARATOR) if p]


def record(entries: dict[str, str], created: list[Path]) -> dict[str, str]:
    """``entries`` with ``created`` added to the folders already recorded."""
    folders = [*recorded(entries), *created]
    unique = list(dict.fromkeys(str(f) for f in folders))
    return {**entries, KEY: SEPARATOR.join(unique)} if unique else entries


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
