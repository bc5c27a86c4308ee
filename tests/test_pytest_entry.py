"""pytest autograder/hw2 -p autograder.engine.grading.pytest_entry --submission DIR: run_suite's results, pytest's tools."""

from __future__ import annotations

import json
import subprocess
import sys

from autograder.hw2.known_bugs import by_name

from .helpers import PROJECT


def pytest_entry(*args, cwd=PROJECT):
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "autograder.engine.grading.pytest_entry", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=600)


def test_same_results_as_run_suite(homework, grade_in_process, make_submission, tmp_path):
    folder = make_submission(by_name("backward_sigmoid_derivative").apply(homework.solution))
    done = pytest_entry("autograder/hw2", "--submission", str(folder), "--results", str(tmp_path / "r.json"))
    assert done.returncode == 1, done.stdout + done.stderr
    mine = json.loads((tmp_path / "r.json").read_text())
    engine = grade_in_process(folder)
    assert [(t["number"], t["score"], t["status"], t["output"]) for t in mine["tests"]] == \
        [(t.number, t.score, t.status, t.output) for t in engine.tests]
    assert mine["score"] == engine.score < 100
    assert f"score {engine.score:g} / 100" in done.stdout
    assert "sigmoid" in done.stdout                   # the feedback, in pytest's own failure report


def test_k_and_x_select_as_pytest_does(homework):
    done = pytest_entry("autograder/hw2", "--submission", str(homework.handout), "-x", "-k", "forward", "-q")
    assert done.returncode == 1
    assert "1 failed" in done.stdout and "passed" not in done.stdout.split("autograder")[-1]
    assert "NotImplementedError" in done.stdout


def test_a_path_outside_any_homework_is_a_usage_error(tmp_path):
    (tmp_path / "test_x.py").write_text("def test_x():\n    pass\n")
    done = pytest_entry(str(tmp_path), "--submission", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 4 and "homework" in done.stderr


def test_without_submission_it_stays_out_of_the_way(tmp_path):
    (tmp_path / "test_x.py").write_text("def test_x():\n    pass\n")
    assert pytest_entry(str(tmp_path), "-q", cwd=tmp_path).returncode == 0
