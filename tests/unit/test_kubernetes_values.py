"""The Zero to JupyterHub values of ``python -m dockerlab classroom kubernetes``, checked on
the pod KubeSpawner itself builds from them, with no cluster.

The values go through what z2jh's hub does with them (tests/z2jh_hub.py: the chart's
defaults merged in, then its jupyterhub_config.py's mapping to KubeSpawner's traits), then
``KubeSpawner.get_pod_manifest()`` (jupyterhub-kubespawner from PyPI) makes the learner's
pod, the object the hub would send to the cluster. The contract: no hostPath, no Docker
socket of the node, the engine sidecar alone privileged, the budget as limits, and
DOCKER_HOST on the socket in a volume only this pod has.
"""

from __future__ import annotations

import asyncio
import concurrent.futures

import pytest
import yaml

kubespawner = pytest.importorskip("kubespawner")
from kubernetes_asyncio.client import ApiClient  # noqa: E402
from kubernetes_asyncio.config import kube_config  # noqa: E402
from z2jh_hub import kubespawner_config  # noqa: E402

from dockerlab.__main__ import main  # noqa: E402
from dockerlab.classroom import kubernetes  # noqa: E402
from dockerlab.classroom.learners import Budget  # noqa: E402

NOTEBOOK = "registry.example.org/dockerlab-notebook:2026.12"


class _User:
    """The fields of a hub user KubeSpawner's templates read (``{username}``, ...)."""

    name = "alice"
    id = 7
    url = "/user/alice/"


@pytest.fixture
def no_cluster(tmp_path, monkeypatch):
    """A kubeconfig naming a server nobody runs: KubeSpawner loads it, never calls it."""
    config = tmp_path / "kubeconfig"
    config.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "none", "cluster": {"server": "https://127.0.0.1:9"}}],
                "users": [{"name": "none", "user": {"token": "unused"}}],
                "contexts": [{"name": "none", "context": {"cluster": "none", "user": "none"}}],
                "current-context": "none",
            }
        )
    )
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(config))
    for var in ("KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"):
        monkeypatch.delenv(var, raising=False)


def pod_of(values: dict) -> dict:
    """The learner's pod KubeSpawner makes from the values, as the API would receive it."""

    async def build() -> dict:
        spawner = kubespawner.KubeSpawner(
            config=kubespawner_config(values), user=_User(), _mock=True
        )
        async with ApiClient() as api:
            return api.sanitize_for_serialization(await spawner.get_pod_manifest())

    # In a thread of its own: in a full run a browser test's event loop may be running here.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, build()).result()


def containers(pod: dict) -> dict[str, dict]:
    spec = pod["spec"]
    return {c["name"]: c for c in [*spec.get("initContainers", []), *spec["containers"]]}


@pytest.fixture
def pod(no_cluster):
    return pod_of(kubernetes.helm_values(Budget("2g", 1024, 1.0, "8g"), notebook_image=NOTEBOOK))


def test_no_host_path_and_no_docker_socket_of_the_node(pod):
    assert all("hostPath" not in v for v in pod["spec"]["volumes"])
    text = yaml.safe_dump(pod)
    assert "docker.sock" not in text.replace(kubernetes.SOCKET, "")
    assert "/var/run" not in text and "hostPath" not in text
    assert not pod["spec"].get("hostPID") and not pod["spec"].get("hostNetwork")


def test_the_engine_is_a_sidecar_and_alone_privileged_with_the_notebook(pod):
    by_name = containers(pod)
    engine = by_name["engine"]
    assert engine["image"] == kubernetes.ENGINE_IMAGE
    assert engine["restartPolicy"] == "Always"  # a native sidecar: up before the notebook
    assert pod["spec"]["initContainers"][0]["name"] == "engine"
    assert engine["args"][0] == "dockerd"  # so the dind entrypoint adds no TCP listener
    assert not any(a.startswith("--host=tcp") for a in engine["args"])
    assert "--feature=containerd-snapshotter=true" in engine["args"]
    assert engine["securityContext"]["privileged"] is True
    assert engine["securityContext"]["runAsUser"] == 1000  # rootless
    notebook = by_name["notebook"]
    assert notebook["image"] == NOTEBOOK
    assert notebook["securityContext"].get("privileged") is not True
    assert notebook["securityContext"]["allowPrivilegeEscalation"] is False
    assert notebook["securityContext"]["runAsUser"] == 1000
    # the other privileged container is the chart's own, which blocks cloud metadata
    privileged = {
        n for n, c in by_name.items() if (c.get("securityContext") or {}).get("privileged")
    }
    assert privileged == {"engine", "block-cloud-metadata"}


def test_the_socket_volume_is_the_pods_own_and_docker_host_points_into_it(pod):
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    assert volumes["engine-socket"]["emptyDir"] == {"medium": "Memory", "sizeLimit": "1Mi"}
    by_name = containers(pod)
    for name in ("notebook", "engine", "course-images"):
        mounts = {m["name"]: m["mountPath"] for m in by_name[name]["volumeMounts"]}
        assert mounts["engine-socket"] == kubernetes.SOCKET_DIR, name
    env = {e["name"]: e.get("value") for e in by_name["notebook"]["env"]}
    assert env["DOCKER_HOST"] == f"unix://{kubernetes.SOCKET}"
    assert f"--host=unix://{kubernetes.SOCKET}" in by_name["engine"]["args"]
    # the engine's data is on its own disk volume, not the learner's home
    data = {m["name"]: m["mountPath"] for m in by_name["engine"]["volumeMounts"]}
    assert data["engine-data"] == kubernetes.DATA_ROOT["rootless"]
    assert "engine-data" not in {m["name"] for m in by_name["notebook"]["volumeMounts"]}


def test_the_budget_is_the_pods_limits(pod):
    by_name = containers(pod)
    notebook, engine = by_name["notebook"]["resources"], by_name["engine"]["resources"]
    mib = 2**20
    assert int(notebook["limits"]["memory"]) == 512 * mib  # KubeSpawner writes bytes
    assert engine["limits"]["memory"] == "1536Mi"  # together: the 2g budget
    assert float(notebook["limits"]["cpu"]) + int(engine["limits"]["cpu"][:-1]) / 1000 == 1.0
    assert engine["limits"]["ephemeral-storage"] == "8192Mi"
    # the kit in the notebook knows the engine's CPU limit (its containers ask no more)
    env = {e["name"]: e.get("value") for e in by_name["notebook"]["env"]}
    assert float(env["DOCKERLAB_CPUS"]) == int(engine["limits"]["cpu"][:-1]) / 1000
    assert notebook["limits"]["ephemeral-storage"] == kubernetes.NOTEBOOK_STORAGE
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    assert volumes["engine-data"]["emptyDir"]["sizeLimit"] == "8192Mi"
    assert "pids" in kubernetes.NOT_EXPRESSIBLE  # said in the values' header instead


def test_the_course_images_are_loaded_into_the_engine_before_the_notebook(pod):
    init = [c["name"] for c in pod["spec"]["initContainers"]]
    assert init.index("engine") < init.index("course-images")
    load = containers(pod)["course-images"]
    assert load["image"] == NOTEBOOK
    assert load["command"] == ["python", "-m", "dockerlab", "load", kubernetes.BUNDLE]


def test_served_images_name_the_registry_and_load_nothing(no_cluster):
    values = kubernetes.helm_values(Budget(), notebook_image=NOTEBOOK, registry="reg.class:5000")
    pod = pod_of(values)
    env = {e["name"]: e.get("value") for e in containers(pod)["notebook"]["env"]}
    assert env["DOCKERLAB_IMAGE_DEBIAN"] == "reg.class:5000/debian:trixie"
    assert "course-images" not in containers(pod)


def test_a_rootful_engine_gives_its_socket_to_the_notebooks_group(no_cluster):
    pod = pod_of(kubernetes.helm_values(Budget(), notebook_image=NOTEBOOK, rootless=False))
    engine = containers(pod)["engine"]
    assert engine["image"] == kubernetes.ENGINE_IMAGE_ROOTFUL
    assert "runAsUser" not in engine["securityContext"]
    assert f"--group={kubernetes.GID}" in engine["args"]
    assert f"--data-root={kubernetes.DATA_ROOT['rootful']}" in engine["args"]


def test_the_command_writes_the_values_with_what_they_cannot_say(tmp_path, capsys):
    out = tmp_path / "values.yaml"
    args = ["classroom", "kubernetes", "--notebook-image", NOTEBOOK, "--output", str(out),
            "--memory", "4g", "--cpus", "2", "--disk", "10g"]  # fmt: skip
    assert main(args) == 0
    text = out.read_text()
    assert "podPidsLimit" in text and "privileged" in text  # the header says so
    values = yaml.safe_load(text)
    assert values == kubernetes.helm_values(Budget("4g", 1024, 2.0, "10g"), notebook_image=NOTEBOOK)
    assert str(out) in capsys.readouterr().out


def test_an_image_without_a_tag_is_refused():
    with pytest.raises(kubernetes.InvalidOption):
        kubernetes.helm_values(Budget(), notebook_image="registry.example.org:5000/notebook")


def test_the_notebook_tells_the_kit_its_engines_cpu_limit_which_caps_each_container(
    tmp_path, monkeypatch
):
    # On cgroup v1 a container's CPU quota over its engine's is refused: the notebook's
    # DOCKERLAB_CPUS is the engine's limit, and the kit's containers ask for no more.
    from dockerlab.core.containers import DEFAULT_LIMITS, _options

    values = kubernetes.helm_values(Budget(cpus=1.0), notebook_image=NOTEBOOK)
    single = values["singleuser"]
    engine_limit = single["initContainers"][0]["resources"]["limits"]["cpu"]
    assert engine_limit == "750m"
    assert single["extraEnv"]["DOCKERLAB_CPUS"] == "0.75"
    monkeypatch.setenv("DOCKERLAB_CPUS", single["extraEnv"]["DOCKERLAB_CPUS"])
    options = _options(**DEFAULT_LIMITS, cap_add=(), network="none", role="test")
    assert options["nano_cpus"] == 750_000_000
    monkeypatch.setenv("DOCKERLAB_CPUS", "4")  # an engine with more: the kit's default stays
    assert _options(**DEFAULT_LIMITS, cap_add=(), network="none", role="test")["nano_cpus"] == 1e9
    monkeypatch.setenv("DOCKERLAB_CPUS", "half")
    with pytest.raises(kubernetes.InvalidOption, match="DOCKERLAB_CPUS"):
        _options(**DEFAULT_LIMITS, cap_add=(), network="none", role="test")


def test_the_header_says_a_rootful_sidecar_makes_learners_root_on_the_node(tmp_path):
    # tests/integration/test_kubernetes_pods.py shows it: a privileged container of a rootful
    # engine writes a node-wide kernel setting.
    rootful = kubernetes.write_values(
        tmp_path / "a.yaml", Budget(), notebook_image=NOTEBOOK, rootless=False
    )
    assert "root on the node" in rootful.read_text()
    rootless = kubernetes.write_values(tmp_path / "b.yaml", Budget(), notebook_image=NOTEBOOK)
    assert "root on the node" not in rootless.read_text()
