"""What Zero to JupyterHub's hub does with the chart's ``singleuser`` values, for KubeSpawner.

z2jh's hub reads the Helm values (the chart's defaults merged with the instructor's) and
sets KubeSpawner's traits from them in ``jupyterhub/files/hub/jupyterhub_config.py``.
:func:`kubespawner_config` repeats the part of that file that shapes a learner's pod, line
for line, from jupyterhub/zero-to-jupyterhub-k8s at commit 48ea50e3 (chart appVersion
5.5.0): the ``singleuser.*`` trait table, the image, privilege escalation, the home
volume, ``extraVolumes``/``extraVolumeMounts``, ``cmd``, and the cloud metadata block.
:data:`CHART_DEFAULTS` are that commit's ``jupyterhub/values.yaml`` defaults for those
keys. What it leaves out (the hub's database, proxy, authenticator, services, scheduling)
does not change the pod's containers or volumes.
"""

from __future__ import annotations

import copy
import re

from traitlets.config import Config

#: jupyterhub/values.yaml's ``singleuser`` defaults (commit 48ea50e3), the keys read below.
CHART_DEFAULTS = {
    "singleuser": {
        "networkTools": {
            "image": {"name": "quay.io/jupyterhub/k8s-network-tools", "tag": "set-by-chartpress"},
            "resources": {},
        },
        "cloudMetadata": {"blockWithIptables": True, "ip": "169.254.169.254"},
        "events": True,
        "extraAnnotations": {},
        "extraLabels": {"hub.jupyter.org/network-access-hub": "true"},
        "extraEnv": {},
        "lifecycleHooks": {},
        "initContainers": [],
        "extraContainers": [],
        "allowPrivilegeEscalation": False,
        "uid": 1000,
        "fsGid": 100,
        "storage": {
            "type": "dynamic",
            "extraVolumes": None,
            "extraVolumeMounts": None,
            "capacity": "10Gi",
            "homeMountPath": "/home/jovyan",
            "dynamic": {
                "volumeNameTemplate": "volume-{user_server}",
                "storageAccessModes": ["ReadWriteOnce"],
            },
        },
        "image": {"name": "quay.io/jupyterhub/k8s-singleuser-sample", "tag": "set-by-chartpress"},
        "startTimeout": 300,
        "cpu": {"limit": None, "guarantee": None},
        "memory": {"limit": None, "guarantee": "1G"},
        "extraResource": {"limits": {}, "guarantees": {}},
        "cmd": "jupyterhub-singleuser",
        "extraPodConfig": {},
    }
}

_TRAITS = (
    ("pod_name_template", None), ("start_timeout", None),
    ("image_pull_policy", "image.pullPolicy"), ("events_enabled", "events"),
    ("extra_labels", None), ("extra_annotations", None), ("uid", None), ("fs_gid", None),
    ("service_account", "serviceAccountName"), ("storage_extra_labels", "storage.extraLabels"),
    ("node_selector", None), ("lifecycle_hooks", None), ("init_containers", None),
    ("extra_containers", None), ("mem_limit", "memory.limit"),
    ("mem_guarantee", "memory.guarantee"), ("cpu_limit", "cpu.limit"),
    ("cpu_guarantee", "cpu.guarantee"), ("extra_resource_limits", "extraResource.limits"),
    ("extra_resource_guarantees", "extraResource.guarantees"), ("environment", "extraEnv"),
    ("extra_pod_config", None),
)  # fmt: skip


def merged(values: dict) -> dict:
    """The chart's defaults with ``values`` merged in (z2jh.py's ``_merge_dictionaries``)."""

    def merge(a: dict, b: dict) -> dict:
        out = copy.deepcopy(a)
        for key, value in b.items():
            if isinstance(out.get(key), dict) and isinstance(value, dict):
                out[key] = merge(out[key], value)
            else:
                out[key] = copy.deepcopy(value)
        return out

    return merge(CHART_DEFAULTS, values)


def kubespawner_config(values: dict) -> Config:
    """The KubeSpawner configuration z2jh's hub makes of ``values`` (see the module)."""
    cfg = merged(values)

    def get(key: str, default=None):
        value = cfg
        for part in key.split("."):
            if not isinstance(value, dict) or part not in value:
                return default
            value = value[part]
        return value

    c = Config()
    for trait, key in _TRAITS:
        key = key or re.sub(r"_(\w)", lambda m: m.group(1).upper(), trait)
        value = get("singleuser." + key)
        if value is not None:
            setattr(c.KubeSpawner, trait, value)
    image = get("singleuser.image.name")
    if image:
        tag = get("singleuser.image.tag")
        c.KubeSpawner.image = f"{image}:{tag}" if tag else image
    c.KubeSpawner.allow_privilege_escalation = get("singleuser.allowPrivilegeEscalation")
    volumes, volume_mounts = {}, {}
    if get("singleuser.storage.type") == "dynamic":
        c.KubeSpawner.storage_pvc_ensure = True
        c.KubeSpawner.storage_capacity = get("singleuser.storage.capacity")
        c.KubeSpawner.storage_access_modes = get("singleuser.storage.dynamic.storageAccessModes")
        name = get("singleuser.storage.dynamic.volumeNameTemplate")
        volumes = {name: {"name": name, "persistentVolumeClaim": {"claimName": "{pvc_name}"}}}
        volume_mounts = {name: {"mountPath": get("singleuser.storage.homeMountPath"),
                                "name": name,
                                "subPath": get("singleuser.storage.dynamic.subPath")}}  # fmt: skip
    for volume in get("singleuser.storage.extraVolumes") or []:
        volumes[volume["name"]] = volume
    for i, mount in enumerate(get("singleuser.storage.extraVolumeMounts") or []):
        volume_mounts[f"{i}-{mount['name']}"] = mount
    c.KubeSpawner.volumes = volumes
    c.KubeSpawner.volume_mounts = volume_mounts
    c.Spawner.cmd = get("singleuser.cmd")
    if get("singleuser.cloudMetadata.blockWithIptables"):
        tools = get("singleuser.networkTools.image")
        c.KubeSpawner.init_containers = [
            *(c.KubeSpawner.init_containers or []),
            {
                "name": "block-cloud-metadata",
                "image": f"{tools['name']}:{tools['tag']}",
                "command": ["iptables", "--append", "OUTPUT", "--protocol", "tcp",
                            "--destination", get("singleuser.cloudMetadata.ip"),
                            "--destination-port", "80", "--jump", "DROP"],
                "securityContext": {"privileged": True, "runAsUser": 0,
                                    "capabilities": {"add": ["NET_ADMIN"]}},
            },
        ]  # fmt: skip
    return c
