"""Gradescope's results.json, as pydantic models: validated before anything is written."""

from __future__ import annotations

import json
import os
import tempfile
from typing import Annotated, List, Literal, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

Visibility = Literal["hidden", "after_due_date", "after_published", "visible"]
OUTPUT_LIMIT = 100_000  # Gradescope truncates each output at this many characters


def cap_output(text: str) -> str:
    """Gradescope cuts each output at OUTPUT_LIMIT characters; cut it ourselves and say so."""
    return text if len(text) <= OUTPUT_LIMIT else text[: OUTPUT_LIMIT - 40] + "\n[... output cut by the grader]"


Output = Annotated[str, AfterValidator(cap_output)]


class TestResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    number: str
    score: float = Field(ge=0)
    max_score: float = Field(ge=0)
    status: Literal["passed", "failed"]
    tags: List[str] = []
    visibility: Visibility = "visible"
    output: Output = ""
    output_format: Literal["text", "html", "simple_format", "md", "ansi"] = "text"

    @model_validator(mode="after")
    def _consistent(self):
        if self.score > self.max_score + 1e-9:
            raise ValueError(f"test {self.number} scores {self.score} > max {self.max_score}")
        if self.status == "passed" and self.score < self.max_score - 1e-9:
            raise ValueError(f"test {self.number}: passed with less than full marks")
        if self.status == "failed" and self.max_score > 0 and self.score >= self.max_score - 1e-9:
            raise ValueError(f"test {self.number}: failed with full marks")
        return self


class Results(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: float = Field(ge=0)
    execution_time: float = Field(ge=0)
    output: Output = ""
    output_format: Literal["text", "html", "simple_format", "md", "ansi"] = "text"
    test_output_format: Literal["text", "html", "simple_format", "md", "ansi"] = "text"
    stdout_visibility: Visibility = "hidden"
    visibility: Visibility = "visible"
    extra_data: dict = {}
    tests: List[TestResult] = []

    @model_validator(mode="after")
    def _unique_numbers(self):
        numbers = [t.number for t in self.tests]
        if len(numbers) != len(set(numbers)):
            raise ValueError("test numbers must be unique")
        return self

    @property
    def max_score(self) -> float:
        return sum(t.max_score for t in self.tests)


def stage_of(test) -> str:
    """A test's stage: its one tag (validate checks every test has exactly one of homework.json's
    stages). Takes a TestResult or a manifest entry; the one place a stage is read."""
    tags = test.get("tags") if isinstance(test, dict) else test.tags
    return tags[0] if tags else "other"


def stage_totals(results: Results) -> dict:
    """stage -> (points earned, points possible), in the order the tests come."""
    totals: dict = {}
    for test in results.tests:
        entry = totals.setdefault(stage_of(test), [0.0, 0.0])
        entry[0] += test.score
        entry[1] += test.max_score
    return {stage: tuple(points) for stage, points in totals.items()}


def number_key(number: str) -> list:
    """Sort test numbers as Gradescope shows them: 3.2.10 after 3.2.9, 5.1 after 4.3."""
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in str(number).replace(":", ".").split(".")]


def fallback(message: str, execution_time: float = 0.0, tests: Optional[list] = None) -> Results:
    """Score 0 with an explanation: what is written when grading itself failed.

    `tests` are manifest entries (dicts with name, number, max_score, tags, visibility),
    so every test still appears with its full max_score.
    """
    failed = [TestResult(name=t["name"], number=t["number"], score=0, max_score=t["max_score"], status="failed",
                         tags=t.get("tags", []), visibility=t.get("visibility", "visible"),
                         output="Not graded: " + message)
              for t in (tests or [])]
    return Results(score=0, execution_time=execution_time, output=message, tests=failed)


def write_atomically(results: Results, path: str) -> None:
    """One write: a temporary file in the same folder, fsync, rename over the target."""
    folder = os.path.dirname(os.path.abspath(path)) or "."
    os.makedirs(folder, exist_ok=True)
    data = results.model_dump_json(indent=2)
    Results.model_validate(json.loads(data))  # what we write must read back valid
    fd, tmp = tempfile.mkstemp(prefix=".results-", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load(path: str) -> Results:
    with open(path, encoding="utf-8") as fh:
        return Results.model_validate_json(fh.read())
