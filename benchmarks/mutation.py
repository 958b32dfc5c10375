"""Mutation testing, run by hand (not in CI, not a test dependency): how many mutants of
``params``, ``catalogue``, ``sources/`` and ``store`` the tests notice, with cosmic-ray.

Usage (``pip install cosmic-ray`` first; about 2 to 8 s of CPU per mutant)::

    python benchmarks/mutation.py [--sample 40] [--seed 17] [--keep DIR] [TARGET ...]
    python benchmarks/mutation.py --recheck DIR [TARGET ...]

It mutates a copy of the checkout's HEAD (``git archive``, in a temporary folder, never the
checkout; the tests need nothing beside it). For each target it samples
``--sample`` mutants at random (``--seed``), leaving out those inside type annotations
(never evaluated under ``from __future__ import annotations``: equivalent by construction),
runs the target's test files on each (``pytest -x``) and prints killed / survived, the
score, and the diff of every survivor (to judge it equivalent or write the test it asks
for). A timeout counts as killed. ``--keep DIR`` keeps the copy and cosmic-ray's sessions;
``--recheck DIR`` runs only the survivors of the sessions kept there again, on a fresh copy
of HEAD (after tests were added to kill them; a survivor whose diff no longer applies is
counted apart).
"""

from __future__ import annotations

import argparse
import ast
import io
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORE = ["test_bad_input", "test_arrays", "test_catalogue", "test_api", "test_noticing",
        "test_udfs", "test_service", "test_streaks", "test_returns", "test_rarity",
        "test_levels", "test_rates", "test_forward", "test_settings", "test_probe_regressions"]
STORE = ["test_store", "test_plausible", "test_store_readonly", "test_freshness", "test_csv",
         "test_noticing"]
YAHOO = ["test_csv", "test_noticing", "test_yahoo_refresh", "test_yahoo_splits",
         "test_yahoo_errors", "test_refresh_rescale"]
TARGETS = {  # name -> (what is mutated, the test files that exercise it)
    "params": ("python/smallcap/params.py", CORE),
    "catalogue": ("python/smallcap/catalogue.py", CORE),
    "store": ("python/smallcap/store.py", STORE),
    "sources": ("python/smallcap/sources", YAHOO),
}


def annotation_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(start, end) positions (line from 1, column from 0) of every type annotation."""
    spans = []
    for node in ast.walk(ast.parse(source)):
        found = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            a = node.args
            found = [x.annotation for x in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg,
                                            a.kwarg] if x is not None and x.annotation]
            found += [node.returns] if node.returns else []
        elif isinstance(node, ast.AnnAssign):
            found = [node.annotation]
        spans += [((n.lineno, n.col_offset), (n.end_lineno, n.end_col_offset)) for n in found]
    return spans


def sample(db: Path, root: Path, count: int, seed: int) -> tuple[int, int]:
    """Keep ``count`` random mutants of a cosmic-ray session outside annotations."""
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT job_id, module_path, start_pos_row, start_pos_col "
                        "FROM mutation_specs").fetchall()
    spans: dict[str, list] = {}
    eligible = []
    for job, path, row, col in rows:
        if path not in spans:
            spans[path] = annotation_spans((root / path).read_text())
        if not any(start <= (row, col) < end for start, end in spans[path]):
            eligible.append(job)
    random.Random(seed).shuffle(eligible)
    chosen = set(eligible[:count])
    dropped = [(job,) for job, *_ in rows if job not in chosen]
    conn.executemany("DELETE FROM mutation_specs WHERE job_id = ?", dropped)
    conn.executemany("DELETE FROM work_items WHERE job_id = ?", dropped)
    conn.commit()
    conn.close()
    return len(rows), len(eligible)


def config(root: Path, module: str, tests: list[str]) -> str:
    files = " ".join(f"tests/{name}.py" for name in tests)
    return (f'[cosmic-ray]\nmodule-path = "{module}"\ntimeout = 180.0\n'
            f'excluded-modules = []\ntest-command = "env PYTHONPATH={root}/python '
            f'PYTHONDONTWRITEBYTECODE=1 {sys.executable} -m pytest -x -q -p no:cacheprovider '
            f'{files}"\n\n[cosmic-ray.distributor]\nname = "local"\n')


def report(db: Path) -> tuple[int, int, list[str]]:
    """(killed, survived, survivors' diffs) of an executed session."""
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT lower(worker_outcome), lower(test_outcome), diff "
                        "FROM work_results").fetchall()
    conn.close()
    killed = sum(1 for worker, test, _ in rows if worker == "timeout" or test == "killed")
    survivors = [diff for worker, test, diff in rows if worker != "timeout"
                 and test == "survived"]
    return killed, len(survivors), survivors


def copy_head(work: Path, name: str) -> Path:
    """The checkout's HEAD in ``work/name`` (the tests need nothing beside it)."""
    root = work / name
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "HEAD"], check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(root, filter="data")
    return root


def recheck(kept: Path, root: Path, targets: list[str]) -> int:
    """Apply each survivor kept in ``kept`` to ``root`` in turn and run its tests."""
    env = {**os.environ, "PYTHONPATH": str(root / "python"), "PYTHONDONTWRITEBYTECODE": "1"}
    for name in targets:
        db = kept / f"{name}.sqlite"
        if not db.exists():
            continue
        killed, survivors, stale = 0, [], 0
        for diff in report(db)[2]:
            patch = diff.split("\n", 1)[1] if diff.startswith("--- mutation diff") else diff
            applied = subprocess.run(["patch", "-p1", "--forward", "--silent"], cwd=root,
                                     input=patch, text=True, capture_output=True)
            if applied.returncode:
                stale += 1
                continue
            files = [f"tests/{t}.py" for t in TARGETS[name][1]]
            tests = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q",
                                    "-p", "no:cacheprovider", *files], cwd=root, env=env,
                                   capture_output=True, timeout=600)
            subprocess.run(["patch", "-p1", "-R", "--silent"], cwd=root, input=patch,
                           text=True, check=True)
            if tests.returncode:
                killed += 1
            else:
                survivors.append(diff)
        print(f"\n{name}: {killed} of the earlier survivors now killed, {len(survivors)} "
              f"still survive, {stale} no longer apply")
        for diff in survivors:
            print(diff)
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", help=f"any of {', '.join(TARGETS)} (all)")
    parser.add_argument("--sample", type=int, default=40, help="mutants per target (40)")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--keep", type=Path, help="keep the copy and sessions in this folder")
    parser.add_argument("--recheck", type=Path, help="run the survivors kept in this folder")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.targets) - set(TARGETS))
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)}; use {', '.join(TARGETS)}")
    if shutil.which("cosmic-ray") is None:
        print("cosmic-ray is not installed: pip install cosmic-ray", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="smallcap-mutation-")) if args.keep is None \
        else args.keep.resolve()
    root = copy_head(work, "recheck" if args.recheck else "repo")
    if args.recheck:
        return recheck(args.recheck.resolve(), root, args.targets or list(TARGETS))
    total_killed = total = 0
    for name in args.targets or list(TARGETS):
        module, tests = TARGETS[name]
        toml, db = work / f"{name}.toml", work / f"{name}.sqlite"
        toml.write_text(config(root, module, tests))
        db.unlink(missing_ok=True)
        subprocess.run(["cosmic-ray", "init", str(toml), str(db)], cwd=root, check=True)
        mutants, eligible = sample(db, root, args.sample, args.seed)
        subprocess.run(["cosmic-ray", "exec", str(toml), str(db)], cwd=root, check=True)
        killed, survived, diffs = report(db)
        total_killed, total = total_killed + killed, total + killed + survived
        print(f"\n{name}: {mutants} mutants, {eligible} outside annotations, "
              f"{killed + survived} sampled: {killed} killed, {survived} survived "
              f"({killed / max(killed + survived, 1):.0%})")
        for diff in diffs:
            print(diff)
    print(f"\nall: {total_killed} of {total} killed ({total_killed / max(total, 1):.0%})")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
