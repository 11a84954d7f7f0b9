"""The debugger protocol JupyterLab's sidebar speaks, through jupyter_client
on the control channel, on both engines: the sequence JupyterLab sends
(open, toggle on, run cells, inspect, render, toggle off), every reply
checked against the messaging specification's DAP fields, busy and idle
published for each; variables while a cell runs; and what bad requests
get."""

import json
import queue
import time

import pytest

from conftest import ENGINES, TEST_PREFIX, TESTED_ENGINES, Session, engine_params


class Debug:
    """DAP requests over a session's control channel."""

    def __init__(self, session):
        self.client = session.client
        self.seq = 0

    def request(self, command, arguments=None, timeout=60):
        self.seq += 1
        content = {"seq": self.seq, "type": "request", "command": command}
        if arguments is not None:
            content["arguments"] = arguments
        message = self.client.session.msg("debug_request", content)
        self.client.control_channel.send(message)
        reply = self.client.control_channel.get_msg(timeout=timeout)
        assert reply["msg_type"] == "debug_reply" and reply["parent_header"]["msg_id"] == message["header"]["msg_id"]
        response = reply["content"]
        # The DAP response's fields, as the specification has them.
        assert response["type"] == "response" and response["request_seq"] == self.seq, response
        assert response["command"] == command and isinstance(response["seq"], int), response
        assert isinstance(response["success"], bool) and "body" in response, response
        if not response["success"]:
            assert response["message"], response
        self.assert_busy_then_idle(message["header"]["msg_id"])
        return response

    def assert_busy_then_idle(self, msg_id):
        states = []
        deadline = time.time() + 30
        while "idle" not in states and time.time() < deadline:
            try:
                message = self.client.get_iopub_msg(timeout=1)
            except queue.Empty:
                continue
            if message["parent_header"].get("msg_id") == msg_id and message["msg_type"] == "status":
                states.append(message["content"]["execution_state"])
        assert states == ["busy", "idle"], states

    def ok(self, command, arguments=None):
        response = self.request(command, arguments)
        assert response["success"], response
        return response["body"]


@pytest.fixture(scope="module", params=engine_params())
def session(request):
    s = Session(kernel_name=request.param)
    s.kernel_name = request.param
    yield s
    s.close()


def test_the_kernelspec_and_kernel_info_offer_the_debugger(session):
    spec = json.loads((TEST_PREFIX / "share" / "jupyter" / "kernels" / session.kernel_name / "kernel.json").read_text())
    assert spec["metadata"]["debugger"] is True
    session.client.kernel_info()
    reply = session.client.get_shell_msg(timeout=30)
    assert reply["content"]["debugger"] is True
    assert "debugger" in reply["content"]["supported_features"]


def test_jupyterlabs_sequence_shows_the_arrays_and_their_layouts(session):
    debug = Debug(session)
    info = debug.ok("debugInfo")
    assert info["isStarted"] is False and info["hashMethod"] == "Murmur2" and info["richRendering"] is True
    assert info["breakpoints"] == [] and info["stoppedThreads"] == [] and info["copyToGlobals"] is False
    debug.ok("initialize", {"clientID": "jupyterlab", "adapterID": "ndlens", "pathFormat": "path",
                            "linesStartAt1": True, "columnsStartAt1": True, "supportsVariableType": True})
    debug.ok("attach", {})
    assert debug.ok("debugInfo")["isStarted"] is True
    debug.ok("setExceptionBreakpoints", {"filters": []})
    debug.ok("configurationDone")

    session.ok("let a = Array2::<f64>::zeros((3, 4));\nlet n = 42;\nlet note = String::from(\"rows first\");")
    debug.ok("modules")  # JupyterLab asks after every cell
    variables = {v["name"]: v for v in debug.ok("inspectVariables")["variables"]}
    assert set(variables) >= {"a", "n", "note"}, variables
    assert variables["n"]["value"] == "42" and variables["n"]["variablesReference"] == 0
    assert variables["note"]["value"] == '"rows first"'
    assert variables["a"]["type"] == "f64 [3, 4] strides [32, 8] C owner", variables["a"]
    # An array's value is its elements as ndarray displays them; the type
    # column holds its shape and strides.
    assert variables["a"]["value"].startswith("[[0, 0, 0, 0],"), variables["a"]
    parts = debug.ok("variables", {"variablesReference": variables["a"]["variablesReference"]})["variables"]
    fields = {p["name"]: p["value"] for p in parts}
    assert (fields["strides (bytes)"], fields["order"], fields["owns its buffer"]) == ("[32, 8]", "C", "yes"), parts

    # "Render Variable": the diagram, with the layout table.
    rendered = debug.ok("richInspectVariables", {"variableName": "a"})
    assert rendered["data"]["image/svg+xml"].startswith("<svg")
    assert "<table" in rendered["data"]["text/html"]
    assert debug.ok("richInspectVariables", {"variableName": "n"})["data"]["text/plain"] == "42"

    # A cell that changes `a` changes what the panel shows: ndarray's copy
    # of a transpose keeps its order, F.
    session.ok("let a = a.t().to_owned();\nlet t = a.view();")
    variables = {v["name"]: v for v in debug.ok("inspectVariables")["variables"]}
    assert variables["a"]["type"] == "f64 [4, 3] strides [8, 32] F owner", variables["a"]
    assert variables["t"]["type"].endswith(" view"), variables["t"]

    code = "let b = &a * 2.0;"
    path = debug.ok("dumpCell", {"code": code})["sourcePath"]
    assert open(path).read() == code and path.startswith(info["tmpFilePrefix"]) and path.endswith(info["tmpFileSuffix"])
    breakpoints = debug.ok("setBreakpoints", {"source": {"path": path}, "breakpoints": [{"line": 1}],
                                              "sourceModified": False})["breakpoints"]
    assert breakpoints == [{"verified": False, "line": 1, "message": "ndlens does not stop at breakpoints yet"}]

    debug.ok("disconnect", {"restart": False, "terminateDebuggee": True})
    assert debug.ok("debugInfo")["isStarted"] is False


@pytest.mark.skipif("rustc" not in TESTED_ENGINES, reason="the rustc engine is not under test")
def test_the_panel_reads_arrays_and_views_without_compiling(tmp_path, monkeypatch):
    # JupyterLab asks after every cell: a compile per question made the
    # panel lag each new variable by a compile. Kept arrays, numbers and
    # strings, views a cell derives, and views of an owner a cell changed
    # are read as they are; a value of another type by a compiled cell.
    monkeypatch.setenv("NDLENS_CACHE_DIR", str(tmp_path))
    session = Session(kernel_name=ENGINES["rustc"])
    debug = Debug(session)

    def inspect_compiling():
        before = {p.name for p in tmp_path.rglob("lib*.so")}
        variables = {v["name"]: v for v in debug.ok("inspectVariables")["variables"]}
        return variables, len({p.name for p in tmp_path.rglob("lib*.so")} - before)

    try:
        debug.ok("initialize", {"clientID": "jupyterlab", "adapterID": "ndlens"})
        debug.ok("attach", {})
        session.ok("let mut m = Array2::<i32>::zeros((2, 3));\nlet label = String::from(\"m\");\nlet k = 2.5;")
        variables, compiled = inspect_compiling()
        assert compiled == 0 and variables["label"]["value"] == '"m"' and variables["k"]["value"] == "2.5"
        assert variables["m"]["type"] == "i32 [2, 3] strides [12, 4] C owner", variables["m"]

        session.ok("let mt = m.t();\nlet row = m.row(1);")
        variables, compiled = inspect_compiling()
        assert compiled == 0
        assert variables["mt"]["type"] == "i32 [3, 2] strides [4, 12] F view", variables["mt"]
        assert variables["row"]["type"] == "i32 [3] strides [4] C and F view", variables["row"]

        # The cell that changes the owner notes its views as it ends.
        session.ok("m[[1, 0]] = 5;")
        variables, compiled = inspect_compiling()
        assert compiled == 0
        assert variables["row"]["value"] == "[5, 0, 0]" and variables["mt"]["value"].startswith("[[0, 5],")

        session.ok("let pair = (1, 'x');")
        variables, compiled = inspect_compiling()
        assert compiled == 1 and variables["pair"]["value"] == "(1, 'x')", variables["pair"]
        assert variables["row"]["value"] == "[5, 0, 0]"
    finally:
        session.close()


def test_variables_while_a_cell_runs_come_at_once_from_before_it(session):
    debug = Debug(session)
    session.ok("let before = 7;")
    debug.ok("inspectVariables")
    msg_id = session.client.execute("std::thread::sleep(std::time::Duration::from_secs(3));")
    time.sleep(0.5)
    variables = {v["name"]: v for v in debug.ok("inspectVariables")["variables"]}
    assert variables["before"]["value"] == "7 (before the running cell)", variables["before"]
    # The answer came while the cell still ran: its reply is yet to come.
    reply = session.client.get_shell_msg(timeout=30)
    assert reply["parent_header"]["msg_id"] == msg_id and reply["content"]["status"] == "ok"


def test_bad_requests_get_a_reply_that_says_why(session):
    debug = Debug(session)
    unsupported = debug.request("stackTrace", {"threadId": 1})
    assert not unsupported["success"] and "does not support the debugger request `stackTrace`" in unsupported["message"]
    missing = debug.request("richInspectVariables", {"variableName": "nosuch"})
    assert not missing["success"] and "no variable `nosuch`" in missing["message"]
    assert not debug.request("variables", {"variablesReference": 999})["success"]
    assert not debug.request("dumpCell", {})["success"]
    # A request with no command at all.
    message = session.client.session.msg("debug_request", {"seq": 99, "type": "request"})
    session.client.control_channel.send(message)
    reply = session.client.control_channel.get_msg(timeout=60)["content"]
    assert reply["success"] is False and "has none" in reply["message"], reply
    debug.assert_busy_then_idle(message["header"]["msg_id"])
    # A 200 MB array is drawn as the lens draws it, aggregated.
    session.ok("let big = Array2::<f64>::zeros((5000, 5000));")
    variables = {v["name"]: v for v in debug.ok("inspectVariables")["variables"]}
    assert variables["big"]["type"] == "f64 [5000, 5000] strides [40000, 8] C owner"
    assert len(variables["big"]["value"]) <= 101
    rendered = debug.ok("richInspectVariables", {"variableName": "big"})["data"]
    assert rendered["image/svg+xml"].startswith("<svg") and len(rendered["image/svg+xml"]) < 200_000
    assert session.text("n + 1") == "43"
