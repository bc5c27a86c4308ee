"""A progress line while a suite runs (rich), for people waiting at a terminal."""

from __future__ import annotations

import sys


class ProgressPlugin:
    """pytest hooks that drive one rich progress bar: tests done out of tests collected."""

    def __init__(self, description: str, console=None):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = console or Console(file=sys.__stderr__)
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=self.console, transient=True)
        self.task = self.progress.add_task(description, total=None)

    def pytest_collection_finish(self, session):
        self.progress.update(self.task, total=len(session.items))
        self.progress.start()

    def pytest_runtest_logfinish(self, nodeid, location):
        self.progress.advance(self.task)

    def pytest_sessionfinish(self, session, exitstatus):
        self.progress.stop()
