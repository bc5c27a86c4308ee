"""Small helpers the project's tests share."""

import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
SUBMISSIONS = Path(__file__).resolve().parent / "submissions"
# The command line for hw2: it names its homework, so it works with other homeworks in the checkout.
HW2_CLI = (sys.executable, "-m", "autograder", "--homework", "hw2")


def stage_scores(results) -> dict:
    from autograder.engine.grading.results import stage_totals
    return dict(stage_totals(results))


def solution_files(homework) -> dict:
    return {name: (homework.solution / name).read_text() for name in homework.files}
