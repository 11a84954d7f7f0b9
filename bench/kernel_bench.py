"""Kernel benchmark: prints figures for the ndlens kernel (its own rustc
engine, and its evcxr engine when `ndlens-evcxr` is installed) next to
anchors measured in the same run: ipykernel with NumPy, evcxr_jupyter when
its kernelspec is installed, and two rustc floors: a one-line library
compiled as a cell is (`-C prefer-dynamic -C opt-level=2`), and the array
cell's expression compiled as a one-function library against the same
prebuilt ndarray with the same flags.

    .venv/bin/python bench/kernel_bench.py [--repeat 20] [--long] [--kernels ndlens,python3]

Figures: kernel start (start to kernel_info reply), the first array cell of a
new session sent as soon as the kernel answers, medians of warm cells, both
new ones (a different number each time, so that ndlens compiles each) and
the same cell run again (which ndlens answers from its compiled-cell
cache), how many compilations each ndlens cell took (from its reply's
metadata), the
proportional memory (PSS) of the kernel with all its child processes after
ten cells, and the first array cell of a session left idle for ten seconds
first. With --long, also PSS after 300 cells, and a new trivial cell and a
new cell that reads one variable with 200 variables in the session next to
the same cells with one. Machines are
noisy: read medians and ratios, not single numbers. The ndlens kernels run
with a compiled-cell cache of this run's own (`NDLENS_CACHE_DIR`), so no
earlier run's cells are found in it.
"""

import argparse
import glob
import json
import os
import pathlib
import statistics
import subprocess
import tempfile
import time

import jupyter_client
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

# The same questions in each kernel's language.
NDLENS_CELLS = {
    "first": "let a = Array2::<f64>::zeros((100, 100)); a.sum()",
    "trivial": "1 + 1",
    "array": "a.t().sum()",
    "new trivial": lambda i: f"{i} + 1",
    "new array": lambda i: f"a.t().sum() + {i}.0",
    "aid": "%aid a",
    "define": lambda n: "\n".join(f"let v{i} = Array1::<f64>::zeros({i % 7 + 1});" for i in range(n)),
    "new reading": lambda i: f"v0.len() + {i}",
}
CELLS = {
    "ndlens": NDLENS_CELLS,
    "ndlens-evcxr": NDLENS_CELLS,
    "python3": {
        "setup": "import numpy as np",
        "first": "a = np.zeros((100, 100)); a.sum()",
        "trivial": "1 + 1",
        "array": "a.T.sum()",
        "new trivial": lambda i: f"{i} + 1",
        "new array": lambda i: f"a.T.sum() + {i}.0",
        "aid": "a.__array_interface__['data'][0]",
        "define": lambda n: "\n".join(f"v{i} = np.zeros({i % 7 + 1})" for i in range(n)),
        "new reading": lambda i: f"len(v0) + {i}",
    },
    "rust": {  # evcxr_jupyter
        "first": ':dep ndarray = "0.17"\nuse ndarray::prelude::*;\nlet a = Array2::<f64>::zeros((100, 100)); a.sum()',
        "trivial": "1 + 1",
        "array": "a.t().sum()",
        "new trivial": lambda i: f"{i} + 1",
        "new array": lambda i: f"a.t().sum() + {i}.0",
        "aid": "a.as_ptr() as usize",
        "define": lambda n: "\n".join(f"let v{i} = Array1::<f64>::zeros({i % 7 + 1});" for i in range(n)),
        "new reading": lambda i: f"v0.len() + {i}",
    },
}
IDLE_SECONDS = 10
NAMES = {
    "ndlens": "ndlens",
    "ndlens-evcxr": "ndlens, evcxr engine",
    "python3": "ipykernel + NumPy",
    "rust": "evcxr_jupyter",
}


def tree_total(pid, file, field):
    """The sum of `field` (in kB) in /proc/PID/`file` over `pid` and all its
    descendants, in bytes."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/{file}") as f:
                for line in f:
                    if line.startswith(field):
                        total += int(line.split()[1]) * 1024
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    stack.extend(int(c) for c in f.read().split())
        except FileNotFoundError:
            continue
    return total


def rss_bytes(pid):
    """Resident memory of `pid` and all its descendants."""
    return tree_total(pid, "status", "VmRSS:")


def pss_bytes(pid):
    """Proportional memory of `pid` and all its descendants: shared pages
    counted once across the tree, unlike RSS."""
    return tree_total(pid, "smaps_rollup", "Pss:")


def run_with_reply(client, code, timeout=600):
    started = time.perf_counter()
    reply = client.execute_interactive(code, timeout=timeout, output_hook=lambda m: None)
    elapsed = time.perf_counter() - started
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"{code!r} failed: {reply['content'].get('evalue')}")
    return elapsed, reply


def run(client, code, timeout=600):
    return run_with_reply(client, code, timeout)[0]


def compilations(client, code):
    """How many times the ndlens kernel compiled `code` (its reply's metadata)."""
    return run_with_reply(client, code)[1]["metadata"].get("ndlens", {}).get("compilations")


FLOOR_FLAGS = ["--crate-type", "cdylib", "--edition", "2021", "-C", "prefer-dynamic", "-C", "opt-level=2"]


def median_compile(source_text, extra, repeat):
    """The median time rustc takes to build `source_text` as a cell is built."""
    with tempfile.TemporaryDirectory() as folder:
        source = pathlib.Path(folder) / "cell.rs"
        source.write_text(source_text)
        command = ["rustc", *FLOOR_FLAGS, *extra, "--out-dir", folder, str(source)]
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            subprocess.run(command, check=True)
            times.append(time.perf_counter() - started)
        return statistics.median(times)


def rustc_floor(repeat):
    """A one-line library built as a cell is: a cdylib against the shared
    standard library, opt-level 2."""
    return median_compile("pub fn cell() -> i32 { 1 + 1 }\n", [], repeat)


def array_floor(repeat, engine_linker=False):
    """The array cell's expression as a one-function cdylib against the
    ndarray the installed ndlens kernel's cells link, with the same flags
    (and, with `engine_linker`, linked as the engine links cells); `None`
    when no prebuilt libraries are installed."""
    spec = KernelSpecManager().get_kernel_spec("ndlens")
    manifest = pathlib.Path(spec.resource_dir) / "prebuilt" / "libraries" / "libraries.json"
    if not manifest.exists():
        return None
    libraries = json.loads(manifest.read_text())
    extra = ["-L", f"dependency={libraries['dependencies']}"]
    for name in ("ndarray", "ndlens_session"):
        extra += ["--extern", f"{name}={libraries['externs'][name]}"]
    if engine_linker:
        linker = libraries.get("linker")
        if not linker:
            return None
        extra += ["-C", "linker-flavor=ld.lld", "-C", f"linker={linker['program']}"]
        extra += [f"-Clink-arg=-L{folder}" for folder in linker["search"]]
    source = ("extern crate ndlens_session as _;\n"
              "#[no_mangle]\npub extern \"C\" fn cell(m: &ndarray::Array2<f64>) -> f64 { m.t().sum() }\n")
    return median_compile(source, extra, repeat)


def trivial_with_variables(kernel_name, count, repeat):
    """The median new trivial cell, and the median new cell that reads one
    variable, with `count` variables in the session (numbered apart from
    every other session's, so that none is cached)."""
    cells = CELLS[kernel_name]
    manager, client = start(kernel_name)
    try:
        if "setup" in cells:
            run(client, cells["setup"])
        run(client, cells["first"])
        run(client, cells["define"](count), timeout=3600)
        new, reading = cells["new trivial"], cells["new reading"]
        trivial = statistics.median(run(client, new(1000 * count + i), timeout=3600) for i in range(repeat))
        reads = statistics.median(run(client, reading(1000 * count + i), timeout=3600) for i in range(repeat))
        return trivial, reads
    finally:
        stop(manager, client)


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


def measure(kernel_name, repeat, long):
    cells = CELLS[kernel_name]
    started = time.perf_counter()
    manager, client = start(kernel_name)
    figures = {"start": time.perf_counter() - started}
    pid = manager.provisioner.process.pid
    try:
        if "setup" in cells:
            run(client, cells["setup"])
        figures["first array cell"] = run(client, cells["first"])
        for name in ("trivial", "array"):
            new = cells[f"new {name}"]
            figures[f"new {name} cell (median)"] = statistics.median(run(client, new(i)) for i in range(repeat))
        for name in ("trivial", "array", "aid"):
            figures[f"{name} cell run again (median)"] = statistics.median(
                run(client, cells[name]) for _ in range(repeat))
        if kernel_name.startswith("ndlens"):
            figures["compilations, new array cell"] = compilations(client, cells["new array"](repeat))
            for name in ("trivial", "array", "aid"):
                figures[f"compilations, {name} cell run again"] = compilations(client, cells[name])
        count = 4 + 5 * repeat + ("setup" in cells)
        for _ in range(max(0, 10 - count)):
            run(client, cells["trivial"])
            count += 1
        figures["RSS after 10+ cells (MiB)"] = rss_bytes(pid) / 2**20
        figures["PSS after 10+ cells (MiB)"] = pss_bytes(pid) / 2**20
        if long:
            for _ in range(max(0, 300 - count)):
                run(client, cells["trivial"])
            after = pss_bytes(pid) / 2**20
            figures["PSS after 300 cells (MiB)"] = after
            figures["PSS growth per 100 cells (MiB)"] = (after - figures["PSS after 10+ cells (MiB)"]) / (300 - count) * 100
    finally:
        stop(manager, client)
    figures[f"first array cell, {IDLE_SECONDS} s after start"] = first_cell_after(kernel_name, IDLE_SECONDS)
    if long:
        for count in (1, 200):
            trivial, reads = trivial_with_variables(kernel_name, count, repeat)
            figures[f"trivial cell, {count} variable{'s' if count > 1 else ''} (median)"] = trivial
            figures[f"cell reading v0, {count} variable{'s' if count > 1 else ''} (median)"] = reads
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--long", action="store_true", help="also 300 cells and 200 variables (minutes)")
    parser.add_argument("--kernels", default=",".join(NAMES), help="which kernels, of " + ", ".join(NAMES))
    args = parser.parse_args()
    cache = tempfile.TemporaryDirectory(prefix="ndlens-bench-cache-")
    os.environ["NDLENS_CACHE_DIR"] = cache.name
    installed = KernelSpecManager().find_kernel_specs()
    wanted = args.kernels.split(",")
    kernels = [k for k in NAMES if k in installed and k in wanted]
    missing = [NAMES[k] for k in NAMES if k not in installed and k in wanted]
    results = {k: measure(k, args.repeat, args.long) for k in kernels}
    floor = rustc_floor(args.repeat)
    floor_array = array_floor(args.repeat) if "ndlens" in installed else None
    floor_array_linked = array_floor(args.repeat, engine_linker=True) if "ndlens" in installed else None
    rows = list(results[kernels[0]].keys())
    width = max(len(r) for r in rows)
    print(f"{'':<{width}}  " + "  ".join(f"{NAMES[k]:>22}" for k in kernels))
    for row in rows:
        cells = []
        for k in kernels:
            value = results[k].get(row)
            if value is None:
                cells.append(f"{'':>22}")
            elif "MiB" in row:
                cells.append(f"{value:>22.1f}")
            elif "compilations" in row:
                cells.append(f"{value:>22}")
            else:
                cells.append(f"{value * 1000:>19.1f} ms")
        print(f"{row:<{width}}  " + "  ".join(cells))
    print(f"\nrustc floor (one-line cdylib, -C prefer-dynamic -C opt-level=2), median: {floor * 1000:.1f} ms")
    if floor_array:
        print(f"array floor (`m.t().sum()` as a one-function cdylib against the installed ndarray, "
              f"same flags), median: {floor_array * 1000:.1f} ms")
    if floor_array_linked:
        print(f"array floor, linked as the engine links cells (rust-lld without cc), median: "
              f"{floor_array_linked * 1000:.1f} ms")
    for k in (k for k in kernels if k.startswith("ndlens")):
        ours = results[k]
        ratios = [f"new trivial cell x{ours['new trivial cell (median)'] / floor:.2f} of the rustc floor"]
        if floor_array:
            ratios.append(f"new array cell x{ours['new array cell (median)'] / floor_array:.2f} of the array floor")
        if floor_array_linked:
            ratios.append(f"x{ours['new array cell (median)'] / floor_array_linked:.2f} of it linked as cells are")
        print(f"{NAMES[k]}: " + ", ".join(ratios))
        if args.long:
            print(f"{NAMES[k]}, trivial cell with 200 variables / with 1: "
                  f"x{ours['trivial cell, 200 variables (median)'] / ours['trivial cell, 1 variable (median)']:.2f}; "
                  f"cell reading one variable: "
                  f"x{ours['cell reading v0, 200 variables (median)'] / ours['cell reading v0, 1 variable (median)']:.2f}")
    if "ndlens" in results:
        for k in kernels[1:]:
            ratios = ", ".join(
                f"{row.split(' (')[0]} x{results['ndlens'][row] / results[k][row]:.1f}"
                for row in rows if results[k].get(row) and "compilations" not in row
            )
            print(f"ndlens / {NAMES[k]}: {ratios}")
    for name in missing:
        print(f"({name} is not installed: no figures for it in this run)")


if __name__ == "__main__":
    main()
