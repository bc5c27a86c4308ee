"""Grading for a platform whose output students read whole (Autolab's make output): everything the
grading itself prints (pytest's lines, hidden tests' names and reasons among them) goes to a log file,
at the level of file descriptors, so only what the platform's writer prints afterwards is shown."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path


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


def grade_quietly(homework, folder: Path, scratch: Path, manifest: str | None):
    """Results of grading `folder` as Gradescope would (grade_to_file: a valid result whatever
    happens), with its own output in scratch/grading.log."""
    from autograder.engine.grading.grade import grade_to_file
    with output_to(Path(scratch) / "grading.log"):
        return grade_to_file(homework, str(folder), str(Path(scratch) / "results.json"), manifest_path=manifest)


def load_manifest(path):
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    return None
