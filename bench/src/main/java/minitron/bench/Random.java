package minitron.bench;

import java.util.SplittableRandom;
import minitron.tensor.DType;
import minitron.tensor.Tensor;

/** Seeded uniform [-1, 1) inputs for the benchmarks. */
final class Random {
    private Random() {
    }

    static Tensor uniform(long seed, DType dtype, int... dims) {
        Tensor t = Tensor.zeros(dtype, dims);
        fill(seed, t);
        return t;
    }

    /** Writes uniform values into every element of a contiguous tensor (BF16/F16 rounded on write). */
    static void fill(long seed, Tensor t) {
        SplittableRandom random = new SplittableRandom(seed);
        long n = t.numel();
        for (long i = 0; i < n; i++) t.writeDouble(t.offset() + i, random.nextDouble(-1, 1));
    }
}
