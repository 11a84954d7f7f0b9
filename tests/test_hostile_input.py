"""Correctly signed but hostile or malformed requests: each is answered (or,
when it cannot even be authenticated, dropped with a log line), and the
kernel and its variables survive every one."""

import json

import pytest

DELIMITER = b"<IDS|MSG>"


def send_frames(session, header_type, content_bytes, frames=None):
    """Sends a correctly signed message whose content frame is
    `content_bytes` as given; returns its msg_id."""
    client = session.client
    header = client.session.msg_header(header_type)
    parts = frames if frames is not None else [
        client.session.pack(header), b"{}", b"{}", content_bytes,
    ]
    signature = client.session.sign(parts[:4])
    client.shell_channel.socket.send_multipart([DELIMITER, signature, *parts])
    return header["msg_id"]


def reply_to(session, msg_id, timeout=120):
    while True:
        reply = session.client.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply


def content(value):
    return json.dumps(value).encode()


CODE_DEFAULTS = {"silent": False, "store_history": False, "user_expressions": {}, "allow_stdin": False}

# (what, message type, content frame, expected reply status)
ANSWERED = [
    ("execute without code", "execute_request", content({"silent": False}), "error"),
    ("code that is a number", "execute_request", content({**CODE_DEFAULTS, "code": 5}), "error"),
    ("silent that is a string", "execute_request", content({"code": "1", "silent": "yes"}), "error"),
    ("content that is not JSON", "execute_request", b"{not json", "error"),
    ("content that is a list", "execute_request", content([1, 2]), "error"),
    ("a negative cursor", "complete_request", content({"code": "a.", "cursor_pos": -1}), "error"),
    ("a cursor far past the end", "inspect_request", content({"code": "a", "cursor_pos": 10**12}), "ok"),
    ("a negative history length", "history_request",
     content({"hist_access_type": "tail", "n": -5, "output": False, "raw": True}), "ok"),
    ("an unknown history access", "history_request", content({"hist_access_type": "all"}), "error"),
    ("an unknown request type", "frobnicate_request", content({}), "error"),
    ("code nested 5000 deep", "execute_request", content({**CODE_DEFAULTS, "code": "(" * 5000 + ")" * 5000}), "error"),
    ("is_complete of code nested 5000 deep", "is_complete_request", content({"code": "[" * 5000}), "invalid"),
    ("NUL bytes in code", "execute_request", content({**CODE_DEFAULTS, "code": "let nul = 1;\x00\x00"}), "error"),
    ("2 MB of code", "execute_request", content({**CODE_DEFAULTS, "code": "// " + "x" * (2 << 20) + "\n1 + 1"}), "ok"),
    ("a magic with 100,000 arguments", "execute_request",
     content({**CODE_DEFAULTS, "code": "%layout " + ", ".join(["survivor"] * 100_000)}), "error"),
    ("%timeit with an absurd loop count", "execute_request",
     content({**CODE_DEFAULTS, "code": "%timeit -n 18446744073709551615 1"}), "error"),
]


@pytest.fixture(scope="module")
def survivor(kernel):
    kernel.ok("let survivor = Array1::<f64>::ones(3);")
    return kernel


@pytest.mark.parametrize("what, msg_type, frame, status", ANSWERED, ids=[row[0] for row in ANSWERED])
def test_each_hostile_request_is_answered_and_nothing_is_lost(survivor, what, msg_type, frame, status):
    msg_id = send_frames(survivor, msg_type, frame)
    reply = reply_to(survivor, msg_id)
    assert reply["content"]["status"] == status, reply["content"]
    if status == "error":
        assert reply["content"]["evalue"], reply["content"]
    assert survivor.request("kernel_info")["content"]["status"] == "ok"
    assert survivor.text("survivor.sum()") == "3.0"


def test_a_message_with_too_few_frames_is_dropped_and_serving_goes_on(survivor):
    header = survivor.client.session.pack(survivor.client.session.msg_header("execute_request"))
    # Two frames cannot carry a signature over four: nothing to authenticate.
    send_frames(survivor, "execute_request", b"", frames=[header, b"{}"])
    assert survivor.request("kernel_info")["content"]["status"] == "ok"
    assert survivor.text("survivor.sum()") == "3.0"
