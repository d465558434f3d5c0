# %% [markdown]
# # 01: Smaller is better
#
# **The claim.** A smaller base image is better: fewer bytes to download and
# store, and, more importantly, *less inside that an attacker could use*. Fewer
# packages to patch, fewer programs to run, fewer shells to drop into, fewer
# setuid files to escalate through.
#
# **The test.** Four images that can run the same small program, from the biggest
# to the smallest base:
#
# 1. `debian:trixie`: a full Debian base (Debian 13, the current release)
# 2. `debian:trixie-slim`: the same Debian, without docs, man pages and locales
# 3. Alpine: musl libc and busybox instead of glibc and coreutils (`alpine:3.24`
#    where a registry served it, Alpine 3.23.6 tagged `alpine:3.23` where the kit
#    made it offline; the tables below name the one measured)
# 4. `FROM scratch`: nothing at all, plus one static binary we compile
#
# We measure each one's size on disk and its attack surface, read straight from
# its filesystem.

# %%
import pandas as pd

import dockerlab as dl
from dockerlab import assets

dl.setup()

# %% [markdown]
# ## Building the `FROM scratch` image
#
# `scratch` is Docker's empty image: no files at all. A program can only run there
# if it needs nothing from the filesystem, so we compile it **statically** (all
# its library code inside the binary) with `musl-gcc -static`, in a separate
# *build stage* that has the compiler. Only the binary is copied into the final
# image: a **multi-stage build**. The compiler never ships.
#
# The program is a short C file; it prints what it can see of `/`.

# %%
print(assets.text("hello.c"))

# %%
scratch_dockerfile = f"""
FROM {dl.ref("builder")} AS build
COPY hello.c /src/hello.c
RUN musl-gcc -static -Os -o /hello /src/hello.c && strip /hello

FROM scratch
COPY --from=build /hello /hello
ENTRYPOINT ["/hello"]
"""
scratch = dl.build(
    scratch_dockerfile, {"hello.c": assets.text("hello.c")}, tag="dockerlab/hello:scratch"
)
print(dl.run(scratch).output)

# %% [markdown]
# It runs. Apart from our binary, the program lists only what Docker itself puts
# into every container (`dev`, `proc`, `sys`, and `etc` for the host name and DNS
# files). It skips names that start with a dot, so it does not show the empty
# `/.dockerenv` file Docker adds as well.

# %% [markdown]
# ## Measuring the four images
#
# `dl.compare` measures each image: its size on disk, and from its filesystem
# (exported, never run):
#
# - **packages**: installed according to its package database (dpkg or apk),
# - **commands**: names you could type at a shell prompt (files *or symlinks* on the default `PATH`),
# - **executables**: distinct files with an execute bit, anywhere,
# - **setuid**: files that run with their owner's rights (setuid or setgid bit): the classic way up to root,
# - **shells**: shell commands on `PATH` (`sh`, `bash`, `dash`, `ash`, ...).

# %%
images = {
    "debian": dl.ref("debian"),
    "debian-slim": dl.ref("debian_slim"),
    "alpine": dl.ref("alpine"),
    "scratch": scratch,
}
df = dl.compare(images)
df["provenance"] = [
    dl.provenance(ref) if ref is not scratch else "built here (multi-stage)"
    for ref in images.values()
]
df.drop(columns=["image"])

# %%
measures = ["size_mb", "files", "packages", "commands", "executables", "setuid", "shells"]
titles = {
    "size_mb": "size on disk (MB)",
    "files": "files",
    "packages": "packages",
    "commands": "commands on PATH",
    "executables": "executable files",
    "setuid": "setuid/setgid files",
    "shells": "shells",
}
fig = dl.compare_bars(
    df,
    measures,
    titles=titles,
    log=True,
    suptitle="Smaller base, smaller attack surface (log scale)",
    caption="Measured on this engine. Bases: "
    + "; ".join(f"{k}: {v}" for k, v in df["provenance"].items()),
)

# %% [markdown]
# ## What the numbers say
#
# Read the chart from left to right: every measure falls, and by the time we
# reach `scratch` little is left (the ratios are printed below). The notebook checks that, so a change in the
# images that broke the lesson would fail the course's tests.

# %%
d, s, a, z = (df.loc[k] for k in ["debian", "debian-slim", "alpine", "scratch"])

# Size and file count fall at every step.
for m in ["size_mb", "files"]:
    assert z[m] < a[m] < s[m] < d[m], m

# Packages, commands, executables and shells: scratch < alpine < both Debians.
for m in ["packages", "commands", "executables", "shells"]:
    assert z[m] < a[m] < min(s[m], d[m]), m

# Slim removes files, not packages, commands, shells or setuid files.
for m in ["packages", "commands", "shells", "setuid"]:
    assert s[m] == d[m], m

# Setuid files: Debian has several, Alpine's minimal root filesystem and scratch none.
assert z["setuid"] == 0 and a["setuid"] < d["setuid"] and d["setuid"] > 0
print(
    f"scratch is {d['size_mb'] / z['size_mb']:,.0f}x smaller than debian, "
    f"alpine {d['size_mb'] / a['size_mb']:.0f}x."
)

# %% [markdown]
# Three things are worth a closer look.
#
# **Slim is not fewer packages.** `debian:trixie-slim` has exactly the same
# packages, commands, shells and setuid files as `debian:trixie`; it drops
# documentation, man pages and translations (dpkg is told never to install them;
# the few executables it loses are example scripts inside the docs). It is
# smaller to ship, but its attack surface is the same. To shrink *that*, you need
# a different base.
#
# **Alpine's commands are one program.** Alpine can have a long list of commands
# on `PATH`, yet very few executable files: most commands are symlinks to a single
# binary, busybox, which picks its behaviour from the name it was called by.

# %%
busybox_links = dl.run(
    dl.ref("alpine"),
    ["sh", "-c", "ls -l /bin /sbin /usr/bin /usr/sbin | grep -c -- '-> /bin/busybox'"],
).output.strip()
print(
    f"alpine: {int(a['commands'])} commands on PATH, {int(a['executables'])} executable files; "
    f"{busybox_links} symlinks point at busybox."
)
assert int(busybox_links) > a["executables"]

# %% [markdown]
# **Smaller also means nothing to debug with.** There is no shell in `scratch`, so
# an attacker who gets code execution cannot `sh` their way around, and neither
# can you: debugging happens from outside (logs, `docker cp`, a debug sidecar).

# %%
try:
    dl.run(scratch, entrypoint="/bin/sh")
except dl.DockerlabError as e:
    print(e)
    no_shell = "no such file" in str(e)
assert no_shell

# %% [markdown]
# ## The article's numbers, checked
#
# The article says a current Alpine image is "under 6 MB". Sizes come in two
# kinds that are easy to mix up: **compressed** (what a registry stores and you
# download) and **on disk** (the layers unpacked, ready for a container to use). We
# measure the on-disk size here; the compressed sizes come from Docker's published
# records. (`docker images` is not a safe guide: on the classic image store it shows
# the on-disk size, on the containerd image store the on-disk size *plus* the
# compressed copy that store also keeps; see
# [image stores](../docs/sources.md#image-stores).)

# %%
claims = pd.DataFrame(
    [
        {
            "image": "alpine (today)",
            "article": "under 6 MB",
            "measured here, on disk": f"{a['size_mb']:.2f} MB ({dl.ref('alpine')})",
            "published": "alpine:3.23.6: 3.8 MB compressed, 8.42 MB on disk",
            "source": "docker-library/repo-info repos/alpine/{remote,local}/",
        },
        {
            "image": "alpine 3.14 (the 2021 release)",
            "article": "under 6 MB",
            "measured here, on disk": "not measured",
            "published": "alpine:3.14.8 (its last build, 2022-08-09): "
            "2.8 MB compressed, 5.60 MB on disk",
            "source": "docker-library/repo-info repos/alpine/",
        },
    ]
).set_index("image")
claims

# %%
dl.md(
    "The claim held on disk for Alpine 3.14, the release of 2021: its last build "
    "(alpine:3.14.8, August 2022) is 5.60 MB on record. The Alpine measured here, "
    f"`{dl.ref('alpine')}`, is **{a['size_mb']:.1f} MB** on this engine's disk, and Alpine "
    "3.23.6 is on record at 3.8 MB to download ([sources](../docs/sources.md#image-sizes-on-record)). "
    f"The point stands: it is **{d['size_mb'] / a['size_mb']:.0f} times** smaller than "
    f"`{dl.ref('debian')}` here."
)

# %% [markdown]
# ## What we learned
#
# - Every step down (Debian → Alpine → scratch) cuts size **and** attack surface,
#   by the ratios printed above: measured, not assumed.
# - `-slim` variants shrink the download, not the attack surface.
# - busybox makes many commands out of one binary: count files, not names.
# - `FROM scratch` with a static binary is the floor: one file, no shell, no
#   package to patch, at the price of debugging from outside.
#
# **Exercise:** [exercise 1, Q1 and Q2](../exercises/01-smaller-images.ipynb): ship a
# program `FROM scratch`, and pin your base.
#
# Previous: [00: Start here](00-start-here.ipynb) · Next: [02: Alpine and busybox](02-alpine-and-busybox.ipynb)

# %%
scratch.remove()
dl.cleanup()
