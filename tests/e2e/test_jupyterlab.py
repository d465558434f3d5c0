"""Notebooks run in real JupyterLab in a real headless Chromium.

For each notebook: open it, run all cells, then check what a learner would
see: no error output, every plot rendered as an image, widgets rendered (and a
slider that responds when moved), the doctor's table on the start page. A
screenshot of each notebook is saved under ``artifacts/e2e/``.

Every notebook and exercise already runs under nbval in each lane, where an error,
a lesson's assertion or a planted secret in any cell's output fails it; what only a
browser shows is how JupyterLab renders the kinds of output the course has. So the
browser runs the notebooks that hold each kind (:data:`IN_BROWSER`: the doctor's
table, charts, the stack lesson's sliders, the PID 1 lesson's widgets), not all twelve
again (about 50 s each on 2 cores: the CI budget, README "Testing").
"""

from __future__ import annotations

import json
from pathlib import Path

import audit_plugin
import pytest
import requests
from lab_page import RUN_DONE, notebook_json, outputs, run_all

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
#: One notebook for each kind of output a learner sees: the doctor's HTML table (00),
#: charts (01), sliders that re-run a measurement (03), widgets and charts (05).
IN_BROWSER = [n for n in NOTEBOOKS if n[:2] in {"00", "01", "03", "05"}]
RUN_TIMEOUT_S = 400  # the slowest notebook takes about 2 min under load


def _shutdown_kernels(base: str, token: str) -> None:
    for s in requests.get(f"{base}/api/sessions", params={"token": token}, timeout=10).json():
        requests.delete(f"{base}/api/sessions/{s['id']}", params={"token": token}, timeout=30)


def _move_first_slider(page) -> bool:
    """Press → on the first slider; True if some widget output text changed afterwards."""
    handle = page.locator(".jp-OutputArea .noUi-handle, .jp-OutputArea input[type=range]").first
    if handle.count() == 0:
        return False
    area = handle.locator("xpath=ancestor::div[contains(@class,'jp-OutputArea')][1]")
    before = area.inner_text()
    handle.scroll_into_view_if_needed()
    handle.focus()
    handle.press("ArrowRight")
    button = area.locator("button").first
    if button.count():
        button.click()
    page.wait_for_function(
        "([el, before]) => el.innerText !== before",
        arg=[area.element_handle(), before],
        timeout=120_000,
    )
    return True


@pytest.mark.parametrize("name", IN_BROWSER)
def test_notebook_in_jupyterlab(name, lab, browser, artifacts):
    base, token, _folder = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{base}/lab/tree/{name}?reset&token={token}")  # one tab: no restored workspace
        run_all(page)
        page.wait_for_function(RUN_DONE, timeout=RUN_TIMEOUT_S * 1000, polling=1000)
        nb = notebook_json(page)

        errors = [f"{o['ename']}: {o['evalue']}" for o in outputs(nb, "error")]
        assert not errors, f"{name} shows errors to the learner: {errors}"
        # What the learner sees, widgets' text included, holds none of the planted secrets.
        seen = json.dumps(outputs(nb)) + page.locator(".jp-NotebookPanel").inner_text()
        assert not audit_plugin.leaks(seen), f"{name} shows a secret: {audit_plugin.leaks(seen)}"

        plots = len(outputs(nb, mime="image/png"))
        # Plots inside widgets (an ipywidgets Output) live in widget state, not in the cell outputs.
        shown = page.evaluate(
            "() => Array.from(document.querySelectorAll('.jp-OutputArea-output img'))"
            ".filter(i => !i.closest('.jupyter-widgets')).length"
        )
        assert shown == plots, f"{plots} plots in the outputs, {shown} shown as images"
        if "compare_bars" in (ROOT / "notebooks" / name).read_text():
            assert plots > 0, "the notebook draws charts but none appeared"

        widgets = len(outputs(nb, mime="application/vnd.jupyter.widget-view+json"))
        if widgets:
            rendered = page.locator(".jp-OutputArea .jupyter-widgets").count()
            assert rendered > 0, "widgets were displayed by the kernel but not rendered"
            if page.locator(
                ".jp-OutputArea .noUi-handle, .jp-OutputArea input[type=range]"
            ).count():
                assert _move_first_slider(page), "moving the slider changed nothing"

        if name.startswith("00-"):
            assert page.locator("table.dockerlab-doctor").first.is_visible()
            page.locator("table.dockerlab-doctor").first.scroll_into_view_if_needed()
        elif plots:
            page.locator(".jp-OutputArea-output img").first.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / f"{Path(name).stem}.png"))
    finally:
        _shutdown_kernels(base, token)
        page.close()
