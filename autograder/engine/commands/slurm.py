"""`batch slurm-script`: a class graded as a Slurm job array, filled in for one export.

Slurm does the scheduling; nothing of ours runs between the tasks. The script, run with bash on the
cluster's login node, submits two jobs: an array of N tasks, task K running `batch EXPORT --shard K/N`
into OUT/shard-K with --jobs from the CPUs Slurm gives it (a pre-empted task is requeued and, like any
rerun, skips what its shard already graded), and a merge that starts only when every task ended well
(--dependency=afterok) and writes the class report to OUT/class. Rerunning the script after a failed
task grades only what is missing, then merges again.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

TEMPLATE = """\
#!/usr/bin/env bash
# Grade {export_shown} on Slurm: {shards} array tasks of {cpus} CPUs, then the class report.
# Made by: python -m autograder --homework {homework} batch slurm-script ...
# Run it on the login node:   bash THIS_FILE
# Watch:                      squeue -u "$USER"     (logs: {out_shown}/logs/)
# The report, when it ends:   {out_shown}/class/summary.md and grades.csv
set -euo pipefail
mkdir -p {out}/logs
array=$(sbatch --parsable --job-name=grade-{homework} --array=1-{shards} --cpus-per-task={cpus} --requeue \\
    {extra}--output={out}/logs/shard-%a.log <<'TASK'
#!/usr/bin/env bash
set -euo pipefail
cd {project}
exec {python} -m autograder --homework {homework} batch {export} --out {out}/shard-"$SLURM_ARRAY_TASK_ID" \\
    --shard "$SLURM_ARRAY_TASK_ID"/{shards} --jobs "${{SLURM_CPUS_PER_TASK:-1}}"
TASK
)
array=${{array%%;*}}
merge=$(sbatch --parsable --job-name=merge-{homework} --dependency=afterok:"$array" --kill-on-invalid-dep=yes \\
    {extra}--output={out}/logs/merge.log <<'MERGE'
#!/usr/bin/env bash
set -euo pipefail
cd {project}
exec {python} -m autograder --homework {homework} batch merge {shard_folders} --out {out}/class
MERGE
)
merge=${{merge%%;*}}
echo "submitted: grading array $array ({shards} tasks), then merge $merge; report: {out_shown}/class/summary.md"
"""


def job_script(homework, export: Path, out: Path, shards: int, cpus: int, *, python: str | None = None,
               project: Path | None = None, partition: str | None = None) -> str:
    """The script for `export` graded into `out` by `shards` tasks of `cpus` CPUs each (absolute paths:
    the tasks run wherever Slurm puts them)."""
    from autograder.engine import paths
    if shards < 1 or cpus < 1:
        raise ValueError("--shards and --cpus must be at least 1")
    export, out = Path(export).resolve(), Path(out).resolve()
    if not export.exists():
        raise ValueError(f"{export}: no such export (a Gradescope export zip or folder)")
    quote = shlex.quote
    return TEMPLATE.format(
        export=quote(str(export)), export_shown=export, out=quote(str(out)), out_shown=out, shards=shards,
        cpus=cpus, homework=homework.suite.name, project=quote(str(project or paths.PROJECT)),
        python=quote(python or sys.executable),
        shard_folders=" ".join(f"{quote(str(out))}/shard-{k}" for k in range(1, shards + 1)),
        extra=f"--partition={quote(partition)} " if partition else "")
