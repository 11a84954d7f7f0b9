"""What a kernel must survive: wrongly signed messages, interrupts,
restarts, shutdown, and a failed allocation."""

import queue
import time

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


def test_interrupt_stops_a_running_loop_and_says_what_was_lost(fresh_kernel):
    fresh_kernel.ok("let before_interrupt = 1;")
    client = fresh_kernel.client
    msg_id = client.execute("loop { std::hint::black_box(0); }")
    # Let it compile and start spinning.
    time.sleep(3)
    started = time.monotonic()
    fresh_kernel.manager.interrupt_kernel()
    reply = client.get_shell_msg(timeout=60)
    assert reply["parent_header"]["msg_id"] == msg_id
    print(f"interrupt to reply: {time.monotonic() - started:.2f}s")
    content = reply["content"]
    assert content["status"] == "error"
    assert content["ename"] == "Interrupted"
    assert "all variables were lost: before_interrupt" in content["evalue"]
    # The kernel is usable again, with a new process.
    assert fresh_kernel.text("array![1, 2, 3].sum()") == "6"


def test_an_interrupt_while_idle_loses_nothing(fresh_kernel):
    fresh_kernel.ok("let kept_when_idle = 4;")
    fresh_kernel.manager.interrupt_kernel()
    time.sleep(1)
    assert fresh_kernel.text("kept_when_idle") == "4"


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
