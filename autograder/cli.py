"""The command line: parses arguments and calls the engine, nothing more."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
PLATFORMS = ("gradescope", "autolab", "prairielearn")


def _homework(args):
    from autograder.engine.homework import Homework
    from autograder.engine.homeworks import resolve
    return Homework.load(resolve(args.homework, PACKAGE))


def cmd_grade(args) -> int:
    from autograder.engine.startup import grading_start
    with grading_start():
        from autograder.engine.commands.grade import grade
        homework = _homework(args)
    if args.platform == "autolab":
        from autograder.engine.commands.autolab import grade_handin
        if not args.submission:
            raise SystemExit("grade --platform autolab: name the handin file")
        return grade_handin(homework, args.submission, args.manifest)
    if args.platform == "prairielearn":
        from autograder.engine.commands.prairielearn import grade_student
        return grade_student(homework, args.manifest)
    if not args.submission:
        raise SystemExit("grade: name the folder holding the student's files")
    grade(homework, args.submission, args.results, manifest_path=args.manifest, metadata_path=args.metadata,
          quiet=args.quiet)
    return 0


def cmd_check(args) -> int:
    from autograder.engine.startup import grading_start
    with grading_start():
        from autograder.engine.commands.check import check
        homework = _homework(args)
    return check(homework, args.folder, include_hidden=args.all, json_path=args.json)


def cmd_batch(args) -> int:
    from autograder.engine.commands import batch as classwork
    if args.targets[0] == "slurm-script":
        from autograder.engine.commands.slurm import job_script
        if len(args.targets) != 2 or not args.out:
            raise SystemExit("batch slurm-script EXPORT --out DIR [--shards N] [--cpus C]: name one export")
        try:
            print(job_script(_homework(args), Path(args.targets[1]), Path(args.out), args.shards, args.cpus,
                             partition=args.partition), end="")
        except ValueError as exc:
            raise SystemExit(f"batch slurm-script: {exc}")
        return 0
    if args.targets[0] == "merge":
        if len(args.targets) < 2:
            raise SystemExit("batch merge: name the shard folders to merge")
        written = classwork.merge_shards(_homework(args), args.targets[1:], Path(args.out))
    else:
        if len(args.targets) != 1:
            raise SystemExit("batch: give one source (an export zip or a folder of submissions)")
        regrade = True if args.regrade == [] else (set(args.regrade) if args.regrade else None)
        written = classwork.grade_class(_homework(args), args.targets[0], Path(args.out), jobs=args.jobs,
                                        shard=args.shard, regrade=regrade, similarity=args.similarity,
                                        threshold=args.similarity_threshold)
    for path in written:
        print(f"wrote {path}")
    return 0


def cmd_diff(args) -> int:
    from autograder.engine.commands import batch as classwork
    print(f"wrote {classwork.diff_folders(Path(args.old), Path(args.new))}")
    return 0


def cmd_validate(args) -> int:
    if args.mutants is not None:
        return cmd_mutants(args)
    from autograder.engine.commands.validate import print_lines, validate
    lines = validate(_homework(args), jobs=args.jobs)
    print_lines(lines)
    return 0 if all(line.ok for line in lines) else 1


def cmd_mutants(args) -> int:
    from rich.console import Console

    from autograder.engine.commands.batch_progress import BatchProgress
    from autograder.engine.commands.mutants import print_table, sweep, write_report
    homework = _homework(args)
    bar = BatchProgress()
    count = None if args.mutants == "all" else int(args.mutants)
    try:
        result = sweep(homework, count, seed=args.seed, jobs=args.jobs, progress=bar)
    except (ValueError, RuntimeError) as exc:
        bar.stop()
        print(f"validate --mutants: {exc}")
        return 2
    bar.stop()
    paths = write_report(result, homework, Path(args.report))
    print_table(result, homework, Console())
    print("report: " + ", ".join(str(p) for p in paths))
    return 0 if result.ok else 1


def cmd_sample_class(args) -> int:
    from autograder.engine.commands.sample_class import make_export
    try:
        made = make_export(Path(args.out), _homework(args), count=args.size, seed=args.seed, as_zip=not args.folder)
    except ValueError as exc:
        print(f"sample-class: {exc}")
        return 2
    print(f"wrote {made}")
    return 0


def cmd_build(args) -> int:
    from autograder.engine.commands.build import build
    homework = _homework(args)
    if args.platform != "gradescope":
        from autograder.engine.commands.build import write_handout
        from autograder.engine.commands import autolab, prairielearn
        maker = {"autolab": autolab.build, "prairielearn": prairielearn.build}[args.platform]
        for path in [*write_handout(homework), *maker(homework, Path(args.out or f"dist/{args.platform}"))]:
            print(f"wrote {path}")
        return 0
    written = build(homework, Path(args.out or "dist"))
    for path in written:
        print(f"wrote {path}")
    if not any(Path(p).parent == Path(homework.handout) or Path(homework.handout) in Path(p).parents
               for p in written):
        print(f"{homework.handout}: unchanged (it is what the solution generates)")
    return 0


def cmd_platform_flow(args) -> int:
    """autolab [DIR] / prairielearn [DIR]: the platform's flow here, on DIR or the reference solution."""
    from autograder.engine.commands import autolab, prairielearn
    homework = _homework(args)
    submission = Path(args.submission) if args.submission else Path(homework.solution)
    root = Path(args.root) if args.root else None
    if args.command == "autolab":
        scores, output = autolab.flow(homework, submission, root)
        print(output.rstrip())
        total = scores.scoreboard[0]
    else:
        results = prairielearn.flow(homework, submission, root)
        print(results.output)
        print(f"PrairieLearn score: {results.score:.4g} (gradable: {str(results.gradable).lower()})")
        total = results.score * homework.total_points
    return 0 if args.submission or total >= homework.total_points - 1e-9 else 1


def cmd_simulate(args) -> int:
    from autograder.engine.commands.report import print_results
    from autograder.engine.commands.gradescope import gradescope_flow
    root = Path(args.root) if args.root else None
    if args.submission:
        print_results(gradescope_flow(_homework(args), Path(args.submission), root))
        return 0
    # no submission: the reference solution of the homework named, or of every homework present
    from autograder.engine.homework import Homework
    from autograder.engine.homeworks import present
    names = [None] if args.homework else present(PACKAGE)
    if not names:
        print("there is no homework here yet: make one with python -m autograder new NAME")
        return 2
    full = True
    for name in names:
        homework = _homework(args) if name is None else Homework.load(PACKAGE / name)
        if len(names) > 1:
            print(f"== {homework.suite.name}: {homework.name}")
        results = gradescope_flow(homework, Path(homework.solution), root)
        print_results(results)
        full = full and results.score >= results.max_score - 1e-9
    return 0 if full else 1


def cmd_new(args) -> int:
    from autograder.engine.commands.new import new_homework
    for path in new_homework(args.name, Path(args.dir) if args.dir else PACKAGE.parent, args.template):
        print(path)
    return 0


HOMEWORK_HELP = ("the homework: a name (autograder/NAME) or a folder (default: the one a build recorded, "
                 "or the only one present)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    parser.add_argument("--homework", default=None, help=HOMEWORK_HELP)
    sub = parser.add_subparsers(dest="command", required=True)
    # --homework also after the command; SUPPRESS keeps a value given before it
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--homework", default=argparse.SUPPRESS, help=HOMEWORK_HELP)

    def command(name, **kwargs):
        return sub.add_parser(name, parents=[common], **kwargs)

    grade = command("grade", help="grade one submission and write Gradescope's results.json")
    grade.add_argument("submission", nargs="?", default=None,
                       help="the folder holding the student's files (autolab: the handin file; prairielearn: "
                            "none, $AUTOGRADER_GRADE_ROOT/student)")
    grade.add_argument("--platform", choices=PLATFORMS, default="gradescope",
                       help="whose output to write: Gradescope's results.json (default); Autolab's feedback "
                            "and last-line scores on stdout; PrairieLearn's results.json under "
                            "$AUTOGRADER_GRADE_ROOT (default /grade)")
    grade.add_argument("--results", default=os.environ.get("AUTOGRADER_RESULTS", "results.json"),
                       help="where to write results.json (default: $AUTOGRADER_RESULTS, else ./results.json)")
    grade.add_argument("--manifest", default=None, help="the tests every run must report (from build)")
    grade.add_argument("--metadata", default=os.environ.get("AUTOGRADER_METADATA"),
                       help="Gradescope's submission_metadata.json (feedback limit; default: $AUTOGRADER_METADATA)")
    grade.add_argument("--quiet", action="store_true", help="do not print the score table")
    grade.set_defaults(run=cmd_grade)

    check = command("check", help="students: check your files with the visible tests")
    check.add_argument("folder", nargs="?", default=".", help="the folder holding your files (default: here)")
    check.add_argument("--json", default=None, help="also write the results in Gradescope's format to this file")
    check.add_argument("--all", action="store_true", help="staff: include the hidden tests")
    check.set_defaults(run=cmd_check)

    batch = command("batch", help="TAs: grade a class (a Gradescope export or a folder of submissions); "
                    "'batch merge DIR...' combines shards; 'batch slurm-script EXPORT --out DIR' prints a "
                    "Slurm job script that grades the class as an array, then merges")
    batch.add_argument("targets", nargs="+", metavar="SRC", help="an export zip/folder, or: merge DIR [DIR...], "
                       "or: slurm-script EXPORT")
    batch.add_argument("--out", required=True, help="folder for results, grades.csv, summary.md, scores.png")
    batch.add_argument("--jobs", type=int, default=None, help="parallel gradings (default: the number of cores)")
    batch.add_argument("--shard", default=None, metavar="K/N", help="grade only the K-th of N deterministic slices")
    batch.add_argument("--regrade", nargs="*", default=None, metavar="ID",
                       help="grade again even if graded by this build: all, or the named submissions")
    batch.add_argument("--shards", type=int, default=4, help="slurm-script: how many array tasks (default 4)")
    batch.add_argument("--cpus", type=int, default=2, help="slurm-script: CPUs per task, its --jobs (default 2)")
    batch.add_argument("--partition", default=None, help="slurm-script: the Slurm partition (default: the cluster's)")
    batch.add_argument("--similarity", action="store_true",
                       help="also compare every pair of submissions (copydetect): similarity.html and a table "
                            "in summary.md, evidence for a person to read, never a penalty")
    batch.add_argument("--similarity-threshold", type=float, default=0.6,
                       help="pairs at or above this similarity are listed in summary.md (default 0.6)")
    batch.set_defaults(run=cmd_batch)

    diff = command("diff", help="TAs: what a regrade changed between two batch outputs (writes "
                   "NEW/regrade.csv)")
    diff.add_argument("old", help="the earlier batch --out folder")
    diff.add_argument("new", help="the later batch --out folder")
    diff.set_defaults(run=cmd_diff)

    validate = command("validate", help="staff: does the assignment hold together (solution, handout, "
                       "known bugs, determinism, weights, time, sync)")
    validate.add_argument("--jobs", type=int, default=None, help="parallel gradings (default: the number of cores)")
    validate.add_argument("--mutants", nargs="?", const="all", default=None, metavar="N",
                          help="instead: mutation analysis of the suite, on N mutants of the solution drawn with "
                               "--seed (all when N is left out); see docs/writing-a-homework.md")
    validate.add_argument("--seed", type=int, default=0, help="which mutants --mutants N draws (default 0)")
    validate.add_argument("--report", default="mutants-report", help="where --mutants writes mutants.json and "
                                                                     "mutants.md (default: ./mutants-report)")
    validate.set_defaults(run=cmd_validate)

    sample = command("sample-class", help="staff: a made-up class for trying batch: the solution, every "
                     "catalogued bug and the stubs, as a Gradescope 'Export Submissions' zip")
    sample.add_argument("--out", required=True, help="where to write export.zip (or the export's folder)")
    sample.add_argument("--size", type=int, default=60, help="how many submissions (default 60)")
    sample.add_argument("--seed", type=int, default=0, help="which variants fill the class beyond the first round")
    sample.add_argument("--folder", action="store_true", help="write the export's folder, not a zip")
    sample.set_defaults(run=cmd_sample_class)

    build = command("build", help="regenerate the handout; write dist/autograder.zip and dist/handout.zip "
                    "(the engine and this homework only)")
    build.add_argument("--out", default=None, help="output folder (default: dist; dist/autolab, "
                       "dist/prairielearn for those platforms: the question folder itself)")
    build.add_argument("--platform", choices=PLATFORMS, default="gradescope",
                       help="gradescope: autograder.zip and handout.zip (default); autolab: autograde.tar and "
                            "autograde-Makefile; prairielearn: a question folder (info.json, question.html, "
                            "tests/)")
    build.set_defaults(run=cmd_build)

    for name, where in (("autolab", "an empty folder with autograde.tar, Makefile and handin.tar, then make"),
                        ("prairielearn", "a folder laid out as /grade, then the entry point info.json names")):
        flow = command(name, help=f"run {name}'s flow here on one submission ({where}) and print the scores")
        flow.add_argument("submission", nargs="?", default=None,
                          help="the folder holding the student's files (default: the reference solution; "
                               "exit 1 below full marks)")
        flow.add_argument("--root", default=None, help="the folder to lay out (default: a new temporary one)")
        flow.set_defaults(run=cmd_platform_flow)

    simulate = command("gradescope", help="run Gradescope's whole flow here on one submission "
                       "(build the zip, setup.sh, run_autograder) and print the scores")
    simulate.add_argument("submission", nargs="?", default=None,
                          help="the folder holding the student's files (default: the reference solution of "
                               "the homework named, or of every homework present; exit 1 below full marks)")
    simulate.add_argument("--root", default=None, help="AUTOGRADER_ROOT to use (default: a new temporary folder)")
    simulate.set_defaults(run=cmd_simulate)

    from autograder.engine.commands.new import TEMPLATES
    new = sub.add_parser("new", help="staff: make a new homework that works at once (suite, solution, "
                         "handout); prints the folders it made")
    new.add_argument("name", help="the homework's name, a Python identifier (its folder: autograder/NAME)")
    new.add_argument("--dir", default=None, help="the project root to make it in (default: the one holding "
                     "this autograder package)")
    new.add_argument("--template", choices=sorted(TEMPLATES), default="linear",
                     help="linear: predict and its gradients, one function each (the default); layer: a "
                     "layer whose forward returns (out, cache) and whose backward takes the cache back")
    new.set_defaults(run=cmd_new)

    args = parser.parse_args(argv)
    return args.run(args)
