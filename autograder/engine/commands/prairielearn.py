"""PrairieLearn: `build --platform prairielearn` writes a question folder for its external grader;
the entry script runs `grade --platform prairielearn`; `prairielearn DIR` runs that flow here.

PrairieLearn's convention: the question's `tests/` folder is mounted at /grade/tests, the student's
files at /grade/student, and the entry point named in info.json's externalGradingOptions runs in the
grading image; it writes /grade/results/results.json (gradable, score as a fraction, message,
output, tests). AUTOGRADER_GRADE_ROOT moves /grade, for local runs and tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from autograder.engine.commands import platform_outputs as outputs
from autograder.engine.commands.platform_grading import grade_quietly, grader_files, manifest_here, own_autograder_env

ROOT_ENV = "AUTOGRADER_GRADE_ROOT"
ENTRY = "run.sh"
IMAGE = "prairielearn/grader-python"

ENTRY_SCRIPT = """\
#!/usr/bin/env bash
# PrairieLearn's entry point for {title}
# (made by: python -m autograder build --homework {name} --platform prairielearn).
# Grades $AUTOGRADER_GRADE_ROOT/student (default /grade/student) into .../results/results.json.
ROOT="${{AUTOGRADER_GRADE_ROOT:-/grade}}"
PYTHON="${{PYTHON:-python3}}"
mkdir -p "$ROOT/results"
cd "$ROOT/tests" || exit 1
# the suite and the reference are the grader's alone, as on Gradescope (setup.sh)
[ "$(id -u)" = 0 ] && chmod -R go-rwx "$ROOT/tests"
exec "$PYTHON" -m autograder --homework {name} grade --platform prairielearn
"""

QUESTION = """\
<pl-question-panel>
  <p>{title}</p>
  <p>Upload {files}. The visible tests' feedback is shown when grading ends; hidden tests count
  their points, and their feedback is withheld.</p>
</pl-question-panel>

<pl-file-upload file-names="{names}"></pl-file-upload>

<pl-submission-panel>
  <pl-external-grader-results></pl-external-grader-results>
  <pl-file-preview></pl-file-preview>
</pl-submission-panel>
"""


def info(homework) -> dict:
    """info.json: an externally graded question whose entry point is tests/run.sh (under /grade/tests)."""
    return {
        "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"autograder:{homework.suite.name}:{homework.name}")),
        "title": homework.name,
        "topic": homework.suite.name,
        "type": "v3",
        "singleVariant": True,
        "gradingMethod": "External",
        "externalGradingOptions": {
            "enabled": True,
            "image": IMAGE,
            "entrypoint": f"/grade/tests/{ENTRY}",
            "timeout": int(max(60, 3 * homework.time_budget_seconds)),
        },
    }


def build(homework, out: Path) -> list:
    """The question folder `out`: info.json, question.html, and tests/ (the engine, the suite, the
    reference, the manifest, requirements.txt and the entry script)."""
    out = Path(out)
    tests = out / "tests"
    if tests.exists():
        shutil.rmtree(tests)
    for name, data, mode in grader_files(homework):
        target = tests / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        target.chmod(mode)
    entry = tests / ENTRY
    entry.write_text(ENTRY_SCRIPT.format(title=homework.name, name=homework.suite.name))
    entry.chmod(0o755)
    (out / "info.json").write_text(json.dumps(info(homework), indent=2) + "\n")
    files = ", ".join(f"<code>{name}</code>" for name in homework.files)
    (out / "question.html").write_text(QUESTION.format(title=homework.name, files=files,
                                                       names=", ".join(homework.files)))
    return [out / "info.json", out / "question.html", tests]


def grade_root() -> Path:
    return Path(os.environ.get(ROOT_ENV, "/grade"))


def grade_student(homework, manifest: str | None = None) -> int:
    """What the entry script runs: grade ROOT/student, write ROOT/results/results.json (validated)."""
    root = grade_root()
    with tempfile.TemporaryDirectory(prefix="prairielearn-") as scratch:
        results = grade_quietly(homework, root / "student", Path(scratch), manifest_here(manifest))
    written = outputs.prairielearn(results, homework.stages)
    target = root / "results" / "results.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(".results.json.tmp")
    tmp.write_text(written.model_dump_json(indent=2))
    os.replace(tmp, target)
    print(f"score {results.score:g} / {results.max_score:g}: {target}")
    return 0


def flow(homework, submission: Path, root: Path | None = None, python: str = sys.executable,
         timeout: float = 900, question: Path | None = None) -> outputs.PrairieLearnResults:
    """PrairieLearn's flow here: build the question (or take the one built in `question`), lay out
    ROOT as /grade (tests/, student/, results/), run the entry point info.json names with
    AUTOGRADER_GRADE_ROOT=ROOT, read results.json."""
    root = Path(root or tempfile.mkdtemp(prefix="prairielearn-grade-"))
    with tempfile.TemporaryDirectory(prefix="prairielearn-question-") as scratch:
        if question is None:
            question = Path(scratch)
            build(homework, question)
        shutil.copytree(Path(question) / "tests", root / "tests")
        entrypoint = json.loads((Path(question) / "info.json").read_text())["externalGradingOptions"]["entrypoint"]
    student = root / "student"
    student.mkdir(parents=True)
    for name in homework.files:
        if (Path(submission) / name).is_file():
            shutil.copy(Path(submission) / name, student / name)
    (root / "results").mkdir()
    script = root / Path(entrypoint).relative_to("/grade")
    env = dict(own_autograder_env(), **{ROOT_ENV: str(root), "PYTHON": python})
    done = subprocess.run([str(script)], env=env, capture_output=True, text=True, timeout=timeout)
    found = root / "results" / "results.json"
    if not found.is_file():
        raise RuntimeError(f"the entry point wrote no results.json (exit {done.returncode}):\n"
                           f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return outputs.PrairieLearnResults.model_validate_json(found.read_text())
