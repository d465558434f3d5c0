# %% [markdown]
# # 03: Stack size and recursion: threads on musl and on glibc
#
# **The claim.** The article warns that Alpine's default stack size is "just 80kB",
# against "2MB" on other Linux systems ("250×" more), so recursive code may break
# on Alpine. Something real hides behind this: Alpine uses **musl** as its C
# library, and musl gives each new **thread** a much smaller stack than glibc
# (Debian's C library) does. But the three numbers are off, and the fix is not
# the one you might guess.
#
# **The test.** A small C program starts one thread with the C library's default
# settings and recurses in it: each level of the recursion holds a buffer of a
# chosen size (the *frame size*). When the thread's stack is full, the next level
# touches the guard page below it and the kernel kills the program with SIGSEGV
# (exit status 139). We build it for glibc (run on the course's Debian) and for musl
# (run on its Alpine; the table below names both), find the deepest level each
# survives, and turn that into the stack size each C library really gives a thread.
#
# **How to read it.** The main path: the first look, the lesson checked, the
# article's numbers corrected, the fixes, and what we learned. Sections titled
# *Going deeper (optional)* show how the numbers are measured (bisection, fitted
# lines, `ulimit -s`, Python); skim them on a first pass, but run every cell.

# %%
import pandas as pd

import dockerlab as dl
from dockerlab import assets
from dockerlab.lessons import stack

dl.setup()
MiB, KiB = stack.MiB, stack.KiB

# %% [markdown]
# ## The program
#
# The recursion must really happen: a compiler is free to turn a recursion into a
# loop, or drop a buffer nobody reads. So each level *writes* its buffer
# (`volatile`), reads it again after the recursive call (no tail call), and the
# program is compiled with no optimisation (`-O0`) and with
# `-fstack-clash-protection`, which makes every new stack page be touched in
# order, so an overflow always lands on the guard page.

# %%
print(assets.text("recurse.c"))

# %% [markdown]
# One multi-stage build per C library: the kit's builder image compiles, and only
# the binaries are copied into the runtime image. The musl binary is linked
# dynamically and runs against **Alpine's own musl** (its loader `/lib/ld-musl-<arch>.so.1`).
# Each image gets a second binary, `recurse-bigstack`, linked with
# `-Wl,-z,stack-size=8388608`: one of the fixes we test below.

# %%
print(stack.dockerfile("musl"))

# %%
progs = stack.build_programs(progress=True)
probe = stack.Prober(progs)  # one container per C library, for many runs
bases = pd.DataFrame(
    {
        "runs on": [dl.ref("debian"), dl.ref("alpine")],
        "provenance": [dl.provenance("debian"), dl.provenance("alpine")],
    },
    index=pd.Index(["glibc", "musl"], name="libc"),
)
bases

# %% [markdown]
# ## A first look: 256-byte frames, 1,000 levels deep
#
# Not a deep recursion: 1,000 levels, each holding a 256-byte buffer.

# %%
first = {libc: probe.outcome(libc, frame=256, depth=1000) for libc in stack.LIBCS}
for outcome in first.values():
    print(stack.describe(outcome))

assert first["musl"].crashed and first["musl"].exit_code == 139
assert first["glibc"].survived

# %% [markdown]
# Same source code, same depth, same frame size: the musl build dies of a stack
# overflow, the glibc build does not. How much stack does each thread really have?
#
# Why a *thread*? A program's main thread has a stack that grows on demand up to
# `ulimit -s`, on both C libraries. A thread the program starts gets a stack of
# fixed size when it is created, and unless the program asks for a size, the C
# library's default decides it. That default is where musl and glibc differ; fix 5
# below runs the same recursion on the main thread.

# %% [markdown]
# ## Going deeper (optional): measuring the limit by bisection
#
# *Optional reading.* Run the cells of this section all the same: later cells and
# the notebook's checks use what they measure.
#
# For each frame size we look for the deepest level that survives. That is a
# bisection: try a depth; if it survives, the limit is deeper; if it crashes, it
# is shallower. To keep it fast, one container per C library stays up and runs a
# whole *batch* of tries per `docker exec` (a small shell loop that prints each
# exit status): first a doubling grid (1, 2, 4, ... levels) to find a crash, then
# three evenly spaced depths per round between the deepest survivor and the
# shallowest crash, until they are one level apart. Every frame size of a C
# library is searched in the same round trip.

# %%
frames = [128, 512, 2048, 8192]
limits = stack.find_limits(
    probe, [(libc, stack.DEFAULT, f) for libc in stack.LIBCS for f in frames]
)
print(f"{probe.probes} runs of the program in {probe.execs} docker exec calls.")
limits.pivot(index="frame", columns="libc", values="max_depth")

# %% [markdown]
# Each level uses its buffer plus a little more (the return address, saved
# registers, alignment), so `deepest level × (frame + overhead) ≈ stack size`.
# Plotted as frame size against `1 / depth`, the points fall on a straight line
# whose **slope is the stack size**. On log axes, each C library is a straight
# line with slope −1; the gap between the two lines is the ratio of their stacks.

# %%
fitted = stack.fits(limits)
implied = pd.DataFrame(
    {
        libc: {
            "implied stack (bytes)": round(f.stack),
            "implied stack": stack.human(f.stack),
            "overhead per level (bytes)": round(f.overhead),
            "fit R²": round(f.r2, 5),
        }
        for libc, f in fitted.items()
    }
).T
implied

# %%
fig = stack.plot_depths(
    limits,
    fitted,
    caption=f"Measured on this engine; programs compiled with {stack.CFLAGS}. glibc: "
    f"{dl.provenance('debian')}. musl: {dl.provenance('alpine')}.",
)

# %%
apart = fitted["glibc"].stack / fitted["musl"].stack
dl.md(
    f"Two parallel lines, about **{apart:.0f} times** apart. At small frames the points fall "
    "a little below the dotted lines: each level costs its buffer *plus* about "
    f"{fitted['musl'].overhead:.0f} bytes on musl and {fitted['glibc'].overhead:.0f} on glibc "
    "(return address, saved registers, alignment), which matters when the buffer is small."
)

# %% [markdown]
# The C libraries can also tell us themselves: `pthread_getattr_np` reports the
# running thread's stack, which the program prints when it survives. musl maps
# a thread's TLS (thread-local storage) and thread-specific data *in addition*
# to its stack, and rounds the whole mapping up to whole pages; the stack keeps
# what the rounding adds (source:
# [musl thread stacks](../docs/sources.md#musl-thread-stacks)).

# %%
reported = {libc: probe.outcome(libc, frame=256, depth=1).thread_stack for libc in stack.LIBCS}
implied["reported by pthread_getattr_np"] = pd.Series(reported)
rounding = reported["musl"] - stack.MUSL_DEFAULT_STACK
page = int(dl.run(dl.ref("alpine"), ["getconf", "PAGESIZE"]).output)
assert 0 <= rounding < page  # 128 KiB, plus less than a page of rounding
print(
    f"musl reports {reported['musl']:,} bytes: its 128 KiB default + {rounding:,} bytes "
    f"of page rounding (a page is {page:,} bytes)"
)
implied

# %% [markdown]
# ## The lesson, checked
#
# The C libraries' defaults are 128 KiB for a musl thread and the `ulimit -s`,
# 8 MiB here, for a glibc thread: 64 times more (sources:
# [musl](../docs/sources.md#musl-thread-stacks),
# [glibc](../docs/sources.md#glibc-thread-stacks)). The notebook checks its
# measurements against them within a small tolerance, printed below: a measured
# stack is a little smaller than its default, because the thread's first frames
# sit on it, and glibc also keeps the thread's TLS at the top of its stack.

# %%
tolerance = 0.10
musl, glibc = fitted["musl"].stack, fitted["glibc"].stack
assert abs(musl / stack.MUSL_DEFAULT_STACK - 1) < tolerance, stack.human(musl)
assert abs(glibc / stack.GLIBC_DEFAULT_STACK - 1) < tolerance, stack.human(glibc)
assert abs(reported["musl"] / stack.MUSL_DEFAULT_STACK - 1) < tolerance
assert reported["glibc"] == stack.GLIBC_DEFAULT_STACK
ratio = glibc / musl
assert 50 < ratio < 80, ratio
# at every frame size, glibc goes deeper than musl
by_frame = limits.pivot(index="frame", columns="libc", values="max_depth")
assert (by_frame["glibc"] > 20 * by_frame["musl"]).all()
print(
    f"musl: {stack.human(musl)}, glibc: {stack.human(glibc)} (both within {tolerance:.0%} of their "
    f"defaults): glibc's thread stack is {ratio:.0f}x musl's."
)

# %% [markdown]
# ## Going deeper (optional): where glibc's number comes from, `ulimit -s`
#
# *Optional reading.* Run the cells of this section all the same: later cells and
# the notebook's checks use what they measure.
#
# glibc sizes a new thread's stack from the **soft stack limit** of the process
# (`ulimit -s`, 8 MiB on most Linux systems and in our containers; source:
# [glibc thread stacks](../docs/sources.md#glibc-thread-stacks)). musl does
# not look at it: its default is built in. We run the same search (1024-byte
# frames) under several limits; each probe sets its own limit with
# `ulimit -s N` before starting the program. (Running the course for arm64 on a
# PC, under qemu emulation, that does not work: qemu ignores a program's own
# `ulimit -s`. The kit then starts one container per limit with `docker run
# --ulimit stack=N`, which qemu does honour; on a Mac, natively, `ulimit -s` works.)

# %%
ulimits = [1024, 2048, 4096, 8192, "unlimited"]
sweep = stack.ulimit_sweep(probe, ulimits, frame=1024)
sweep["implied stack"] = [
    stack.human(d * (1024 + fitted[libc].overhead))
    for libc, d in zip(sweep["libc"], sweep["max_depth"], strict=True)
]
sweep.pivot(index="case", columns="libc", values=["max_depth", "implied stack"]).loc[
    [stack.with_ulimit(u).label for u in ulimits]
]

# %%
fig = stack.plot_ulimit(
    sweep,
    frame=1024,
    fitted=fitted,
    caption="Measured on this engine: each point is the deepest level found by bisection with "
    "the program started under that `ulimit -s`. Hollow squares: ulimit -s unlimited.",
)

# %% [markdown]
# glibc's thread stack follows the limit: a quarter of the limit, a quarter of
# the depth. With **no** limit (`unlimited`) glibc falls back to a fixed
# default, **2 MiB** on x86_64 and arm64 alike (`ARCH_STACK_DEFAULT_SIZE`; source:
# [glibc thread stacks](../docs/sources.md#glibc-thread-stacks)). That may be
# where the article's "2MB" comes from (the article does not say), but it is the
# exception, not the normal case. musl's line is flat: `ulimit -s` does nothing for its threads.

# %%
depth_at = sweep.set_index(["libc", "case"])["max_depth"]
glibc_u = {u: int(depth_at["glibc", stack.with_ulimit(u).label]) for u in ulimits}
musl_u = {u: int(depth_at["musl", stack.with_ulimit(u).label]) for u in ulimits}
# glibc: proportional to the limit (within 10%), and about 2 MiB when unlimited
assert abs(glibc_u[2048] / glibc_u[1024] - 2) < 0.2 and abs(glibc_u[8192] / glibc_u[1024] - 8) < 0.8
unlimited_stack = glibc_u["unlimited"] * (1024 + fitted["glibc"].overhead)
assert abs(unlimited_stack / stack.GLIBC_UNLIMITED_STACK - 1) < 0.10, stack.human(unlimited_stack)
# musl: the same depth whatever the limit
assert len(set(musl_u.values())) == 1, musl_u
print(f"glibc, 1024-byte frames: {glibc_u}\nmusl,  1024-byte frames: {musl_u}")

# %% [markdown]
# Raising the limit works the same way, and so does Docker's own switch,
# `docker run --ulimit stack=...` (here `stack.docker_run_ulimit(n)`: the same soft and
# hard limit of n bytes that `--ulimit stack=n` sets). We take two depths with 1024-byte frames,
# one on each side of glibc's limit under the usual `ulimit -s` (what each needs is
# printed below), and run them with a smaller and a larger limit; and musl with a
# much larger one.

# %%
runs = {
    ("glibc", "--ulimit stack=2 MiB", 4000): stack.docker_run_ulimit(2 * MiB),
    ("glibc", "--ulimit stack=16 MiB", 12000): stack.docker_run_ulimit(16 * MiB),
    ("musl", "--ulimit stack=64 MiB", 4000): stack.docker_run_ulimit(64 * MiB),
}
runs = {key: stack.try_depth(progs, key[0], 1024, key[2], ulimits=u) for key, u in runs.items()}
for (libc, how, depth), out in runs.items():
    print(
        f"{libc:5} {how:22} {depth:6,} levels -> {'survived' if out.survived else 'crashed'} (exit {out.exit_code})"
    )

need = {d: d * (1024 + fitted["glibc"].overhead) for d in (4000, 12000)}
print(
    f"4,000 levels need about {need[4000] / 1e6:.1f} MB, 12,000 about {need[12000] / 1e6:.1f} MB; "
    f"glibc's limit under ulimit -s 8192 was {glibc_u[8192]:,} levels"
)
assert 4000 < glibc_u[8192] < 12000  # under 8 MiB: 4,000 levels survive, 12,000 crash
assert runs["glibc", "--ulimit stack=2 MiB", 4000].crashed  # lower limit, smaller glibc threads
assert runs["glibc", "--ulimit stack=16 MiB", 12000].survived  # higher limit, bigger glibc threads
assert runs["musl", "--ulimit stack=64 MiB", 4000].crashed  # musl threads: unchanged

# %% [markdown]
# ## The article's numbers, corrected
#
# Measured here where we can; the history (what musl used to do) comes from the
# C libraries' own sources.

# %%
claims = pd.DataFrame(
    [
        {
            "claim": "Alpine's default stack size",
            "article": "80kB",
            "measured here": f"{stack.human(musl)} per thread ({dl.ref('alpine')}); "
            "the main thread is not limited by it (see below)",
            "source": "musl src/internal/pthread_impl.h: DEFAULT_STACK_SIZE 131072 since musl 1.1.21 "
            "(Jan 2019); 80 KiB from 0.9.1 to 1.1.20 (musl WHATSNEW)",
        },
        {
            "claim": "other Linux: normally",
            "article": "2MB",
            "measured here": f"{stack.human(glibc)} per thread (= ulimit -s 8192 KiB); "
            f"{stack.human(unlimited_stack)} only with ulimit -s unlimited",
            "source": "glibc sysdeps/nptl/pthread_early_init.h (default = ulimit -s soft limit); "
            "sysdeps/<arch>/nptl/pthreaddef.h (ARCH_STACK_DEFAULT_SIZE 2 MiB on x86-64 and AArch64)",
        },
        {
            "claim": "how many times bigger",
            "article": "250×",
            "measured here": f"{ratio:.0f}× (8 MiB / 128 KiB = 64×)",
            "source": "arithmetic: the article's own 2 MB / 80 kB is 25.6×, not 250×",
        },
    ]
).set_index("claim")
claims

# %%
assert musl > 100 * KiB  # not 80 kB: that was musl before 1.1.21
assert glibc > 3 * stack.GLIBC_UNLIMITED_STACK  # not 2 MB, unless ulimit -s is unlimited
assert ratio < 250 / 3  # far from 250x

# %% [markdown]
# ## The fixes, each measured
#
# The crashing case again (musl, 256-byte frames, 1,000 levels), run five ways:
#
# 1. **default attributes**: the crash.
# 2. **`pthread_attr_setstacksize`**: the program asks for a bigger stack when it
#    creates the thread (the `-s` option of our program; the size it asks for is
#    in the case's name below). The best fix when you own the code: explicit,
#    and the same on every C library.
# 3. **`-Wl,-z,stack-size=8388608`** at link time: musl (since 1.1.21) takes the
#    size recorded in the binary's `PT_GNU_STACK` header as its default thread
#    stack, up to 8 MiB (source: [musl thread stacks](../docs/sources.md#musl-thread-stacks)).
#    No code change, only a linker flag.
# 4. **`ulimit -s 65536`**: raises the process's stack limit. It does **not** help
#    musl threads.
# 5. **the main thread**: no new thread at all. The main thread's stack grows on
#    demand up to `ulimit -s` on both C libraries: musl's small default only
#    concerns threads the program creates.

# %%
fixes = [
    stack.DEFAULT,
    stack.SETSTACKSIZE,
    stack.LINKED,
    stack.with_ulimit(65536),
    stack.MAIN_THREAD,
]
outcomes = stack.compare_cases(probe, fixes, frame=256, depth=1000)
outcomes

# %%
musl_col = outcomes["musl"]
assert musl_col[stack.DEFAULT.label] == "crashed"
for fix in (stack.SETSTACKSIZE, stack.LINKED, stack.MAIN_THREAD):
    assert musl_col[fix.label] == "survived", fix.label
assert musl_col[stack.with_ulimit(65536).label] == "crashed"  # ulimit -s is no fix for musl
assert (outcomes["glibc"] == "survived").all()

# %% [markdown]
# **Going deeper (optional).** How far does each fix go? The same bisection on musl with the two real fixes
# (1024-byte frames): the implied stack is the size each fix asked for.

# %%
fixed = stack.find_limits(
    probe, [("musl", c, 1024) for c in (stack.DEFAULT, stack.SETSTACKSIZE, stack.LINKED)]
)
fixed["implied stack"] = [
    stack.human(d * (1024 + fitted["musl"].overhead)) for d in fixed["max_depth"]
]
fixed[["case", "max_depth", "implied stack"]]

# %%
depth_by_case = fixed.set_index("case")["max_depth"]
per_level = 1024 + fitted["musl"].overhead
assert abs(depth_by_case[stack.SETSTACKSIZE.label] * per_level / (1 * MiB) - 1) < 0.10
assert abs(depth_by_case[stack.LINKED.label] * per_level / stack.LINKED_STACK - 1) < 0.10

# %% [markdown]
# ## Going deeper (optional): try it yourself
#
# Pick a C library, a way to run it, a frame size and a depth, and press **Run it**:
# the program runs in a fresh container (no network, limited memory) and the
# widget says whether it survived.

# %%
edge = {libc: int(fitted[libc].depth(256)) for libc in stack.LIBCS}
dl.md(
    f"Try musl at 256-byte frames around **{edge['musl'] - 5:,} and {edge['musl'] + 5:,}** levels "
    f"(the fit above puts its limit near {edge['musl']:,}); then glibc around "
    f"**{edge['glibc']:,}**."
)

# %%
widget = stack.explorer(progs, frame=256, depth=1000)
widget

# %% [markdown]
# The button calls `stack.try_depth`; here it is called once directly, so the
# notebook checks the same thing the widget shows.

# %%
press = stack.try_depth(progs, "musl", frame=256, depth=100)
print(stack.describe(press))
assert press.survived

# %% [markdown]
# ## Going deeper (optional): and Python?
#
# Pure-Python recursion (since Python 3.11) uses little C stack, but C code called
# from Python can recurse deeply on the C stack: for example `json.dumps` of a
# deeply nested list. In a thread on musl that could crash the interpreter. This is
# why the official Python images for Alpine are built with
# `-DTHREAD_STACK_SIZE=0x100000`: CPython then asks for a **1 MiB** stack for
# every thread it starts (source: docker-library/python, `Dockerfile-linux.template`,
# e.g. `3.13/alpine3.23/Dockerfile`, since 2017; see
# [language runtimes on musl](../docs/sources.md#language-runtimes-on-musl)).
# CPython itself did not do this until May 2026, when it started linking with
# `-Wl,-z,stack-size=1048576` on musl; a Python built on Alpine from an older
# release, outside the official images, still runs its threads on musl's
# default. `threading.stack_size()` returns 0 when no explicit size was set by
# the program.
#
# This part needs a Python-on-Alpine image on the engine (`python:3-alpine`, or
# the image named by `$DOCKERLAB_IMAGE_PYTHON_ALPINE`). The kit never pulls it.

# %%
py_image = stack.python_image()
if py_image is None:
    print(
        f"SKIPPED: no Python-on-Alpine image on this engine ({stack.PYTHON_IMAGE_DEFAULT}, or set "
        f"${stack.PYTHON_IMAGE_ENV}). It cannot be pulled"
        + ("" if dl.registry_reachable() else " (no registry is reachable from here)")
        + "; the C program above shows the same limit."
    )
else:
    py = stack.python_recursion(py_image, depth=50_000)
    print(f"{py_image}: {py}")
    assert "result" in py

# %% [markdown]
# ## What we learned
#
# - musl (Alpine) gives each **new thread** a 128 KiB stack; glibc (Debian) gives
#   it the `ulimit -s` soft limit, usually 8 MiB: 64 times more by their defaults,
#   and about that much measured above. The article's 80 kB was musl before 2019,
#   its 2 MB is glibc's fallback (x86_64 and arm64 alike) when `ulimit -s` is unlimited, and its
#   250× is neither (sources: [musl](../docs/sources.md#musl-thread-stacks),
#   [glibc](../docs/sources.md#glibc-thread-stacks)).
# - The main thread is not affected: it grows to `ulimit -s` on both.
# - Deep recursion in threads works on Alpine if the program asks for a bigger
#   stack: `pthread_attr_setstacksize` in the code, or `-Wl,-z,stack-size=N` at link
#   time. Raising `ulimit -s` (or `docker run --ulimit stack=`) helps glibc, not musl.
# - Runtimes on Alpine may need to ask for bigger thread stacks: the official
#   Python images set 1 MiB, and CPython itself does on musl only since 2026; an
#   interpreter built another way may not (source:
#   [language runtimes on musl](../docs/sources.md#language-runtimes-on-musl)).
#
# **Exercise:** [exercise 2](../exercises/02-stack-and-static.ipynb): write a Dockerfile, and the kit measures it.
#
# Previous: [02: Alpine and busybox](02-alpine-and-busybox.ipynb) ·
# Next: [04: Static binaries from scratch](04-static-binaries-from-scratch.ipynb)

# %%
probe.close()
progs.remove()
dl.cleanup()
