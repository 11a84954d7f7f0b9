"""The image's own check, run inside it as its user while it is built
(`--target check` in the Dockerfile): Jupyter finds the kernel, a new
user's first session links the prebuilt libraries without compiling a
dependency, and the recipe notebook runs clean through nbclient.
Exits non-zero, naming what failed, otherwise."""

import pathlib
import subprocess
import sys
import time

import jupyter_client
import nbclient
import nbformat

HOME = pathlib.Path.home()
FIRST_CELL = "let a = Array2::<f64>::zeros((100, 100)); a.sum()"


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        sys.exit(1)


def main():
    specs = jupyter_client.kernelspec.KernelSpecManager().find_kernel_specs()
    check("ndlens" in specs, f"Jupyter finds the ndlens kernel ({specs.get('ndlens')})")

    started = time.time()
    manager, client = jupyter_client.manager.start_new_kernel(kernel_name="ndlens", startup_timeout=120)
    try:
        began = time.perf_counter()
        reply = client.execute_interactive(FIRST_CELL, timeout=600, output_hook=lambda m: None)
        seconds = time.perf_counter() - began
        check(reply["content"]["status"] == "ok", f"the first array cell answers ({seconds:.1f} s after the kernel is ready)")
    finally:
        client.stop_channels()
        manager.shutdown_kernel()
    slots = HOME / ".cache/ndlens/sessions"
    compiled = sorted(p.name for p in (HOME / ".cache/ndlens").glob("**/*.rlib") if p.stat().st_mtime > started)
    check(compiled == [], f"no dependency compiled by the session {compiled or ''}")

    notebook = HOME / "notebooks/recipe-4.5-avoid-unnecessary-copies.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    began = time.perf_counter()
    nbclient.NotebookClient(nb, kernel_name="ndlens", timeout=600, resources={"metadata": {"path": str(notebook.parent)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    check(errors == [], f"the recipe notebook runs clean through nbclient ({time.perf_counter() - began:.0f} s)")
    subprocess.run(["du", "-sh", str(slots)])


if __name__ == "__main__":
    main()
