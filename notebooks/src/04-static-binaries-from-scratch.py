# %% [markdown]
# # 04: Static binaries, from scratch
#
# **The claim.** Start from the empty `scratch` image, copy in one statically
# linked program, and you get an image that holds "only the application file by
# itself": no operating system at all.
#
# **The test.** We compile the same small C program four ways (glibc and musl,
# dynamic and static) and try each in `scratch`, Alpine and Debian slim. We read
# each program's ELF headers to see *why* some fail, compare the image sizes, and
# then find out what real programs miss in an empty image (CA certificates, user
# names, time zones) and add exactly that, measuring each addition.

# %%
import pandas as pd

import dockerlab as dl
from dockerlab import assets
from dockerlab.inspect import elf, layers
from dockerlab.lessons import static_binaries

dl.setup()

# %% [markdown]
# ## One program, four builds, in a build stage
#
# The program is `hello.c` (it prints what it can see of `/`). The kit's builder
# image has both C libraries: **glibc** (`gcc`, what Debian uses) and **musl**
# (`musl-gcc`, what Alpine uses). Each can link the program **dynamically** (the
# library code stays in shared `.so` files, loaded when the program starts) or
# **statically** (`-static`: the library code is copied into the program).
#
# This build stage is the first half of every Dockerfile below. It is a
# **multi-stage build**: the compiler lives only in the `build` stage; the final
# stage copies the programs out of it with `COPY --from=build`, and nothing else.

# %%
print(assets.text("hello.c"))

# %%
BUILD_STAGE = f"""
FROM {dl.ref("builder")} AS build
COPY hello.c /src/hello.c
RUN mkdir /out \\
 && gcc              -O2 -o /out/hello-glibc-dynamic /src/hello.c \\
 && gcc      -static -O2 -o /out/hello-glibc-static  /src/hello.c \\
 && musl-gcc         -O2 -o /out/hello-musl-dynamic  /src/hello.c \\
 && musl-gcc -static -O2 -o /out/hello-musl-static   /src/hello.c \\
 && strip /out/*
"""
HELLO = {"hello.c": assets.text("hello.c")}

# %% [markdown]
# ## The usual first try: the normal build, FROM scratch
#
# `gcc hello.c` links dynamically; that is the default everywhere. Copy that
# program into an empty image and run it:

# %%
dynamic_dockerfile = (
    BUILD_STAGE
    + """
FROM scratch
COPY --from=build /out/hello-glibc-dynamic /hello
ENTRYPOINT ["/hello"]
"""
)
scratch_dynamic = dl.build(dynamic_dockerfile, HELLO)
first_try = dl.run(scratch_dynamic)
print(f"exit code {first_try.exit_code}: {first_try.output.strip()}")

# %% [markdown]
# **"No such file or directory"**, about a file we just copied in. Is `/hello`
# really there? We read it straight out of the image (without running anything):

# %%
hello_bytes = elf.read_file(scratch_dynamic, "/hello")
print(f"/hello is in the image: {len(hello_bytes):,} bytes, starting with {hello_bytes[:4]!r}")
info = elf.parse(hello_bytes)
print(info.describe())

# %% [markdown]
# The file is there. The answer is in its ELF headers: a dynamically linked
# program names an **interpreter** (the `PT_INTERP` header), the *dynamic loader*
# that must run first to load its shared libraries (`libc.so.6` here). The
# kernel looks for that loader, does not find it, and `exec` fails with
# `ENOENT`, "no such file or directory". The error names the program, but the
# missing file is the loader. Its path depends on the C library and on the CPU
# (an x86_64 PC and an Apple Silicon Mac differ), so the code below does not
# type it in: each base's own programs name theirs. Which images have it?

# %%
loader = info.interpreter
glibc_loader = elf.inspect(
    dl.ref("debian_slim"), "/bin/ls"
).interpreter  # what Debian's programs name
musl_loader = elf.inspect(
    dl.ref("alpine"), "/bin/busybox"
).interpreter  # what Alpine's programs name
print(f"on this engine glibc's loader is {glibc_loader}, musl's {musl_loader}")
where = {
    "scratch image": scratch_dynamic,
    "debian-slim": dl.ref("debian_slim"),
    "alpine": dl.ref("alpine"),
}
loader_present = {name: elf.exists(image, loader) for name, image in where.items()}
print(f"{loader} present in:", loader_present)

assert not first_try.ok and "no such file or directory" in first_try.output.lower()
assert hello_bytes[:4] == b"\x7fELF"  # the program itself is there...
assert loader == glibc_loader  # ...it needs glibc's loader...
assert info.needed == ("libc.so.6",)  # ...to load glibc
assert loader_present == {"scratch image": False, "debian-slim": True, "alpine": False}

# %% [markdown]
# Only Debian slim has glibc's loader. Compare this with notebook 01, where we asked `scratch` for `/bin/sh`: that file
# does not exist at all, and the engine refused to start the container. Here the
# container starts, and the *kernel's* `exec` of `/hello` fails inside it. The
# same words, two different causes; reading the ELF headers tells them apart.

# %% [markdown]
# ## The fix: link statically
#
# A static program has no interpreter: the kernel loads it and jumps straight
# in. Same program, same build stage; this time we copy the `musl-gcc -static` build:

# %%
static_dockerfile = (
    BUILD_STAGE
    + """
FROM scratch
COPY --from=build /out/hello-musl-static /hello
ENTRYPOINT ["/hello"]
"""
)
scratch_static = dl.build(static_dockerfile, HELLO)
fixed = dl.run(scratch_static)
static_info = elf.inspect(scratch_static, "/hello")
print(static_info.describe())
print(f"exit code {fixed.exit_code}: {fixed.output.strip()}")

assert static_info.static and static_info.interpreter is None and not static_info.needed
assert fixed.ok and fixed.output.startswith("hello from a static binary")

# %% [markdown]
# ## Every build on every base
#
# Which program runs where? We put all four builds in three images (`scratch`,
# Alpine, Debian slim) and run each one. First, what each build asks for:

# %%
matrix_dockerfile = (
    BUILD_STAGE
    + """
FROM {base}
COPY --from=build /out/ /hello/
"""
)
bases = {"scratch": "scratch", "alpine": dl.ref("alpine"), "debian-slim": dl.ref("debian_slim")}
matrix_images = {
    name: dl.build(matrix_dockerfile.format(base=ref), HELLO, progress=False)
    for name, ref in bases.items()
}
builds = ["glibc-dynamic", "glibc-static", "musl-dynamic", "musl-static"]
elves = {b: elf.inspect(matrix_images["scratch"], f"/hello/hello-{b}") for b in builds}
pd.DataFrame(
    {
        "linking": e.linking,
        "interpreter (PT_INTERP)": e.interpreter or "none",
        "needs (DT_NEEDED)": ", ".join(e.needed) or "nothing",
        "size (KB)": round(e.size / 1000, 1),
    }
    for e in elves.values()
).set_axis(builds)

# %%
runs = {
    b: {name: dl.run(image, [f"/hello/hello-{b}"]) for name, image in matrix_images.items()}
    for b in builds
}
ran = pd.DataFrame({b: {name: r.ok for name, r in row.items()} for b, row in runs.items()}).T

fig = static_binaries.plot_run_matrix(
    ran,
    {b: elves[b].interpreter for b in ran.index},
    title="Does the program run? Only where its loader is, or when it needs none",
    caption="Measured on this engine. Bases: alpine: "
    + dl.provenance("alpine")
    + "; debian-slim: "
    + dl.provenance("debian_slim"),
)

# %% [markdown]
# Each dynamic build runs only where its own loader is: glibc's in Debian
# (`/lib64/ld-linux-x86-64.so.2` on an x86_64 engine, `/lib/ld-linux-aarch64.so.1`
# on arm64, an Apple Silicon Mac's), musl's in Alpine (`/lib/ld-musl-x86_64.so.1`,
# `/lib/ld-musl-aarch64.so.1` on arm64; the loaders of your engine are printed above).
# A glibc program copied into Alpine fails with the very same confusing message:
# the classic "but the file is right there!" of Alpine images. The static builds
# run everywhere, `scratch` included.

# %%
expected = pd.DataFrame(
    {
        "scratch": [False, True, False, True],
        "alpine": [False, True, True, True],
        "debian-slim": [True, True, False, True],
    },
    index=builds,
)
assert ran.equals(expected), ran
for b in builds:
    for base in ("scratch", "alpine", "debian-slim"):
        if not ran.loc[b, base]:
            assert "no such file or directory" in runs[b][base].output.lower(), (b, base)
assert elves["glibc-dynamic"].interpreter == glibc_loader
assert elves["musl-dynamic"].interpreter == musl_loader
assert elves["glibc-static"].static and elves["musl-static"].static

# %% [markdown]
# ## How small is "from scratch"?
#
# The same program, shipped the natural way on each base: the static musl build
# alone in `scratch` (the image we fixed above; and, for comparison, the static
# glibc build), the dynamic musl build on Alpine (which brings musl), the dynamic
# glibc build on Debian slim. Each of these runs: the grid above showed it.

# %%
ship_dockerfile = (
    BUILD_STAGE
    + """
FROM {base}
COPY --from=build /out/hello-{build} /hello
ENTRYPOINT ["/hello"]
"""
)
ship = {
    "scratch (glibc static)": ("scratch", "glibc-static"),
    "alpine (musl dynamic)": (dl.ref("alpine"), "musl-dynamic"),
    "debian-slim (glibc dynamic)": (dl.ref("debian_slim"), "glibc-dynamic"),
}
ship_images = {
    label: dl.build(ship_dockerfile.format(base=base, build=b), HELLO, progress=False)
    for label, (base, b) in ship.items()
}
ship_images = {"scratch (musl static)": scratch_static, **ship_images}  # built above already
# The bytes of every file in every layer of the image (read from the layers themselves, so
# the same on every engine and image store), and the program's own bytes.
sizes = pd.DataFrame(
    {
        "image_kb": layers.analyse(img).total_bytes / 1000,
        "program_kb": elf.inspect(img, "/hello").size / 1000,
    }
    for img in ship_images.values()
).set_axis(list(ship_images))
sizes.round(1)

# %%
fig = dl.compare_bars(
    sizes,
    ["image_kb", "program_kb"],
    titles={
        "image_kb": "bytes in the image's layers (KB)",
        "program_kb": "the program inside (KB)",
    },
    suptitle="The same hello program, shipped on each base (log scale)",
    caption="Measured on this engine. Bases: alpine: "
    + dl.provenance("alpine")
    + "; debian-slim: "
    + dl.provenance("debian_slim"),
)

# %%
s, g, a, d = (sizes["image_kb"].iloc[i] for i in range(4))
assert s < a < d  # scratch < Alpine < Debian slim, with the same program
assert s < 100  # the whole scratch image is a few tens of KB: the program is the image
assert abs(sizes["program_kb"].iloc[0] - s) < 1  # ...and the image is just the program
assert g > 5 * s  # static glibc is much bigger than static musl
print(f"scratch: {s:.0f} KB; alpine {a / s:,.0f}x bigger, debian-slim {d / s:,.0f}x bigger.")

# %% [markdown]
# The `scratch` image *is* the program: its size is the program's size, a few
# tens of KB. Alpine adds its whole (small) operating system, Debian slim a much
# bigger one: the printed ratios above.
# Static glibc programs are far bigger than static musl ones: glibc pulls in much
# more code and is not designed for static linking (functions such as
# `getpwnam` still try to load shared NSS modules at run time). For static
# binaries, musl (or a language like Go that does not use libc) is the usual
# choice.

# %% [markdown]
# ## What scratch lacks, and how to add just that
#
# "Only the application file" holds for `hello`. Real programs quietly expect a few
# files from the operating system. Three common ones, each proved with a small
# static program of our own:
#
# | missing | who needs it | our test program |
# |---|---|---|
# | CA certificates (`/etc/ssl/certs/ca-certificates.crt`) | any HTTPS/TLS client, to trust servers | `certcount`: opens the bundle, counts certificates |
# | `/etc/passwd`, `/etc/group` | `USER appuser` by name; programs that look up their user name or home | `id`: prints uid/gid and their names |
# | time zone data (`/usr/share/zoneinfo`) | local time in `TZ=Europe/Paris` | `clock`: prints two instants in local time |
#
# There is no network here, so `certcount` cannot make a real TLS call; opening
# and reading the bundle is what a TLS library does first.

# %%
for name in ("certcount.c", "id.c", "clock.c"):
    print(assets.text(name).split("*/")[0] + "*/\n")
TOOLS = {name: assets.text(name) for name in ("certcount.c", "id.c", "clock.c")}

# %% [markdown]
# Where do we get the files, with no network? From images we already have: each
# is a `COPY --from=<image>` away. Let us check which image has what:

# %%
CA_BUNDLE, ZONE = "/etc/ssl/certs/ca-certificates.crt", "/usr/share/zoneinfo/Europe/Paris"
have = pd.DataFrame(
    {
        name: {"CA bundle": elf.exists(ref, CA_BUNDLE), "Europe/Paris zone": elf.exists(ref, ZONE)}
        for name, ref in {"alpine": dl.ref("alpine"), "debian-slim": dl.ref("debian_slim")}.items()
    }
)
zoneinfo_kb = dl.run(dl.ref("debian_slim"), ["du", "-sk", "/usr/share/zoneinfo"]).output.split()[0]
print(f"debian-slim's whole /usr/share/zoneinfo: {zoneinfo_kb} KB (tzdata is installed there)")
# Alpine has the CA bundle and no zones; Debian slim has the zones (tzdata) and no CA bundle.
assert have.to_dict() == {
    "alpine": {"CA bundle": True, "Europe/Paris zone": False},
    "debian-slim": {"CA bundle": False, "Europe/Paris zone": True},
}
have

# %% [markdown]
# Debian's minimal base has no `ca-certificates` package (it is not part of a
# minimal install), but it has `tzdata`; Alpine's minimal root filesystem ships the
# CA bundle (package `ca-certificates-bundle`) but no time zones. So the CA bundle
# comes from Alpine, the zone from Debian slim, and the user files we write
# ourselves in the build stage: one line each, a user and a group with id 10001.
#
# Two images: `bare` holds only our three programs; `complete` adds each missing
# piece in its own `COPY`, so `docker history` measures each addition.

# %%
TOOLS_STAGE = f"""
FROM {dl.ref("builder")} AS build
COPY *.c /src/
RUN mkdir /out \\
 && for p in certcount id clock; do musl-gcc -static -Os -o /out/$p /src/$p.c; done \\
 && strip /out/* \\
 && echo 'appuser:x:10001:10001:app user:/nonexistent:/sbin/nologin' > /out/passwd \\
 && echo 'appuser:x:10001:' > /out/group
"""
bare_dockerfile = (
    TOOLS_STAGE
    + """
FROM scratch
COPY --from=build /out/certcount /out/id /out/clock /bin/
"""
)
complete_dockerfile = (
    bare_dockerfile
    + f"""
# 1. CA certificates, from Alpine's ca-certificates-bundle
COPY --from={dl.ref("alpine")} {CA_BUNDLE} /etc/ssl/certs/
# 2. a user and a group, written in the build stage
COPY --from=build /out/passwd /out/group /etc/
# 3. one time zone, from Debian's tzdata
COPY --from={dl.ref("debian_slim")} {ZONE} /usr/share/zoneinfo/Europe/
USER appuser
"""
)
print(complete_dockerfile)
bare = dl.build(bare_dockerfile, TOOLS, progress=False)
complete = dl.build(complete_dockerfile, TOOLS, progress=False)

# %% [markdown]
# ### Before: the bare image

# %%
before = {
    "certificates": dl.run(bare, ["/bin/certcount"]),
    "user 10001": dl.run(bare, ["/bin/id"], user="10001"),
    "TZ=Europe/Paris": dl.run(bare, ["/bin/clock"], environment={"TZ": "Europe/Paris"}),
}
try:
    dl.run(bare, ["/bin/id"], user="appuser")
    by_name = "ran"
except dl.DockerlabError as e:
    by_name = str(e)
for what, r in before.items():
    print(f"--- {what} (exit {r.exit_code})\n{r.output.strip()}")
print(f"--- USER appuser\n{by_name}")

# %% [markdown]
# - **No certificates**: any TLS connection would fail to verify the server.
# - **Numeric users work, names do not.** The kernel only knows numbers, so
#   `USER 10001` runs fine (a good habit: never run as root); but the program
#   cannot learn its name, and `USER appuser` cannot even start: the engine looks
#   the name up in the image's `/etc/passwd` and there is none.
# - **Time zones fail silently.** `TZ=Europe/Paris` names a file that is not
#   there, and the C library quietly falls back to UTC: no error, wrong times.

# %%
assert (
    not before["certificates"].ok and "No such file or directory" in before["certificates"].output
)
assert before["user 10001"].ok and "uid=10001 " in before["user 10001"].output
assert "no matching entries in passwd file" in by_name
assert before["TZ=Europe/Paris"].output.count("UTC (UTC+0000)") == 2  # silently UTC

# %% [markdown]
# ### After: each addition, measured and proved

# %%
after = {
    "certificates": dl.run(complete, ["/bin/certcount"]),
    "USER appuser": dl.run(complete, ["/bin/id"]),
    "TZ=Europe/Paris": dl.run(complete, ["/bin/clock"], environment={"TZ": "Europe/Paris"}),
}
for what, r in after.items():
    print(f"--- {what} (exit {r.exit_code})\n{r.output.strip()}")

# Bytes of the files each layer holds, read from the layers (the same on every image store).
complete_layers = layers.analyse(complete).layers
added = complete_layers.set_axis(
    ["our 3 programs", "CA certificates", "passwd + group", "Europe/Paris zone"]
)
bare_kb, complete_kb = (layers.analyse(i).total_bytes / 1000 for i in (bare, complete))
print(f"\nbare: {bare_kb:.1f} KB, complete: {complete_kb:.1f} KB")
added.assign(kb=added["size"] / 1000)[["size", "kb"]].rename(columns={"size": "bytes added"})

# %%
certs = int(after["certificates"].output.split()[0])
assert after["certificates"].ok and certs > 50
assert after["USER appuser"].output.startswith("uid=10001(appuser) gid=10001(appuser)")
assert "13:00 CET (UTC+0100)" in after["TZ=Europe/Paris"].output
assert (
    "14:00 CEST (UTC+0200)" in after["TZ=Europe/Paris"].output
)  # summer time, from the zone's rules
assert abs((complete_kb - bare_kb) * 1000 - added["size"].iloc[1:].sum()) < 1
ca, users, zone = added["size"].iloc[1:]
assert ca < 250_000 and users < 200 and zone < 10_000  # bytes: all three are small
assert int(zoneinfo_kb) * 1000 > 100 * zone  # one zone vs the whole tzdata folder
print(
    f"{certs} CA certificates, a named user and Paris time cost "
    f"{complete_kb - bare_kb:.0f} KB; the image is {complete_kb:.0f} KB in all."
)

# %%
dl.md(
    f"The additions are tiny (the table above, checked by the asserts): the CA bundle is "
    f"the largest at **{ca / 1000:.0f} KB**; a user and a group cost **{users} bytes**; one time "
    f"zone **{zone / 1000:.1f} KB**, {int(zoneinfo_kb) * 1000 / zone:.0f} times less than the whole "
    "`zoneinfo` folder measured earlier: copy only the zones you use."
)

# %% [markdown]
# **Time zones without any file.** If your program needs one fixed zone, the
# rules can also be written into `TZ` itself as a POSIX TZ string (`UTC0`, or
# `CET-1CEST,M3.5.0,M10.5.0/3` for central Europe), which needs no file at all.
# It works in the bare image; the price is that you maintain the rules yourself
# when a country changes them, which `tzdata` updates would do for you.

# %%
posix = dl.run(bare, ["/bin/clock"], environment={"TZ": "CET-1CEST,M3.5.0,M10.5.0/3"})
print(posix.output)
assert "13:00 CET (UTC+0100)" in posix.output and "14:00 CEST (UTC+0200)" in posix.output

# %% [markdown]
# ## What we learned
#
# - A `FROM scratch` image with a static program is the program and nothing
#   else: measured here in KB, smaller than Alpine and than Debian slim with the
#   same program by the ratios printed above.

# %%
dl.md(
    '- A *dynamically* linked program FROM scratch fails with "no such file or directory" '
    "although the file is there: the missing file is the **loader** named in its ELF "
    f"`PT_INTERP` header (on this engine `{glibc_loader}` for glibc, `{musl_loader}` for musl; "
    "its path depends on the CPU too). The same happens with a glibc program on Alpine. "
    "`elf.inspect(image, path)` reads it for you."
)

# %% [markdown]
# - Link statically (`musl-gcc -static`, `CGO_ENABLED=0` in Go) and build in a
#   separate stage: the compiler stays behind, `COPY --from=build` ships only
#   the result.
# - "Only the application" is rarely enough for real programs: add exactly what
#   they need, each a small `COPY`: CA certificates for TLS, `/etc/passwd` and
#   `/etc/group` to run as a named non-root user, the time zones you use (or a
#   POSIX `TZ` string). Wrong or missing time zones fail silently: test them.
#
# **Exercise:** [exercise 2](../exercises/02-stack-and-static.ipynb): write a Dockerfile, and the kit measures it.
#
# Previous: [03: Stack size and recursion](03-stack-size-and-recursion.ipynb) ·
# Back to the start: [00: Start here](00-start-here.ipynb)

# %%
for img in [scratch_dynamic, *matrix_images.values(), *ship_images.values(), bare, complete]:
    img.remove()
dl.cleanup()
