"""`new NAME [--template T]`: a homework that works at once, made from a template folder beside this module.

Each template (templates/T/) is a tiny two-stage homework: a suite with a
visible and a hidden test per stage, a conftest, a reference loader, a bug
catalogue, a mutation probe, and a solution (with its student README) with
BEGIN/END SOLUTION markers. `linear` is two functions; `layer` is a layer
whose forward returns (out, cache) and whose backward takes the cache back,
kept in the student's process (`student.keep`). Files end in .tmpl and are
filled with string.Template ($name, $title). The suite goes in
autograder/NAME/, the solution and the generated handout in homeworks/NAME/
(homework.json's solution_dir and handout_dir are relative to the project root).
"""

from __future__ import annotations

import keyword
from pathlib import Path
from string import Template

TEMPLATES = {
    "linear": "a linear model and its gradients",
    "layer": "a ReLU layer, forward with a cache and backward",
}
PLACES = {"suite": "autograder/{name}", "solution": "homeworks/{name}/solution", "handout": "homeworks/{name}/handout"}


def template_folder(template: str) -> Path:
    return Path(__file__).resolve().parent / "templates" / template


def new_homework(name: str, project: Path, template: str = "linear") -> list:
    """Make homework NAME in the project root; returns the folders made (suite, solution, handout)."""
    from autograder.engine.commands.build import write_handout
    from autograder.engine.homework import Homework

    if not name.isidentifier() or keyword.iskeyword(name) or name == "engine":
        raise SystemExit(f"new: {name!r} cannot be a homework's name: use a Python identifier such as homework3")
    if template not in TEMPLATES:
        raise SystemExit(f"new: no template {template!r} (there are: {', '.join(sorted(TEMPLATES))})")
    source_root = template_folder(template)
    project = Path(project).resolve()
    if not (project / "autograder").is_dir():
        raise SystemExit(f"new: {project} is not the project root (it has no autograder/ folder)")
    folders = {part: project / place.format(name=name) for part, place in PLACES.items()}
    taken = [str(f) for f in folders.values() if f.exists()]
    if taken:
        raise SystemExit(f"new: already there: {', '.join(taken)}")
    values = {"name": name, "title": f"{name}: {TEMPLATES[template]}"}
    for part, folder in folders.items():
        for source in sorted((source_root / part).rglob("*.tmpl")):
            target = folder / source.relative_to(source_root / part).with_suffix("")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(Template(source.read_text()).substitute(values))
    write_handout(Homework.load(folders["suite"]))
    return list(folders.values())
