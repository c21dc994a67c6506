#!/usr/bin/env python3
"""The GEMM peer for `minitron bench gemm`: numpy's `a @ b` (OpenBLAS here) on float32 (n, n) matrices.

Threads come from the environment, as OpenBLAS reads them: OPENBLAS_NUM_THREADS (set it before starting Python).
Warm-up calls first, then `--repeats` timed calls; prints a human line on stderr and ONE JSON object on stdout
with "gflops" (2 n^3 / median time), n, threads, median_ms, the OpenBLAS core type it runs and its settings, and
cpu_per_wall (process CPU time / wall time of the timed calls: below the thread count when other processes took
cores; note OpenBLAS threads spin while waiting, which counts as CPU time).

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 reference/bench_gemm_numpy.py --n 1024
"""
import argparse
import ctypes
import ctypes.util
import json
import os
import statistics
import sys
import time

import numpy as np


def openblas_info():
    """Core type and thread count the loaded OpenBLAS reports, or None when numpy uses another BLAS."""
    for name in ("libblas.so.3", "libopenblas.so.0", ctypes.util.find_library("openblas")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return lib.openblas_get_corename().decode(), lib.openblas_get_num_threads()
        except (OSError, AttributeError):
            continue
    return None, None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1024, help="matrix size (default 1024)")
    parser.add_argument("--repeats", type=int, default=10, help="timed calls (default 10)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls first (default 3)")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    a = rng.uniform(-1, 1, (args.n, args.n)).astype(np.float32)
    b = rng.uniform(-1, 1, (args.n, args.n)).astype(np.float32)
    out = np.empty((args.n, args.n), np.float32)
    for _ in range(args.warmup):
        np.matmul(a, b, out=out)
    times = []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        np.matmul(a, b, out=out)
        times.append(time.perf_counter() - t0)
    cpu_per_wall = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    median = statistics.median(times)
    core, blas_threads = openblas_info()
    result = {
        "peer": "numpy-openblas",
        "gflops": 2.0 * args.n ** 3 / median / 1e9,
        "n": args.n,
        "threads": blas_threads if blas_threads is not None else os.environ.get("OPENBLAS_NUM_THREADS"),
        "median_ms": median * 1e3,
        "min_ms": min(times) * 1e3,
        "repeats": args.repeats,
        "cpu_per_wall": cpu_per_wall,
        "coretype": core,
        "env_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "env_l2_size": os.environ.get("OPENBLAS_L2_SIZE"),
        "numpy": np.__version__,
    }
    print(f"numpy n={args.n} threads={result['threads']} core={core}: median {result['median_ms']:.2f} ms = "
          f"{result['gflops']:.1f} GFLOPS", file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
