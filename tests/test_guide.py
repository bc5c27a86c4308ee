"""docs/writing-a-homework.md: every ```bash block runs, in order, in a copy of the project (hw2 included,
so every command must name its homework)."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile

from .helpers import PROJECT
from .project_copy import copy_project, env_for, run

GUIDE = PROJECT / "docs" / "writing-a-homework.md"


def bash_blocks(text: str) -> list:
    return re.findall(r"^```bash\n(.*?)^```", text, re.S | re.M)


def test_the_guide_has_commands_for_every_step():
    commands = "\n".join(bash_blocks(GUIDE.read_text()))
    for step in ("autograder new", "autograder validate", "autograder build", "autograder gradescope",
                 "autograder.engine.grading.pytest_entry", "autograder check"):
        assert step in commands, step


def test_every_command_of_the_guide_runs(tmp_path):
    project = copy_project(tmp_path / "project", homeworks=True)
    outputs = []
    for block in bash_blocks(GUIDE.read_text()):
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=project, env=env_for(project),
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{block}\n{done.stdout}\n{done.stderr}"
        outputs.append(done.stdout)
    text = "\n".join(outputs)
    assert "All checks pass." in text
    assert "Total: 20 / 20" in text                      # gradescope on the solution
    assert "score 20 / 20" in text                       # pytest on the solution
    assert (project / "results.json").is_file()          # pytest --results on the handout
    assert "Total: 10 / 10" in outputs[-1]               # the student's self-check
    assert (project / "dist" / "hw3" / "autograder.zip").is_file()
    # the layer-with-cache homework of its own section: validated, built, 20 on its solution, 0 on its stubs
    layer = outputs[[i for i, block in enumerate(bash_blocks(GUIDE.read_text())) if "--template layer" in block][0]]
    assert "All checks pass." in layer and "Total: 20 / 20" in layer and "Total: 0 / 20" in layer
    assert (project / "dist" / "hw4" / "handout.zip").is_file()
    # the platforms' section: built, and each flow gives the solution its 20 points
    platforms = outputs[[i for i, block in enumerate(bash_blocks(GUIDE.read_text())) if "--platform autolab" in block][0]]
    assert '{"scores":{"predict":10.0,"gradient":10.0}' in platforms and "PrairieLearn score: 1 " in platforms
    assert (project / "dist" / "hw3-autolab" / "autograde.tar").is_file()
    assert (project / "dist" / "hw3-question" / "info.json").is_file()

    # each homework ships alone: hw3's zips carry no file of hw2, and hw2's none of hw3
    run(project, "build", "--homework", "hw2", "--out", "dist/hw2")
    others = {"hw3": ("autograder/hw2/", "solution/", "handout/"), "hw2": ("autograder/hw3/", "homeworks/")}
    for name, foreign in others.items():
        for kind in ("autograder.zip", "handout.zip"):
            with zipfile.ZipFile(project / "dist" / name / kind) as archive:
                names = archive.namelist()
                assert archive.read("autograder/homework.txt").decode().strip() == name
            assert not [n for n in names if n.startswith(foreign)], (name, kind)

    # with two homeworks, a command that names none says which exist
    done = run(project, "validate", check=False)
    assert done.returncode != 0 and "present: hw2, hw3" in done.stderr

    # the homework.json the guide shows is the one `new hw3` made
    shown = re.search(r"^```json\n(.*?)^```", GUIDE.read_text(), re.S | re.M).group(1)
    assert json.loads(shown) == json.loads((project / "autograder" / "hw3" / "homework.json").read_text())


def test_the_layer_section_shows_the_template_s_own_code():
    """Each Python excerpt of "Layers with a cache" is in the layer template's suite, as it is there."""
    from autograder.engine.commands.new import template_folder
    section = GUIDE.read_text().split("## Layers with a cache", 1)[1].split("\n## ", 1)[0]
    excerpts = re.findall(r"^```python\n(.*?)^```", section, re.S | re.M)
    assert len(excerpts) == 3
    suite = "\n".join(path.read_text() for path in (template_folder("layer") / "suite").rglob("*.tmpl"))
    for excerpt in excerpts:
        assert excerpt in suite, excerpt
