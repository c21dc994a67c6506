package minitron.eval;

import java.util.List;

/** Aggregations as lm-eval-harness computes them. */
public final class Metrics {
    private Metrics() {
    }

    public static double mean(List<Double> values) {
        if (values.isEmpty()) return Double.NaN;
        double sum = 0;
        for (double v : values) sum += v;
        return sum / values.size();
    }

    /**
     * lm-eval's {@code mean_stderr}: the sample standard deviation (n - 1 in the denominator) divided by sqrt(n).
     * NaN for fewer than two values (lm-eval would divide by zero).
     */
    public static double meanStderr(List<Double> values) {
        int n = values.size();
        if (n < 2) return Double.NaN;
        double mu = mean(values);
        double ss = 0;
        for (double v : values) ss += (v - mu) * (v - mu);
        return Math.sqrt(ss / (n - 1)) / Math.sqrt(n);
    }
}
