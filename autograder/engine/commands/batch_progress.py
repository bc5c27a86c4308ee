"""The batch's progress bar: count, rate and time left, on the terminal's error stream."""

from __future__ import annotations

import sys


class BatchProgress:
    def __init__(self, console=None):
        from rich.console import Console
        self.console = console or Console(file=sys.stderr)
        self.progress = None

    def start(self, total: int) -> None:
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)

        class Rate(TextColumn):
            def render(self, task):
                from rich.text import Text
                speed = task.finished_speed or task.speed
                return Text(f"{speed * 60:.0f}/min" if speed else "-/min")

        self.progress = Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
                                 Rate(""), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                                 TextColumn("{task.fields[last]}"), console=self.console)
        self.task = self.progress.add_task("grading", total=total, last="")
        self.progress.start()

    def advance(self, submission_id: str, score: float) -> None:
        self.progress.update(self.task, advance=1, last=f"{submission_id}: {score:g}")

    def stop(self) -> None:
        if self.progress:
            self.progress.stop()
