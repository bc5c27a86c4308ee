"""One grading run: pytest with the Gradescope plugin, the sandbox, one final write.

The order matters and is the point of this module: run the suite, kill every
process the submission started, and only then write results.json, once and
atomically. If anything here fails, a score-0 results.json that says why is
written instead, so Gradescope never shows "failed to execute".
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
import traceback
from contextlib import redirect_stderr, redirect_stdout
from types import SimpleNamespace

import pytest

from autograder.engine.grading import inputs, replay, verdicts
from autograder.engine.sandbox import isolation
from autograder.engine.sandbox.failures import StudentFailure
from autograder.engine.homework import Homework
from autograder.engine.sandbox.limits import Limits
from autograder.engine.grading.locate import locate
from autograder.engine.grading.plugin import GradescopePlugin
from autograder.engine.grading.results import Results, fallback, write_atomically
from autograder.engine.sandbox.student import Sandbox, Student


# pytest's own plugins a grading run does without: each costs its registration at every run and
# hooks around every test (a fifth of a warm run's time, together). Grading tests print nothing and
# log nothing (student output comes from the worker), so capsys/capfd and caplog are not available;
# marks (skip, xfail), tmp_path, monkeypatch and recwarn are.
UNUSED_PLUGINS = ("cacheprovider", "doctest", "junitxml", "pastebin", "legacypath", "debugging", "faulthandler",
                  "logging", "setuponly", "setupplan", "stepwise", "unraisableexception", "threadexception",
                  "warnings", "capture", "nose", "python_path")


class SubmissionFixtures:
    """Fixtures every homework's tests can use: the submission, behind the sandbox.

    Around each test it also says which test runs to what depends on it: the inputs (a visible
    test's are the submission's own, see inputs.py), the rule that a hidden test makes its calls
    before it judges (verdicts.py), and where what student code prints goes (Student.begin_test).
    """

    def __init__(self, homework: Homework, submission: str, plugin: GradescopePlugin, limits: Limits,
                 sandbox: Sandbox | None = None, student_class=Student, fresh_inputs: bool = True,
                 trace: bool = False):
        self.homework, self.submission, self.plugin, self.limits = homework, submission, plugin, limits
        self.student_class = student_class
        self.fresh_inputs = fresh_inputs  # False: the recorded inputs even here (build records them)
        self.watch = verdicts.CallWatch(trace)
        self.sandbox = sandbox
        self.own_sandbox = sandbox is None
        self.students: list = []
        self.prepared = None

    def start_sandbox(self) -> None:
        """The sandbox and its fork server (the one a command started early, if any: launch.take)."""
        if self.sandbox is None and self.student_class.needs_sandbox:
            self.sandbox = Sandbox(self.limits)
        elif self.sandbox is not None:
            self.sandbox.begin()  # a batch's shared sandbox: this submission's account of what held

    def pytest_sessionstart(self, session):
        self.prepare_student()  # (run_suite has done it already; pytest's own way in does it here)

    def prepare_student(self):
        """The submission located and its worker asked for, before pytest configures and collects:
        the worker's fork and namespaces overlap that work (Student.prepare)."""
        if self.prepared is None:
            self.start_sandbox()
            located = locate(self.submission, list(self.homework.files))
            self.plugin.notes.extend(located.notes)
            self.plugin.notes.extend(located.missing.values())
            self.prepared = self.student_class(self.sandbox or SimpleNamespace(limits=self.limits), located.found,
                                               located.missing, self.homework.call_seconds)
            self.prepared.watch = self.watch
            self.students.append(self.prepared)
            fresh = self.fresh_inputs and not replay.bundled(self.homework)
            inputs.use(inputs.submission_salt(self.homework, located.found) if fresh else None)
            self.prepared.prepare()
        return self.prepared

    @pytest.fixture(scope="session")
    def student(self):
        """The submission's code, callable only through a sandboxed worker."""
        student = self.prepare_student()
        yield student
        student.close()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        hidden = getattr(getattr(item, "obj", None), "__visibility__", "visible") != "visible"
        inputs.begin_test(visible=not hidden)
        verdicts.begin_test(hidden)
        for student in self.students:
            student.begin_test(item.nodeid, hidden)
        yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        yield
        if call.excinfo is not None and isinstance(call.excinfo.value, StudentFailure):
            self.watch.stopped()

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session, exitstatus):
        """Before the plugin builds the results: what the student's code printed joins them."""
        self.collect_output()

    def collect_output(self) -> None:
        """What student code printed: before any hidden test, in the top-level output; during a
        hidden test, in that test's own output (shown with it, once the results are published)."""
        for student in self.students:
            student.close()
            for test in student.printed:
                out = student.output(test)
                if out and test is None:
                    self.plugin.notes.append("What your code printed (cut to its start and end):\n" + out[-8000:])
                elif out:
                    self.plugin.printed[test] = out
        self.students = []

    def close(self) -> None:
        self.collect_output()
        inputs.use(None)
        verdicts.end()
        if self.sandbox is not None:
            if self.own_sandbox:
                self.sandbox.shutdown()
            else:
                self.sandbox.reset()


def shared_sandbox(homework) -> Sandbox:
    """A sandbox to grade many submissions with, one after another (a batch's warm grader)."""
    return Sandbox(Limits(call_seconds=homework.call_seconds))


def keep_secret(*paths) -> None:
    """No worker may read these (a class's export, its results): masked in every worker's view."""
    isolation.hide(*paths)


def run_suite(homework: Homework, submission: str, *, visible_only: bool = False,
              manifest: list | None = None, limits: Limits | None = None,
              quiet: bool = True, extra_plugins=(), log=None, sandbox: Sandbox | None = None,
              student_class=Student, fresh_inputs: bool = True, trace: bool = False) -> Results:
    """Grade one submission; returns the results (does not write them). `fresh_inputs=False` grades
    the visible tests on their recorded inputs (build records them so); `trace` puts a digest of every
    call into student code, per test number, in the results' extra_data["calls"], and the grader's own
    errors in extra_data["internal_errors"] (validate)."""
    log = log or (lambda text: print(text, file=sys.stderr))
    limits = limits or Limits(call_seconds=homework.call_seconds)
    plugin = GradescopePlugin(visible_only=visible_only, manifest=manifest, log=log)
    fixtures = SubmissionFixtures(homework, os.path.abspath(submission), plugin, limits, sandbox, student_class,
                                  fresh_inputs, trace)
    fixtures.prepare_student()  # before pytest starts: the worker is forked while pytest collects
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # only our plugins: faster, and nothing installed joins in
    args = [str(homework.suite), *(f"-pno:{name}" for name in UNUSED_PLUGINS), "--assert=plain",
            "-o", "python_files=test_*.py",
            "-o", "console_output_style=classic", "--rootdir", str(homework.suite), "-c", os.devnull,
            "--confcutdir", str(homework.suite)]  # no conftest from above; no walk of the parent folders
    if quiet:
        args += ["-q", "--no-header", "--tb=no", "-p", "no:terminalreporter"]
    else:  # the log's line per failure; pytest's own tracebacks cost about 35 ms a failed test (measured)
        args += ["--tb=line"]
    sink = io.StringIO()
    try:
        if quiet:
            with redirect_stdout(sink), redirect_stderr(sink):
                pytest.main(args, plugins=[plugin, fixtures, *extra_plugins])
        else:
            pytest.main(args, plugins=[plugin, fixtures, *extra_plugins])
    finally:
        fixtures.close()  # its own sandbox shut down: every process the submission started is killed
    if quiet and "error" in sink.getvalue().lower() and plugin.collection_errors:
        log(sink.getvalue()[-4000:])
    results = plugin.results or plugin.build()
    sandbox = fixtures.sandbox
    results.extra_data = {"isolation": sandbox.isolation if sandbox else ""}
    if trace:
        numbers = {nodeid: meta["number"] for nodeid, meta in plugin.meta.items()}
        results.extra_data["calls"] = {numbers.get(test, test): calls for test, calls in fixtures.watch.calls.items()}
        results.extra_data["internal_errors"] = {numbers.get(test, test): text for test, text in plugin.internal.items()}
    warnings = sandbox.isolation_warnings if sandbox else []
    if warnings:  # a network not cut, secrets readable: where the student and staff read it
        results.output = "\n\n".join(filter(None, [results.output, *warnings]))
    if sandbox and not sandbox.built:
        log("isolation: " + sandbox.isolation)
    for line in warnings:
        log(line)
    return results


def grade_to_file(homework: Homework, submission: str, results_path: str, *, manifest_path: str | None = None,
                  visible_only: bool = False, metadata_path: str | None = None) -> Results:
    """The Gradescope job: grade, then write results.json whatever happens."""
    started = time.monotonic()
    manifest = None
    isolation.hide_output(results_path)  # earlier results and this run's log
    isolation.hide(metadata_path)  # the submission history, hidden tests' output included
    try:
        if manifest_path and os.path.exists(manifest_path):
            with open(manifest_path, encoding="utf-8") as fh:
                manifest = json.load(fh)
        results = run_suite(homework, submission, visible_only=visible_only, manifest=manifest, quiet=False)
        if homework.feedback_limit and metadata_path and os.path.exists(metadata_path):
            from autograder.engine.grading import feedback_limit
            with open(metadata_path, encoding="utf-8") as fh:
                results = feedback_limit.apply(results, json.load(fh), homework.feedback_limit)
    except BaseException as exc:  # noqa: BLE001 - the one place that must never let go
        print("grading failed:\n" + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
              file=sys.stderr)
        results = fallback("The autograder itself failed while grading this submission; this is not your "
                           "fault. Course staff have the details and will regrade it.",
                           time.monotonic() - started, manifest)
        results.extra_data["grader_failed"] = True  # (PrairieLearn: not gradable, no attempt counted)
    write_atomically(results, results_path)
    return results
