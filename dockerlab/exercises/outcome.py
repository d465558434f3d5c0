"""What a check says: not attempted, not yet (and why), or passed. Shows as a coloured box
in Jupyter, in the course's colours by role."""

from __future__ import annotations

import html
from dataclasses import dataclass

from dockerlab.core.plotting import (
    CAUTION_DARK,
    CAUTION_LIGHT,
    GOOD_DARK,
    GOOD_LIGHT,
    MUTED,
    NEUTRAL_LIGHT,
)

NOT_ATTEMPTED, NOT_YET, PASSED = "not attempted", "not yet", "passed"
#: Each state's words colour, background and mark, in the course's colours by role.
_STYLE = {
    NOT_ATTEMPTED: (MUTED, NEUTRAL_LIGHT, "○"),
    NOT_YET: (CAUTION_DARK, CAUTION_LIGHT, "✗"),
    PASSED: (GOOD_DARK, GOOD_LIGHT, "✓"),
}


@dataclass(frozen=True)
class Outcome:
    """The result of one check. Shows as a coloured box in Jupyter."""

    status: str
    message: str
    question: str = ""

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    def __str__(self) -> str:
        mark = _STYLE[self.status][2]
        return f"{mark} {self.question}: {self.status}. {self.message}".strip()

    __repr__ = __str__

    def _repr_html_(self) -> str:
        color, background, mark = _STYLE[self.status]
        return (
            f"<div style='border-left:4px solid {color};background:{background};"
            f"padding:6px 10px;margin:4px 0'><b style='color:{color}'>{mark} "
            f"{html.escape(self.question)}: {self.status}</b><br>"
            f"{html.escape(self.message).replace(chr(10), '<br>')}</div>"
        )
