"""Two learners' pods of ``python -m dockerlab classroom kubernetes``, emulated on the kit's engine.

No Kubernetes can run here (no kubelet or API server can be installed), so each pod is
emulated with the run's own engine, from the very values the command writes
(:func:`dockerlab.classroom.kubernetes.helm_values`):

- **the engine sidecar**: a container running Docker Engine 28 (the kit's own binaries,
  ``engines.private.ensure_engine28()``, with this machine's runc, bound read-only: they
  stand for the sidecar's image) with the sidecar's ``dockerd`` arguments, the containerd
  image store on its own data volume. It is **privileged**, as in the values, and it is
  the only privileged container. **Rootless** (the values' default), it runs as uid 1000
  inside rootlesskit with the image entrypoint's flags (slirp4netns for its network;
  Debian 12's rootlesskit, slirp4netns, iproute2 and set-uid ``newuidmap``, and a
  subordinate id range for that user, as ``docker:28-dind-rootless`` has them; the
  sidecar itself has no network here, as the learner's containers have none). **Rootful**
  (``--rootful``), ``dockerd`` runs as root.
- **the notebook**: a container of an image built here from the course's Debian 12 base
  and the system libraries this machine's Python and the test's environment load, with
  that Python, environment and the repository bound read-only (together they stand for
  the notebook image): uid 1000 and gid 100 (z2jh's), every capability dropped,
  ``no-new-privileges``, no network, a read-only root and an in-memory ``/tmp``, and the
  values' environment. It first loads the course's bundle into its engine (the values'
  ``course-images`` init container), then runs notebook 01 and exercise 1 under nbval.
- **what they share**: one volume per pod holding the engine's socket (the values'
  ``engine-socket`` emptyDir), and nothing else; ``DOCKER_HOST`` points into it.
- **the pod's limits**: each container gets the memory and CPU limits the values give
  it (the default budget: an engine of 0.75 CPU, which the kit's containers then ask no
  more than, ``DOCKERLAB_CPUS``); the engine's containers run inside the engine
  container's cgroup, so they count against its limit, as in a pod. Processes: a pids
  limit on each container stands for the node's ``podPidsLimit``, which a pod's spec
  cannot set.

Both rootless pods run at once, and each learner's engine must hold none of the other's
containers. Meanwhile alice attacks, through her own engine's API (what her notebook's
socket gives her) and from her notebook: she lists processes (none of bob's, nor her
engine's), looks for any other engine's socket from a container that mounts her engine's
whole filesystem (only her own), and acts as the node's root from a ``--privileged``
container of her engine (writes a node-wide kernel setting, back to the value it has):
refused with the rootless sidecar, whose root is uid 1000 on the node; with the rootful
one it **succeeds**, which this test asserts as a fact about ``--rootful`` (a learner with a
rootful sidecar is root on the node; docs/instructor.md says so). Reading the node's disk,
the plainer attack, is refused here even to the machine's own root (its sandbox), so it
proves nothing either way and is not tried.

What stays untested: scheduling, real volumes (emptyDir, PVCs), network policy (whether
alice reaches bob's server or the hub), the kubelet's eviction, a real cluster's
admission of privileged pods, the real ``docker:28-dind-rootless`` image.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import docker.errors
import pytest

import dockerlab as dl
from dockerlab.classroom import kubernetes
from dockerlab.classroom.learners import Budget
from dockerlab.classroom.workshop import bundle
from dockerlab.core.config import CPUS_VARIABLE
from dockerlab.core.containers import volume
from dockerlab.core.labels import SESSION
from dockerlab.engines.private import _init_binary, ensure_engine28

REPO = Path(__file__).resolve().parents[2]
LEARNERS = ("alice", "bob")
#: Each learner's budget in this emulation: the default CPU (one: the engine gets 0.75, under
#: the one CPU each of the kit's containers asks for by default; on a cgroup v1 machine, this
#: one, the kernel refuses a container whose CPU quota is over its engine container's, runc:
#: "failed to write 100000: cpu.cfs_quota_us: invalid argument", unless the kit knows the
#: engine's limit from the values' DOCKERLAB_CPUS).
BUDGET = Budget(memory="3g", pids=1024, cpus=Budget().cpus, disk="8g")
RUN = [
    "notebooks/01-smaller-is-better.ipynb",
    "exercises/01-smaller-images.ipynb",
]
#: Where the notebook container finds the course's bundle and its engine's programs.
BUNDLE_DIR, ENGINE_DIR, RUNC_DIR = "/bundle", "/opt/engine", "/opt/runc"
TEST_LABEL = {"dockerlab.test": "kubernetes-pods"}
#: A file only a pod's socket volume holds (its learner's name), for the attacks to look for.
MARKER = "dockerlab-pod-owner"
#: Why the emulation cannot run on Debian 12's Engine 20.10 here: a privileged container
#: gets every capability that engine knows, and this machine's bounding set lacks one
#: (CAP_SYS_RESOURCE), so runc refuses to start it. Engine 28 gives only the caps the
#: bounding set holds.
NO_PRIVILEGED = (
    "this engine cannot start a privileged container here (its capability set is more than "
    "this machine's bounding set), and the engine sidecar needs one"
)

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not sys.platform.startswith("linux"),
    reason="the engine containers need the kit's Engine 28 binaries (root, Linux)",
)


def _mib(quantity: str | int) -> int:
    """A Kubernetes memory quantity (``1536Mi``) or JupyterHub size (``768M``) in MiB."""
    text = str(quantity)
    return int(text.removesuffix("Mi").removesuffix("M"))


def _cpus(quantity: str | float) -> float:
    text = str(quantity)
    return int(text[:-1]) / 1000 if text.endswith("m") else float(text)


def _pod_spec(rootless: bool) -> dict:
    """What the values give a learner's pod: the engine's and the notebook's limits, the
    engine's ``dockerd`` arguments and user, the notebook's environment."""
    values = kubernetes.helm_values(BUDGET, notebook_image="emulated:1", rootless=rootless)
    single = values["singleuser"]
    engine = single["initContainers"][0]
    assert engine["name"] == "engine" and engine["securityContext"]["privileged"] is True
    limits = engine["resources"]["limits"]
    return {
        "engine": {"memory": _mib(limits["memory"]), "cpus": _cpus(limits["cpu"])},
        "notebook": {
            "memory": _mib(single["memory"]["limit"]),
            "cpus": _cpus(single["cpu"]["limit"]),
        },
        "dockerd": engine["args"],
        "engine_user": engine["securityContext"].get("runAsUser"),
        "notebook_user": f"{single['uid']}:{single['fsGid']}",
        "env": single["extraEnv"],
    }


def _host_libraries(objects: list[str] | None = None) -> dict[str, tuple[bytes, int]]:
    """The system libraries ``objects`` load (``ldd``; by default this machine's Python and
    the test's environment, its programs and extension modules), glibc's own left out: the
    base has them."""
    glibc = ("libc.so", "libm.so", "libdl.so", "libpthread.so", "librt.so", "libresolv.so")
    if objects is None:
        roots = [Path(sys.base_prefix), Path(sys.prefix)]
        objects = [str(f) for root in roots for f in root.rglob("*.so*") if f.is_file()]
        objects.append(str(Path(sys.base_prefix) / "bin" / Path(sys.executable).resolve().name))
    found = set()
    for i in range(0, len(objects), 200):
        out = subprocess.run(["ldd", *objects[i : i + 200]], capture_output=True, text=True)
        for line in out.stdout.splitlines():
            parts = line.split()
            if "=>" in parts and len(parts) > 2 and parts[2].startswith(("/lib", "/usr/lib")):
                found.add(parts[2])
    return {
        f"libs/{Path(lib).name}": (Path(lib).resolve().read_bytes(), 0o644)
        for lib in sorted(found)
        if not Path(lib).name.startswith(glibc)
    }


def _notebook_image() -> dl.BuiltImage:
    """The notebook image's system part: the course's Debian 12 and those libraries (and
    ``/root`` open to uid 1000: this machine's Python, bound in, may live under it)."""
    dockerfile = (
        f"FROM {dl.ref('debian_old')}\n"
        "COPY libs/ /usr/local/lib/notebook/\n"
        "ENV LD_LIBRARY_PATH=/usr/local/lib/notebook\n"
        "RUN chmod 0755 /root\n"
    )
    return dl.build(dockerfile, _host_libraries(), tag="dockerlab/k8s-notebook:test")


#: The sidecar's image but for Docker Engine 28 itself (bound in), as docker:28-dind-rootless
#: has it: the rootless user uid 1000 with a subordinate id range, set-uid newuidmap and
#: newgidmap, slirp4netns and iproute2's ip (rootlesskit's network; busybox's ip is not
#: enough), /run/user for XDG_RUNTIME_DIR, and the engine's folders (the socket's and the
#: data's volumes start as these, writable, as an emptyDir starts).
_ENGINE_DOCKERFILE = """\
FROM {base}
COPY libs/ /usr/local/lib/sidecar/
COPY newuidmap newgidmap slirp4netns ip /usr/local/bin/
ENV LD_LIBRARY_PATH=/usr/local/lib/sidecar
RUN chmod 4755 /usr/local/bin/newuidmap /usr/local/bin/newgidmap \\
 && mkdir /run/user && chmod 1777 /run/user \\
 && useradd --uid 1000 --create-home rootless \\
 && echo rootless:100000:65536 > /etc/subuid && echo rootless:100000:65536 > /etc/subgid \\
 && mkdir -p -m 1777 {socket_dir} && mkdir -p {data} && chown -R 1000:1000 /home/rootless
"""
#: Programs of this machine the sidecar's image gets (Debian 12's, as its base).
SIDECAR_PROGRAMS = ("newuidmap", "newgidmap", "slirp4netns", "ip")


def _engine_image() -> dl.BuiltImage:
    """The sidecar's image (:data:`_ENGINE_DOCKERFILE`), from this machine's programs."""
    from dockerlab.core.downloads import apt_install

    if not all(shutil.which(p) for p in (*SIDECAR_PROGRAMS, "rootlesskit")):
        apt_install(
            ["uidmap", "rootlesskit", "slirp4netns", "iproute2"],
            "the rootless engine sidecar's emulation",
        )
    programs = {name: shutil.which(name) for name in SIDECAR_PROGRAMS}
    files = {name: (Path(path).read_bytes(), 0o755) for name, path in programs.items()}
    files |= _host_libraries(list(programs.values()))
    dockerfile = _ENGINE_DOCKERFILE.format(
        base=dl.ref("debian_old"),
        socket_dir=kubernetes.SOCKET_DIR,
        data=kubernetes.DATA_ROOT["rootless"],
    )
    return dl.build(dockerfile, files, tag="dockerlab/k8s-engine:test")


def _engine(
    client, image: str, name: str, sock: str, data: str, spec: dict, rootless: bool, attack_dir: str
):
    root = ensure_engine28()
    path = f"{ENGINE_DIR}/usr/sbin:{ENGINE_DIR}/usr/bin:{RUNC_DIR}:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    mode = "rootless" if rootless else "rootful"
    command = spec["dockerd"]  # "dockerd", then the sidecar's flags
    binds = {
        attack_dir: {"bind": "/attack", "mode": "ro"},  # the test's way in for one image
        str(root / "usr"): {"bind": f"{ENGINE_DIR}/usr", "mode": "ro"},
        str(Path("/usr/sbin/runc").resolve()): {"bind": f"{RUNC_DIR}/runc", "mode": "ro"},
        # the engine's init (docker run --init), the image's /usr/local/bin/docker-init
        str(Path(_init_binary()).resolve()): {"bind": "/usr/local/bin/docker-init", "mode": "ro"},
    }
    environment = {"PATH": path}
    if rootless:  # what the dind-rootless image's entrypoint runs for a command "dockerd ..."
        kit = str(Path(shutil.which("rootlesskit")).resolve())
        binds[kit] = {"bind": "/usr/local/bin/rootlesskit", "mode": "ro"}
        environment |= {"HOME": "/home/rootless", "XDG_RUNTIME_DIR": "/run/user/1000"}
        command = [
            "sh", "-c", 'mkdir -p "$XDG_RUNTIME_DIR" && exec "$@"', "dockerd-entrypoint.sh",
            "rootlesskit", "--net=slirp4netns", "--mtu=1500", "--disable-host-loopback",
            "--port-driver=builtin", "--copy-up=/etc", "--copy-up=/run", *command,
        ]  # fmt: skip
    return client.containers.create(
        image,
        command,
        name=name,
        user=str(spec["engine_user"] or 0),
        privileged=True,  # the values' engine sidecar; the only privileged container
        network_mode="none",
        environment=environment,
        volumes={
            sock: {"bind": kubernetes.SOCKET_DIR, "mode": "rw"},
            data: {"bind": kubernetes.DATA_ROOT[mode], "mode": "rw"},
            **binds,
        },
        mem_limit=f"{spec['engine']['memory']}m",
        memswap_limit=f"{spec['engine']['memory']}m",
        nano_cpus=int(spec["engine"]["cpus"] * 1e9),
        pids_limit=BUDGET.pids,
        labels=TEST_LABEL,
    )


def _docker(engine_container, *args: str):
    """The docker CLI in an engine sidecar, against its socket: (exit status, output)."""
    return engine_container.exec_run(["docker", f"--host=unix://{kubernetes.SOCKET}", *args])


def _engine_answers(container) -> bool:
    return _docker(container, "version")[0] == 0


def _notebook(
    client,
    image: str,
    name: str,
    learner: str,
    sock: str,
    spec: dict,
    bundle_dir: str,
    command: str | None = None,
):
    """Her notebook container; by default it loads the course's bundle into her engine and
    runs :data:`RUN` under nbval (else ``command``, a shell command)."""
    python = Path(sys.executable)
    base = Path(sys.base_prefix)
    command = command or (
        f"{python} -m dockerlab load {BUNDLE_DIR}/course.tar && cd /course && "
        f"{python} -m pytest -p no:cacheprovider -q --nbval-lax --nbval-current-env "
        f"--nbval-cell-timeout=900 --basetemp=/tmp/pytest-{learner} {' '.join(RUN)}"
    )  # --basetemp names the learner in the command line, for the process listings
    limits = spec["notebook"]
    return client.containers.create(
        image,
        ["sh", "-c", command],
        name=name,
        user=spec["notebook_user"],  # z2jh's uid and gid
        network_mode="none",
        cap_drop=["ALL"],
        security_opt=["no-new-privileges"],
        read_only=True,
        tmpfs={"/tmp": "size=512m,mode=1777"},
        environment={
            **spec["env"],  # the values' own: DOCKER_HOST, DOCKERLAB_CPUS
            "DOCKERLAB_LEARNER": learner,
            "DOCKERLAB_SESSION": f"k8s-pod-{learner}",
            "DOCKERLAB_CACHE": "/tmp/cache",
            "HOME": "/tmp",
            "PYTHONPATH": "/course",
            "PYTHONDONTWRITEBYTECODE": "1",
            "MPLCONFIGDIR": "/tmp/matplotlib",
        },
        volumes={
            sock: {"bind": kubernetes.SOCKET_DIR, "mode": "rw"},  # the pod's one shared volume
            str(base): {"bind": str(base), "mode": "ro"},  # stand for the notebook image
            sys.prefix: {"bind": sys.prefix, "mode": "ro"},
            str(REPO): {"bind": "/course", "mode": "ro"},
            bundle_dir: {"bind": BUNDLE_DIR, "mode": "ro"},
        },
        mem_limit=f"{limits['memory']}m",
        memswap_limit=f"{limits['memory']}m",
        nano_cpus=int(limits["cpus"] * 1e9),
        pids_limit=BUDGET.pids,
        labels=TEST_LABEL,
    )


class _Pods:
    """Learners' pods started on the kit's engine (engines first, as the native sidecar is);
    everything made is undone by ``cleanup``."""

    def __init__(self, client, cleanup: contextlib.ExitStack, rootless: bool, tmp_path: Path):
        self.client, self.cleanup, self.rootless, self.dir = client, cleanup, rootless, tmp_path
        self.spec = _pod_spec(rootless)
        self.engines: dict = {}
        self.volumes: dict[str, tuple[str, str]] = {}
        tmp_path.chmod(0o755)  # the bound bundle folder: read by uid 1000 too
        image = _engine_image()
        cleanup.callback(image.remove)
        self.engine_image = image.id

    def started(self, container):
        self.cleanup.callback(container.remove, force=True)
        try:
            container.start()
        except docker.errors.APIError as e:
            if "unable to apply caps" in str(e):  # see NO_PRIVILEGED
                pytest.skip(f"{NO_PRIVILEGED}: {e.explanation}")
            raise
        return container

    def start_engines(self, learners) -> None:
        for learner in learners:
            sock = self.cleanup.enter_context(volume("k8s-socket")).name
            data = self.cleanup.enter_context(volume("k8s-data")).name
            self.volumes[learner] = (sock, data)
            name = f"k8s-{learner}-engine-{os.getpid()}"
            self.engines[learner] = self.started(
                _engine(self.client, self.engine_image, name, sock, data, self.spec,
                        self.rootless, str(self.dir))
            )  # fmt: skip
        deadline = time.monotonic() + 120
        while True:
            for c in self.engines.values():
                c.reload()
                assert c.status == "running", c.logs(tail=30).decode(errors="replace")
            if all(_engine_answers(c) for c in self.engines.values()):
                break
            assert time.monotonic() < deadline, "an engine sidecar did not answer in 120 s: " + (
                "\n".join(c.logs(tail=15).decode(errors="replace") for c in self.engines.values())
            )
            time.sleep(1)
        for learner, c in self.engines.items():
            info = self.api(learner, "info", "--format",
                            "{{.ServerVersion}} {{.Driver}} {{.DriverStatus}} {{.SecurityOptions}}")  # fmt: skip
            assert info.startswith("28."), info
            assert "io.containerd.snapshotter.v1" in info, info  # the containerd image store
            assert ("name=rootless" in info) == self.rootless, info
            print(f"{learner}'s engine: Docker {info}")
            # A file only her pod's socket volume holds, for the attacks to look for.
            code, out = c.exec_run(
                ["sh", "-c", f"echo {learner} > {kubernetes.SOCKET_DIR}/{MARKER}"]
            )
            assert code == 0, out

    def attempt(self, learner: str, *args: str) -> tuple[int, str]:
        """The docker CLI against her engine's socket (the API her notebook's socket gives
        her): its exit status and output."""
        code, out = _docker(self.engines[learner], *args)
        return code, out.decode(errors="replace").strip()

    def api(self, learner: str, *args: str) -> str:
        """:meth:`attempt`, which must succeed: its output."""
        code, text = self.attempt(learner, *args)
        assert code == 0, (args, text)
        return text

    def load_attack_image(self, learner: str, image: str) -> str:
        """An image of the course put into her engine (through a folder bound for this)."""
        archive = self.dir / "attack.tar"
        if not archive.exists():
            with archive.open("wb") as f:
                for chunk in self.client.images.get(image).save(named=True):
                    f.write(chunk)
            archive.chmod(0o644)
        code, out = self.engines[learner].exec_run(
            ["sh", "-c", f"docker --host=unix://{kubernetes.SOCKET} load < /attack/attack.tar"]
        )
        assert code == 0, out
        return image


#: A node-wide kernel setting (not one of a namespace's): written back with the value it has,
#: so that nothing changes, by a container that may write it only as the node's root.
NODE_SETTING = "/proc/sys/vm/swappiness"


def _as_node_root(pods: _Pods, learner: str, image: str) -> tuple[list[str], bool, str]:
    """A ``--privileged`` container of her engine: (its uid 0's line of ``uid_map``, split;
    whether it could write the node-wide :data:`NODE_SETTING`; what it printed)."""
    script = (
        "head -1 /proc/self/uid_map; "
        f"v=$(cat {NODE_SETTING}) && echo $v > {NODE_SETTING} && echo wrote-node-setting"
    )
    _, out = pods.attempt(learner, "run", "--rm", "--network=none", "--privileged", image,
                          "sh", "-c", script)  # fmt: skip
    lines = out.splitlines()
    return lines[0].split(), "wrote-node-setting" in lines, out


def _cmdlines(run) -> str:
    return run(["sh", "-c", r'for f in /proc/[0-9]*/cmdline; do tr "\0" " " < "$f"; echo; done'])


def test_two_rootless_pods_run_notebook_01_and_exercise_1_while_alice_attacks_bob(
    engine, bases, tmp_path
):
    archive = tmp_path / "course.tar"
    bundle(str(archive), [bases[k] for k in ("debian", "debian_slim", "alpine", "builder")])
    archive.chmod(0o644)
    with contextlib.ExitStack() as cleanup:  # undone in reverse: containers, then volumes
        pods = _Pods(engine, cleanup, rootless=True, tmp_path=tmp_path)
        image = _notebook_image()
        cleanup.callback(image.remove)
        pods.start_engines(LEARNERS)
        notebooks = {
            learner: pods.started(
                _notebook(engine, image.id, f"k8s-{learner}-notebook-{os.getpid()}", learner,
                          pods.volumes[learner][0], pods.spec, str(tmp_path))
            )
            for learner in LEARNERS
        }  # fmt: skip

        # While both notebooks run, alice attacks bob from her notebook and her engine.
        def in_alice_notebook(command):
            code, out = notebooks["alice"].exec_run(command)
            assert code == 0, out
            return out.decode(errors="replace")

        deadline = time.monotonic() + 300
        while "pytest-alice" not in (seen := _cmdlines(in_alice_notebook)):
            assert time.monotonic() < deadline, f"alice's notebook never ran pytest: {seen}"
            time.sleep(1)
        assert "pytest-bob" not in seen and "dockerd" not in seen, seen  # her pod's own only
        attack = pods.load_attack_image("alice", bases["alpine"])
        hers = pods.api("alice", "run", "--rm", "--network=none", "--pid=host", attack,
                        "sh", "-c", r'for f in /proc/[0-9]*/cmdline; do tr "\0" " " < "$f"; echo; done')  # fmt: skip
        assert "dockerd" in hers and "pytest-bob" not in hers and "pytest-alice" not in hers
        search = f"find /host -path /host/proc -prune -o -path /host/sys -prune -o -name {MARKER} -print 2>/dev/null"
        owners = pods.api(
            "alice", "run", "--rm", "--network=none", "-v", "/:/host", attack,
            "sh", "-c", f"cat $({search})",
        )  # fmt: skip
        assert owners.split() == ["alice"], owners  # her own socket's volume, never bob's
        uid_map, wrote, out = _as_node_root(pods, "alice", attack)
        assert uid_map[:3] == ["0", "1000", "1"], out  # her root is the sidecar's uid 1000
        assert not wrote, f"alice's rootless engine wrote a node-wide kernel setting: {out}"
        print(f"alice's privileged container on her rootless engine: {out}")

        results = {k: c.wait(timeout=3600)["StatusCode"] for k, c in notebooks.items()}
        logs = {k: c.logs().decode(errors="replace") for k, c in notebooks.items()}
        for learner in LEARNERS:
            print(f"--- {learner}'s notebook pod\n{logs[learner][-3000:]}")
        assert results == {"alice": 0, "bob": 0}, {k: v[-3000:] for k, v in logs.items()}
        for learner in LEARNERS:
            assert " passed" in logs[learner] and " failed" not in logs[learner]
        # Each learner's engine ran containers, all of them her own sessions' (and alice's
        # attacks, made through her socket with no session label).
        for learner in LEARNERS:
            out = pods.api(learner, "events", "--since", "0", "--until", "0s", "--filter",
                           "type=container", "--filter", "event=create", "--format",
                           f'{{{{index .Actor.Attributes "{SESSION}"}}}}')  # fmt: skip
            assert set(out.split()) == {f"k8s-pod-{learner}"}, (learner, out)


#: A kit container started from the notebook (its CPU request as the kit makes it).
_KIT_RUN = """
import dockerlab as dl
try:
    print("ran", dl.run({image!r}, "true").exit_code)
except dl.DockerlabError as e:
    print("refused", e)
"""


def test_a_rootful_sidecar_makes_its_learner_root_on_the_node(engine, bases, tmp_path):
    # The reason the values default to rootless: with --rootful, a privileged container of
    # her own engine is the node's uid 0, and writes what only the node's root may (a
    # node-wide kernel setting, written back unchanged). (Reading the node's disk, the
    # plainer attack, this machine's sandbox refuses even to its own root.)
    with contextlib.ExitStack() as cleanup:
        pods = _Pods(engine, cleanup, rootless=False, tmp_path=tmp_path)
        pods.start_engines(["alice"])
        attack = pods.load_attack_image("alice", bases["alpine"])
        uid_map, wrote, out = _as_node_root(pods, "alice", attack)
        assert uid_map == ["0", "0", "4294967295"] and wrote, out

        # Her engine's cgroup enforces the sidecar's 0.75 CPU (a rootless engine on cgroup
        # v1 has no cgroups): the kit's containers start from her notebook because the
        # values tell the kit that limit (DOCKERLAB_CPUS); without it, on cgroup v1, none
        # would, and the kit's error says what to set.
        image = _notebook_image()
        cleanup.callback(image.remove)
        python = Path(sys.executable)
        runs = {}
        for told in (True, False):
            env = {k: v for k, v in pods.spec["env"].items() if told or k != CPUS_VARIABLE}
            script = _KIT_RUN.format(image=attack)
            notebook = pods.started(
                _notebook(engine, image.id, f"k8s-alice-kit-{told}-{os.getpid()}", "alice",
                          pods.volumes["alice"][0], pods.spec | {"env": env}, str(tmp_path),
                          command=f"{python} -c {shlex.quote(script)}")
            )  # fmt: skip
            assert notebook.wait(timeout=300)["StatusCode"] == 0, notebook.logs()
            runs[told] = notebook.logs().decode(errors="replace")
        assert pods.spec["env"][CPUS_VARIABLE] == "0.75"
        assert "ran 0" in runs[True], runs[True]
        if _cgroup_v1():
            assert "refused" in runs[False] and CPUS_VARIABLE in runs[False], runs[False]
        print(f"the kit's container from alice's notebook, told the engine's CPU: {runs[True]}")
        print(f"... and not told: {runs[False]}")


def _cgroup_v1() -> bool:
    """Is the kit's engine (and so the emulated node) on cgroup v1?"""
    return str(dl.client().info().get("CgroupVersion")) == "1"
