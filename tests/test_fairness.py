"""Every grade tells the truth: correct code in other styles gets full marks, and a submission that does
only part of the work earns at most that part (tests/fairness, graded through Gradescope's whole flow)."""

import pytest

from autograder.engine.commands.corpus import correct_submissions, degenerate_submissions, excess, not_full_marks

from .helpers import PROJECT

CORPUS = PROJECT / "tests" / "fairness"
CORRECT = correct_submissions(CORPUS)
DEGENERATE = {case.name: case for case in degenerate_submissions(CORPUS)}


def _scores(results) -> str:
    return "\n".join(f"  {t.number:>6} {t.score:5.3g} / {t.max_score:g}  {t.name}" for t in results.tests)


@pytest.mark.parametrize("style", sorted(CORRECT))
def test_correct_style_gets_full_marks(style, gradescope):
    results = gradescope(CORRECT[style])
    failed = "\n\n".join(f"{t.number} ({t.score:g} / {t.max_score:g}):\n{t.output}"
                         for t in results.tests if t.status != "passed")
    assert not not_full_marks(results), f"{style}: {not_full_marks(results)}\n\n{failed}"


@pytest.mark.parametrize("name", sorted(DEGENERATE))
def test_degenerate_earns_at_most_its_work(name, gradescope):
    case = DEGENERATE[name]
    results = gradescope(case.folder)
    assert not excess(results, case), (f"{name} earns {results.score:g}, at most {case.max:g} allowed "
                                       f"({case.does}):\n{_scores(results)}")


def test_every_style_and_case_is_documented():
    assert len(CORRECT) >= 8 and len(DEGENERATE) >= 8
    for folder in [*CORRECT.values(), *(c.folder for c in DEGENERATE.values())]:
        assert {p.name for p in folder.glob("*.py")} == {"network.py", "attack.py"}, folder
    for folder in CORRECT.values():
        for path in folder.glob("*.py"):
            assert path.read_text().startswith('"""'), f"{path}: a module docstring names the style"


def test_correct_styles_keep_full_marks_whatever_inputs_are_drawn(homework, monkeypatch):
    """Visible tests draw each submission's own inputs (engine/grading/inputs.py): under three other
    secrets, so other inputs, every correct style still gets full marks (30 were tried by hand)."""
    from autograder.engine.commands.pool import grade_folders
    from autograder.engine.grading import inputs

    secret, salts = inputs.secret, set()
    files = {name: homework.solution / name for name in homework.files}
    own = inputs.submission_salt(homework, files)
    for k in range(3):
        monkeypatch.setattr(inputs, "secret", lambda hw, k=k: secret(hw) + f"other secret {k}".encode())
        salts.add(inputs.submission_salt(homework, files))
        graded = grade_folders(homework, [homework.solution, *CORRECT.values()], jobs=2)
        short = {name: not_full_marks(results) for name, (results, _) in zip(["solution", *CORRECT], graded)}
        assert not {name: text for name, text in short.items() if text}, k
    assert len(salts) == 3 and own not in salts
