"""The shard flow on a real Slurm: `batch slurm-script` for a made-up class of 40, submitted to a
single-node cluster started here, grades every submission exactly once, with one-machine batch's
totals; a rerun grades nothing again and merges again."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import pytest

from autograder.engine.commands.sample_class import make_export

from .helpers import HW2_CLI, PROJECT
from .slurm_cluster import SlurmCluster, why_not

REASON = why_not()
if REASON:
    print(f"\ntests/test_slurm.py skipped: {REASON}")
needs_slurm = pytest.mark.skipif(REASON is not None, reason=REASON or "")

SIZE, SHARDS = 40, 2


def scores(folder: Path) -> dict:
    return {p.stem: json.loads(p.read_text())["score"] for p in (folder / "results").glob("*.json")}


@needs_slurm
def test_a_class_graded_as_a_slurm_array_equals_one_machine_batch(homework, tmp_path):
    export = make_export(tmp_path / "class", homework, count=SIZE)
    one = subprocess.run([*HW2_CLI, "batch", str(export), "--out", str(tmp_path / "one"), "--jobs", "2"],
                         cwd=PROJECT, capture_output=True, text=True, timeout=900)
    assert one.returncode == 0, one.stderr[-3000:]
    out = tmp_path / "slurm"
    made = subprocess.run([*HW2_CLI, "batch", "slurm-script", str(export), "--out", str(out), "--shards",
                           str(SHARDS), "--cpus", "1"], cwd=PROJECT, capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    script = tmp_path / "grade-class.sh"
    script.write_text(made.stdout)
    with SlurmCluster() as cluster:
        submitted = subprocess.run(["bash", str(script)], env=cluster.env, capture_output=True, text=True,
                                   timeout=120)
        assert submitted.returncode == 0, submitted.stdout + submitted.stderr + cluster.logs()
        assert "submitted: grading array" in submitted.stdout
        cluster.wait_until_idle()
        logs = {p.name: p.read_text() for p in (out / "logs").glob("*.log")}
        # every submission graded exactly once, by one shard, with one machine's totals
        shards = [scores(out / f"shard-{k}") for k in range(1, SHARDS + 1)]
        assert all(shards), logs
        assert not set(shards[0]) & set(shards[1])
        whole = scores(tmp_path / "one")
        assert len(whole) == SIZE and {**shards[0], **shards[1]} == whole
        # the merge ran after the array and wrote the class report
        with open(out / "class" / "grades.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert len(rows) == SIZE, logs
        assert scores(out / "class") == whole
        assert (out / "class" / "summary.md").is_file()
        # a rerun (a failed or pre-empted task's remedy) grades nothing again and merges again
        (out / "class" / "grades.csv").unlink()
        again = subprocess.run(["bash", str(script)], env=cluster.env, capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stderr
        cluster.wait_until_idle()
        for k in range(1, SHARDS + 1):
            log = (out / "logs" / f"shard-{k}.log").read_text()
            assert f"graded 0, skipped {len(shards[k - 1])} already graded by this build" in log, log[-2000:]
        assert (out / "class" / "grades.csv").is_file()


def test_the_kubernetes_manifests_shard_as_they_say():
    """Not run on a cluster: the indexed Job's shard count is its completions, every pod has its own
    shard folder, and the merge reads them all."""
    import re
    import yaml
    folder = PROJECT / "examples" / "kubernetes"
    grade = yaml.safe_load((folder / "grade-class.yaml").read_text())
    merge = yaml.safe_load((folder / "merge-class.yaml").read_text())
    spec = grade["spec"]
    assert grade["kind"] == "Job" and spec["completionMode"] == "Indexed"
    command = " ".join(spec["template"]["spec"]["containers"][0]["args"])
    n = int(re.search(r"--shard \$\(\(JOB_COMPLETION_INDEX \+ 1\)\)/(\d+)", command).group(1))
    assert n == spec["completions"] == spec["parallelism"]
    assert "--out /class/out/shard-$((JOB_COMPLETION_INDEX + 1))" in command
    assert "batch merge /class/out/shard-* --out /class/out/class" in merge["spec"]["template"]["spec"]["containers"][0]["args"][0]


def test_the_job_script_is_filled_in_or_refused_with_a_reason(homework, tmp_path):
    """Anywhere (no Slurm needed): the script parses as bash, names the export and the shards with
    absolute paths, asks for the CPUs it gives --jobs; a missing export or a zero count is refused."""
    export = make_export(tmp_path / "class", homework, count=3)
    made = subprocess.run([*HW2_CLI, "batch", "slurm-script", str(export), "--out", "rel/out", "--shards", "3",
                           "--cpus", "4", "--partition", "gpu small"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    script = made.stdout
    assert subprocess.run(["bash", "-n"], input=script, text=True).returncode == 0
    out = tmp_path / "rel" / "out"
    assert "--array=1-3 --cpus-per-task=4 --requeue" in script and "--partition='gpu small'" in script
    assert "--dependency=afterok" in script and f"batch merge {out}/shard-1 {out}/shard-2 {out}/shard-3" in script
    assert f"batch {export}" in script and '--jobs "${SLURM_CPUS_PER_TASK:-1}"' in script
    for args, said in ((["nowhere.zip"], "no such export"), ([str(export), "--shards", "0"], "at least 1")):
        refused = subprocess.run([*HW2_CLI, "batch", "slurm-script", *args, "--out", "o"], cwd=tmp_path,
                                 capture_output=True, text=True, timeout=300)
        assert refused.returncode != 0 and said in refused.stderr, refused.stderr
