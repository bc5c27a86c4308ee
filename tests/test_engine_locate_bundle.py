"""autograder/engine/grading/locate.py (finding the required files) and bundle.py (the handout from the solution)."""

from __future__ import annotations

import ast
import shutil
import os
import textwrap
from pathlib import Path

import pytest

from autograder.engine.commands.build import MarkerError, write_handout, handout_drift, handout_files, strip_solution, stub_files
from autograder.engine.homework import Homework
from autograder.engine.grading.locate import locate

PROJECT = Path(__file__).resolve().parents[1]
REQUIRED = ["network.py", "attack.py"]


def make(root: Path, files: dict) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


# -- locate -------------------------------------------------------------------------------------

def test_exact_files_at_the_top_level(tmp_path):
    sub = make(tmp_path / "sub", {"network.py": "N = 1\n", "attack.py": "A = 1\n", "notes.txt": "hi"})
    out = locate(str(sub), REQUIRED)
    assert out.found == {"network.py": str(sub / "network.py"), "attack.py": str(sub / "attack.py")}
    assert out.missing == {}
    assert out.notes == []


def test_file_in_a_subfolder_is_found_with_a_note(tmp_path):
    sub = make(tmp_path / "sub", {"hw2/code/network.py": "", "attack.py": ""})
    out = locate(str(sub), REQUIRED)
    assert out.found["network.py"] == str(sub / "hw2" / "code" / "network.py")
    assert out.found["attack.py"] == str(sub / "attack.py")
    assert out.missing == {}
    assert len(out.notes) == 1
    assert "network.py" in out.notes[0] and "hw2/code/" in out.notes[0] and "top level" in out.notes[0]


def test_top_level_file_wins_over_a_subfolder_copy(tmp_path):
    sub = make(tmp_path / "sub", {"old/network.py": "old", "network.py": "new", "attack.py": ""})
    out = locate(str(sub), REQUIRED)
    assert out.found["network.py"] == str(sub / "network.py")
    assert any("Several files are named network.py" in n for n in out.notes)


def test_shallowest_subfolder_copy_wins(tmp_path):
    sub = make(tmp_path / "sub", {"a/b/network.py": "deep", "z/network.py": "shallow", "attack.py": ""})
    assert locate(str(sub), REQUIRED).found["network.py"] == str(sub / "z" / "network.py")


def test_wrong_case_says_rename_exactly(tmp_path):
    sub = make(tmp_path / "sub", {"Network.py": "", "attack.py": ""})
    out = locate(str(sub), REQUIRED)
    assert "network.py" not in out.found
    assert "rename it to exactly network.py" in out.missing["network.py"]
    assert "Network.py" in out.missing["network.py"]
    assert out.found["attack.py"] == str(sub / "attack.py")


def test_close_name_says_rename(tmp_path):
    sub = make(tmp_path / "sub", {"networks.py": "", "attack.py": ""})
    message = locate(str(sub), REQUIRED).missing["network.py"]
    assert "networks.py" in message and "rename it to network.py" in message


def test_notebook_only_mentions_the_notebook(tmp_path):
    sub = make(tmp_path / "sub", {"HW2 solution.ipynb": "{}"})
    out = locate(str(sub), REQUIRED)
    assert out.found == {}
    for name in REQUIRED:
        message = out.missing[name]
        assert "notebook" in message and "HW2 solution.ipynb" in message and name in message


def test_notebook_named_like_the_file_mentions_the_notebook(tmp_path):
    sub = make(tmp_path / "sub", {"network.ipynb": "{}", "attack.py": ""})
    message = locate(str(sub), REQUIRED).missing["network.py"]
    assert "notebook" in message and "network.ipynb" in message


def test_unrelated_files_say_upload(tmp_path):
    sub = make(tmp_path / "sub", {"readme.md": "x", "attack.py": ""})
    assert "Upload network.py" in locate(str(sub), REQUIRED).missing["network.py"]


def test_empty_folder_gives_a_note(tmp_path):
    sub = make(tmp_path / "sub", {})
    out = locate(str(sub), REQUIRED)
    assert out.found == {}
    assert set(out.missing) == set(REQUIRED)
    assert len(out.notes) == 1
    assert "empty" in out.notes[0] and "network.py" in out.notes[0] and "attack.py" in out.notes[0]


def test_only_macos_junk_counts_as_empty(tmp_path):
    sub = make(tmp_path / "sub", {"__MACOSX/network.py": "", ".git/attack.py": "", "__pycache__/network.py": ""})
    out = locate(str(sub), REQUIRED)
    assert out.found == {}
    assert any("empty" in n for n in out.notes)


def test_nonexistent_folder_marks_every_file_missing(tmp_path):
    out = locate(str(tmp_path / "nope"), REQUIRED)
    assert out.found == {}
    assert set(out.missing) == set(REQUIRED)
    assert all("missing" in message for message in out.missing.values())


def test_a_file_is_not_a_submission_folder(tmp_path):
    path = tmp_path / "network.py"
    path.write_text("")
    out = locate(str(path), REQUIRED)
    assert out.found == {} and set(out.missing) == set(REQUIRED)


def test_symlinks_are_not_followed(tmp_path):
    outside = tmp_path / "outside.py"
    outside.write_text("secret")
    sub = make(tmp_path / "sub", {"attack.py": ""})
    os.symlink(outside, sub / "network.py")
    out = locate(str(sub), REQUIRED)
    assert "network.py" not in out.found and "network.py" in out.missing


# -- bundle.strip_solution --------------------------------------------------------------------------

SOURCE = textwrap.dedent('''\
    """A module."""

    import numpy as np

    # BEGIN SOLUTION
    def _helper(x):
        return x * 2
    # END SOLUTION


    def forward(x):
        """Forward pass."""
        y = np.asarray(x)
        # BEGIN SOLUTION
        z = _helper(y)
        return z.sum()
        # END SOLUTION


    class Net:
        def backward(self, g):
            # BEGIN SOLUTION
            return -g
            # END SOLUTION
''')


def test_block_in_a_function_becomes_raise_not_implemented():
    out = strip_solution(SOURCE)
    assert "\n    raise NotImplementedError  # your code here\n" in out       # in forward
    assert "\n        raise NotImplementedError  # your code here\n" in out   # in Net.backward
    assert out.count("raise NotImplementedError") == 2
    # the code around the block stays
    assert '    """Forward pass."""\n    y = np.asarray(x)\n    raise NotImplementedError' in out
    for secret in ("_helper(y)", "z.sum()", "return -g", "SOLUTION"):
        assert secret not in out
    ast.parse(out)


def test_module_level_block_is_removed():
    out = strip_solution(SOURCE)
    assert "def _helper" not in out and "return x * 2" not in out
    tree = ast.parse(out)
    names = [node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
    assert names == ["forward", "Net"]
    assert "\n\n\n\n" not in out  # blank lines left by the removed block are collapsed


def test_stripped_function_raises_not_implemented():
    namespace: dict = {}
    exec(compile(strip_solution(SOURCE), "<handout>", "exec"), namespace)
    with pytest.raises(NotImplementedError):
        namespace["forward"]([1.0])
    with pytest.raises(NotImplementedError):
        namespace["Net"]().backward(1.0)


def test_source_without_markers_is_unchanged():
    text = "def f():\n    return 1\n"
    assert strip_solution(text) == text


def test_markers_with_trailing_spaces_and_crlf():
    text = "def f():\r\n    # BEGIN SOLUTION  \r\n    return 1\r\n    # END SOLUTION\r\n"
    out = strip_solution(text)
    assert "return 1" not in out and "raise NotImplementedError" in out


def test_begin_without_end_raises_marker_error():
    text = "def f():\n    x = 1\n    # BEGIN SOLUTION\n    return x\n"
    with pytest.raises(MarkerError, match=r"network\.py:3: BEGIN SOLUTION without END"):
        strip_solution(text, "network.py")


def test_end_without_begin_raises_marker_error():
    text = "def f():\n    return 1\n    # END SOLUTION\n"
    with pytest.raises(MarkerError, match=r"attack\.py:3: END SOLUTION without BEGIN"):
        strip_solution(text, "attack.py")


def test_nested_begin_is_an_error():
    text = "# BEGIN SOLUTION\n# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n# END SOLUTION\n"
    with pytest.raises(MarkerError):
        strip_solution(text)


def test_marker_error_is_a_value_error():
    assert issubclass(MarkerError, ValueError)


# -- bundle on the real homework ------------------------------------------------------------------

@pytest.fixture(scope="module")
def homework() -> Homework:
    return Homework.load(PROJECT / "autograder" / "hw2")


def test_real_handout_has_no_drift(homework):
    assert handout_drift(homework) == []


def test_real_handout_files_have_no_solution_and_compile(homework):
    files = handout_files(homework)
    assert set(files) == {*homework.files, "README.md"} and set(homework.files) == set(REQUIRED)
    assert files["README.md"] == (homework.solution / "README.md").read_text()
    for name, text in stub_files(homework).items():
        assert "SOLUTION" not in text
        assert "raise NotImplementedError" in text
        ast.parse(text, name)


def test_handout_drift_notices_a_changed_handout(homework, tmp_path):
    # a copy of the homework whose handout folder is stale: drift names the file
    handout = tmp_path / "handout"
    handout.mkdir()
    for name, text in handout_files(homework).items():
        (handout / name).write_text(text)
    (handout / "attack.py").write_text("# edited by hand\n")
    copy = homework.model_copy(update={"handout": handout})
    assert handout_drift(copy) == ["attack.py"]
    (handout / "network.py").unlink()
    assert sorted(handout_drift(copy)) == ["attack.py", "network.py"]


def test_the_student_readme_is_generated_and_checked_for_drift(homework, tmp_path):
    # the handout's README comes from the solution folder's; edited by hand, it is drift
    handout, solution = tmp_path / "handout", tmp_path / "solution"
    shutil.copytree(homework.solution, solution, ignore=shutil.ignore_patterns("__pycache__"))
    copy = homework.model_copy(update={"handout": handout, "solution": solution})
    write_handout(copy)
    assert handout_drift(copy) == []
    (handout / "README.md").write_text("# edited by hand\n")
    assert handout_drift(copy) == ["README.md"]
    # without a README beside the solution, the default names the homework and its files
    (solution / "README.md").unlink()
    assert write_handout(copy) == [handout / "README.md"]
    text = (handout / "README.md").read_text()
    assert text.startswith(f"# {homework.name}\n") and "`network.py`, `attack.py`" in text
    assert "python -m autograder check" in text and "$" not in text
