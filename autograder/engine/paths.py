"""Where the grader lives: the one owner of the project root (the folder holding autograder/)."""

from pathlib import Path

ENGINE = Path(__file__).resolve().parent  # autograder/engine
PACKAGE = ENGINE.parent                    # autograder/
PROJECT = PACKAGE.parent                   # the project root: setup.sh, run_autograder, requirements.txt
