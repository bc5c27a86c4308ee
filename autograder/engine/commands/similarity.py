"""Which submissions look copied from each other: evidence for a person to read, never a penalty.

Uses copydetect (token winnowing: names and literals are normalised, so
renaming variables or reordering functions does not hide a copy). The
handout's stubs are given as boilerplate, so the skeleton every student
starts from does not count. Runs offline.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autograder.engine.grading.locate import locate

DEFAULT_THRESHOLD = 0.6


@dataclass
class Pair:
    a: str
    b: str
    score: float
    files: dict  # file name -> similarity of that file in the pair


def compare(submissions: list, files: list, boilerplate: Path, html: Path | None = None) -> list:
    """Every pair of submissions with their similarity (0..1), most similar first.

    `submissions` are objects with `id` and `folder`; only the homework's `files`
    of each are compared, a file with the same name of another submission only.
    """
    from copydetect import CopyDetector

    stage = Path(tempfile.mkdtemp(prefix="similarity-"))
    try:
        for s in submissions:
            found = locate(str(s.folder), files).found
            if found:
                (stage / s.id).mkdir()
                for name, path in found.items():
                    shutil.copyfile(path, stage / s.id / name)
        ids = sorted(p.name for p in stage.iterdir())
        if len(ids) < 2:
            return []
        plate = stage.parent / (stage.name + "-boilerplate")
        plate.mkdir()
        for name in files:
            if (Path(boilerplate) / name).exists():
                shutil.copyfile(Path(boilerplate) / name, plate / name)
        dirs = [str(stage / i) for i in ids]
        detector = CopyDetector(test_dirs=dirs, ref_dirs=dirs, boilerplate_dirs=[str(plate)],
                                extensions=["py"], same_name_only=True, ignore_leaf=True, autoopen=False,
                                silent=True, display_t=DEFAULT_THRESHOLD,
                                out_file=str(html) if html else str(stage / "report.html"))
        detector.run()
        scores: dict = {}
        for i, test in enumerate(detector.test_files):
            for j, ref in enumerate(detector.ref_files):
                sim = detector.similarity_matrix[i, j]
                if sim[0] < 0:
                    continue
                a, b = sorted((Path(test).parent.name, Path(ref).parent.name))
                name = Path(test).name
                scores.setdefault((a, b), {})[name] = max(scores.get((a, b), {}).get(name, 0.0),
                                                           float(sim.mean()))
        if html is not None:
            detector.generate_html_report(output_mode="save")
        pairs = [Pair(a, b, max(per_file.values()), per_file) for (a, b), per_file in scores.items()]
        return sorted(pairs, key=lambda p: (-p.score, p.a, p.b))
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        shutil.rmtree(stage.parent / (stage.name + "-boilerplate"), ignore_errors=True)


def summary_section(pairs: list, names: dict, threshold: float) -> list:
    """Lines of markdown for summary.md."""
    above = [p for p in pairs if p.score >= threshold]
    lines = ["## Similar submissions", "",
             f"Pairs at or above {threshold:.0%} similarity (copydetect, token winnowing, the handout's stubs "
             f"excluded), of {len(pairs)} pairs compared. This is evidence for a person to read in "
             f"similarity.html, never a verdict or a penalty by itself.", ""]
    if not above:
        return lines + ["No pair reaches the threshold."]
    lines += ["| submission | submitters | submission | submitters | similarity | per file |", "|---|---|---|---|---|---|"]
    for p in above:
        per_file = ", ".join(f"{k} {v:.0%}" for k, v in sorted(p.files.items()))
        lines.append(f"| {p.a} | {names.get(p.a, '')} | {p.b} | {names.get(p.b, '')} | {p.score:.0%} | {per_file} |")
    return lines
