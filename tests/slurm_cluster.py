"""A single-node Slurm cluster in a temporary folder, for the tests that need a real one.

It installs nothing: it runs where munged, slurmctld and slurmd exist, as root (the daemons start as
root and run jobs as the submitting user). Its own munge key and socket, its own slurm.conf, state,
spool and logs, free ports; every daemon it started is stopped on exit.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DAEMONS = {"munged": "/usr/sbin/munged", "slurmctld": "/usr/sbin/slurmctld", "slurmd": "/usr/sbin/slurmd"}


def why_not() -> str | None:
    """Why no cluster can start here (None: it can)."""
    missing = [name for name, path in DAEMONS.items() if not (shutil.which(name) or os.path.exists(path))]
    missing += [tool for tool in ("sbatch", "squeue") if not shutil.which(tool)]
    if missing:
        return f"no Slurm here ({', '.join(missing)} missing; Debian: apt-get install slurm-wlm munge)"
    if os.geteuid() != 0:
        return "a single-node Slurm needs root to start its daemons"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _binary(name: str) -> str:
    return shutil.which(name) or DAEMONS[name]


class SlurmCluster:
    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="slurm-", dir="/tmp"))  # (a unix socket's path is short)
        self.conf = self.root / "slurm.conf"
        self.env = dict(os.environ, SLURM_CONF=str(self.conf))
        self.pids: list = []

    def __enter__(self) -> "SlurmCluster":
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _start(self) -> None:
        root, node = self.root, socket.gethostname().split(".")[0]
        munge = root / "munge"
        for folder in (munge, root / "state", root / "spool", root / "log"):
            folder.mkdir(mode=0o700)
        key = munge / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        self.socket = munge / "munge.sock"
        subprocess.run([_binary("munged"), f"--key-file={key}", f"--socket={self.socket}", "--force",
                        f"--pid-file={munge / 'munged.pid'}", f"--log-file={munge / 'munged.log'}",
                        f"--seed-file={munge / 'seed'}"], check=True, timeout=30)
        self._remember(munge / "munged.pid")
        self.conf.write_text("\n".join([
            "ClusterName=autograder-test", f"SlurmctldHost={node}(127.0.0.1)",
            f"SlurmctldPort={_free_port()}", f"SlurmdPort={_free_port()}",
            "AuthType=auth/munge", f"AuthInfo=socket={self.socket}", "CredType=cred/munge",
            "SlurmUser=root", "SlurmdUser=root", f"StateSaveLocation={root / 'state'}",
            f"SlurmdSpoolDir={root / 'spool'}", f"SlurmctldPidFile={root / 'slurmctld.pid'}",
            f"SlurmdPidFile={root / 'slurmd.pid'}", f"SlurmctldLogFile={root / 'log' / 'slurmctld.log'}",
            f"SlurmdLogFile={root / 'log' / 'slurmd.log'}", "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none", "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none", "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_CPU", "MpiDefault=none", "ReturnToService=2", "SwitchType=switch/none",
            f"NodeName={node} NodeAddr=127.0.0.1 CPUs={os.cpu_count() or 1} State=UNKNOWN",
            "PartitionName=grading Nodes=ALL Default=YES MaxTime=INFINITE State=UP", ""]))
        subprocess.run([_binary("slurmctld"), "-f", str(self.conf)], check=True, env=self.env, timeout=30)
        self._remember(root / "slurmctld.pid")
        subprocess.run([_binary("slurmd"), "-f", str(self.conf), "-N", node], check=True, env=self.env, timeout=30)
        self._remember(root / "slurmd.pid")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = subprocess.run(["sinfo", "-h", "-o", "%t"], env=self.env, capture_output=True, text=True)
            if done.returncode == 0 and done.stdout.strip() in ("idle", "mix", "alloc"):
                return
            time.sleep(0.5)
        raise RuntimeError(f"the node never came up: {self.logs()}")

    def _remember(self, pidfile: Path) -> None:
        for _ in range(100):
            if pidfile.exists() and pidfile.read_text().strip():
                self.pids.append(int(pidfile.read_text().split()[0]))
                return
            time.sleep(0.05)

    def wait_until_idle(self, timeout: float = 600) -> None:
        """Until no job of this cluster is queued or running."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = subprocess.run(["squeue", "-h", "-o", "%i %T %r"], env=self.env, capture_output=True, text=True)
            if done.returncode == 0 and not done.stdout.strip():
                return
            if "DependencyNeverSatisfied" in done.stdout:
                raise RuntimeError(f"a job's dependency failed:\n{done.stdout}")
            time.sleep(0.5)
        raise TimeoutError(f"jobs still queued after {timeout} s:\n{done.stdout}")

    def logs(self) -> str:
        return "\n".join(f"== {p.name}\n{p.read_text()[-2000:]}" for p in (self.root / "log").glob("*.log"))

    def stop(self) -> None:
        for pid in reversed(self.pids):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
            else:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.pids.clear()
        shutil.rmtree(self.root, ignore_errors=True)
