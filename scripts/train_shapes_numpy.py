"""The peer of scripts/TrainShapes.java: numpy (OpenBLAS) GFLOPS on the training step's GEMM shapes and layouts.
Usage: OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1 /usr/bin/python3 scripts/train_shapes_numpy.py [ROUNDS]"""
import sys, time
import numpy as np

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
rng = np.random.default_rng(1)
rows = 2048
for inf, outf in [(256, 256), (256, 64), (256, 704), (704, 256), (256, 4096)]:
    x = rng.random((rows, inf), dtype=np.float32) - 0.5
    w = rng.random((outf, inf), dtype=np.float32) - 0.5
    g = rng.random((rows, outf), dtype=np.float32) - 0.5
    flops = 2.0 * rows * inf * outf
    for name, f in [("fwd x@W^T", lambda: x @ w.T), ("dx g@W", lambda: g @ w), ("dW g^T@x", lambda: g.T @ x)]:
        best = 1e9
        for r in range(rounds + 2):
            t0 = time.perf_counter(); reps = 0
            while True:
                f(); reps += 1
                if time.perf_counter() - t0 > 0.2: break
            s = (time.perf_counter() - t0) / reps
            if r >= 2: best = min(best, s)
        print(f"in={inf:4d} out={outf:4d} {name:<10s} {flops / best / 1e9:7.1f} GFLOPS ({best * 1e3:.3f} ms)")
