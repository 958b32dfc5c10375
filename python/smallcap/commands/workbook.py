"""``smallcap workbook build [PATH]``: write the dashboard workbook from the store."""

from __future__ import annotations

import argparse
import os
import time
import zipfile
from pathlib import Path

from .. import params
from ..errors import BadArgument, SmallcapError

DEFAULT_PATH = Path("smallcap.xlsx")


def register(sub: argparse._SubParsersAction) -> None:
    group = sub.add_parser("workbook", help="the dashboard workbook (Story, Explore, Charts, Data)")
    jobs = group.add_subparsers(dest="workbook_command", metavar="JOB", required=True)
    p = jobs.add_parser("build", help="write the dashboard workbook from the store")
    p.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH,
                   help=f"where to write it (default: {DEFAULT_PATH})")
    p.add_argument("--note-day", default=None,
                   help="the day the Story sheet checks beside the latest (default 2024-07-16)")
    p.add_argument("--chart-start", default=None,
                   help="first day of the rebased and rotation charts (default 2021-01-01)")
    p.set_defaults(run=run_build)

    p = jobs.add_parser("render", help="render the Story and Charts sheets to PNG with "
                        "LibreOffice (the README pictures)")
    p.add_argument("path", nargs="?", type=Path, default=None,
                   help="render this workbook as it is (default: the workbook built from "
                   "the store, as LibreOffice shows it)")
    p.add_argument("--outdir", type=Path, default=Path("docs"),
                   help="folder for workbook-story.png and workbook-charts.png (default docs)")
    p.set_defaults(run=run_render)


def run_build(args: argparse.Namespace) -> int:
    """Write the workbook; a folder, a non-file or an unwritable path is one line, exit 2
    (checked before the build, and again when the file is written)."""
    from xlsxwriter.exceptions import XlsxWriterException

    from .. import workbook

    target = output_file(args.path)
    options = {}
    if args.note_day:
        options["note_day"] = params.to_date(params.date(args.note_day, "--note-day"))
    if args.chart_start:
        options["chart_start"] = params.to_date(params.date(args.chart_start, "--chart-start"))
    started = time.perf_counter()
    try:
        result = workbook.build(target, **options)
    except OSError as exc:
        raise _cannot_write(target, exc) from None
    except XlsxWriterException as exc:  # FileCreateError wraps the OSError of the write
        cause = exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else exc
        raise _cannot_write(target, cause) from None
    seconds = time.perf_counter() - started
    print(f"wrote {result.path}: sheets {', '.join(workbook.SHEETS)}; "
          f"{result.formula_count} formulas with cached values; {result.data_rows} data rows "
          f"(latest {result.latest}); {seconds:.1f} s")
    return 0


def output_file(path: Path) -> Path:
    """``path`` as a file the workbook can be written to, else :class:`BadArgument`."""
    if path.is_dir():
        raise BadArgument("PATH", f"{path} is a folder: give a file name, e.g. "
                          f"{path / DEFAULT_PATH}")
    if path.exists() and not path.is_file():
        raise BadArgument("PATH", f"{path} is not a regular file: give an .xlsx file name")
    if path.suffix.lower() != ".xlsx":
        raise BadArgument("PATH", f"{path} does not end in .xlsx: give an .xlsx file name")
    if path.is_file() and path.stat().st_size and not zipfile.is_zipfile(path):
        raise BadArgument("PATH", f"{path} exists and is not a workbook: not overwritten; "
                          "give a new .xlsx file name")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise BadArgument("PATH", f"cannot write {path}: {folder} is not a folder")
    if not os.access(folder if not path.exists() else path, os.W_OK):
        raise BadArgument("PATH", f"cannot write {path}: permission denied")
    return path


def _cannot_write(path: Path, exc: BaseException) -> BadArgument:
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return BadArgument("PATH", f"cannot write {path}: {reason}")


def run_render(args: argparse.Namespace) -> int:
    import tempfile

    from .. import workbook

    if args.path is not None and not args.path.is_file():
        raise BadArgument("PATH", f"{args.path} is not a workbook file")
    with tempfile.TemporaryDirectory(prefix="smallcap-render-") as tmp:
        source = args.path
        if source is None:
            source = workbook.build(Path(tmp) / "smallcap.xlsx").path
        try:
            pdf = workbook.render_pdf(source, tmp)
        except RuntimeError as exc:  # LibreOffice failed: its own words, one line
            raise SmallcapError(str(exc)) from None
        pages = workbook.sheet_pages(pdf)
        args.outdir.mkdir(parents=True, exist_ok=True)
        for sheet in ("Story", "Charts"):
            if sheet not in pages:
                raise SmallcapError(f"no page titled {sheet} in the PDF LibreOffice made "
                                    f"of {source}")
            png = workbook.render_png(pdf, pages[sheet],
                                      args.outdir / f"workbook-{sheet.lower()}.png")
            print(f"wrote {png} (page {pages[sheet]} of the PDF)")
    return 0
