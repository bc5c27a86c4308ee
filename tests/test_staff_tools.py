"""Course staff's tools: similarity, regrade diffs, the feedback limit."""

import csv
import json
import shutil
import statistics
import subprocess
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from autograder.engine.grading import feedback_limit
from autograder.engine.grading.results import Results
from autograder.engine.grading.results import TestResult as OneTest
from autograder.engine.commands.similarity import compare
from autograder.engine.commands.sample_class import make_export

from .helpers import HW2_CLI, PROJECT, SUBMISSIONS
from .test_validate import copy_assignment


def cli(*args, timeout=900):
    return subprocess.run([*HW2_CLI, *args], capture_output=True, text=True,
                          timeout=timeout, cwd=PROJECT)


CLASS = {"alice": SUBMISSIONS / "alt_correct", "bob": SUBMISSIONS / "alt_procedural",
         "carol": SUBMISSIONS / "copied_alt", "dave": PROJECT / "solution",
         "erin": PROJECT / "handout", "frank": PROJECT / "handout"}


def test_a_disguised_copy_is_the_top_pair_and_stubs_do_not_count():
    subs = [SimpleNamespace(id=k, folder=v) for k, v in CLASS.items()]
    pairs = compare(subs, ["network.py", "attack.py"], PROJECT / "handout")
    assert len(pairs) == 15
    top = pairs[0]
    assert {top.a, top.b} == {"alice", "carol"}  # carol renamed alice's variables and reordered her functions
    median = statistics.median(p.score for p in pairs)
    assert top.score > 0.8 and top.score > median + 0.5
    stubs = next(p for p in pairs if {p.a, p.b} == {"erin", "frank"})
    assert stubs.score < 0.05  # identical untouched handouts: all boilerplate


def test_batch_similarity_report(tmp_path):
    source = tmp_path / "export"
    lines = []
    for i, (name, folder) in enumerate(CLASS.items()):
        shutil.copytree(folder, source / f"submission_{i}", ignore=shutil.ignore_patterns("README.md"))
        lines += [f"submission_{i}:", "  :submitters:", f"  - :name: {name.title()}", f"    :sid: '{i}'",
                  f"    :email: {name}@example.edu"]
    (source / "submission_metadata.yml").write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    done = cli("batch", str(source), "--out", str(out), "--jobs", "2", "--similarity")
    assert done.returncode == 0, done.stderr[-2000:]
    assert (out / "similarity.html").stat().st_size > 1000
    summary = (out / "summary.md").read_text()
    section = summary.split("## Similar submissions")[1]
    assert "never a verdict" in section
    rows = [r for r in section.splitlines() if r.startswith("| submission_")]
    assert len(rows) == 1 and "Alice" in rows[0] and "Carol" in rows[0]


def test_regrade_diff_after_a_weight_change(tmp_path, homework):
    export = make_export(tmp_path, homework, count=12, seed=5)
    before, after = tmp_path / "before", tmp_path / "after"
    assert cli("batch", str(export), "--out", str(before), "--jobs", "2").returncode == 0
    suite = copy_assignment(tmp_path / "changed")
    attack = suite / "test_attack.py"
    attack.write_text(attack.read_text().replace('@weight(3)\n@number("5.3")', '@weight(6)\n@number("5.3")'))
    done = cli("--homework", str(suite), "batch", str(export), "--out", str(after), "--jobs", "2")
    assert done.returncode == 0, done.stderr[-2000:]
    done = cli("diff", str(before), str(after))
    assert done.returncode == 0, done.stderr[-2000:]
    with open(after / "regrade.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    old = {p.stem: json.loads(p.read_text()) for p in (before / "results").glob("*.json")}
    passed_53 = {sid for sid, r in old.items() if any(t["number"] == "5.3" and t["status"] == "passed"
                                                      for t in r["tests"])}
    assert {r["id"] for r in rows} == passed_53 and passed_53
    for r in rows:
        assert float(r["new total"]) - float(r["old total"]) == pytest.approx(3)
        assert r["tests flipped"] == "5.3 3->6" and r["submitters"].startswith("Student")


def _results():
    tests = [OneTest(name="v", number="1", score=1, max_score=1, status="passed", visibility="visible"),
             OneTest(name="h", number="2", score=0, max_score=2, status="failed", visibility="after_published",
                         output="hidden detail")]
    return Results(score=1, execution_time=1, tests=tests)


def _metadata(now, previous_hours_ago):
    fmt = lambda t: t.isoformat(timespec="microseconds")  # noqa: E731
    return {"created_at": fmt(now), "previous_submissions": [
        {"submission_time": fmt(now - timedelta(hours=h)), "score": 0} for h in previous_hours_ago]}


@pytest.mark.parametrize("earlier, withheld", [([], False), ([1, 2], False), ([1, 2, 3], True),
                                               ([1, 2, 30], False), ([0.5, 1, 2, 23], True)])
def test_feedback_limit_switches_at_k(earlier, withheld):
    now = datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=-5)))
    limit = {"submissions": 3, "window_hours": 24}
    results = feedback_limit.apply(_results(), _metadata(now, earlier), limit)
    hidden = results.tests[1]
    assert (hidden.visibility == "hidden") == withheld
    assert results.tests[0].visibility == "visible" and results.score == 1
    if withheld:
        assert "Full feedback returns" in results.output and "still count" in results.output
        _, returns_at = feedback_limit.window_state(_metadata(now, earlier), 3, 24)
        times = sorted([now - timedelta(hours=h) for h in earlier] + [now])
        assert returns_at == times[len(times) - 3] + timedelta(hours=24)
        later = returns_at + timedelta(seconds=1)
        again = _metadata(later, [(later - t).total_seconds() / 3600 for t in times])
        assert feedback_limit.window_state(again, 3, 24)[0] is False  # and indeed it has returned then
    Results.model_validate(results.model_dump())


def test_gradescope_time_formats_parse():
    assert feedback_limit.parse_time("2019-04-05T15:07:57.151009-07:00").utcoffset() == timedelta(hours=-7)
    assert feedback_limit.parse_time("2019-04-05T15:07:57.15-07:00").microsecond == 150000
    assert feedback_limit.parse_time("2019-04-05T15:07:57Z").tzinfo is not None


def test_feedback_limit_through_run_autograder(gradescope, homework):
    config = gradescope.root / "source" / "autograder" / "hw2" / "homework.json"
    original = config.read_text()
    metadata = gradescope.root / "submission_metadata.json"
    now = datetime.now(timezone.utc)
    try:
        data = json.loads(original)
        data["feedback_limit"] = {"submissions": 2, "window_hours": 6}
        config.write_text(json.dumps(data))
        metadata.write_text(json.dumps(_metadata(now, [1, 2])))
        limited = gradescope(homework.solution)
        metadata.write_text(json.dumps(_metadata(now, [1, 7])))
        open_ = gradescope(homework.solution)
    finally:
        config.write_text(original)
        metadata.unlink(missing_ok=True)
    assert limited.score == open_.score == 100
    assert {t.visibility for t in limited.tests} == {"visible", "hidden"} and "Feedback limit" in limited.output
    assert {t.visibility for t in open_.tests} == {"visible", "after_published"} and "Feedback limit" not in open_.output


def test_build_names_only_what_it_wrote(tmp_path):
    """The zips are written every time; a handout already in sync is said to be unchanged, not 'wrote'."""
    import subprocess
    done = subprocess.run([*HW2_CLI, "build", "--out", str(tmp_path)], cwd=PROJECT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    wrote = [line for line in done.stdout.splitlines() if line.startswith("wrote ")]
    assert wrote == [f"wrote {tmp_path / 'autograder.zip'}", f"wrote {tmp_path / 'handout.zip'}"]
    assert "handout: unchanged" in done.stdout
