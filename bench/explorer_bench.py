"""The layout explorer's redraw, through a real client: the time from
sending a widget `update` (as JupyterLab does when a slider moves) to
receiving the explorer's redrawn output, next to the same answer asked of a
compiled cell (`%layout` of the same view) in the same run.

    .venv/bin/python bench/explorer_bench.py [--repeat 50]

Printed: median and 95th percentile of redraws on a small buffer (4 × 6)
and on the largest the explorer allows (1,000,000 elements), and the median
`%layout` cell. The kernel is the one Jupyter finds first (JUPYTER_PATH).
"""

import argparse
import statistics
import sys
import time

import jupyter_client


def iopub_until_idle(client, msg_id):
    caused = []
    while True:
        message = client.get_iopub_msg(timeout=120)
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        caused.append(message)
        if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
            return caused


def open_explorer(client):
    msg_id = client.execute("%explore")
    caused = iopub_until_idle(client, msg_id)
    models = {
        m["content"]["comm_id"]: m["content"]["data"]["state"] for m in caused if m["msg_type"] == "comm_open"
    }
    find = lambda **kv: [c for c, s in models.items() if all(s.get(k) == v for k, v in kv.items())]  # noqa: E731
    return models, find


def redraw(client, output, comm_id, **state):
    """Seconds from sending the update to the output's redraw arriving."""
    message = client.session.msg("comm_msg", {"comm_id": comm_id, "data": {"method": "update", "state": state, "buffer_paths": []}})
    started = time.perf_counter()
    client.shell_channel.send(message)
    while True:
        m = client.get_iopub_msg(timeout=120)
        if (
            m["msg_type"] == "comm_msg"
            and m["parent_header"].get("msg_id") == message["header"]["msg_id"]
            and m["content"]["comm_id"] == output
        ):
            elapsed = time.perf_counter() - started
            iopub_until_idle(client, message["header"]["msg_id"])
            return elapsed


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()

    manager, client = jupyter_client.manager.start_new_kernel(kernel_name="ndlens", startup_timeout=120)
    try:
        client.execute_interactive("let a = Array2::<f64>::zeros((4, 6));", timeout=600, output_hook=lambda m: None)
        _, find = open_explorer(client)
        output = find(_model_name="HTMLModel")[0]
        step0 = find(_model_name="IntSliderModel", description="step")[0]
        steps = [2, 1, -1, 3, -2, 4]
        small = [redraw(client, output, step0, value=steps[i % len(steps)]) for i in range(args.repeat)]

        # Three axes of 100: the explorer's largest buffer.
        redraw(client, output, find(_model_name="ToggleButtonsModel", description="axes")[0], index=2)
        for axis in range(3):
            redraw(client, output, find(description=f"axis {axis} length")[0], value=100)
        large = [redraw(client, output, step0, value=steps[i % len(steps)]) for i in range(args.repeat)]

        cell = []
        for i in range(max(5, args.repeat // 5)):
            code = f"let v = a.slice(s![..;{steps[i % len(steps)]}, ..]);\n%layout v"
            started = time.perf_counter()
            client.execute_interactive(code, timeout=600, output_hook=lambda m: None)
            cell.append(time.perf_counter() - started)
    finally:
        client.stop_channels()
        manager.shutdown_kernel()

    print(f"{'':52}{'median':>10}{'p95':>10}")
    print(f"{'explorer redraw, 4 x 6 buffer (ms)':52}{statistics.median(small) * 1e3:>10.1f}{percentile(small, 0.95) * 1e3:>10.1f}")
    print(f"{'explorer redraw, 100 x 100 x 100 buffer (ms)':52}{statistics.median(large) * 1e3:>10.1f}{percentile(large, 0.95) * 1e3:>10.1f}")
    print(f"{'the same answer as a cell: %layout of the view (ms)':52}{statistics.median(cell) * 1e3:>10.1f}{percentile(cell, 0.95) * 1e3:>10.1f}")
    print(f"{'cell / redraw (4 x 6, medians)':52}{statistics.median(cell) / statistics.median(small):>10.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
