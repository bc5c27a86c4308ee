"""A TA's journey: a Gradescope export of a generated class, graded in parallel, resumed, sharded."""

import csv
import os
import subprocess
import tempfile

import pytest

from autograder.engine.commands.pool import Batch
from autograder.engine.commands.report import write_class_reports
from autograder.engine.grading.results import load
from autograder.engine.commands.exports import discover, shard
from autograder.engine.commands.sample_class import make_export

from .helpers import HW2_CLI


def cli(*args, timeout=900, env=None):
    return subprocess.run([*HW2_CLI, *args], capture_output=True, text=True,
                          timeout=timeout, env=dict(os.environ, **(env or {})))


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory, homework):
    """60 submissions from the solution, every catalogued bug and the stubs, packed as an export zip."""
    folder = tmp_path_factory.mktemp("class")
    export = make_export(folder, homework, count=60)
    out, temp = folder / "out", folder / "tmp"
    temp.mkdir()
    done = cli("batch", str(export), "--out", str(out), "--jobs", "2", env={"TMPDIR": str(temp)})
    assert done.returncode == 0, done.stderr[-3000:]
    assert os.listdir(temp) == []  # every grader process's scratch, removed
    return export, out, done


def rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_whole_class_is_graded_with_reports(graded_class):
    export, out, done = graded_class
    table = rows(out / "grades.csv")
    assert len(table) == 60
    assert all(r["names"].startswith("Student ") and r["emails"].endswith("@example.edu") and r["sids"]
               for r in table)
    by_label = {r["names"].split("(")[1].rstrip(")"): float(r["total"]) for r in table}
    assert by_label["correct"] == 100 and by_label["stubs"] == 0
    assert 0 < by_label["attack_no_clipping"] < 100
    for r in table:
        assert float(r["total"]) == pytest.approx(sum(float(r[s]) for s in
                                                      ("setup", "forward", "backward", "update", "attack")))
    assert len(list((out / "results").glob("*.json"))) == 60
    summary = (out / "summary.md").read_text()
    assert "60 submissions graded" in summary and "Pass rate of every test" in summary
    assert "Most common failure messages" in summary
    failures = summary.split("Most common failure messages")[1].strip().splitlines()[2:]
    counts = [int(line.rsplit("|", 2)[1]) for line in failures]
    assert len(counts) >= 10 and counts == sorted(counts, reverse=True) and counts[0] >= 2
    assert (out / "scores.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "60/60" in done.stderr  # the progress bar's count


def test_rerun_skips_and_regrade_names_one(graded_class):
    export, out, _ = graded_class
    done = cli("batch", str(export), "--out", str(out), "--jobs", "2")
    assert "graded 0, skipped 60" in done.stderr
    done = cli("batch", str(export), "--out", str(out), "--regrade", "submission_100001")
    assert "graded 1, skipped 59" in done.stderr
    assert "No submission's grade changed." in done.stdout  # the regrade summary, same build: no change
    assert (out / "regrade.csv").read_text().splitlines() == ["id,submitters,old total,new total,tests flipped"]


def test_batch_score_equals_run_autograder(graded_class, gradescope, tmp_path):
    export, out, _ = graded_class
    submissions = {s.id: s for s in discover(export, tmp_path / "unpacked")}
    for sid in ("submission_100000", "submission_100012", "submission_100030"):
        mine = load(str(out / "results" / f"{sid}.json"))
        theirs = gradescope(submissions[sid].folder)
        assert [(t.number, t.score) for t in mine.tests] == [(t.number, t.score) for t in theirs.tests], sid


def test_shards_merge_to_the_whole(tmp_path, homework):
    export = make_export(tmp_path, homework, count=7, seed=3)
    parts = []
    for k in (1, 2):
        part = tmp_path / f"shard{k}"
        done = cli("batch", str(export), "--out", str(part), "--jobs", "2", "--shard", f"{k}/2")
        assert done.returncode == 0, done.stderr[-2000:]
        parts.append(part)
    assert len(rows(parts[0] / "grades.csv")) == 4 and len(rows(parts[1] / "grades.csv")) == 3
    done = cli("batch", "merge", *map(str, parts), "--out", str(tmp_path / "all"))
    assert done.returncode == 0, done.stderr[-2000:]
    merged = rows(tmp_path / "all" / "grades.csv")
    assert sorted(r["id"] for r in merged) == sorted(s.id for s in discover(export, tmp_path / "x"))


def test_shard_is_a_partition():
    items = list(range(23))
    slices = [shard(items, f"{k}/5") for k in range(1, 6)]
    assert sorted(sum(slices, [])) == items
    with pytest.raises(ValueError):
        shard(items, "0/5")
    with pytest.raises(ValueError):
        shard(items, "two/5")


def test_a_crashing_submission_never_stops_the_batch(tmp_path, homework, make_submission):
    source = tmp_path / "class"
    good = {p.name: p.read_text() for p in homework.solution.glob("*.py")}
    crash = dict(good, **{"network.py": "import os\nos._exit(3)\n"})
    for name, files in (("alice", good), ("bob", crash), ("carol", {})):
        folder = source / name
        folder.mkdir(parents=True)
        for n, t in files.items():
            (folder / n).write_text(t)
    batch = Batch(homework, tmp_path / "out")
    done = batch.run(source, jobs=2)
    assert sorted(done["graded"]) == ["alice", "bob", "carol"]
    scores = {s.id: r.score for s, r in batch.collected()}
    assert scores["alice"] == 100 and scores["carol"] == 0 and 0 < scores["bob"] <= 25
    write_class_reports(batch.collected(), batch.out)
    assert len(rows(batch.out / "grades.csv")) == 3


def test_bad_sources_say_what_is_wrong(tmp_path):
    with pytest.raises(FileNotFoundError):
        discover(tmp_path / "nope")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ValueError, match="neither a folder nor a zip"):
        discover(tmp_path / "file.txt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no submissions"):
        discover(tmp_path / "empty")


def _three_copies_of_the_solution(tmp_path, homework):
    """A class of alice, poison and zoe, each the reference solution (poison's grader is made to die)."""
    source = tmp_path / "class"
    for name in ("alice", "poison", "zoe"):
        folder = source / name
        folder.mkdir(parents=True)
        for p in homework.solution.glob("*.py"):
            (folder / p.name).write_text(p.read_text())
    return source


def test_a_dying_grader_process_costs_only_its_submission(tmp_path, homework, monkeypatch):
    """Even the grader's own process dying (not student code: that is sandboxed) never stops a batch."""
    from autograder.engine.commands import pool as batch_module

    monkeypatch.setattr(batch_module, "_grade_one", _fragile)
    source = _three_copies_of_the_solution(tmp_path, homework)
    runner = Batch(homework, tmp_path / "out")
    done = runner.run(source, jobs=2)
    scores = {s.id: r.score for s, r in runner.collected()}
    assert sorted(done["graded"]) == ["alice", "poison", "zoe"]
    assert scores["poison"] == 0
    assert "died twice" in load(str(runner.results_path("poison"))).output
    assert scores["alice"] == scores["zoe"] == 100  # (a pool break may take one along: it is retried)


def test_a_grader_process_killed_mid_way_leaves_nothing_in_the_temp_folder(tmp_path, homework, monkeypatch):
    """A grader process dies (as if killed) while its worker holds a copy of the submission: the
    batch still grades everyone, and its temporary folder is left empty."""
    from autograder.engine.commands import pool as batch_module

    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))  # the pool's processes are forked: they inherit it
    monkeypatch.setattr(batch_module, "_grade_one", _killed_mid_way)
    source = _three_copies_of_the_solution(tmp_path, homework)
    runner = Batch(homework, tmp_path / "out")
    runner.run(source, jobs=2)
    scores = {s.id: r.score for s, r in runner.collected()}
    assert scores == {"alice": 100, "poison": 0, "zoe": 100}
    assert os.listdir(temp) == []


def _killed_mid_way(task):
    """_grade_one, except that the grader's process dies while grading poison, its worker started."""
    if task[1] == "poison":
        from autograder.engine.grading.grade import shared_sandbox
        from autograder.engine.homework import Homework

        worker = shared_sandbox(Homework.load(task[0])).spawn({"network.py": os.path.join(task[2], "network.py")})
        assert os.listdir(worker.scratch) == ["network.py"]
        os._exit(9)
    return _REAL_GRADE_ONE(task)


def _fragile(task):
    """_grade_one, except that the grader's process dies on the submission named poison."""
    import os

    if task[1] == "poison":
        os._exit(9)
    return _REAL_GRADE_ONE(task)


_REAL_GRADE_ONE = __import__("autograder.engine.commands.pool", fromlist=["_grade_one"])._grade_one
