"""The notebooks, executed with nbclient against the installed kernel: no
errors, a diagram for every `%layout`, and the recipe's booleans. The
recipe runs on the evcxr engine too, so that the second engine cannot rot."""

import pathlib
import re

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import ENGINES, ROOT, TESTED_ENGINES

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
RECIPE = ROOT / "notebooks" / "recipe-4.5-avoid-unnecessary-copies.ipynb"

# What the recipe prints, cell by cell; the notebook's cells carry these tags.
RECIPE_ANSWERS = {
    "getting-ready:copy-shares": "false",   # arrays_share_data(a, a.copy())
    "getting-ready:view-shares": "true",    # arrays_share_data(a, a[:1])
    "step1:copy-aid": "false",              # aid(b) == ax after b = a.copy()
    "step2:inplace-aid": "true",            # a *= 2 keeps the buffer
    "step2:copy-aid": "false",              # c = a * 2 makes a new one
    "step3:reshape-aid": "true",            # a.reshape((1, -1)) is a view
    "step3:transposed-reshape-aid": "false",  # a.T.reshape((1, -1)) copies
    "step4:flatten-aid": "false",           # flatten copies
    "step4:ravel-aid": "true",              # ravel does not
    "step5:same-product": "true",           # tiling and broadcasting agree
}

# What `%allocs` counts at each "copy or view?" step, line by line.
RECIPE_ALLOCS = {
    "step2:allocs": "no allocation\n1 allocation, 80 B; all still held\n",
    "step3:allocs": "no allocation\n1 allocation, 80,000 B (80.0 kB); 1 block freed; nothing held at the end\n",
    "step4:allocs": "no allocation\n1 allocation, 80,000 B (80.0 kB); 1 block freed; nothing held at the end\n",
}


def tagged(notebook, tag):
    (cell,) = [c for c in notebook.cells if tag in c.get("metadata", {}).get("tags", [])]
    return cell


def stdout_text(cell):
    return "".join(o["text"] for o in cell.outputs if o["output_type"] == "stream" and o["name"] == "stdout")


def assert_counts(notebook):
    for tag, expected in RECIPE_ALLOCS.items():
        assert stdout_text(tagged(notebook, tag)) == expected, tag
    tiled, broadcast = stdout_text(tagged(notebook, "step5:allocs")).splitlines()
    # Two n x n buffers of i64 for tiling (and the small blocks of their
    # dynamic shapes), one for broadcasting.
    assert re.match(r"\d+ allocations, 16,\d{3},\d{3} B .* the largest 8,000,000 B", tiled), tiled
    assert broadcast == "1 allocation, 8,000,000 B (8.0 MB); 1 block freed; nothing held at the end"


def result_text(cell):
    (text,) = [o["data"]["text/plain"] for o in cell.outputs if o["output_type"] == "execute_result"]
    return text


def execute(path, kernel_name=ENGINES["rustc"], without=()):
    """The notebook at `path`, executed afresh (the file is not changed),
    without the cells whose tags start with one of `without`."""
    notebook = nbformat.read(path, as_version=4)
    notebook.cells = [c for c in notebook.cells
                      if not any(t.startswith(without) for t in c.get("metadata", {}).get("tags", []))]
    NotebookClient(notebook, timeout=600, startup_timeout=120, kernel_name=kernel_name,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return notebook


@pytest.fixture(scope="module")
def executed():
    """Each notebook executed by the default engine."""
    return {path.name: execute(path) for path in NOTEBOOKS}


def assert_clean(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "code":
            errors = [o for o in cell.outputs if o["output_type"] == "error"]
            stderr = [o for o in cell.outputs if o["output_type"] == "stream" and o["name"] == "stderr"]
            assert not errors and not stderr, (cell.source, errors or stderr)


@pytest.mark.parametrize("name", [p.name for p in NOTEBOOKS])
def test_no_cell_has_an_error(executed, name):
    assert_clean(executed[name])


@pytest.mark.skipif("evcxr" not in TESTED_ENGINES, reason="the evcxr engine is not under test")
def test_the_recipe_runs_the_same_on_the_evcxr_engine():
    # Machine code is the kernel's own engine's (tests/test_asm.py has what
    # evcxr's says instead).
    notebook = execute(RECIPE, ENGINES["evcxr"], without=("asm:",))
    assert_clean(notebook)
    for tag, expected in RECIPE_ANSWERS.items():
        assert result_text(tagged(notebook, tag)) == expected, tag
    assert_counts(notebook)


@pytest.mark.parametrize("name", [p.name for p in NOTEBOOKS])
def test_every_layout_cell_has_a_diagram(executed, name):
    layout_cells = [c for c in executed[name].cells if c.cell_type == "code" and "%layout" in c.source]
    assert layout_cells
    for cell in layout_cells:
        svgs = [o["data"]["image/svg+xml"] for o in cell.outputs
                if o["output_type"] in ("execute_result", "display_data") and "image/svg+xml" in o["data"]]
        assert svgs and all(s.startswith("<svg") for s in svgs), cell.source


def test_the_recipes_booleans_come_out_the_same(executed):
    notebook = executed[RECIPE.name]
    for tag, expected in RECIPE_ANSWERS.items():
        assert result_text(tagged(notebook, tag)) == expected, tag


def test_each_copy_or_view_step_is_counted(executed):
    assert_counts(executed[RECIPE.name])


def test_the_exercise_is_answered_with_the_lines_and_pages_each_walk_covers(executed):
    text = result_text(tagged(executed[RECIPE.name], "traffic:row-column"))
    column = next(line for line in text.splitlines() if line.startswith("big.column(0)"))
    assert "5,000" in column and "8.00x" in column, text
    assert "big.column(0): a new page for every element" in text and "big.row(0): contiguous" in text


def test_the_machine_code_shows_a_scalar_sum_and_a_packed_doubling(executed):
    notebook = executed[RECIPE.name]
    for tag in ("asm:row-sum", "asm:column-sum"):
        text = result_text(tagged(notebook, tag))
        assert re.search(r"^ndlens_cell::asm::expression: 0 packed, \d+ scalar \(addsd", text, re.M), text
        assert "ndarray/src/numeric" in text, text
    text = result_text(tagged(notebook, "asm:doublings"))
    assert re.search(r"^ndlens_cell::double: [1-9]\d* packed \(addpd", text, re.M), text
    assert re.search(r"^ndlens_cell::double_column: 0 packed, 1 scalar", text, re.M), text


def test_the_playground_compares_strides_by_their_traffic(executed):
    notebook = executed["layout-playground.ipynb"]
    text = result_text(tagged(notebook, "playground:traffic"))
    def row(label):
        return next(line for line in text.splitlines() if line.startswith(label + " "))
    # Bytes moved per byte used grows with the step, up to a line per
    # element (a row not aligned to a line moves one line more).
    assert re.search(r" 1\.0\dx ", row("wide.row(0)")) and re.search(r" 2\.0\dx ", row("wide.slice(s![0, ..;2])")), text
    assert " 8.00x " in row("wide.slice(s![0, ..;8])") and " 8.00x " in row("wide.column(0)"), text
    html = [o["data"]["text/html"] for o in tagged(notebook, "playground:traffic").outputs
            if o["output_type"] == "execute_result"][0]
    assert "<svg" in html
    assert result_text(tagged(notebook, "playground:amplification")).startswith("4.0")


def test_a_view_starting_one_element_in_has_an_address_8_bytes_on(executed):
    first, second = map(int, re.findall(r"\d+", result_text(tagged(executed[RECIPE.name], "getting-ready:offsets"))))
    assert second - first == 8


def test_every_timing_is_an_ipython_line(executed):
    notebook = executed[RECIPE.name]
    timed = [c for c in notebook.cells if c.cell_type == "code" and "timeit" in c.source]
    assert len(timed) == 10
    for cell in timed:
        text = "".join(o["text"] for o in cell.outputs if o["output_type"] == "stream")
        assert re.fullmatch(r".+ per loop \(mean ± std\. dev\. of 7 runs, [\d,]+ loops? each\)\n", text), (cell.source, text)


def test_the_saved_notebooks_carry_their_outputs():
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        code = [c for c in notebook.cells if c.cell_type == "code"]
        assert all(c.execution_count for c in code), path.name
        assert not any(o["output_type"] == "error" for c in code for o in c.outputs), path.name
