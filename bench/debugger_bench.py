"""What JupyterLab's Variables panel waits for: the time from a
`debug_request` for `inspectVariables` to its reply, in the ndlens kernel
and, as the anchor, in ipykernel (with NumPy), measured in the same run.

    .venv/bin/python bench/debugger_bench.py [--repeat 20]

Figures, medians of `--repeat` requests: after a cell that defines new
variables (ndlens compiles the cell that reads them), again with nothing
changed (ndlens runs the same reading, compiled before), and while a
three-second cell runs (ndlens answers from its last reading). The ndlens
kernel runs with a compiled-cell cache of this run's own. Machines are
noisy: read medians and ratios, not single numbers.
"""

import argparse
import os
import statistics
import tempfile
import time

from kernel_bench import start, stop

SETUPS = {
    "ndlens": ("let a = Array2::<f64>::zeros((1000, 1000));\nlet n{i} = {i};",
               "std::thread::sleep(std::time::Duration::from_secs(3));"),
    "python3": ("import numpy as np\na = np.zeros((1000, 1000))\nn{i} = {i}", "import time; time.sleep(3)"),
}


def inspect(client, seq):
    message = client.session.msg("debug_request", {"seq": seq, "type": "request", "command": "inspectVariables"})
    started = time.perf_counter()
    client.control_channel.send(message)
    while True:
        reply = client.control_channel.get_msg(timeout=60)
        if reply["parent_header"].get("msg_id") == message["header"]["msg_id"]:
            elapsed = time.perf_counter() - started
            assert reply["content"]["success"], reply["content"]
            return elapsed


def debug(client, seq, command, arguments=None):
    content = {"seq": seq, "type": "request", "command": command, "arguments": arguments or {}}
    client.control_channel.send(client.session.msg("debug_request", content))
    client.control_channel.get_msg(timeout=60)


def measure(kernel_name, repeat):
    setup, long_cell = SETUPS[kernel_name]
    manager, client = start(kernel_name)
    seq = 0
    try:
        for command in ("initialize", "attach"):
            seq += 1
            debug(client, seq, command, {"clientID": "bench", "adapterID": "bench"} if command == "initialize" else {})
        new, same, running = [], [], []
        for i in range(repeat):
            client.execute_interactive(setup.format(i=i), timeout=600, output_hook=lambda m: None)
            seq += 1
            new.append(inspect(client, seq))
            seq += 1
            same.append(inspect(client, seq))
        for _ in range(max(3, repeat // 5)):
            client.execute(long_cell)
            time.sleep(0.5)
            seq += 1
            running.append(inspect(client, seq))
            client.get_shell_msg(timeout=60)
        return new, same, running
    finally:
        stop(manager, client)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    os.environ["NDLENS_CACHE_DIR"] = tempfile.mkdtemp(prefix="ndlens-debugger-bench-")
    print(f"{'kernel':<10} {'after new variables':>20} {'nothing changed':>16} {'while a cell runs':>18}   (median ms)")
    for kernel_name in ("ndlens", "python3"):
        new, same, running = measure(kernel_name, args.repeat)
        figures = [statistics.median(x) * 1000 for x in (new, same, running)]
        print(f"{kernel_name:<10} {figures[0]:>20.1f} {figures[1]:>16.1f} {figures[2]:>18.1f}")


if __name__ == "__main__":
    main()
