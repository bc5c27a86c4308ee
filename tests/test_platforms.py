"""One suite, three platforms: Autolab's and PrairieLearn's flows, run here as each platform runs them,
give the totals Gradescope gives; each output validates against its model; hidden tests' feedback is
withheld where a platform cannot hide it; a hostile handin costs only itself."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from autograder.engine.commands.validate import load_bugs
from autograder.engine.homework import Homework
from autograder.engine.commands import autolab, prairielearn
from autograder.engine.commands.handin import unpack_handin
from autograder.engine.commands.platform_grading import own_autograder_env

from .helpers import HW2_CLI, PROJECT
from .project_copy import copy_project, run


def hidden_only_feedback(results) -> list:
    """Hidden tests' feedback no visible test also says (the stubs' 'not implemented' is everywhere)."""
    visible = " ".join(t.output for t in results.tests if t.visibility == "visible")
    return [t.output[:60] for t in results.tests
            if t.visibility != "visible" and t.status != "passed" and len(t.output) > 30 and t.output[:60] not in visible]


def write_bug(bug, homework, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in bug.apply(homework.solution).items():
        (folder / name).write_text(text)
    return folder


# -- every catalogued bug: the three flows, end to end, give one total --------------------------------

HW2 = Homework.load(PROJECT / "autograder" / "hw2")
CASES = ["solution", "handout", *(bug.name for bug in load_bugs(HW2))]


@pytest.fixture(scope="module")
def built_platforms(tmp_path_factory, homework) -> tuple:
    """Autolab's two files and PrairieLearn's question folder, built once for every case."""
    dist, question = tmp_path_factory.mktemp("autolab-dist"), tmp_path_factory.mktemp("question")
    autolab.build(homework, dist)
    prairielearn.build(homework, question)
    return dist, question


@pytest.mark.parametrize("case", CASES)
def test_the_three_flows_give_one_total(case, homework, gradescope, built_platforms, tmp_path):
    """Gradescope's flow (run_autograder in its root), Autolab's (make in an empty folder with
    autograde.tar, Makefile and handin.tar) and PrairieLearn's (the entry point under a folder laid
    out as /grade), on the solution, the stubs and every catalogued bug: one total, each output valid
    against its model."""
    folder = {"solution": homework.solution, "handout": homework.handout}.get(case) or \
        write_bug(next(b for b in load_bugs(homework) if b.name == case), homework, tmp_path / case)
    dist, question = built_platforms
    theirs = gradescope(folder)
    lab, _ = autolab.flow(homework, folder, tmp_path / "tango", dist=dist)
    pl = prairielearn.flow(homework, folder, tmp_path / "grade", question=question)
    assert list(lab.scores) == homework.stages
    assert sum(lab.scores.values()) == pytest.approx(theirs.score, abs=1e-6) == lab.scoreboard[0]
    assert pl.score * theirs.max_score == pytest.approx(theirs.score, abs=1e-6)
    assert pl.gradable and sum(t.points for t in pl.tests) == pytest.approx(theirs.score, abs=1e-6)
    assert theirs.score == {"solution": 100, "handout": 0}.get(case, theirs.score) and \
        (case in ("solution", "handout") or theirs.score < 100)


# -- the flows, end to end --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def autolab_dist(built_platforms) -> Path:
    return built_platforms[0]


def make_in_empty_folder(dist: Path, folder: Path, handin_name: str, handin_bytes: bytes) -> str:
    """Tango's steps: autograde.tar, the Makefile and the handin in an empty folder, then make."""
    folder.mkdir(parents=True)
    (folder / "autograde.tar").write_bytes((dist / "autograde.tar").read_bytes())
    (folder / "Makefile").write_bytes((dist / "autograde-Makefile").read_bytes())
    (folder / handin_name).write_bytes(handin_bytes)
    done = subprocess.run(["make", f"PYTHON={sys.executable}"], cwd=folder, env=own_autograder_env(), capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def tar_of(files: dict) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, text in files.items():
            data = text.encode() if isinstance(text, str) else text
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def zip_of(files: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buf.getvalue()


def test_autolab_make_grades_a_handin_as_gradescope_does(homework, gradescope, autolab_dist, tmp_path):
    """The solution (100), the stubs (0) and a catalogued bug whose hidden test fails: the last line is
    Autolab's autoresult, the totals are Gradescope's, and the hidden test's name and feedback are not
    in what the student reads."""
    bug = next(b for b in load_bugs(homework) if b.name == "attack_no_clipping")
    cases = {"solution": homework.solution, "handout": homework.handout,
             "bug": write_bug(bug, homework, tmp_path / "bug")}
    for case, folder in cases.items():
        files = {name: (folder / name).read_text() for name in homework.files}
        output = make_in_empty_folder(autolab_dist, tmp_path / f"tango-{case}", "handin.tar", tar_of(files))
        scores = autolab.read_autoresult(output)
        theirs = gradescope(folder)
        assert sum(scores.scores.values()) == pytest.approx(theirs.score, abs=1e-6), case
        assert scores.scoreboard[0] == pytest.approx(theirs.score, abs=1e-6)
        hidden = [t for t in theirs.tests if t.visibility != "visible"]
        for test in hidden:
            assert test.name not in output, (case, test.name)
        for said in hidden_only_feedback(theirs):
            assert said not in output, (case, said)
        assert "PASSED" not in output and "test_" not in output  # nothing of pytest's own lines
    assert sum(scores.scores.values()) < 100 and any(t.status != "passed" for t in hidden)


def test_autolab_takes_a_zip_or_a_folder_inside_and_says_what_it_left_out(homework, autolab_dist, tmp_path):
    files = {f"hw2/{name}": (homework.solution / name).read_text() for name in homework.files}
    output = make_in_empty_folder(autolab_dist, tmp_path / "zip", "handin.zip", zip_of(files))
    assert sum(autolab.read_autoresult(output).scores.values()) == 100
    output = make_in_empty_folder(autolab_dist, tmp_path / "named", "alice_3_hw2.tar", tar_of(files))
    assert sum(autolab.read_autoresult(output).scores.values()) == 100  # a handin under the student's name
    hostile = tar_of({"../../escape.py": "x = 1\n", "/etc/evil.py": "x = 1\n",
                      **{name: (homework.solution / name).read_text() for name in homework.files}})
    output = make_in_empty_folder(autolab_dist, tmp_path / "hostile", "handin.tar", hostile)
    assert sum(autolab.read_autoresult(output).scores.values()) == 100
    assert "handin: left out '../../escape.py'" in output and not (tmp_path / "escape.py").exists()


def test_autolab_without_a_readable_handin_still_ends_with_scores(homework, autolab_dist, tmp_path):
    output = make_in_empty_folder(autolab_dist, tmp_path / "garbage", "handin.tar", b"not an archive at all")
    scores = autolab.read_autoresult(output)
    assert scores.scores == {stage: 0 for stage in homework.stages}
    assert "Your handin could not be graded" in output


def _why_no_unprivileged_run() -> str | None:
    import shutil as sh
    if os.geteuid() != 0:
        return "needs root, to run make as another account"
    missing = [tool for tool in ("unshare", "setpriv", "make") if not sh.which(tool)]
    return f"needs {', '.join(missing)} (util-linux)" if missing else None


@pytest.mark.skipif(_why_no_unprivileged_run() is not None, reason=_why_no_unprivileged_run() or "")
def test_autolab_make_without_root_says_which_protections_hold(homework, autolab_dist):
    """Tango may run make as an ordinary account: there the grading still scores full marks, and the
    feedback says which protections held (no account switch, no namespaces; seccomp and Landlock).
    The account is nobody's; this interpreter and its packages are bound into a private mount
    namespace at paths it can read (they sit under root's own folders here)."""
    import shutil as sh
    import site
    import tempfile
    base = Path(tempfile.mkdtemp(prefix="tango-", dir="/tmp"))
    try:
        folder, py, packages = base / "work", base / "python", base / "site-packages"
        for made in (folder, py, packages):
            made.mkdir()
        os.chmod(base, 0o755)
        (folder / "autograde.tar").write_bytes((autolab_dist / "autograde.tar").read_bytes())
        (folder / "Makefile").write_bytes((autolab_dist / "autograde-Makefile").read_bytes())
        (folder / "handin.tar").write_bytes(tar_of({n: (homework.solution / n).read_text() for n in homework.files}))
        for path in [folder, *folder.iterdir()]:
            os.chown(path, 65534, 65534)
        interpreter = py / Path(os.path.realpath(sys.executable)).relative_to(os.path.realpath(sys.base_prefix))
        script = (f"mount --bind {os.path.realpath(sys.base_prefix)} {py} && "
                  f"mount --bind {site.getsitepackages()[0]} {packages} && cd {folder} && "
                  f"exec setpriv --reuid=65534 --regid=65534 --clear-groups env -i PATH=/usr/bin:/bin "
                  f"HOME={folder} PYTHONPATH={packages} make PYTHON={interpreter}")
        done = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        scores = autolab.read_autoresult(done.stdout)
        assert sum(scores.scores.values()) == 100
        protections = next(line for line in done.stdout.splitlines() if line.startswith("Protections"))
        assert "not root" in protections and "seccomp" in protections, protections
    finally:
        sh.rmtree(base, ignore_errors=True)


def test_handin_unpacking_keeps_regular_files_under_their_own_names(tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        link = tarfile.TarInfo("network.py")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/shadow"
        tar.addfile(link)
        for name in ("sub/attack.py", "a/../../up.py"):
            info = tarfile.TarInfo(name)
            info.size = 2
            tar.addfile(info, io.BytesIO(b"x\n"))
    (tmp_path / "handin.tar").write_bytes(buf.getvalue())
    notes = unpack_handin(tmp_path / "handin.tar", tmp_path / "out", ["network.py", "attack.py"])
    assert (tmp_path / "out" / "sub" / "attack.py").read_text() == "x\n"
    assert not (tmp_path / "out" / "network.py").exists() and not (tmp_path / "up.py").exists()
    assert any("network.py: not a regular file" in n for n in notes)
    assert any("a/../../up.py" in n for n in notes)
    (tmp_path / "handin.py").write_text("y = 2\n")
    unpack_handin(tmp_path / "handin.py", tmp_path / "one", ["layer.py"])
    assert (tmp_path / "one" / "layer.py").read_text() == "y = 2\n"


def test_prairielearn_entry_under_a_grade_root(homework, gradescope, tmp_path):
    """The question folder's entry point, run with AUTOGRADER_GRADE_ROOT at a folder laid out as
    /grade: results.json in PrairieLearn's format, the score Gradescope gives, hidden feedback withheld."""
    bug = next(b for b in load_bugs(homework) if b.name == "attack_no_clipping")
    cases = {"solution": homework.solution, "handout": homework.handout,
             "bug": write_bug(bug, homework, tmp_path / "bug")}
    for case, folder in cases.items():
        results = prairielearn.flow(homework, folder, tmp_path / f"grade-{case}")
        theirs = gradescope(folder)
        assert results.score * 100 == pytest.approx(theirs.score, abs=1e-6), case
        raw = json.loads((tmp_path / f"grade-{case}" / "results" / "results.json").read_text())
        assert set(raw) == {"gradable", "score", "message", "output", "tests"} and raw["gradable"] is True
        assert set(raw["tests"][0]) == {"name", "description", "points", "max_points", "message", "output"}
        text = json.dumps(raw)
        for test in theirs.tests:
            if test.visibility != "visible":
                assert test.name not in text
        for said in hidden_only_feedback(theirs):
            assert json.dumps(said)[1:-1] not in text, (case, said)
    assert 0 < results.score < 1


def test_the_built_question_folder(homework, tmp_path):
    done = subprocess.run([*HW2_CLI, "build", "--platform", "prairielearn", "--out", str(tmp_path / "q")],
                          capture_output=True, text=True, timeout=300, cwd=PROJECT)
    assert done.returncode == 0, done.stderr
    info = json.loads((tmp_path / "q" / "info.json").read_text())
    options = info["externalGradingOptions"]
    assert info["gradingMethod"] == "External" and options["enabled"] is True
    entry = Path(options["entrypoint"])
    assert entry.parts[:3] == ("/", "grade", "tests")
    script = tmp_path / "q" / "tests" / entry.relative_to("/grade/tests")
    assert script.is_file() and os.access(script, os.X_OK)
    html = (tmp_path / "q" / "question.html").read_text()
    assert '<pl-file-upload file-names="network.py, attack.py">' in html
    assert "<pl-external-grader-results>" in html
    tests = tmp_path / "q" / "tests"
    assert (tests / "autograder" / "hw2" / "hidden").is_dir() and (tests / "solution" / "network.py").is_file()
    assert not (tests / "setup.sh").exists() and not (tests / "run_autograder").exists()


def test_the_built_autolab_files(tmp_path):
    done = subprocess.run([*HW2_CLI, "build", "--platform", "autolab", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300, cwd=PROJECT)
    assert done.returncode == 0, done.stderr
    with tarfile.open(tmp_path / "autograde.tar") as tar:
        names = tar.getnames()
    assert "autograde/autograder/hw2/homework.json" in names and "autograde/solution/network.py" in names
    assert "autograde/manifest.json" in names and not any(n.endswith(("setup.sh", "run_autograder")) for n in names)
    assert not any("handout" in n for n in names)
    makefile = (tmp_path / "autograde-Makefile").read_text()
    assert "tar xf autograde.tar" in makefile and "--platform autolab" in makefile


# -- a homework made by `new`: the three flows on its solution, handout and bug ----------------------

def test_a_new_homework_on_the_three_platforms(tmp_path):
    project = copy_project(tmp_path / "project")
    run(project, "new", "tiny")
    solution, handout = project / "homeworks" / "tiny" / "solution", project / "homeworks" / "tiny" / "handout"
    bug = tmp_path / "bug"
    bug.mkdir()
    (bug / "linear.py").write_text((solution / "linear.py").read_text().replace("return np.outer(r, x), r",
                                                                                "return np.outer(x, r), r"))
    for folder, total in ((solution, 20), (handout, 0), (bug, None)):
        gradescope = run(project, "gradescope", str(folder)).stdout
        lab = run(project, "autolab", str(folder)).stdout
        pl = run(project, "prairielearn", str(folder)).stdout
        want = float(gradescope.rstrip().rsplit("Total: ", 1)[1].split(" / ")[0])
        assert total is None or want == total
        scores = json.loads(lab.rstrip().splitlines()[-1])
        assert sum(scores["scores"].values()) == pytest.approx(want) and list(scores["scores"]) == ["predict", "gradient"]
        fraction = float(pl.rstrip().splitlines()[-1].split("score: ")[1].split(" ")[0])
        assert fraction * 20 == pytest.approx(want, abs=1e-3)
    assert 0 < want < 20
