"""`%asm` and `%%asm`: the machine code the cells' compiler makes, with the
generic code a cell instantiates, packed and scalar arithmetic told apart;
through jupyter_client. The kernel's own engine shows it; evcxr's says it
does not."""

import re

import pytest

from conftest import ENGINES, TESTED_ENGINES, Session

pytestmark = pytest.mark.skipif("rustc" not in TESTED_ENGINES, reason="the rustc engine is not under test")

DOUBLINGS = """%%asm
fn double(x: &mut [f64]) { for v in x.iter_mut() { *v *= 2.0; } }
fn double_column(a: &mut Array2<f64>) { for i in 0..a.nrows() { a[[i, 0]] *= 2.0; } }
"""


@pytest.fixture(scope="module")
def session():
    s = Session(kernel_name=ENGINES["rustc"])
    s.ok("let a = Array2::<f64>::from_elem((500, 500), 1.0);")
    yield s
    s.close()


def summary(text, function):
    """The packed and scalar counts of `function`'s summary line."""
    match = re.search(rf"^{re.escape(function)}: (\d+) packed.*?, (\d+) scalar", text, re.M)
    assert match, text
    return int(match.group(1)), int(match.group(2))


def test_a_row_sum_follows_into_ndarrays_sum(session):
    text = session.text("%asm a.row(0).sum()")
    assert text.startswith("Machine code at opt-level 2"), text
    # The expression's function holds ndarray's unrolled sum: eight scalar
    # accumulators, no packed add, at the cells' opt-level.
    packed, scalar = summary(text, "ndlens_cell::asm::expression")
    assert scalar >= 8 and packed == 0, text
    assert "; cell:" in text and "a.row(0).sum()" in text
    assert "ndarray/src/numeric" in text, "the source lines of ndarray's sum are shown"
    # Asked again (by the next student, or after a warm), the listing comes
    # from the cache of compiled cells.
    reply, messages = session.run("%asm a.row(0).sum()")
    assert reply["metadata"]["ndlens"]["compilations"] == 0, reply["metadata"]
    html = next(m["content"]["data"]["text/html"] for m in messages if m["msg_type"] == "execute_result")
    assert 'class="scalar"' in html and "<b>ndlens_cell::asm::expression</b>" in html


def test_the_doublings_packed_along_a_slice_scalar_down_a_column(session):
    text = session.text(DOUBLINGS)
    packed, _ = summary(text, "ndlens_cell::double")
    assert packed >= 1 and re.search(r"addpd\s.*# packed", text), text
    packed, scalar = summary(text, "ndlens_cell::double_column")
    assert (packed, scalar) == (0, 1), text
    assert "xmm (128-bit)" in text


def test_optimization_level_is_the_cells(session):
    session.ok(":opt 3")
    try:
        text = session.text("%asm a.row(0).sum()")
        assert text.startswith("Machine code at opt-level 3"), text
        packed, _ = summary(text, "ndlens_cell::asm::expression")
        assert packed >= 1, "at opt-level 3 LLVM packs the accumulators: " + text
    finally:
        session.ok(":opt 2")


def test_bad_input_is_told_and_loses_nothing(session):
    error = session.error("%asm a.nosuch()")
    assert error["ename"] == "CompileError" and "%asm: the expression does not compile" in error["evalue"], error
    error = session.error("%%asm\nconst N: usize = 3;")
    assert error["ename"] == "UsageError" and "no function to show" in error["evalue"], error
    error = session.error("%%asm\nfn f( {")
    assert error["ename"] == "CompileError", error
    error = session.error("%asm")
    assert "which expression?" in error["evalue"]
    assert session.text("a.sum()") == "250000.0"


@pytest.mark.skipif("evcxr" not in TESTED_ENGINES, reason="the evcxr engine is not under test")
def test_evcxr_says_it_does_not_show_machine_code():
    s = Session(kernel_name=ENGINES["evcxr"])
    try:
        error = s.error("%asm 1 + 1")
        assert "does not show machine code" in error["evalue"] and "--engine rustc" in error["evalue"], error
        assert s.text("1 + 1") == "2"
    finally:
        s.close()
