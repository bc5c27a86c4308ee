"""A homework's description, read from its folder's homework.json (data, never imported code)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path


@dataclass
class Homework:
    name: str
    files: list                  # what students submit, e.g. ["network.py", "attack.py"]
    total_points: float          # what the tests' weights must add up to
    time_budget_seconds: float   # the whole suite, one submission, this machine
    call_seconds: float = 10.0   # one call into student code
    bundle: dict = field(default_factory=dict)  # {"exclude": [...], "reference_module": "reference.py"}
    known_bugs: str = ""         # a file in the suite defining BUGS (see validate.py)
    stages: list = field(default_factory=list)  # every test carries exactly one of these tags
    feedback_limit: dict | None = None  # {"submissions": K, "window_hours": H}: see feedback_limit.py
    corpus: Path | None = None   # a folder, relative to the homework's, of graded-in-advance submissions (corpus.py)
    suite: Path = Path(".")      # set on load: the folder of the tests
    solution: Path = Path(".")
    handout: Path = Path(".")

    @classmethod
    def load(cls, folder: str | Path) -> "Homework":
        folder = Path(folder).resolve()
        path = folder / "homework.json"
        if not path.exists():
            raise FileNotFoundError(f"{folder} is not a homework folder: it has no homework.json")
        data = json.loads(path.read_text())
        known = {f.name for f in fields(cls)} | {"solution_dir", "handout_dir"}
        unknown = sorted(set(data) - known)
        missing = sorted({"name", "files", "total_points", "time_budget_seconds", "solution_dir", "handout_dir"}
                         - set(data))
        if unknown or missing:
            raise ValueError(f"{path}: " + "; ".join(filter(None, [
                f"unknown keys {unknown}" if unknown else "", f"missing keys {missing}" if missing else ""])))
        project = folder.parents[1]
        data.update(suite=folder, solution=project / data.pop("solution_dir"),
                    handout=project / data.pop("handout_dir"))
        if data.get("corpus"):
            data["corpus"] = (folder / data["corpus"]).resolve()
        homework = cls(**data)
        if not isinstance(homework.files, list) or not all(isinstance(f, str) for f in homework.files):
            raise ValueError(f"{path}: files must be a list of file names")
        return homework
