"""``smallcap addin build | install | uninstall [--dry-run]``: the Excel add-in."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import addin
from ..errors import BadArgument


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``addin`` command group."""
    parser = subparsers.add_parser(
        "addin", help="build, install or uninstall the Excel add-in (smallcap.xlam)"
    )
    sub = parser.add_subparsers(dest="addin_command", metavar="ACTION", required=True)

    build = sub.add_parser(
        "build",
        help="generate the UDF wrapper module and build smallcap.xlam from the "
        "xlwings ribbon template",
    )
    build.add_argument("--out", type=Path, default=None,
                       help="output folder (default: the checkout's addin/; needed when "
                       "smallcap is installed as a package)")
    build.add_argument("--dry-run", action="store_true",
                       help="show which files would change, write nothing")
    build.set_defaults(run=run_build)

    for name, func, text in (
        ("install", run_install,
         "copy smallcap.xlam into Excel's start-up folder and write the add-in's user config"),
        ("uninstall", run_uninstall,
         "remove smallcap.xlam from Excel's start-up folder and our keys from the config"),
    ):
        action = sub.add_parser(name, help=text)
        action.add_argument("--platform", choices=addin.PLATFORMS, default=None,
                            help="target platform (default: this machine's; Excel does "
                            "not run on Linux)")
        action.add_argument("--home", type=Path, default=None,
                            help="user home folder to install into (default: yours)")
        action.add_argument("--dry-run", action="store_true",
                            help="show what would be done, change nothing")
        if name == "install":
            action.add_argument("--interpreter", default=None,
                                help="Python the add-in starts (default: this one; "
                                "pythonw.exe on Windows)")
            action.add_argument("--xlam", type=Path, default=None,
                                help="add-in file to install (default: the checkout's "
                                "addin/smallcap.xlam, or the installed package's copy)")
        action.set_defaults(run=func)


def _folder(path: Path | None, option: str) -> None:
    """A folder option that names something else is one line, exit 2 (not an OSError)."""
    if path is not None and path.exists() and not path.is_dir():
        raise BadArgument(option, f"{path} is not a folder")


def run_build(args: argparse.Namespace) -> int:
    _folder(args.out, "--out")
    result = addin.build(args.out, dry_run=args.dry_run)
    verb = "would write" if args.dry_run else "wrote"
    for path in result.paths:
        state = f"{verb} {path}" if path in result.changed else f"unchanged {path}"
        print(state)
    return 0


def _no_excel_here(args: argparse.Namespace) -> bool:
    """On a system without Excel and no --platform: say what applies there instead."""
    if args.platform is not None or addin.current_platform() in addin.PLATFORMS:
        return False
    print("\n".join(addin.platform_notes(addin.current_platform())))
    return True


def run_install(args: argparse.Namespace) -> int:
    _folder(args.home, "--home")
    if _no_excel_here(args):
        return 0 if args.dry_run else 1  # nothing was installed
    plan = addin.install(platform=args.platform, home=args.home,
                         interpreter=args.interpreter, xlam=args.xlam, dry_run=args.dry_run)
    print(plan)
    notes = addin.platform_notes(plan.layout.platform,
                                 addin.addin_dir() / addin.WRAPPER_FILENAME)
    print(("Then: " if args.dry_run else "") + "\n".join(notes))
    return 0


def run_uninstall(args: argparse.Namespace) -> int:
    _folder(args.home, "--home")
    if _no_excel_here(args):
        return 0
    plan = addin.uninstall(platform=args.platform, home=args.home, dry_run=args.dry_run)
    print(plan)
    return 0
