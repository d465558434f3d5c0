"""Each notebook's execution time, cold and warm, as a learner's kernel runs it.

Cold: the base images are present, nothing else the kit builds is (everything
the kit made is removed first). Warm: the same notebook run again right after.
Runs on copies, so the committed notebooks are untouched.

    python bench/notebooks.py [--out FILE] [NOTEBOOK ...]

Results go to ``bench/results/<engine>/notebooks.json`` (see ``overhead.results_dir``).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from overhead import write_results

import dockerlab as dl

ROOT = Path(__file__).resolve().parent.parent


def run_once(path: Path, workdir: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=1800, kernel_name="python3",
                            resources={"metadata": {"path": str(workdir)}})  # fmt: skip
    t0 = time.perf_counter()
    client.execute()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("notebooks", nargs="*")
    ap.add_argument("--out", default=None, help="default: bench/results/<engine>/notebooks.json")
    args = ap.parse_args()
    paths = [Path(p) for p in args.notebooks] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for p in paths:
            shutil.copy(p, work / p.name)
            dl.cleanup(all_sessions=True)
            cold = run_once(work / p.name, work)
            warm = run_once(work / p.name, work)
            results[p.stem] = {"cold_s": cold, "warm_s": warm}
            print(f"{p.stem:<40} cold {cold:6.1f} s   warm {warm:6.1f} s", flush=True)
    total = sum(r["cold_s"] for r in results.values())
    print(f"{'whole course, cold':<40} {total / 60:6.1f} min")
    print("wrote", write_results("notebooks", results, args.out))


if __name__ == "__main__":
    main()
