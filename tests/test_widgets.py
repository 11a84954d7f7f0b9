"""Jupyter widgets in the kernel, and the `%explore` layout explorer, through
jupyter_client: the comm messages a widget manager sees, an update from the
client redrawing the output, bad widget messages refused without harm."""

import html
import re
import time
import uuid

import pytest
from ipywidgets._version import (
    __jupyter_widgets_base_version__ as BASE_VERSION,
    __jupyter_widgets_controls_version__ as CONTROLS_VERSION,
    __protocol_version__ as PROTOCOL_VERSION,
)

from conftest import Session


@pytest.fixture(scope="module")
def session():
    session = Session()
    yield session
    session.close()


class Explorer:
    """An explorer opened by a cell, seen as a widget manager sees it."""

    def __init__(self, session, cell="%explore"):
        self.session = session
        reply, messages = session.run(cell)
        assert reply["content"]["status"] == "ok", reply["content"]
        self.opens = [m for m in messages if m["msg_type"] == "comm_open"]
        self.models = {m["content"]["comm_id"]: m["content"]["data"]["state"] for m in self.opens}
        shown = [m for m in messages if m["msg_type"] == "display_data"]
        assert len(shown) == 1
        self.bundle = shown[0]["content"]["data"]
        self.root = self.bundle["application/vnd.jupyter.widget-view+json"]["model_id"]
        self.output = self.only(_model_name="HTMLModel")

    def find(self, **attributes):
        return [c for c, s in self.models.items() if all(s.get(k) == v for k, v in attributes.items())]

    def only(self, **attributes):
        found = self.find(**attributes)
        assert len(found) == 1, (attributes, found)
        return found[0]

    def send(self, comm_id, data):
        """Sends a comm_msg as JupyterLab does; returns the iopub messages
        it caused, up to idle."""
        client = self.session.client
        message = client.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
        client.shell_channel.send(message)
        msg_id = message["header"]["msg_id"]
        caused = []
        while True:
            m = client.get_iopub_msg(timeout=60)
            if m["parent_header"].get("msg_id") != msg_id:
                continue
            caused.append(m)
            if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                return caused

    def update(self, comm_id, **state):
        return self.send(comm_id, {"method": "update", "state": state, "buffer_paths": []})

    def drawn(self, caused):
        """The output's new HTML among the messages `caused`."""
        values = [
            m["content"]["data"]["state"]["value"]
            for m in caused
            if m["msg_type"] == "comm_msg"
            and m["content"]["comm_id"] == self.output
            and m["content"]["data"].get("method") == "update"
        ]
        assert len(values) == 1, caused
        return values[0]


def layout_line(drawn):
    match = re.search(r'<pre class="ndlens-layout-line">([^\n<]*)', drawn)
    assert match, drawn
    return html.unescape(match.group(1))


def test_the_explorer_opens_widget_models_a_widget_manager_can_draw(session):
    explorer = Explorer(session)
    for opened in explorer.opens:
        assert opened["content"]["target_name"] == "jupyter.widget"
        assert opened["metadata"]["version"] == PROTOCOL_VERSION
    modules = {(s["_model_module"], s["_model_module_version"]) for s in explorer.models.values()}
    assert modules == {("@jupyter-widgets/controls", CONTROLS_VERSION), ("@jupyter-widgets/base", BASE_VERSION)}
    assert explorer.models[explorer.root]["_model_name"] == "VBoxModel"
    # Every reference names a model opened before the one that holds it.
    seen = set()
    for opened in explorer.opens:
        state = opened["content"]["data"]["state"]
        references = [v for v in state.values() if isinstance(v, str) and v.startswith("IPY_MODEL_")]
        references += [c for c in state.get("children", [])]
        assert all(r[len("IPY_MODEL_"):] in seen for r in references), state
        seen.add(opened["content"]["comm_id"])
    # Where widgets are not live, the first drawing stands in.
    assert "<svg" in explorer.bundle["text/html"]
    assert "shape=(4, 6) strides=(48, 8)" in explorer.bundle["text/html"]

    info = session.request("comm_info", target_name="jupyter.widget")["content"]
    assert set(explorer.models) <= set(info["comms"])


def test_moving_a_step_slider_redraws_strides_answers_and_expression(session):
    explorer = Explorer(session)
    step0 = explorer.find(_model_name="IntSliderModel", description="step")[0]
    started = time.perf_counter()
    caused = explorer.update(step0, value=2)
    elapsed = time.perf_counter() - started
    print(f"redraw through jupyter_client: {elapsed * 1000:.1f} ms")
    echoes = [m for m in caused if m["msg_type"] == "comm_msg" and m["content"]["data"]["method"] == "echo_update"]
    assert echoes and echoes[0]["content"]["data"]["state"] == {"value": 2}
    drawn = explorer.drawn(caused)
    assert layout_line(drawn).startswith("shape=(2, 6) strides=(96, 8)")
    assert "<svg" in drawn
    assert 'class="ndlens-ravel"><b>a copy</b>: one allocation of 96 B<' in drawn
    assert "s![..;2, ..]" in html.unescape(drawn)


def test_the_expression_shown_builds_the_same_view_in_a_cell(session):
    explorer = Explorer(session)
    explorer.update(explorer.only(_model_name="ToggleButtonsModel", description="order"), index=1)
    step1 = explorer.find(_model_name="IntSliderModel", description="step")[1]
    explorer.update(step1, value=-2)
    order = explorer.only(_model_name="DropdownModel", description="axis order")
    drawn = explorer.drawn(explorer.update(order, index=1))
    code = html.unescape(re.search(r'<pre class="ndlens-expression"><code>(.*?)</code></pre>', drawn, re.S).group(1))
    assert ".f()" in code and ";-2" in code and ".reversed_axes()" in code, code
    session.ok(code)
    assert session.text("layout(&view).to_string()") == f'"{layout_line(drawn)}"'
    # What the explorer says ravel would allocate is what %allocs counts.
    said = re.search(r'class="ndlens-ravel"><b>a copy</b>: one allocation of (\d+) B<', drawn)
    counted = session.stdout("%allocs ravel(&view);")
    assert said and counted == f"1 allocation, {int(said.group(1)):,} B; 1 block freed; nothing held at the end\n", counted


def test_the_explorer_of_an_array_starts_from_its_layout_and_says_when_it_is_gone(session):
    session.ok("let grid = Array2::<f32>::zeros((3, 5));")
    explorer = Explorer(session, "%explore grid.t()")
    assert "Started from the layout of <code>grid.t()</code>" in explorer.bundle["text/html"]
    assert "shape=(5, 3) strides=(4, 20) itemsize=4" in explorer.bundle["text/html"]

    # An axis longer than the sliders usually go stretches its slider.
    session.ok("let long = Array2::<f64>::zeros((300, 2));")
    tall = Explorer(session, "%explore long")
    length0 = tall.only(_model_name="IntSliderModel", description="axis 0 length")
    assert tall.models[length0]["max"] == 300
    drawn = tall.drawn(tall.update(tall.find(_model_name="IntSliderModel", description="step")[0], value=2))
    assert layout_line(drawn).startswith("shape=(150, 2) strides=(32, 8)")

    session.ok("let gone = Array1::<u8>::zeros(7);")
    gone = Explorer(session, "%explore gone")
    session.ok(":clear")
    drawn = gone.drawn(gone.update(gone.find(_model_name="IntSliderModel", description="step")[0], value=-1))
    assert "`gone` is no longer in the session" in drawn
    assert "strides=(-1,)" in layout_line(drawn)

    reply, _ = session.run("%explore nothing_here")
    assert reply["content"]["status"] == "error"
    assert "nothing_here" in reply["content"]["evalue"]


def test_bad_widget_messages_are_refused_and_the_session_survives(session):
    session.ok("let kept = 41 + 1;")
    explorer = Explorer(session)
    length0 = explorer.only(_model_name="IntSliderModel", description="axis 0 length")
    # A value of the wrong type, an unknown comm, an unknown method, an
    # unknown attribute: ignored, with a line in the kernel's log.
    for comm_id, data in [
        (length0, {"method": "update", "state": {"value": "many"}}),
        (str(uuid.uuid4()), {"method": "update", "state": {"value": 3}}),
        (length0, {"method": "explode"}),
        (length0, {"method": "update", "state": {"colour": "red"}}),
        (length0, {"method": "update", "state": 7}),
    ]:
        caused = explorer.send(comm_id, data)
        assert not [m for m in caused if m["msg_type"] == "comm_msg"], caused
    # Out of range: said in the explorer's output.
    drawn = explorer.drawn(explorer.update(length0, value=1000))
    assert "not applied" in drawn and "1000" in drawn
    # Too big a buffer: refused, not drawn.
    explorer.update(length0, value=128)
    explorer.update(explorer.only(_model_name="ToggleButtonsModel", description="axes"), index=2)
    lengths = [c for c in explorer.find(_model_name="IntSliderModel") if "length" in explorer.models[c]["description"]]
    for length in lengths[:3]:
        drawn = explorer.drawn(explorer.update(length, value=128))
    assert "more than 1000000 elements" in drawn and "<svg" not in drawn
    # A comm the front end opens for a target the kernel lacks is closed.
    client = session.client
    opening = client.session.msg("comm_open", {"comm_id": "x1", "target_name": "no.such.target", "data": {}})
    client.shell_channel.send(opening)
    closed = []
    while not closed:
        m = client.get_iopub_msg(timeout=30)
        if m["msg_type"] == "comm_close" and m["content"]["comm_id"] == "x1":
            closed.append(m)
    assert session.text("kept") == "42"


def test_the_explorer_outlives_a_lost_session_process(session):
    explorer = Explorer(session)
    reply, _ = session.run("std::process::abort();")
    assert reply["content"]["status"] == "error"
    step0 = explorer.find(_model_name="IntSliderModel", description="step")[0]
    drawn = explorer.drawn(explorer.update(step0, value=3))
    assert layout_line(drawn).startswith("shape=(2, 6) strides=(144, 8)")
    assert session.text("1 + 1") == "2"
