package minitron.tensor;

import static minitron.tensor.TensorAssert.assertClose;

import java.util.function.Function;

/**
 * Shared checks for the kernel tests: run the same computation on the scalar reference and on another backend
 * and compare; and a central finite-difference gradient check in F64.
 */
final class KernelChecks {
    private KernelChecks() {
    }

    /** Odd sizes around the AVX-512 float lane count (16) and its multiples, plus 1 and 100. */
    static final int[] ODD_SIZES = {1, 3, 17, 31, 33, 100};

    /**
     * Vector kernels that are correctly rounded in F32 (add, mul, sqrt, max, copies) equal the reference, which
     * computes in F64 and rounds once: a single correctly rounded F32 operation gives the same float.
     */
    static final double EXACT = 0;

    /**
     * F32 kernels built on the Vector API's exp/log/tanh (documented within a few ulps) and on F32 sums of up to a
     * few hundred terms: ulp(1) of F32 is 1.2e-7, a sum of n terms with 16 lane partials errs by about
     * sqrt(n / 16) * n/16 ulps of the largest partial; for the sizes used here (<= 100 columns, values of
     * magnitude <= ~10) that stays below 1e-5 relative, and 1e-6 absolute covers values that cancel to near 0.
     */
    static final double F32_ATOL = 1e-6;
    static final double F32_RTOL = 1e-5;

    /**
     * The F64 finite-difference step and tolerance: central differences err by h^2 * f''' / 6 (about 1e-12 here)
     * plus rounding of about eps * |f| / h (about 1e-10 for eps = 2.2e-16, |f| ~ 1); 1e-7 leaves ample margin and
     * is still far below any real gradient error (a wrong term shows up at 1e-2 or more).
     */
    static final double FD_STEP = 1e-6;
    static final double FD_ATOL = 1e-7;
    static final double FD_RTOL = 1e-6;

    /** Runs {@code f} on the scalar reference and on {@code backend}; their results must agree within atol + rtol*|ref|. */
    static void matchesScalar(Backend backend, String what, double atol, double rtol, Function<Ops, Tensor> f) {
        Tensor expected = f.apply(Ops.of(Backends.scalar()));
        Tensor actual = f.apply(Ops.of(backend));
        assertClose(expected, actual, atol, rtol, what + " on " + backend.name());
    }

    /**
     * Checks an analytic gradient: with L(x) = sum(f(x) * w) for fixed weights w (the upstream gradient), compares
     * {@code analytic} (dL/dx from a backward kernel called with dy = w) against central differences
     * (L(x + h e_i) - L(x - h e_i)) / 2h. x must be a contiguous F64 tensor; it is perturbed in place and restored.
     */
    static void gradCheck(String what, Tensor x, Tensor w, Function<Tensor, Tensor> f, Tensor analytic) {
        double[] numeric = new double[(int) x.numel()];
        for (int i = 0; i < numeric.length; i++) {
            double saved = x.readDouble(i);
            x.writeDouble(i, saved + FD_STEP);
            double plus = weightedSum(f.apply(x), w);
            x.writeDouble(i, saved - FD_STEP);
            double minus = weightedSum(f.apply(x), w);
            x.writeDouble(i, saved);
            numeric[i] = (plus - minus) / (2 * FD_STEP);
        }
        assertClose(numeric, analytic.toDoubleArray(), FD_ATOL, FD_RTOL, what + " gradient vs central differences");
    }

    static double weightedSum(Tensor y, Tensor w) {
        double[] a = y.toDoubleArray(), b = w.toDoubleArray();
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    /** Uniform in [-1, 1) as F64 (for gradient checks). */
    static Tensor uniform64(long seed, int... dims) {
        Tensor t = TestTensors.uniform(seed, dims);
        return t.to(DType.F64);
    }

    /** A tensor with the same values as a contiguous F32 tensor of {@code dims}, laid out transposed in memory. */
    static Tensor transposedView(long seed, int rows, int cols) {
        return TestTensors.uniform(seed, cols, rows).transpose(0, 1);
    }
}
