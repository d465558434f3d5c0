"""Making notebooks pleasant: one setup call for style and short error messages.

``dl.setup()`` in a notebook's first cell applies the course's chart style and
shows any :class:`~dockerlab.errors.DockerlabError` as a few plain lines (what
failed, what to do) instead of a wall of traceback. Other exceptions keep
IPython's usual display.
"""

from __future__ import annotations

from .errors import DockerlabError
from .plotting import use_style


def _show_short(shell, etype, value, tb, tb_offset=None):
    """IPython custom exception handler: a short, plain message for kit errors."""
    stb = [f"\x1b[1;31m{etype.__name__}\x1b[0m: {value}"]
    shell._showtraceback(etype, value, stb)
    return stb


def setup(short_errors: bool = True) -> None:
    """Prepare a notebook: chart style, and short messages for the kit's errors.

    Args:
        short_errors: Show DockerlabError as a short message (default True).
    """
    use_style()
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - not in IPython
        return
    shell = get_ipython()
    if shell is not None and short_errors:
        shell.set_custom_exc((DockerlabError,), _show_short)
