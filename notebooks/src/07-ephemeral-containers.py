# %% [markdown]
# # 07: Ephemeral containers
#
# **The claim.** Containers are meant to be created, destroyed, brought up and
# taken down "with a minimum of fuss", so design your applications for it: no
# container should hold anything you cannot lose.
#
# **The test.** Where does a container's writing go, and what is left of it
# after `docker rm`? Where should data live instead? How much does throwing a
# container away and making a new one actually cost? And can a container be
# made unable to keep state at all?

# %%
import pandas as pd

import dockerlab as dl
from dockerlab.lessons import lifecycle

dl.setup()
ALPINE = dl.ref("alpine")
print(ALPINE, "-", dl.provenance("alpine"))

# %% [markdown]
# ## A container writes into a layer of its own
#
# An image is read-only. A container gets a thin **writable layer** on top of it,
# and every change it makes lands there. `docker diff` lists that layer: **A**
# for added, **C** for changed, **D** for deleted. We start a container, make
# the kind of changes someone "fixing" a container by hand would make, and look.

# %%
box = dl.start(ALPINE, ["sleep", "300"])
fix = box.exec(
    [
        "sh",
        "-c",
        "echo 'debug=true' > /etc/app.conf; echo 'patched' >> /etc/motd; "
        "rm /etc/issue; mkdir -p /srv/app && echo data > /srv/app/state",
    ]
)
diff = lifecycle.changes(box)
diff

# %% [markdown]
# Four paths we touched, plus their parent directories (`/etc`, `/srv`), which
# count as changed because their entries changed. Nothing else: the image below
# is untouched, and files Docker manages itself (`/etc/hosts`, `/etc/hostname`)
# are mounts, not part of the layer.

# %%
kinds = dict(zip(diff["path"], diff["letter"], strict=True))
assert fix.ok
assert kinds["/etc/app.conf"] == "A" and kinds["/srv/app/state"] == "A"
assert kinds["/etc/motd"] == "C" and kinds["/etc"] == "C"
assert kinds["/etc/issue"] == "D"
print(f"{len(diff)} changes: " + ", ".join(f"{k} {p}" for p, k in kinds.items()))

# %% [markdown]
# ## `docker rm` throws the layer away
#
# The writable layer belongs to the container. Remove the container, start a new
# one from the same image, and every change is gone: the hand-made fix, the
# deleted file (back again), the data.

# %%
box.remove()
after = dl.run(ALPINE, ["sh", "-c", "ls /etc/issue; cat /etc/app.conf /srv/app/state"])
print(after.output)
lines = after.output.splitlines()
assert after.exit_code != 0
for gone in ("/etc/app.conf", "/srv/app/state"):
    assert any(gone in line and "No such file" in line for line in lines), gone
assert "/etc/issue" in lines  # the deleted file is back, from the image

# %% [markdown]
# That is the point: a container is as good as new every time it is created. A
# fix made inside a running container is a fix you will lose; it belongs in the
# image (the Dockerfile) or in the configuration the container is started with.
#
# ## Data that must outlive the container: a volume
#
# Data that must survive, like a database's files, goes into a **volume**: storage
# that the engine manages apart from any container and mounts into whichever
# container needs it. Writes into a volume bypass the container's layer, so
# `docker diff` does not even see them: it lists only `/data`, the empty mount
# point the engine made so it could mount the volume there.

# %%
with lifecycle.volume() as vol:
    mount = {vol.name: {"bind": "/data", "mode": "rw"}}
    writer = dl.start(
        ALPINE, ["sh", "-c", "echo 'visits=42' > /data/counter; sleep 300"], volumes=mount
    )
    writer.exec(["sh", "-c", "while [ ! -s /data/counter ]; do sleep 0.05; done"])
    writer_diff = lifecycle.changes(writer)
    writer.remove()  # docker rm: the container is gone
    reader = dl.run(ALPINE, ["cat", "/data/counter"], volumes=mount)  # a brand-new container
    volume_labels = vol.labels
print("read back by a new container:", reader.output.strip())
print("diff of the writer:", writer_diff["path"].tolist())
print("volume labels:", volume_labels)

# %%
assert reader.ok and reader.output.strip() == "visits=42"
assert not writer_diff["path"].str.startswith("/data/").any()  # nothing inside the volume
assert volume_labels[dl.labels.SESSION] == dl.labels.SESSION_ID  # ours, removed with the cell

# %% [markdown]
# ## The cost of throwing containers away
#
# If containers are disposable, replacing one must be cheap. We create, start,
# stop and remove ten containers one after another and time each phase (each
# container runs for a moment between start and stop, not counted). They run with
# `init=True`, so `docker stop`'s SIGTERM reaches the process and stops it at once.

# %%
N = 10
timings = lifecycle.phase_timings(ALPINE, n=N, stop_timeout=10)
summary = lifecycle.summarize(timings)
summary

# %%
fig = lifecycle.plot_phases(
    timings,
    title=f"Throwing away {N} containers: each phase, each container",
    caption=f"Measured on this engine, one container after another, image {ALPINE}. "
    f"A whole replacement (all four phases) took {summary.loc['replace', 'median_ms']:.0f} ms "
    "(median).",
)

# %%
slowest = summary.drop(index="replace")["median_ms"].idxmax()
dl.md(
    f"A replacement took **{summary.loc['replace', 'median_ms']:.0f} ms** here (median), the "
    f"longest phase being `docker {slowest}` (**{summary.loc[slowest, 'median_ms']:.0f} ms**; "
    "`docker start` sets up namespaces, cgroups and the root filesystem). That is cheap "
    "enough to replace a container at every deploy and every failure, instead of logging "
    "into it to repair it, which would be lost at the next replacement anyway."
)

# %% [markdown]
# What can make throwing away expensive is a process that does not stop when
# asked. Without an init process, a PID 1 with no SIGTERM handler ignores
# `docker stop`'s signal (notebook 05), and the engine waits out the whole grace
# period before it kills it (here 2 s, instead of the default 10 s; source:
# [docker stop](../docs/sources.md#docker-stop-and-init)):

# %%
stubborn = lifecycle.phase_timings(ALPINE, n=2, init=False, stop_timeout=2)
stops = pd.DataFrame(
    {
        "with init: median stop (ms)": [summary.loc["stop", "median_ms"]],
        "PID 1 ignores SIGTERM: median stop (ms)": [
            lifecycle.summarize(stubborn).loc["stop", "median_ms"]
        ],
        "exit code without init": [sorted(stubborn["exit_code"].unique().tolist())],
    }
)
stops

# %%
replace_s = summary.loc["replace", "median_ms"] / 1000
assert replace_s < 5, replace_s  # seconds at most, even on a busy machine
assert summary.loc["stop", "median_ms"] < 1500  # SIGTERM honoured: no grace period waited
stubborn_stop = stubborn.loc[stubborn["phase"] == "stop", "seconds"]
assert (stubborn_stop >= 1.9).all() and (stubborn["exit_code"] == 137).all()  # killed after 2 s
print(
    f"replace: {replace_s * 1000:.0f} ms (median of {N}); a stop that must wait out 2 s of "
    f"grace: {stubborn_stop.median() * 1000:.0f} ms"
)

# %% [markdown]
# ## A container that cannot keep state: a read-only root
#
# The strictest way to keep a container disposable is to forbid it to write into
# its layer at all: `read_only=True` (`docker run --read-only`) mounts the root
# filesystem read-only. Many programs still need somewhere to write scratch
# files; a **tmpfs** gives them a small space in memory (here capped with
# `size=16m`) that disappears with the container.
#
# Without the tmpfs, even writing to `/tmp` fails:

# %%
write = ["sh", "-c", "echo scratch > /tmp/work && cat /tmp/work"]
no_tmpfs = dl.run(ALPINE, write, read_only=True)
print(no_tmpfs.output)

# %% [markdown]
# With a tmpfs on `/tmp`, the same command works, while the rest of the root
# stays read-only, and the tmpfs cannot grow past its size:

# %%
with_tmpfs = dl.run(ALPINE, write, read_only=True, tmpfs={"/tmp": "size=16m"})
elsewhere = dl.run(
    ALPINE, ["sh", "-c", "echo x > /etc/app.conf"], read_only=True, tmpfs={"/tmp": "size=16m"}
)
too_big = dl.run(
    ALPINE,
    ["sh", "-c", "dd if=/dev/zero of=/tmp/big bs=1M count=32"],
    read_only=True,
    tmpfs={"/tmp": "size=16m"},
)
pd.DataFrame(
    [
        {
            "try": "write /tmp, no tmpfs",
            "exit": no_tmpfs.exit_code,
            "output": no_tmpfs.output.strip(),
        },
        {
            "try": "write /tmp, tmpfs",
            "exit": with_tmpfs.exit_code,
            "output": with_tmpfs.output.strip(),
        },
        {
            "try": "write /etc, tmpfs on /tmp",
            "exit": elsewhere.exit_code,
            "output": elsewhere.output.strip(),
        },
        {
            "try": "32 MiB into a 16 MiB tmpfs",
            "exit": too_big.exit_code,
            "output": too_big.output.strip().splitlines()[0],
        },
    ]
).set_index("try")

# %%
assert no_tmpfs.exit_code != 0 and "Read-only file system" in no_tmpfs.output
assert with_tmpfs.ok and with_tmpfs.output.strip() == "scratch"
assert elsewhere.exit_code != 0 and "Read-only file system" in elsewhere.output
assert too_big.exit_code != 0 and "No space left on device" in too_big.output

# %% [markdown]
# ## What we learned
#
# - Everything a container writes goes into its own layer (`docker diff` shows
#   it: A, C, D) and is thrown away with `docker rm`. A new container starts
#   from the image, as good as new.
# - Data that must outlive containers goes into a volume: it survived `docker rm`
#   and was read back by a new container.
# - Replacing a container was cheap here (the median is printed above): replace,
#   don't repair. Make sure the process stops on SIGTERM, or every stop waits out the
#   grace period.
# - `read_only=True` plus a small tmpfs makes a container that cannot accumulate
#   state at all: writes fail with "Read-only file system" except in the scratch
#   space you chose.
#
# **Exercise:** this practice has none of its own; the [capstone](../exercises/07-capstone.ipynb)
# puts every practice together on one Dockerfile.
#
# Previous: [06: One task per container](06-one-task-per-container.ipynb) ·
# Next: [08: Layers and multi-stage builds](08-layers-and-multistage.ipynb)

# %%
dl.cleanup()
