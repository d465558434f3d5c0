"""The life of a container: what it changed, what survives it, what it costs.

- :func:`changes`: ``docker diff``, what a container changed in its own
  writable layer (added, changed, deleted paths);
- :func:`volume`: a named volume, labelled with the kit's session and removed
  afterwards: the place for data that must outlive containers (made by
  :func:`dockerlab.core.containers.volume`, which makes every volume of the kit);
- :func:`phase_timings`: create, start, stop and remove N containers and time
  each phase (the cost of throwing containers away), summarised by
  :func:`summarize` and drawn by :func:`plot_phases`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import docker.errors
import matplotlib.pyplot as plt
import pandas as pd

from dockerlab.core.containers import DEFAULT_LIMITS, create, volume
from dockerlab.core.plotting import SERIES, caption_below
from dockerlab.errors import ContainerFailed, LessonError

#: ``docker diff`` kinds, as the engine numbers them.
KINDS = {0: "changed", 1: "added", 2: "deleted"}
#: The phases of a container's life, in order.
PHASES = ("create", "start", "stop", "remove")
PHASE_COLORS = dict(zip(PHASES, SERIES, strict=False))


def parse_changes(raw: Sequence[Mapping] | None) -> pd.DataFrame:
    """``docker diff`` output as a table: one row per path, sorted.

    Args:
        raw: The engine's answer, ``[{"Path": "/etc", "Kind": 0}, ...]``
            (0 changed, 1 added, 2 deleted); None when nothing changed.

    Returns:
        Columns ``path``, ``kind`` (added, changed, deleted) and ``letter``
        (A, C, D as ``docker diff`` prints them).

    Example:
        >>> parse_changes([{"Path": "/tmp/x", "Kind": 1}]).to_dict("records")
        [{'path': '/tmp/x', 'kind': 'added', 'letter': 'A'}]
    """
    rows = []
    for item in raw or []:
        kind = KINDS.get(item["Kind"])
        if kind is None:
            raise LessonError(f"Unknown docker diff kind {item['Kind']!r} for {item['Path']}.")
        rows.append({"path": item["Path"], "kind": kind, "letter": kind[0].upper()})
    df = pd.DataFrame(rows, columns=["path", "kind", "letter"])
    return df.sort_values("path", ignore_index=True)


def changes(container) -> pd.DataFrame:
    """What a container changed in its writable layer (``docker diff``).

    Args:
        container: A :class:`~dockerlab.DemoContainer` or a docker SDK container
            (running or stopped, not removed).
    """
    return parse_changes(container.diff())


def phase_timings(
    image,
    n: int = 12,
    command: str | Sequence[str] | None = ("sleep", "300"),
    *,
    stop_timeout: int = 10,
    lifetime: float = 0.1,
    init: bool = True,
    pids: int = DEFAULT_LIMITS["pids"],
    **options,
) -> pd.DataFrame:
    """Create, start, stop and remove ``n`` containers, one after another, timing each phase.

    Every container gets the kit's safety defaults (no network, no
    capabilities, limits, labels) and is removed even if a phase fails.

    Args:
        image: The image to run.
        n: How many containers.
        command: What each runs (it should keep running until stopped).
        stop_timeout: Grace period of ``docker stop`` before SIGKILL: a process
            that ignores SIGTERM costs this much at every stop.
        lifetime: Seconds each container runs between start and stop (not
            timed): a signal sent while the container's first process is still
            being set up would be lost.
        init: Run tini as PID 1 so SIGTERM reaches the command (see notebook 05).
        pids: The containers' process limit.
        **options: More options for the containers (``read_only=``, ...).

    Returns:
        One row per container and phase: ``container`` (0..n-1), ``phase``,
        ``seconds``; and ``exit_code`` (the code ``docker stop`` left).
    """
    rows = []
    for i in range(n):
        try:
            t0 = time.monotonic()
            with create(image, command, pids=pids, role="lifecycle", init=init, **options) as box:
                t1 = time.monotonic()
                box.start()
                t2 = time.monotonic()
                time.sleep(lifetime)
                stopping, code = box.stop(timeout=stop_timeout)
                t3 = time.monotonic()
                box.remove()
                t4 = time.monotonic()
        except docker.errors.APIError as e:
            raise ContainerFailed(f"Container {i} failed: {e.explanation or e}") from None
        for phase, seconds in zip(PHASES, (t1 - t0, t2 - t1, stopping, t4 - t3), strict=True):
            rows.append({"container": i, "phase": phase, "seconds": seconds, "exit_code": code})
    return pd.DataFrame(rows, columns=["container", "phase", "seconds", "exit_code"])


def summarize(df: pd.DataFrame) -> pd.DataFrame:
    """Median, spread and sum per phase, in milliseconds, plus a whole ``replace`` cycle.

    Args:
        df: From :func:`phase_timings`.

    Returns:
        One row per phase (in life order), then ``replace`` (the four phases of
        one container, added up); columns ``median_ms``, ``min_ms``, ``max_ms``.
    """
    ms = df.assign(ms=df["seconds"] * 1000)
    per_container = ms.groupby("container")["ms"].sum().to_frame().assign(phase="replace")
    both = pd.concat([ms[["phase", "ms"]], per_container[["phase", "ms"]]])
    out = both.groupby("phase")["ms"].agg(median_ms="median", min_ms="min", max_ms="max")
    order = [p for p in (*PHASES, "replace") if p in out.index]
    return out.loc[order].round(1)


def plot_phases(df: pd.DataFrame, caption: str = "", title: str | None = None):
    """One column of dots per phase (one dot per container), a bar at the median.

    Args:
        df: From :func:`phase_timings`.
        caption: A line under the figure.
        title: The chart's title.

    Returns:
        The matplotlib Figure.
    """
    fig, ax = plt.subplots(figsize=(8, 4))
    phases = [p for p in PHASES if p in set(df["phase"])]
    for x, phase in enumerate(phases):
        ms = df.loc[df["phase"] == phase, "seconds"].astype(float).reset_index(drop=True) * 1000
        color = PHASE_COLORS[phase]
        median = float(ms.median())
        ax.bar(x, median, color=color, alpha=0.35, width=0.6)
        offsets = [0.25 * ((i % 9) / 8 - 0.5) for i in range(len(ms))]
        ax.scatter([x + o for o in offsets], ms, color=color, s=16, zorder=3)
        ax.annotate(
            f"median {median:.0f} ms",
            (x, float(ms.max())),
            ha="center",
            va="bottom",
            xytext=(0, 4),
            textcoords="offset points",
            fontsize=9,
        )
    ax.set_xticks(
        range(len(phases)), [f"docker {p}" if p != "remove" else "docker rm" for p in phases]
    )
    ax.set_ylabel("milliseconds (dots: containers)")
    ax.set_title(title or f"The life of {df['container'].nunique()} throwaway containers")
    ax.set_ylim(0, float(df["seconds"].max()) * 1000 * 1.15)
    if caption:
        caption_below(fig, caption)
    return fig


__all__ = [
    "KINDS",
    "PHASES",
    "changes",
    "parse_changes",
    "phase_timings",
    "plot_phases",
    "summarize",
    "volume",
]
