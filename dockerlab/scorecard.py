"""The capstone's scorecard: one Dockerfile, measured on every practice of the course.

:func:`score` builds a Dockerfile with its build context on the real engine,
measures the image, runs it, and returns a :class:`Scorecard`:

- **size** (MB on disk), **layers**, **wasted** bytes (written in one layer,
  deleted or overwritten in a later one: :func:`dockerlab.layers.analyse`),
  **packages** (dpkg/apk database), **shells** on PATH;
- **hadolint** findings (warnings and errors; :mod:`dockerlab.lint`) and
  **unpinned** bases (no tag, ``latest``, no digest);
- **secrets**: places the image holds a known secret value (every layer's
  files, deleted ones included, and the config: env, labels, history;
  :func:`dockerlab.layers.search`), plus environment variables whose *name*
  says secret (``*TOKEN*``, ``*PASSWORD*``...);
- the default command **run** for a moment (with ``env``, no network,
  limits): did it start, how many **zombies** it left (``docker top``, the
  host's view, so it works FROM scratch), how long ``docker stop`` took, and
  the **uid** its PID 1 runs as.

:func:`compare` puts scorecards side by side and :func:`plot` draws them.
``python -m dockerlab score PATH`` prints the table.

Bases that are not on the engine: with no registry reachable, an untagged or
``latest`` base whose repository is in the catalog (``debian``, ``alpine``,
``dockerlab/builder``) is built from the catalog's image instead
(``debian`` -> ``debian:bookworm``), **for the measurement only**: hadolint
and the pinning check still read the Dockerfile as written, and the scorecard
says what it substituted (its ``notes``). The engine is left untouched (no
``latest`` tag is created on it).

Example:
    >>> from dockerlab import scorecard
    >>> card = scorecard.score(scorecard.CAPSTONE / "Dockerfile")   # doctest: +SKIP
    >>> print(card)                                          # doctest: +SKIP
"""

from __future__ import annotations

import io
import re
import tarfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import docker.errors
import matplotlib.pyplot as plt
import pandas as pd
from dockerfile_parse import DockerfileParser

from . import assets, layers, lint
from .build import FileSpec, build
from .containers import DemoContainer, created, start
from .engine import registry_reachable
from .errors import DockerlabError
from .images import CATALOG, ref
from .measure import _image, attack_surface
from .pid1 import count_zombies, parse_stat

#: The capstone's folder: the app, its data, and the deliberately bad Dockerfile.
CAPSTONE = Path(str(resources.files("dockerlab") / "assets" / "capstone"))
#: The capstone's fake secret: the value its bad Dockerfile bakes in with ENV.
CAPSTONE_TOKEN = "ledger-FAKE-token-7d1e0c5b9a"
#: What the capstone's container gets at run time (the token belongs here).
CAPSTONE_ENV = {"LEDGER_TOKEN": CAPSTONE_TOKEN, "LEDGER_INTERVAL_MS": "100"}
#: Environment variable names that say "secret".
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSW(OR)?D|API_?KEY|PRIVATE_?KEY|CREDENTIAL", re.I)
#: Files larger than this are left out of a build context read from a folder.
MAX_CONTEXT_FILE = 50 * 10**6

#: The measures, in table order: (key, label, unit, target as text, pass test).
MEASURES: list[tuple[str, str, str, str, object]] = [
    ("size_mb", "image size", "MB", "< 20", lambda v: v < 20),
    ("layers", "filesystem layers", "", "<= 5", lambda v: v <= 5),
    ("wasted_mb", "wasted bytes", "MB", "< 0.1", lambda v: v < 0.1),
    ("packages", "OS packages", "", "<= 20", lambda v: v <= 20),
    ("shells", "shells on PATH", "", "0 (or a reason)", lambda v: v == 0),
    ("hadolint", "hadolint warnings+errors", "", "0", lambda v: v == 0),
    ("unpinned", "unpinned bases", "", "0", lambda v: v == 0),
    ("secrets", "places holding a secret", "", "0", lambda v: v == 0),
    ("works", "the app works", "", "yes", lambda v: bool(v)),
    ("zombies", "zombies after running", "", "0", lambda v: v == 0),
    ("stop_s", "docker stop took", "s", "< 1", lambda v: v < 1),
    ("uid", "uid of PID 1", "", "not 0 (root)", lambda v: v is not None and v != 0),
]


@dataclass
class Scorecard:
    """Every measure of one Dockerfile's image.

    Attributes:
        label: A name for tables and plots.
        dockerfile: The Dockerfile as written.
        values: Measure key -> value (see :data:`MEASURES`).
        lint: hadolint's findings (every level).
        secret_hits: Where the image holds a secret: ``where``, ``layer``,
            ``instruction``, ``path``, ``secret`` (the value's first characters
            only, or the variable's name).
        notes: What the scorecard substituted or could not measure.
        output: What the container printed while it ran.
    """

    label: str
    dockerfile: str = field(repr=False)
    values: dict[str, object]
    lint: pd.DataFrame = field(repr=False)
    secret_hits: pd.DataFrame = field(repr=False)
    notes: list[str] = field(default_factory=list)
    output: str = field(default="", repr=False)

    def __getitem__(self, key: str):
        return self.values[key]

    def table(self) -> pd.DataFrame:
        """One row per measure: ``value``, ``target``, ``ok``."""
        rows = []
        for key, label, unit, target, test in MEASURES:
            v = self.values.get(key)
            rows.append({"measure": label, "value": _show(v, unit), "target": target,
                         "ok": "✓" if v is not None and test(v) else "✗"})  # fmt: skip
        return pd.DataFrame(rows).set_index("measure")

    @property
    def passed(self) -> list[str]:
        """The measures that meet their target."""
        return [k for k, *_rest, test in MEASURES if self.values.get(k) is not None
                and test(self.values[k])]  # fmt: skip

    def __str__(self) -> str:
        t = self.table()
        lines = [f"Scorecard: {self.label}  ({len(self.passed)}/{len(MEASURES)} targets met)",
                 t.to_string()]  # fmt: skip
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        notes = "".join(f"<br><small>note: {n}</small>" for n in self.notes)
        return (f"<b>Scorecard: {self.label}</b> ({len(self.passed)}/{len(MEASURES)} targets met)"
                + self.table()._repr_html_() + notes)  # fmt: skip


def _show(v, unit: str) -> str:
    if v is None:
        return "not measured"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.2f} {unit}".strip() if v < 100 else f"{v:,.0f} {unit}".strip()
    return f"{v} {unit}".strip()


# --------------------------------------------------------------------------- inputs


def read_context(folder: Path) -> dict[str, FileSpec]:
    """Every file under ``folder`` (keeping modes), except Dockerfiles and huge files."""
    files: dict[str, FileSpec] = {}
    for p in sorted(folder.rglob("*")):
        if not p.is_file() or p.name == "Dockerfile" or p.stat().st_size > MAX_CONTEXT_FILE:
            continue
        files[str(p.relative_to(folder))] = (p.read_bytes(), p.stat().st_mode & 0o777)
    return files


def capstone_context() -> dict[str, FileSpec]:
    """The capstone's build context: the app, its data, and dumb-init's source.

    dumb-init's source distribution is the one notebook 05 uses (downloaded
    from PyPI once, checked by sha256, cached).
    """
    from .pid1 import dumb_init_sdist

    files = read_context(CAPSTONE)
    files.pop("README.md", None)
    files["dumb-init.tar.gz"] = dumb_init_sdist().read_bytes()
    return files


def _inputs(source, context) -> tuple[str, dict[str, FileSpec], str]:
    """(Dockerfile text, context files, label) from what :func:`score` was given."""
    path = None
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source
                                    and Path(source).exists()):  # fmt: skip
        path = Path(source)
        if path.is_dir():
            path = path / "Dockerfile"
        if not path.is_file():
            raise DockerlabError(f"No Dockerfile at {path}.")
        text, label = path.read_text(), str(path)
    elif isinstance(source, str):
        text, label = source, "Dockerfile text"
    else:
        raise DockerlabError("score() takes a Dockerfile's path or its text.")
    if context is None and path is not None:
        context = path.parent
    if context is None:
        files: dict[str, FileSpec] = {}
    elif isinstance(context, Mapping):
        files = dict(context)
    else:
        folder = Path(context)
        if not folder.is_dir():
            raise DockerlabError(f"The build context {folder} is not a folder.")
        files = (
            capstone_context() if folder.resolve() == CAPSTONE.resolve() else read_context(folder)
        )
    return text, files, label


# --------------------------------------------------------------------------- bases


def parse_bases(dockerfile: str) -> list[str]:
    """The base images of every FROM (stage names and ``scratch`` left out)."""
    parser = DockerfileParser(fileobj=io.BytesIO(dockerfile.encode()))
    stages: set[str] = set()
    bases = []
    for line in parser.structure:
        if line["instruction"] != "FROM":
            continue
        parts = line["value"].split()
        parts = [p for p in parts if not p.startswith("--")]
        if not parts:
            continue
        if parts[0].lower() not in stages and parts[0] != "scratch":
            bases.append(parts[0])
        if len(parts) == 3 and parts[1].lower() == "as":
            stages.add(parts[2].lower())
    return bases


def unpinned(base: str) -> bool:
    """True for a base with no tag, the tag ``latest``, and no digest."""
    if "@sha256:" in base:
        return False
    last = base.rsplit("/", 1)[-1]
    return ":" not in last or last.endswith(":latest")


def _substitute(dockerfile: str, notes: list[str]) -> str:
    """Map missing untagged/latest catalog bases to the catalog's image (offline only)."""
    by_repo = {c.default.rsplit(":", 1)[0]: c.ref for c in CATALOG.values()}
    out = dockerfile
    for base in dict.fromkeys(parse_bases(dockerfile)):
        if not unpinned(base) or "@" in base:
            continue
        repo = base.removesuffix(":latest")
        target = by_repo.get(repo.removeprefix("docker.io/").removeprefix("library/"))
        if target is None:
            continue
        try:
            _image(base if ":" in base.rsplit("/", 1)[-1] else f"{base}:latest")
            continue  # present: build with it as written
        except DockerlabError:
            pass
        if registry_reachable():
            continue  # the build will pull it
        pattern = re.compile(rf"(?im)^(\s*FROM\s+(?:--\S+\s+)*){re.escape(base)}(?=\s|$)")
        out = pattern.sub(lambda m, t=target: m.group(1) + t, out)
        notes.append(f"`{base}` (latest) is not on this engine and no registry is reachable: "
                     f"measured with {target} instead; hadolint and the pinning check read "
                     "the Dockerfile as written.")  # fmt: skip
    return out


# --------------------------------------------------------------------------- measures


def analyse_and_search(image, secrets: list[str]) -> tuple[layers.LayerAnalysis, pd.DataFrame]:
    """The layer analysis and every place the image holds a secret, in ONE ``docker save`` pass.

    One :func:`dockerlab.layers.search_many` pass for every secret (a 300 MB
    image is read once, not once per secret). Also reports
    environment variables whose *name* says secret (:data:`SECRET_NAME`) when
    their value was not found already.

    Returns:
        (the analysis; one row per place: ``where``, ``layer``, ``instruction``,
        ``path``, ``secret`` (the value's first characters, or the variable's name)).
    """
    analysis, hits = layers.search_many(image, secrets)
    rows = [{"where": h.where, "layer": h.layer, "path": h.path, "secret": h.needle[:6] + "..."}
            for h in hits.itertuples()]  # fmt: skip
    found = {r["path"] for r in rows}
    env = (analysis.config.get("config") or {}).get("Env") or []
    for i, entry in enumerate(env):
        name = entry.split("=", 1)[0]
        if SECRET_NAME.search(name) and f"config.Env[{i}]" not in found:
            rows.append({"where": "config", "layer": None, "path": f"config.Env[{i}]",
                         "secret": name})  # fmt: skip
    df = pd.DataFrame(rows, columns=["where", "layer", "path", "secret"]).drop_duplicates()
    df["layer"] = df["layer"].astype("Int64")
    df.insert(2, "instruction", [analysis.layers["instruction"].get(i, "") if pd.notna(i) else ""
                                 for i in df["layer"]])  # fmt: skip
    return analysis, df.reset_index(drop=True)


_PROCSTAT: bytes | None = None


def procstat_tar() -> bytes:
    """A tar holding ``.dockerlab-procstat``: ``assets/procstat.c`` built static (musl).

    It is copied into the running container under test and run there with
    ``docker exec``, so zombies are counted from the container's own ``/proc``
    in any image, FROM scratch included. (``docker top`` cannot count them: on
    this engine a zombie has already left the container's cgroup, so ``top``
    does not list it.) Built once per process; the build image is removed.
    """
    global _PROCSTAT
    if _PROCSTAT is None:
        dockerfile = (f"FROM {ref('builder')}\nCOPY procstat.c /src/procstat.c\n"
                      "RUN musl-gcc -static -Os -o /procstat /src/procstat.c && strip /procstat\n")  # fmt: skip
        with (
            build(dockerfile, {"procstat.c": assets.text("procstat.c")}, progress=False) as img,
            created(img, "score") as box,
        ):
            data = b"".join(box.get_archive("/procstat")[0])
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            binary = tar.extractfile(tar.getmembers()[0]).read()
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            info = tarfile.TarInfo(".dockerlab-procstat")
            info.size, info.mode = len(binary), 0o755
            tar.addfile(info, io.BytesIO(binary))
        _PROCSTAT = buf.getvalue()
    return _PROCSTAT


def count_zombies_inside(box: DemoContainer) -> int | None:
    """Zombies in a running container, read from its own ``/proc`` (None if impossible)."""
    try:
        box.container.put_archive("/", procstat_tar())
    except docker.errors.APIError:
        return None  # e.g. a read-only root filesystem
    result = box.exec(["/.dockerlab-procstat"])
    if result.exit_code != 0:
        return None
    return count_zombies(parse_stat(result.output))


def run_checks(image, env: Mapping[str, str], settle: float, grace: int) -> dict:
    """Run the image's default command: works, zombies, stop time, uid of PID 1."""
    out: dict[str, object] = {}
    procstat_tar()  # built before the clock starts
    with start(image, None, environment=dict(env), pids=64, role="score") as box:
        time.sleep(settle)
        status = box.status
        if status == "running":
            top = box.container.top(ps_args="-o pid,uid,comm")
            rows = pd.DataFrame(top.get("Processes") or [], columns=top.get("Titles"))
            out["uid"] = int(rows["UID"].iloc[0]) if len(rows) else None
            out["zombies"] = count_zombies_inside(box)
            out["stop_s"], code = box.stop(timeout=grace)
        else:
            code = box.reload().container.attrs["State"]["ExitCode"]
            out.update(zombies=0, stop_s=0.0, uid=None)
        out["exit_code"], out["status"] = code, status
        out["output"] = box.logs()
    return out


def score(
    source,
    context=None,
    *,
    label: str | None = None,
    secrets: list[str] | None = None,
    env: Mapping[str, str] | None = None,
    settle: float = 1.5,
    grace: int = 3,
    works: str | None = None,
    timeout: float = 600,
    progress: bool = False,
) -> Scorecard:
    """Build a Dockerfile and measure it on every practice of the course.

    Args:
        source: A Dockerfile's path (or its folder), or its text.
        context: The build context: a folder, or a mapping of files (see
            :func:`dockerlab.build.context_tar`). Default: the Dockerfile's
            folder (the capstone's folder also gets dumb-init's source).
        label: Name in tables and plots (default: the path).
        secrets: Secret values to look for in the image (default: the capstone's
            fake token).
        env: Environment of the test run (default: the capstone's, which gives
            the token at run time, where it belongs).
        settle: Seconds the container runs before it is examined.
        grace: ``docker stop`` grace period, in seconds.
        works: Text the output must contain for "the app works" (default: the
            capstone's ``"rows, total"``; ``""`` accepts any run that starts).
        timeout: Seconds the build may take.
        progress: Show the build's progress.

    Returns:
        The :class:`Scorecard`; nothing it built is left on the engine.

    Raises:
        BuildFailed: The Dockerfile does not parse or build (the message says why).
        BuildTimeout: The build took longer than ``timeout``.
    """
    text, files, default_label = _inputs(source, context)
    secrets = [CAPSTONE_TOKEN] if secrets is None else list(secrets)
    env = CAPSTONE_ENV if env is None else env
    works = "rows, total" if works is None else works
    notes: list[str] = []
    findings = lint.lint(text)
    bases = parse_bases(text)
    with build(_substitute(text, notes), files, timeout=timeout, progress=progress) as img:
        info = _image(img)
        analysis, hits = analyse_and_search(img, secrets)
        surface = attack_surface(img)
        ran = run_checks(img, env, settle, grace)
    if ran["status"] != "running":
        notes.append(f"The container had exited (code {ran['exit_code']}) after {settle:g} s, "
                     "so zombies and stop time say nothing.")  # fmt: skip
    if ran["status"] == "running" and ran["zombies"] is None:
        notes.append("Zombies could not be counted: the kit's /proc reader could not be copied "
                     "into the container or run there (a read-only root filesystem?).")  # fmt: skip
    values = {
        "size_mb": round(info.attrs["Size"] / 1e6, 2),
        "layers": len(info.attrs["RootFS"].get("Layers", [])),
        "wasted_mb": round(analysis.wasted_bytes / 1e6, 2),
        "packages": surface["packages"],
        "shells": surface["shells"],
        "hadolint": int(findings["level"].isin(["error", "warning"]).sum()),
        "unpinned": sum(unpinned(b) for b in bases),
        "secrets": len(hits),
        "works": works in ran["output"],
        "zombies": ran["zombies"],
        "stop_s": round(float(ran["stop_s"]), 2),
        "uid": ran["uid"],
    }
    return Scorecard(label or default_label, text, values, findings, hits, notes, ran["output"])


# --------------------------------------------------------------------------- side by side

#: What the plot shows, per panel: (key, title). Lower is better in every one.
PLOTTED = [
    ("size_mb", "image size (MB, log)"),
    ("layers", "filesystem layers"),
    ("wasted_mb", "wasted (MB)"),
    ("packages", "OS packages"),
    ("hadolint", "hadolint warnings+errors"),
    ("secrets", "places holding the secret"),
    ("zombies", "zombies after running"),
    ("stop_s", "docker stop (s)"),
]
_COLORS = ["#d62728", "#2ca02c", "#1d63ed", "#f29111"]


def compare(cards: Mapping[str, Scorecard] | list[Scorecard]) -> pd.DataFrame:
    """Scorecards side by side: one row per measure, one column per card."""
    items = cards.items() if isinstance(cards, Mapping) else [(c.label, c) for c in cards]
    cols = {}
    for name, card in items:
        cols[name] = [_show(card.values.get(k), unit) for k, _l, unit, *_ in MEASURES]
    df = pd.DataFrame(cols, index=[label for _k, label, *_ in MEASURES])
    df["target"] = [t for *_x, t, _test in MEASURES]
    return df


def plot(cards: Mapping[str, Scorecard] | list[Scorecard], *, title: str | None = None):
    """Small multiples: one panel per measure, one bar per scorecard; lower is better.

    The uid of PID 1 is written in the title (root or not).
    """
    items = list(cards.items() if isinstance(cards, Mapping) else [(c.label, c) for c in cards])
    fig, axes = plt.subplots(2, 4, figsize=(12.5, 6.8))
    names = [n for n, _ in items]
    colors = [_COLORS[i % len(_COLORS)] for i in range(len(items))]
    for ax, (key, panel) in zip(axes.flat, PLOTTED, strict=True):
        values = [float(c.values.get(key) or 0) for _, c in items]
        bars = ax.bar(range(len(items)), values, color=colors)
        if key == "size_mb":
            ax.set_yscale("log")
            ax.set_ylim(min(0.5, min(v for v in values if v > 0) / 3), max(values) * 4)
        else:
            ax.set_ylim(0, max(max(values) * 1.3, 1))
        ax.set_xticks(range(len(items)), names)
        ax.bar_label(bars, labels=[f"{v:.3g}" if v else "0" for v in values], fontsize=9, padding=2)
        ax.set_title(panel, fontsize=10)
    who = ", ".join(f"{n}: uid {c.values.get('uid')}" + (" (root)" if c.values.get("uid") == 0
                                                           else "") for n, c in items)  # fmt: skip
    fig.suptitle(title or f"Every practice, measured (lower is better). PID 1 runs as {who}",
                 fontweight="bold")  # fmt: skip
    return fig


__all__ = [
    "CAPSTONE",
    "CAPSTONE_ENV",
    "CAPSTONE_TOKEN",
    "MEASURES",
    "Scorecard",
    "analyse_and_search",
    "capstone_context",
    "compare",
    "count_zombies_inside",
    "parse_bases",
    "plot",
    "procstat_tar",
    "read_context",
    "run_checks",
    "score",
    "unpinned",
]
