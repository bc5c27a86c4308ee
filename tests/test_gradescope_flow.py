"""The real flow: build the zip, unzip it into AUTOGRADER_ROOT, setup.sh, run_autograder, results.json."""

import json
import os
import stat
import zipfile

from autograder.engine.grading.results import Results

from .helpers import SUBMISSIONS, solution_files


def test_zip_has_entry_points_at_root(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as archive:
        names = archive.namelist()
        info = {i.filename: i for i in archive.infolist()}
    assert "setup.sh" in names and "run_autograder" in names
    assert (info["run_autograder"].external_attr >> 16) & stat.S_IXUSR
    assert archive_reads(autograder_zip, "run_autograder").startswith(b"#!")
    assert "manifest.json" in names
    assert not any("__pycache__" in n for n in names)
    assert not any(n.startswith("tests/") for n in names)


def archive_reads(path, name):
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


def test_solution_gets_full_marks(gradescope, homework):
    results = gradescope(homework.solution)
    assert results.score == homework.total_points == results.max_score
    assert all(t.status == "passed" for t in results.tests)
    raw = json.loads((gradescope.root / "results" / "results.json").read_text())
    Results.model_validate(raw)
    assert raw["execution_time"] > 0
    stages = {t["tags"][0] for t in raw["tests"]}
    assert stages == {"setup", "forward", "backward", "update", "attack"}
    assert all(len(t["tags"]) == 1 for t in raw["tests"])
    log = (gradescope.root / "results" / "stdout").read_text()  # the log: plain lines, one per test
    assert all(f"  pass  {t.score:g} / {t.max_score:g}  {t.name}" in log for t in results.tests), log
    assert "by stage: setup 10 / 10, forward 20 / 20" in log and log.rstrip().endswith("Total: 100 / 100")


def test_handout_gets_exactly_zero_with_same_tests(gradescope, homework):
    solution = gradescope(homework.solution)
    handout = gradescope(homework.handout)
    assert handout.score == 0
    assert [(t.number, t.max_score, t.visibility) for t in handout.tests] == \
        [(t.number, t.max_score, t.visibility) for t in solution.tests]
    outputs = {t.number: t.output for t in handout.tests}
    assert "Network.forward still raises NotImplementedError" in outputs["2.1"]
    assert "not implemented yet" in outputs["5.3"]
    assert "Traceback" not in "".join(outputs.values())
    log = (gradescope.root / "results" / "stdout").read_text()  # one line per failure, no pytest tracebacks
    assert "NotImplementedYet: lp_norm still raises NotImplementedError" in log
    assert not [line for line in log.splitlines() if line.startswith("E   ")], log[-3000:]


def test_alternative_correct_solution_gets_full_marks(gradescope):
    results = gradescope(SUBMISSIONS / "alt_correct")
    failed = {t.number: t.output for t in results.tests if t.status != "passed"}
    assert failed == {}
    assert results.score == 100


def test_visible_and_hidden_tests_in_every_stage(gradescope, homework):
    results = gradescope(homework.solution)
    for stage in ("setup", "forward", "backward", "update", "attack"):
        kinds = {t.visibility for t in results.tests if t.tags == [stage]}
        assert kinds == {"visible", "after_published"}, stage


def test_missing_network_file_still_grades_attack(gradescope, homework, make_submission):
    folder = make_submission({"attack.py": solution_files(homework)["attack.py"],
                              "Network.py": solution_files(homework)["network.py"]})
    results = gradescope(folder)
    by_stage = {}
    for t in results.tests:
        by_stage.setdefault(t.tags[0], []).append(t)
    assert all(t.score == t.max_score for t in by_stage["attack"])
    assert all(t.score == 0 for t in by_stage["forward"])
    assert "rename it to exactly network.py" in by_stage["forward"][0].output
    assert "Network.py" in results.output


def test_results_written_when_grader_breaks(gradescope, homework, tmp_path):
    """A broken grading suite still yields a valid score-0 results.json listing every test."""
    suite = gradescope.root / "source" / "autograder" / "hw2" / "conftest.py"
    original = suite.read_text()
    suite.write_text(original + "\nraise RuntimeError('grader bug')\n")
    try:
        results = gradescope(homework.solution)
    finally:
        suite.write_text(original)
    assert results.score == 0
    manifest = json.loads((gradescope.root / "source" / "manifest.json").read_text())
    assert [t.number for t in results.tests] == [m["number"] for m in manifest]
    assert all(t.status == "failed" for t in results.tests)
    stdout = (gradescope.root / "results" / "stdout").read_text()
    assert "grader bug" in stdout
    assert "grader bug" not in json.dumps(results.model_dump())
    assert os.path.exists(gradescope.root / "results" / "results.json")
