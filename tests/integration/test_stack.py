"""dockerlab.lessons.stack on the real engine: the program, the bisection, the lesson, cleanup."""

import time

import docker.errors
import pytest

import dockerlab as dl
from dockerlab.inspect import elf
from dockerlab.lessons import stack


@pytest.fixture(scope="module")
def progs(bases):
    with stack.build_programs() as built:
        yield built


@pytest.fixture(scope="module")
def probe(progs):
    with stack.Prober(progs) as p:
        yield p


def test_musl_binary_is_dynamic_and_uses_alpines_own_musl(progs):
    out = dl.run(progs["musl"], ["ldd", "/usr/local/bin/recurse"]).output
    loader = elf.inspect(dl.ref("alpine"), "/bin/busybox").interpreter  # Alpine's own
    assert loader.startswith("/lib/ld-musl-") and loader in out
    assert "libc.so" in out


def test_a_small_frame_crashes_musl_and_not_glibc_at_the_same_depth(progs, probe):
    for run in (probe.outcome, lambda libc, f, d: stack.try_depth(progs, libc, f, d)):
        musl, glibc = run("musl", 256, 1000), run("glibc", 256, 1000)
        assert musl.crashed and musl.exit_code == 139
        assert glibc.survived and glibc.thread_stack == stack.GLIBC_DEFAULT_STACK


def test_bisection_finds_the_same_boundary_twice(probe):
    searches = [("musl", stack.DEFAULT, 256), ("musl", stack.DEFAULT, 1024)]
    first = stack.find_limits(probe, searches)
    second = stack.find_limits(probe, searches)
    assert list(first["max_depth"]) == list(second["max_depth"])
    d256 = int(first["max_depth"][0])
    assert 300 < d256 < 512  # 128 KiB / (256 + overhead)
    # the boundary is exact: one more level crashes, this one survives
    assert probe.run("musl", [(stack.DEFAULT, 256, d256), (stack.DEFAULT, 256, d256 + 1)]) == [
        True,
        False,
    ]


def test_fixes_and_ulimit(probe):
    table = stack.compare_cases(
        probe,
        [stack.DEFAULT, stack.SETSTACKSIZE, stack.LINKED, stack.with_ulimit(65536)],
        256,
        1000,
    )
    assert list(table["musl"]) == ["crashed", "survived", "survived", "crashed"]
    assert (table["glibc"] == "survived").all()
    # ulimit -s sizes glibc's threads: 4,000 levels of 1 KiB need more than 2 MiB
    low = stack.with_ulimit(2048)
    assert probe.run("glibc", [(stack.DEFAULT, 1024, 4000), (low, 1024, 4000)]) == [True, False]


def test_an_unexpected_exit_status_is_a_clear_error(probe):
    # the shell's status 2 natively; refused before starting a container under emulation
    with pytest.raises(dl.DockerlabError, match=r"neither 0|a stack limit is a whole number"):
        probe.run("musl", [(stack.with_ulimit("not-a-number"), 256, 1)])


def test_the_widget_builds_and_its_button_runs(progs):
    box = stack.explorer(progs, frame=256, depth=100)
    box.run()
    assert "SURVIVED" in box.children[-1].value


def test_a_probe_container_that_ended_is_started_again(progs):
    with stack.Prober(progs, libcs=["musl"], lifetime=1) as short:
        time.sleep(2.5)  # its `sleep 1` has ended: the container has exited
        assert short.run("musl", [(stack.DEFAULT, 256, 10)]) == [True]


def test_everything_is_removed_afterwards(engine, progs, probe):
    """Last test of the module: closing the prober and removing the programs leaves nothing.

    (A second build of the same source would be the very same cached image, so the
    test removes the module's own, explicitly; the fixtures' teardown then finds
    nothing left to remove and says nothing.)
    """
    image_ids = [img.id for img in progs.images.values()]
    intermediates = [i for img in progs.images.values() for i in img.intermediates]
    container_ids = [box.id for box in probe.boxes.values()]
    assert probe.run("musl", [(stack.DEFAULT, 256, 10)]) == [True]
    probe.close()
    progs.remove()
    for cid in container_ids:
        with pytest.raises(docker.errors.NotFound):
            engine.containers.get(cid)
    for iid in image_ids:
        with pytest.raises(docker.errors.NotFound):
            engine.images.get(iid)
    # Intermediate images go too, unless another build (same engine, same first steps)
    # has since built on them as its cache: those are kept, by design.
    parents = {i.get("ParentId", "").split(":")[-1][:12] for i in engine.api.images(all=True)}
    for short in intermediates:
        if short not in parents:
            with pytest.raises(docker.errors.NotFound):
                engine.images.get(short)
    mine = dl.labels.filter_for(dl.labels.SESSION_ID)
    assert not [c for c in engine.containers.list(all=True, filters=mine)
                if c.labels.get(dl.labels.ROLE) == "stack-probe"]  # fmt: skip
