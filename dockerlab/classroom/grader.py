"""Regrade learners by measurement: every question's check re-run on a trusted engine.

``python -m dockerlab grade`` (run by the instructor) takes each learner's answers from
her saved exercise notebooks (:mod:`dockerlab.classroom.answers`: literals only, nothing
of hers is run as the instructor) and runs each question's own check on them, on the
engine the grader was given, never a learner's. Each check runs in a process of its own
(:mod:`dockerlab.classroom.check_one`) with:

- a session of its own, removed afterwards (also when the check is killed);
- a progress file of its own, thrown away: the grader writes no one's progress;
- a time limit (``time_limit`` seconds), after which it is killed and scores nothing;
- on the kit's private engine, the learner's budget (memory, processes, CPU) as the limit
  of every container and build step of that engine together, while her answers run
  (the grader runs one learner's questions at a time).

The progress file a learner keeps is never read here: a grade is what was measured.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from dockerlab.classroom import answers as answers_
from dockerlab.classroom.learners import Budget, Class, limits
from dockerlab.errors import GradingError
from dockerlab.exercises.outcome import NOT_ATTEMPTED, NOT_YET, PASSED

#: Seconds one question's check may take (a build's own limit is 300 s, plus running it).
TIME_LIMIT = 420.0
#: Where a class's learners keep the course (``classroom setup`` copies it there).
COURSE_FOLDER = ("dockerlab", "exercises")


@dataclass
class Graded:
    """One question of one learner, regraded."""

    key: str  #: "smaller.q1"
    question: str  #: "smaller: Q1: hello under 1 MB"
    status: str  #: passed, not yet, not attempted
    message: str  #: what the check measured and said (or why it did not run)
    seconds: float  #: how long the check took
    when: str  #: when it was regraded (UTC, ISO 8601)
    notebook: str = ""  #: where the answer was read
    answer_sha256: str = ""  #: of the answer's source text, to tell answers apart

    @property
    def passed(self) -> bool:
        return self.status == PASSED


@dataclass
class LearnerGrade:
    """One learner's regraded questions, in course order."""

    learner: str
    questions: list[Graded] = field(default_factory=list)
    engine: str = ""  #: the engine the checks ran on
    budget: str = ""  #: what bounded them

    @property
    def points(self) -> int:
        return sum(q.passed for q in self.questions)

    @property
    def possible(self) -> int:
        return len(self.questions)

    @property
    def percent(self) -> float:
        return round(100 * self.points / self.possible, 1) if self.possible else 0.0

    def to_dict(self) -> dict:
        return {
            "learner": self.learner,
            "points": self.points,
            "possible": self.possible,
            "percent": self.percent,
            "engine": self.engine,
            "budget": self.budget,
            "questions": [asdict(q) for q in self.questions],
        }


def folder_submissions(folder: Path | str) -> dict[str, tuple[Path, tuple[str, ...]]]:
    """A folder of submissions, one subfolder per learner (as an LMS or GitHub Classroom
    hands them out): learner -> where her notebooks are. Links are not followed."""
    root = Path(folder)
    if not root.is_dir():
        raise GradingError(f"{root} is not a folder of submissions.")
    out = {
        entry.name: (root, (entry.name,))
        for entry in sorted(os.scandir(root), key=lambda e: e.name)
        if entry.is_dir(follow_symlinks=False) and not entry.name.startswith(".")
    }
    if not out:
        raise GradingError(
            f"{root} holds no learner's folder.",
            hint="Give a folder with one subfolder per learner, each holding her notebooks.",
        )
    return out


def class_submissions(state: Class) -> dict[str, tuple[Path, tuple[str, ...]]]:
    """Each learner of the class on this machine -> her copy of the exercises."""
    return {x.name: (Path(x.home), COURSE_FOLDER) for x in state.learners}


def regrade(
    submissions: dict[str, tuple[Path, tuple[str, ...]]],
    *,
    time_limit: float = TIME_LIMIT,
    budget: Budget | None = None,
    forbidden_hosts: tuple[str, ...] = (),
    say=print,
) -> list[LearnerGrade]:
    """Regrade every learner of ``submissions`` on every question of the course.

    Args:
        submissions: learner -> (folder, path inside it) of her notebooks.
        time_limit: Seconds each question's check may take.
        budget: What each learner's checks may use together (on the kit's private engine).
        forbidden_hosts: Engines the grader must not use (the learners' own).
        say: Where progress lines go.
    """
    from dockerlab.core import engine
    from dockerlab.exercises.course import questions

    host = engine.host()
    if host in forbidden_hosts or "/run/user/" in host:
        raise GradingError(
            f"The grader was given {host}, a learner's own engine: she controls it.",
            hint="Run the grader on an engine of its own: `python -m dockerlab with-engine -- "
            "python -m dockerlab grade ...` as root starts a fresh one of the kit's.",
        )
    described = engine.engine_info().label()
    listed = questions()
    out = []
    for name, (root, inside) in submissions.items():
        found = answers_.learner_answers(root, inside)
        grade = LearnerGrade(name, engine=described)
        with _budget(budget, engine.is_private()) as bounded:
            grade.budget = bounded
            for q in listed:
                graded = _one(q.key, q.label, found.get(q.key), time_limit, host)
                say(f"{name}: {q.label}: {graded.status} ({graded.seconds:.0f} s)")
                grade.questions.append(graded)
        out.append(grade)
    return out


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _one(key: str, label: str, answer, time_limit: float, host: str) -> Graded:
    """One check in a process of its own, killed at ``time_limit``; its session removed."""
    if answer is None:
        return Graded(key, label, NOT_ATTEMPTED, "No answer found in the notebooks.", 0, _now())
    digest = hashlib.sha256(answer.source.encode()).hexdigest()[:16]
    if answer.refused:
        return Graded(key, label, NOT_YET, answer.refused, 0, _now(), answer.notebook, digest)
    sent = {"blank": True} if answer.value is answers_.BLANK else {"value": answer.value}
    try:
        payload = json.dumps(sent)
    except (TypeError, ValueError):
        why = "The answer is a literal the checks do not take (give a string or a dict)."
        return Graded(key, label, NOT_YET, why, 0, _now(), answer.notebook, digest)
    session = f"grade-{uuid.uuid4().hex[:12]}"
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dockerlab-grade-") as tmp:
        result = Path(tmp) / "outcome.json"
        env = dict(
            os.environ,
            DOCKER_HOST=host,
            DOCKERLAB_SESSION=session,
            DOCKERLAB_PROGRESS=str(Path(tmp) / "progress.json"),
            DOCKERLAB_LEARNER="grader",
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "dockerlab.classroom.check_one", key, str(result)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
            text=True,
        )
        try:
            _, err = proc.communicate(payload, timeout=time_limit)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            err = None
        finally:
            _remove_session(session)
        seconds = round(time.monotonic() - started, 2)
        if err is None:
            message = f"The check took longer than the grader's limit of {time_limit:g} s."
            return Graded(key, label, NOT_YET, message, seconds, _now(), answer.notebook, digest)
        if proc.returncode != 0 or not result.exists():
            tail = " ".join((err or "").strip().splitlines()[-1:])
            message = f"The check could not run to its end: {tail or 'no message'}"
            return Graded(key, label, NOT_YET, message, seconds, _now(), answer.notebook, digest)
        said = json.loads(result.read_text())
    return Graded(
        key, label, said["status"], said["message"], seconds, _now(), answer.notebook, digest
    )


def _remove_session(session: str) -> None:
    """Remove what a check's session left (it was killed, or failed half-way)."""
    from dockerlab.core.sessions import cleanup

    with contextlib.suppress(Exception):  # the engine's own error is the check's message
        cleanup(session)


@contextlib.contextmanager
def _budget(budget: Budget | None, private: bool):
    """Bound every container of the kit's private engine by ``budget`` while one learner's
    answers run, then lift it; yields what bounds them, in words."""
    from dockerlab.engines.private import ENGINE_PIDS_MAX, cgroup_name

    if budget is None:
        yield "the grader's time limit per question and the kit's limits per container"
        return
    base = Path("/sys/fs/cgroup")
    v2 = (base / "cgroup.controllers").exists()
    groups = (
        [base / cgroup_name()]
        if v2
        else [base / c / cgroup_name() for c in ("pids", "memory", "cpu")]
    )
    if not private or os.geteuid() != 0:
        yield (
            "the grader's time limit per question and the kit's limits per container (the "
            "learner's budget is applied on the kit's private engine only, as root)"
        )
        return
    written = []
    try:
        for group in groups:
            with contextlib.suppress(OSError):
                group.mkdir(exist_ok=True)
                for knob, value in limits(budget).items():
                    if (group / knob).exists():
                        with contextlib.suppress(OSError):
                            (group / knob).write_text(value)
                            written.append(group / knob)
        yield (
            f"the learner's budget ({budget.memory} memory, {budget.pids} processes, "
            f"{budget.cpus:g} CPU) for all the engine's containers together, and the "
            f"grader's time limit per question"
            if written
            else "the grader's time limit per question (no cgroup could be written here)"
        )
    finally:
        unlimited = {"pids.max": str(ENGINE_PIDS_MAX), "cpu.cfs_period_us": ""}
        for path in reversed(written):  # memory+swap before memory: it may not be below it
            value = unlimited.get(path.name, "max" if v2 else "-1")
            with contextlib.suppress(OSError):
                if value:
                    path.write_text(value)
