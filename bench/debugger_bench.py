"""What JupyterLab's Variables panel waits for: the time from a
`debug_request` for `inspectVariables` to its reply, in the ndlens kernel
and, as the anchor, in ipykernel (with NumPy), measured in the same run.

    .venv/bin/python bench/debugger_bench.py [--repeat 20]

Figures, medians of `--repeat` requests: after a cell that defines new
kept variables (an array and a number: ndlens's session library reads them
without compiling), after a cell that defines a new view (ndlens keeps a
view as the expression that derives it, so a generated cell must compile
to read it), again with nothing changed, and while a three-second cell
runs (ndlens answers from its last reading). And what noting views costs
the cells: the median time of a cell that defines a new view, with the
debugger off and on (on, ndlens's cell derives the view once more, to
note its reading). The ndlens
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
    "ndlens": ("let a{i} = Array2::<f64>::zeros((1000, 1000));\nlet n{i} = {i};", "let t{i} = a{i}.t();",
               "std::thread::sleep(std::time::Duration::from_secs(3));", "let off{i} = a0.row({i});"),
    "python3": ("import numpy as np\na{i} = np.zeros((1000, 1000))\nn{i} = {i}", "t{i} = a{i}.T",
                "import time; time.sleep(3)", "off{i} = a0[{i}]"),
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
    values_cell, view_cell, long_cell, view_off_cell = SETUPS[kernel_name]
    manager, client = start(kernel_name)
    seq = 0

    def timed(code):
        started = time.perf_counter()
        client.execute_interactive(code, timeout=600, output_hook=lambda m: None)
        return time.perf_counter() - started

    try:
        timed(values_cell.format(i=0))
        view_off = [timed(view_off_cell.format(i=i)) for i in range(repeat)]
        for command in ("initialize", "attach"):
            seq += 1
            debug(client, seq, command, {"clientID": "bench", "adapterID": "bench"} if command == "initialize" else {})
        new, view, same, running, view_on = [], [], [], [], []
        for i in range(repeat):
            timed(values_cell.format(i=i))
            seq += 1
            new.append(inspect(client, seq))
            view_on.append(timed(view_cell.format(i=i)))
            seq += 1
            view.append(inspect(client, seq))
            seq += 1
            same.append(inspect(client, seq))
        for _ in range(max(3, repeat // 5)):
            client.execute(long_cell)
            time.sleep(0.5)
            seq += 1
            running.append(inspect(client, seq))
            client.get_shell_msg(timeout=60)
        return new, view, same, running, view_off, view_on
    finally:
        stop(manager, client)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    os.environ["NDLENS_CACHE_DIR"] = tempfile.mkdtemp(prefix="ndlens-debugger-bench-")
    print("inspectVariables answered (median ms)")
    print(f"{'kernel':<10} {'after new values':>17} {'after a new view':>17} {'nothing changed':>16} "
          f"{'while a cell runs':>18}")
    cells = {}
    for kernel_name in ("ndlens", "python3"):
        figures = [statistics.median(x) * 1000 for x in measure(kernel_name, args.repeat)]
        print(f"{kernel_name:<10} {figures[0]:>17.1f} {figures[1]:>17.1f} {figures[2]:>16.1f} {figures[3]:>18.1f}")
        cells[kernel_name] = figures[4:]
    print("\na cell defining a new view (median ms)")
    print(f"{'kernel':<10} {'debugger off':>13} {'debugger on':>12}")
    for kernel_name, (off, on) in cells.items():
        print(f"{kernel_name:<10} {off:>13.1f} {on:>12.1f}")


if __name__ == "__main__":
    main()
