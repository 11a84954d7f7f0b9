"""What one ndlens session holds in memory, for sizing a hub: the
proportional memory (PSS) of the kernel with all its child processes (the
session process, and rust-analyzer once completion has started it), idle
after start, after running every cell of the recipe notebook, and after one
completion request. ipykernel with NumPy is measured in the same run, idle
and after its first array, as the anchor.

    .venv/bin/python bench/session_memory.py [--notebook notebooks/recipe-4.5-avoid-unnecessary-copies.ipynb]

The recipe's arrays are part of what a session holds after it (its largest
is 200 MB, freed when the next cell rebinds the name); the figure is what
a hub must budget per student. The kernel is the one Jupyter finds first
(JUPYTER_PATH).
"""

import argparse
import pathlib
import sys
import time

import jupyter_client
import nbformat

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from kernel_bench import pss_bytes, start, stop  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent


def mib(pid):
    return pss_bytes(pid) / 2**20


def ndlens_figures(notebook):
    manager, client = start("ndlens")
    pid = manager.provisioner.process.pid
    try:
        # The session process starts with the kernel; let it settle.
        client.execute_interactive("1 + 1", timeout=600, output_hook=lambda m: None)
        time.sleep(1)
        figures = {"idle, after one cell": mib(pid)}
        cells = [c.source for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code"]
        for source in cells:
            client.execute_interactive(source, timeout=600, output_hook=lambda m: None)
        figures[f"after the {len(cells)} cells of {notebook.name}"] = mib(pid)
        started = time.perf_counter()
        code = "let m = Array2::<f64>::zeros((3, 4));\nm.t().su"
        reply = client.complete(code, len(code), reply=True, timeout=600)
        matches = reply["content"]["matches"]
        figures[f"after one completion ({len(matches)} matches, {time.perf_counter() - started:.1f} s)"] = mib(pid)
        return figures
    finally:
        stop(manager, client)


def ipykernel_figures():
    manager, client = start("python3")
    pid = manager.provisioner.process.pid
    try:
        client.execute_interactive("1 + 1", timeout=60, output_hook=lambda m: None)
        figures = {"ipykernel, idle": mib(pid)}
        client.execute_interactive("import numpy as np\na = np.ones((100, 100))", timeout=60, output_hook=lambda m: None)
        figures["ipykernel + NumPy, after its first array"] = mib(pid)
        return figures
    finally:
        stop(manager, client)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notebook", type=pathlib.Path,
                        default=ROOT / "notebooks" / "recipe-4.5-avoid-unnecessary-copies.ipynb")
    args = parser.parse_args()
    figures = ndlens_figures(args.notebook)
    try:
        figures.update(ipykernel_figures())
    except jupyter_client.kernelspec.NoSuchKernel:
        print("(ipykernel is not installed: no anchor)")
    width = max(len(name) for name in figures)
    print(f"{'PSS of the kernel and its child processes':<{width}}  MiB")
    for name, value in figures.items():
        print(f"{name:<{width}}  {value:6.1f}")


if __name__ == "__main__":
    main()
