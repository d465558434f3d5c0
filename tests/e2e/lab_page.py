"""Driving a notebook in JupyterLab from Playwright: open, run all, read what the learner sees.

Shared by the JupyterLab test (one server) and the JupyterHub test (a server per
learner). The page must come from a JupyterLab started with
``--LabApp.expose_app_in_browser=True`` (``window.jupyterapp``).
"""

from __future__ import annotations

KERNEL_READY = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle';
}"""

# Done when the kernel is idle and every code cell ran, or a cell failed (run-all stops there).
RUN_DONE = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const k = w.sessionContext.session.kernel;
  if (k.status !== 'idle') return false;
  const cells = Array.from(w.content.model.cells).filter(c => c.type === 'code');
  const ran = cells.every(c => c.executionCount !== null);
  const failed = cells.some(c => Array.from({length: c.outputs.length}, (_, i) => c.outputs.get(i))
                                   .some(o => o.type === 'error'));
  return ran || failed;
}"""


def notebook_json(page) -> dict:
    """The notebook as the browser holds it now (what a save would write)."""
    return page.evaluate("() => window.jupyterapp.shell.currentWidget.content.model.toJSON()")


def outputs(nb: dict, kind: str | None = None, mime: str | None = None) -> list[dict]:
    outs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    if kind:
        outs = [o for o in outs if o["output_type"] == kind]
    if mime:
        outs = [o for o in outs if mime in o.get("data", {})]
    return outs


def run_all(page) -> None:
    """Wait for the notebook's kernel, then run every cell (returns at once)."""
    page.wait_for_function(KERNEL_READY, timeout=120_000)
    news = page.get_by_role("button", name="No")  # JupyterLab's "get news?" toast
    if news.count():
        news.first.click()
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_timeout(1000)
