"""What ``python -m dockerlab grade`` writes: a gradebook CSV, JSON, JUnit XML.

- **CSV** (:data:`CSV_COLUMNS`): one row per learner, the columns of Canvas's gradebook
  export (``Student``, ``ID``, ``SIS User ID``, ``SIS Login ID``, ``Section``), then one
  assignment column, the questions passed on regrade. Moodle's CSV grade import maps a
  user column (``SIS Login ID``, the learner's login) to a user field and the assignment
  column to a grade item. docs/instructor.md documents each column.
- **JSON**: every learner, every question: status, what the check measured and said, how
  long it took, when, and where the answer was read.
- **JUnit XML**: a test suite per learner, a test case per question (a failure where it
  did not pass, skipped where not attempted), for CI.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

from dockerlab.exercises.outcome import NOT_ATTEMPTED, PASSED

#: The name of the gradebook's assignment column.
ASSIGNMENT = "dockerlab exercises"
#: The gradebook CSV's header, in order.
CSV_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section", ASSIGNMENT)


def to_csv(graded: list) -> str:
    """The gradebook: one row per learner (:class:`~dockerlab.classroom.grader.LearnerGrade`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for g in graded:
        writer.writerow([g.learner, "", "", g.learner, "", g.points])
    return out.getvalue()


def to_json(graded: list) -> str:
    """Every learner's questions with what was measured and said."""
    return json.dumps({"learners": [g.to_dict() for g in graded]}, indent=1)


def to_junit(graded: list) -> str:
    """JUnit XML: a suite per learner, a case per question."""
    suites = ET.Element("testsuites", name="dockerlab grade")
    for g in graded:
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=g.learner,
            tests=str(g.possible),
            failures=str(sum(q.status not in (PASSED, NOT_ATTEMPTED) for q in g.questions)),
            skipped=str(sum(q.status == NOT_ATTEMPTED for q in g.questions)),
            time=f"{sum(q.seconds for q in g.questions):.2f}",
        )
        for q in g.questions:
            case = ET.SubElement(
                suite, "testcase", classname=f"{g.learner}.{q.key}", name=q.question,
                time=f"{q.seconds:.2f}",
            )  # fmt: skip
            if q.status == NOT_ATTEMPTED:
                ET.SubElement(case, "skipped", message=q.message)
            elif q.status != PASSED:
                ET.SubElement(case, "failure", message=q.status).text = q.message
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def below(graded: list, fail_under: float | None) -> list[str]:
    """The learners whose percent of questions passed is under ``fail_under``."""
    if fail_under is None:
        return []
    return [g.learner for g in graded if g.percent < fail_under]
