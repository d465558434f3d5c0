# %% [markdown]
# # 08: Layers, and multi-stage builds
#
# **The claim.** The article says that "every RUN command gets its own filesystem
# layer", so you should chain commands or run one install script, clean up in
# the same step, and use multi-stage builds.
# This notebook checks each part on the real engine:
#
# 1. the **same result built four ways** (one `RUN` per command, commands chained
#    with `&&`, one install script, a multi-stage build): layers, history entries
#    and size of each;
# 2. a file created in one `RUN` and deleted in the next **still costs its bytes**;
# 3. **which instructions make layers** (and which only add a history entry),
#    under the legacy builder and under BuildKit;
# 4. the **build cache**: why the order of `COPY` lines decides how fast a rebuild is.
#
# To see inside the layers we use the kit's **layer analyser**
# (`dockerlab.inspect.layers`): it reads `docker save` of an image as a stream and works
# out, for every layer, the instruction that made it, the files it adds, changes
# and deletes, and the bytes that never reach the final filesystem: what the
# tool [dive](https://github.com/wagoodman/dive) shows, as tables.

# %%
import uuid

import pandas as pd
from IPython.display import display

import dockerlab as dl
from dockerlab import assets
from dockerlab.inspect import layers
from dockerlab.lessons import layering

dl.setup()
alpine = dl.ref("alpine")
print("base:", alpine, "-", dl.provenance("alpine"))
print("engine:", dl.engine_info().label())
print(dl.describe_builders())

# %% [markdown]
# ## 1. The same result, built four ways
#
# The "application" is a data file and its checksum, owned by a user `app`,
# made the way many real images are: download an archive (here, random bytes from
# `/dev/urandom` written by `dd`, since the builds have no network), take what the
# app needs from it, record a checksum, create the user, hand it the files, delete
# the archive.
# The image's command checks the data, so we can see that all four images
# produce the same result.

# %%
steps = [
    "mkdir -p /app /tmp/build",
    "dd if=/dev/urandom of=/tmp/build/release.tar bs=1M count=20 2>/dev/null",
    "head -c 1000000 /tmp/build/release.tar > /app/data.bin",
    "sha256sum /app/data.bin > /app/data.sha256",
    "adduser -D -H -u 10001 app",
    "chown -R app /app",
    "rm -rf /tmp/build",
]
tail = 'USER app\nCMD ["sha256sum", "-c", "/app/data.sha256"]\n'

one_run_per_command = f"FROM {alpine}\n" + "".join(f"RUN {s}\n" for s in steps) + tail
chained = f"FROM {alpine}\nRUN " + " \\\n && ".join(steps) + "\n" + tail
install_sh = "#!/bin/sh\nset -eu\n" + "\n".join(steps) + "\n"
script = (
    f"FROM {alpine}\nCOPY install.sh /usr/local/bin/install.sh\nRUN sh /usr/local/bin/install.sh\n"
    + tail
)
multistage = f"""FROM {alpine} AS build
{"".join(f"RUN {s}{chr(10)}" for s in steps[:4])}
FROM {alpine}
RUN {steps[4]}
COPY --from=build --chown=10001:10001 /app /app
{tail}"""

print("--- one RUN per command ---\n" + one_run_per_command)
print("--- chained ---\n" + chained)
print("--- multi-stage ---\n" + multistage)

# %%
variants = {
    "one RUN per command": dl.build(one_run_per_command, tag="dockerlab/layers:one-run-each"),
    "chained &&": dl.build(chained, tag="dockerlab/layers:chained"),
    "install script": dl.build(
        script, {"install.sh": (install_sh, 0o755)}, tag="dockerlab/layers:script"
    ),
    "multi-stage": dl.build(multistage, tag="dockerlab/layers:multistage"),
}
outputs = {name: dl.run(img).output.strip() for name, img in variants.items()}
outputs

# %% [markdown]
# Every image checks its data and says `OK`: the same result. Now what each one
# costs. The layer analyser reads each image's config, where every history entry
# says whether it made a filesystem layer (`empty_layer`), and each layer's files.

# %%
analyses = {name: layers.analyse(img) for name, img in variants.items()}
summary = layers.summarize(analyses)
summary["size on disk (MB, engine)"] = [
    round(dl.size_on_disk(img) / 1e6, 2) for img in variants.values()
]
summary

# %%
fig = dl.compare_bars(
    summary,
    ["layers", "history entries", "size_mb", "wasted_mb"],
    log=False,
    titles={
        "layers": "filesystem layers",
        "history entries": "history entries",
        "size_mb": "bytes in all layers (MB)",
        "wasted_mb": "wasted (MB)",
    },
    suptitle="The same result, four Dockerfiles",
    caption=f"Measured here, built with {variants['chained &&'].builder}. Base {alpine}: "
    f"{dl.provenance('alpine')}. "
    "Wasted = bytes stored in a layer but overwritten or deleted by a later one.",
)

# %% [markdown]
# **Layers are not history entries.** Every instruction adds a history entry,
# but only some add a filesystem layer: the `USER` and `CMD` lines (and the
# kit's own label) are history only. The base image brings its own layer and
# history entry.

# %%
lean = summary.drop(index="one RUN per command")["size_mb"]
base_mb = layers.analyse(alpine).total_bytes / 1e6
dl.md(
    f"The chained, script and multi-stage images all hold about **{lean.median():.1f} MB** "
    f"(Alpine's {base_mb:.1f} MB plus the app's data); the one-`RUN`-per-command image holds "
    f"**{summary.loc['one RUN per command', 'size_mb'] - lean.median():.1f} MB more**. "
    "That is the next section."
)

# %%
n_layers = summary["layers"]
assert n_layers["chained &&"] < n_layers["one RUN per command"]
assert n_layers["install script"] < n_layers["one RUN per command"]
assert n_layers["multi-stage"] < n_layers["one RUN per command"]
assert (summary["history entries"] > summary["layers"]).all()
assert set(outputs.values()) == {"/app/data.bin: OK"}
print(
    f"one RUN per command: {n_layers['one RUN per command']} layers; chained: "
    f"{n_layers['chained &&']}, script: {n_layers['install script']}, "
    f"multi-stage: {n_layers['multi-stage']}."
)

# %% [markdown]
# ## 2. Deleted is not gone: wasted bytes
#
# A layer is a *diff*: the files a step added or changed. Deleting a file in a
# later step cannot shrink the earlier layer; the later layer only records a
# **whiteout**, an empty entry named `.wh.` + the deleted name, that hides it from
# the final filesystem (source: [whiteouts](../docs/sources.md#whiteouts)). The
# bytes are still stored, shipped and pulled. Here is what the `rm -rf /tmp/build`
# layer holds, read from the layer itself:
#
# %%
waste = analyses["one RUN per command"]
rm_layer = waste.layer_of("rm -rf /tmp/build")
rm_entries = waste.files[waste.files["layer"] == rm_layer][["entry", "kind", "path", "size"]]
display(rm_entries.rename(columns={"entry": "entry in the layer", "path": "what it deletes"}))
whiteouts = set(rm_entries.loc[rm_entries["kind"] == "whiteout", "entry"])
assert whiteouts == {"/tmp/.wh.build"}, whiteouts  # one whiteout for the folder ...
assert not any("release.tar" in e for e in rm_entries["entry"])  # ... none for the file in it
print(
    "the rm layer's whiteout:", ", ".join(sorted(whiteouts)), f"({rm_entries['size'].sum()} bytes)"
)

# %% [markdown]
# `rm -rf` deleted a folder, so the layer holds **one** whiteout, for the folder:
# everything below it (the archive included) is hidden at once. The chart shows
# every layer's size, split into bytes that survive to the final filesystem
# (blue) and bytes that a later layer overwrites or deletes (red).

# %%
fig = layering.plot_layers(
    {k: analyses[k] for k in ["one RUN per command", "chained &&", "multi-stage"]},
    title="Layer by layer: kept vs wasted bytes",
    caption="Measured with dockerlab.inspect.layers from `docker save` of each image. "
    "Efficiency = share of all layer bytes that reach the final filesystem.",
)

# %%
top = waste.top_wasted(5)
display(top)
by_path = top.set_index("path")["wasted_bytes"]
dl.md(f"""Two kinds of waste show up:

- `release.tar`: **{by_path["/tmp/build/release.tar"] / 1e6:.1f} MB** added by the `dd` layer,
  deleted (by its folder's whiteout) in the `rm` layer;
- `data.bin` again: `chown` in its own `RUN` changes the owner of a
  **{by_path["/app/data.bin"] / 1e6:.1f} MB** file, and a metadata change copies the **whole file**
  into the new layer (the earlier copy stays in its layer, wasted). The small
  `/etc/passwd`-style entries are `adduser` rewriting files of the base layer.

Each wasted copy is counted once: the analyser reports the layer that added it and
the one that removed it. What each layer did:""")

# %%
waste.layers[["instruction", "size", "kept_bytes", "wasted_bytes", "added", "modified", "deleted"]]

# %%
ok = analyses["chained &&"]
release = "/tmp/build/release.tar"
wasted_release = waste.wasted.loc[waste.wasted["path"] == release, "size"].sum()
assert wasted_release >= 20 * 2**20, "the deleted archive's bytes must count as wasted"
assert release not in set(ok.files["path"]), "chained: the archive never reaches a layer"
assert ok.wasted_bytes < 100_000 and waste.wasted_bytes > 20 * 2**20
assert ok.efficiency > 0.99 > 0.5 > waste.efficiency
print(
    f"one RUN per command: {waste.wasted_bytes / 1e6:.1f} MB wasted, efficiency "
    f"{waste.efficiency:.0%}; chained: {ok.wasted_bytes / 1e3:.1f} kB wasted, "
    f"efficiency {ok.efficiency:.1%}."
)

# %% [markdown]
# **The fixes**, all measured above:
#
# - **Create and delete in the same `RUN`** (chained with `&&`, or one script):
#   the archive exists only while that step runs, so no layer ever holds it.
# - **Multi-stage**: do the messy work in a build stage and `COPY --from` only the
#   result. The build stage's layers are never part of the final image (it can
#   use as many `RUN`s as it likes), and `COPY --chown` sets the owner without a
#   second copy of the data.
# - Set ownership and modes **when the file is created or copied**, never in a
#   later `RUN chown`/`chmod`.
#
# (`docker build --squash` merges all new layers into one, but it is an
# experimental option: an engine refuses it unless its daemon runs in experimental
# mode (source: [layers and history](../docs/sources.md#layers-and-history)).
# Multi-stage does the same job on every engine.)

# %% [markdown]
# ## 3. Which instructions make layers?
#
# One Dockerfile with one instruction of each kind, built twice: with the legacy
# builder (what the Python SDK uses) and with **BuildKit** (the default builder
# of Docker 23+, through the docker CLI; source:
# [layers and history](../docs/sources.md#layers-and-history)). For every history
# entry, the image config says whether it made a layer.

# %%
probe = f"""FROM {alpine}
ARG VERSION=1.0
ENV APP_HOME=/srv/app
LABEL org.example.team=course
WORKDIR /srv/app
WORKDIR /tmp
RUN echo "created by RUN" > /tmp/run.txt
RUN true
COPY hello.c /src/hello.c
EXPOSE 8080
USER nobody
CMD ["sh"]
"""
probe_files = {"hello.c": assets.text("hello.c")}
builders = {
    "legacy builder": dl.build(
        probe, probe_files, builder="legacy", tag="dockerlab/layers:probe-legacy"
    )
}
if "buildkit" in dl.available_builders():
    builders["BuildKit"] = dl.build(
        probe, probe_files, builder="buildkit", tag="dockerlab/layers:probe-buildkit"
    )
else:
    print(
        "No BuildKit client here: only the legacy builder is measured. "
        "(Docker 23+ with buildx, or Debian 12's docker.io CLI, can run BuildKit.)"
    )
print("measured on", dl.engine_info().label())

instructions = [line for line in probe.splitlines()[1:] if line.strip()]
table = pd.DataFrame({"instruction": instructions})
for name, img in builders.items():
    h = layers.analyse(img).history.iloc[1:]  # skip the base image's entry
    assert len(h) == len(instructions), (name, h)
    table[f"layer? ({name})"] = ["layer" if not e else "-" for e in h["empty_layer"]]
    table[f"bytes ({name})"] = list(h["size"])
table

# %% [markdown]
# What the table shows (on the engine named above the table):
#
# - `ARG`, `ENV`, `LABEL`, `EXPOSE`, `USER` and `CMD` only add a **history entry**
#   (and change the image config): no layer, with either builder.
# - `RUN` and `COPY` that change files make layers, with either builder.
# - The rule for a layer differs by builder:
#   - **BuildKit** makes a layer for **every** `RUN`, `COPY` and `ADD`, changed
#     files or not (`RUN true` gets one), and for every `WORKDIR` other than `/`,
#     even `WORKDIR /tmp`, which exists;
#   - the **legacy builder** makes a layer only for a step that changed files:
#     `RUN true` gets none, and `WORKDIR` one only when it had to create the
#     directory (`/srv/app`, not `/tmp`).
#
# So under BuildKit "every `RUN` gets its own layer" holds exactly; under the
# legacy builder every `RUN` *that changes files* does. Everything else is
# configuration (source: [layers and history](../docs/sources.md#layers-and-history)).

# %%
legacy = table["layer? (legacy builder)"]
metadata_rows = table["instruction"].str.match(r"(ARG|ENV|LABEL|EXPOSE|USER|CMD) ")
assert (legacy[metadata_rows] == "-").all(), "ENV/LABEL/CMD... make no layer (legacy)"
changes = table["instruction"].str.match(r"(RUN echo|COPY) ")
assert (legacy[changes] == "layer").all()
workdir_tmp = table["instruction"] == "WORKDIR /tmp"
assert (legacy[workdir_tmp] == "-").all()
if "BuildKit" in builders:
    bk = table["layer? (BuildKit)"]
    assert (bk[metadata_rows] == "-").all(), "ENV/LABEL/CMD... make no layer (BuildKit)"
    assert (bk[changes] == "layer").all()
    assert (bk[workdir_tmp] == "layer").all(), "BuildKit: WORKDIR makes a layer"
    print("WORKDIR /tmp: no layer with the legacy builder, a layer with BuildKit.")

# %% [markdown]
# ## 4. The build cache, and the order of `COPY` lines
#
# A builder reuses a step's earlier result (a **cache hit**) when the step and
# everything before it are unchanged; for `COPY`, "unchanged" means the copied
# files have the same content. After the first miss, every later step runs again.
#
# A typical application has dependencies that change rarely and source code
# that changes all the time. The dependency install here is `install-deps.sh`:
# it compiles each library named in `deps.txt`, real work standing in for
# `pip install` or `npm ci` (which would need the network).

# %%
print(assets.text("install-deps.sh"))

# %%
builder = dl.ref("builder")
bad_order = f"""FROM {builder}
COPY . /src/
RUN sh /src/install-deps.sh /src/deps.txt
RUN gcc -O2 -o /usr/local/bin/app /src/app.c /deps/*.o
"""
good_order = f"""FROM {builder}
COPY deps.txt install-deps.sh /src/
RUN sh /src/install-deps.sh /src/deps.txt
COPY app.c /src/
RUN gcc -O2 -o /usr/local/bin/app /src/app.c /deps/*.o
"""
run_id = uuid.uuid4().hex[:8]  # makes this run's sources unlike any earlier run's


def project(version: int) -> dict:
    """The build context: the dependency list, the install script, and app.c at a version."""
    app_c = (
        f"/* run {run_id} */\n#include <stdio.h>\n"
        f'int main(void) {{ puts("app version {version}"); return 0; }}\n'
    )
    return {
        "deps.txt": "libcore\nlibjson\n",
        "install-deps.sh": assets.text("install-deps.sh"),
        "app.c": app_c,
    }


# dl.build uses the builder `docker build` uses on this engine: BuildKit on Docker 23+.
builder_name = {"buildkit": "BuildKit", "legacy": "legacy builder"}[dl.building.choose_builder()]
print("builds below use:", builder_name)

# %% [markdown]
# Each order is built once, then rebuilt three times after a one-line change of
# `app.c` (a new version string). We count the cache hits of each rebuild and
# time it.

# %%
built = []  # every image, to remove them newest first at the end
rows, last_output = [], {}
for order, dockerfile in [
    ("bad order: COPY . first", bad_order),
    ("good order: deps first", good_order),
]:
    built.append(dl.build(dockerfile, project(1), progress=False))
    for version in (2, 3, 4):
        img = dl.build(dockerfile, project(version), progress=False)
        built.append(img)
        rows.append(
            {
                "order": order,
                "version": version,
                "seconds": img.seconds,
                "cache hits": img.cached_steps,
            }
        )
    last_output[order] = dl.run(img, "app").output.strip()  # the rebuilt app runs the new code
rebuilds = pd.DataFrame(rows)
rebuilds

# %%
fig = layering.plot_rebuilds(
    rebuilds,
    better="good order: deps first",
    title="Copy what changes least first",
    caption=f"Measured here: 3 rebuilds per order (bars: median), {builder_name}, "
    f"base {builder} ({dl.provenance('builder')}).",
)

# %%
good = rebuilds[rebuilds["order"].str.startswith("good")]
bad = rebuilds[rebuilds["order"].str.startswith("bad")]
assert (good["cache hits"] > bad["cache hits"].max()).all(), "deps first: their steps are cached"
assert set(last_output.values()) == {"app version 4"}
ratio = bad["seconds"].median() / good["seconds"].median()
print(
    f"cache hits per rebuild: good order {int(good['cache hits'].median())}, bad order "
    f"{int(bad['cache hits'].median())}; median rebuild {good['seconds'].median():.1f} s vs "
    f"{bad['seconds'].median():.1f} s ({ratio:.1f}x)."
)

# %% [markdown]
# With `COPY . /src/` first, any change to any file invalidates the `COPY` and
# therefore the dependency install after it: every rebuild installs everything
# again. Copying the dependency list alone first keeps the expensive step cached
# until the dependency list itself changes. (Timing depends on this machine's
# load; the cache-hit count is what the notebook checks.)

# %% [markdown]
# ## 5. How many layers can an image have?
#
# It depends on the image store. The **classic store** (Docker Engine up to 28,
# and 29 when upgraded from an older one) refuses an image of more than 125 layers, and its
# overlay2 driver stacks at most 128 lower directories; the **containerd image
# store** (Docker Desktop installed fresh since 4.34, fresh Docker Engine 29
# installs; an upgraded Docker Desktop keeps the classic store) has neither limit
# (source: [layer limits](../docs/sources.md#layer-limits)). So images of more than
# 125 layers build on one engine and fail on another. No need to hit it here: the
# table below sets the images above against this engine's limit:

# %%
store = dl.engine_info().image_store
limit = None if dl.engine_info().containerd_store else 125
print(
    f"image store: {store}; "
    + (f"at most {limit} layers per image" if limit else "no layer limit of its own")
)
pd.DataFrame({"layers": summary["layers"],
              "share of this store's limit": (summary["layers"] / limit).map("{:.0%}".format)
              if limit else "no limit"})  # fmt: skip

# %% [markdown]
# ## What we learned
#
# - BuildKit makes a layer for every `RUN`, `COPY` and `ADD`, and for `WORKDIR`;
#   the legacy builder only for a step that changed files. `ENV`, `LABEL`, `CMD`,
#   `USER`, `EXPOSE`, `ARG` only add history entries, with either. Counted above.
# - A file deleted in a later step still costs its bytes (the archive's, above): a
#   whiteout only hides it. Delete it in the step that created it, or build it in a
#   separate stage.
# - A later `chown`/`chmod` copies whole files into a new layer: set ownership
#   when copying (`COPY --chown`).
# - Chaining, a script, or multi-stage all cut the layer count; multi-stage also
#   keeps build-only files and tools out of the final image.
# - Order the Dockerfile from what changes least to what changes most: copy the
#   dependency list, install, *then* copy the source.
#
# **Exercise:** [exercise 4](../exercises/04-layers-and-multistage.ipynb): write a Dockerfile, and the kit measures it.
#
# Previous: [07: Ephemeral containers](07-ephemeral-containers.ipynb) ·
# Next: [09: Configuration and secrets](09-configuration-and-secrets.ipynb)

# %%
for img in reversed(built):
    img.remove()
for img in [*variants.values(), *builders.values()]:
    img.remove()
dl.cleanup()
