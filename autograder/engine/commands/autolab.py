"""Autolab: `build --platform autolab` writes autograde.tar and autograde-Makefile; the Makefile runs
`grade --platform autolab` on the student's handin; `autolab DIR` runs that flow here.

Autolab's convention (its Tango job manager): autograde.tar, the Makefile (autograde-Makefile, copied
as `Makefile`) and the student's handin file are copied into an empty folder of the grading machine
and `make` runs there; the output is the student's feedback, and its last line is the autoresult,
JSON `{"scores": {problem: points, ...}, "scoreboard": [...]}`. The problems are the homework's
stages (name them so in the assessment), the scoreboard the total then each stage.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from autograder.engine.commands import platform_outputs as outputs
from autograder.engine.commands.handin import HandinError, unpack_handin
from autograder.engine.commands.platform_grading import (grade_quietly, grader_files, load_manifest,
                                                         manifest_here, own_autograder_env)

FOLDER = "autograde"  # what autograde.tar unpacks to
HANDINS = ("handin.tar", "handin.zip", "handin.tgz", "handin.tar.gz", "handin.py")

MAKEFILE = """\
# Autolab's autograder for {title}
# (made by: python -m autograder build --homework {name} --platform autolab).
# Tango copies autograde.tar, this file (as Makefile) and the student's handin into an empty folder
# and runs make. The feedback is printed; its last line is the scores, as Autolab reads them.
# The grading image needs Python 3.10+ with autograde/requirements.txt installed.
PYTHON ?= python3
# the handin: handin.tar (or .zip, .tgz, .py), else the one other archive Tango copied here
HANDIN ?= $(firstword $(wildcard {handins}) $(filter-out autograde.tar,$(wildcard *.tar *.zip *.tgz *.tar.gz)))

all:
\t@tar xf autograde.tar
\t@chmod -R go-rwx {folder}
\t@cd {folder} && $(PYTHON) -m autograder --homework {name} grade --platform autolab "../$(HANDIN)"

clean:
\trm -rf {folder}
"""


def build(homework, out: Path) -> list:
    """autograde.tar (the engine, the suite, the reference and the manifest: what the Gradescope zip
    grades with, without its Gradescope scripts) and autograde-Makefile, in `out`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tar_path = out / "autograde.tar"
    with tarfile.open(tar_path, "w") as tar:
        for name, data, mode in grader_files(homework):
            entry = tarfile.TarInfo(f"{FOLDER}/{name}")
            entry.size, entry.mtime, entry.mode = len(data), 0, mode
            tar.addfile(entry, io.BytesIO(data))
    makefile = out / "autograde-Makefile"
    makefile.write_text(MAKEFILE.format(title=homework.name, name=homework.suite.name, folder=FOLDER,
                                        handins=" ".join(HANDINS)))
    return [tar_path, makefile]


def grade_handin(homework, handin: str, manifest: str | None = None) -> int:
    """What the Makefile runs, in the unpacked autograde folder: grade the handin, print the feedback,
    then the autoresult as the very last line. Never fails without that line."""
    from autograder.engine.grading.results import fallback
    manifest = manifest_here(manifest)
    with tempfile.TemporaryDirectory(prefix="autolab-handin-") as scratch:
        folder, notes = Path(scratch) / "handin", []
        try:
            notes = unpack_handin(Path(handin), folder, homework.files)
        except HandinError as exc:
            results = fallback(f"Your handin could not be graded: {exc}.", 0.0, load_manifest(manifest))
        else:
            results = grade_quietly(homework, folder, Path(scratch), manifest)
    for note in notes[:20]:
        print(f"handin: {note}")
    print(outputs.feedback_text(results, homework.stages))
    sys.stdout.flush()
    print(outputs.autolab(results, homework.stages).model_dump_json())
    return 0


def read_autoresult(output: str) -> outputs.AutolabScores:
    """The last line of a grading's output, as Autolab reads it (validated)."""
    lines = [line for line in output.splitlines() if line.strip()]
    if not lines:
        raise ValueError("the grading printed nothing")
    return outputs.AutolabScores.model_validate_json(lines[-1])


def make_handin(submission: Path, files: list, dest: Path) -> Path:
    """handin.tar of the homework's files found in `submission` (what a student hands in)."""
    handin = Path(dest) / "handin.tar"
    with tarfile.open(handin, "w") as tar:
        for name in files:
            if (Path(submission) / name).is_file():
                tar.add(Path(submission) / name, arcname=name)
    return handin


def flow(homework, submission: Path, root: Path | None = None, python: str = sys.executable,
         timeout: float = 900, dist: Path | None = None) -> tuple:
    """Autolab's flow here: build (or take the files built in `dist`), then an empty folder holding
    autograde.tar, Makefile and the handin, and `make` in it. Returns (the autoresult, the whole output)."""
    root = Path(root or tempfile.mkdtemp(prefix="autolab-"))
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="autolab-dist-") as scratch:
        tar_path, makefile = build(homework, Path(scratch)) if dist is None else \
            (Path(dist) / "autograde.tar", Path(dist) / "autograde-Makefile")
        shutil.copy(tar_path, root / "autograde.tar")
        shutil.copy(makefile, root / "Makefile")
    make_handin(Path(submission), homework.files, root)
    done = subprocess.run(["make", f"PYTHON={python}"], cwd=root, env=own_autograder_env(), capture_output=True,
                          text=True, timeout=timeout)
    output = done.stdout
    if done.returncode != 0:
        raise RuntimeError(f"make exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return read_autoresult(output), output
