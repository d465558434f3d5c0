"""The course's architecture-dependent figures, measured on this engine's platform.

Run once per platform (``make bench`` runs it on amd64 and, emulated, on arm64) so
the report can put them side by side: the base images' sizes and attack surface
(notebook 01), and the deepest recursion each C library survives in a thread
(notebook 03), with the thread stack it implies.

    python bench/figures.py [--out FILE]

Results go to ``bench/results/<engine>/figures.json`` (see ``overhead.results_dir``).
"""

from __future__ import annotations

import argparse

from overhead import write_results

import dockerlab as dl
from dockerlab.lessons import stack

BASES = ("debian_old", "debian", "debian_slim", "alpine")
FRAMES = (256, 1024, 4096)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=None, help="default: bench/results/<engine>/figures.json")
    args = ap.parse_args()
    table = dl.compare({key: dl.ref(key) for key in BASES})
    columns = ["size_mb", "packages", "executables", "setuid", "shells"]
    images = {key: {"ref": dl.ref(key), "size_mb": float(row["size_mb"]),
                    **{c: int(row[c]) for c in columns[1:]}}
              for key, row in table.iterrows()}  # fmt: skip
    with stack.build_programs() as progs, stack.Prober(progs) as probe:
        limits = stack.find_limits(probe, [(libc, stack.DEFAULT, f)
                                           for libc in stack.LIBCS for f in FRAMES])  # fmt: skip
        fitted = stack.fits(limits)
    recursion = {
        libc: {
            "max_depth": {str(f): int(d) for f, d in zip(g["frame"], g["max_depth"], strict=True)},
            "implied_stack_bytes": round(fitted[libc].stack),
        }
        for libc, g in limits.groupby("libc")
    }
    for key, x in images.items():
        print(f"{key:<12} {x['ref']:<22} {x['size_mb']:8.1f} MB")
    for libc, r in recursion.items():
        print(f"{libc:<6} thread stack {stack.human(r['implied_stack_bytes']):>8}, deepest "
              + ", ".join(f"{d:,} at {f} B" for f, d in r["max_depth"].items()))  # fmt: skip
    results = {"platform": dl.platform(), "emulated": dl.emulated(), "images": images,
               "recursion": recursion}  # fmt: skip
    print("wrote", write_results("figures", results, args.out))


if __name__ == "__main__":
    main()
