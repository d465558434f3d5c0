"""A workshop machine's capacity, measured with a real class (`python -m dockerlab classroom`).

Run as root, with an engine that has the course's bases (`make bench` runs it in the kit's
private engine). It sets up real learners with every base image loaded, as `classroom
setup` does by default, and measures:

1. the setup time of one learner, then of two one at a time (``--workers 1``) and of two at
   once (``--workers 2``): each run a class of its own, torn down after;
2. each learner's cgroup at rest (engine idle): memory and processes;
3. the same while one learner runs notebook 01 (in her budget, on her engine): the peak.

Then it derives how many learners this machine holds at the default budget (see
``capacity``). The disks are smaller than the default (``--disk 4g --home 1g``, allocated up
front), which the memory, process and time figures do not depend on. The learner runs
the notebook with the class's Python environment (so the two-at-once setup, the one
measured, also makes it and includes its time).

    python bench/classroom.py [--out bench/results/classroom.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from dockerlab.classroom import learners as classroom

ROOT = Path(__file__).resolve().parent.parent

NOTEBOOK = "notebooks/01-smaller-is-better.ipynb"
DISKS = ["--disk", "4g", "--home", "1g"]


def _cli(folder: Path, *args: str) -> float:
    """``python -m dockerlab classroom ARGS`` for the class in ``folder``; its seconds."""
    env = {**os.environ, "DOCKERLAB_CLASSROOM": str(folder), "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "dockerlab", "classroom", *args], env=env, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - t0


def _usage(name: str) -> tuple[int, int]:
    """The learner's memory (bytes) and processes now, from her cgroups."""
    memory = pids = 0
    for group in classroom.cgroups(name):
        for knob in ("memory.usage_in_bytes", "memory.current"):
            if (group / knob).exists():
                memory = int((group / knob).read_text())
        if (group / "pids.current").exists():
            pids = int((group / "pids.current").read_text())
    return memory, pids


def _notebook_peak(learner: classroom.Learner) -> dict:
    """Run notebook 01 as the learner, in her budget, on her engine; her cgroups' peak."""
    out = Path(learner.home) / "bench-out"
    cmd = classroom._as(learner, f"DOCKER_HOST={learner.docker_host}",
                        str(classroom.HOME / "bin" / "in-budget"),
                        str(classroom.HOME / "venv" / "bin" / "python"), "-m",
                        "jupyter", "nbconvert", "--to", "notebook", "--execute",
                        f"--output-dir={out}", "--ExecutePreprocessor.timeout=600",
                        str(Path(learner.home) / "dockerlab" / NOTEBOOK))  # fmt: skip
    peak, done = {"memory": 0, "pids": 0}, threading.Event()

    def sample() -> None:
        while not done.is_set():
            memory, pids = _usage(learner.name)
            peak["memory"], peak["pids"] = max(peak["memory"], memory), max(peak["pids"], pids)
            time.sleep(0.25)

    sampler = threading.Thread(target=sample)
    sampler.start()
    t0 = time.perf_counter()
    try:
        subprocess.run(cmd, check=True, capture_output=True, timeout=900)
    finally:
        done.set()
        sampler.join()
    return {**peak, "seconds": time.perf_counter() - t0}


def capacity(rest_mb: float, peak_mb: float, free_gb: float, memory_gb: float) -> dict:
    """Learners this machine holds at the default budget (derived, not measured):

    - ``guaranteed``: each learner's whole memory budget reserved (no overcommit);
    - ``all_running``: every learner at the measured notebook peak at once;
    - ``at_rest``: every engine idle;
    - ``disk``: the default disks (8 GiB engine + 2 GiB home, allocated up front) in the
      class disk's free space, less what setup keeps free.
    A quarter of the machine's memory is kept for the hub, its proxy and the kernel's caches.
    """
    budget = classroom.Budget()
    usable_mb = memory_gb * 1024 * 0.75
    per_disk = (classroom._bytes(budget.disk) + classroom._bytes(budget.home)) / 2**30
    return {
        "guaranteed": int(usable_mb // (classroom._bytes(budget.memory) / 2**20)),
        "all_running": int(usable_mb // peak_mb),
        "at_rest": int(usable_mb // rest_mb),
        "disk": int((free_gb - classroom._bytes(classroom.SPARE) / 2**30) // per_disk),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="bench/results/classroom.json")
    args = ap.parse_args()
    os.makedirs("/srv", exist_ok=True)
    result: dict = {}
    for label, names, workers in (("one", ["bench-a"], 1), ("two_one_at_a_time", ["bench-a", "bench-b"], 1),
                                  ("two_at_once", ["bench-a", "bench-b"], 2)):  # fmt: skip
        folder = Path(tempfile.mkdtemp(prefix="dockerlab-class-bench-", dir="/srv"))
        folder.chmod(0o755)
        classroom.HOME = folder
        try:
            hub = [] if label == "two_at_once" else ["--no-hub"]  # its Python runs notebook 01
            result[f"setup_{label}_s"] = _cli(folder, "setup", *names, *hub, *DISKS,
                                              "--workers", str(workers))  # fmt: skip
            if label == "two_at_once":
                state = classroom.Class.load()
                rest = [_usage(n) for n in names]
                result["rest_memory_mb"] = max(m for m, _ in rest) / 2**20
                result["rest_pids"] = max(p for _, p in rest)
                peak = _notebook_peak(state.learner(names[0]))
                result["notebook_peak_memory_mb"] = peak["memory"] / 2**20
                result["notebook_peak_pids"] = peak["pids"]
                result["notebook_s"] = peak["seconds"]
        finally:
            _cli(folder, "teardown")
            shutil.rmtree(folder, ignore_errors=True)
    result["per_learner_setup_s"] = result["setup_two_one_at_a_time_s"] - result["setup_one_s"]
    result["free_gb"] = shutil.disk_usage("/srv").free / 2**30
    result["memory_gb"] = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    result["cpus"] = os.cpu_count()
    result["capacity"] = capacity(result["rest_memory_mb"], result["notebook_peak_memory_mb"],
                                  result["free_gb"], result["memory_gb"])  # fmt: skip
    print(json.dumps(result, indent=2))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
