"""The recipe notebook in JupyterLab, in Debian's Chromium driven headless by
Playwright: run every cell, then check that no cell shows an error and that
the diagrams are drawn as SVG in the page."""

import os
import pathlib
import secrets
import shutil
import socket
import subprocess
import time
import urllib.request

import nbformat
import pytest

from conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts"
RECIPE = "recipe-4.5-avoid-unnecessary-copies.ipynb"
# Flags for a closed network and a root user, as Chromium needs here.
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

playwright = pytest.importorskip("playwright.sync_api")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """JupyterLab on loopback with a token, over a copy of the notebooks."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: scripts/prepare --tests installs Debian's chromium")
    notebooks = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", notebooks)
    # Draw every cell, not only those scrolled into view, so the page can be
    # checked whole.
    settings = tmp_path / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    token, port = secrets.token_hex(16), free_port()
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/jupyter"), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={notebooks}", "--LabApp.expose_app_in_browser=True",
         f"--LabApp.user_settings_dir={tmp_path / 'settings'}", f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
         *(["--allow-root"] if os.geteuid() == 0 else [])],
        stdout=subprocess.DEVNULL, stderr=open(tmp_path / "lab.log", "w"),
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("JupyterLab did not start:\n" + (tmp_path / "lab.log").read_text()[-3000:])
            time.sleep(0.5)
    yield base, token
    server.terminate()
    server.wait(timeout=30)


def open_notebook(page, url):
    """Opens the notebook at `url` and waits for its kernel, from the
    notebook's metadata, to be up before anything runs."""
    page.goto(url)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    page.wait_for_function(
        "() => { const w = window.jupyterapp.shell.currentWidget;"
        " return w && w.sessionContext && w.sessionContext.session"
        " && w.sessionContext.session.kernel && w.sessionContext.session.kernel.status === 'idle'; }",
        timeout=120_000,
    )


def test_the_recipe_runs_in_jupyterlab(lab):
    base, token = lab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        open_notebook(page, f"{base}/lab/tree/{RECIPE}?token={token}")
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        code_cells = page.evaluate(
            "() => [...window.jupyterapp.shell.currentWidget.content.model.cells].filter(c => c.type === 'code').length"
        )
        # Every code cell has run when none is pending and the kernel is idle.
        page.wait_for_function(
            """(n) => {
                const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
                const done = prompts.filter(p => /\\[\\d+\\]/.test(p.textContent)).length;
                const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
                return done === n && kernel.status === 'idle';
            }""",
            arg=code_cells,
            timeout=600_000,
        )
        model_errors = page.evaluate(
            """() => [...window.jupyterapp.shell.currentWidget.content.model.cells]
                .filter(c => c.type === 'code')
                .flatMap(c => [...Array(c.outputs.length).keys()].map(i => c.outputs.get(i).type))
                .filter(t => t === 'error').length"""
        )
        errors = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
        error_texts = [errors.nth(i).inner_text() for i in range(errors.count())]
        page_cells = page.locator(".jp-CodeCell").count()
        layout_cells = page.locator(".jp-CodeCell", has_text="%layout").count()
        diagrams = page.locator(".jp-OutputArea-output svg")
        diagram_count = diagrams.count()
        # Show the first diagram on screen for the screenshot.
        diagrams.first.scroll_into_view_if_needed()
        shot = ARTIFACTS / "recipe-in-jupyterlab.png"
        page.screenshot(path=str(shot))
        print(f"\nscreenshot: {shot}")
        browser.close()
    assert page_cells == code_cells
    assert model_errors == 0
    assert error_texts == []
    expected = [c for c in nbformat.read(ROOT / "notebooks" / RECIPE, as_version=4).cells
                if c.cell_type == "code" and "%layout" in c.source]
    assert layout_cells == len(expected)
    assert diagram_count >= layout_cells


def test_the_explorer_redraws_as_a_slider_moves_in_jupyterlab(lab, tmp_path):
    base, token = lab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    notebook = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "ndlens", "display_name": "Rust (ndlens)", "language": "rust"}})
    notebook.cells.append(nbformat.v4.new_code_cell("%explore"))
    nbformat.write(notebook, tmp_path / "notebooks" / "explorer.ipynb")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        open_notebook(page, f"{base}/lab/tree/explorer.ipynb?token={token}")
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        line = page.locator(".widget-html .ndlens-layout-line")
        line.wait_for(timeout=120_000)
        # The explorer is drawn as controls by JupyterLab's widget manager.
        assert page.locator(".widget-hslider").count() >= 6
        assert page.locator(".widget-dropdown").count() >= 3
        assert "strides=(48, 8)" in line.inner_text()
        svg_before = page.locator(".widget-html svg").first.inner_html()

        step = page.locator(".widget-hslider", has=page.get_by_text("step", exact=True)).first
        step.locator(".noUi-handle").focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "() => document.querySelector('.widget-html .ndlens-layout-line').textContent.includes('strides=(96, 8)')",
            timeout=30_000,
        )
        svg_after = page.locator(".widget-html svg").first.inner_html()
        ravel = page.locator(".widget-html .ndlens-ravel").inner_text()
        expression = page.locator(".widget-html .ndlens-expression").inner_text()
        shot = ARTIFACTS / "explorer-in-jupyterlab.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"\nscreenshot: {shot}")
        browser.close()
    assert svg_after != svg_before
    assert ravel == "a copy: one allocation of 96 B"
    assert "s![..;2, ..]" in expression


def test_the_playground_redraws_one_diagram_in_place_in_jupyterlab(lab, tmp_path):
    base, token = lab
    playground = nbformat.read(ROOT / "notebooks" / "layout-playground.ipynb", as_version=4)
    (redraw,) = [c for c in playground.cells if "redraw" in c.get("metadata", {}).get("tags", [])]
    notebook = nbformat.v4.new_notebook(metadata=playground.metadata)
    notebook.cells.append(nbformat.v4.new_code_cell(redraw.source))
    nbformat.write(notebook, tmp_path / "notebooks" / "redraw.ipynb")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        open_notebook(page, f"{base}/lab/tree/redraw.ipynb?token={token}")
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        # The last drawing replaces the first where it stands.
        page.wait_for_function(
            "() => [...document.querySelectorAll('.jp-OutputArea-output svg')].some(s => s.innerHTML.includes('..;4'))",
            timeout=120_000,
        )
        page.wait_for_function(
            "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
            timeout=60_000,
        )
        drawings = page.locator(".jp-OutputArea-output svg")
        count = drawings.count()
        final = drawings.first.inner_html()
        shot = ARTIFACTS / "redraw-in-jupyterlab.png"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot))
        browser.close()
    assert count == 1
    assert "..;4" in final and "..;1" not in final


def test_the_debugger_sidebar_shows_layouts_and_renders_a_diagram_that_redraws(lab, tmp_path):
    base, token = lab
    notebook = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "ndlens", "display_name": "Rust (ndlens)", "language": "rust"}})
    notebook.cells.append(nbformat.v4.new_code_cell("let a = Array2::<f64>::zeros((3, 4));"))
    nbformat.write(notebook, tmp_path / "notebooks" / "debugger.ipynb")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        open_notebook(page, f"{base}/lab/tree/debugger.ipynb?token={token}")
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_function(
            "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'"
            " && /\\[\\d+\\]/.test(document.querySelector('.jp-CodeCell .jp-InputArea-prompt').textContent)",
            timeout=120_000,
        )
        # The bug button turns the debugger on; the sidebar lists `a`.
        page.locator(".jp-DebuggerBugButton").first.click()
        page.evaluate("() => window.jupyterapp.commands.execute('debugger:show-panel')")
        variables = page.locator(".jp-DebuggerVariables")
        variables.get_by_text("f64 [3, 4] strides [32, 8] C owner").first.wait_for(timeout=60_000)
        # Opening `a` shows its layout's fields.
        variables.locator(".jp-DebuggerVariables-name", has_text="a").first.click()
        variables.get_by_text("strides (bytes)").first.wait_for(timeout=30_000)
        panel_text = variables.inner_text()
        # "Render Variable": the memory diagram, in a tab of its own.
        page.evaluate("() => window.jupyterapp.commands.execute('debugger:render-mime-variable', {name: 'a'})")
        rendered = page.locator(".jp-DebuggerRichVariable .jp-RenderedHTMLCommon").first
        rendered.wait_for(timeout=60_000)
        page.wait_for_function(
            "() => document.querySelector('.jp-DebuggerRichVariable .jp-RenderedHTMLCommon svg') !== null",
            timeout=60_000,
        )
        before = rendered.inner_text()
        # A cell that changes `a` redraws the tab.
        page.evaluate(
            """() => {
                const panel = window.jupyterapp.shell.currentWidget;
                panel.content.model.sharedModel.insertCell(1, {cell_type: 'code', source: 'let a = Array2::<f64>::zeros((2, 5));'});
                panel.content.activeCellIndex = 1;
                return window.jupyterapp.commands.execute('notebook:run-cell');
            }"""
        )
        page.wait_for_function(
            "() => document.querySelector('.jp-DebuggerRichVariable .jp-RenderedHTMLCommon').textContent.includes('(2, 5)')",
            timeout=120_000,
        )
        after = rendered.inner_text()
        shot = ARTIFACTS / "debugger-in-jupyterlab.png"
        page.screenshot(path=str(shot))
        print(f"\nscreenshot: {shot}")
        browser.close()
    assert "strides (bytes)" in panel_text and "owns its buffer" in panel_text, panel_text
    assert "(3, 4)" in before and after != before
