"""A class starting together: N ndlens kernels started at the same moment,
each timed from its start to the answer of its first array cell, next to a
lone kernel's first array cell measured in the same run.

    .venv/bin/python bench/class_bench.py [--kernels 8] [--rounds 3]

Every kernel gets a new, empty session cache (NDLENS_CACHE_DIR), as a
student who has never run the kernel would: its build slot is seeded from
the prebuilt libraries `ndlens install` made. Afterwards the slots are
searched for compiled dependencies (`.rlib` files) written during the run:
any there means a session compiled a dependency itself. Also printed: the
CPU seconds the kernels spent to their first cells (each kernel with its
session process and the compilers it ran) and the benchmark's own, for its
eight Jupyter clients on the same cores, the physical floor the kernels give
on this machine's cores (the lone kernel's time, or all that CPU spread
over the cores, whichever is longer) and the slowest kernel against that
floor; the proportional memory (PSS) of all kernels together, after their
first cell, and the disk each slot takes.

The kernel is the one Jupyter finds first (JUPYTER_PATH); run it after
`scripts/test`, or with JUPYTER_PATH=target/test-kernel/share/jupyter.
"""

import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import jupyter_client
import psutil

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from kernel_bench import pss_bytes  # noqa: E402

FIRST_CELL = "let a = Array2::<f64>::zeros((100, 100)); a.sum()"


def start_and_first_cell(cache_dir, results, index, barrier, kernels):
    """Starts a kernel with its own session cache once all are ready to, and
    records the time to its first array cell's answer."""
    manager = jupyter_client.KernelManager(kernel_name="ndlens")
    barrier.wait()
    started = time.perf_counter()
    try:
        manager.start_kernel(env={**os.environ, "NDLENS_CACHE_DIR": str(cache_dir)})
        client = manager.client()
        client.start_channels()
        client.wait_for_ready(timeout=600)
        reply = client.execute_interactive(FIRST_CELL, timeout=600, output_hook=lambda m: None)
        ok = reply["content"]["status"] == "ok"
        results[index] = (time.perf_counter() - started, ok)
        kernels[index] = (manager, client)
    except Exception as error:  # a failure is a figure too
        results[index] = (time.perf_counter() - started, False)
        print(f"kernel {index}: {error}", file=sys.stderr)
        kernels[index] = (manager, None)


def cpu_seconds(pid):
    """The CPU time of process `pid` and its descendants, live or reaped."""
    try:
        process = psutil.Process(pid)
        processes = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for each in processes:
        try:
            t = each.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


def class_start(count, scratch):
    """Starts `count` kernels together; returns their first-cell times,
    failures, PSS of all together, and the dependencies compiled."""
    caches = [scratch / f"student{i}" for i in range(count)]
    results, kernels = [None] * count, [None] * count
    barrier = threading.Barrier(count)
    run_started = time.time()
    threads = [
        threading.Thread(target=start_and_first_cell, args=(caches[i], results, i, barrier, kernels))
        for i in range(count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    pss = sum(pss_bytes(m.provisioner.process.pid) for m, _ in kernels if m.provisioner)
    cpu = sum(cpu_seconds(m.provisioner.process.pid) for m, _ in kernels if m.provisioner)
    for manager, client in kernels:
        if client:
            client.stop_channels()
        manager.shutdown_kernel(now=False)
    compiled = sorted(
        {
            path.name
            for cache in caches
            for path in cache.glob("**/*.rlib")
            if path.stat().st_mtime > run_started and not path.name.startswith("libctx")
        }
    )
    disk = [slot_bytes(cache) for cache in caches]
    return [t for t, _ in results], sum(not ok for _, ok in results), pss, compiled, disk, cpu


def slot_bytes(cache):
    out = subprocess.run(["du", "-sb", str(cache / "sessions")], capture_output=True, text=True).stdout
    return int(out.split()[0]) if out else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kernels", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="class starts to take the median of")
    args = parser.parse_args()

    lone, slowest, failures, pss, compiled, disk, cpu, lone_cpu, floor = [], [], 0, [], set(), [], [], [], []
    client_cpu = []
    cores = os.cpu_count()
    for round_number in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="ndlens-class-") as folder:
            scratch = pathlib.Path(folder)
            times, _, _, lone_compiled, _, alone_cpu = class_start(1, scratch / "lone")
            lone.append(times[0])
            lone_cpu.append(alone_cpu)
            compiled.update(lone_compiled)
            ours = psutil.Process().cpu_times()
            times, failed, together, class_compiled, class_disk, class_cpu = class_start(args.kernels, scratch / "class")
            after = psutil.Process().cpu_times()
            client_cpu.append(after.user + after.system - ours.user - ours.system)
            slowest.append(max(times))
            cpu.append(class_cpu)
            floor.append(max(lone[-1], class_cpu / cores))
            failures += failed
            pss.append(together)
            compiled.update(class_compiled)
            disk.extend(class_disk)
            print(
                f"round {round_number + 1}: lone {lone[-1]:.2f} s; {args.kernels} together: "
                + ", ".join(f"{t:.1f}" for t in sorted(times))
                + " s",
                flush=True,
            )

    lone_median, slowest_median = statistics.median(lone), statistics.median(slowest)
    print()
    print(f"{'':48}{'median':>10}")
    print(f"{'lone kernel, first array cell (s)':48}{lone_median:>10.2f}")
    print(f"{f'{args.kernels} kernels together, slowest first cell (s)':48}{slowest_median:>10.2f}")
    print(f"{'slowest together / lone (same run)':48}{slowest_median / lone_median:>10.2f}")
    print(f"{'lone kernel, CPU to its first cell (s)':48}{statistics.median(lone_cpu):>10.2f}")
    print(f"{f'{args.kernels} kernels together, CPU per kernel (s)':48}{statistics.median(cpu) / args.kernels:>10.2f}")
    print(f"{f'floor: max(lone, CPU / {cores} cores) (s)':48}{statistics.median(floor):>10.2f}")
    print(f"{'CPU of the clients (this benchmark) (s)':48}{statistics.median(client_cpu):>10.2f}")
    print(f"{'slowest together / floor (same round, median)':48}"
          f"{statistics.median(s / f for s, f in zip(slowest, floor)):>10.2f}")
    print(f"{f'PSS of all {args.kernels} kernels (MiB)':48}{statistics.median(pss) / 2**20:>10.0f}")
    print(f"{'disk per session slot (MiB)':48}{statistics.median(disk) / 2**20:>10.0f}")
    print(f"failed first cells: {failures}")
    print(f"dependencies compiled by sessions: {', '.join(compiled) if compiled else 'none'}")


if __name__ == "__main__":
    main()
