"""Kernel benchmark: prints figures for the ndlens kernel next to anchors
measured in the same run (ipykernel with NumPy, and evcxr_jupyter when its
kernelspec is installed).

    .venv/bin/python bench/kernel_bench.py [--repeat 20]

Figures: kernel start (start to kernel_info reply), the first array cell of a
new session sent as soon as the kernel answers, medians of warm cells, the
resident memory of the kernel with all its child processes after ten cells,
and the first array cell of a session left idle for ten seconds first. Machines are noisy:
read medians and ratios, not single numbers.
"""

import argparse
import os
import statistics
import time

import jupyter_client
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

# The same questions in each kernel's language.
CELLS = {
    "ndlens": {
        "first": "let a = Array2::<f64>::zeros((100, 100)); a.sum()",
        "trivial": "1 + 1",
        "array": "let b = &a * 2.0; b.sum()",
        "aid": "%aid a",
    },
    "python3": {
        "setup": "import numpy as np",
        "first": "a = np.zeros((100, 100)); a.sum()",
        "trivial": "1 + 1",
        "array": "b = a * 2.0; b.sum()",
        "aid": "a.__array_interface__['data'][0]",
    },
    "rust": {  # evcxr_jupyter
        "first": ':dep ndarray = "0.17"\nuse ndarray::prelude::*;\nlet a = Array2::<f64>::zeros((100, 100)); a.sum()',
        "trivial": "1 + 1",
        "array": "let b = &a * 2.0; b.sum()",
        "aid": "a.as_ptr() as usize",
    },
}
IDLE_SECONDS = 10
NAMES = {"ndlens": "ndlens", "python3": "ipykernel + NumPy", "rust": "evcxr_jupyter"}


def rss_bytes(pid):
    """Resident memory of `pid` and all its descendants."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    stack.extend(int(c) for c in f.read().split())
        except FileNotFoundError:
            continue
    return total


def run(client, code, timeout=600):
    started = time.perf_counter()
    reply = client.execute_interactive(code, timeout=timeout, output_hook=lambda m: None)
    elapsed = time.perf_counter() - started
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"{code!r} failed: {reply['content'].get('evalue')}")
    return elapsed


def start(kernel_name):
    manager = jupyter_client.KernelManager(kernel_name=kernel_name)
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=120)
    return manager, client


def stop(manager, client):
    client.stop_channels()
    manager.shutdown_kernel(now=False)


def first_cell_after(kernel_name, seconds):
    """The first array cell of a session left alone for `seconds` after its
    start, as when a notebook is opened and read before it is run."""
    cells = CELLS[kernel_name]
    manager, client = start(kernel_name)
    try:
        time.sleep(seconds)
        if "setup" in cells:
            run(client, cells["setup"])
        return run(client, cells["first"])
    finally:
        stop(manager, client)


def measure(kernel_name, repeat):
    cells = CELLS[kernel_name]
    started = time.perf_counter()
    manager, client = start(kernel_name)
    figures = {"start": time.perf_counter() - started}
    try:
        if "setup" in cells:
            run(client, cells["setup"])
        figures["first array cell"] = run(client, cells["first"])
        for name in ("trivial", "array", "aid"):
            figures[f"{name} cell (median)"] = statistics.median(run(client, cells[name]) for _ in range(repeat))
        count = 3 + 3 * repeat + ("setup" in cells)
        for _ in range(max(0, 10 - count)):
            run(client, cells["trivial"])
        figures["memory after 10+ cells (MiB)"] = rss_bytes(manager.provisioner.process.pid) / 2**20
    finally:
        stop(manager, client)
    figures[f"first array cell, {IDLE_SECONDS} s after start"] = first_cell_after(kernel_name, IDLE_SECONDS)
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    installed = KernelSpecManager().find_kernel_specs()
    kernels = [k for k in ("ndlens", "python3", "rust") if k in installed]
    missing = [NAMES[k] for k in ("python3", "rust") if k not in installed]
    results = {k: measure(k, args.repeat) for k in kernels}
    rows = list(next(iter(results.values())).keys())
    width = max(len(r) for r in rows)
    print(f"{'':<{width}}  " + "  ".join(f"{NAMES[k]:>18}" for k in kernels))
    for row in rows:
        cells = []
        for k in kernels:
            value = results[k][row]
            cells.append(f"{value:>18.1f}" if "MiB" in row else f"{value * 1000:>15.1f} ms")
        print(f"{row:<{width}}  " + "  ".join(cells))
    if "ndlens" in results:
        for k in kernels[1:]:
            ratios = ", ".join(
                f"{row.split(' (')[0]} x{results['ndlens'][row] / results[k][row]:.1f}" for row in rows
            )
            print(f"ndlens / {NAMES[k]}: {ratios}")
    for name in missing:
        print(f"({name} is not installed: no figures for it in this run)")


if __name__ == "__main__":
    main()
