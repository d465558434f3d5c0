"""A workshop machine's capacity, measured with a real class (`python -m dockerlab classroom`).

Run as root, with an engine that has the course's bases (`make bench` runs it in the kit's
private engine). It sets up real learners with every base image loaded, as `classroom
setup` does by default, and measures:

1. setup time (the command, end to end) for classes of 1, 2 and 4 learners, each with one
   engine started at a time (``--workers 1``) and as many at once as the machine has cores
   (``--workers``' default): each class a class of its own, torn down after; when each
   learner was ready, from the command's own output;
2. in the last class, each learner at rest (engines idle, sampled for a while): memory
   from her memory cgroup (usage, its working set: usage less the inactive file cache the
   kernel takes back first, anonymous memory, file cache), processes and tasks, CPU time
   (a ``cpuacct`` cgroup of hers the bench adds), and her disks' used space;
3. the same while she runs notebook 01 with the class's Python environment, in her budget
   (``in-budget``), on her own rootless engine: the peaks, and the CPU seconds it took;
   then every learner of the class running it at the same moment.

Then it derives how many learners this machine holds at the default budget (``capacity``),
which resource binds, and what a class of 30 and of 100 needs (``sizing``). The disks here
are smaller than the default (``--disk 4g --home 1g``, allocated up front): the memory and
process figures do not depend on it, the setup times a little (a bigger file system takes a
few seconds more to make); the disk figures derived are the default budget's, which setup
allocates in full.

Everything it makes (users, disks, loop devices, mounts, cgroups, the class folder under
/srv) is removed at the end, also when it fails or is interrupted, and checked gone.

Each setup runs ``--repeat`` times (default 2); the derived figures take the fastest of each,
the one the machine's other load disturbed least.

    python bench/classroom.py [--out bench/results/classroom.json] [--sizes 1,2,4] [--repeat 2]
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import os
import pwd
import shutil
import signal
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
PREFIX = "capbench-"
#: How long each learner is sampled at rest, seconds.
REST_S = 20
#: What the hub, its proxy, the kernel and its caches keep of the machine's memory (assumed).
RESERVED = 0.25
#: The course's goal for a notebook's warm run (CONTRIBUTING.md), used to size the cores.
NOTEBOOK_GOAL_S = 60
CPUACCT = Path("/sys/fs/cgroup/cpuacct") / classroom.CGROUP


def _names(n: int) -> list[str]:
    return [f"{PREFIX}{chr(ord('a') + i)}" for i in range(n)]


def _cli(folder: Path, *args: str) -> tuple[float, list[tuple[float, str]]]:
    """``python -m dockerlab classroom ARGS`` for the class in ``folder``: its seconds and
    each line it printed, with when (seconds from the start)."""
    env = {**os.environ, "DOCKERLAB_CLASSROOM": str(folder), "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "dockerlab", "classroom", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        lines = [(time.perf_counter() - t0, line.rstrip()) for line in proc.stdout]
    except BaseException:  # stopped: the command stops too, before the class is torn down
        proc.kill()
        proc.wait()
        raise
    if proc.wait():
        tail = "\n".join(line for _, line in lines[-15:])
        raise RuntimeError(f"classroom {' '.join(args)} failed ({proc.returncode}):\n{tail}")
    return time.perf_counter() - t0, lines


def _setup(folder: Path, names: list[str], workers: int) -> dict:
    """Set up ``names`` with ``workers`` engines at once; the times."""
    seconds, lines = _cli(folder, "setup", *names, "--no-hub", *DISKS, "--workers", str(workers))
    ready = sorted(t for t, line in lines if line.endswith(": ready"))
    loading = min(t for t, line in lines if "loading the course's images" in line)
    return {"learners": len(names), "workers": workers, "seconds": seconds,
            "first_engine_s": loading, "ready_at_s": ready}  # fmt: skip


def _setup_figures(setups: list[dict]) -> dict:
    """From every setup: the fastest of each (learners, workers), least disturbed by the
    machine's other load; one engine at a time, the seconds each learner adds (least
    squares over the class sizes) and the rest (``fixed_setup_s``: saving the images...);
    the mean gap between two learners getting ready, one engine at a time."""
    best: dict[tuple[int, int], dict] = {}
    for r in setups:
        key = (r["learners"], r["workers"])
        if key not in best or r["seconds"] < best[key]["seconds"]:
            best[key] = r
    serial = [(n, r["seconds"]) for (n, w), r in best.items() if w == 1]
    if len({n for n, _ in serial}) < 2:  # one size: no slope
        n, seconds = serial[0]
        slope, fixed = seconds / n, 0.0
    else:
        mx = sum(n for n, _ in serial) / len(serial)
        my = sum(s for _, s in serial) / len(serial)
        slope = sum((n - mx) * (s - my) for n, s in serial) / sum((n - mx) ** 2 for n, _ in serial)
        fixed = max(0.0, my - slope * mx)
    gaps = [b - a for (n, w), r in best.items() if w == 1
            for a, b in itertools.pairwise(r["ready_at_s"])]  # fmt: skip
    return {
        "best": [best[k] for k in sorted(best)],
        "per_learner_setup_s": slope,
        "fixed_setup_s": fixed,
        "engine_and_images_s": sum(gaps) / len(gaps) if gaps else None,
    }


# ---------------------------------------------------------------- measuring a learner


def _memory_group(name: str) -> Path:
    groups = classroom.cgroups(name)  # v1: one per controller; v2: one
    return next((g for g in groups if "memory" in g.parts), groups[0])


def _cpu_group(name: str) -> Path:
    return CPUACCT / name


def _account_cpu(learner: classroom.Learner) -> None:
    """A cpuacct cgroup of hers (cgroup v1) holding her engine; ``in-budget`` moves what she
    starts into it too (it joins every ``*/dockerlab-class/NAME`` she may write)."""
    group = _cpu_group(learner.name)
    if not CPUACCT.parent.is_dir():  # cgroup v2: her one group counts CPU (cpu.stat)
        return
    group.mkdir(parents=True, exist_ok=True)
    for pid in (_memory_group(learner.name) / "cgroup.procs").read_text().split():
        with contextlib.suppress(OSError):
            (group / "cgroup.procs").write_text(pid)
    os.chown(group / "cgroup.procs", learner.uid, learner.gid)


def _now(name: str) -> dict:
    """Her memory (bytes), processes, tasks and CPU time (s) now."""
    group = _memory_group(name)
    stat = {k: int(v) for k, v in
            (line.split() for line in (group / "memory.stat").read_text().splitlines())}  # fmt: skip
    pids = next(g for g in classroom.cgroups(name) if (g / "pids.current").exists())
    out = {"processes": len((group / "cgroup.procs").read_text().split()),
           "tasks": int((pids / "pids.current").read_text())}  # fmt: skip
    if (group / "memory.current").exists():  # cgroup v2
        usage = int((group / "memory.current").read_text())
        cpu = {
            k: int(v) for k, v in (x.split() for x in (group / "cpu.stat").read_text().splitlines())
        }
        return {**out, "usage": usage, "working_set": usage - stat["inactive_file"],
                "anonymous": stat["anon"], "file_cache": stat["file"],
                "cpu_s": cpu["usage_usec"] / 1e6}  # fmt: skip
    usage = int((group / "memory.usage_in_bytes").read_text())
    cpu = _cpu_group(name) / "cpuacct.usage"
    return {
        **out,
        "usage": usage,
        "working_set": usage - stat["total_inactive_file"],
        "anonymous": stat["total_rss"] + stat["total_rss_huge"],
        "file_cache": stat["total_cache"],
        "cpu_s": int(cpu.read_text()) / 1e9,
    }


def _sample(names: list[str], until: threading.Event, every: float = 0.25) -> list[dict]:
    """Each learner's figures, every ``every`` seconds until ``until`` is set."""
    out: list[dict] = []
    while not until.is_set():
        out.append({n: _now(n) for n in names})
        until.wait(every)
    out.append({n: _now(n) for n in names})
    return out


def _summary(samples: list[dict], name: str) -> dict:
    """Mean and peak of each figure of one learner, in MiB for memory; CPU used meanwhile."""
    rows = [s[name] for s in samples]
    out = {}
    for key in ("usage", "working_set", "anonymous", "file_cache"):
        values = [r[key] / 2**20 for r in rows]
        out[f"{key}_mib"] = {"mean": sum(values) / len(values), "peak": max(values)}
    for key in ("processes", "tasks"):
        out[key] = {
            "mean": sum(r[key] for r in rows) / len(rows),
            "peak": max(r[key] for r in rows),
        }
    out["cpu_s"] = rows[-1]["cpu_s"] - rows[0]["cpu_s"]
    return out


def _at_rest(names: list[str]) -> dict:
    done = threading.Event()
    timer = threading.Timer(REST_S, done.set)
    timer.start()
    samples = _sample(names, done, every=1.0)
    return {n: {**_summary(samples, n), "seconds": REST_S} for n in names}


def _disk_used(learner: classroom.Learner) -> dict:
    """What her two disks hold now, MiB (her engine's: every course image loaded)."""
    used = {}
    for label, folder in (("engine_disk_used_mib", learner.data_root),
                          ("home_used_mib", Path(learner.home))):  # fmt: skip
        st = os.statvfs(folder)
        used[label] = (st.f_blocks - st.f_bfree) * st.f_frsize / 2**20
    return used


def _notebook(learner: classroom.Learner, others: list[str]) -> dict:
    """Run notebook 01 as the learner, in her budget, on her engine: her peaks meanwhile."""
    out = Path(learner.home) / "bench-out"
    cmd = classroom._as(learner, f"DOCKER_HOST={learner.docker_host}",
                        str(classroom.HOME / "bin" / "in-budget"),
                        str(classroom.HOME / "venv" / "bin" / "python"), "-m",
                        "jupyter", "nbconvert", "--to", "notebook", "--execute",
                        f"--output-dir={out}", "--ExecutePreprocessor.timeout=600",
                        str(Path(learner.home) / "dockerlab" / NOTEBOOK))  # fmt: skip
    done = threading.Event()
    samples: list[dict] = []
    sampler = threading.Thread(target=lambda: samples.extend(_sample([learner.name], done)))
    sampler.start()
    t0 = time.perf_counter()
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    finally:
        done.set()
        sampler.join()
    if run.returncode:
        raise RuntimeError(f"notebook 01 failed as {learner.name}:\n{run.stderr[-3000:]}")
    return {**_summary(samples, learner.name), "seconds": time.perf_counter() - t0,
            "learners_idle_meanwhile": len(others)}  # fmt: skip


def _at_once(learners: list[classroom.Learner]) -> dict:
    """Notebook 01 run by every learner at the same moment: each one's figures."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(learners)) as pool:
        runs = list(pool.map(lambda x: _notebook(x, []), learners))
    return {x.name: run for x, run in zip(learners, runs, strict=True)}


# ---------------------------------------------------------------- what the machine holds


def _peak_mib(c: dict) -> float:
    """The highest working set a learner reached running the notebook, alone or all at once."""
    runs = [c["notebook"], *c.get("notebook_all_at_once", {}).values()]
    return max(r["working_set_mib"]["peak"] for r in runs)


def capacity(c: dict) -> dict:
    """Learners this machine holds at the default budget, derived from the measurements.

    Memory keeps ``RESERVED`` of the machine for the hub, its proxy and the kernel:

    - ``memory_guaranteed``: each learner's whole memory budget reserved (no overcommit);
    - ``memory_all_running``: every learner at the highest notebook peak measured (working
      set, alone or all at once) at the same time, the budgets overcommitted;
    - ``memory_at_rest``: every engine idle (working set);
    - ``disk``: the default disks (engine + home, allocated up front) in the class disk's
      free space now, less what setup keeps free;
    - ``cpu_all_at_once``: learners who can start notebook 01 at the same moment and all
      finish within the course's 60 s goal, from its measured CPU seconds.

    ``binds``: the smallest of the guaranteed memory, the disk and the CPU figures.
    """
    budget = classroom.Budget()
    usable_mib = c["memory_gib"] * 1024 * (1 - RESERVED)
    per_disk_gib = (classroom._bytes(budget.disk) + classroom._bytes(budget.home)) / 2**30
    peak = _peak_mib(c)
    rest = max(x["working_set_mib"]["mean"] for x in c["at_rest"].values())
    fit = {
        "memory_guaranteed": int(usable_mib // (classroom._bytes(budget.memory) / 2**20)),
        "memory_all_running": int(usable_mib // peak),
        "memory_at_rest": int(usable_mib // rest),
        "disk": int((c["free_gib"] - classroom._bytes(classroom.SPARE) / 2**30) // per_disk_gib),
        "cpu_all_at_once": int(c["cpus"] * NOTEBOOK_GOAL_S // c["notebook"]["cpu_s"]),
    }
    binding = min(("memory_guaranteed", "disk", "cpu_all_at_once"), key=fit.get)
    return {**fit, "binds": binding, "learners": fit[binding]}


def sizing(c: dict, learners: int) -> dict:
    """What a class of ``learners`` needs at the default budget, derived (extrapolated
    linearly from the measurements here; nothing was measured at that size)."""
    budget = classroom.Budget()
    gib = 2**30
    per_disk = (classroom._bytes(budget.disk) + classroom._bytes(budget.home)) / gib
    peak_gib = _peak_mib(c) / 1024
    per_learner, fixed = c["per_learner_setup_s"], c["fixed_setup_s"]
    return {
        "learners": learners,
        "memory_guaranteed_gib": math.ceil(
            learners * classroom._bytes(budget.memory) / gib / (1 - RESERVED)
        ),
        "memory_all_running_gib": math.ceil(learners * peak_gib / (1 - RESERVED)),
        "disk_gib": math.ceil(
            learners * per_disk
            + classroom._bytes(classroom.SPARE) / gib
            + c["class_folder_mib"] / 1024
        ),
        "cores_all_at_once": math.ceil(learners * c["notebook"]["cpu_s"] / NOTEBOOK_GOAL_S),
        "setup_min_one_at_a_time": (fixed + per_learner * learners) / 60,
    }


# ---------------------------------------------------------------- cleaning up, always


def _leftovers(folder: Path, names: list[str]) -> list[str]:
    """Remove what a teardown missed (processes, mounts, loop devices, users, cgroups, the
    folder); what was found."""
    found = []
    uids = {}
    for name in names:
        with contextlib.suppress(KeyError):
            uids[name] = pwd.getpwnam(name).pw_uid
            found.append(f"user {name}")
            subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
        classroom._end_budget(name)  # her cgroups' processes, subordinate uids' too
    runtimes = [f"/run/user/{uid}" for uid in uids.values()]
    mounts = [line.split()[1] for line in Path("/proc/self/mounts").read_text().splitlines()]
    ours = [m for m in mounts if m.startswith(str(folder)) or m in runtimes
            or any(f"/{n}" in m for n in names)]  # fmt: skip
    for point in sorted(ours, key=len, reverse=True):
        found.append(f"mount {point}")
        subprocess.run(["umount", "-l", point], capture_output=True)
    loops = subprocess.run(["losetup", "-a"], capture_output=True, text=True).stdout
    for line in loops.splitlines():
        if str(folder) in line:
            found.append(f"loop {line.split(':')[0]}")
            subprocess.run(["losetup", "-d", line.split(":")[0]], capture_output=True)
    for name in uids:
        subprocess.run(["userdel", "--remove", name], capture_output=True)
    for runtime in runtimes:
        shutil.rmtree(runtime, ignore_errors=True)
    for name in names:
        for group in [*classroom.cgroups(name), _cpu_group(name)]:
            if group.is_dir():
                found.append(f"cgroup {group}")
                with contextlib.suppress(OSError):
                    group.rmdir()
    for group in [*classroom.cgroups(""), CPUACCT]:
        with contextlib.suppress(OSError):
            group.rmdir()  # only if no other class uses it
    if folder.exists():
        found.append(f"folder {folder}")
        shutil.rmtree(folder, ignore_errors=True)
    return found


@contextlib.contextmanager
def _class(names: list[str], workers: int):
    """A class folder under /srv, set up (yields it and the setup's times); then torn down
    and checked for leftovers, however the block ends."""
    folder = Path(tempfile.mkdtemp(prefix="dockerlab-class-bench-", dir="/srv"))
    folder.chmod(0o755)
    classroom.HOME = folder
    try:
        print(f"setting up {len(names)} learner(s), --workers {workers} ...", flush=True)
        yield folder, _setup(folder, names, workers)
    finally:
        try:
            if (folder / "class.json").exists():
                _cli(folder, "teardown")
        finally:
            left = _leftovers(folder, names)
            if left:
                print(f"teardown left {', '.join(left)}: removed", file=sys.stderr)


def _stop(signum: int, _frame: object) -> None:
    """A stop (make's Ctrl-C, a kill): the class is torn down, and further stops, as a
    wrapper's own, cannot cut the teardown short."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    sys.exit(128 + signum)


def cpu_note(load_before: float, cpus: int) -> str:
    """What the times measured mean, by the machine's load (1-minute average) before the bench."""
    if load_before >= 0.5:
        return (
            f"Taken on a machine other work was loading (load average {load_before:.1f} before "
            "the bench): setup and notebook seconds are inflated; memory and processes are "
            "not, CPU seconds hardly"
        )
    return (
        f"Taken on an otherwise idle machine (load average {load_before:.2f} before the bench, "
        f"{cpus} cores): the load at the end is the bench's own learners"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="bench/results/classroom.json")
    ap.add_argument("--sizes", default="1,2,4", help="class sizes set up, comma-separated")
    ap.add_argument("--repeat", type=int, default=2, help="setups of each size and workers")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    # A stop (make's Ctrl-C, a kill) still tears the class down.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _stop)
    os.makedirs("/srv", exist_ok=True)
    # The machine's load before the bench loads it: other work inflates every time measured.
    before = os.getloadavg()
    result: dict = {"setups": [], "disks_used": {}, "load_average_before": before,
                    "cpu_note": cpu_note(before[0], os.cpu_count() or 1)}  # fmt: skip
    cpus = os.cpu_count() or 1
    runs = [(n, w) for _ in range(args.repeat) for n in sizes for w in sorted({1, min(n, cpus)})]
    for i, (n, workers) in enumerate(runs):
        last = i == len(runs) - 1
        with _class(_names(n), workers) as (folder, timing):
            result["setups"].append(timing)
            print(json.dumps(timing), flush=True)
            if not last:
                continue
            state = classroom.Class.load()
            learners = [state.learner(x) for x in _names(n)]
            for learner in learners:
                _account_cpu(learner)
                result["disks_used"][learner.name] = _disk_used(learner)
            t0 = time.perf_counter()
            venv = classroom._environment(ROOT)  # what setup does without --no-hub
            result["class_environment_s"] = time.perf_counter() - t0
            result["class_folder_mib"] = sum(
                p.stat().st_blocks * 512 for p in folder.rglob("*")
                if p.is_file() and "disks" not in p.parts and not p.is_symlink()) / 2**20  # fmt: skip
            result["class_venv"] = str(venv)
            print("at rest ...", flush=True)
            result["at_rest"] = _at_rest([x.name for x in learners])
            print("notebook 01 as the first learner ...", flush=True)
            result["notebook"] = _notebook(learners[0], [x.name for x in learners[1:]])
            result["notebook"]["name"] = NOTEBOOK
            if len(learners) > 1:
                print(f"notebook 01 as all {len(learners)} learners at once ...", flush=True)
                result["notebook_all_at_once"] = _at_once(learners)
    result.update(_setup_figures(result["setups"]))
    result["free_gib"] = shutil.disk_usage("/srv").free / 2**30
    result["memory_gib"] = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    result["cpus"] = os.cpu_count()
    result["load_average"] = os.getloadavg()
    result["capacity"] = capacity(result)
    result["sizing"] = [sizing(result, n) for n in (30, 100)]
    print(json.dumps(result, indent=2))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
