package minitron.tensor;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Comparisons with a tolerance of {@code atol + rtol * |expected|} per element. A failure prints the shape, the
 * first differing elements and the largest difference, so the cause is visible from the test report alone.
 */
public final class TensorAssert {
    private TensorAssert() {
    }

    public static void assertClose(Tensor expected, Tensor actual, double atol, double rtol, String what) {
        if (!expected.shape().equals(actual.shape())) {
            fail(what + ": shape " + actual.shape() + ", expected " + expected.shape());
        }
        assertClose(expected.toDoubleArray(), actual.toDoubleArray(), atol, rtol, what + " " + expected.shape());
    }

    public static void assertClose(double[] expected, double[] actual, double atol, double rtol, String what) {
        assertClose(expected, actual, null, atol, rtol, what);
    }

    /**
     * As {@link #assertClose(Tensor, Tensor, double, double, String)} with an absolute tolerance per element
     * ({@code atol}, of the shape of expected): for results whose rounding error is bounded by the magnitude of the
     * terms they are computed from rather than by their own (sums that cancel).
     */
    public static void assertClose(Tensor expected, Tensor actual, Tensor atol, double rtol, String what) {
        if (!expected.shape().equals(actual.shape()) || !expected.shape().equals(atol.shape())) {
            fail(what + ": shape " + actual.shape() + ", expected " + expected.shape() + " (tolerances " + atol.shape()
                    + ")");
        }
        assertClose(expected.toDoubleArray(), actual.toDoubleArray(), atol.toDoubleArray(), 0, rtol,
                what + " " + expected.shape());
    }

    /** atol is {@code atols[i]} for element i when atols is not null, else {@code atol}. */
    private static void assertClose(double[] expected, double[] actual, double[] atols, double atol, double rtol,
                                    String what) {
        if (expected.length != actual.length) {
            fail(what + ": " + actual.length + " values, expected " + expected.length);
        }
        double maxDiff = 0, maxAtol = 0;
        int maxAt = -1, bad = 0;
        StringBuilder first = new StringBuilder();
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            double tol = atols == null ? atol : atols[i];
            maxAtol = Math.max(maxAtol, tol);
            boolean same = (Double.isNaN(e) && Double.isNaN(a)) || e == a;
            double diff = Math.abs(e - a);
            // An infinite expected value must be matched exactly (with rtol = 0, rtol * inf would be NaN and the
            // comparison below would let any finite value through); so must every value whose tolerance is NaN.
            if (!same && (Double.isNaN(diff) || Double.isInfinite(e) || !(diff <= tol + rtol * Math.abs(e)))) {
                if (bad < 5) {
                    first.append(String.format("%n  [%d] expected %.9g, got %.9g (diff %.3g%s)", i, e, a, diff,
                            atols == null ? "" : String.format(", atol %.3g", tol)));
                }
                bad++;
            }
            if (!same && (Double.isNaN(diff) || diff > maxDiff)) {
                maxDiff = Double.isNaN(diff) ? Double.POSITIVE_INFINITY : diff;
                maxAt = i;
            }
        }
        if (bad > 0) {
            String tolerance = atols == null ? String.format("atol %.1e", atol)
                    : String.format("atol per element (up to %.1e)", maxAtol);
            fail(String.format("%s: %d of %d elements differ beyond %s + rtol %.1e * |expected|; max diff %.3g at [%d]%s",
                    what, bad, expected.length, tolerance, rtol, maxDiff, maxAt, first));
        }
    }

    /** Largest absolute difference, for reports. */
    public static double maxAbsDiff(Tensor expected, Tensor actual) {
        double[] e = expected.toDoubleArray(), a = actual.toDoubleArray();
        double m = 0;
        for (int i = 0; i < e.length; i++) m = Math.max(m, Math.abs(e[i] - a[i]));
        return m;
    }
}
