"""The workshop server's model on Kubernetes: Zero to JupyterHub's Helm values.

``python -m dockerlab classroom kubernetes --output values.yaml`` writes the
``singleuser`` values of `Zero to JupyterHub <https://z2jh.jupyter.org/>`_ (z2jh) that
give each learner's pod what :mod:`dockerlab.classroom.learners` gives each learner on one
machine:

- **An engine of her own**: Docker Engine 28 with the containerd image store, in a
  sidecar of her pod (a native sidecar: an init container with ``restartPolicy:
  Always``, so it is up before her notebook starts and ends with the pod). Rootless by
  default: ``docker:28-dind-rootless`` runs ``dockerd`` as uid 1000 inside
  rootlesskit. It still asks for ``privileged: true``, which Docker's documentation of
  rootless Docker in Docker gives as what disables seccomp, AppArmor and the mount masks
  for the nested namespaces; the engine's own processes are not root. Only the sidecar
  gets it: the notebook container keeps z2jh's defaults (uid 1000, no privilege
  escalation).
- **A socket only her pod mounts**: an ``emptyDir`` volume (in memory) shared by her
  notebook and her engine and nothing else; ``DOCKER_HOST`` points at the socket in it.
  No ``hostPath``, never the node's ``/var/run/docker.sock``, and no TCP listener (the
  dind image's entrypoint adds ``tcp://0.0.0.0:2375`` unless its command starts with
  ``dockerd``, which it does here).
- **Her budget as the pod's limits**: memory and CPU split between the notebook
  (:data:`NOTEBOOK_SHARE`) and the engine, whose containers the kernel counts in the
  engine container's cgroup (``DOCKERLAB_CPUS`` tells the kit the engine's CPU limit, so
  that its containers ask for no more: cgroup v1 refuses a quota over the parent's); the
  engine's disk an ``emptyDir`` of ``--disk`` bytes
  (``sizeLimit``, and an ``ephemeral-storage`` limit: the kubelet evicts a pod over it,
  it does not stop the write). A pod's process count cannot be set in a pod's spec: the
  kubelet's ``podPidsLimit`` is per node (:data:`NOT_EXPRESSIBLE`).
- **The course's images**: *loaded* from the bundle ``python -m dockerlab bundle`` made,
  which the notebook image carries (an init container of the notebook image runs
  ``python -m dockerlab load`` once the engine answers), or *served* by a registry the
  cluster reaches (``--registry``: ``DOCKERLAB_IMAGE_<KEY>`` names each base there, and
  ``python -m dockerlab bases`` pulls them).

What a real cluster adds and this module cannot test here: scheduling, volumes,
network policy, the kubelet's eviction (docs/instructor.md, "Kubernetes").

Example:
    >>> values = helm_values(Budget(), notebook_image="reg.example/dockerlab:2026.12")
    >>> values["singleuser"]["extraEnv"]["DOCKER_HOST"]
    'unix:///engine-socket/docker.sock'
"""

from __future__ import annotations

from pathlib import Path

from dockerlab.classroom.learners import Budget
from dockerlab.core.config import CPUS_VARIABLE
from dockerlab.errors import InvalidOption

#: The engine sidecar's image: Docker Engine 28's official rootless Docker in Docker
#: (docker-library/docker, ``28/dind-rootless``: Engine 28.5.2, uid 1000). Pin its digest.
ENGINE_IMAGE = "docker:28-dind-rootless"
#: The same engine, run as root (no rootlesskit): ``--rootful``.
ENGINE_IMAGE_ROOTFUL = "docker:28-dind"
#: Where the socket's volume is mounted, in both containers. Not under ``/run``: the
#: rootless engine copies ``/run`` up into a namespace of its own (rootlesskit
#: ``--copy-up=/run``), where a socket would be out of the notebook's sight.
SOCKET_DIR = "/engine-socket"
SOCKET = f"{SOCKET_DIR}/docker.sock"
#: The engine's data root, on its disk volume (the rootless image's own data folder).
DATA_ROOT = {"rootless": "/home/rootless/.local/share/docker", "rootful": "/var/lib/docker"}
#: Where the notebook image keeps the course's bundle (``python -m dockerlab bundle``).
BUNDLE = "/opt/dockerlab/course-images.tar"
#: The part of the learner's memory and CPU the notebook gets; the engine the rest.
NOTEBOOK_SHARE = 0.25
#: The notebook container's own writable storage (its layer, its ``/tmp``).
NOTEBOOK_STORAGE = "1Gi"
#: The uid and gid z2jh's notebook runs as (its ``singleuser.uid``, ``fsGid``); the rootless
#: engine runs as the same uid, so its socket is the learner's.
UID, GID = 1000, 100
#: Parts of the budget a pod's spec cannot express, and where to set them instead.
NOT_EXPRESSIBLE = {
    "pids": "a pod's process count is the kubelet's podPidsLimit (--pod-max-pids), one "
    "value for every pod of a node: set it on the learners' node pool",
}


def _mebibytes(size: str) -> int:
    from docker.utils import parse_bytes

    try:
        return int(parse_bytes(size)) // 2**20
    except Exception:
        raise InvalidOption(
            f"{size!r} is not a size (such as 2g or 512m).", hint="Use a number and k, m or g."
        ) from None


def engine_cpus(budget: Budget) -> float:
    """The engine sidecar's CPU limit: the learner's CPUs but the notebook's share (to
    a thousandth, Kubernetes' millicpu)."""
    return round(budget.cpus * (1 - NOTEBOOK_SHARE) * 1000) / 1000


def engine_container(budget: Budget, *, image: str = ENGINE_IMAGE, rootless: bool = True) -> dict:
    """The engine sidecar of a learner's pod, as a Kubernetes container (a dict).

    Args:
        budget: The learner's budget (:class:`~dockerlab.classroom.learners.Budget`).
        image: The engine's image (Docker Engine 28's Docker in Docker).
        rootless: Run ``dockerd`` as uid 1000 inside rootlesskit (the image must be a
            ``-dind-rootless`` one); else as root.
    """
    mode = "rootless" if rootless else "rootful"
    memory = _mebibytes(budget.memory)
    dockerd = [
        "dockerd",  # first, so the image's entrypoint adds no TCP listener
        f"--host=unix://{SOCKET}",
        "--feature=containerd-snapshotter=true",
        f"--data-root={DATA_ROOT[mode]}",
        "--bridge=none",
        "--iptables=false",
        "--ip6tables=false",
        "--ip-forward=false",
        "--userland-proxy=false",
    ]
    security: dict = {"privileged": True}
    if rootless:
        security |= {"runAsUser": UID, "runAsGroup": UID, "runAsNonRoot": True}
    else:
        dockerd.append(f"--group={GID}")  # the socket's group: the notebook's gid
    return {
        "name": "engine",
        "image": image,
        "args": dockerd,
        "restartPolicy": "Always",  # a native sidecar: up first, ends with the pod
        "securityContext": security,
        "env": [{"name": "DOCKER_TLS_CERTDIR", "value": ""}],
        "startupProbe": {
            "exec": {"command": ["docker", f"--host=unix://{SOCKET}", "version"]},
            "periodSeconds": 2,
            "failureThreshold": 60,
        },
        "resources": {
            "limits": {
                "memory": f"{memory - int(memory * NOTEBOOK_SHARE)}Mi",
                "cpu": f"{round(engine_cpus(budget) * 1000)}m",
                "ephemeral-storage": f"{_mebibytes(budget.disk)}Mi",
            },
        },
        "volumeMounts": [
            {"name": "engine-socket", "mountPath": SOCKET_DIR},
            {"name": "engine-data", "mountPath": DATA_ROOT[mode]},
        ],
    }


def helm_values(
    budget: Budget,
    *,
    notebook_image: str,
    engine_image: str | None = None,
    rootless: bool = True,
    registry: str | None = None,
) -> dict:
    """Zero to JupyterHub's ``singleuser`` values for the class's model (a dict).

    Args:
        budget: Each learner's budget.
        notebook_image: The learners' notebook image (``name:tag``): JupyterLab, this
            repository installed, and, unless ``registry``, the course's bundle at
            :data:`BUNDLE`.
        engine_image: The engine sidecar's image (default :data:`ENGINE_IMAGE`, or
            :data:`ENGINE_IMAGE_ROOTFUL` when not ``rootless``).
        rootless: The engine runs as uid 1000 (rootless), else as root.
        registry: A registry the cluster reaches that serves the course's bases
            (``registry.class.svc:5000``); None: the bundle is loaded instead.

    Raises:
        InvalidOption: A size of the budget cannot be read, or an image has no tag.
    """
    from dockerlab.core.images import CATALOG

    name, _, tag = notebook_image.rpartition(":")
    if not name or "/" in tag:
        raise InvalidOption(
            f"The notebook image {notebook_image!r} has no tag.",
            hint="Name it as name:tag (z2jh's singleuser.image.name and .tag).",
        )
    engine_image = engine_image or (ENGINE_IMAGE if rootless else ENGINE_IMAGE_ROOTFUL)
    notebook_memory = f"{int(_mebibytes(budget.memory) * NOTEBOOK_SHARE)}M"
    # The engine's CPU limit, which the kit's containers then ask no more than (on cgroup
    # v1 the kernel refuses a container whose quota is over its engine's: config.CPUS_VARIABLE).
    env = {"DOCKER_HOST": f"unix://{SOCKET}", CPUS_VARIABLE: f"{engine_cpus(budget):g}"}
    init = [engine_container(budget, image=engine_image, rootless=rootless)]
    if registry:
        env |= {c.env_var: f"{registry.rstrip('/')}/{c.default}" for c in CATALOG.values()}
    else:
        init.append(
            {
                "name": "course-images",
                "image": notebook_image,
                "command": ["python", "-m", "dockerlab", "load", BUNDLE],
                "env": [{"name": "DOCKER_HOST", "value": env["DOCKER_HOST"]}],
                "securityContext": {
                    "runAsUser": UID,
                    "runAsGroup": GID,
                    "runAsNonRoot": True,
                    "allowPrivilegeEscalation": False,
                },
                "volumeMounts": [{"name": "engine-socket", "mountPath": SOCKET_DIR}],
            }
        )
    return {
        "singleuser": {
            "image": {"name": name, "tag": tag},
            "uid": UID,
            "fsGid": GID,
            "allowPrivilegeEscalation": False,
            "extraEnv": env,
            # JupyterHub's sizes: M is 2**20 bytes (its ByteSpecification), as Kubernetes' Mi.
            "memory": {"limit": notebook_memory, "guarantee": notebook_memory},
            "cpu": {"limit": round(budget.cpus * NOTEBOOK_SHARE, 3)},
            "extraResource": {"limits": {"ephemeral-storage": NOTEBOOK_STORAGE}},
            "initContainers": init,
            "storage": {
                "extraVolumes": [
                    {"name": "engine-socket", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
                    {
                        "name": "engine-data",
                        "emptyDir": {"sizeLimit": f"{_mebibytes(budget.disk)}Mi"},
                    },
                ],
                "extraVolumeMounts": [{"name": "engine-socket", "mountPath": SOCKET_DIR}],
            },
        }
    }


#: The header's warning for a rootful sidecar (tests/integration/test_kubernetes_pods.py shows
#: a privileged container of such an engine writing a node-wide kernel setting).
_ROOTFUL_WARNING = (
    "# ROOTFUL: a --privileged container of a learner's own engine is root on the node\n"
    "# (every other pod's volumes included): only for learners who may be root there.\n"
)

_HEADER = """\
# Zero to JupyterHub values for a dockerlab class, written by
# `python -m dockerlab classroom kubernetes`: per learner's pod, a Docker Engine 28
# sidecar ({mode}; privileged: see below), its socket in an emptyDir only that pod
# mounts, DOCKER_HOST on it, and the learner's budget as the pod's limits
# (memory {memory}, CPU {cpus}, engine disk {disk}). Merge with your own values
# (hub, proxy, auth): `helm upgrade --install class jupyterhub/jupyterhub -f THIS -f yours.yaml`.
#
# The engine container is privileged ({mode} engine: {why});
# the notebook container is not.
# Your cluster must allow privileged pods in the learners' namespace (Pod Security
# Standards "privileged" level for that namespace).
{rootful}# Not expressible in a pod's spec:
{missing}
# Tested without a cluster: tests/unit/test_kubernetes_values.py builds the pod with
# KubeSpawner's own code; tests/integration/test_kubernetes_pods.py emulates two pods.
# Untested here: scheduling, volumes, network policy, eviction (docs/instructor.md).
"""


def write_values(path: str | Path, budget: Budget, **options) -> Path:
    """Write :func:`helm_values` as a YAML file with a header saying what it holds.

    Args:
        path: The file to write.
        budget: Each learner's budget.
        **options: :func:`helm_values`'s keyword arguments.

    Returns:
        The file written.
    """
    import yaml

    values = helm_values(budget, **options)
    rootless = options.get("rootless", True)
    header = _HEADER.format(
        mode="rootless, uid 1000" if rootless else "rootful",
        why="rootlesskit's nested user and mount namespaces need seccomp, AppArmor and "
        "/proc's masks off"
        if rootless
        else "dockerd as root needs mounts, cgroups and namespaces",
        memory=budget.memory,
        cpus=budget.cpus,
        disk=budget.disk,
        rootful="" if rootless else _ROOTFUL_WARNING,
        missing="\n".join(f"# - {what}: {how}" for what, how in NOT_EXPRESSIBLE.items()),
    )
    path = Path(path)
    path.write_text(header + yaml.safe_dump(values, sort_keys=False, width=100))
    return path
