"""The kernel through jupyter_client: protocol messages, magics, errors and
views across cells, in one session."""

import re

import pytest

TIMEIT_LINE = re.compile(
    r"^\d[\d.e+]* (s|ms|μs|ns) ± \d[\d.e+]* (s|ms|μs|ns) per loop "
    r"\(mean ± std\. dev\. of (\d+) runs?, ([\d,]+) loops? each\)$"
)


# --- protocol -------------------------------------------------------------

def test_kernel_info_describes_rust(kernel):
    reply = kernel.request("kernel_info")
    content = reply["content"]
    assert content["status"] == "ok"
    assert tuple(map(int, content["protocol_version"].split("."))) >= (5, 3)
    info = content["language_info"]
    assert info["name"] == "rust"
    assert info["file_extension"] == ".rs"
    assert info["pygments_lexer"] == "rust"
    assert info["codemirror_mode"] == "rust"
    assert content["implementation"] == "ndlens"


def test_execute_publishes_input_streams_result_and_status(kernel):
    reply, messages = kernel.run('println!("hello from Rust"); 40 + 2')
    assert reply["content"]["status"] == "ok"
    types = [m["msg_type"] for m in messages]
    assert types[0] == "status" and messages[0]["content"]["execution_state"] == "busy"
    assert types[1] == "execute_input"
    assert types[-1] == "status" and messages[-1]["content"]["execution_state"] == "idle"
    streams = [m["content"] for m in messages if m["msg_type"] == "stream"]
    assert streams == [{"name": "stdout", "text": "hello from Rust\n"}]
    (result,) = [m["content"] for m in messages if m["msg_type"] == "execute_result"]
    assert result["data"]["text/plain"] == "42"
    assert result["execution_count"] == reply["content"]["execution_count"]
    count = reply["content"]["execution_count"]
    assert kernel.run("1")[0]["content"]["execution_count"] == count + 1


def test_every_session_starts_with_ndarray_and_ndlens(kernel):
    assert kernel.text("let a = array![[1., 2.], [3., 4.]]; a.sum()") == "10.0"
    assert kernel.text("layout(&a.t()).strides") == "[8, 16]"
    assert kernel.text("ndarray::Array1::<u8>::zeros(3).len()") == "3"


def test_compile_errors_point_at_the_users_line_and_column(kernel):
    error = kernel.error('let x = 1;\nlet y: i32 = "a";')
    assert error["ename"] == "CompileError"
    assert error["evalue"] == "mismatched types (line 2, column 14)"
    plain = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in error["traceback"]]
    assert '2 | let y: i32 = "a";' in plain
    caret = next(line for line in plain if "^" in line)
    assert caret.index("^") == plain[plain.index('2 | let y: i32 = "a";')].index('"a"')


def test_a_panic_is_an_error_and_earlier_variables_survive(kernel):
    kernel.ok("let survivor = 7;")
    error = kernel.error('let doomed = 1;\n  panic!("boom {}", 2);')
    assert error["ename"] == "Panic"
    assert error["evalue"] == "boom 2 (line 2, column 3)"
    plain = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in error["traceback"]]
    assert '2 |   panic!("boom {}", 2);' in plain
    assert kernel.text("survivor") == "7"
    assert "cannot find value `doomed`" in kernel.error("doomed")["evalue"]


def test_cells_queued_behind_a_failure_are_aborted(kernel):
    client = kernel.client
    failing = client.execute('panic!("first cell fails")')
    queued = client.execute("let after_abort = 1;")
    replies = {}
    while len(replies) < 2:
        reply = client.get_shell_msg(timeout=120)
        replies[reply["parent_header"]["msg_id"]] = reply["content"]
    assert replies[failing]["status"] == "error"
    assert replies[queued]["status"] == "aborted"
    assert "cannot find value `after_abort`" in kernel.error("after_abort")["evalue"]


def test_an_out_of_bounds_index_names_the_cell_line(kernel):
    error = kernel.error("let short: Vec<u8> = vec![1, 2];\n    let third = short[5];")
    assert error["ename"] == "Panic"
    assert error["evalue"].startswith("index out of bounds: the len is 2 but the index is 5 (line 2, column ")


def test_is_complete(kernel):
    def status(code):
        return kernel.request("is_complete", code)["content"]["status"]

    assert status("let a = 1;") == "complete"
    assert status("fn f() {") == "incomplete"
    assert status('let s = "open') == "incomplete"
    assert status("let x = );") == "invalid"
    assert status("%timeit a.sum()") == "complete"


def test_complete_offers_magics_flags_and_rust(kernel):
    reply = kernel.request("complete", "%ti", 3)["content"]
    assert set(reply["matches"]) == {"%timeit", "%time"}
    assert (reply["cursor_start"], reply["cursor_end"]) == (0, 3)
    reply = kernel.request("complete", "%timeit -", 9)["content"]
    assert reply["matches"] == ["-n", "-r", "-q", "-o"]
    kernel.ok("let completion_target = Array1::<f64>::zeros(4);")
    code = "completion_target.su"
    reply = kernel.request("complete", code, len(code))["content"]
    assert any(m.startswith("sum") for m in reply["matches"]), reply["matches"][:20]
    assert reply["cursor_start"] == len("completion_target.")


def test_inspect_shows_an_arrays_layout(kernel):
    kernel.ok("let inspected = Array2::<f32>::zeros((3, 4));")
    code = "inspected.t()"
    reply = kernel.request("inspect", code, 3)["content"]
    assert reply["found"] is True
    assert "shape=(3, 4) strides=(16, 4)" in reply["data"]["text/plain"]
    assert "<table" in reply["data"]["text/html"]


def test_history_and_comm_info(kernel):
    kernel.ok("let remembered = 1;")
    history = kernel.request("history", hist_access_type="tail", n=10)["content"]
    assert history["status"] == "ok"
    assert any(entry[2] == "let remembered = 1;" for entry in history["history"])
    comm = kernel.request("comm_info")["content"]
    assert comm == {"status": "ok", "comms": {}}


def test_evcxr_commands_keep_working(kernel):
    kernel.ok("let listed_by_vars = 5u8;")
    messages = kernel.ok(":vars")
    shown = str([m["content"] for m in messages if m["msg_type"] in ("execute_result", "stream", "display_data")])
    assert "listed_by_vars" in shown


def test_values_show_in_one_compilation_and_follow_fmt(kernel):
    reply, messages = kernel.run("6 * 7")
    assert reply["metadata"]["ndlens"]["compilations"] == 1
    (result,) = [m["content"]["data"] for m in messages if m["msg_type"] == "execute_result"]
    assert result["text/plain"] == "42"
    assert kernel.text("Some((1, \"x\"))") == 'Some((1, "x"))'
    # Rich types keep their own display.
    assert "text/html" in kernel.result("layout(&Array1::<u8>::zeros(2))")
    try:
        kernel.ok(":fmt {:#?}")
        assert kernel.text("Some(1)") == "Some(\n    1,\n)"
    finally:
        kernel.ok(":fmt {:?}")
    assert kernel.text("Some(1)") == "Some(1)"


def test_a_cell_run_again_compiles_nothing(kernel):
    code = "let twice_run = vec![1, 2, 3]; twice_run.iter().sum::<i32>()"
    reply, messages = kernel.run(code)
    assert reply["metadata"]["ndlens"]["compilations"] == 1
    again, messages_again = kernel.run(code)
    assert again["metadata"]["ndlens"]["compilations"] == 0
    results = [m["content"]["data"] for ms in (messages, messages_again) for m in ms if m["msg_type"] == "execute_result"]
    assert [r["text/plain"] for r in results] == ["6", "6"]


# --- magics ---------------------------------------------------------------

def test_aid_is_the_address_of_the_first_element(kernel):
    kernel.ok("let a = Array1::<f64>::zeros(3);")
    base = int(kernel.text("%aid a"))
    assert int(kernel.text("%aid a.slice(s![1..])")) == base + 8
    assert int(kernel.text("%aid a.to_owned()")) != base


def test_shares_answers_exactly_and_explains(kernel):
    kernel.ok("let b = Array1::<f64>::zeros(10);")
    data = kernel.result("%shares b, b.slice(s![..1])")
    assert data["text/plain"].splitlines()[0] == "true"
    assert "b[0]" in data["text/html"]
    assert kernel.text("%shares b, b.to_owned()").splitlines()[0] == "false"
    # Bounds overlap but no element is shared: the exact answer is no.
    assert kernel.text("%shares b.slice(s![..;2]), b.slice(s![1..;2])").splitlines()[0] == "false"


def test_layout_draws_the_diagram(kernel):
    kernel.ok("let m = Array2::<f64>::zeros((3, 4));")
    data = kernel.result("%layout m, m.t()")
    assert data["image/svg+xml"].startswith("<svg")
    assert "shape=(3, 4) strides=(32, 8)" in data["text/plain"]
    assert "m.t(): shape=(4, 3) strides=(8, 32)" in data["text/plain"]


def test_timeit_prints_ipythons_line(kernel):
    kernel.ok("let t = Array1::<f64>::zeros(1000);")
    out = kernel.stdout("%timeit t.sum()")
    line = out.strip().splitlines()[-1]
    match = TIMEIT_LINE.match(line)
    assert match, line
    assert match.group(3) == "7"


def test_timeit_options(kernel):
    out = kernel.stdout("%timeit -n 5 -r 3 t.sum()").strip()
    assert out.endswith("(mean ± std. dev. of 3 runs, 5 loops each)"), out
    reply, messages = kernel.run("%timeit -q -o t.sum()")
    assert not [m for m in messages if m["msg_type"] == "stream"]
    (result,) = [m["content"]["data"]["text/plain"] for m in messages if m["msg_type"] == "execute_result"]
    assert result.startswith("<TimeitResult : ") and result.endswith("loops each)>")


def test_cell_timeit_runs_setup_before_each_run(kernel):
    out = kernel.stdout("%%timeit -r 2 -n 3 let mut z = Array1::<f64>::zeros(100);\nz *= 2.0;")
    assert TIMEIT_LINE.match(out.strip()), out
    assert out.strip().endswith("of 2 runs, 3 loops each)")
    # Setup's bindings stay inside the timing.
    assert "cannot find value `z`" in kernel.error("z.len()")["evalue"]


def test_time_runs_once_and_keeps_bindings(kernel):
    messages = kernel.ok("%time let timed = Array1::<f64>::ones(5).sum();")
    out = "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream")
    assert re.match(r"^Wall time: \d[\d.e+]* (s|ms|μs|ns)\n$", out), out
    assert kernel.text("timed") == "5.0"
    data = kernel.result("%%time\nlet w = 2;\nw * 21")
    assert data["text/plain"] == "42"


def test_whos_lists_variables_with_array_layouts(kernel):
    kernel.ok("let whos_matrix = Array2::<f64>::zeros((2, 5)); let whos_number = 3u8;")
    table = kernel.text("%whos")
    lines = table.splitlines()
    assert lines[0].split() == ["Variable", "Type", "Data/Info"]
    row = next(line for line in lines if line.startswith("whos_matrix"))
    assert "Array2<f64>" in row and "shape=(2, 5) strides=(40, 8)" in row and "nbytes=80" in row
    assert any(line.split()[:2] == ["whos_number", "u8"] for line in lines)


def test_lsmagic_lists_every_magic(kernel):
    text = kernel.text("%lsmagic")
    for magic in ["%aid", "%shares", "%timeit", "%%timeit", "%time", "%%time", "%layout", "%whos", "%checks", "%lsmagic"]:
        assert re.search(rf"^  {re.escape(magic)}\b", text, re.M), magic


def test_cells_compile_as_release_until_checks_are_switched_on(kernel):
    kernel.ok("let kept_across_checks = 5u8;")
    overflow = "let top: u8 = 255; top + std::hint::black_box(1u8)"
    assert kernel.text(overflow) == "0"
    assert kernel.text("cfg!(debug_assertions)") == "false"
    try:
        assert kernel.text("%checks on").startswith("Checks are on")
        error = kernel.error(overflow)
        assert error["ename"] == "Panic"
        assert error["evalue"].startswith("attempt to add with overflow")
        assert kernel.text("cfg!(debug_assertions)") == "true"
        assert kernel.text("kept_across_checks") == "5"
    finally:
        assert kernel.text("%checks off").startswith("Checks are off")
    assert kernel.text(overflow) == "0"
    assert "%checks: `maybe` is neither on nor off" in kernel.error("%checks maybe")["evalue"]


@pytest.mark.parametrize(
    "cell, ename, start",
    [
        ("%nosuch a", "UsageError", "%nosuch: no such magic"),
        ("%shares a", "UsageError", "%shares: takes two arrays, got 1"),
        ("%aid", "UsageError", "%aid: which array?"),
        ("%layout", "UsageError", "%layout: which arrays?"),
        ("%timeit -n x a.sum()", "UsageError", "%timeit: -n needs a positive whole number"),
        ("%aid not_a_variable", "CompileError", "%aid: the arguments do not compile: cannot find value `not_a_variable`"),
        ("%layout 3.5", "CompileError", "%layout: the arguments do not compile"),
    ],
)
def test_magic_mistakes_name_the_magic_and_the_kernel_stays_up(kernel, cell, ename, start):
    kernel.ok("let still_here = 11;")
    error = kernel.error(cell)
    assert error["ename"] == ename
    assert error["evalue"].startswith(start), error["evalue"]
    if ename == "UsageError" and "no such" not in start:
        assert any(line.startswith("usage: ") for line in error["traceback"])
    assert kernel.text("still_here") == "11"


# --- views across cells ----------------------------------------------------

def test_a_view_defined_in_one_cell_is_usable_in_the_next(kernel):
    kernel.ok("let owner = Array2::<f64>::zeros((3, 4));")
    kernel.ok("let view = owner.t();")
    assert kernel.text("%shares owner, view").splitlines()[0] == "true"
    assert kernel.text("view.shape().to_vec()") == "[4, 3]"
    assert "image/svg+xml" in kernel.result("%layout owner, view")
    kernel.ok("let row = view.row(1);")
    assert kernel.text("row.len()") == "3"


def test_a_view_follows_its_owner_when_the_owner_is_reassigned(kernel):
    kernel.ok("let base = Array1::<i32>::from(vec![1, 2, 3]);")
    kernel.ok("let tail = base.slice(s![1..]);")
    assert kernel.text("tail.sum()") == "5"
    kernel.ok("let base = Array1::<i32>::from(vec![10, 20, 30, 40]);")
    assert kernel.text("tail.sum()") == "90"


def test_rebinding_a_view_name_replaces_the_view(kernel):
    kernel.ok("let src = Array1::<u8>::zeros(4);")
    kernel.ok("let handle = src.view();")
    kernel.ok("let handle = 99u32;")
    assert kernel.text("handle") == "99"
