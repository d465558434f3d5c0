"""``python -m dockerlab grade`` on the real engine: real answers regraded, a forged
progress file that changes nothing, and a submission that tries to reach the grader.

The class is made of its state file and learners' homes in a folder of the test's (the
grader reads a learner's home and never uses her user or engine, so no Unix user is
made here; tests/integration/test_classroom.py makes real ones for the class itself).
"""

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dockerlab.classroom import learners as classroom
from dockerlab.core import engine
from dockerlab.core.sessions import sessions
from dockerlab.engines.private import cgroup_name

pytestmark = pytest.mark.usefixtures("nothing_left")
ROOT = Path(__file__).resolve().parents[2]


def notebook(*cells: str) -> str:
    return json.dumps(
        {"cells": [{"cell_type": "code", "source": c, "metadata": {}} for c in cells]}
    )


def grade(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dockerlab", "grade", *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip


def forged(home: Path) -> None:
    """'passed' on every question, written by the learner into her own progress file."""
    from dockerlab.exercises.course import questions

    p = home / ".local/share/dockerlab/progress.json"
    p.parent.mkdir(parents=True)
    when = "2026-12-06T09:00:00+00:00"
    p.write_text(json.dumps({q.key: {"passed": when, "tries": 1, "last": when}
                             for q in questions()}))  # fmt: skip


def test_a_class_is_regraded_by_measurement_and_a_forged_progress_file_changes_nothing(
    bases, tmp_path
):
    """Her solutions pass, his wrong answers do not, and both wrote "passed" everywhere
    in their own progress files: the grades are what was measured."""
    home = tmp_path / "class"
    alice, bob = tmp_path / "alice", tmp_path / "bob"
    for who in (alice, bob):
        (who / "dockerlab/exercises").mkdir(parents=True)
        forged(who)
    shutil.copy(ROOT / "exercises/solutions/01-smaller-images.ipynb", alice / "dockerlab/exercises")
    (bob / "dockerlab/exercises/01-smaller-images.ipynb").write_text(notebook(
        "import dockerlab as dl\nfrom dockerlab.exercises.smaller import ____, q1, q2",
        "dockerfile = f'FROM {dl.ref(\"debian\")}\\nCMD [\"true\"]\\n'\nq1.check(dockerfile)",
        'dockerfile = """FROM alpine\nCMD ["cat", "/etc/alpine-release"]\n"""\nq2.check(dockerfile)',
    ))  # fmt: skip
    env = dict(os.environ, DOCKERLAB_CLASSROOM=str(home),
               DOCKERLAB_PROGRESS=str(tmp_path / "instructor-progress.json"))  # fmt: skip
    old = classroom.HOME
    classroom.HOME = home
    try:
        learners = [classroom.Learner(n, 65534, 65534, str(tmp_path / n)) for n in ("alice", "bob")]
        classroom.Class(learners=learners).save()
    finally:
        classroom.HOME = old
    out = grade("--class", "--csv", str(tmp_path / "g.csv"), "--json", str(tmp_path / "g.json"),
                "--junit", str(tmp_path / "g.xml"), "--fail-under", "20", env=env)  # fmt: skip
    assert out.returncode == 1, out.stdout + out.stderr  # bob is under 20 %
    assert "under 20%: bob" in out.stdout
    data = {x["learner"]: x for x in json.loads((tmp_path / "g.json").read_text())["learners"]}
    status = {n: {q["key"]: q["status"] for q in data[n]["questions"]} for n in data}
    assert status["alice"]["smaller.q1"] == status["alice"]["smaller.q2"] == "passed"
    assert status["alice"]["smaller.q3"] == "passed"
    assert data["alice"]["points"] == 3  # her forged file says 13
    assert status["bob"]["smaller.q1"] == status["bob"]["smaller.q2"] == "not yet"
    assert data["bob"]["points"] == 0
    rows = list(csv.DictReader((tmp_path / "g.csv").open()))
    assert [(r["SIS Login ID"], r["dockerlab exercises"]) for r in rows] == [("alice", "3"),
                                                                          ("bob", "0")]  # fmt: skip
    assert "<testsuite" in (tmp_path / "g.xml").read_text()
    kept = home / "grades"
    assert os.stat(kept).st_uid == 0 and os.stat(kept).st_mode & 0o777 == 0o700
    assert not (tmp_path / "instructor-progress.json").exists()  # the grader wrote no progress
    if engine.is_private():  # the learner's budget bounded the engine's containers; lifted now
        group = Path("/sys/fs/cgroup/memory") / cgroup_name()
        if group.is_dir():
            assert int((group / "memory.limit_in_bytes").read_text()) > 2**31
    view = subprocess.run(
        [sys.executable, "-c", "from dockerlab.classroom import view\n"
         "print(view.class_progress().to_json())"],
        env=env, cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    cells = json.loads(view.stdout)
    assert all(c.startswith("regraded-") for c in cells["bob"].values())  # not his "passed"
    assert sum(c.startswith("regraded-passed") for c in cells["alice"].values()) == 3
    assert not [s for s in sessions() if s.startswith("grade-")]  # every check's removed


def test_a_submission_that_tries_to_reach_the_grader_gets_nothing(bases, tmp_path):
    secret = tmp_path / "instructor-secret.txt"
    secret.write_text("the instructor's secret")
    mallory = tmp_path / "subs" / "mallory"
    mallory.mkdir(parents=True)
    forged(mallory)
    (mallory / "linked.ipynb").symlink_to(ROOT / "exercises/solutions/01-smaller-images.ipynb")
    (mallory / "ex.ipynb").write_text(notebook(
        "import dockerlab as dl\nfrom dockerlab.exercises.smaller import q1, q2, q3\n"
        "from dockerlab.exercises.init import q2 as init_q2",
        # her kernel's code: never run by the grader
        f"import shutil; shutil.copy({str(secret)!r}, '/tmp/stolen')\n"
        f"dockerfile = open({str(secret)!r}).read()\nq1.check(dockerfile)",
        # a build that reaches for the network and the engine's socket
        'dockerfile = """FROM alpine:3.23\nRUN wget -T 3 -qO /x http://1.1.1.1/ '
        '&& ls /var/run/docker.sock /run/docker.sock\nCMD ["cat", "/x"]\n"""\nq2.check(dockerfile)',
        'dockerfile = "FROM scratch\\nCOPY instructor-secret.txt /app/one.txt\\n"\nq3.check(dockerfile)',
        'init_q2.check({"init": True, "volumes": {"/var/run/docker.sock": '
        '{"bind": "/s", "mode": "rw"}}})',
    ))  # fmt: skip
    env = dict(os.environ, DOCKERLAB_PROGRESS=str(tmp_path / "p.json"))
    out = grade(str(tmp_path / "subs"), "--json", str(tmp_path / "g.json"), "--fail-under", "1",
                env=env)  # fmt: skip
    assert out.returncode == 1, out.stdout + out.stderr
    data = json.loads((tmp_path / "g.json").read_text())["learners"]
    assert [x["learner"] for x in data] == ["mallory"] and data[0]["points"] == 0
    said = {q["key"]: q for q in data[0]["questions"]}
    assert "literal" in said["smaller.q1"]["message"]  # her open() was never run
    assert said["smaller.q2"]["status"] == "not yet"  # no network in the build
    assert said["smaller.q3"]["status"] == "not yet"  # the file is not in the build context
    assert "Not allowed here: volumes" in said["init.q2"]["message"]
    assert not Path("/tmp/stolen").exists()
    assert "instructor's secret" not in (tmp_path / "g.json").read_text() + out.stdout + out.stderr
    assert not [s for s in sessions() if s.startswith("grade-")]
