"""What every platform's build and grading share: the grader's files (those of Gradescope's zip but its
two scripts), and grading whose own output (pytest's lines, hidden tests' names and reasons among
them) goes to a log file, at the level of file descriptors, so only what the platform's writer prints
afterwards reaches students (Autolab shows the whole make output)."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import zipfile
from pathlib import Path

GRADESCOPE_ONLY = ("setup.sh", "run_autograder")


def grader_files(homework):
    """(path, bytes, mode) of every file the grader needs: the engine, the suite, the reference, the
    manifest and requirements.txt, as laid out in Gradescope's zip (which is built to read them)."""
    from autograder.engine.commands.build import build_autograder_zip
    with tempfile.TemporaryDirectory(prefix="platform-build-") as scratch:
        with zipfile.ZipFile(build_autograder_zip(homework, Path(scratch))) as archive:
            for info in archive.infolist():
                if info.filename in GRADESCOPE_ONLY or info.is_dir():
                    continue
                yield info.filename, archive.read(info), ((info.external_attr >> 16) & 0o777) or 0o644


@contextlib.contextmanager
def output_to(log: Path):
    """Descriptors 1 and 2 (and sys.stdout, sys.stderr) into `log` for the duration."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log, "ab") as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])


def own_autograder_env() -> dict:
    """This environment for a Python that must import the autograder package of its own folder (an
    unpacked build or student bundle), not the one this process was started with."""
    return {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}


def manifest_here(manifest: str | None) -> str | None:
    """The manifest named, else the one the build put beside the grader (the working folder)."""
    return manifest or ("manifest.json" if os.path.exists("manifest.json") else None)


def grade_quietly(homework, folder: Path, scratch: Path, manifest: str | None):
    """Results of grading `folder` as Gradescope would, with its own output in scratch/grading.log;
    never raises: a grader that failed gives the fallback results, marked grader_failed."""
    from autograder.engine.grading.grade import grade_to_file
    from autograder.engine.grading.results import fallback
    try:
        with output_to(Path(scratch) / "grading.log"):
            return grade_to_file(homework, str(folder), str(Path(scratch) / "results.json"),
                                 manifest_path=manifest)
    except BaseException as exc:  # noqa: BLE001 - every platform's output is written whatever happens
        print(f"grading failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        results = fallback("The autograder itself failed while grading this submission; this is not your "
                           "fault. Course staff will regrade it.", 0.0, load_manifest(manifest))
        results.extra_data["grader_failed"] = True
        return results


def load_manifest(path):
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    return None
