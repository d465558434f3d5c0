"""What a demo container may ask for: the refusals of ``containers._options``, no engine.

(The same refusals on a real engine, with nothing created, are in
tests/integration/test_no_socket_no_secret.py; named volumes need the engine.)
"""

import pytest

import dockerlab as dl
from dockerlab.core.containers import DEFAULT_LIMITS, _options


def options(**extra):
    return _options(cap_add=extra.pop("cap_add", ()), network=extra.pop("network", "none"),
                    role="test", **{**DEFAULT_LIMITS, **extra})  # fmt: skip


def test_the_defaults_are_there_and_the_callers_other_options_too():
    o = options(init=True, user="1000", read_only=True, labels={"course.example": "x"})
    assert o["network_mode"] == "none" and o["cap_drop"] == ["ALL"] and o["cap_add"] is None
    assert o["security_opt"] == ["no-new-privileges"] and o["pids_limit"] == 128
    assert o["mem_limit"] == o["memswap_limit"] == "256m" and o["nano_cpus"] == 10**9
    assert o["init"] is True and o["user"] == "1000" and o["read_only"] is True
    assert o["labels"]["course.example"] == "x"
    assert o["labels"][dl.labels.SESSION] == dl.labels.SESSION_ID


@pytest.mark.parametrize("option, says", [
    ({"security_opt": ["seccomp=unconfined"]}, "the kit sets these itself"),
    ({"network_mode": "host"}, "Use `network=`"),
    ({"pids_limit": 0}, "Use `pids=`"),
    ({"privileged": True}, "never privileged"),
    ({"pid_mode": "container:abc"}, "another container's namespaces"),
    ({"volumes": {"/etc": {"bind": "/mnt"}}}, "no folder of the host: /etc"),
    ({"volumes": ["/proc:/p:ro"]}, "no folder of the host: /proc"),
    ({"cap_add": ["SYS_PTRACE"]}, "Docker's default set"),
    ({"cap_add": ["CAP_SYS_ADMIN"]}, "Docker's default set"),
    ({"memory": "0"}, "must be limits"),
])  # fmt: skip
def test_refused_with_what_to_do_instead(option, says):
    """A refusal is an UnsafeOption, so a caller tells it from any other failure by its type."""
    with pytest.raises(dl.UnsafeOption, match=says):
        options(**option)


def test_a_capability_of_dockers_own_set_and_false_flags_pass():
    assert options(cap_add=["kill", "CAP_NET_BIND_SERVICE"])["cap_add"] == [
        "kill",
        "CAP_NET_BIND_SERVICE",
    ]
    assert (
        "privileged" not in options(privileged=False) or not options(privileged=False)["privileged"]
    )
    assert options(network="container:abc")["network_mode"] == "container:abc"


def test_a_cpu_quota_over_the_engines_is_refused_with_what_to_set():
    # runc's words on cgroup v1 when a container's quota is over its engine's (a pod's
    # sidecar limited to 0.75 CPU), as the Kubernetes emulation met them.
    from dockerlab.core.containers import _start_hint

    runc = (
        "OCI runtime create failed: runc create failed: unable to start container process: "
        'failed to write "100000": write /sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us:'
        " invalid argument: unknown"
    )
    assert "DOCKERLAB_CPUS" in _start_hint(Exception(runc))
    assert _start_hint(Exception("exec: no such file or directory")) is None
