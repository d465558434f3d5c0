"""The pure parts of dockerlab.lessons.stack: bisection, stack-size fit, commands, parsing."""

import math

import pytest

import dockerlab as dl
from dockerlab import assets
from dockerlab.assets import recursion
from dockerlab.lessons import stack


def threshold(limit):
    """A fake batch predicate: depths up to ``limit`` survive."""
    calls = []

    def survives(depths):
        calls.append(list(depths))
        return [d <= limit for d in depths]

    return survives, calls


@pytest.mark.parametrize("fanout", [1, 3, 7, 15])
@pytest.mark.parametrize("limit", [0, 1, 2, 3, 16, 17, 397, 1000, 24_952, (1 << 17) - 1])
def test_bisection_finds_the_exact_boundary(limit, fanout):
    survives, calls = threshold(limit)
    b = stack.bisect(survives, fanout=fanout, max_depth=1 << 17)
    assert b.done and b.limit == limit and b.hi == limit + 1
    assert b.rounds == len(calls) and b.probes == sum(map(len, calls))
    # every probe after the first grid lies strictly inside the bracket it narrows
    for depths in calls[1:]:
        assert len(depths) == len(set(depths)) <= fanout


def test_bisection_is_logarithmic():
    survives, _ = threshold(24_952)
    b = stack.bisect(survives, fanout=1, max_depth=1 << 20)
    assert b.rounds <= 1 + math.ceil(math.log2(1 << 20))
    wide = stack.bisect(threshold(24_952)[0], fanout=15, max_depth=1 << 20)
    assert wide.rounds < b.rounds


def test_bisection_stops_at_max_depth_when_nothing_crashes():
    b = stack.bisect(lambda ds: [True] * len(ds), max_depth=1000)
    assert b.done and b.hi is None and b.limit == 1000


def test_a_crash_below_a_survivor_wins():
    """Noise (a survivor deeper than a crash) never widens the bracket past the crash."""
    b = stack.Bracket(max_depth=64)
    b.update([8, 16, 32], [True, False, True])
    assert (b.lo, b.hi) == (8, 16)
    assert all(8 < p < 16 for p in b.points())


class FakeProber:
    """Stands in for stack.Prober: each (libc, frame) has a stack size."""

    def __init__(self, stacks, overhead=80):
        self.stacks, self.overhead, self.calls = stacks, overhead, []

    def limit(self, libc, frame):
        return self.stacks[libc] // (frame + self.overhead)

    def run(self, libc, probes):
        self.calls.append(libc)
        return [d <= self.limit(libc, f) for _, f, d in probes]


def test_find_limits_runs_every_search_of_a_libc_in_one_call_per_round():
    fake = FakeProber({"glibc": 8 * stack.MiB, "musl": 128 * stack.KiB})
    searches = [(libc, stack.DEFAULT, f) for libc in stack.LIBCS for f in (128, 512, 2048, 8192)]
    df = stack.find_limits(fake, searches)
    for row in df.itertuples():
        assert row.max_depth == fake.limit(row.libc, row.frame)
    assert fake.calls.count("glibc") == df[df.libc == "glibc"]["rounds"].max()
    assert fake.calls.count("musl") == df[df.libc == "musl"]["rounds"].max()
    assert (df["frame_x_depth"] == df["frame"] * df["max_depth"]).all()


def test_implied_stack_is_the_slope_of_frame_against_one_over_depth():
    frames = [128, 512, 2048, 8192]
    exact = [8 * stack.MiB / (f + 80) for f in frames]
    fit = stack.implied_stack(frames, exact)
    assert fit.stack == pytest.approx(8 * stack.MiB) and fit.overhead == pytest.approx(80)
    assert fit.r2 == pytest.approx(1.0) and fit.depth(512) == pytest.approx(exact[1])


def test_implied_stack_from_whole_depths_is_close():
    """Depths are whole levels (rounded down): few levels at big frames cost precision."""
    frames = [128, 512, 2048, 8192]
    for size, tolerance in ((128 * stack.KiB, 0.07), (8 * stack.MiB, 0.001)):
        depths = [size // (f + 80) for f in frames]
        fit = stack.implied_stack(frames, depths)
        assert abs(fit.stack / size - 1) < tolerance
        assert fit.r2 > 0.999


def test_fits_and_implied_stack_refuse_what_they_cannot_fit():
    with pytest.raises(ValueError, match="two different"):
        stack.implied_stack([256], [400])
    with pytest.raises(ValueError, match="two different"):
        stack.implied_stack([256, 256], [400, 401])
    with pytest.raises(ValueError, match="> 0"):
        stack.implied_stack([256, 65536], [400, 0])


def test_case_commands():
    assert stack.DEFAULT.argv(256, 1000) == ["recurse", "256", "1000"]
    assert stack.DEFAULT.shell(256, 1000) == "exec recurse 256 1000"
    assert stack.SETSTACKSIZE.argv(256, 10) == ["recurse", "-s", str(1 << 20), "256", "10"]
    assert stack.LINKED.argv(1, 2)[0] == "recurse-bigstack"
    assert stack.MAIN_THREAD.argv(64, 5) == ["recurse", "-m", "64", "5"]
    u = stack.with_ulimit(65536)
    assert u.label == "ulimit -s 65536"
    assert u.shell(256, 1000) == "ulimit -s 65536 && exec recurse 256 1000"
    assert stack.with_ulimit("unlimited").shell(1, 1).startswith("ulimit -s unlimited && ")


def test_classify_exit_codes():
    assert stack.classify(0, "x") is True
    assert stack.classify(139, "x") is False
    with pytest.raises(dl.DockerlabError, match="status 137"):
        stack.classify(137, "recurse 1 1")
    with pytest.raises(dl.DockerlabError, match="usage"):
        stack.classify(2, "recurse")


def test_outcome_reads_the_reported_stack():
    out = stack.ProbeOutcome("musl", stack.DEFAULT, 256, 1, 0,
                        "reached depth 1 with 256-byte frames; thread stack: 133920 bytes")  # fmt: skip
    assert out.survived and not out.crashed and out.thread_stack == 133920
    crash = stack.ProbeOutcome("musl", stack.DEFAULT, 256, 1000, 139)
    assert crash.crashed and crash.thread_stack is None
    assert "CRASHED" in stack.describe(crash) and "SURVIVED" in stack.describe(out)


def test_a_saved_copy_of_notebook_03_still_finds_outcome_by_its_old_name():
    assert stack.Outcome is stack.ProbeOutcome


def test_human_sizes():
    assert recursion.human(131072) == "128 KiB"
    assert recursion.human(8 * recursion.MiB) == "8 MiB"
    assert recursion.human(1_040_000) == "0.992 MiB"


def test_the_program_is_read_and_run_one_way_by_the_lesson_and_the_exercise():
    assert recursion.thread_stack("reached depth 4 with 256-byte frames in the main thread") is None
    assert (
        recursion.thread_stack("reached depth 4 with 1024-byte frames; thread stack: 1048576 bytes")
        == 1 << 20
    )
    # the lesson's names are the core's, which exercise 2's checks import
    assert stack.CONTAINER_OPTIONS is recursion.CONTAINER_OPTIONS
    assert (stack.CFLAGS, stack.SIGSEGV_EXIT, stack.human) == (
        recursion.CFLAGS,
        139,
        recursion.human,
    )


def test_dockerfile_builds_multi_stage_for_each_libc():
    musl = stack.dockerfile("musl")
    glibc = stack.dockerfile("glibc")
    assert f"FROM {dl.ref('builder')} AS build" in musl
    assert f"FROM {dl.ref('alpine')}" in musl and f"FROM {dl.ref('debian')}" in glibc
    assert "COPY --from=build /out/musl/" in musl and "COPY --from=build /out/glibc/" in glibc
    # the same builder stage in both, so the second build reuses the first one's cache
    assert musl.split("\n\n")[0] == glibc.split("\n\n")[0]
    assert "musl-gcc -O0" in musl and "-Wl,-z,stack-size=8388608" in musl
    assert "-static" not in musl  # dynamically linked, against Alpine's own musl
    with pytest.raises(dl.DockerlabError, match="libc"):
        stack.dockerfile("uclibc")


def test_the_program_cannot_be_optimised_into_a_loop():
    src = assets.text("recurse.c")
    assert "volatile char buf[job->frame]" in src
    assert "noinline" in src
    assert "pthread_create(&t, ap, work, &job)" in src and "*ap = NULL" in src
    assert "-O0" in stack.CFLAGS
