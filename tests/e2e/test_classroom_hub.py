"""The recommended workshop set-up end to end: a class made by ``python -m dockerlab
classroom setup``, its JupyterHub configuration served by a real hub, two learners in
their own browser sessions running a notebook at once, each on their own engine.

The hub runs the configuration ``setup`` wrote (``LocalProcessSpawner``: each server
runs as its learner, in their budget, with ``DOCKER_HOST`` on their engine); the test
adds only ports, Debian's proxy and a test authenticator. While both notebooks run,
alice's own kernel, from a notebook she runs in her browser, tries through the raw docker
SDK and the ``docker`` CLI bob's engine and home, a privileged container with the host's
``/`` bound, a memory hog, a prune of her engine and a build whose ``RUN`` is a fork bomb;
then the hub's cookie secret, database and configuration, bob's Jupyter server on its
127.0.0.1 port without the hub's login (real HTTP requests), filling the machine's disk
through her home, and listing bob's processes. Checked: both notebooks pass, each
learner's resources are on their own engine under their own session, alice reached
nothing of bob's nor the hub's, and the instructor's status shows both.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hub_process import finished_notebook, log_in, proxy, running_hub, write_config
from lab_page import RUN_DONE, notebook_json, outputs, run_all

import dockerlab as dl
from dockerlab.classroom import learners as classroom

#: Where the test's class lives: not under pytest's tmp folder (0700: the learners run the
#: class's scripts from it) nor under /tmp or /var/tmp (each learner's server gets its own).
CLASS_PARENT = "/srv"
pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not Path("/dev/loop-control").exists(),
    reason="the classroom is set up by root, with loop devices",
)
LEARNERS = ("hub-alice", "hub-bob")
HOME_SIZE = "512m"
_KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
NOTEBOOK = "notebooks/07-ephemeral-containers.ipynb"


def _cli(*args: str, env: dict, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dockerlab", "classroom", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip


@pytest.fixture(scope="module")
def hub(engine, bases):
    """The class and its hub; yields (url, password, state, env); all removed afterwards."""
    proxy()  # skips the test where there is none
    os.makedirs(CLASS_PARENT, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="dockerlab-class-hub-", dir=CLASS_PARENT))
    folder.chmod(0o755)
    env = {**os.environ, "DOCKERLAB_CLASSROOM": str(folder)}
    made = _cli("setup", *LEARNERS, "--images", "alpine", "--disk", "2g", "--memory", "1g",
                "--pids", "600", "--home", HOME_SIZE, env=env)  # fmt: skip
    try:
        assert made.returncode == 0, made.stdout[-3000:] + made.stderr[-3000:]
        classroom.HOME = folder
        state = classroom.Class.load()
        # What `classroom setup` wrote, unchanged; the test adds only what every test hub has,
        # its files (database, cookie secret, password) beside it, in the hub's folder (0700).
        hub_folder = classroom.hub_folder()
        password, config = secrets.token_hex(8), hub_folder / "test_config.py"
        generated = str(hub_folder / "jupyterhub_config.py")
        url = write_config(config, password=password,
                           first=f"load_subconfig({generated!r})  # noqa: F821")  # fmt: skip
        with running_hub(folder / "venv" / "bin" / "jupyterhub", config, url, hub_folder):
            yield url, password, state, env
    finally:
        gone = _cli("teardown", env=env)
        classroom.HOME = Path("/srv/dockerlab-class")
        assert gone.returncode == 0, gone.stdout + gone.stderr


#: Typed into alice's own notebook, run by her kernel in her browser session (BOB, IMAGE,
#: BOB_HOME set in the cell's first line).
_ALICE_TRIES = """
import docker, io, json, os, subprocess
out = {}
bob = BOB
try:
    docker.DockerClient(base_url=bob, timeout=5).containers.list(all=True)
    out["bobs_engine"] = "reached"
except Exception as e:
    out["bobs_engine"] = type(e).__name__ + ": " + str(e)[:200]
mine = docker.from_env(timeout=300)
try:
    os.listdir(BOB_HOME)
    out["bobs_home"] = "listed"
except OSError as e:
    out["bobs_home"] = type(e).__name__
def run(command, **kw):
    try:
        return mine.containers.run(IMAGE, ["sh", "-c", command], network_mode="none",
                                   remove=True, stderr=True, **kw).decode()
    except docker.errors.ContainerError as e:
        return f"exit {e.exit_status}: " + (e.stderr or b"").decode()[-200:]
out["shadow"] = run("cat /host/etc/shadow", privileged=True, volumes={"/": {"bind": "/host"}})
out["host_write"] = run("touch /host/etc/dockerlab-hub-probe", privileged=True,
                        volumes={"/": {"bind": "/host"}})
out["hog"] = run("head -c 1500000000 /dev/zero | tail > /dev/null")
bomb = "FROM %s\\nRUN b() { b | b & }; b; sleep 20; true\\n" % IMAGE
try:
    mine.images.build(fileobj=io.BytesIO(bomb.encode()), network_mode="none", rm=True,
                      forcerm=True, timeout=300)
    out["bomb_build"] = "finished"
except Exception as e:
    out["bomb_build"] = type(e).__name__ + ": " + str(e)[:200]
cli = subprocess.run(["docker", "-H", bob, "ps", "-a"], capture_output=True, text=True)
out["bobs_engine_cli"] = f"exit {cli.returncode}: {cli.stderr[-200:]}"
mine.containers.prune()
mine.images.prune(filters={"dangling": False})
out["left_after_prune"] = len(mine.images.list())
# The hub's secrets: its cookie secret, database and configuration (the test's has the password).
out["hub_files"] = {}
for path in HUB_FILES:
    try:
        open(path, "rb").read(16)
        out["hub_files"][path] = "read"
    except OSError as e:
        out["hub_files"][path] = type(e).__name__
# Bob's server, straight to its port: no hub login, then with her own server's token.
import urllib.error, urllib.request
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None
opener = urllib.request.build_opener(NoRedirect)
out["bobs_server"] = {}
for what, method, path, headers in (
    ("lab", "GET", "/lab", {}),
    ("contents", "GET", "/api/contents", {}),
    ("new_kernel", "POST", "/api/kernels", {}),
    ("new_kernel_her_token", "POST", "/api/kernels",
     {"Authorization": "token " + os.environ["JUPYTERHUB_API_TOKEN"]}),
):
    url = f"http://127.0.0.1:{BOB_PORT}{BOB_PREFIX}{path.lstrip('/')}"
    request = urllib.request.Request(url, method=method, headers=headers,
                                     data=b"{}" if method == "POST" else None)
    try:
        with opener.open(request, timeout=30) as answer:
            out["bobs_server"][what] = [answer.status, answer.read(300).decode(errors="replace")]
    except urllib.error.HTTPError as e:
        out["bobs_server"][what] = [e.code, e.headers.get("Location") or ""]
# The machine's disk, through her home: write until it is full.
import errno, shutil
free_before, written, fill = shutil.disk_usage("/").free, 0, os.path.expanduser("~/fill")
try:
    with open(fill, "wb") as f:
        chunk = b"x" * (8 << 20)
        while written < (40 << 30):
            f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
            written += len(chunk)
    out["fill"] = "no error"
except OSError as e:
    out["fill"] = errno.errorcode.get(e.errno, str(e.errno))
out["fill_written"], out["free_lost"] = written, free_before - shutil.disk_usage("/").free
os.remove(fill)
# Bob's processes: every process her /proc shows, by owner.
seen = {}
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        seen[pid] = os.stat(f"/proc/{pid}").st_uid
    except OSError:
        pass
out["uids_seen"] = sorted(set(seen.values()))
out["bobs_server_seen"] = str(BOB_SERVER) in seen
out["ps"] = subprocess.run(["ps", "-eo", "uid="], capture_output=True, text=True).stdout.split()
print(json.dumps(out))
"""


def _typed_by_alice(url: str, alice, context, code: str) -> dict:
    """``code`` as one cell of a notebook in alice's folder, run by her kernel from her
    browser session; what its last printed line says (JSON)."""
    import nbformat

    path = Path(alice.home) / "dockerlab" / "tries.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)],
                                            metadata={"kernelspec": _KERNELSPEC}), path)  # fmt: skip
    os.chown(path, alice.uid, alice.gid)
    page = context.new_page()
    page.goto(f"{url}/user/{alice.name}/lab/tree/tries.ipynb?reset")
    run_all(page)
    page.wait_for_function(RUN_DONE, timeout=600_000, polling=1000)
    nb = notebook_json(page)
    page.close()
    errors = [f"{o['ename']}: {o['evalue']}" for o in outputs(nb, "error")]
    assert not errors, errors
    printed = "".join(o["text"] for o in outputs(nb, "stream") if o.get("name") == "stdout")
    return json.loads(printed.strip().splitlines()[-1])


def test_two_learners_each_on_their_own_engine_through_the_classs_hub(hub, browser, artifacts):
    url, password, state, env = hub
    alice, bob = (state.learner(n) for n in LEARNERS)
    sessions = {name: log_in(browser, url, name, password, NOTEBOOK) for name in LEARNERS}
    try:
        bobs_server = _server_pid(bob)
        hub_files = sorted(str(p) for p in classroom.hub_folder().iterdir())
        assert {"cookie_secret", "hub.sqlite", "test_config.py", "jupyterhub_config.py"} <= {
            Path(p).name for p in hub_files}, hub_files  # fmt: skip
        run_all(sessions[bob.name][1])  # bob's notebook runs while alice tries things
        tried = _typed_by_alice(url, alice, sessions[alice.name][0],
                                f"BOB, IMAGE, BOB_HOME = {bob.docker_host!r}, "
                                f"{dl.ref('alpine')!r}, {bob.home!r}\n"
                                f"HUB_FILES, BOB_SERVER = {hub_files!r}, {bobs_server}\n"
                                f"BOB_PORT, BOB_PREFIX = {_port(bobs_server)}, "
                                f"'/user/{bob.name}/'\n" + _ALICE_TRIES)  # fmt: skip
        assert "ermission denied" in tried["bobs_engine_cli"], tried
        assert tried["bobs_engine"].startswith(("DockerException", "PermissionError")), tried
        assert "ermission denied" in tried["bobs_engine"], tried
        assert tried["bobs_home"] == "PermissionError", tried
        assert tried["shadow"].startswith("exit ") and "Permission denied" in tried["shadow"], tried
        assert not Path("/etc/dockerlab-hub-probe").exists()
        assert tried["hog"].startswith("exit "), tried  # killed inside her 1 GB
        assert "bomb_build" in tried  # the fork bomb ran (and ended) inside her budget:
        events = [g / "pids.events" for g in classroom.cgroups(alice.name)
                  if (g / "pids.events").exists()]  # fmt: skip
        assert all(int(e.read_text().split()[-1]) > 0 for e in events), tried  # forks refused
        assert set(tried["hub_files"].values()) == {"PermissionError"}, tried["hub_files"]
        answers = tried["bobs_server"]  # the hub's login, never bob's files nor a kernel
        assert answers["lab"][0] == 302 and "/hub/" in answers["lab"][1], answers
        assert all(answers[k][0] == 403 for k in answers if k != "lab"), answers
        assert tried["fill"] in ("ENOSPC", "EDQUOT"), tried["fill"]
        assert tried["fill_written"] < classroom._bytes(HOME_SIZE), tried["fill_written"]
        assert tried["free_lost"] < classroom._bytes(HOME_SIZE), tried["free_lost"]
        assert tried["uids_seen"] == [alice.uid] and not tried["bobs_server_seen"], tried
        assert set(tried["ps"]) == {str(alice.uid)}, tried["ps"]
        classroom._load_images(alice, classroom.HOME / "course-images.tar")  # she pruned hers
        run_all(sessions[alice.name][1])  # then her own notebook, while bob's may still run
        for name, (_, page) in sessions.items():
            finished_notebook(page, name, LEARNERS, artifacts / f"classroom-{name}.png",
                              timeout_ms=600_000)  # fmt: skip
    finally:
        for context, _ in sessions.values():
            context.close()
    status = _cli("status", env=env)
    assert status.returncode == 0 and status.stdout.count("running") == 2, status.stdout
    for learner in (alice, bob):  # each notebook tidied up after itself, on its own engine
        left = subprocess.run(classroom._as(learner, f"DOCKER_HOST={learner.docker_host}",
                                            "docker", "ps", "-aq"), capture_output=True, text=True)  # fmt: skip
        assert left.stdout.strip() == "", f"{learner.name} has containers left: {left.stdout}"


def _server_pid(learner) -> int:
    """The learner's Jupyter server, as the hub started it (the oldest of theirs)."""
    found = subprocess.run(["pgrep", "-o", "-u", learner.name, "-f", "jupyterhub-singleuser"],
                           capture_output=True, text=True)  # fmt: skip
    assert found.returncode == 0, f"{learner.name} has no server running"
    return int(found.stdout.split()[0])


def _port(pid: int) -> int:
    """The 127.0.0.1 port the process ``pid`` listens on (a learner's Jupyter server)."""
    import psutil

    ports = [c.laddr.port for c in psutil.Process(pid).net_connections(kind="tcp")
             if c.status == psutil.CONN_LISTEN]  # fmt: skip
    assert ports, f"process {pid} listens on no port"
    return ports[0]


def _in_server(learner, script: str) -> subprocess.CompletedProcess:
    """``script`` run as the learner inside their server's mount and IPC namespaces: what
    their notebook's kernel (a child of the server) sees."""
    return subprocess.run(
        ["nsenter", "-t", str(_server_pid(learner)), "-m", "-i", "--", "setpriv",
         f"--reuid={learner.uid}", f"--regid={learner.gid}", "--init-groups",
         "sh", "-c", script], capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_each_learners_server_has_its_own_tmp_and_no_shared_writable_folder(hub, browser):
    url, password, state, _ = hub
    alice, bob = (state.learner(n) for n in LEARNERS)
    for name in LEARNERS:  # their servers run (started now if the test before did not)
        context, _ = log_in(browser, url, name, password, NOTEBOOK)
        context.close()
    mark = f"left-by-alice-{secrets.token_hex(4)}"
    wrote = _in_server(
        alice, " && ".join(f"echo x > {d}/{mark}" for d in classroom.PRIVATE_FOLDERS)
    )
    assert wrote.returncode == 0, wrote.stderr
    for folder in classroom.PRIVATE_FOLDERS:
        assert not Path(folder, mark).exists(), f"alice's {folder} is the machine's"
        seen = _in_server(bob, f"test -e {folder}/{mark} && echo seen || echo absent")
        assert seen.stdout.strip() == "absent", f"bob sees alice's file in {folder}"
    # Every folder and file alice may write to, from her server: all hers, none shared with
    # bob, each of a bounded size (her home's disk, her /run/user tmpfs, the private folders).
    found = _in_server(alice, "find / \\( -path /proc -o -path /sys \\) -prune -o "
                              "\\( -type d -o -type f \\) -writable -print 2>/dev/null; true")  # fmt: skip
    hers = (alice.home, str(alice.runtime), *classroom.PRIVATE_FOLDERS, "/dev/mqueue")
    writable = found.stdout.split()
    assert str(alice.home) in writable and "/tmp" in writable  # the search itself worked
    shared = [d for d in writable if not any(d == h or d.startswith(h + "/") for h in hers)]
    assert not shared, f"alice can write to folders or files that are not hers: {shared}"


_ALICE_CHECKS = """
from dockerlab.exercises import progress_file as progress
from dockerlab.exercises import course
first, second = course.questions()[:2]
progress.record(first.key, passed=False)  # what her exercise checks write, in her own file
progress.record(first.key, passed=True)
progress.record(second.key, passed=False)
print(first.label)
print(second.label)
"""


def test_the_instructors_class_view_shows_each_learners_engine_and_progress(hub, monkeypatch):
    import nbclient
    import nbformat

    _, _, state, env = hub
    alice = state.learner(LEARNERS[0])
    wrote = subprocess.run(classroom._as(alice, str(classroom.HOME / "venv" / "bin" / "python"),
                                         "-c", _ALICE_CHECKS),
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    assert wrote.returncode == 0, wrote.stderr[-2000:]
    first, second = wrote.stdout.split("\n")[:2]
    monkeypatch.setenv("DOCKERLAB_CLASSROOM", env["DOCKERLAB_CLASSROOM"])
    monkeypatch.setenv("DOCKERLAB_CLASS_VIEW_ROUNDS", "1")
    path = Path(__file__).resolve().parents[2] / "instructor" / "class-view.ipynb"
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}).execute()  # fmt: skip
    shown = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in shown if o.get("output_type") == "error"]
    html = "\n".join(o.get("data", {}).get("text/html", "") for o in shown)
    for name in LEARNERS:
        assert name in html, f"{name} is not in the class view"
    assert html.count("<td>running</td>") == 2, "both engines answer"
    assert first in html and second in html  # the questions she checked, as rows
    assert "passed 20" in html and "(2 tries)" in html and "not yet (1 try" in html
    assert html.count("not attempted") > 0
    assert any("image/png" in o.get("data", {}) for o in shown), "the class chart is drawn"
