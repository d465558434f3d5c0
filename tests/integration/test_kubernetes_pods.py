"""Two learners' pods of ``python -m dockerlab classroom kubernetes``, emulated on the kit's engine.

No Kubernetes can run here (no kubelet or API server can be installed), so each pod is
emulated with the run's own engine, from the very values the command writes
(:func:`dockerlab.classroom.kubernetes.helm_values`):

- **the engine sidecar**: a container running Docker Engine 28 (the kit's own binaries,
  ``engines.private.ensure_engine28()``, with this machine's runc, bound read-only: they
  stand for the sidecar's image) with the sidecar's ``dockerd`` arguments, in its rootful
  form, the containerd image store on its own data volume. It is **privileged**, as in the
  values, and it is the only privileged container: dockerd mounts, makes cgroups and
  namespaces. The rootless form (rootlesskit in the container) is not emulated here.
- **the notebook**: a container of an image built here from the course's Debian 12 base
  and the system libraries this machine's Python and the test's environment load, with
  that Python, environment and the repository bound read-only (together they stand for
  the notebook image): every capability dropped, ``no-new-privileges``, no network, a read-only root
  and an in-memory ``/tmp``. It first loads the course's bundle into its engine (the
  values' ``course-images`` init container), then runs notebook 01 and exercise 1 under
  nbval.
- **what they share**: one volume per pod holding the engine's socket (the values'
  ``engine-socket`` emptyDir), and nothing else; ``DOCKER_HOST`` points into it.
- **the pod's limits**: each container gets the memory and CPU limits the values give
  it; the engine's containers run inside the engine container's cgroup, so they count
  against its limit, as in a pod. Processes: a pids limit on each container stands for
  the node's ``podPidsLimit``, which a pod's spec cannot set.

Both pods run at once, and each learner's engine must hold none of the other's
containers. What stays untested: scheduling, real volumes (emptyDir, PVCs), network
policy, the kubelet's eviction, a real cluster's admission of privileged pods.
"""

from __future__ import annotations

import contextlib
import os
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
from dockerlab.core.containers import volume
from dockerlab.core.labels import SESSION
from dockerlab.engines.private import ensure_engine28

REPO = Path(__file__).resolve().parents[2]
LEARNERS = ("alice", "bob")
#: Each learner's budget in this emulation. Two CPUs, so the engine's share (1.5) is at least
#: the one CPU each of the kit's containers asks for: on a cgroup v1 machine (this one) the
#: kernel refuses a container whose CPU quota is over its engine container's (runc: "failed
#: to write 100000: cpu.cfs_quota_us: invalid argument"), which the default budget of one
#: CPU (engine 0.75) met here. On cgroup v2 a child's quota over its parent's is allowed.
BUDGET = Budget(memory="3g", pids=1024, cpus=2.0, disk="8g")
RUN = [
    "notebooks/01-smaller-is-better.ipynb",
    "exercises/01-smaller-images.ipynb",
]
#: Where the notebook container finds the course's bundle and its engine's programs.
BUNDLE_DIR, ENGINE_DIR, RUNC_DIR = "/bundle", "/opt/engine", "/opt/runc"
TEST_LABEL = {"dockerlab.test": "kubernetes-pods"}
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


def _limits() -> tuple[dict, dict, list[str]]:
    """(engine limits, notebook limits, the engine's dockerd arguments), from the values."""
    values = kubernetes.helm_values(BUDGET, notebook_image="emulated:1", rootless=False)
    single = values["singleuser"]
    engine = single["initContainers"][0]
    assert engine["name"] == "engine" and engine["securityContext"] == {"privileged": True}
    limits = engine["resources"]["limits"]
    return (
        {"memory": _mib(limits["memory"]), "cpus": _cpus(limits["cpu"])},
        {"memory": _mib(single["memory"]["limit"]), "cpus": _cpus(single["cpu"]["limit"])},
        engine["args"],
    )


def _host_libraries() -> dict[str, tuple[bytes, int]]:
    """The system libraries this machine's Python and the test's environment load (``ldd``
    of their programs and extension modules), glibc's own left out: the base has them."""
    glibc = ("libc.so", "libm.so", "libdl.so", "libpthread.so", "librt.so", "libresolv.so")
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
    """The notebook image's system part: the course's Debian 12 and those libraries."""
    dockerfile = (
        f"FROM {dl.ref('debian_old')}\n"
        "COPY libs/ /usr/local/lib/notebook/\n"
        "ENV LD_LIBRARY_PATH=/usr/local/lib/notebook\n"
    )
    return dl.build(dockerfile, _host_libraries(), tag="dockerlab/k8s-notebook:test")


def _engine(client, name: str, sock: str, data: str, limits: dict, args: list[str]):
    root = ensure_engine28()
    path = f"{ENGINE_DIR}/usr/sbin:{ENGINE_DIR}/usr/bin:{RUNC_DIR}:/usr/sbin:/usr/bin:/sbin:/bin"
    return client.containers.create(
        dl.ref("debian_old"),
        args,  # "dockerd", then the sidecar's flags
        name=name,
        privileged=True,  # the values' engine sidecar; the only privileged container
        network_mode="none",
        environment={"PATH": path},
        volumes={
            sock: {"bind": kubernetes.SOCKET_DIR, "mode": "rw"},
            data: {"bind": kubernetes.DATA_ROOT["rootful"], "mode": "rw"},
            str(root / "usr"): {"bind": f"{ENGINE_DIR}/usr", "mode": "ro"},
            str(Path("/usr/sbin/runc").resolve()): {"bind": f"{RUNC_DIR}/runc", "mode": "ro"},
        },
        mem_limit=f"{limits['memory']}m",
        memswap_limit=f"{limits['memory']}m",
        nano_cpus=int(limits["cpus"] * 1e9),
        pids_limit=BUDGET.pids,
        labels=TEST_LABEL,
    )


def _engine_answers(container) -> bool:
    code, _ = container.exec_run(["docker", f"--host=unix://{kubernetes.SOCKET}", "version"])
    return code == 0


def _notebook(
    client, image: str, name: str, learner: str, sock: str, limits: dict, bundle_dir: str
):
    python = Path(sys.executable)
    base = Path(sys.base_prefix)
    command = (
        f"{python} -m dockerlab load {BUNDLE_DIR}/course.tar && cd /course && "
        f"{python} -m pytest -p no:cacheprovider -q --nbval-lax --nbval-current-env "
        f"--nbval-cell-timeout=900 {' '.join(RUN)}"
    )
    return client.containers.create(
        image,
        ["sh", "-c", command],
        name=name,
        network_mode="none",
        cap_drop=["ALL"],
        security_opt=["no-new-privileges"],
        read_only=True,
        tmpfs={"/tmp": "size=512m"},
        environment={
            "DOCKER_HOST": f"unix://{kubernetes.SOCKET}",
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


def test_two_pods_each_run_notebook_01_and_exercise_1_on_their_own_engine(engine, bases, tmp_path):
    engine_limits, notebook_limits, dockerd = _limits()
    archive = tmp_path / "course.tar"
    bundle(str(archive), [bases[k] for k in ("debian", "debian_slim", "alpine", "builder")])
    with contextlib.ExitStack() as cleanup:  # undone in reverse: containers, then volumes
        image = _notebook_image()
        cleanup.callback(image.remove)
        pods = {
            learner: (
                cleanup.enter_context(volume("k8s-socket")).name,
                cleanup.enter_context(volume("k8s-data")).name,
            )
            for learner in LEARNERS
        }

        def started(container):
            cleanup.callback(container.remove, force=True)
            try:
                container.start()
            except docker.errors.APIError as e:
                if "unable to apply caps" in str(e):  # see NO_PRIVILEGED
                    pytest.skip(f"{NO_PRIVILEGED}: {e.explanation}")
                raise
            return container

        engines = {
            learner: started(
                _engine(engine, f"k8s-{learner}-engine-{os.getpid()}", sock, data,
                        engine_limits, dockerd)
            )
            for learner, (sock, data) in pods.items()
        }  # fmt: skip
        deadline = time.monotonic() + 120
        while not all(_engine_answers(c) for c in engines.values()):
            for c in engines.values():
                c.reload()
                assert c.status == "running", c.logs(tail=30).decode(errors="replace")
            assert time.monotonic() < deadline, "an engine sidecar did not answer in 120 s"
            time.sleep(1)
        for learner, c in engines.items():
            code, out = c.exec_run(
                ["docker", f"--host=unix://{kubernetes.SOCKET}", "info", "--format",
                 "{{.ServerVersion}} {{.Driver}} {{.DriverStatus}}"]
            )  # fmt: skip
            info = out.decode().strip()
            assert code == 0 and info.startswith("28."), info
            assert "io.containerd.snapshotter.v1" in info, info  # the containerd image store
            print(f"{learner}'s engine: Docker {info}")
        notebooks = {
            learner: started(
                _notebook(engine, image.id, f"k8s-{learner}-notebook-{os.getpid()}", learner,
                          sock, notebook_limits, str(tmp_path))
            )
            for learner, (sock, _) in pods.items()
        }  # fmt: skip
        results = {k: c.wait(timeout=3600)["StatusCode"] for k, c in notebooks.items()}
        logs = {k: c.logs().decode(errors="replace") for k, c in notebooks.items()}
        for learner in LEARNERS:
            print(f"--- {learner}'s notebook pod\n{logs[learner][-3000:]}")
        assert results == {"alice": 0, "bob": 0}, {k: v[-3000:] for k, v in logs.items()}
        for learner in LEARNERS:
            assert " passed" in logs[learner] and " failed" not in logs[learner]
        # Each learner's engine ran containers, all of them her own sessions'.
        for learner, c in engines.items():
            code, out = c.exec_run(
                ["docker", f"--host=unix://{kubernetes.SOCKET}", "events", "--since", "0",
                 "--until", "0s", "--filter", "type=container", "--filter", "event=create",
                 "--format", f'{{{{index .Actor.Attributes "{SESSION}"}}}}']
            )  # fmt: skip
            assert code == 0, out
            seen = set(out.decode().split())
            assert seen == {f"k8s-pod-{learner}"}, (learner, seen)
