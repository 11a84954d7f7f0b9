"""`%allocs`: did that copy? Each statement's count against what is known
to be true of it, through jupyter_client, on both engines."""

import re
import threading

import pytest

from conftest import Session, engine_params

N = 1000 * 1000


@pytest.fixture(scope="module", params=engine_params())
def counted(request):
    session = Session(kernel_name=request.param)
    session.ok("let a = Array2::<f64>::from_shape_fn((1000, 1000), |(i, j)| (i * 1000 + j) as f64);")
    yield session
    session.close()


def figures(session, statement):
    """The figures `%allocs -q -o` gives for `statement`."""
    text = session.text(f"%allocs -q -o {statement}")
    return {key: int(value) if value.isdigit() else value
            for key, value in re.findall(r"(\w+): (\w+)", text)}


@pytest.mark.parametrize("view", ["a.t()", "a.slice(s![..;2, ..])", "reshape(&a, &[1, -1]).unwrap()", "ravel(&a)"])
def test_a_view_allocates_nothing(counted, view):
    assert counted.stdout(f"%allocs {view};") == "no allocation\n"
    assert figures(counted, f"{view};")["allocations"] == 0


@pytest.mark.parametrize("copy", ["a.to_owned()", "flatten(&a.t())", "reshape(a.t(), &[1, -1]).unwrap()", "&a * 2.0"])
def test_a_copy_is_one_buffer_of_the_arrays_size(counted, copy):
    counts = figures(counted, copy)
    assert (counts["allocations"], counts["bytes"], counts["held"]) == (1, 8 * N, 8 * N), counts
    # Shown at a glance, and the value is still the statement's.
    reply = counted.ok(f"%allocs {copy}")
    line = "".join(m["content"]["text"] for m in reply if m["msg_type"] == "stream")
    assert line == "1 allocation, 8,000,000 B (8.0 MB); all still held\n"
    assert any(m["msg_type"] == "execute_result" and "shape=[" in m["content"]["data"]["text/plain"] for m in reply)


def test_in_place_allocates_nothing_and_lets_stay_in_the_session(counted):
    assert counted.stdout("%allocs let mut b = a.clone();") == "1 allocation, 8,000,000 B (8.0 MB); all still held\n"
    assert counted.stdout("%allocs b *= 2.0;") == "no allocation\n"
    assert counted.text("b[[0, 1]]") == "2.0"
    assert counted.stdout("%%allocs\nlet c = b.t().to_owned();\nlet total = c.sum();") == \
        "1 allocation, 8,000,000 B (8.0 MB); all still held\n"
    assert counted.text("total == b.sum()") == "true"


def test_a_vec_with_capacity_is_one_block_of_that_size(counted):
    counts = figures(counted, "Vec::<u8>::with_capacity(12345)")
    assert (counts["allocations"], counts["bytes"]) == (1, 12345), counts
    # Discarded, as written: the optimiser does not get to remove it.
    assert counted.stdout("%allocs Vec::<u8>::with_capacity(12345);").startswith("1 allocation, 12,345 B")


def test_a_loop_that_frees_what_it_makes_peaks_below_its_total(counted):
    counts = figures(counted, "for i in 0..100 { std::hint::black_box(vec![0u8; 1000 + i]); }")
    assert (counts["allocations"], counts["frees"], counts["held"]) == (100, 100, 0), counts
    assert counts["bytes"] == sum(1000 + i for i in range(100))
    assert counts["peak"] == 1099 < counts["bytes"]


def test_a_panic_reports_the_counts_up_to_it_and_keeps_the_session(counted):
    # A message with arguments would be formatted (one more allocation)
    # before the report starts: a plain one is not.
    reply, messages = counted.run(
        '%allocs let v = std::hint::black_box(vec![1u64; 100]); if v.len() == 100 { panic!("too long") }')
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "Panic"
    out = "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream")
    assert out == "until the panic: 1 allocation, 800 B; all still held\n"
    assert counted.text("a.len()") == str(N)


def test_an_interrupt_reports_the_counts_and_keeps_the_session(counted):
    timer = threading.Timer(4, counted.manager.interrupt_kernel)
    timer.start()
    reply, messages = counted.run("%allocs loop { std::hint::black_box(vec![0u8; 64]); }")
    timer.join()
    assert reply["content"]["ename"] == "KeyboardInterrupt", reply["content"]
    out = "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream")
    assert re.fullmatch(r"until the interrupt: \d+ allocations, [\d,]+ B .*\n", out), out
    assert counted.text("a.len()") == str(N)


def test_mistakes_are_told_and_change_nothing(counted):
    usage = counted.error("%allocs")
    assert usage["ename"] == "UsageError"
    assert usage["evalue"] == "%allocs: what to count? It needs a statement"
    compile_error = counted.error("%allocs let x: u8 = a;")
    assert compile_error["ename"] == "CompileError"
    assert compile_error["evalue"].startswith("%allocs: the statement does not compile")
    assert counted.text("a.len()") == str(N)
    assert "%allocs [-q] [-o] STATEMENT" in counted.text("%lsmagic")


def test_more_than_the_machine_has_is_told_with_what_was_lost(fresh_kernel):
    fresh_kernel.ok("let kept = 1;")
    reply, messages = fresh_kernel.run("%allocs let huge = Array1::<f64>::zeros(1usize << 42);")
    assert reply["content"]["status"] == "error"
    stderr = "".join(m["content"]["text"] for m in messages
                     if m["msg_type"] == "stream" and m["content"]["name"] == "stderr")
    assert "%allocs: a request for 35184372088832 bytes failed" in stderr, stderr
    assert "all variables were lost: kept" in reply["content"]["evalue"] + "".join(reply["content"]["traceback"])
    # The kernel carries on with a new session process.
    assert fresh_kernel.text("1 + 1") == "2"
