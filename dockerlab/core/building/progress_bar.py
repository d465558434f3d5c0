"""Showing a long build's progress: a bar in Jupyter, a line per step elsewhere."""

from __future__ import annotations

import sys
from collections.abc import Callable


def in_notebook() -> bool:
    """True when running in a Jupyter kernel (where widgets can be shown)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"


class BuildProgress:
    """Progress of one build: which step of how many, and its last output line.

    Args:
        dockerfile: The Dockerfile being built (its first line titles the bar).
        mode: True for the default display, False for silence, or a callable
            that receives every log line.
    """

    def __init__(self, dockerfile: str, mode: bool | Callable[[str], None]) -> None:
        self.sink = mode if callable(mode) else None
        self.enabled = bool(mode) and not callable(mode)
        self.widget = None
        if self.enabled and in_notebook():
            import ipywidgets as w
            from IPython.display import display

            self.bar = w.IntProgress(value=0, min=0, max=1, description="building")
            self.label = w.Label(value="")
            self.widget = w.HBox([self.bar, self.label])
            display(self.widget)

    def discard(self) -> None:
        """Take the bar away: the build did not start after all (a base image is missing)."""
        if self.widget is not None:
            self.widget.close()
            self.widget = None

    def step(self, n: int, total: int, instruction: str) -> None:
        text = f"Step {n}/{total}: {instruction}"
        if self.sink:
            self.sink(text)
        elif self.widget is not None:
            self.bar.max, self.bar.value = total, n - 1
            self.label.value = text[:100]
        elif self.enabled:
            print(text, file=sys.stderr, flush=True)

    def note(self, text: str) -> None:
        """Something the learner should know about this build (shown even when quiet)."""
        if self.sink:
            self.sink(text)
        else:
            print(f"note: {text}", file=sys.stderr, flush=True)

    def line(self, line: str) -> None:
        if self.sink:
            self.sink(line)
        elif self.widget is not None and line.strip():
            self.label.value = line.strip()[:100]

    def done(self, seconds: float) -> None:
        if self.widget is not None:
            self.bar.value = self.bar.max
            self.bar.bar_style = "success"
            self.label.value = f"built in {seconds:.1f} s"
