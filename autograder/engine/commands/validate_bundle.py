"""validate's look at the student bundle: do the visible tests say there what they say in the grader?

The bundle (handout.zip) runs the visible tests on the inputs recorded at build, with the reference
replaced by the recorded values (grading/replay.py). A test that asks the reference for a value only
on its failing path (to build a hint), or on inputs build never drew, reads "no expected value" there
instead of its message. So the folders validate grades (the solution, the handout, every catalogued
bug and correct variant) are graded twice on the recorded inputs: by the grader, with the reference,
and by the bundle itself, unpacked and run as a student runs it (`python -m autograder check FOLDER`
in its folder, in a process of its own). Every visible test must give the same score and the same
message in both.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from autograder.engine.commands.platform_grading import own_autograder_env
from autograder.engine.grading.replay import NOT_RECORDED
from autograder.engine.grading.results import Results



def compare(homework, folders: dict, jobs: int, scratch: Path) -> tuple:
    """(differences, missing): one line per visible test that differs for a folder, and those whose
    bundle message is a missing replayed value. `folders`: name -> folder of submitted files."""
    from autograder.engine.commands.build import build_handout_zip
    from autograder.engine.commands.pool import grade_folders

    bundle = scratch / "bundle"
    with zipfile.ZipFile(build_handout_zip(homework, scratch / "bundle-zip")) as archive:
        archive.extractall(bundle)
    names = list(folders)
    grader = dict(zip(names, (r for r, _ in grade_folders(homework, list(folders.values()), jobs, as_bundle=True))))
    with ThreadPoolExecutor(max(1, jobs)) as pool:
        theirs = dict(zip(names, pool.map(lambda folder: _check_in_bundle(bundle, folder, scratch), folders.values())))
    differences, missing = [], []
    for name in names:
        for number, (ours, bundled) in _pairs(grader[name], theirs[name]).items():
            if ours == bundled:
                continue
            line = (f"{name}, test {number}: the bundle says {_said(bundled)}; the grader says {_said(ours)}")
            (missing if bundled and any(text in bundled[2] for text in NOT_RECORDED) else differences).append(line)
    return differences, missing


def _check_in_bundle(bundle: Path, folder: Path, scratch: Path):
    """The bundle's own self-check of FOLDER, as a student runs it: Results, or the error as a string."""
    out = Path(tempfile.mkdtemp(dir=scratch, prefix="check-")) / "results.json"
    done = subprocess.run([sys.executable, "-m", "autograder", "check", str(Path(folder).resolve()), "--json",
                           str(out)], cwd=bundle, env=own_autograder_env(), capture_output=True, text=True,
                          timeout=600)
    if not out.is_file():
        return f"the bundle's check exited {done.returncode}: {(done.stderr or done.stdout).strip()[-600:]}"
    return Results.model_validate_json(out.read_text())


def _pairs(ours: Results, theirs) -> dict:
    """number -> ((score, status, message) in the grader, the same in the bundle or None) for every
    visible test; a bundle that did not run gives every test its error."""
    mine = {t.number: (t.score, t.status, t.output or "") for t in ours.tests if t.visibility == "visible"}
    if isinstance(theirs, str):
        return {number: (value, (None, "error", theirs)) for number, value in mine.items()}
    bundled = {t.number: (t.score, t.status, t.output or "") for t in theirs.tests}
    return {number: (value, bundled.get(number)) for number, value in mine.items()}


def _said(value) -> str:
    if value is None:
        return "nothing (the test is not in the bundle)"
    score, status, message = value
    text = " ".join(message.split())
    return f"{status} ({score:g} points): {text[:400]!r}" if score is not None else f"{status}: {text[:400]!r}"
