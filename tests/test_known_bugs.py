"""Every catalogued student bug loses points in its own stage, and only where it touches."""

from collections import Counter

import pytest

from autograder.hw2.known_bugs import BUGS, STAGES

from .helpers import stage_scores


def test_at_least_three_bugs_per_stage():
    counts = Counter(b.stage for b in BUGS)
    assert all(counts[s] >= 3 for s in STAGES), counts
    assert len(BUGS) >= 25


@pytest.mark.parametrize("bug", BUGS, ids=[b.name for b in BUGS])
def test_bug_costs_its_stage_only(bug, homework, make_submission, grade_in_process):
    folder = make_submission(bug.apply(homework.solution))
    results = grade_in_process(folder)
    scores = stage_scores(results)
    lost = {stage for stage, (got, top) in scores.items() if got < top}
    assert bug.stage in lost, f"{bug.name} went unnoticed"
    extra = [(t.number, t.output) for t in results.tests if t.status == "failed" and t.tags[0] not in {bug.stage, *bug.touches}]
    assert not extra, f"{bug.name} also cost {extra}"
    feedback = [t.output for t in results.tests if t.tags == [bug.stage] and t.status == "failed"]
    assert any(bug.hint in text for text in feedback), feedback
