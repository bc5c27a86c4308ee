"""Shared fixtures: the homework, a Gradescope root set up once, submissions on disk."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from autograder.engine.commands.build import build_autograder_zip
from autograder.engine.grading.grade import run_suite
from autograder.engine.homework import Homework
from autograder.engine.commands import gradescope as simulate

from .helpers import PROJECT


@pytest.fixture(scope="session")
def homework() -> Homework:
    return Homework.load(PROJECT / "autograder" / "hw2")


@pytest.fixture(scope="session")
def autograder_zip(homework, tmp_path_factory) -> Path:
    return build_autograder_zip(homework, tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session")
def gradescope(autograder_zip, tmp_path_factory):
    """grade(submission folder) -> Results, through unzip + setup.sh + run_autograder."""
    root = tmp_path_factory.mktemp("autograder")
    simulate.unpack(autograder_zip, root)
    simulate.setup(root)

    def grade(submission: Path):
        return simulate.run(root, Path(submission))

    grade.root = root
    return grade


@pytest.fixture
def make_submission(tmp_path):
    """make_submission({"network.py": text, ...}) -> a folder holding exactly those files."""
    def make(files: dict, name: str = "submission") -> Path:
        folder = tmp_path / name
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        for rel, text in files.items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                path.write_bytes(text)
            else:
                path.write_text(text)
        return folder
    return make


@pytest.fixture
def grade_in_process(homework):
    """Grade with the real engine (sandboxed workers), without the Gradescope shell around it."""
    def grade(submission: Path, **kwargs):
        return run_suite(homework, str(submission), **kwargs)
    return grade
