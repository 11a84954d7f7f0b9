"""Input from the user: a cell that reads standard input, or calls
`input()` or `getpass()`, asks the front end through an input_request on
the stdin channel when the request allows it, fails at once when it does
not, and stops waiting when interrupted."""

import time

import pytest

from conftest import ENGINES, Session, TESTED_ENGINES


def start(session, code, allow_stdin=True):
    return session.client.execute(code, allow_stdin=allow_stdin)


def input_request(session):
    request = session.client.get_stdin_msg(timeout=60)
    assert request["msg_type"] == "input_request", request
    return request["content"]


def finish(session, msg_id):
    """The reply to `msg_id`, and the outputs the cell sent."""
    while True:
        reply = session.client.get_shell_msg(timeout=60)
        if reply["parent_header"]["msg_id"] == msg_id:
            break
    messages = []
    while True:
        message = session.client.get_iopub_msg(timeout=30)
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        messages.append(message)
        if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
            return reply["content"], messages


def streams(messages, name):
    return "".join(m["content"]["text"] for m in messages
                   if m["msg_type"] == "stream" and m["content"]["name"] == name)


def result(messages):
    (data,) = [m["content"]["data"] for m in messages if m["msg_type"] == "execute_result"]
    return data["text/plain"]


def test_input_asks_the_front_end_with_its_prompt(kernel):
    msg_id = start(kernel, 'let name = input("Your name? ");\nprintln!("Hello, {name}!");')
    assert input_request(kernel) == {"prompt": "Your name? ", "password": False}
    kernel.client.input("Ada")
    reply, messages = finish(kernel, msg_id)
    assert reply["status"] == "ok"
    assert streams(messages, "stdout") == "Hello, Ada!\n"
    assert kernel.text("name.len()") == "3"


def test_getpass_asks_for_a_password(kernel):
    msg_id = start(kernel, 'let secret = getpass("Password: ");\nsecret.len()')
    assert input_request(kernel) == {"prompt": "Password: ", "password": True}
    kernel.client.input("hunter2")
    reply, messages = finish(kernel, msg_id)
    assert reply["status"] == "ok" and result(messages) == "7"


def test_standard_input_read_in_a_cell_asks_too(kernel):
    code = ("let mut lines = Vec::new();\n"
            "for line in std::io::stdin().lines().take(2) {\n    lines.push(line.unwrap());\n}\n"
            "lines")
    msg_id = start(kernel, code)
    for typed in ["first", "second"]:
        assert input_request(kernel)["password"] is False
        kernel.client.input(typed)
    reply, messages = finish(kernel, msg_id)
    assert reply["status"] == "ok", reply
    assert result(messages) == '["first", "second"]'


def test_a_front_end_that_allows_no_input_gets_an_error_at_once(kernel):
    kernel.ok("let before = 41;")
    started = time.monotonic()
    msg_id = start(kernel, 'let answer = input("Anything? ");', allow_stdin=False)
    reply, _ = finish(kernel, msg_id)
    assert time.monotonic() - started < 30
    assert reply["status"] == "error"
    assert "takes no input for this cell" in reply["evalue"], reply["evalue"]

    msg_id = start(kernel, "let mut s = String::new();\nstd::io::stdin().read_line(&mut s).unwrap();",
                   allow_stdin=False)
    reply, messages = finish(kernel, msg_id)
    assert reply["status"] == "error"
    assert "standard input: the front end takes no input for this cell" in streams(messages, "stderr")
    assert kernel.text("before + 1") == "42"


def test_an_interrupt_ends_the_wait_and_keeps_the_session(fresh_kernel):
    fresh_kernel.ok("let kept = 7;")
    msg_id = start(fresh_kernel, 'let never = input("Waiting: ");')
    input_request(fresh_kernel)
    fresh_kernel.manager.interrupt_kernel()
    reply, _ = finish(fresh_kernel, msg_id)
    assert reply["ename"] == "KeyboardInterrupt", reply
    assert fresh_kernel.text("kept") == "7"
    # An answer that comes too late is dropped, and the next ask is answered.
    fresh_kernel.client.input("late")
    msg_id = start(fresh_kernel, 'input("Again: ")')
    assert input_request(fresh_kernel)["prompt"] == "Again: "
    fresh_kernel.client.input("now")
    reply, messages = finish(fresh_kernel, msg_id)
    assert result(messages) == '"now"'


@pytest.mark.skipif("evcxr" not in TESTED_ENGINES, reason="the evcxr engine is not under test")
def test_the_evcxr_engine_says_it_cannot_ask():
    session = Session(kernel_name=ENGINES["evcxr"])
    try:
        error = session.error('input("x")')
        assert "only the rustc engine's session process can" in error["evalue"]
    finally:
        session.close()
