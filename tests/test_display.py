"""Displays from inside a cell, updated in place by id, and clear_output,
through jupyter_client on both engines."""

import pytest

from conftest import Session, engine_params


@pytest.fixture(scope="module", params=engine_params())
def shown(request):
    session = Session(kernel_name=request.param)
    yield session
    session.close()


def outputs(session, code):
    """The iopub messages a cell sent that a front end shows, as
    (msg_type, content)."""
    kinds = ("stream", "display_data", "update_display_data", "clear_output", "execute_result", "error")
    return [(m["msg_type"], m["content"]) for m in session.ok(code) if m["msg_type"] in kinds]


def test_a_display_shows_now_and_an_update_replaces_it_by_id(shown):
    sent = outputs(shown, 'println!("before");\ndisplay!(Html("<b>1</b>".into()), "progress");\n'
                          'println!("between");\nupdate_display!(Html("<b>2</b>".into()), "progress");')
    assert [kind for kind, _ in sent] == ["stream", "display_data", "stream", "update_display_data"]
    (_, before), (_, first), (_, between), (_, update) = sent
    assert before["text"] == "before\n" and between["text"] == "between\n"
    assert first["data"]["text/html"] == "<b>1</b>"
    assert first["transient"] == {"display_id": "progress"}
    assert update["data"]["text/html"] == "<b>2</b>"
    assert update["transient"] == {"display_id": "progress"}


def test_a_later_cell_updates_a_display_an_earlier_one_made(shown):
    outputs(shown, 'display!(Html("old".into()), "kept");')
    [(kind, content)] = outputs(shown, 'update_display!(Html("new".into()), "kept");')
    assert kind == "update_display_data"
    assert content["data"]["text/html"] == "new"


def test_a_loop_redraws_one_diagram(shown):
    code = ('let mut grid = Array2::<u8>::zeros((2, 3));\n'
            'display!(diagram!(grid), "grid");\n'
            'for i in 0..3 {\n    grid[[0, i]] = 1;\n    update_display!(diagram!(grid), "grid");\n}')
    sent = outputs(shown, code)
    assert [kind for kind, _ in sent] == ["display_data"] + ["update_display_data"] * 3
    assert all(content["data"]["image/svg+xml"].startswith("<svg") for _, content in sent)


def test_values_without_a_rich_form_show_their_text(shown):
    [(kind, content)] = outputs(shown, "display!(vec![1, 2, 3]);")
    assert kind == "display_data"
    assert content["data"] == {"text/plain": "[1, 2, 3]"}
    assert "transient" not in content or not content["transient"].get("display_id")


@pytest.mark.parametrize("wait", ["true", "false"])
def test_clear_output_asks_the_front_end_to_clear(shown, wait):
    sent = outputs(shown, f'println!("gone");\nclear_output({wait});\nprintln!("kept");')
    assert [kind for kind, _ in sent] == ["stream", "clear_output", "stream"]
    assert sent[1][1] == {"wait": wait == "true"}


def test_an_update_of_a_display_never_shown_changes_nothing_in_the_cell(shown):
    assert outputs(shown, 'update_display!(Html("x".into()), "never-shown");') == []
