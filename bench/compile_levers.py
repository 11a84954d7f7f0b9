"""What each compile option costs a cell: the trivial cell (`1 + 1`) and the
array cell (`a.t().sum()`) as the rustc engine generates them, taken from a
running kernel (`:last_compile_dir`), compiled again by rustc with one
option changed at a time, next to the engine's own options and the rustc
floor (a one-line cdylib, `-C prefer-dynamic -C opt-level=2`), all in the
same run.

    .venv/bin/python bench/compile_levers.py [--repeat 15]

The kernel is the one Jupyter finds first (JUPYTER_PATH).
"""

import argparse
import json
import pathlib
import re
import shutil
import statistics
import subprocess
import tempfile
import time

import jupyter_client
from jupyter_client.kernelspec import KernelSpecManager


def generated_cells(folder):
    """The sources of the trivial and the array cell, as the engine wrote them."""
    manager = jupyter_client.KernelManager(kernel_name="ndlens")
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=120)
    sources = {}
    try:
        def run(code):
            reply = client.execute_interactive(code, timeout=300, output_hook=lambda m: None)
            assert reply["content"]["status"] == "ok", reply["content"]
        run("let a = Array2::<f64>::zeros((100, 100));")
        for name, code in (("trivial", "1 + 1"), ("array", "a.t().sum()")):
            run(code)
            outputs = []
            client.execute_interactive(":last_compile_dir", output_hook=outputs.append)
            (cells,) = [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"]
            newest = max(pathlib.Path(cells).glob("cell*.rs"), key=lambda p: p.stat().st_mtime_ns)
            sources[name] = folder / f"{name}.rs"
            shutil.copy(newest, sources[name])
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return sources


def libraries():
    spec = KernelSpecManager().get_kernel_spec("ndlens")
    return json.loads((pathlib.Path(spec.resource_dir) / "prebuilt/libraries/libraries.json").read_text())


def engine_command(libs, source, output, drop_session=False):
    """The command the engine runs for a cell (see compiler.rs)."""
    command = ["rustc", "--crate-name", "ndlens_cell", "--crate-type", "cdylib", "--edition", "2021",
               "-C", "prefer-dynamic", "-C", "metadata=ndlens-session", "-C", "opt-level=2", "-C", "debuginfo=0",
               "-A", "warnings", "--error-format=json", "-C", "overflow-checks=off", "-C", "debug-assertions=off"]
    for name, path in libs["externs"].items():
        if drop_session and name == "ndlens_session":
            continue
        command += ["--extern", f"{name}={path}"]
    return command + ["-L", f"dependency={libs['dependencies']}", "-o", str(output), str(source)]


def timed(command, repeat):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            return None
    return statistics.median(times)


def replace_flag(command, old, new):
    return [new if part == old else part for part in command]


def without_flag(command, flag, value):
    """`command` without the option `flag value`."""
    out = []
    for part in command:
        if part == value and out and out[-1] == flag:
            out.pop()
            continue
        out.append(part)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    libs = libraries()
    with tempfile.TemporaryDirectory() as scratch:
        folder = pathlib.Path(scratch)
        sources = generated_cells(folder)
        # Variants of the sources themselves.
        for name, source in list(sources.items()):
            text = source.read_text()
            unlinked = folder / f"{name}-static.rs"
            unlinked.write_text(text.replace("extern crate ndlens_session as _;\n", ""))
            sources[f"{name}-static"] = unlinked
            no_uses = folder / f"{name}-no-uses.rs"
            no_uses.write_text(re.sub(r"^use (ndarray|ndlens)::prelude::\*;\n", "", text, flags=re.M))
            sources[f"{name}-no-uses"] = no_uses
        output = folder / "lib.so"
        levers = {
            "the engine's options": lambda cell: engine_command(libs, sources[cell], output),
            "opt-level=0": lambda cell: replace_flag(engine_command(libs, sources[cell], output), "opt-level=2", "opt-level=0"),
            "opt-level=1": lambda cell: replace_flag(engine_command(libs, sources[cell], output), "opt-level=2", "opt-level=1"),
            "opt-level=3": lambda cell: replace_flag(engine_command(libs, sources[cell], output), "opt-level=2", "opt-level=3"),
            "codegen-units=1": lambda cell: engine_command(libs, sources[cell], output) + ["-C", "codegen-units=1"],
            "linker: GNU ld (bfd)": lambda cell: engine_command(libs, sources[cell], output) + ["-C", "link-arg=-fuse-ld=bfd"],
            "std linked statically (no prefer-dynamic)": lambda cell: without_flag(
                engine_command(libs, sources[cell], output), "-C", "prefer-dynamic"),
            "session crates as static rlibs, not the shared library": lambda cell: engine_command(
                libs, sources[f"{cell}-static"], output, drop_session=True),
            "without the prelude's use lines": lambda cell: engine_command(libs, sources[f"{cell}-no-uses"], output),
        }
        if shutil.which("mold"):
            levers["linker: mold"] = lambda cell: engine_command(libs, sources[cell], output) + ["-C", "link-arg=-fuse-ld=mold"]
        floor_source = folder / "floor.rs"
        floor_source.write_text("pub fn cell() -> i32 { 1 + 1 }\n")
        floor = timed(["rustc", "--crate-type", "cdylib", "-C", "prefer-dynamic", "-C", "opt-level=2",
                       "--out-dir", str(folder), str(floor_source)], args.repeat)
        rows = []
        for lever, command in levers.items():
            row = [lever]
            for cell in ("trivial", "array"):
                row.append(timed(command(cell), args.repeat))
            rows.append(row)
    base = rows[0]
    width = max(len(r[0]) for r in rows)
    print(f"{'median compile time (ms)':<{width}}  {'1 + 1':>9}  {'a.t().sum()':>12}   vs the engine's options")
    for lever, trivial, array in rows:
        cells = [f"{t * 1000:>9.1f}" if t else f"{'fails':>9}" for t in (trivial,)]
        cells += [f"{t * 1000:>12.1f}" if t else f"{'fails':>12}" for t in (array,)]
        ratios = ", ".join(f"x{t / b:.2f}" for t, b in ((trivial, base[1]), (array, base[2])) if t and b)
        print(f"{lever:<{width}}  {'  '.join(cells)}   {ratios}")
    print(f"\nrustc floor (one-line cdylib, -C prefer-dynamic -C opt-level=2), median: {floor * 1000:.1f} ms")


if __name__ == "__main__":
    main()
