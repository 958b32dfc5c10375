"""``smallcap lite build OUT``: the xlwings Lite files (Excel on a Mac or on the web)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import BadArgument


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``lite`` command group."""
    parser = subparsers.add_parser(
        "lite", help="xlwings Lite: the smallcap functions in Excel on a Mac or on the web")
    sub = parser.add_subparsers(dest="lite_command", metavar="ACTION", required=True)
    build = sub.add_parser(
        "build", help="write main.py and requirements.txt (paste them into the xlwings Lite "
        "editor), generated from the catalogue")
    build.add_argument("out", type=Path, metavar="OUT", help="folder to write into (created)")
    build.add_argument("--wheel-url", default=None, metavar="URL",
                       help="requirements.txt installs smallcap from this wheel URL (served "
                       "with CORS headers) instead of by version from the package index")
    build.add_argument("--wheel", type=Path, default=None, metavar="FILE",
                       help="copy this smallcap wheel next to main.py (to serve it from there)")
    build.set_defaults(run=run_build)


def run_build(args: argparse.Namespace) -> int:
    from ..lite import build

    if args.out.exists() and not args.out.is_dir():
        raise BadArgument("OUT", f"{args.out} is not a folder")
    if args.wheel is not None and not (args.wheel.is_file() and args.wheel.suffix == ".whl"):
        raise BadArgument("--wheel", f"{args.wheel} is not a wheel file (.whl)")
    if args.wheel_url is not None and not args.wheel_url.strip().lower().startswith(
            ("https://", "http://")):
        raise BadArgument("--wheel-url", f"{args.wheel_url!r} is not an http(s) URL")
    for path in build.build(args.out, wheel_url=args.wheel_url, wheel=args.wheel):
        print(f"wrote {path}")
    return 0
