"""homework.json as a pydantic model, and which homework a command means (--homework, the record, the only one)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from autograder.engine.homework import Homework, HomeworkFile
from autograder.engine.homeworks import RECORD, resolve

from .helpers import PROJECT

MINIMAL = {"name": "T", "files": ["a.py"], "total_points": 1, "time_budget_seconds": 5,
           "solution_dir": "sol", "handout_dir": "hand"}


def homework_folder(package, name, data=None):
    folder = package / name
    folder.mkdir(parents=True)
    (folder / "homework.json").write_text(json.dumps(data or MINIMAL))
    return folder


def test_every_key_is_documented():
    for name, field in Homework.model_fields.items():
        assert field.description, name
    assert "corpus" in HomeworkFile.model_fields


def test_paths_resolve_from_the_project_root(tmp_path):
    homework = Homework.load(homework_folder(tmp_path / "autograder", "x"))
    assert homework.suite == tmp_path / "autograder" / "x"
    assert homework.solution == tmp_path / "sol" and homework.handout == tmp_path / "hand"
    assert homework.project == tmp_path
    assert homework.corpus is None and homework.call_seconds == 10.0
    data = dict(MINIMAL, corpus="../../corpus")
    with_corpus = Homework.load(homework_folder(tmp_path / "autograder", "c", data))
    assert with_corpus.corpus == tmp_path / "corpus"   # relative to the homework's folder


def test_unknown_and_missing_keys_are_named(tmp_path):
    folder = homework_folder(tmp_path / "autograder", "x", dict(MINIMAL, wieght=3))
    with pytest.raises(ValueError, match="wieght"):
        Homework.load(folder)
    data = dict(MINIMAL)
    del data["total_points"]
    with pytest.raises(ValueError, match="total_points"):
        Homework.load(homework_folder(tmp_path / "autograder", "y", data))


def test_hw2_loads_with_its_top_level_folders():
    homework = Homework.load(PROJECT / "autograder" / "hw2")
    assert homework.solution == PROJECT / "solution" and homework.handout == PROJECT / "handout"


def test_resolve_a_name_a_folder_the_record_or_the_only_one(tmp_path):
    package = tmp_path / "autograder"
    first = homework_folder(package, "first")
    assert resolve(None, package) == first                   # the only one
    second = homework_folder(package, "second")
    with pytest.raises(SystemExit, match="first, second"):   # several, none named: say which exist
        resolve(None, package)
    assert resolve("second", package) == second              # a name
    assert resolve(str(first), package) == first             # a folder
    (package / RECORD).write_text("second\n")
    assert resolve(None, package) == second                  # what a build recorded
    with pytest.raises(SystemExit, match="no homework of that name"):
        resolve("third", package)


def test_cli_takes_homework_before_or_after_the_command():
    for args in (["--homework", "hw2", "build", "--help"], ["build", "--homework", "autograder/hw2", "--help"]):
        done = subprocess.run([sys.executable, "-m", "autograder", *args], cwd=PROJECT, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0 and "--homework" in done.stdout
    from autograder import cli
    seen = {}
    original = cli.cmd_diff
    cli.cmd_diff = lambda args: seen.setdefault("homework", args.homework) and 0
    try:
        cli.main(["--homework", "hw2", "diff", "a", "b"])
        assert seen["homework"] == "hw2"
        seen.clear()
        cli.main(["diff", "a", "b", "--homework", "other"])
        assert seen["homework"] == "other"
    finally:
        cli.cmd_diff = original
