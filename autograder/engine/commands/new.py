"""`new NAME`: a homework that works at once, made from the template folder beside this module.

The template (templates/homework/) is a tiny two-stage homework: a suite with
a visible and a hidden test per stage, a conftest, a reference loader, a
one-bug catalogue, and a solution with BEGIN/END SOLUTION markers. Its files
end in .tmpl and are filled with string.Template ($name, $title). The suite
goes in autograder/NAME/, the solution and the generated handout in
homeworks/NAME/ (homework.json's solution_dir and handout_dir are relative
to the project root).
"""

from __future__ import annotations

import keyword
from pathlib import Path
from string import Template

TEMPLATE = Path(__file__).resolve().parent / "templates" / "homework"
PLACES = {"suite": "autograder/{name}", "solution": "homeworks/{name}/solution", "handout": "homeworks/{name}/handout"}


def new_homework(name: str, project: Path) -> list:
    """Make homework NAME in the project root; returns the folders made (suite, solution, handout)."""
    from autograder.engine.commands.build import write_handout
    from autograder.engine.homework import Homework

    if not name.isidentifier() or keyword.iskeyword(name) or name == "engine":
        raise SystemExit(f"new: {name!r} cannot be a homework's name: use a Python identifier such as homework3")
    project = Path(project).resolve()
    if not (project / "autograder").is_dir():
        raise SystemExit(f"new: {project} is not the project root (it has no autograder/ folder)")
    folders = {part: project / place.format(name=name) for part, place in PLACES.items()}
    taken = [str(f) for f in folders.values() if f.exists()]
    if taken:
        raise SystemExit(f"new: already there: {', '.join(taken)}")
    values = {"name": name, "title": f"{name}: a linear model and its gradients"}
    for part, folder in folders.items():
        for source in sorted((TEMPLATE / part).rglob("*.tmpl")):
            target = folder / source.relative_to(TEMPLATE / part).with_suffix("")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(Template(source.read_text()).substitute(values))
    write_handout(Homework.load(folders["suite"]))
    return list(folders.values())
