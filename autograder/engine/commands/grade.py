"""`grade SUBMISSION`: Gradescope's job (what run_autograder calls): grade, write results.json
whatever happens, and print the score table unless asked not to."""

from __future__ import annotations

import sys

from autograder.engine.commands.report import print_plain, print_results
from autograder.engine.grading.grade import grade_to_file


def grade(homework, submission: str, results_path: str, *, manifest_path=None, metadata_path=None,
          quiet: bool = False):
    results = grade_to_file(homework, submission, results_path, manifest_path=manifest_path,
                            metadata_path=metadata_path)
    if not quiet:  # a table for a person at a terminal; plain lines for a log
        (print_results if sys.stdout.isatty() else print_plain)(results)
    return results
