"""A known bug as a small patch of the solution: what a homework's catalogue (known_bugs.py) lists.

validate grades every bug through the real engine: it must lose points in
its own stage, cost no stage it does not declare it touches, and the
feedback of some failed test of its stage must contain its hint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Bug:
    name: str
    stage: str
    file: str                       # the submitted file it patches
    old: str                        # text that occurs exactly once in that file...
    new: str                        # ...and what it becomes
    hint: str                       # some failed test of `stage` says this
    touches: tuple = field(default=())  # other stages allowed to lose points

    def apply(self, solution: Path) -> dict:
        """name -> source of every .py file of the solution, this one patched."""
        files = {p.name: p.read_text() for p in sorted(Path(solution).glob("*.py"))}
        if files[self.file].count(self.old) != 1:
            raise ValueError(f"bug {self.name}: the patched text occurs {files[self.file].count(self.old)} "
                             f"times in {self.file}")
        files[self.file] = files[self.file].replace(self.old, self.new)
        return files
