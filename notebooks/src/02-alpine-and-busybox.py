# %% [markdown]
# # 02: Alpine, busybox and musl
#
# **The claim.** Alpine makes a much smaller base than Debian (the article: "under
# 6 megabytes"), because it swaps the usual tools for **busybox** (one program that
# answers to many command names) and GNU's C library for **musl**. It also says the
# official Alpine variants of big images are far smaller: `postgres:13` "weighs in at
# 314MB", `postgres:13-alpine` "is only half of that", `ruby:2.7.2` "is 842MB", while
# its Alpine variant "is only around 52MB".
#
# **The test.** Three bases on this engine: the course's Debian (Debian 13
# trixie, full and `-slim`) and Alpine (`alpine:3.24` where a registry served it,
# Alpine 3.23.6 tagged `alpine:3.23` where the kit made it offline; the first
# cell says which, and where each came from):
#
# 1. their size **on disk** and their size **compressed** (what a registry stores and
#    a pull downloads), both measured here: the second by pushing them to a real
#    registry running on your engine and reading its manifests;
# 2. busybox: how many commands are one file, how it picks what to do, and what it
#    replaces;
# 3. musl vs glibc: what programs link to, how big each C library is, and a program
#    that behaves differently on each.
#
# **How to read it.** Sections 1 to 3 and the start of section 4 are the main path.
# The part titled *Going deeper (optional)* (what the same C program answers on each
# C library) can be skimmed on a first pass; run its cells all the same, since the
# checks at the end use them.

# %%
import pandas as pd

import dockerlab as dl
from dockerlab import assets
from dockerlab.inspect import sbom
from dockerlab.lessons import busybox
from dockerlab.registry import api as registry_client
from dockerlab.registry import server as registry_server

dl.setup()
bases = {
    "debian": dl.ref("debian"),
    "debian-slim": dl.ref("debian_slim"),
    "alpine": dl.ref("alpine"),
}
pd.DataFrame({"image": bases, "provenance": {k: dl.provenance(v) for k, v in bases.items()}})

# %% [markdown]
# ## 1. Size on disk, and size compressed
#
# Two sizes are easy to mix up:
#
# - **on disk**: the layers unpacked, ready for a container to use;
# - **compressed**: the layers as gzip files, what a registry stores and what
#   `docker pull` downloads. Registries (and Docker Hub's web page) show this one.
#
# The on-disk size and the file count come from the engine (`dl.compare`). Do not
# read sizes off `docker images`: on the classic image store it shows the on-disk
# size, but on the containerd image store it shows the on-disk size *plus* the
# compressed layers that store also keeps (source:
# [image stores](../docs/sources.md#image-stores)).

# %%
df = dl.compare(bases)[["size_mb", "files", "packages", "commands", "executables"]]
df

# %% [markdown]
# For the compressed size we need a registry. The kit starts a real one as a
# container on your Docker engine (the same open-source *distribution* registry
# Docker Hub grew from: the official `registry:2` image where it can be pulled, else
# Debian's `docker-registry` program in an image the kit builds), listening only on
# the engine's own `127.0.0.1`, where the engine can reach it even when it runs in a
# virtual machine (Docker Desktop). The engine pushes the three bases to it (side by
# side, to save time), compressing every layer with gzip on the way, exactly as a
# push to Docker Hub would. Then we read each image's **manifest** (through the
# engine): the registry's list of the image's blobs (its config and its layers) with
# their stored sizes. Nothing is pulled; the manifest alone tells the compressed
# size. When the cell ends, the registry container and its storage are removed.

# %%
with registry_server.LocalRegistry() as reg:
    pushed = reg.push_many({f"course/{name}": image for name, image in bases.items()}, tag="v1")
    manifests = {}
    for name in bases:
        p = pushed[f"course/{name}"]
        manifests[name] = reg.manifest(p.ref)
        print(f"{name:12} pushed {p.ref}  ->  {p.digest[:19]}…")

df["compressed_mb"] = [manifests[k].compressed_mb for k in df.index]
df["layers"] = [len(manifests[k].layers) for k in df.index]
df["disk / compressed"] = (df["size_mb"] / df["compressed_mb"]).round(1)
df[["size_mb", "compressed_mb", "disk / compressed", "layers", "files"]]

# %% [markdown]
# One manifest, as the registry serves it (sizes in bytes; the layer is the
# gzip file a pull would download):

# %%
m = manifests["alpine"]
print(f"media type: {m.media_type}\ndigest:     {m.digest}")
print(f"config:     {m.config.size:>10,} bytes")
for layer in m.layers:
    print(f"layer:      {layer.size:>10,} bytes  {layer.media_type}")
print(f"total:      {m.compressed_bytes:>10,} bytes = {m.compressed_mb} MB compressed")

# %%
fig = dl.compare_bars(
    df,
    ["size_mb", "compressed_mb", "files"],
    log=False,
    titles={
        "size_mb": "size on disk (MB)",
        "compressed_mb": "compressed, in a registry (MB)",
        "files": "files in the image",
    },
    suptitle="Alpine vs Debian: size and file count",
    caption="All measured here: on disk by the engine, compressed by pushing to a local "
    "registry and reading the manifests. Bases: "
    + "; ".join(f"{k}: {dl.provenance(v)}" for k, v in bases.items()),
)

# %%
dl.md(
    f"Alpine is smaller than both Debians, compressed or not, and has fewer files: "
    f"debian-slim is **{df.loc['debian-slim', 'size_mb'] / df.loc['alpine', 'size_mb']:.0f}"
    f" times** Alpine's size on disk. `-slim` cuts Debian's size on disk by "
    f"**{1 - df.loc['debian-slim', 'size_mb'] / df.loc['debian', 'size_mb']:.0%}**. "
    f"Compression shrinks each image by a factor between "
    f"**{df['disk / compressed'].min():.1f}** and **{df['disk / compressed'].max():.1f}** "
    "(the `disk / compressed` column), so the *ratios* between images hold either way. "
    "The lesson, checked:"
)

# %%
d, s, a = (df.loc[k] for k in ["debian", "debian-slim", "alpine"])
assert a["size_mb"] < s["size_mb"] < d["size_mb"]  # on disk
assert a["compressed_mb"] < s["compressed_mb"] < d["compressed_mb"]  # compressed
assert a["files"] < s["files"] < d["files"]
assert s["size_mb"] / a["size_mb"] > 5 and s["compressed_mb"] / a["compressed_mb"] > 5
assert all(df["compressed_mb"] < df["size_mb"])  # compressed is always the smaller number
print(
    f"alpine is {s['size_mb'] / a['size_mb']:.0f}x smaller than debian-slim on disk, "
    f"{s['compressed_mb'] / a['compressed_mb']:.0f}x compressed."
)

# %% [markdown]
# ## 2. The article's numbers, and which size they are
#
# The article's figures do not say whether they are compressed or on disk. The
# table puts them beside what we measured here and the figures recorded by Docker's
# official-images team (source: docker-library/repo-info, see
# [image sizes on record](../docs/sources.md#image-sizes-on-record)). When
# Docker Hub is reachable, the last column reads today's compressed sizes live from
# its manifests (for your engine's platform, `linux/amd64` on a PC, `linux/arm64` on
# an Apple Silicon Mac), without pulling anything.

# %%
online = dl.registry_reachable()
alpine_here = (
    f"{a['size_mb']:.2f} MB on disk, {a['compressed_mb']:.2f} MB compressed ({bases['alpine']})"
)
recorded = registry_client.sizes_on_record({"alpine": alpine_here}, live=online)
if not online:
    print(
        "Docker Hub is not reachable from this machine: the postgres and ruby rows show the\n"
        "recorded figures with their source instead of a live reading."
    )
recorded

# %% [markdown]
# Read it like this (the recorded figures: [image sizes on record](../docs/sources.md#image-sizes-on-record)):

# %%
alpine_release = dl.run(bases["alpine"], ["cat", "/etc/alpine-release"]).output.strip()
dl.md(f"""
- **Alpine** was "under 6 MB" on disk in 2021: Alpine 3.14, that year's release, is 5.60 MB
  on record in its last build (alpine:3.14.8, August 2022). The one
  here, `{bases["alpine"]}` (Alpine {alpine_release}), is **{a["size_mb"]:.1f} MB** on this
  engine's disk and **{a["compressed_mb"]:.1f} MB** compressed, as our push to the registry
  measured (alpine:3.23.6 is on record at 3.8 MB compressed). Still tiny.
- **postgres**: the article does not say which size its "314 MB" is, nor which release.
  Compare like with like, the same release on the same date (January 2023, on record):
  on disk, `postgres:13.9` was 373.36 MB and `postgres:13.9-alpine` 237.99 MB; compressed,
  `postgres:13` was 136.7 MB and `postgres:13-alpine` 92.0 MB. Either way the Alpine
  variant is about two thirds of the Debian one, not half.
- **ruby**: the gap is real (ruby:2.7.7 337.1 MB, its Alpine variant 20.9 MB, compressed, on
  record), but the `-slim` variant (56.0 MB) already removes most of it while keeping glibc.
""")

# %% [markdown]
# ## 3. busybox: many commands, one file
#
# In Alpine, `ls`, `cp`, `sed`, `tar`, `vi`, `sh` and many more are **symbolic
# links** to one binary, `/bin/busybox`. We ask the container itself: every symlink
# whose target (followed to the end) is `/bin/busybox`, and the inode it lands on.

# %%
bb = busybox.busybox_links(dl.ref("alpine"))
links, bb_inode, bb_bytes, applets = bb.links, bb.inode, bb.size, bb.applets
print(f"{len(links)} symlinks point at /bin/busybox, e.g. {', '.join(sorted(links)[:8])} ...")
print(
    f"inodes they land on: {set(links.values())} (busybox's own: {bb_inode}); "
    f"one file of {bb_bytes:,} bytes"
)
print(f"busybox has {applets} applets compiled in ({applets - len(links)} of them without a link)")

# %% [markdown]
# **How one program is many.** busybox looks at the name it was started by
# (`argv[0]`) and runs the *applet* of that name. Copy it to a new name and it does
# not know what to do; copy it to a name it knows and it becomes that command. The
# bytes are the same each time (`cmp` finds no difference).

# %%
renamed = dl.run(dl.ref("alpine"), ["sh", "-c", "cp /bin/busybox /tmp/hello && exec /tmp/hello"])
print(f"/tmp/hello -> exit {renamed.exit_code}: {renamed.output.strip()}")
as_ls = dl.run(
    dl.ref("alpine"),
    ["sh", "-c", "cp /bin/busybox /tmp/ls && cmp /bin/busybox /tmp/ls && /tmp/ls -d /etc /usr"],
)
print(f"/tmp/ls    -> exit {as_ls.exit_code}: {as_ls.output.split()}")

# %% [markdown]
# Exit status 127 is what a shell returns for "command not found": busybox has no
# applet called `hello`.
#
# **What it replaces.** On Debian those commands come from several packages. We ask
# Debian's package database (`dpkg-query`) for each package's installed size and the
# commands it puts on `PATH`, and count how many of those names Alpine's busybox
# also answers to. (busybox's versions are simpler: fewer options, no
# `--long-option` for many of them.)

# %%
packages = [
    "coreutils",
    "util-linux",
    "bsdutils",
    "mount",
    "findutils",
    "grep",
    "sed",
    "tar",
    "gzip",
    "diffutils",
    "hostname",
    "dash",
]
busybox_names = set(dl.run(dl.ref("alpine"), ["busybox", "--list"]).output.split())
replaced = sbom.commands_by_package(
    dl.ref("debian"), packages, also_in={"busybox has": busybox_names}
)
replaced

# %% [markdown]
# ## 4. musl vs glibc
#
# The C library is the code nearly every program calls (files, memory, threads,
# strings, DNS). Debian uses GNU's **glibc**; Alpine uses **musl**, written to be
# small and simple. `ldd` shows what a program loads: here each image's `ls`.

# %%
ldd_alpine = dl.run(dl.ref("alpine"), ["ldd", "/bin/ls"]).output
ldd_debian = dl.run(dl.ref("debian"), ["ldd", "/bin/ls"]).output
print("alpine: ldd /bin/ls   (a link to busybox)\n" + ldd_alpine)
print("debian: ldd /bin/ls   (GNU coreutils)\n" + ldd_debian)

# %% [markdown]
# On Alpine one file is both the dynamic loader and the whole C library
# (`libc.musl-<arch>.so.1` is a link to `ld-musl-<arch>.so.1`, `<arch>` being
# `x86_64` on a PC, `aarch64` on an Apple Silicon Mac), maths, threads and
# DNS resolver included. glibc splits the same job over several files and a package
# of modules (character-set converters, name-service plugins). Paths and sizes are
# read from each image (Debian's from the loader's own cache, `ldconfig -p`; files
# in bytes; the package totals from `apk` and `dpkg` records):

# %%
libc = busybox.libc_files(dl.ref("alpine"), dl.ref("debian"))
libc

# %%
sizes = busybox.libc_sizes(libc)
musl_so, glibc_core = sizes.musl_so, sizes.glibc_core
musl_pkg, glibc_pkg = sizes.musl_package, sizes.glibc_package
print(
    f"loader + libc: musl {musl_so / 1e6:.2f} MB vs glibc {glibc_core / 1e6:.2f} MB; "
    f"whole package: musl {musl_pkg / 1e6:.2f} MB vs glibc (libc6) {glibc_pkg / 1e6:.1f} MB "
    f"({glibc_pkg / musl_pkg:.0f}x)"
)

# %% [markdown]
# A picture of sections 3 and 4: what Debian installs for the basic tools and the C
# library, next to what Alpine installs for the same jobs.

# %%
parts = replaced.drop(index="total").sort_values("installed_mb", ascending=False)["installed_mb"]
in_common = int(replaced.loc["total", "busybox has"])
fig = dl.plotting.breakdown_bars(
    {
        f"The basic tools ({in_common} commands in common)": {
            f"debian: {len(parts)} packages": parts.to_dict(),
            "alpine: busybox (one file)": bb_bytes / 1e6,
        },
        "The C library": {"debian: glibc (libc6)": glibc_pkg / 1e6, "alpine: musl": musl_pkg / 1e6},
    },
    xlabel="installed size (MB)",
    suptitle=f"What Alpine swaps out: busybox for {len(parts)} packages, musl for glibc",
    caption=f"Measured in {bases['debian']} (dpkg Installed-Size) and "
    f"{bases['alpine']} (file size, apk record).",
)

# %% [markdown]
# ## Going deeper (optional): same source, different answers
#
# *Optional reading.* Run the cells of this section all the same: later cells and
# the notebook's checks use what they measure.
#
# A short C program asks the C library four
# questions. We compile it twice in the kit's builder image (with `gcc` for glibc and
# `musl-gcc` for musl) and run each build on its own base: a multi-stage build
# copies only the binary into Debian slim and into Alpine.

# %%
print(assets.text("libc_probe.c"))

# %%
probe_dockerfile = """
FROM {builder} AS build
COPY libc_probe.c /src/
RUN gcc -O2 -o /probe-glibc /src/libc_probe.c && musl-gcc -O2 -o /probe-musl /src/libc_probe.c

FROM {base}
COPY --from=build /probe-{libc} /usr/local/bin/libc_probe
CMD ["libc_probe"]
"""
probe_files = {"libc_probe.c": assets.text("libc_probe.c")}
probes = {
    "glibc": dl.build(
        probe_dockerfile.format(
            builder=dl.ref("builder"), base=dl.ref("debian_slim"), libc="glibc"
        ),
        probe_files,
        tag="dockerlab/libc-probe:glibc",
        progress=False,
    ),
    "musl": dl.build(
        probe_dockerfile.format(builder=dl.ref("builder"), base=dl.ref("alpine"), libc="musl"),
        probe_files,
        tag="dockerlab/libc-probe:musl",
        progress=False,
    ),
}
answers = {}
for libc_name, img in probes.items():
    run = dl.run(img)
    assert run.ok, run.output
    answers[libc_name] = dict(line.split(": ", 1) for line in run.output.splitlines())
behaviour = pd.DataFrame(answers)
behaviour

# %% [markdown]
# What differs:
#
# - glibc reports its version through `confstr`; musl has no such setting, on purpose
#   (musl does not let programs ask "which libc am I?": test for features instead);
# - the text for "no error" differs (`Success` vs `No error information`): programs
#   that compare error *messages* break;
# - musl accepts any locale name (it has no locale files to check) where glibc
#   refuses one that is not installed, so a missing-locale check passes on Alpine;
# - glibc converts between hundreds of character sets (the `gconv` modules that make
#   its package big); musl's `iconv` knows a smaller built-in set. Of the EBCDIC code
#   pages (IBM mainframes' character sets) it has exactly one, IBM1047: the probe
#   shows musl refusing IBM037 and converting IBM1047, where glibc does both (source:
#   [musl and glibc differences](../docs/sources.md#musl-and-glibc-differences)).
#
# Two differences the course does **not** measure here, with their sources:
#
# - **Thread stacks.** musl gives a new thread a much smaller default stack (128 KiB
#   since musl 1.1.21; the article's 80 kB was older musl) than glibc (8 MiB, the
#   `ulimit -s`), so deep recursion in a thread can crash on Alpine only (sources:
#   [musl](../docs/sources.md#musl-thread-stacks),
#   [glibc](../docs/sources.md#glibc-thread-stacks)). Notebook 03 measures that.
# - **DNS.** *Not measured: our containers have no network.* musl's resolver sends its
#   queries to every `nameserver` in `/etc/resolv.conf` at once and takes the first
#   answer (glibc tries them in order), treats `search`/`ndots` differently, and only
#   falls back to TCP for large answers since musl 1.2.4 (2023). Sources: the musl
#   wiki page "Functional differences from glibc" (section on the name resolver) and
#   musl's `WHATSNEW` for 1.2.4 ([musl and glibc differences](../docs/sources.md#musl-and-glibc-differences)).

# %% [markdown]
# ## The lessons, checked

# %%
# busybox: more than 100 commands are links, and every one lands on the same file.
assert len(links) > 100
assert set(links.values()) == {bb_inode}
# The name decides: an unknown name is "applet not found", exit 127; a known one works.
assert renamed.exit_code == 127 and "applet not found" in renamed.output
assert as_ls.ok and as_ls.output.split() == ["/etc", "/usr"]
# One busybox file is a small fraction of the Debian packages whose commands it covers.
assert bb_bytes * 10 < replaced.loc["total", "installed_mb"] * 1e6
assert replaced.loc["total", "busybox has"] > 100
# musl's whole C library is much smaller than glibc's core files, and its package 10x+ smaller.
assert musl_so < glibc_core / 2 and musl_pkg * 10 < glibc_pkg
# Same source, different behaviour.
assert behaviour.loc["strerror(0)", "glibc"] != behaviour.loc["strerror(0)", "musl"]
assert behaviour.loc["confstr(_CS_GNU_LIBC_VERSION)", "glibc"].startswith("glibc ")
# musl has one EBCDIC code page, IBM1047, and not IBM037; glibc has both.
assert behaviour.loc['iconv_open("IBM1047")', "musl"] == "supported"
assert behaviour.loc['iconv_open("IBM037")', "musl"] != "supported"
assert set(behaviour.loc[['iconv_open("IBM037")', 'iconv_open("IBM1047")'], "glibc"]) == {
    "supported"
}
print("all lessons hold")

# %% [markdown]
# ## What we learned
#
# - Alpine is smaller than Debian slim by the ratio printed above,
#   **on disk and compressed**, both measured here; the compressed size is what a registry stores and a pull
#   downloads, and we read it from a real registry's manifests without pulling.
# - Say which size you mean, and compare like with like: the same release, on
#   disk with on disk, compressed with compressed. Either way `postgres:13-alpine`
#   was about two thirds of `postgres:13`, not half (source:
#   [image sizes on record](../docs/sources.md#image-sizes-on-record)).
# - busybox is one file behind the commands counted above, choosing by the name
#   it was called with; it stands in for several Debian packages, with fewer options.
# - musl is one small file where glibc is a big package; the same C source can
#   behave differently on each (error texts, locales, character sets: one EBCDIC
#   code page on musl, and thread stacks: next notebook).
#
# **Exercise:** [exercise 1](../exercises/01-smaller-images.ipynb): write a Dockerfile, and the kit measures it.
#
# Previous: [01: Smaller is better](01-smaller-is-better.ipynb) ·
# Next: [03: Stack size and recursion](03-stack-size-and-recursion.ipynb)

# %%
for img in probes.values():
    img.remove()
dl.cleanup()
