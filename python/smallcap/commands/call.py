"""``smallcap call FUNCTION [ARGS...] [--json] [--all]``: one catalogue function from the
command line, in the layout a cell spills (FORWARD_RETURNS with its summary rows).

Printed by the function's result kind: fractions as percentages, dates as dates, whole
numbers whole, other numbers with enough digits to read (``--json`` gives every digit,
errors as ``{"error": {"code", "message"}}``, exit 2). A long table shows its last
:data:`SHOWN_ROWS` rows and says how many were left out, unless ``--all``. Without a
function (or with ``--help``) it lists the functions with their one-line help.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import textwrap
from typing import Any

from .. import catalogue, settings

SHOWN_ROWS = 25  # rows of a table shown without --all (the last ones: the latest days)


def function_list() -> str:
    """Every function: Python name, Excel name, one-line help."""
    from .. import api  # noqa: F401  (its declarations fill the catalogue)

    rows = [(fn.name, fn.excel[0], fn.summary) for fn in catalogue.functions()]
    width = max(len(name) for name, _, _ in rows)
    excel = max(len(name) for _, name, _ in rows)
    return "functions (Python or Excel name, any case):\n" + "\n".join(
        f"  {name:<{width}}  {xl:<{excel}}  {text}" for name, xl, text in rows)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "call", help="call one catalogue function, e.g. call streak_count 5 (no function: "
        "list them)", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Call one function with its arguments in the Excel order (\"\" skips "
        "one; put -- before an argument starting with -, e.g. call rut_streak -- -1%).",
        epilog=function_list())
    p.add_argument("function", nargs="?", help="catalogue function, e.g. streak_count or "
                   "STREAK_COUNT (none: list them)")
    p.add_argument("args", nargs="*", help="positional arguments, in the Excel order")
    p.add_argument("--json", action="store_true",
                   help="print JSON (every digit, every row; errors as JSON too)")
    p.add_argument("--all", action="store_true",
                   help=f"print every row of a table (default: the last {SHOWN_ROWS})")
    p.set_defaults(run=run_call)


def run_call(args: argparse.Namespace) -> int:
    from .. import service
    from ..errors import SmallcapError

    if not args.function:
        print(function_list())
        return 0
    try:
        fn = catalogue.find(args.function)
        result = service.call(args.function, [None if a == "" else a for a in args.args])
    except SmallcapError as exc:
        if not args.json:
            raise
        print(json.dumps(service.error_body(exc.excel_code, exc.message)))
        return 2
    if args.json:
        print(json.dumps(service.to_json(result), indent=1))
    elif hasattr(result, "itertuples"):
        print_table(result, show_all=args.all)
    else:
        print(text(result, fn.result))
    return 0


def text(value: Any, kind: str, *, cell: bool = False) -> str:
    """``value`` as the terminal shows it, by result kind; blank when missing. A table
    ``cell`` shows fractions with two decimals, a single answer with four."""
    if value is None or type(value).__name__ == "NaTType" or (
            isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool) or not isinstance(value, int | float):
        if hasattr(value, "item"):  # a numpy number
            return text(value.item(), kind, cell=cell)
        return str(value)
    if kind == catalogue.FRACTION:
        return f"{value:.{2 if cell else 4}%}"
    if kind == catalogue.WHOLE_NUMBER:
        return f"{value:.0f}"
    if not cell:
        return f"{value:.10g}"
    return f"{value:.2f}" if abs(value) >= 1 else f"{value:.6g}"


def _kind(column: str, label: Any) -> str:
    """A table cell's kind: by its row's label for summary rows, else by its column."""
    if label == settings.SUMMARY_COUNT or column in settings.WHOLE_COLUMNS and (
            label not in settings.SUMMARY_ROWS):
        return catalogue.WHOLE_NUMBER
    if label == settings.SUMMARY_SHARE_POSITIVE or column in settings.FRACTION_COLUMNS:
        return catalogue.FRACTION
    return catalogue.NUMBER


def print_table(result: Any, *, show_all: bool, width: int = 80) -> None:
    """A table in plain columns (numbers and dates right-aligned, headers whole, two
    spaces between columns, one when two would not fit ``width``); a long table's last
    rows and a line saying how many were left out, unless ``show_all``. Columns that
    still do not fit (FORWARD_RETURNS' ``status``) follow in a second block, beside the
    first column, their text wrapped at ``width``."""
    from ..report import justify

    rows = list(result.itertuples(index=False))
    left_out = 0 if show_all else max(len(rows) - SHOWN_ROWS, 0)
    rows = rows[left_out:]
    columns = [str(c) for c in result.columns]
    cells = [[text(v, _kind(columns[k], row[0]), cell=True) for k, v in enumerate(row)]
             for row in rows]
    sizes = [max([len(column), *(len(line[k]) for line in cells)])
             for k, column in enumerate(columns)]
    right = [justify([row[k] for row in rows]) == "right" for k in range(len(columns))]
    blocks = _blocks(sizes, width)
    out: list[str] = []
    for block in blocks:
        out += [""] if out else []
        out += _block([columns[k] for k in block], [[line[k] for k in block] for line in cells],
                      [sizes[k] for k in block], [right[k] for k in block], width)
    if left_out:
        out.append(f"({left_out:,} earlier rows left out: --all shows every row, --json "
                   "prints them as JSON)")
    print("\n".join(out))


def _blocks(sizes: list[int], width: int) -> list[list[int]]:
    """Column indices of each block: the first column, then the next ones while they fit
    ``width`` with one space between (a block holds at least one more)."""
    blocks: list[list[int]] = []
    k = 1
    while k < len(sizes) or not blocks:
        block, used = [0], sizes[0]
        while k < len(sizes) and (len(block) == 1 or used + 1 + sizes[k] <= width):
            block.append(k)
            used += 1 + sizes[k]
            k += 1
        blocks.append(block)
    return blocks


def _block(columns: list[str], cells: list[list[str]], sizes: list[int], right: list[bool],
           width: int) -> list[str]:
    """One block's lines; a last column wider than what ``width`` leaves it is wrapped."""
    gap = "  " if sum(sizes) + 2 * (len(sizes) - 1) <= width else " "
    room = width - sum(sizes[:-1]) - len(gap) * (len(sizes) - 1)
    if sizes[-1] > room and not right[-1] and room >= len(columns[-1]):
        sizes = [*sizes[:-1], room]
    indent = " " * (width - room)

    def line(values: list[str]) -> str:
        *first, last = values
        wrapped = textwrap.wrap(last, sizes[-1]) if len(last) > sizes[-1] else [last]
        head = gap.join(v.rjust(n) if r else v.ljust(n)
                        for v, n, r in zip([*first, wrapped[0]], sizes, right, strict=True))
        return "\n".join([head.rstrip(), *(indent + more for more in wrapped[1:])])

    return [line(columns), gap.join("-" * n for n in sizes), *(line(v) for v in cells)]
