"""Making notebooks pleasant: one setup call for style and short error messages.

``dl.setup()`` in a notebook's first cell applies the course's chart style,
removes what kernels that ended early left on the engine, and shows any
:class:`~dockerlab.errors.DockerlabError` as a few plain lines (what failed,
what to do) instead of a wall of traceback. A connection error from
the docker SDK is shown the same way when its cause is that the engine went
away (:class:`~dockerlab.errors.EngineStopped`). Other exceptions keep
IPython's usual display.
"""

from __future__ import annotations

import docker.errors
import requests
import urllib3.exceptions

from dockerlab.core.plotting import use_style
from dockerlab.errors import DockerlabError

#: Errors a lost engine surfaces as when they come straight from a stream being read.
_CONNECTION_ERRORS = (
    requests.exceptions.ConnectionError,
    urllib3.exceptions.HTTPError,
    docker.errors.DockerException,
)


def _show_short(shell, etype, value, tb, tb_offset=None):
    """IPython custom exception handler: a short, plain message for kit errors."""
    if not isinstance(value, DockerlabError):
        from dockerlab.core.engine import stopped

        lost = stopped()
        if lost is None:  # not the engine: the usual traceback
            shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
            return None
        etype, value = type(lost), lost
    stb = [f"\x1b[1;31m{etype.__name__}\x1b[0m: {value}"]
    shell._showtraceback(etype, value, stb)
    return stb


def _tidy_after_interrupted_runs() -> None:
    """Remove what kernels that ended early left (never fails: the engine may be down)."""
    from dockerlab.core.sessions import cleanup_stale

    try:
        removed = cleanup_stale()
    except DockerlabError:
        return
    if any(removed.values()):
        what = ", ".join(f"{n} {kind if n > 1 else kind[:-1]}" for kind, n in removed.items() if n)
        print(f"Removed what an interrupted earlier run left behind: {what}.")


def setup(short_errors: bool = True) -> None:
    """Prepare a notebook: chart style, short messages for the kit's errors, and a tidy engine.

    What an earlier kernel left when it ended early (restarted, or the engine
    stopped under it) is removed first, with a line saying so.

    Args:
        short_errors: Show DockerlabError as a short message (default True).
    """
    use_style()
    _tidy_after_interrupted_runs()
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - not in IPython
        return
    shell = get_ipython()
    if shell is not None and short_errors:
        shell.set_custom_exc((DockerlabError, *_CONNECTION_ERRORS), _show_short)


def md(text: str):
    """Show Markdown written from what a cell measured, so prose carries measured numbers.

    Prose with a number the notebook measures is written this way, never typed into
    a Markdown cell (``tests/unit/test_prose_numbers.py`` checks the typed ones).

    Args:
        text: Markdown, usually an f-string of measured values.

    Returns:
        An ``IPython.display.Markdown`` object (shown when it ends a cell), or the
        text itself outside IPython.

    Example:
        >>> dl.md(f"Alpine is **{ratio:.0f} times** smaller.")  # doctest: +SKIP
    """
    try:
        from IPython.display import Markdown
    except ImportError:  # pragma: no cover - not in IPython
        return text
    return Markdown(text)
