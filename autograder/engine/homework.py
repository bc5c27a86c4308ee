"""A homework's description, read from its folder's homework.json (data, never imported code)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict


class Homework(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    files: list                  # what students submit, e.g. ["network.py", "attack.py"]
    total_points: float          # what the tests' weights must add up to
    time_budget_seconds: float   # the whole suite, one submission, this machine
    call_seconds: float = 10.0   # one call into student code
    bundle: dict = {}            # the student bundle: {"exclude": [...], "reference_module": "reference.py"}
    known_bugs: str = ""         # a file in the suite defining BUGS (see validate.py)
    stages: list = []            # every test carries exactly one of these tags
    suite: Path = Path(".")      # set on load: the folder of the tests
    solution: Path = Path(".")
    handout: Path = Path(".")

    @classmethod
    def load(cls, folder: str | Path) -> "Homework":
        folder = Path(folder).resolve()
        data = json.loads((folder / "homework.json").read_text())
        project = folder.parents[1]
        data.update(suite=folder, solution=project / data.pop("solution_dir"),
                    handout=project / data.pop("handout_dir"))
        return cls(**data)
