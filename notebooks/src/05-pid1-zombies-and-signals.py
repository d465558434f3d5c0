# %% [markdown]
# # 05: PID 1, zombies and signals
#
# **The claim.** The article says that "on Docker, there is no init process", and
# that you may need to add one (it names dumb-init) if zombie processes stack up.
#
# **What holds.** The advice is good; the premise has aged. Since Docker 1.13,
# `docker run --init` runs a tiny init, tini, as PID 1 (the engine ships it as
# `docker-init`). And zombies are only half of the story: the other half is
# **signals**, which decide whether `docker stop` stops your program cleanly or
# kills it after a wait.
#
# **The test.** We run the same workloads under four choices of PID 1 and measure:
#
# 1. how many zombies are left, and how they pile up over time;
# 2. what that costs under a process limit (can the container still `fork()`?);
# 3. how long `docker stop` takes, and with which exit code;
# 4. whether a SIGTERM reaches a worker process that is not PID 1's direct child.

# %%
import pandas as pd

import dockerlab as dl
from dockerlab import assets
from dockerlab.core import downloads
from dockerlab.lessons import pid1

dl.setup()

# %% [markdown]
# ## Two jobs that fall on PID 1
#
# Inside a container, the first process gets **PID 1** of its own PID namespace.
# On a normal Linux machine that is `init` (systemd, OpenRC, ...), and it has two
# jobs that ordinary programs never think about:
#
# - **Reaping.** When a process exits, it stays in the process table as a *zombie*
#   (state `Z`) until its parent collects its exit status with `wait()`. If the
#   parent has died first, the process is an *orphan*, and the kernel hands it to
#   PID 1. So PID 1 must `wait()` for children it never started, or their
#   zombies stay forever.
# - **Signals.** The kernel gives PID 1 no default signal actions: a SIGTERM
#   that PID 1 has no handler for does **nothing**. `docker stop` sends SIGTERM,
#   waits a grace period (10 s unless told otherwise), then sends SIGKILL
#   (sources: [PID 1 and signals](../docs/sources.md#pid-1-and-signals),
#   [docker stop](../docs/sources.md#docker-stop-and-init)).
#
# A web server, a Python script or `sleep` started as a container's command does
# neither job. An **init** is a tiny program that does both: it starts your
# command as its child, reaps every zombie, and passes signals on.

# %% [markdown]
# ## The lesson's image
#
# One Alpine image holds everything the variants need. It is built in two stages:
# the kit's builder compiles, with `musl-gcc -static`,
#
# - **dumb-init**, the real one, from the C source in its PyPI source
#   distribution (downloaded once, checked against a pinned sha256, cached).
#   Debian's `dumb-init` package is linked against glibc on every architecture: it
#   names glibc's loader as its interpreter (`/lib64/ld-linux-x86-64.so.2` on amd64,
#   `/lib/ld-linux-aarch64.so.1` on arm64; see
#   [Debian's dumb-init](../docs/sources.md#debians-dumb-init)), so it would not run on
#   Alpine; a static build runs on Alpine and even `FROM scratch`;
# - `procstat`, a 30-line reader that prints `/proc/*/stat` from inside the container;
# - `orphans`, a workload that keeps orphaning children (and logs what that costs),
#
# and the final stage copies them, plus three small shell scripts, into Alpine.

# %%
print(assets.text("pid1.Dockerfile"))
img = pid1.build_image()
print(
    f"dumb-init {downloads.DUMB_INIT_VERSION} source: sha256 {downloads.DUMB_INIT_SHA256} (checked)"
)
print(
    dl.run(
        img, ["sh", "-c", "dumb-init --version; ldd /usr/local/bin/dumb-init; echo ldd exit $?"]
    ).output
)

# %% [markdown]
# `ldd` finds no libraries to load: the binary is static, so it does not care
# which C library the image has.
#
# The four ways of choosing PID 1 that we compare:

# %%
pd.DataFrame({label: {"PID 1": v.note} for label, v in pid1.VARIANTS.items()}).T

# %% [markdown]
# The reaping shell is `reaper.sh`: it starts the command in the background and
# `wait`s. A shell's `wait` collects *any* child that exits, orphans included,
# and a trap on SIGTERM passes the signal on.

# %%
print(assets.text("reaper.sh"))

# %% [markdown]
# ## Zombies: where to look, and where not to
#
# We run this command as PID 1:
#
# ```sh
# sh -c 'for i in 1 2 3 4 5; do (sleep 0.2 &); done; exec sleep 30'
# ```
#
# Each `( ... &)` is a subshell that starts `sleep 0.2` in the background and exits
# at once: the five sleeps are orphans, handed to PID 1. Then the shell *becomes*
# `sleep 30` (`exec`), a PID 1 that never calls `wait()`. When their `sleep 0.2`
# ends, the five orphans exit, and nobody reaps them.
#
# We look at that container three ways at the same moment: from **inside**
# (`docker exec` of `/procstat`, which reads `/proc`), with **`docker top`**, and
# with **`docker stats`**, which reports how many processes the container's
# pids limit is counting.

# %%
inside, top, counted = pid1.two_views(img, "no init")
inside

# %%
top

# %%
zombies_inside = int((inside["state"] == "Z").sum())
zombies_top = int(top["STAT"].str.startswith("Z").sum())
print(f"/proc inside the container: {len(inside)} processes, {zombies_inside} zombies")
print(f"docker top:                 {len(top)} processes, {zombies_top} zombies")
print(f"docker stats, pids counted: {counted}")
assert zombies_inside == 5 and zombies_top == 0 and len(top) < len(inside)
assert counted == len(inside)

# %% [markdown]
# **`docker top` does not show zombies.** It runs `ps` on the host for the
# processes listed in the container's cgroup, and the kernel takes a process off
# that list as it exits, before its parent reaps it. Yet the zombies are there:
# `/proc` inside the container lists them, and the pids limit still **counts**
# them (the count `docker stats` gave above is every process `/proc` lists,
# zombies included), because a zombie keeps its PID until it is reaped. To
# count zombies, read `/proc` inside the container.
#
# Now the same command under each PID 1, in parallel containers:

# %%
left = pid1.zombies_left(img)
left

# %%
assert left.loc["no init", "zombies (/proc)"] == 5
for variant in ["--init (tini)", "dumb-init", "reaping shell"]:
    assert left.loc[variant, "zombies (/proc)"] == 0, variant
assert (left["zombies (docker top)"] == 0).all()

# %% [markdown]
# ## Zombies over time
#
# Five zombies are harmless. A program that keeps starting helpers, and whose
# helpers start their own (a shell script calling tools, a server forking
# workers, a test runner), orphans processes all day. `orphans` does that on
# purpose, twelve times a second for two and a half seconds, with
# `sh -c '/orphans 2.5 12 & exec sleep 60'` as the command, so that once again
# PID 1 is a `sleep` that never waits. We count zombies from `/proc` every
# quarter of a second.

# %%
over_time = pid1.zombies_over_time(img, seconds=2.5, per_second=12)
fig = pid1.plot_zombies_over_time(over_time)
dl.caption_below(fig, f"Measured on this engine; base: {dl.provenance('alpine')}")

# %%
peak = over_time.groupby("variant")["zombies"].max()
print(peak.to_string())
assert peak["no init"] >= 20
for variant in ["--init (tini)", "dumb-init", "reaping shell"]:
    assert peak[variant] <= 3, variant

# %% [markdown]
# Without an init the count climbs with every orphan and never comes down. With
# any of the three, it stays at zero; a sample may catch a stray zombie in the
# instant between a process's exit and its reaping.

# %% [markdown]
# ## Why zombies matter: process slots
#
# A zombie has freed its memory, but it still holds its **PID**, and a
# container's pids limit (`--pids-limit`, which every demo container here has)
# counts it. Let us give the containers 32 process slots and orphan 40 processes
# a second. `orphans` logs, several times a second, how many `fork()` calls worked,
# how many failed, and the zombies it sees in `/proc`. (We read its log rather than
# `docker exec`: an exec needs a free process slot too.)

# %%
PIDS = 32
pressure = pid1.under_pids_limit(img, pids=PIDS, seconds=2, per_second=40)
fig = pid1.plot_pids_limit(pressure, PIDS)

# %%
final = pressure.groupby("variant", sort=False).last()[["forks_ok", "forks_failed", "zombies"]]
print(final.to_string())
assert final.loc["no init", "forks_failed"] > 0
assert final.loc["no init", "zombies"] >= PIDS - 4
for variant in ["--init (tini)", "dumb-init", "reaping shell"]:
    assert final.loc[variant, "forks_failed"] == 0, variant

# %% [markdown]
# Without an init the zombies fill the slots in under a second, and from then on
# **every** `fork()` fails: the program cannot start a helper, a shell cannot run
# a command. With an init, the same workload runs to the end without one failure.
# (Without a pids limit, the zombies fill the *host's* PID table instead, more
# slowly, and for every container at once.)

# %% [markdown]
# ## Signals: how long does `docker stop` take?
#
# Now a PID 1 with no SIGTERM handler: `sleep 60`. We `docker stop` each variant
# with a grace period of 2 seconds (`docker stop -t 2`) and time it.

# %%
GRACE = 2
stops = pid1.stop_latency(img, grace=GRACE, command=["sleep", "60"])
fig = pid1.plot_stop(stops, GRACE, title="docker stop -t 2 on `sleep 60`, per PID 1")
stops

# %%
no_init = stops.loc["no init"]
assert no_init["seconds"] >= GRACE and no_init["exit code"] == 137
for variant in ["--init (tini)", "dumb-init", "reaping shell"]:
    assert stops.loc[variant, "seconds"] < 1 and stops.loc[variant, "exit code"] == 143, variant

# %% [markdown]
# - **No init:** `sleep` is PID 1 and has no handler, so the SIGTERM does nothing.
#   Docker waits the whole grace period, then SIGKILLs: exit code **137**
#   (128 + 9). Your program never got the chance to finish its writes or close
#   its connections, and every deploy waits the grace period (10 s by default;
#   source: [docker stop](../docs/sources.md#docker-stop-and-init)) per container.
# - **With an init:** the init receives SIGTERM and passes it to `sleep`, which
#   is no longer PID 1, so the default action applies and it ends at once. The
#   init exits with its child's status: **143** (128 + 15, "ended by SIGTERM").
#
# (A program that *handles* SIGTERM itself, as PID 1, also stops promptly. Some
# runtimes install such a handler for you: a Go program exits on SIGTERM, a JVM runs
# its shutdown hooks and exits (unless started with `-Xrs`, which installs no handler
# for it). Shell scripts and C programs that set no handler
# rely on the default action, which PID 1 does not get. Sources:
# [PID 1 and signals](../docs/sources.md#pid-1-and-signals).)

# %% [markdown]
# ## Signals that must reach a grandchild
#
# Real entrypoints are often a script that starts the real work:
# `wrapper.sh` starts `worker.sh` in the background and waits for it, and, like
# many such scripts, does nothing with signals. The worker is the one that must
# hear SIGTERM: it traps it, prints a line and exits cleanly.

# %%
print(assets.text("wrapper.sh"))
print(assets.text("worker.sh"))

# %% [markdown]
# An init can send the signal to its child only, or to the child's whole
# **process group** (the child and everything it started, unless they moved to
# a group of their own):
#
# - tini (`--init`) signals the child only; `tini -g` signals the group. Docker's
#   `--init` takes no options, but tini reads `TINI_KILL_PROCESS_GROUP=1` from
#   the environment, which does the same as `-g` (source:
#   [docker stop and init](../docs/sources.md#docker-stop-and-init));
# - dumb-init signals the group by default; `--single-child` signals the child only.

# %%
forwarding = pid1.signal_forwarding(img, grace=GRACE)
fig = pid1.plot_stop(forwarding, GRACE, title="docker stop -t 2 on wrapper.sh + worker.sh")
forwarding

# %%
for variant in ["tini -g", "dumb-init"]:
    row = forwarding.loc[variant]
    assert row["worker got SIGTERM"] and row["seconds"] < 1 and row["exit code"] == 0, variant
for variant in ["tini", "dumb-init --single-child"]:
    row = forwarding.loc[variant]
    assert not row["worker got SIGTERM"] and row["seconds"] >= GRACE, variant
    assert row["exit code"] == 137, variant

# %% [markdown]
# Signalled to the child only, the wrapper shrugs and keeps waiting, the worker
# never hears a thing, and both are SIGKILLed at the deadline (137). Signalled to
# the group, the worker shuts down cleanly (its log line is there), the wrapper's
# `wait` returns, and the container exits 0, at once. Pick the init's mode for
# the process tree you actually run, or make the wrapper `exec` the worker so
# there is no middle process at all.

# %% [markdown]
# ## Try it yourself
#
# Pick a PID 1 and press **Run**: the control runs the five-orphans command, the
# zombies-over-time workload and a `docker stop -t 2` for that variant, and
# plots the result. (In the course's tests, the cell after it calls the same
# function once and checks it.)

# %%
pid1.picker(img, grace=GRACE)

# %%
run = pid1.rerun(img, "dumb-init", grace=GRACE)
fig = pid1.show_run(run, GRACE)
assert run.zombies == 0 and run.stop_seconds < 1 and run.exit_code == 143

# %% [markdown]
# ## What we learned
#
# - A container's command is PID 1, and PID 1 must **reap orphans** and
#   **handle SIGTERM**. Most programs do neither.
# - Without an init, orphans' zombies pile up (count them from `/proc` inside the
#   container: `docker top` does not list them). Under a pids limit they use up
#   the slots until `fork()` fails.
# - Without a SIGTERM handler, `docker stop` waits the full grace period and
#   SIGKILLs (exit 137); with an init it stops at once (143).
# - "No init on Docker" is out of date: `docker run --init` (tini) is built in.
#   In an image, `ENTRYPOINT ["dumb-init", "--"]` or tini does the same job, and
#   a shell that `wait`s can too. Mind who gets the signal: the child only
#   (tini, `dumb-init --single-child`) or its process group (`tini -g`, dumb-init).
#
# **Exercise:** [exercise 3](../exercises/03-init-and-zombies.ipynb): write a Dockerfile, and the kit measures it.
#
# Previous: [04: Static binaries from scratch](04-static-binaries-from-scratch.ipynb) ·
# Next: [06: One task per container](06-one-task-per-container.ipynb)

# %%
img.remove()
dl.cleanup()
