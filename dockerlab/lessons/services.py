"""A web service and its cache, in one container or in two: the one-task lesson's kit.

Two small real servers, written in C and compiled statically in the builder
image (``assets/miniweb.c``, ``assets/minicache.c``): ``miniweb`` answers
``/health`` by itself and ``/visits`` by asking ``minicache`` (a tiny
Redis-like key-value server) to count. They can be deployed two ways:

- :func:`combined`: both processes in one container (``minicache & exec miniweb``),
- :func:`split`: one container each, optionally with a restart policy.

Either way the containers share a loopback with a small "pod" container
(``network="container:<id>"``, as the containers of a Kubernetes pod do), never
a network: the pod holds the network namespace, so a service can restart
without cutting the others off, and it carries ``probe`` (``assets/probe.c``),
an HTTP client that times an outage from inside, to the millisecond.
"""

from __future__ import annotations

import shlex
import textwrap
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import pandas as pd

from dockerlab import assets
from dockerlab.core.building import BuiltImage, build
from dockerlab.core.containers import DemoContainer, start
from dockerlab.core.images import ref
from dockerlab.core.plotting import DESIGN_COLORS, MUTED, caption_below
from dockerlab.errors import InvalidOption, LessonError

WEB_PORT = 8080
CACHE_PORT = 6379
SOURCES = ("minicache.c", "miniweb.c", "probe.c")

#: The build stage every image of the lesson shares (identical text: built once, then cached).
BUILD_STAGE = """\
FROM {builder} AS build
COPY minicache.c miniweb.c probe.c /src/
RUN mkdir /out && cd /src \\
 && for p in minicache miniweb probe; do musl-gcc -static -O2 -Wall -o /out/$p $p.c || exit 1; done \\
 && strip /out/*
"""

#: A health check that only asks the web part whether it answers.
HEALTHCHECK = (
    "HEALTHCHECK --interval=1s --timeout=1s --retries=1 "
    f"CMD wget -q -O /dev/null http://127.0.0.1:{WEB_PORT}/health || exit 1"
)

#: The final stage of each image, after :data:`BUILD_STAGE`.
FINAL_STAGES = {
    "combined": f"""\
FROM {{alpine}}
COPY --from=build /out/minicache /out/miniweb /usr/local/bin/
{HEALTHCHECK}
# Two tasks in one container: the cache in the background, the web service in front.
CMD ["sh", "-c", "minicache & exec miniweb"]
""",
    "web": f"""\
FROM {{alpine}}
COPY --from=build /out/miniweb /usr/local/bin/
{HEALTHCHECK}
CMD ["miniweb"]
""",
    "cache": """\
FROM scratch
COPY --from=build /out/minicache /minicache
ENTRYPOINT ["/minicache"]
""",
    "pod": """\
FROM {alpine}
COPY --from=build /out/probe /usr/local/bin/
CMD ["sleep", "900"]
""",
}


def dockerfile(kind: str) -> str:
    """The Dockerfile of one image of the lesson.

    Args:
        kind: ``"combined"`` (web and cache together), ``"web"``, ``"cache"``
            (FROM scratch), or ``"pod"`` (the loopback holder with the probe).
    """
    if kind not in FINAL_STAGES:
        raise InvalidOption(f"No image {kind!r}; choose one of {sorted(FINAL_STAGES)}.")
    text = BUILD_STAGE + "\n" + FINAL_STAGES[kind]
    return text.format(builder=ref("builder"), alpine=ref("alpine"))


def build_images(progress: bool = False) -> dict[str, BuiltImage]:
    """Build the four images of the lesson (the shared build stage compiles once).

    Returns:
        ``{"combined": ..., "web": ..., "cache": ..., "pod": ...}``; remove them
        with :func:`remove_images`.
    """
    files = {name: assets.text(name) for name in SOURCES}
    images: dict[str, BuiltImage] = {}
    try:
        for kind in FINAL_STAGES:
            images[kind] = build(
                dockerfile(kind), files, tag=f"dockerlab/webcache:{kind}", progress=progress
            )
    except BaseException:
        remove_images(images)
        raise
    return images


def remove_images(images: Mapping[str, BuiltImage]) -> None:
    """Remove images made by :func:`build_images`."""
    for img in images.values():
        img.remove()


@dataclass
class Response:
    """An HTTP answer, seen from inside the pod. ``status`` 0: nothing answered."""

    status: int
    body: str

    @property
    def ok(self) -> bool:
        return self.status == 200

    def __str__(self) -> str:
        return f"{self.status or 'no answer'} {self.body.strip()}".strip()


def parse_watch(text: str) -> dict[str, float]:
    """Outage per path, in seconds, from the log of ``probe watch``.

    The probe prints ``MS PATH STATUS`` whenever a path's status changes, then
    ``MS recovered`` or ``MS timeout``. A path's outage runs from its first
    status other than 200 to the next 200 (to the end of the log if it never
    came back); 0 if it never failed.

    Example:
        >>> parse_watch("3 /health 200\\n5 /visits 200\\n40 /visits 503\\n290 /visits 200\\n291 recovered")
        {'/health': 0.0, '/visits': 0.25}
    """
    down_since: dict[str, int | None] = {}
    outage: dict[str, float] = {}
    end = 0
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1] in ("recovered", "timeout"):
            end = int(parts[0])
            continue
        if len(parts) != 3:
            continue
        ms, path, status = int(parts[0]), parts[1], int(parts[2])
        end = max(end, ms)
        outage.setdefault(path, 0.0)
        down_since.setdefault(path, None)
        if status != 200 and down_since[path] is None:
            down_since[path] = ms
        elif status == 200 and down_since[path] is not None:
            outage[path] += (ms - down_since[path]) / 1000
            down_since[path] = None
    for path, since in down_since.items():
        if since is not None:
            outage[path] += (end - since) / 1000
    return {path: round(seconds, 3) for path, seconds in outage.items()}


def container_state(attrs: Mapping) -> dict[str, object]:
    """What ``docker ps``/``docker inspect`` tell an operator about a container.

    Args:
        attrs: A container's inspect data.

    Returns:
        ``status`` (running, exited, restarting...), ``exit_code``, ``health``
        (healthy, unhealthy, starting, or "-" without a health check) and
        ``restarts`` (the engine's restart count).
    """
    state = attrs.get("State", {})
    return {
        "status": state.get("Status"),
        "exit_code": state.get("ExitCode"),
        "health": (state.get("Health") or {}).get("Status", "-"),
        "restarts": attrs.get("RestartCount", 0),
    }


@dataclass
class Deployment:
    """The web service and its cache, running around one shared loopback.

    Attributes:
        design: ``"combined"`` or ``"split"``.
        pod: The container that holds the loopback and the probe.
        containers: The service containers by name (``"app"``; or ``"web"``
            and ``"cache"``).
    """

    design: str
    pod: DemoContainer
    containers: dict[str, DemoContainer] = field(default_factory=dict)

    def __getitem__(self, name: str) -> DemoContainer:
        return self.containers[name]

    @property
    def network(self) -> str:
        """The ``network=`` value that joins the pod's loopback."""
        return f"container:{self.pod.id}"

    def get(self, path: str) -> Response:
        """One HTTP GET of the web service, from inside the pod."""
        out = self.pod.exec(["probe", "get", str(WEB_PORT), path]).output
        status, _, body = out.partition("\n")
        return Response(int(status) if status.strip().isdigit() else 0, body)

    def ask_cache(self, command: str) -> str:
        """Send one command line to the cache with ``nc`` (e.g. ``"GET visits"``)."""
        line = shlex.quote(command + "\n")
        out = self.pod.exec(["sh", "-c", f"printf %s {line} | nc -w 1 127.0.0.1 {CACHE_PORT}"])
        return out.output.strip()

    def crash_cache(self, timeout: float = 10) -> None:
        """Crash the cache process (``DEBUG SEGFAULT``) and wait until it is gone."""
        self.ask_cache("DEBUG SEGFAULT")
        deadline = time.monotonic() + timeout
        while self.get("/visits").ok:
            if time.monotonic() > deadline:
                raise LessonError(f"{self.design}: the cache still answers after a crash.")
            time.sleep(0.02)

    def state(self, name: str) -> dict[str, object]:
        """The container's state as the engine reports it (see :func:`container_state`)."""
        return container_state(self.containers[name].inspect())

    def logs(self, name: str) -> str:
        return self.containers[name].logs()

    def wait_ready(self, path: str = "/visits", timeout: float = 15) -> float:
        """Wait until ``path`` answers 200; returns the seconds waited."""
        t0 = time.monotonic()
        while not self.get(path).ok:
            if time.monotonic() - t0 > timeout:
                raise LessonError(f"{self.design}: {path} did not answer within {timeout:g} s.")
            time.sleep(0.05)
        return time.monotonic() - t0

    def wait_health_checks(self, name: str, count: int = 2, timeout: float = 15) -> dict:
        """Wait until the engine has run ``count`` more health checks; returns the state."""
        c = self.containers[name]

        def last_start() -> list[str]:
            log = ((c.inspect()["State"].get("Health") or {}).get("Log")) or []
            return [entry["Start"] for entry in log]

        seen = set(last_start())
        deadline = time.monotonic() + timeout
        while len(set(last_start()) - seen) < count:
            if time.monotonic() > deadline:
                raise LessonError(f"No health check ran on {name} within {timeout:g} s.")
            time.sleep(0.2)
        return self.state(name)

    def outage(
        self,
        action: Callable[[], object],
        paths: Iterable[str] = ("/health", "/visits"),
        *,
        interval_ms: int = 10,
        timeout: float = 30,
    ) -> dict[str, float]:
        """Do ``action`` while the probe watches ``paths``; the seconds each was down.

        The probe polls every ``interval_ms`` from inside the pod and stops once
        every path answers 200 again after a failure (or after ``timeout``).
        """
        paths = list(paths)
        log = f"/tmp/probe-{time.monotonic_ns()}.log"
        watch = [
            "probe",
            "watch",
            str(WEB_PORT),
            str(interval_ms),
            str(int(timeout * 1000)),
            *paths,
        ]
        self.pod.exec_detached(["sh", "-c", f"{shlex.join(watch)} > {log} 2>&1"])

        def read() -> str:
            return self.pod.exec(["cat", log]).output

        deadline = time.monotonic() + 10
        while len(read().splitlines()) < len(paths):
            if time.monotonic() > deadline:
                raise LessonError("The probe did not start.")
            time.sleep(0.05)
        first = [line.split() for line in read().splitlines()[: len(paths)]]
        if any(status != "200" for _, _, status in first):
            raise LessonError(
                f"{self.design}: not every path answers 200 before the test: {first}",
                hint="Wait until the service is ready (wait_ready) first.",
            )
        action()
        deadline = time.monotonic() + timeout + 10
        while not any(w in (text := read()) for w in ("recovered", "timeout")):
            if time.monotonic() > deadline:
                raise LessonError(f"The probe did not finish: {text}")
            time.sleep(0.05)
        if "timeout" in text:
            raise LessonError(f"{self.design}: the service did not recover within {timeout:g} s.")
        return parse_watch(text)

    def remove(self) -> None:
        """Remove the service containers, then the pod."""
        for c in self.containers.values():
            c.remove()
        self.pod.remove()

    def __enter__(self) -> Deployment:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


#: Colours of the two designs in charts.


def plot_outages(
    df: pd.DataFrame, paths: Iterable[str] = ("/visits", "/health"), caption: str = ""
):
    """One panel per path: how long it was down, one dot per repeat, a bar at the median.

    Args:
        df: One row per measurement: a ``scenario`` column, a ``design`` column
            (colours the scenario) and one column of seconds per path.
        paths: The columns to chart, one panel each.
        caption: A line under the figure.

    Returns:
        The matplotlib Figure.
    """
    paths = list(paths)
    scenarios = list(dict.fromkeys(df["scenario"]))
    fig, axes = plt.subplots(
        1, len(paths), figsize=(5.2 * len(paths), 3.8), sharey=True, squeeze=False
    )
    for ax, path in zip(axes.flat, paths, strict=True):
        for x, scenario in enumerate(scenarios):
            rows = df[df["scenario"] == scenario]
            ms = rows[path].astype(float) * 1000
            color = DESIGN_COLORS.get(str(rows["design"].iloc[0]), MUTED)
            median = float(ms.median())
            ax.bar(x, median, color=color, alpha=0.35, width=0.6)
            jitter = [x + 0.12 * (i - (len(ms) - 1) / 2) for i in range(len(ms))]
            ax.scatter(jitter, ms, color=color, zorder=3, s=22)
            ax.annotate(
                f"{median:.0f} ms",
                (x, max(median, float(ms.max()))),
                ha="center",
                va="bottom",
                xytext=(0, 4),
                textcoords="offset points",
                fontsize=9,
            )
        ax.set_xticks(range(len(scenarios)), [textwrap.fill(s, 18) for s in scenarios], fontsize=8)
        ax.set_title(f"{path} was down for (ms)")
    axes.flat[0].set_ylabel("ms (dots: repeats in order, bar: median)")
    if caption:
        caption_below(fig, caption)
    return fig


def _pod(images: Mapping[str, BuiltImage]) -> DemoContainer:
    return start(images["pod"], init=True, role="pod")


def combined(images: Mapping[str, BuiltImage]) -> Deployment:
    """Web service and cache in ONE container (``minicache & exec miniweb``), ready to answer.

    The container runs with ``init=True``, so ``docker stop`` reaches the web
    process through tini (see notebook 05).
    """
    deployment = Deployment("combined", _pod(images))
    try:
        deployment.containers["app"] = start(
            images["combined"], network=deployment.network, init=True, role="app"
        )
        deployment.wait_ready()
    except BaseException:
        deployment.remove()
        raise
    return deployment


def split(
    images: Mapping[str, BuiltImage], restart_policy: Mapping[str, object] | None = None
) -> Deployment:
    """Web service and cache in TWO containers on one loopback, ready to answer.

    Args:
        images: From :func:`build_images`.
        restart_policy: The cache's restart policy, e.g. ``{"Name": "on-failure"}``
            (none by default: a dead cache stays dead, visibly).
    """
    deployment = Deployment("split", _pod(images))
    try:
        deployment.containers["cache"] = start(
            images["cache"], network=deployment.network, role="cache", restart_policy=restart_policy
        )
        deployment.containers["web"] = start(
            images["web"], network=deployment.network, init=True, role="web"
        )
        deployment.wait_ready()
    except BaseException:
        deployment.remove()
        raise
    return deployment


__all__ = [
    "CACHE_PORT",
    "WEB_PORT",
    "Deployment",
    "Response",
    "build_images",
    "combined",
    "container_state",
    "dockerfile",
    "parse_watch",
    "plot_outages",
    "remove_images",
    "split",
]
