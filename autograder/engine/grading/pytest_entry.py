"""Pytest's own way into a suite, for staff: the same fixtures, sandbox and scores as run_suite.

    pytest autograder/NAME -p autograder.engine.grading.pytest_entry --submission DIR [--results results.json]

Enabled from the command line like pytest's own plugins (junitxml keeps its
state in ``config.stash`` and writes its report once; so does this), so -k,
-x, -v, --pdb and the grader's full tracebacks all work as usual. Without
--submission it does nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

STATE = pytest.StashKey[dict]()


def pytest_addoption(parser):
    group = parser.getgroup("autograder", "grading a submission (autograder.engine.grading.pytest_entry)")
    group.addoption("--submission", default=None, metavar="DIR",
                    help="grade the submission in DIR: the suite's `student` fixture runs its code in the sandbox")
    group.addoption("--results", default=None, metavar="FILE", help="also write Gradescope's results.json here")
    group.addoption("--visible-only", action="store_true", help="only the visible tests, as the self-check runs")


def homework_folder(args) -> Path:
    """The homework holding the first path given: the nearest folder upwards with a homework.json."""
    for arg in args:
        path = Path(str(arg).split("::")[0]).resolve()
        for folder in (path, *path.parents):
            if (folder / "homework.json").is_file():
                return folder
    raise pytest.UsageError("--submission: give a path inside a homework's folder, e.g. pytest autograder/NAME")


def pytest_configure(config):
    submission = config.getoption("submission")
    if not submission:
        return
    from autograder.engine.grading.grade import SubmissionFixtures
    from autograder.engine.homework import Homework
    from autograder.engine.sandbox.limits import Limits
    from autograder.engine.grading.plugin import GradescopePlugin

    homework = Homework.load(homework_folder(config.args))
    plugin = GradescopePlugin(visible_only=config.getoption("visible_only"))
    fixtures = SubmissionFixtures(homework, os.path.abspath(submission), plugin,
                                  Limits(call_seconds=homework.call_seconds))
    config.pluginmanager.register(plugin, "autograder-results")
    config.pluginmanager.register(fixtures, "autograder-submission")
    config.stash[STATE] = {"plugin": plugin, "fixtures": fixtures, "results": None}


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    state = session.config.stash.get(STATE, None)
    if state is None:
        return
    from autograder.engine.sandbox.limits import kill_tree
    from autograder.engine.grading.results import write_atomically

    fixtures = state["fixtures"]
    fixtures.close()
    kill_tree(os.getpid(), include_root=False)
    results = state["plugin"].build()
    results.extra_data = {"isolation": fixtures.sandbox.isolation if fixtures.sandbox else ""}
    state["results"] = results
    path = session.config.getoption("results")
    if path:
        write_atomically(results, path)


def pytest_terminal_summary(terminalreporter, config):
    state = config.stash.get(STATE, None)
    if state is None or state["results"] is None:
        return
    from autograder.engine.grading.results import stage_totals

    results = state["results"]
    stages = ", ".join(f"{stage} {got:g}/{top:g}" for stage, (got, top) in stage_totals(results).items())
    terminalreporter.write_sep("-", "autograder")
    terminalreporter.write_line(f"score {results.score:g} / {results.max_score:g} ({stages})")
    if results.output:
        terminalreporter.write_line(results.output)
