"""`new NAME` makes a homework that works at once, graded through Gradescope's real flow in a copy of
the project that holds no other homework: the engine needs none and names none."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.engine.commands import gradescope as simulate

from .project_copy import copy_project, env_for, run

NAME = "tiny"
PRINTED: list = []  # what `new` printed


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("project"))
    made = run(root, "new", NAME)
    PRINTED[:] = made.stdout.splitlines()
    return root


@pytest.fixture(scope="module")
def built(project) -> Path:
    done = run(project, "build", "--out", "dist")
    assert f"wrote {project / 'dist' / 'autograder.zip'}" in done.stdout or "wrote dist/autograder.zip" in done.stdout
    return project / "dist"


def test_new_prints_the_folders_it_made(project):
    assert PRINTED == [str(project / "autograder" / NAME), str(project / "homeworks" / NAME / "solution"),
                               str(project / "homeworks" / NAME / "handout")]
    suite = project / "autograder" / NAME
    for name in ("homework.json", "conftest.py", "known_bugs.py", "reference.py", "test_predict.py",
                 "test_gradient.py", "hidden/test_predict_hidden.py", "hidden/test_gradient_hidden.py"):
        assert (suite / name).is_file(), name
    solution = (project / "homeworks" / NAME / "solution" / "linear.py").read_text()
    handout = (project / "homeworks" / NAME / "handout" / "linear.py").read_text()
    assert "# BEGIN SOLUTION" in solution and "BEGIN SOLUTION" not in handout
    assert "raise NotImplementedError" in handout


def test_new_refuses_a_taken_or_bad_name(project):
    assert "already there" in run(project, "new", NAME, check=False).stderr
    assert "Python identifier" in run(project, "new", "my-hw", check=False).stderr


def test_new_dir_names_another_project_root(project, tmp_path):
    other = tmp_path / "course"
    (other / "autograder").mkdir(parents=True)
    printed = run(project, "new", "second", "--dir", str(other)).stdout.splitlines()
    assert printed[0] == str(other / "autograder" / "second")
    assert (other / "homeworks" / "second" / "handout" / "linear.py").is_file()
    assert "not the project root" in run(project, "new", "third", "--dir", str(tmp_path / "nowhere"),
                                         check=False).stderr


def test_the_new_homework_validates(project):
    done = run(project, "validate", "--jobs", "2")
    assert "All checks pass." in done.stdout
    assert "1 of 1 hints right" in done.stdout


def test_its_zip_holds_the_engine_and_this_homework_only(built):
    with zipfile.ZipFile(built / "autograder.zip") as archive:
        names = archive.namelist()
        assert archive.read("autograder/homework.txt").decode().strip() == NAME
    packages = {n.split("/")[1] for n in names if n.startswith("autograder/") and n.count("/") > 1}
    assert packages == {"engine", NAME}
    assert f"homeworks/{NAME}/solution/linear.py" in names
    assert not any("hw2" in n or n.startswith(("solution/", "handout/")) for n in names)
    with zipfile.ZipFile(built / "handout.zip") as archive:
        names = archive.namelist()
        assert archive.read("autograder/homework.txt").decode().strip() == NAME
    assert "linear.py" in names and not any("/hidden/" in n or "known_bugs" in n for n in names)


def test_gradescope_flow_full_marks_and_zero(built, project, tmp_path):
    root = tmp_path / "root"
    simulate.unpack(built / "autograder.zip", root)
    simulate.setup(root)
    solution = simulate.run(root, project / "homeworks" / NAME / "solution")
    assert solution.score == solution.max_score == 20
    handout = simulate.run(root, project / "homeworks" / NAME / "handout")
    assert handout.score == 0 and len(handout.tests) == 4


def test_the_student_bundle_checks_on_its_own(built, project, tmp_path):
    folder = tmp_path / "student"
    with zipfile.ZipFile(built / "handout.zip") as archive:
        archive.extractall(folder)
    env = dict(env_for(project), PYTHONPATH="")
    stubs = subprocess.run([sys.executable, "-m", "autograder", "check"], cwd=folder, env=env,
                           capture_output=True, text=True, timeout=300)
    assert stubs.returncode == 1 and "Total: 0 / 10" in stubs.stdout, stubs.stdout + stubs.stderr
    (folder / "linear.py").write_text((project / "homeworks" / NAME / "solution" / "linear.py").read_text())
    done = subprocess.run([sys.executable, "-m", "autograder", "check"], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "Total: 10 / 10" in done.stdout, done.stdout + done.stderr


def test_pytest_entry_gives_run_suites_scores(project, tmp_path):
    """pytest autograder/NAME --submission DIR: the same tests, scores and feedback as run_suite (check --all)."""
    submission = tmp_path / "bug"
    submission.mkdir()
    solution = (project / "homeworks" / NAME / "solution" / "linear.py").read_text()
    (submission / "linear.py").write_text(solution.replace("return np.outer(r, x), r", "return np.outer(x, r), r"))
    run(project, "check", str(submission), "--all", "--json", str(tmp_path / "engine.json"), check=False)
    done = subprocess.run([sys.executable, "-m", "pytest", f"autograder/{NAME}", "-p", "autograder.engine.grading.pytest_entry",
                           "--submission", str(submission), "--results", str(tmp_path / "pytest.json"), "-v"],
                          cwd=project, env=env_for(project), capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "score 10 / 20 (predict 10/10, gradient 0/10)" in done.stdout
    assert "Traceback" in done.stdout or "judge_gradients" in done.stdout  # the grader's own traceback
    engine, entry = (json.loads((tmp_path / f"{n}.json").read_text()) for n in ("engine", "pytest"))
    assert [(t["number"], t["score"], t["status"], t["output"]) for t in entry["tests"]] == \
        [(t["number"], t["score"], t["status"], t["output"]) for t in engine["tests"]]
    assert entry["score"] == engine["score"] == 10


def test_a_sample_class_for_any_homework(project):
    """sample-class: the scaffold's solution, its catalogued bug and its stubs, as a Gradescope export
    that batch grades (the engine's command, not hw2's)."""
    done = run(project, "sample-class", "--out", "class", "--size", "5")
    export = project / "class" / "export.zip"
    assert done.stdout.strip() == f"wrote {export}" or done.stdout.strip() == "wrote class/export.zip"
    with zipfile.ZipFile(export) as archive:
        names = archive.namelist()
    assert sum(n.endswith("/linear.py") for n in names) == 5 and "assignment_export/submission_metadata.yml" in names
    graded = run(project, "batch", str(export), "--out", "class/grades", "--jobs", "2")
    assert graded.returncode == 0
    scores = [json.loads(p.read_text())["score"] for p in (project / "class" / "grades" / "results").glob("*.json")]
    assert len(scores) == 5 and max(scores) == 20 and min(scores) == 0  # the solution, the stubs
    assert run(project, "sample-class", "--out", "c2", "--size", "0", check=False).returncode == 2


def test_the_example_grades_every_homework_present(tmp_path):
    """./dev example (gradescope without a submission) grades each homework's reference solution
    through Gradescope's flow, hw2 and a second one side by side; one homework named, that one."""
    root = copy_project(tmp_path / "two", homeworks=True)
    run(root, "new", "second")
    both = run(root, "gradescope")
    assert "== hw2:" in both.stdout and "== second:" in both.stdout
    assert "Total: 100 / 100" in both.stdout and "Total: 20 / 20" in both.stdout
    one = run(root, "--homework", "second", "gradescope")
    assert "==" not in one.stdout and one.stdout.rstrip().endswith("Total: 20 / 20")


def test_validate_grades_the_bugs_through_the_bundle_as_students_run_it(tmp_path):
    """A visible test that asks the reference for a value only on its failing path (to build a hint):
    the grader says the hint, the bundle (whose reference replays what build recorded) cannot.
    validate names the bug, the test and both messages."""
    root = copy_project(tmp_path / "project")
    run(root, "new", "hinted")
    tests = root / "autograder" / "hinted" / "test_predict.py"
    text = tests.read_text()
    old = '{"The bias b is missing: yours equals w @ x.": w @ x}'
    assert old in text
    tests.write_text(text.replace(old, '{"The bias b is missing: yours equals w @ x.": '
                                       'reference.predict(w, 0 * b, x)}'))
    done = run(root, "validate", "--jobs", "2", check=False)
    assert done.returncode == 1
    flat = " ".join(done.stdout.split())
    assert "FAIL" in next(line for line in done.stdout.splitlines() if "the student bundle's visible" in line)
    assert "1 replayed value(s) missing" in flat
    assert "predict_no_bias, test 1.1: the bundle says failed (0 points): 'predict needs the reference" in flat \
        or "predict_no_bias, test 1.1: the bundle says failed (0 points): 'the self-check has no expected" in flat
    assert "the grader says failed (0 points): 'predict: " in flat and "The bias b is missing" in flat
    assert "All checks pass." not in done.stdout
