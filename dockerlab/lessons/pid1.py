"""PID 1 in a container: zombies, process slots and signals, measured per init.

A container's first process is PID 1 of its own PID namespace, and PID 1 has two
jobs most programs never do: it must **reap** the orphans the kernel hands to
it (or they stay zombies, each holding a process slot), and it must **handle
SIGTERM** itself (the kernel gives PID 1 no default action: a SIGTERM it does not
handle does nothing, so ``docker stop`` waits out its grace period and SIGKILLs).

This module runs the same workloads under several PID 1 *variants* (see
:data:`VARIANTS`): no init at all, ``docker run --init`` (tini, shipped with the
engine as ``docker-init``), the real dumb-init as ENTRYPOINT (built statically
from its PyPI source distribution, so it runs on Alpine and FROM scratch), and a
shell PID 1 that reaps and forwards. It counts zombies by reading
``/proc/*/stat`` inside the container, measures ``docker stop`` latency and exit
codes, and checks which processes a SIGTERM reaches.

Example:
    >>> from dockerlab import pid1
    >>> img = pid1.build_image()                              # doctest: +SKIP
    >>> pid1.zombies_left(img)                                # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

import matplotlib.pyplot as plt
import pandas as pd

from dockerlab import assets
from dockerlab.core.building import BuiltImage, build
from dockerlab.core.containers import DemoContainer, start
from dockerlab.core.downloads import dumb_init_sdist
from dockerlab.core.images import ref
from dockerlab.core.plotting import ACCENT, BAD, CAUTION, INK, MUTED, SERIES
from dockerlab.errors import ContainerFailed, DockerlabError
from dockerlab.inspect.processes import Proc, count_zombies, parse_stat

#: The engine notes' measurement (section 4): five orphans, then a PID 1 that never waits.
FIVE_ORPHANS = "for i in 1 2 3 4 5; do (sleep 0.2 &); done; exec sleep 30"

#: The tag of the lesson's image.
IMAGE_TAG = "dockerlab/pid1:alpine"


# ---------------------------------------------------------------------------
# Reading a container's processes


def processes(box: DemoContainer) -> list[Proc]:
    """The container's processes, read from ``/proc`` inside it (``docker exec /procstat``).

    Raises:
        DockerlabError: The reader could not run (for instance, no process slot left).
    """
    result = box.exec(["/procstat"])
    if result.exit_code != 0:
        raise ContainerFailed(
            f"Could not read the container's processes: {result.output.strip()[:300]}"
        )
    return parse_stat(result.output)


def docker_top(box: DemoContainer) -> pd.DataFrame:
    """What ``docker top`` lists for the container (host ``ps`` on its processes)."""
    top = box.top(("pid", "stat", "comm"))
    return pd.DataFrame(top, columns=["pid", "stat", "comm"]).rename(
        columns={"pid": "PID", "stat": "STAT", "comm": "COMMAND"}
    )


# ---------------------------------------------------------------------------
# The image and the PID 1 variants


def build_image(tag: str = IMAGE_TAG, progress: bool = False) -> BuiltImage:
    """Build the lesson's Alpine image (see ``assets/pid1.Dockerfile``).

    It holds a static dumb-init (built from its PyPI source, checked by sha256),
    ``/procstat`` (the /proc reader), ``/orphans`` (a workload that keeps
    orphaning children) and the shell scripts ``reaper.sh``, ``worker.sh`` and
    ``wrapper.sh``. It has no ENTRYPOINT: each variant chooses its PID 1.
    """
    files = {"dumb-init.tar.gz": dumb_init_sdist().read_bytes()}
    for name in ("procstat.c", "orphans.c"):
        files[name] = assets.text(name)
    for name in ("reaper.sh", "worker.sh", "wrapper.sh"):
        files[name] = (assets.text(name), 0o755)
    return build(
        assets.text("pid1.Dockerfile"),
        files,
        tag=tag,
        progress=progress,
        buildargs={"BUILDER": ref("builder"), "ALPINE": ref("alpine")},
    )


@dataclass(frozen=True)
class Variant:
    """One way of choosing PID 1.

    Attributes:
        label: Short name for tables and plots.
        entrypoint: The ENTRYPOINT put before the command (None: none, so the
            command itself is PID 1).
        init: Pass ``--init`` (the engine runs tini, ``docker-init``, as PID 1).
        environment: Extra environment variables.
        note: One line on what PID 1 is.
    """

    label: str
    entrypoint: tuple[str, ...] | None = None
    init: bool = False
    environment: dict[str, str] = field(default_factory=dict)
    note: str = ""

    def start(self, image, command: str | Sequence[str], **options) -> DemoContainer:
        """Start ``command`` in ``image`` under this PID 1 (with the kit's limits)."""
        opts = dict(options)
        if self.entrypoint is not None:
            opts["entrypoint"] = list(self.entrypoint)
        if self.init:
            opts["init"] = True
        if self.environment:
            opts["environment"] = {**self.environment, **opts.get("environment", {})}
        return start(image, command, **opts)


VARIANTS: dict[str, Variant] = {
    v.label: v
    for v in (
        Variant("no init", note="the command itself is PID 1"),
        Variant("--init (tini)", init=True, note="docker run --init: the engine's tini"),
        Variant(
            "dumb-init",
            entrypoint=("dumb-init", "--"),
            note="ENTRYPOINT dumb-init (static build from its PyPI source)",
        ),
        Variant(
            "reaping shell",
            entrypoint=("/reaper.sh",),
            note="ENTRYPOINT a shell script that waits and forwards SIGTERM",
        ),
    )
}

#: Variants of the signal-forwarding lesson: to the child only, or to its process group.
FORWARDING: dict[str, Variant] = {
    v.label: v
    for v in (
        Variant("tini", init=True, note="--init: SIGTERM to the child only"),
        Variant(
            "tini -g",
            init=True,
            environment={"TINI_KILL_PROCESS_GROUP": "1"},
            note="--init with TINI_KILL_PROCESS_GROUP=1 (same as tini -g)",
        ),
        Variant(
            "dumb-init",
            entrypoint=("dumb-init", "--"),
            note="default: SIGTERM to the child's whole process group",
        ),
        Variant(
            "dumb-init --single-child",
            entrypoint=("dumb-init", "--single-child", "--"),
            note="SIGTERM to the child only",
        ),
    )
}


def _pick(variants: Iterable[str | Variant] | None, table: dict[str, Variant]) -> list[Variant]:
    if variants is None:
        return list(table.values())
    out = []
    for v in variants:
        if isinstance(v, Variant):
            out.append(v)
        elif v in table:
            out.append(table[v])
        else:
            raise KeyError(f"unknown variant {v!r}; known: {', '.join(table)}")
    return out


def _parallel(fn: Callable[[Variant], object], variants: list[Variant]) -> list:
    """Run ``fn`` once per variant, in parallel containers; results in variant order."""
    with ThreadPoolExecutor(max_workers=len(variants) or 1) as pool:
        return list(pool.map(fn, variants))


# ---------------------------------------------------------------------------
# Measurements


def pids_counted(box: DemoContainer) -> int:
    """How many processes the container's pids limit counts now (``docker stats``).

    Returns:
        The count, or -1 if the engine gave none (it may skip a sample under load).
    """
    for _ in range(3):
        stats = box.stats()
        current = (stats.get("pids_stats") or {}).get("current")
        if current is not None:
            return int(current)
        time.sleep(0.2)
    return -1


def two_views(image, variant: str = "no init", *, settle: float = 1.0):
    """Run :data:`FIVE_ORPHANS` under one variant; look at its processes three ways.

    Returns:
        (the processes read from ``/proc`` inside the container, as a table;
        what ``docker top`` lists for the same container at the same moment;
        how many processes its pids limit counts, from ``docker stats``).
    """
    (v,) = _pick([variant], VARIANTS)
    with v.start(image, ["sh", "-c", FIVE_ORPHANS]) as box:
        time.sleep(settle)
        inside = pd.DataFrame([asdict(p) for p in processes(box)])
        top = docker_top(box)
        counted = pids_counted(box)
    return inside, top, counted


def zombies_left(
    image, variants: Iterable[str | Variant] | None = None, *, settle: float = 1.0
) -> pd.DataFrame:
    """Run :data:`FIVE_ORPHANS` under each PID 1 and count the zombies left.

    Counted twice: from ``/proc`` inside the container (``/procstat``), and from
    ``docker top`` (the host's view of the container's processes).

    Args:
        image: The lesson's image (:func:`build_image`).
        variants: Variant labels (default: every one of :data:`VARIANTS`).
        settle: Seconds to wait before counting (the orphans live 0.2 s).

    Returns:
        One row per variant: ``zombies (/proc)``, ``zombies (docker top)``,
        ``processes (/proc)``, ``processes (docker top)``, ``PID 1``.
    """

    def one(v: Variant) -> dict:
        with v.start(image, ["sh", "-c", FIVE_ORPHANS]) as box:
            time.sleep(settle)
            procs = processes(box)
            top = docker_top(box)
            stat_col = "STAT" if "STAT" in top.columns else top.columns[1]
            return {
                "variant": v.label,
                "PID 1": next((p.name for p in procs if p.pid == 1), "?"),
                "zombies (/proc)": count_zombies(procs),
                "zombies (docker top)": int(top[stat_col].astype(str).str.startswith("Z").sum()),
                "processes (/proc)": len(procs),
                "processes (docker top)": len(top),
            }

    return pd.DataFrame(_parallel(one, _pick(variants, VARIANTS))).set_index("variant")


def zombies_over_time(
    image,
    variants: Iterable[str | Variant] | None = None,
    *,
    seconds: float = 3.0,
    per_second: float = 10.0,
    every: float = 0.25,
) -> pd.DataFrame:
    """Count zombies over time while ``/orphans`` keeps orphaning children.

    PID 1's command is ``sh -c '/orphans ... & exec sleep 60'``: the shell starts
    the workload and becomes ``sleep``, which never waits. The count comes from
    ``/procstat`` exec'd into the container every ``every`` seconds.

    Returns:
        Long form: ``variant``, ``t`` (seconds since start), ``zombies``.
    """
    cmd = ["sh", "-c", f"/orphans {seconds:g} {per_second:g} & exec sleep 60"]

    def one(v: Variant) -> list[dict]:
        rows = []
        with v.start(image, cmd) as box:
            t0 = time.monotonic()
            while (t := time.monotonic() - t0) < seconds + 0.5:
                rows.append({"variant": v.label, "t": t, "zombies": count_zombies(processes(box))})
                time.sleep(max(0.0, every - (time.monotonic() - t0 - t)))
        return rows

    results = _parallel(one, _pick(variants, VARIANTS))
    return pd.DataFrame([r for rows in results for r in rows])


def parse_orphans_log(text: str) -> pd.DataFrame:
    """The ``tick`` lines of ``/orphans``' output as a table.

    Returns:
        Columns ``t`` (seconds), ``forks_ok``, ``forks_failed``, ``zombies``.
    """
    rows = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 5 and parts[0] == "tick":
            ms, ok, failed, zombies = (int(x) for x in parts[1:])
            rows.append(
                {"t": ms / 1000, "forks_ok": ok, "forks_failed": failed, "zombies": zombies}
            )
    return pd.DataFrame(rows, columns=["t", "forks_ok", "forks_failed", "zombies"])


def under_pids_limit(
    image,
    variants: Iterable[str | Variant] | None = None,
    *,
    pids: int = 32,
    seconds: float = 3.0,
    per_second: float = 40.0,
) -> pd.DataFrame:
    """Run ``/orphans`` under a small pids limit and record what it logs.

    Zombies keep their process slot until they are reaped; with no init the
    container runs out of slots and ``fork()`` fails. The counts come from the
    workload's own log (it reads ``/proc`` inside the container every 100 ms):
    a ``docker exec`` needs a free slot too.

    Returns:
        Long form: ``variant``, ``t``, ``forks_ok``, ``forks_failed``, ``zombies``.
    """
    cmd = ["sh", "-c", f"/orphans {seconds:g} {per_second:g} & exec sleep 60"]

    def one(v: Variant) -> pd.DataFrame:
        with v.start(image, cmd, pids=pids) as box:
            deadline = time.monotonic() + seconds + 10
            while "done" not in box.logs() and time.monotonic() < deadline:
                time.sleep(0.2)
            df = parse_orphans_log(box.logs())
        return df.assign(variant=v.label)

    return pd.concat(_parallel(one, _pick(variants, VARIANTS)), ignore_index=True)


def stop_latency(
    image,
    variants: Iterable[str | Variant] | None = None,
    *,
    grace: int = 2,
    command: Sequence[str] = ("sleep", "60"),
) -> pd.DataFrame:
    """``docker stop`` each variant running ``command`` and time it.

    ``sleep`` installs no SIGTERM handler: as PID 1 it ignores SIGTERM.

    Returns:
        One row per variant: ``seconds`` (how long ``docker stop`` took) and
        ``exit code`` (143 = ended by SIGTERM, 137 = SIGKILLed at the deadline).
    """

    def one(v: Variant) -> dict:
        with v.start(image, list(command)) as box:
            time.sleep(0.5)  # let PID 1 start its child before the signal
            seconds, code = box.stop(timeout=grace)
        return {"variant": v.label, "seconds": seconds, "exit code": code}

    return pd.DataFrame(_parallel(one, _pick(variants, VARIANTS))).set_index("variant")


def signal_forwarding(
    image, variants: Iterable[str | Variant] | None = None, *, grace: int = 2
) -> pd.DataFrame:
    """Does SIGTERM reach a grandchild? ``wrapper.sh`` starts ``worker.sh`` and waits.

    The worker traps SIGTERM and prints a line before it exits; the wrapper
    does not pass signals on. An init that signals only its child (the wrapper)
    leaves the worker running until the SIGKILL; one that signals the child's
    process group reaches the worker too.

    Returns:
        One row per variant: ``seconds``, ``exit code``, ``worker got SIGTERM``.
    """

    def one(v: Variant) -> dict:
        with v.start(image, ["/wrapper.sh"]) as box:
            deadline = time.monotonic() + 10
            while "worker: running" not in box.logs() and time.monotonic() < deadline:
                time.sleep(0.1)
            seconds, code = box.stop(timeout=grace)
            heard = "got SIGTERM" in box.logs()
        return {
            "variant": v.label,
            "note": v.note,
            "seconds": seconds,
            "exit code": code,
            "worker got SIGTERM": heard,
        }

    return pd.DataFrame(_parallel(one, _pick(variants, FORWARDING))).set_index("variant")


# ---------------------------------------------------------------------------
# Plots

#: One colour per variant, the same in every chart.
COLORS = {
    "no init": BAD,
    "--init (tini)": ACCENT,
    "dumb-init": SERIES[5],
    "reaping shell": CAUTION,
    "tini": ACCENT,
    "tini -g": SERIES[1],
    "dumb-init --single-child": SERIES[3],
}


def _color(label: str) -> str:
    return COLORS.get(label, MUTED)


def plot_zombies_over_time(df: pd.DataFrame, title: str | None = None):
    """Zombie count over time, one line per variant."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for label, part in df.groupby("variant", sort=False):
        ax.plot(part["t"], part["zombies"], marker="o", ms=3, label=label, color=_color(label))
    ax.set_xlabel("seconds since the container started")
    ax.set_ylabel("zombies (state Z in /proc)")
    ax.set_ylim(-0.5, max(5.0, float(df["zombies"].max()) * 1.1))
    ax.set_title(title or "Zombies pile up only when nothing reaps them")
    ax.legend(frameon=False, loc="upper left")
    _note_flat(ax, df, "zombies")
    return fig


def _note_flat(ax, df: pd.DataFrame, column: str) -> None:
    """Say in the chart which variants stayed at 0 (their lines lie on top of each other)."""
    flat = [lbl for lbl, part in df.groupby("variant", sort=False) if part[column].max() == 0]
    if len(flat) > 1:
        ax.annotate(
            "at 0 throughout (lines overlap): " + ", ".join(flat),
            (0.99, 0.04),
            xycoords="axes fraction",
            ha="right",
            va="bottom",
            fontsize=8,
            color=INK,
            xytext=(0, 6),
            textcoords="offset points",
        )


def plot_pids_limit(df: pd.DataFrame, pids: int):
    """Two panels: zombies, and failed forks, over time per variant."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    for label, part in df.groupby("variant", sort=False):
        left.plot(part["t"], part["zombies"], label=label, color=_color(label))
        right.plot(part["t"], part["forks_failed"], label=label, color=_color(label))
    left.axhline(pids, ls="--", color=MUTED, lw=1)
    left.annotate(
        f"pids limit = {pids}",
        (0, pids),
        xytext=(2, -12),
        textcoords="offset points",
        fontsize=8,
        color=MUTED,
    )
    left.set_title("zombies holding process slots")
    right.set_title("fork() calls that failed (cumulative)")
    for ax in (left, right):
        ax.set_xlabel("seconds")
    left.set_ylim(-1, pids * 1.25)
    left.legend(frameon=False, loc="center right", fontsize=8)
    _note_flat(left, df, "zombies")
    _note_flat(right, df, "forks_failed")
    fig.suptitle(
        f"A workload that keeps orphaning children, under --pids-limit {pids}", fontweight="bold"
    )
    return fig


def plot_stop(df: pd.DataFrame, grace: float, title: str | None = None):
    """``docker stop`` time per variant, with its exit code on each bar."""
    fig, ax = plt.subplots(figsize=(7, 0.6 * len(df) + 1.4))
    labels = list(df.index)
    bars = ax.barh(labels, df["seconds"], color=[_color(lbl) for lbl in labels])
    ax.bar_label(
        bars,
        labels=[
            f"{s:.2f} s, exit {c}" for s, c in zip(df["seconds"], df["exit code"], strict=True)
        ],
        padding=3,
        fontsize=9,
    )
    ax.axvline(grace, ls="--", color=MUTED, lw=1)
    ax.annotate(
        f"grace period {grace:g} s, then SIGKILL",
        (grace, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(3, -10),
        textcoords="offset points",
        fontsize=8,
        color=MUTED,
    )
    ax.invert_yaxis()
    ax.set_xlim(0, grace * 1.7)
    ax.set_xlabel("seconds `docker stop` took")
    ax.set_title(title or "docker stop: who hears SIGTERM?")
    return fig


# ---------------------------------------------------------------------------
# One variant, end to end (what the notebook's control runs)


@dataclass
class VariantRun:
    """Everything measured for one variant.

    Attributes:
        variant: Its label.
        zombies: Zombies left by :data:`FIVE_ORPHANS` (counted in /proc).
        over_time: Zombie counts over time under ``/orphans``.
        stop_seconds: How long ``docker stop`` took.
        exit_code: The container's exit code after ``docker stop``.
    """

    variant: str
    zombies: int
    over_time: pd.DataFrame
    stop_seconds: float
    exit_code: int | None


def rerun(image, variant: str, *, grace: int = 2, seconds: float = 2.0) -> VariantRun:
    """Measure one variant: zombies left, zombies over time, stop time and exit code."""
    (v,) = _pick([variant], VARIANTS)
    with ThreadPoolExecutor(max_workers=3) as pool:
        left = pool.submit(zombies_left, image, [v])
        over = pool.submit(zombies_over_time, image, [v], seconds=seconds)
        stop = pool.submit(stop_latency, image, [v], grace=grace)
        left_df, over_df, stop_df = left.result(), over.result(), stop.result()
    return VariantRun(
        variant=v.label,
        zombies=int(left_df["zombies (/proc)"].iloc[0]),
        over_time=over_df,
        stop_seconds=float(stop_df["seconds"].iloc[0]),
        exit_code=int(stop_df["exit code"].iloc[0]),
    )


def show_run(run: VariantRun, grace: int = 2):
    """Plot a :class:`VariantRun`: its zombies over time, with the stop result in the title."""
    title = (
        f"{run.variant}: {run.zombies} zombies left by 5 orphans\n"
        f"docker stop -t {grace}: {run.stop_seconds:.2f} s, exit {run.exit_code}"
    )
    return plot_zombies_over_time(run.over_time, title=title)


def picker(image, grace: int = 2):
    """An ipywidgets control: pick a PID 1 variant, press Run, see its measurements.

    The button calls :func:`rerun` and :func:`show_run`.

    Returns:
        The widget (display it as a cell's last value).
    """
    import ipywidgets as widgets
    from IPython.display import display

    choice = widgets.Dropdown(options=list(VARIANTS), value="no init", description="PID 1:")
    button = widgets.Button(description="Run", button_style="primary", icon="play")
    out = widgets.Output()

    def on_click(_=None) -> None:
        button.disabled = True
        out.clear_output()
        with out:
            print(f"Running {choice.value!r} ({VARIANTS[choice.value].note}) ...")
            try:
                run = rerun(image, choice.value, grace=grace)
                out.clear_output()
                display(show_run(run, grace))
                plt.close("all")
            except DockerlabError as e:
                print(e)
            finally:
                button.disabled = False

    button.on_click(on_click)
    return widgets.VBox([widgets.HBox([choice, button]), out])


__all__ = [
    "FIVE_ORPHANS",
    "FORWARDING",
    "VARIANTS",
    "Variant",
    "VariantRun",
    "build_image",
    "docker_top",
    "parse_orphans_log",
    "picker",
    "pids_counted",
    "plot_pids_limit",
    "plot_stop",
    "plot_zombies_over_time",
    "processes",
    "rerun",
    "show_run",
    "signal_forwarding",
    "stop_latency",
    "two_views",
    "under_pids_limit",
    "zombies_left",
]
