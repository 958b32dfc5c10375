"""``smallcap workbook build [PATH]``: write the dashboard workbook from the store."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from .. import params

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
                   help="render this workbook as it is (default: a values-only copy built "
                   "from the store, since LibreOffice recomputes array formulas on load)")
    p.add_argument("--outdir", type=Path, default=Path("docs"),
                   help="folder for workbook-story.png and workbook-charts.png (default docs)")
    p.set_defaults(run=run_render)


def run_build(args: argparse.Namespace) -> int:
    from .. import workbook

    options = {}
    if args.note_day:
        options["note_day"] = params.to_date(params.date(args.note_day, "--note-day"))
    if args.chart_start:
        options["chart_start"] = params.to_date(params.date(args.chart_start, "--chart-start"))
    started = time.perf_counter()
    result = workbook.build(args.path, **options)
    seconds = time.perf_counter() - started
    print(f"wrote {result.path}: sheets {', '.join(workbook.SHEETS)}; "
          f"{result.formula_count} formulas with cached values; {result.data_rows} data rows "
          f"(latest {result.latest}); {seconds:.1f} s")
    return 0


def run_render(args: argparse.Namespace) -> int:
    import tempfile

    from .. import workbook

    with tempfile.TemporaryDirectory(prefix="smallcap-render-") as tmp:
        source = args.path
        if source is None:
            source = workbook.build(Path(tmp) / "smallcap.xlsx", static=True).path
        pdf = workbook.render_pdf(source, tmp)
        pages = workbook.sheet_pages(pdf)
        args.outdir.mkdir(parents=True, exist_ok=True)
        for sheet in ("Story", "Charts"):
            if sheet not in pages:
                print(f"smallcap: no page titled {sheet} in the PDF")
                return 1
            png = workbook.render_png(pdf, pages[sheet],
                                      args.outdir / f"workbook-{sheet.lower()}.png")
            print(f"wrote {png} (page {pages[sheet]} of the PDF)")
    return 0
