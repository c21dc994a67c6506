package minitron.autograd;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import minitron.tensor.DType;
import minitron.tensor.Tensor;
import minitron.tensor.TensorException;

/**
 * Checks backward() against central finite differences in double precision:
 * numeric d f / d x_i = (f(x + eps e_i) - f(x - eps e_i)) / (2 eps), for every element of every input.
 *
 * <p>Inputs must be F64 and may be any strided view (transposed, sliced), but not expanded (stride 0 over a size
 * greater than 1: one memory element would stand for several inputs). They are perturbed in place and restored
 * bit for bit.
 */
public final class GradCheck {
    /**
     * Finite-difference step. The central difference has truncation error eps^2/6 |f'''| (about 1e-13 for
     * derivatives of order 1) and rounding error about ulp(f)/eps = 2.2e-16 |f| / 1e-6 = 2.2e-10 |f|; for
     * functions of order 1 their sum stays well under {@link #ATOL} (the step that minimizes it is near the cube
     * root of 2.2e-16, 6e-6).
     */
    public static final double EPS = 1e-6;
    /**
     * Absolute tolerance: covers the rounding error above for |f| up to about 400 (the projected outputs in our
     * tests are sums of at most a few hundred terms of order 1; the largest difference measured over every op test
     * is about 1e-9). PyTorch's gradcheck uses 1e-5; a wrong gradient is off by O(1) of its size.
     */
    public static final double ATOL = 1e-7;
    /** Relative tolerance (of |numeric|), for gradients much larger than 1. PyTorch's gradcheck uses 1e-3. */
    public static final double RTOL = 1e-5;

    private GradCheck() {
    }

    /** The comparison for one input tensor. */
    public record InputReport(int input, long elements, long mismatches, double maxAbsDiff, long worstIndex,
                              double analyticAtWorst, double numericAtWorst) {
        public boolean ok() {
            return mismatches == 0;
        }

        @Override
        public String toString() {
            return String.format("input %d (%d elements): %s, max |analytic - numeric| %.3g at [%d] (analytic %.12g,"
                            + " numeric %.12g)", input, elements, ok() ? "ok" : mismatches + " mismatches",
                    maxAbsDiff, worstIndex, analyticAtWorst, numericAtWorst);
        }
    }

    /** One report per input. */
    public record Report(List<InputReport> inputs) {
        public boolean ok() {
            return inputs.stream().allMatch(InputReport::ok);
        }

        public double maxAbsDiff() {
            return inputs.stream().mapToDouble(InputReport::maxAbsDiff).max().orElse(0);
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            for (InputReport r : inputs) sb.append(r).append('\n');
            return sb.toString();
        }
    }

    /**
     * Runs f once with gradients and 2 * (number of input elements) times under {@link NoGrad}, and compares.
     * f receives one parameter Var per input and must return a one-element Var.
     */
    public static Report run(Function<Var[], Var> f, Tensor... inputs) {
        for (int i = 0; i < inputs.length; i++) checkInput(i, inputs[i]);
        Var[] vars = new Var[inputs.length];
        for (int i = 0; i < inputs.length; i++) vars[i] = Var.parameter(inputs[i]);
        Var out = f.apply(vars);
        out.backward();

        List<InputReport> reports = new ArrayList<>();
        try (NoGrad scope = NoGrad.enter()) {
            for (int i = 0; i < inputs.length; i++) {
                Tensor x = inputs[i];
                Tensor analytic = vars[i].grad();
                if (analytic == null) {
                    throw TensorException.of("gradcheck", "a gradient for input " + i, "none (f does not use it)");
                }
                long n = x.numel(), mismatches = 0, worst = -1;
                double maxDiff = 0, worstAnalytic = 0, worstNumeric = 0;
                for (long e = 0; e < n; e++) {
                    long at = x.offsetOf(e);
                    double original = x.readDouble(at);
                    x.writeDouble(at, original + EPS);
                    double plus = f.apply(vars).item();
                    x.writeDouble(at, original - EPS);
                    double minus = f.apply(vars).item();
                    x.writeDouble(at, original);
                    double numeric = (plus - minus) / (2 * EPS);
                    double a = analytic.readDouble(analytic.offsetOf(e));
                    double diff = Math.abs(a - numeric);
                    boolean bad = !(diff <= ATOL + RTOL * Math.abs(numeric)); // NaN counts as a mismatch
                    if (bad) mismatches++;
                    if (worst < 0 || diff > maxDiff || Double.isNaN(diff)) {
                        maxDiff = Double.isNaN(diff) ? Double.POSITIVE_INFINITY : diff;
                        worst = e;
                        worstAnalytic = a;
                        worstNumeric = numeric;
                    }
                }
                reports.add(new InputReport(i, n, mismatches, maxDiff, worst, worstAnalytic, worstNumeric));
            }
        }
        return new Report(reports);
    }

    /** {@link #run}, throwing an AssertionError with the per-input report when a gradient is off. */
    public static Report check(String what, Function<Var[], Var> f, Tensor... inputs) {
        Report report = run(f, inputs);
        if (!report.ok()) {
            throw new AssertionError("gradcheck " + what + ": backward disagrees with finite differences"
                    + " (atol " + ATOL + " + rtol " + RTOL + " * |numeric|)\n" + report);
        }
        return report;
    }

    private static void checkInput(int i, Tensor x) {
        if (x.dtype() != DType.F64) {
            throw TensorException.of("gradcheck", "F64 inputs (finite differences need double precision)",
                    "input " + i + " of dtype " + x.dtype());
        }
        for (int axis = 0; axis < x.rank(); axis++) {
            if (x.stride(axis) == 0 && x.dim(axis) > 1) {
                throw TensorException.of("gradcheck", "inputs without stride-0 (expanded) axes",
                        "input " + i + " " + x.shape() + " with stride 0 on axis " + axis);
            }
        }
    }
}
