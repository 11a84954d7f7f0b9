"""`%traffic`: the recipe's exercise answered in the kernel, through
jupyter_client on both engines: a row against a column of the recipe's
5000 × 5000 matrix, and what bad input gets."""

import re

import pytest

from conftest import Session, engine_params


@pytest.fixture(scope="module", params=engine_params())
def recipe(request):
    session = Session(kernel_name=request.param)
    session.ok("let a = Array2::<f64>::zeros((5000, 5000));")
    yield session
    session.close()


def row_of(text, label):
    """The table's figures for `label`, by heading."""
    lines = text.splitlines()
    headings = re.split(r"\s{2,}", lines[0].strip())
    row = next(line for line in lines[1:] if line.startswith(label + " "))
    cells = [label] + re.split(r"\s{2,}", row[len(label):].strip())
    return dict(zip(headings, cells))


def test_a_row_uses_every_byte_it_moves_and_a_column_an_eighth(recipe):
    text = recipe.text("%traffic a.row(0), a.column(0)")
    row, column = row_of(text, "a.row(0)"), row_of(text, "a.column(0)")
    assert row["lines"] in ("625", "626") and row["pages"] in ("10", "11"), text
    assert (column["lines"], column["pages"], column["page switches"]) == ("5,000", "5,000", "5,000"), text
    assert row["moved/used"].startswith("1.0") and column["moved/used"] == "8.00x", text
    assert column["stride"] == "40000 B"
    assert "a.row(0): contiguous" in text and "a.column(0): a new page for every element" in text
    assert "model" in text
    html = recipe.result("%traffic a.row(0), a.column(0)")["text/html"]
    assert "<table" in html and "<code>a.column(0)</code>" in html
    # The diagram: the column's lines spread over the whole 200 MB buffer.
    assert "<svg" in html and "a.column(0): 5,000 of 3,12" in html, html[-3000:]


def test_counters_are_read_where_the_machine_has_them(recipe):
    text = recipe.text("%traffic -m a.row(0), a.column(0)")
    # The model is shown either way; beside it the processor's counts, or
    # one line on why this machine gave none (most virtual machines).
    assert row_of(text, "a.column(0)")["lines"] == "5,000", text
    measured = "L1D misses (measured)" in text
    assert measured != ("not measured:" in text), text
    if measured:
        assert int(row_of(text, "a.column(0)")["L1D misses (measured)"].replace(",", "")) > 0, text
    assert recipe.text("a.len()") == "25000000"


def test_code_can_ask_too(recipe):
    assert recipe.text("traffic(&a.column(0)).cache_lines") == "5000"
    assert recipe.text("(traffic(&a.slice(s![.., ..;2])).amplification() * 10.0).round()") == "20.0"


def test_bad_input_is_told_and_loses_nothing(recipe):
    error = recipe.error("%traffic a.nosuch()")
    assert error["ename"] == "CompileError" and "%traffic" in error["evalue"], error
    usage = recipe.error("%traffic")
    assert usage["ename"] == "UsageError" and "which views?" in usage["evalue"]
    empty = row_of(recipe.text("%traffic a.slice(s![0..0, ..])"), "a.slice(s![0..0, ..])")
    assert (empty["elements"], empty["lines"], empty["moved/used"]) == ("0", "0", "0.00x")
    assert recipe.text("a.len()") == "25000000"
