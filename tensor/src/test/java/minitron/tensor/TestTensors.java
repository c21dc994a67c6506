package minitron.tensor;

import java.util.List;
import java.util.SplittableRandom;

/** Seeded random tensors and the list of backends for parameterized tests. */
public final class TestTensors {
    private TestTensors() {
    }

    /** Uniform in [-1, 1), F32, contiguous. */
    public static Tensor uniform(long seed, int... dims) {
        return uniform(seed, DType.F32, dims);
    }

    /** Uniform in [-1, 1) written in {@code dtype} (BF16/F16 values are rounded on write). */
    public static Tensor uniform(long seed, DType dtype, int... dims) {
        SplittableRandom random = new SplittableRandom(seed);
        Tensor t = Tensor.zeros(dtype, dims);
        long n = t.numel();
        for (long i = 0; i < n; i++) t.writeDouble(i, random.nextDouble(-1, 1));
        return t;
    }

    /** Random ids in [0, limit), I32. */
    public static Tensor ids(long seed, int limit, int... dims) {
        SplittableRandom random = new SplittableRandom(seed);
        Tensor t = Tensor.zeros(DType.I32, dims);
        for (long i = 0; i < t.numel(); i++) t.writeDouble(i, random.nextInt(limit));
        return t;
    }

    /**
     * A non-contiguous view with the same values as a contiguous tensor of {@code dims}: a larger tensor is
     * filled, then sliced (every axis offset by one) so strides and offset are both unusual.
     */
    public static Tensor strided(long seed, int... dims) {
        int[] big = dims.clone();
        for (int i = 0; i < big.length; i++) big[i] += 2;
        Tensor t = uniform(seed, big);
        for (int i = 0; i < dims.length; i++) t = t.slice(i, 1, 1 + dims[i]);
        return t;
    }

    /** Every CPU backend in this JVM; the first one is the scalar reference. */
    public static List<Backend> backends() {
        return Backends.all();
    }
}
