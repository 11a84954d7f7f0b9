"""The recipe's timed cells, through the ndlens kernel's %timeit and NumPy's
under IPython's %timeit, in the same run, with the memory floor of the
in-place multiply: a native Rust loop over the same 10M f64, compiled here
with rustc -O and run with the huge pages the kernel's sessions get.

    .venv/bin/python bench/recipe_bench.py [--without-allocs]

Prints one row per cell: each kernel's mean per loop and the ratio
ndlens / NumPy (below 1, the Rust cell is faster). `--without-allocs` also
builds the kernel without the counting allocator `%allocs` reads (cargo
feature `allocs`, into target/without-allocs) and times every cell on it
too, in the same run, to show what the allocator costs cells that do not
count. Machines are noisy and
differ by 2x: compare ratios from one run, not times from different days.
"""

import argparse
import os
import pathlib
import re
import statistics
import subprocess
import tempfile

import jupyter_client
from jupyter_client.kernelspec import KernelSpecManager

from kernel_bench import run, start, stop

ROOT = pathlib.Path(__file__).resolve().parent.parent

# (what, ndlens setup, ndlens timing, NumPy setup, NumPy timing); a setup of
# None keeps the previous row's. The cells are the recipe notebook's.
ROWS = [
    ("a *= 2, 10M f64", "", "%%timeit -q -o let mut a = Array1::<f64>::zeros(10_000_000);\na *= 2.0;",
     "import numpy as np", "%%timeit -q -o a = np.zeros(10_000_000)\na *= 2"),
    ("b = a * 2, 10M f64 (fresh 80 MB result)", None, "%%timeit -q -o let a = Array1::<f64>::zeros(10_000_000);\nlet b = &a * 2.0;",
     None, "%%timeit -q -o a = np.zeros(10_000_000)\nb = a * 2"),
    ("reshape, view", "let a = Array2::<f64>::zeros((100, 100));", "%timeit -q -o reshape(&a, &[1, -1]).unwrap()",
     "a = np.zeros((100, 100))", "%timeit -q -o a.reshape((1, -1))"),
    ("reshape of the transpose (copy)", None, "%timeit -q -o reshape(a.t(), &[1, -1]).unwrap()",
     None, "%timeit -q -o a.T.reshape((1, -1))"),
    ("flatten, 100x100", None, "%timeit -q -o flatten(&a)", None, "%timeit -q -o a.flatten()"),
    ("ravel", None, "%timeit -q -o ravel(&a)", None, "%timeit -q -o a.ravel()"),
    ("tile outer product, n = 1000",
     "let n: usize = 1000; let v = Array1::from_iter(0..n as i64);\n"
     "let ac = v.view().insert_axis(Axis(1)); let ar = v.view().insert_axis(Axis(0));",
     "%timeit -q -o tile(&ac, &[1, n]) * tile(&ar, &[n, 1])",
     "n = 1000; a = np.arange(n); ac = a[:, np.newaxis]; ar = a[np.newaxis, :]",
     "%timeit -q -o np.tile(ac, (1, n)) * np.tile(ar, (n, 1))"),
    ("broadcast outer product, n = 1000", None, "%timeit -q -o &ac * &ar", None, "%timeit -q -o ar * ac"),
    ("row sum, 5000x5000",
     "let big = Array2::from_shape_fn((5000, 5000), |(i, j)| ((i * 7919 + j * 104729) % 1000) as f64 / 1000.0);",
     "%timeit -q -o big.row(0).sum()", "big = np.random.rand(5000, 5000)", "%timeit -q -o big[0, :].sum()"),
    ("column sum, 5000x5000", None, "%timeit -q -o big.column(0).sum()", None, "%timeit -q -o big[:, 0].sum()"),
]

UNITS = {"s": 1.0, "ms": 1e-3, "μs": 1e-6, "µs": 1e-6, "us": 1e-6, "ns": 1e-9}
MEAN = re.compile(r"<TimeitResult : ([\d.e+-]+) (s|ms|μs|µs|us|ns) ±")


def timed(client, code):
    """The mean seconds per loop of a `%timeit -o` cell."""
    texts = []

    def keep(message):
        if message["msg_type"] == "execute_result":
            texts.append(message["content"]["data"]["text/plain"])

    reply = client.execute_interactive(code, timeout=900, output_hook=keep)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"{code!r} failed: {reply['content'].get('evalue')}")
    match = MEAN.search(texts[-1]) if texts else None
    if match is None:
        raise RuntimeError(f"{code!r} gave no %timeit result: {texts}")
    return float(match.group(1)) * UNITS[match.group(2)]


# The same protocol as the %%timeit cell: 7 runs of 100 passes, each run
# over a freshly allocated 10M f64, the mean per pass.
FLOOR = """
use std::time::Instant;
fn main() {
    let mut total = 0.0;
    for _ in 0..7 {
        let mut a = vec![0f64; 10_000_000];
        let start = Instant::now();
        for _ in 0..100 {
            for x in a.iter_mut() { *x *= 2.0; }
            std::hint::black_box(&mut a);
        }
        total += start.elapsed().as_secs_f64() / 100.0;
    }
    println!("{}", total / 7.0);
}
"""


def memory_floor():
    """The mean time of a native in-place multiply of 10M f64."""
    with tempfile.TemporaryDirectory() as folder:
        source = pathlib.Path(folder) / "floor.rs"
        source.write_text(FLOOR)
        binary = pathlib.Path(folder) / "floor"
        subprocess.run(["rustc", "-O", "-o", str(binary), str(source)], check=True)
        # As the kernel's session process runs (crates/kernel/src/engine/huge_pages.rs).
        env = {**os.environ, "GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"}
        return float(subprocess.run([str(binary)], capture_output=True, text=True, check=True, env=env).stdout)


def show(seconds):
    for unit, scale in [("s", 1.0), ("ms", 1e-3), ("μs", 1e-6), ("ns", 1e-9)]:
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def start_without_allocs(folder):
    """The kernel built without the counting allocator, installed in
    `folder`, and a client to it."""
    target = ROOT / "target" / "without-allocs"
    subprocess.run(["cargo", "build", "--release", "-p", "ndlens-kernel", "--no-default-features"],
                   cwd=ROOT, env={**os.environ, "CARGO_TARGET_DIR": str(target)}, check=True)
    subprocess.run([str(target / "release" / "ndlens"), "install", "--prefix", folder], check=True,
                   stdout=subprocess.DEVNULL)
    specs = KernelSpecManager(kernel_dirs=[os.path.join(folder, "share", "jupyter", "kernels")])
    manager = jupyter_client.KernelManager(kernel_name="ndlens", kernel_spec_manager=specs)
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=120)
    return manager, client


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--without-allocs", action="store_true",
                        help="also time every cell on a kernel built without %%allocs's counting allocator")
    args = parser.parse_args()
    kernels = {"ndlens": "ndlens", "NumPy": "python3"}
    folder = tempfile.TemporaryDirectory()
    sessions = {label: start(name) for label, name in kernels.items()}
    if args.without_allocs:
        sessions["no count"] = start_without_allocs(folder.name)
    try:
        results = []
        for what, rust_setup, rust, numpy_setup, numpy in ROWS:
            row = {}
            for label, (_, client) in sessions.items():
                python = label == "NumPy"
                setup = numpy_setup if python else rust_setup
                if setup:
                    run(client, setup)
                row[label] = timed(client, numpy if python else rust)
            results.append((what, row))
    finally:
        for manager, client in sessions.values():
            stop(manager, client)
        folder.cleanup()
    floor = memory_floor()

    width = max(len(r[0]) for r in results)
    labels = list(sessions)
    print(f"{'recipe cell':<{width}}  " + "  ".join(f"{label:>10}" for label in labels) + "  ratio"
          + ("  with/without count" if args.without_allocs else ""))
    for what, row in results:
        line = f"{what:<{width}}  " + "  ".join(f"{show(row[label]):>10}" for label in labels)
        line += f"  {row['ndlens'] / row['NumPy']:.2f}"
        if args.without_allocs:
            line += f"  {row['ndlens'] / row['no count']:.2f}"
        print(line)
    ratios = [row["ndlens"] / row["NumPy"] for _, row in results]
    print(f"\nrows at or below 1.0: {sum(r <= 1.0 for r in ratios)} of {len(ratios)}; "
          f"median ratio {statistics.median(ratios):.2f}")
    print(f"memory floor, native in-place multiply of 10M f64: {show(floor)}; "
          f"the kernel's a *= 2 is {results[0][1]['ndlens'] / floor:.2f}x the floor")
    if args.without_allocs:
        costs = [row["ndlens"] / row["no count"] for _, row in results]
        print(f"with the counting allocator / without, median over the rows: {statistics.median(costs):.2f}")


if __name__ == "__main__":
    main()
