"""The refresh's progress bar on a terminal (``smallcap refresh`` without ``-q``): one step
per ticker, drawn with rich, loaded only when shown."""

from __future__ import annotations

from typing import Any


class RichProgress:
    """A rich progress bar, one step per ticker, with the current ticker's name."""

    def __init__(self, total: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.progress = Progress(TextColumn("[bold]{task.description:<8}"), BarColumn(),
                                 MofNCompleteColumn(), TextColumn("{task.fields[note]}"),
                                 transient=False)
        self.task = self.progress.add_task("refresh", total=total, note="")

    def __enter__(self) -> RichProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def start(self, ticker: str) -> None:
        self.progress.update(self.task, description=ticker, note="fetching ...")

    def done(self, result: Any) -> None:
        note = (f"+{result.added} to {result.last_date}" if result.ok
                else f"[red]failed[/red] ({result.kind})")
        self.progress.update(self.task, advance=1, note=note)
