"""How long ``python -m dockerlab grade`` takes: 2 learners x every question of the course.

Both learners hand in the solution notebooks (every check runs to its end: builds, runs,
measurements), so this is the most a regrade of a learner does; a blank answer costs
nothing. Each question's check runs in a process of its own, as the grader runs it.

    python bench/grade.py [--learners N] [--out FILE]

Results go to ``bench/results/<engine>/grade.json``: the whole run's seconds, each
question's, and the learners and questions it covered.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from overhead import write_results

from dockerlab.classroom import grader
from dockerlab.classroom.learners import Budget

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--learners", type=int, default=2)
    parser.add_argument("--out")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-grade-") as tmp:
        for n in range(args.learners):
            folder = Path(tmp) / f"learner{n + 1}"
            folder.mkdir()
            for nb in sorted((ROOT / "exercises" / "solutions").glob("0[1-6]-*.ipynb")):
                shutil.copy(nb, folder)
        started = time.monotonic()
        graded = grader.regrade(
            grader.folder_submissions(tmp), budget=Budget(), say=lambda line: None
        )
        total = time.monotonic() - started
    per_question = [q.seconds for g in graded for q in g.questions]
    results = {
        "learners": args.learners,
        "questions": len(graded[0].questions),
        "passed": [g.points for g in graded],
        "seconds": round(total, 1),
        "per_learner_seconds": round(total / args.learners, 1),
        "question_median_seconds": round(statistics.median(per_question), 1),
        "question_max_seconds": round(max(per_question), 1),
        "per_question": {q.key: q.seconds for q in graded[0].questions},
        "bounded_by": graded[0].budget,
    }
    path = write_results("grade", results, args.out)
    print(f"grade: {args.learners} learners x {results['questions']} questions in "
          f"{results['seconds']} s ({results['per_learner_seconds']} s a learner) -> {path}")  # fmt: skip


if __name__ == "__main__":
    main()
