"""What a kernel must survive: wrongly signed messages, interrupts,
restarts, shutdown, and a failed allocation."""

import os
import queue
import signal
import time

import pytest

from jupyter_client.session import Session as SigningSession


def test_a_wrongly_signed_message_is_dropped_and_serving_goes_on(fresh_kernel):
    client = fresh_kernel.client
    forger = SigningSession(key=b"not-the-connection-key", username="mallory")
    forged = forger.msg("execute_request", content={
        "code": "let forged = 1;", "silent": False, "store_history": True,
        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True,
    })
    forger.send(client.shell_channel.socket, forged)
    try:
        reply = client.get_shell_msg(timeout=3)
        raise AssertionError(f"a forged message was answered: {reply['msg_type']}")
    except queue.Empty:
        pass
    # The kernel still answers correctly signed requests, and never ran the
    # forged code.
    assert fresh_kernel.request("kernel_info")["content"]["status"] == "ok"
    assert "cannot find value `forged`" in fresh_kernel.error("forged")["evalue"]


RUNAWAY_CELLS = {
    "loop": "let mut spins = 0u64;\nloop {\n    spins = std::hint::black_box(spins + 1);\n}",
    "while": "let mut spins = 0u64;\nwhile true {\n    spins = std::hint::black_box(spins + 1);\n}",
    "for": "let mut total = 0u64;\nfor i in 0..u64::MAX {\n    total = std::hint::black_box(total ^ i);\n}",
    "iterator closure": "(0..u64::MAX)\n    .map(|i| std::hint::black_box(i ^ 1))\n    .filter(|i| i % 3 == 0)\n    .count()",
}


def interrupt_after_start(session, code):
    """Runs `code`, interrupts it once it runs; returns (reply, seconds from
    the interrupt to the reply)."""
    client = session.client
    msg_id = client.execute(code)
    # Let it compile and start running.
    time.sleep(4)
    started = time.monotonic()
    session.manager.interrupt_kernel()
    while True:
        reply = client.get_shell_msg(timeout=60)
        if reply["parent_header"]["msg_id"] == msg_id:
            return reply, time.monotonic() - started


@pytest.mark.parametrize("kind", list(RUNAWAY_CELLS))
def test_an_interrupted_runaway_keeps_every_variable(fresh_kernel, kind):
    fresh_kernel.ok("let before_interrupt = Array1::<f64>::ones(4);")
    reply, seconds = interrupt_after_start(fresh_kernel, RUNAWAY_CELLS[kind])
    print(f"{kind}: interrupt to reply {seconds:.2f}s")
    content = reply["content"]
    assert content["status"] == "error"
    assert content["ename"] == "KeyboardInterrupt", content
    assert content["evalue"].startswith("interrupted at line "), content["evalue"]
    assert fresh_kernel.text("before_interrupt.sum()") == "4.0"
    # The next cell runs normally: the interrupt is not carried over.
    assert fresh_kernel.text("let mut n = 0; for i in 0..1000 { n += i; } n") == "499500"


def test_an_interrupt_the_cell_cannot_see_ends_the_process_and_names_the_loss(fresh_kernel):
    fresh_kernel.ok("let before_interrupt = 1;")
    reply, seconds = interrupt_after_start(fresh_kernel, "std::thread::sleep(std::time::Duration::from_secs(600));")
    print(f"sleeping call: interrupt to reply {seconds:.2f}s")
    content = reply["content"]
    assert content["status"] == "error"
    assert content["ename"] == "Interrupted"
    assert "all variables were lost: before_interrupt" in content["evalue"]
    # The kernel is usable again, with a new process whose loops can be interrupted.
    assert fresh_kernel.text("array![1, 2, 3].sum()") == "6"
    reply, _ = interrupt_after_start(fresh_kernel, RUNAWAY_CELLS["loop"])
    assert reply["content"]["ename"] == "KeyboardInterrupt"


def test_an_interrupt_while_idle_loses_nothing(fresh_kernel):
    fresh_kernel.ok("let kept_when_idle = 4;")
    fresh_kernel.manager.interrupt_kernel()
    time.sleep(1)
    assert fresh_kernel.text("kept_when_idle") == "4"


def session_processes(kernel_pid):
    """The processes under the kernel that run its session's cells."""
    found, stack = [], [kernel_pid]
    while stack:
        pid = stack.pop()
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                children = [int(c) for c in f.read().split()]
            stack.extend(children)
            for child in children:
                with open(f"/proc/{child}/cmdline", "rb") as f:
                    if b"\0session" in f.read():
                        found.append(child)
    return found


def test_a_session_process_killed_from_outside_is_replaced_and_the_loss_named(fresh_kernel):
    fresh_kernel.ok("let before_kill = Array1::<f64>::ones(2);")
    (process,) = session_processes(fresh_kernel.manager.provisioner.process.pid)
    os.kill(process, signal.SIGKILL)
    error = fresh_kernel.error("before_kill.sum()")
    assert error["ename"] == "ProcessLost"
    assert "SIGKILL" in error["evalue"] and "all variables were lost: before_kill" in error["evalue"], error["evalue"]
    assert fresh_kernel.text("let after = 2; after * 21") == "42"
    assert fresh_kernel.text("after") == "2"


def test_a_failed_allocation_is_reported_and_the_kernel_stays_up(fresh_kernel):
    fresh_kernel.ok("let before_oom = 2;")
    error = fresh_kernel.error("let huge = vec![0u8; 1 << 46]; huge.len()")
    assert error["ename"] == "ProcessLost"
    assert "all variables were lost: before_oom" in error["evalue"]
    assert fresh_kernel.text("1 + 1") == "2"


def test_a_panic_too_large_to_allocate_keeps_variables(fresh_kernel):
    fresh_kernel.ok("let before_capacity = 3;")
    error = fresh_kernel.error("let v: Vec<u64> = Vec::with_capacity(usize::MAX);")
    assert error["ename"] == "Panic"
    assert "capacity overflow" in error["evalue"]
    assert fresh_kernel.text("before_capacity") == "3"


def test_restart_gives_a_fresh_session(fresh_kernel):
    fresh_kernel.ok("let before_restart = 5;")
    fresh_kernel.manager.restart_kernel(now=False)
    fresh_kernel.client.wait_for_ready(timeout=60)
    assert "cannot find value `before_restart`" in fresh_kernel.error("before_restart")["evalue"]
    assert fresh_kernel.text("Array1::<f64>::ones(3).sum()") == "3.0"


def test_shutdown_request_ends_the_kernel_process(fresh_kernel):
    fresh_kernel.ok("1")
    process = fresh_kernel.manager.provisioner.process
    fresh_kernel.client.shutdown()
    reply = fresh_kernel.client.get_control_msg(timeout=30)
    assert reply["msg_type"] == "shutdown_reply"
    assert reply["content"]["status"] == "ok"
    assert process.wait(timeout=30) == 0
