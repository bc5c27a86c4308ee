"""One results model, three outputs: Gradescope's results.json is the model itself; Autolab's last
line and PrairieLearn's results.json are made from it here, each validated by its own pydantic model
before it is written.

Neither Autolab nor PrairieLearn can hide a test until the course publishes it, as Gradescope can.
So a hidden test's points count (the totals equal Gradescope's), but its name and feedback are
withheld: it is shown as "hidden test N (stage)" with its points only.
"""

from __future__ import annotations

from typing import List

from pydantic import BaseModel, ConfigDict, Field, model_validator

from autograder.engine.grading.results import Results, stage_of, stage_totals

WITHHELD = "a hidden test: its points count now, its feedback is withheld (this platform cannot hide a test " \
           "until the course publishes it)"


class AutolabScores(BaseModel):
    """Autolab's autoresult, the last line of the grader's output: one score per problem (here: per
    stage, named as the assessment's problems must be) and the scoreboard's columns."""
    model_config = ConfigDict(extra="forbid")

    scores: dict[str, float]
    scoreboard: List[float] = []

    @model_validator(mode="after")
    def _finite(self):
        if any(not (v >= 0) or v == float("inf") for v in self.scores.values()):
            raise ValueError("every score must be a finite number >= 0")
        return self


class PrairieLearnTest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    points: float = Field(ge=0)
    max_points: float = Field(ge=0)
    message: str = ""
    output: str = ""

    @model_validator(mode="after")
    def _within(self):
        if self.points > self.max_points + 1e-9:
            raise ValueError(f"{self.name}: {self.points} points > {self.max_points}")
        return self


class PrairieLearnResults(BaseModel):
    """PrairieLearn's external grader results (/grade/results/results.json)."""
    model_config = ConfigDict(extra="forbid")

    gradable: bool
    score: float = Field(ge=0, le=1)
    message: str = ""
    output: str = ""
    tests: List[PrairieLearnTest] = []


def stage_scores(results: Results, stages: list) -> dict:
    """stage -> points earned, in the homework's order (a stage with no test result scores 0)."""
    totals = stage_totals(results)
    return {stage: round(totals.get(stage, (0.0, 0.0))[0], 6) for stage in stages}


def shown_name(test) -> str:
    return test.name if test.visibility == "visible" else f"hidden test {test.number} ({stage_of(test)})"


def feedback_text(results: Results, stages: list) -> str:
    """What a student reads: each test with its points, the feedback of the visible ones that
    failed, the points by stage, and which protections held while their code ran."""
    lines = []
    for test in results.tests:
        mark = "pass" if test.status == "passed" else "FAIL"
        lines.append(f"{test.number:>6}  {mark}  {test.score:g} / {test.max_score:g}  {shown_name(test)}")
        if test.status != "passed" and test.output and test.visibility == "visible":
            lines += [f"          {line}" for line in test.output.splitlines()]
    hidden = [t for t in results.tests if t.visibility != "visible"]
    if hidden:
        lines.append(f"({len(hidden)} hidden tests: their points count now, their names and feedback are "
                     f"withheld; this platform cannot hide a test until the course publishes it.)")
    totals = stage_totals(results)
    lines.append("by stage: " + ", ".join(f"{stage} {totals.get(stage, (0, 0))[0]:g} / "
                                          f"{totals.get(stage, (0, 0))[1]:g}" for stage in stages))
    if results.output:
        lines.append(results.output)
    isolation = (results.extra_data or {}).get("isolation")
    if isolation:
        lines.append(f"Protections while your code ran: {isolation}.")
    lines.append(f"Total: {results.score:g} / {results.max_score:g}")
    return "\n".join(lines)


def autolab(results: Results, stages: list) -> AutolabScores:
    scores = stage_scores(results, stages)
    return AutolabScores(scores=scores, scoreboard=[round(results.score, 6), *scores.values()])


def prairielearn(results: Results, stages: list) -> PrairieLearnResults:
    """A grader that failed (no test ran) is not gradable: PrairieLearn then shows the message and
    counts no attempt, as Gradescope's fallback output asks staff to regrade."""
    top = results.max_score
    tests = [PrairieLearnTest(name=f"{t.number} {shown_name(t)}", description=stage_of(t),
                              points=t.score, max_points=t.max_score,
                              message=("" if t.status == "passed" else
                                       t.output if t.visibility == "visible" else WITHHELD))
             for t in results.tests]
    failed = (results.extra_data or {}).get("grader_failed", False) or not results.tests
    return PrairieLearnResults(gradable=not failed and top > 0,
                               score=min(1.0, results.score / top) if top > 0 else 0.0,
                               message=f"Total: {results.score:g} / {top:g}" if results.tests else results.output,
                               output=feedback_text(results, stages), tests=tests)
