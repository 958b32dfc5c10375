"""The sample history bundled with the package: what the tests and an offline first run use.

A clone has no ``../shared``: the suite and ``smallcap report --sample`` must need nothing
outside the repository, and the bundle's README must describe the files it ships.
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
from pathlib import Path

from smallcap.sources import sample

REPO = Path(__file__).resolve().parents[1]


def smallcap(store: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "100", "SMALLCAP_STORE": str(store),
           "SMALLCAP_YAHOO_URL": "http://127.0.0.1:9"}  # nothing listens there: offline
    return subprocess.run([sys.executable, "-m", "smallcap.cli", *args], capture_output=True,
                          text=True, timeout=300, env=env)


def test_the_bundle_readme_describes_every_file_it_ships() -> None:
    """Each row of the provenance table (file, first, last, rows) matches the file."""
    readme = (sample.FOLDER / "README.md").read_text()
    rows = re.findall(r"^\| `(\w+\.csv\.gz)` \| [^|]+ \| (\S+) \| (\S+) \| (\d+) \|", readme, re.M)
    assert sorted(name for name, *_ in rows) == sorted(p.name for p in sample.files().values())
    for name, first, last, count in rows:
        lines = gzip.decompress((sample.FOLDER / name).read_bytes()).decode().splitlines()
        assert lines[0] == "Date,Close"
        assert (lines[1][:10], lines[-1][:10], len(lines) - 1) == (first, last, int(count)), name


def test_sample_tickers_are_named_like_load_dir_names_files() -> None:
    tickers = set(sample.files())
    assert {"^RUT", "^GSPC", "^TNX", "IWM", "SPY"} <= tickers
    assert not {"RUT", "GSPC"} & tickers


def test_nothing_reads_outside_the_repository() -> None:
    """No module or test reaches for ../shared: a user's clone does not have it."""
    offenders = [str(path.relative_to(REPO)) for folder in ("python", "tests", "benchmarks")
                 for path in (REPO / folder).rglob("*.py")
                 if path != Path(__file__).resolve()
                 and re.search(r"""["'/]shared["'/]|\.\./shared""", path.read_text())]
    assert offenders == []


def test_report_sample_works_offline_on_an_empty_store(tmp_path: Path) -> None:
    store = tmp_path / "missing" / "store.sqlite"
    done = smallcap(store, "report", "--sample", "--as-of", "2024-07-16")
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert "Sample data" in first and "2026-02-23" in first  # says it is a sample, and its end
    assert "+3.50%" in done.stdout and "2022-01-04" in done.stdout  # the note's figures
    assert not store.parent.exists()  # the user's store is neither created nor written


def test_an_empty_store_offline_points_at_the_sample(tmp_path: Path) -> None:
    done = smallcap(tmp_path / "empty.sqlite", "report")
    assert done.returncode == 2
    assert "smallcap report --sample" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
