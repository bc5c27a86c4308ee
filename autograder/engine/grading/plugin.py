"""A pytest plugin that turns a run into Gradescope results, with hooks only.

Reads the gradescope-utils decorators (``weight``, ``number``, ``visibility``,
``tags``, ``partial_credit``, ``hide_errors``) off each test function. Every
collected test appears in the results with its full ``max_score`` whatever
happens: a skip, an error in a fixture or a test that never ran is a failure
with a reason, and a manifest of the expected tests adds any that went missing.
Student-facing output is the failure's message, and what the test noted
(notes.py), never the grader's traceback (which goes to the staff-only log
instead).
"""

from __future__ import annotations

import traceback

import time

import pytest

from autograder.engine.sandbox.output import clean_text
from autograder.engine.grading import notes
from autograder.engine.grading.results import Results, TestResult, number_key

INTERNAL_ERROR = ("The grader hit an internal error in this test, not caused by your code as far as it can "
                  "tell; course staff can see the details.")


class GradescopePlugin:
    def __init__(self, visible_only: bool = False, manifest: list | None = None, log=None):
        self.visible_only = visible_only
        self.manifest = manifest or []
        self.log = log or (lambda text: None)
        self.meta: dict = {}        # nodeid -> dict(name, number, weight, visibility, tags, hide)
        self.outcomes: dict = {}    # nodeid -> (score or None, output)
        self.notes: list = []       # top-level messages for the student
        self.printed: dict = {}     # nodeid -> what student code printed during that (hidden) test
        self.internal: dict = {}    # nodeid -> the grader's own error in that test, its traceback (staff)
        self.started = time.monotonic()
        self.collection_errors: list = []
        self.results: Results | None = None

    # -- collection -------------------------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session, config, items):
        keep = []
        counters: dict = {}
        for item in items:
            fn = getattr(item, "obj", None)
            number = str(getattr(fn, "__number__", "")) or item.nodeid
            counters[number] = counters.get(number, 0) + 1
            visibility = getattr(fn, "__visibility__", "visible")
            if self.visible_only and visibility != "visible":
                continue
            doc = (getattr(fn, "__doc__", None) or item.name).strip().splitlines()[0]
            callspec = getattr(item, "callspec", None)
            if callspec:
                try:
                    named = doc.format(**callspec.params)
                except Exception:  # noqa: BLE001 - a docstring is not a format string after all
                    named = doc
                doc = named if named != doc else f"{doc} [{callspec.id}]"
            self.meta[item.nodeid] = {
                "name": doc,
                "number": number, "weight": float(getattr(fn, "__weight__", 0.0)),
                "visibility": visibility, "tags": [str(t) for t in getattr(fn, "__tags__", ())],
                "hide": getattr(fn, "__hide_errors__", None),
            }
            keep.append(item)
        # parametrised tests share a number: give each instance its own
        seen: dict = {}
        for item in keep:
            meta = self.meta[item.nodeid]
            if counters[meta["number"]] > 1:
                seen[meta["number"]] = seen.get(meta["number"], 0) + 1
                meta["number"] = f"{meta['number']}.{seen[meta['number']]}"
        # visible tests first: nothing a hidden test does to the submission's worker (a hang that
        # fails later calls at once, the time budget spent, a crash, a thread it set off, state kept
        # in the worker) can then show in a visible test's outcome or output
        keep.sort(key=lambda item: self.meta[item.nodeid]["visibility"] != "visible")
        items[:] = keep

    def pytest_collectreport(self, report):
        if report.failed:
            self.collection_errors.append(f"{report.nodeid}: {report.longreprtext[-2000:]}")

    # -- running ----------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item):
        notes.begin()
        fn = getattr(item, "obj", None)
        if fn is not None and hasattr(fn, "__score__"):
            try:
                del fn.__score__
            except AttributeError:
                pass

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if item.nodeid not in self.meta:
            return
        fn = getattr(item, "obj", None)
        partial = getattr(fn, "__score__", None)
        weight = self.meta[item.nodeid]["weight"]
        previous = self.outcomes.get(item.nodeid)
        if report.when == "call" and report.passed:
            score = weight if partial is None else _clamp(partial, weight)
            self.outcomes[item.nodeid] = (score, notes.take(), False)
        elif report.failed or report.skipped:
            if previous is not None and previous[2]:
                return  # keep the first failure (a teardown error after a failed call)
            score = 0.0 if partial is None else _clamp(partial, weight)
            explained = "\n".join(filter(None, [self._explain(item, call, report), notes.take()]))
            self.outcomes[item.nodeid] = (min(score, weight) if report.when == "call" else 0.0, explained, True)

    def _explain(self, item, call, report) -> str:
        if report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            return f"This test did not run ({clean_text(str(reason), 500)}), so it earns no points."
        exc = call.excinfo.value if call.excinfo is not None else None
        if isinstance(exc, AssertionError):
            return clean_text(str(exc), 20_000) or "The check failed."
        trace = "".join(traceback.format_exception(exc)) if exc is not None else report.longreprtext
        self.log(f"internal error in {item.nodeid}:\n{trace}")
        self.internal[item.nodeid] = trace[-4000:]  # the traceback's end, whatever --tb says (staff: validate)
        return INTERNAL_ERROR

    # -- the end ----------------------------------------------------------------
    def pytest_sessionfinish(self, session, exitstatus):
        self.results = self.build()

    def build(self) -> Results:
        tests = []
        for nodeid, meta in self.meta.items():
            score, output, failed = self.outcomes.get(
                nodeid, (0.0, "This test did not run, so it earns no points.", True))
            if meta["hide"] and failed:
                output = str(meta["hide"])
            elif self.printed.get(nodeid):
                output = "\n\n".join(filter(None, [output, "What your code printed during this test (cut to "
                                                             "its start and end):\n" + self.printed[nodeid][-8000:]]))
            tests.append(_result(meta, score, output, failed))
        present = {t.number for t in tests}
        for entry in self.manifest:
            if entry["number"] not in present and (not self.visible_only or entry["visibility"] == "visible"):
                tests.append(_result(dict(entry, weight=entry["max_score"]), 0.0,
                                     "This test could not be run, so it earns no points.", True))
        tests.sort(key=lambda t: number_key(t.number))
        notes = list(self.notes)
        if self.collection_errors:
            self.log("collection errors:\n" + "\n".join(self.collection_errors))
            notes.append("Some tests could not be loaded by the grader; they count as failed. Course staff can see why.")
        return Results(score=round(sum(t.score for t in tests), 6),
                       execution_time=round(time.monotonic() - self.started, 3),
                       output="\n".join(notes), tests=tests)


def _clamp(value, weight: float) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return 0.0
    if value != value:
        return 0.0
    return max(0.0, min(weight, value))


def _result(meta: dict, score: float, output: str, failed: bool) -> TestResult:
    weight = float(meta["weight"])
    score = round(score, 6)
    failed = failed or score < weight - 1e-9
    return TestResult(name=meta["name"], number=meta["number"], score=score, max_score=weight,
                      status="failed" if failed else "passed",
                      tags=list(meta["tags"]), visibility=meta["visibility"], output=output)


def manifest_of(results: Results) -> list:
    """The list of tests a run must always report (saved at build time)."""
    return [{"name": t.name, "number": t.number, "max_score": t.max_score, "tags": t.tags,
             "visibility": t.visibility} for t in results.tests]

