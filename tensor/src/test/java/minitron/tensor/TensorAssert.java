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
        if (expected.length != actual.length) {
            fail(what + ": " + actual.length + " values, expected " + expected.length);
        }
        double maxDiff = 0;
        int maxAt = -1, bad = 0;
        StringBuilder first = new StringBuilder();
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            boolean same = (Double.isNaN(e) && Double.isNaN(a)) || e == a;
            double diff = Math.abs(e - a);
            // An infinite expected value must be matched exactly (with rtol = 0, rtol * inf would be NaN and the
            // comparison below would let any finite value through).
            if (!same && (Double.isNaN(diff) || Double.isInfinite(e) || diff > atol + rtol * Math.abs(e))) {
                if (bad < 5) first.append(String.format("%n  [%d] expected %.9g, got %.9g (diff %.3g)", i, e, a, diff));
                bad++;
            }
            if (!same && (Double.isNaN(diff) || diff > maxDiff)) {
                maxDiff = Double.isNaN(diff) ? Double.POSITIVE_INFINITY : diff;
                maxAt = i;
            }
        }
        if (bad > 0) {
            fail(String.format("%s: %d of %d elements differ beyond atol %.1e + rtol %.1e * |expected|; max diff %.3g at [%d]%s",
                    what, bad, expected.length, atol, rtol, maxDiff, maxAt, first));
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
