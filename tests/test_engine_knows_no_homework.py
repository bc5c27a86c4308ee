"""The engine names no homework: no file under autograder/engine/ mentions one, uses a homework's own
words (what its students are told lives in its homework.json) or imports a sibling package."""

from __future__ import annotations

import re

from autograder.engine.homeworks import present

from .helpers import PROJECT

ENGINE = PROJECT / "autograder" / "engine"
SIBLING_IMPORT = re.compile(r"(?:from|import)\s+(?:autograder\.(?!engine\b)\w+|\.\.\w+|\.\.\s+import)")


def engine_texts():
    for path in sorted(ENGINE.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            yield path.relative_to(PROJECT), path.read_text(errors="replace")


def test_no_engine_file_names_a_homework():
    names = set(present(PROJECT / "autograder")) | {"hw2"}
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(names))) + r"|hw\d+)\b")
    offenders = [f"{path}: {match.group(0)}" for path, text in engine_texts() for match in [pattern.search(text)]
                 if match]
    assert not offenders, offenders


def test_no_engine_module_imports_a_homework():
    """(The templates of `new` are a homework's files: their relative imports stay inside it.)"""
    offenders = [f"{path}: {m.group(0)}" for path, text in engine_texts() if path.suffix == ".py"
                 for m in SIBLING_IMPORT.finditer(text)]
    assert not offenders, offenders


def test_the_check_would_catch_one():
    assert SIBLING_IMPORT.search("from autograder.hw2 import reference")
    assert SIBLING_IMPORT.search("from ..hw2.known_bugs import BUGS")
    assert not SIBLING_IMPORT.search("from autograder.engine.grading.checks import Feedback")


def test_packaging_finds_every_homeworks_data_without_naming_one():
    text = (PROJECT / "pyproject.toml").read_text()
    section = text.split("[tool.setuptools.package-data]", 1)[1].split("\n[", 1)[0]
    assert '"*" = ["homework.json", "data/*"]' in section
    assert not re.search(r"\bhw\d+\b", section)


def test_no_engine_file_speaks_of_a_homework_s_subject():
    """hw2's words (its network, images, attacks) are hw2's: what the self-check tells its students about
    the hidden tests comes from homework.json ("hidden_tests"), not from the engine's strings."""
    subject = re.compile(r"(?i)\b(?:trained network|real images|hidden layer|adversarial|sigmoid|softmax|"
                         r"lp_norm|attacks?\b on|digits? of|mnist)")
    offenders = [f"{path}: {m.group(0)}" for path, text in engine_texts() if "templates" not in path.parts
                 for m in subject.finditer(text)]
    assert not offenders, offenders
    assert subject.search("they use other sizes, real images and the trained network")
