package minitron.autograd;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import minitron.tensor.Backend;
import minitron.tensor.Backends;
import minitron.tensor.DType;
import minitron.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Seeded random define-by-run graphs in F64, checked against central finite differences ({@link GradCheck}, with
 * its tolerances) for every leaf. Each case draws a small input (size-1 axes included, to broadcast), 2-6
 * differentiable ops of the public API (broadcasting add/sub/mul/div, scale, exp/log of positive values,
 * tanh/sigmoid/silu, reshape, permute/transpose, slice, concat, sum/mean over an axis, matmul/linear, rmsNorm,
 * softmax/logSoftmax, attention, rope, swiglu, a Var used twice, a detached branch) and a scalar ending (a sum,
 * a mean, a projection or a loss). It also checks that backward after zeroGrad gives bit for bit the same
 * gradients, that a second backward without zeroGrad accumulates (doubles them, up to rounding), and that the leaf
 * of a detached branch gets no gradient.
 *
 * <p>Inputs stay away from kinks and singularities: denominators and log arguments are bounded away from 0, values
 * are scaled back to |x| <= 3 after every op (exp cannot overflow), the last result to sum |x| <= 40 (|f| stays
 * small, so the rounding error of the finite difference stays under {@link GradCheck#ATOL}), and rmsNorm only
 * sees rows of rms >= 0.2.
 *
 * <p>Defaults are small for CI; {@code -Dfuzz.cases=N -Dfuzz.seed=S -Dfuzz.first=K} run more (or one case again:
 * failure messages give seed and case), {@code -Dfuzz.maxOps}, {@code -Dfuzz.maxDim}, {@code -Dfuzz.maxNumel}
 * make graphs longer or larger, {@code -Dfuzz.backend=cpu} runs on the default CPU backend.
 */
class RandomGraphGradCheckTest {
    private static final int CASES = Integer.getInteger("fuzz.cases", 1000);
    private static final long SEED = Long.getLong("fuzz.seed", 20261129L);
    private static final int FIRST = Integer.getInteger("fuzz.first", 0);
    /** Most ops per graph (before the scalar ending); at least 2 are drawn. */
    private static final int MAX_OPS = Math.max(2, Integer.getInteger("fuzz.maxOps", 6));
    /** "scalar" (the F64 reference, default) or "cpu" (the default CPU backend). */
    private static final String BACKEND = System.getProperty("fuzz.backend", "scalar");
    /** Largest |value| kept between ops (a recorded constant scale brings larger values back). */
    private static final double LIMIT = 3.0;
    /** Largest sum |x| of the last result before the scalar ending (keeps |f| of order 10). */
    private static final double FINAL_L1 = 40.0;
    /** Largest input axis size (size-1 axes are drawn too). */
    private static final int MAX_DIM = Math.max(2, Integer.getInteger("fuzz.maxDim", 3));
    /** Larger intermediate results are sliced down, to keep GradCheck cheap. */
    private static final int MAX_NUMEL = Integer.getInteger("fuzz.maxNumel", 36);

    @Test
    void randomGraphsMatchFiniteDifferences() {
        List<String> failures = new ArrayList<>();
        int checked = 0;
        Map<String, Integer> opCounts = new TreeMap<>();
        Backend backend = BACKEND.equals("cpu") ? Backends.cpu() : Backends.scalar();
        try (Autograd.BackendScope scope = Autograd.useBackend(backend)) {
            for (int c = FIRST; c < FIRST + CASES; c++) {
                String failure = runCase(c, opCounts);
                checked++;
                if (failure != null) {
                    failures.add(failure);
                    if (failures.size() >= 10) break;
                }
            }
        }
        System.out.printf("random graph gradcheck: %d cases from %d (seed %d, up to %d ops, %s backend), %d failing%n"
                + "  ops drawn: %s%n", checked, FIRST, SEED, MAX_OPS, backend.name(), failures.size(), opCounts);
        assertTrue(failures.isEmpty(), failures.size() + " random graph(s) failed:\n" + String.join("\n", failures));
    }

    /** Null when case c passes, else a message with seed, case, op sequence and shapes. */
    static String runCase(int c, Map<String, Integer> opCounts) {
        long caseSeed = new SplittableRandom(SEED).split().nextLong() ^ (0x9E3779B97F4A7C15L * (c + 1));
        Graph recorded = new Graph(caseSeed, null);
        String where = "seed " + SEED + " case " + c + " (-Dfuzz.seed=" + SEED + " -Dfuzz.first=" + c
                + " -Dfuzz.cases=1)";
        try {
            recorded.build();
        } catch (RuntimeException e) {
            return where + ": building the graph threw " + e + "\n  ops: " + recorded.describe();
        }
        for (String op : recorded.log) opCounts.merge(op.split("[(\\[\\s]", 2)[0], 1, Integer::sum);
        Tensor[] inputs = recorded.leafTensors.toArray(new Tensor[0]);
        try {
            GradCheck.Report report = GradCheck.run(v -> recorded.replay(v).build(), inputs);
            if (!report.ok()) {
                return where + ": backward disagrees with finite differences (atol " + GradCheck.ATOL + " + rtol "
                        + GradCheck.RTOL + " * |numeric|)\n  ops: " + recorded.describe() + "\n" + report;
            }
            // Backward, zeroGrad, backward again: the same gradients bit for bit; without zeroGrad they add up.
            Var[] vars = new Var[inputs.length];
            for (int i = 0; i < inputs.length; i++) vars[i] = Var.parameter(inputs[i]);
            Graph first = recorded.replay(vars);
            first.build().backward();
            String ghost = first.ghostsWithGradient();
            if (ghost != null) return where + ": " + ghost + "\n  ops: " + recorded.describe();
            double[][] g1 = grads(vars);
            for (Var v : vars) v.zeroGrad();
            Graph second = recorded.replay(vars);
            second.build().backward();
            ghost = second.ghostsWithGradient();
            if (ghost != null) return where + ": " + ghost + "\n  ops: " + recorded.describe();
            double[][] g2 = grads(vars);
            for (int i = 0; i < vars.length; i++) {
                if (!Arrays.equals(g1[i], g2[i])) {
                    return where + ": backward after zeroGrad gave a different gradient for input " + i + ": "
                            + Arrays.toString(g1[i]) + " then " + Arrays.toString(g2[i]) + "\n  ops: "
                            + recorded.describe();
                }
            }
            // No zeroGrad: the contributions add onto g2 one by one, so 2 g1 up to rounding (not bit for bit).
            recorded.replay(vars).build().backward();
            double[][] g3 = grads(vars);
            for (int i = 0; i < vars.length; i++) {
                for (int e = 0; e < g1[i].length; e++) {
                    if (!(Math.abs(g3[i][e] - 2 * g1[i][e]) <= 1e-12 * (1 + Math.abs(2 * g1[i][e])))) {
                        return where + ": a second backward without zeroGrad gave " + g3[i][e] + " for input " + i
                                + " element " + e + ", not twice " + g1[i][e] + "\n  ops: " + recorded.describe();
                    }
                }
            }
        } catch (RuntimeException | AssertionError e) {
            return where + ": " + e + "\n  ops: " + recorded.describe();
        }
        return null;
    }

    private static double[][] grads(Var[] vars) {
        double[][] out = new double[vars.length][];
        for (int i = 0; i < vars.length; i++) out[i] = values(vars[i].grad());
        return out;
    }

    private static double[] values(Tensor t) {
        double[] v = new double[(int) t.numel()];
        for (int e = 0; e < v.length; e++) v[e] = t.readDouble(t.offsetOf(e));
        return v;
    }

    /**
     * One random graph. Recording (inputs == null) draws every decision, creates the leaf tensors, and logs the op
     * sequence; a replay takes the same decisions (value-dependent ones included, so a finite-difference
     * perturbation cannot change the graph) and the given leaf Vars.
     */
    static final class Graph {
        final long seed;
        final SplittableRandom random;
        final Var[] inputs;
        final List<Tensor> leafTensors;
        final List<Tensor> ghostTensors;
        final List<Double> decisions;
        final List<String> log = new ArrayList<>();
        final List<Var> ghosts = new ArrayList<>();
        final List<Var> nodes = new ArrayList<>();
        int cursor, nextLeaf, nextGhost;

        Graph(long seed, Var[] inputs) {
            this(seed, inputs, new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        }

        private Graph(long seed, Var[] inputs, List<Tensor> leafTensors, List<Tensor> ghostTensors,
                      List<Double> decisions) {
            this.seed = seed;
            this.random = new SplittableRandom(seed);
            this.inputs = inputs;
            this.leafTensors = leafTensors;
            this.ghostTensors = ghostTensors;
            this.decisions = decisions;
        }

        Graph replay(Var[] vars) {
            return new Graph(seed, vars, leafTensors, ghostTensors, decisions);
        }

        boolean recording() {
            return inputs == null;
        }

        String describe() {
            return String.join(" -> ", log);
        }

        /** A message when a detached branch's leaf received a gradient, else null. */
        String ghostsWithGradient() {
            for (Var g : ghosts) {
                if (g.grad() != null) return "the leaf " + g + " of a detached branch received a gradient";
            }
            return null;
        }

        // ------------------------------------------------------------ recorded decisions

        private double decide(double drawn) {
            if (recording()) {
                decisions.add(drawn);
                return drawn;
            }
            return decisions.get(cursor++);
        }

        int pick(int n) {
            return (int) decide(recording() ? random.nextInt(n) : 0);
        }

        boolean coin() {
            return pick(2) == 1;
        }

        double uniform(double lo, double hi) {
            return decide(recording() ? random.nextDouble(lo, hi) : 0);
        }

        // ------------------------------------------------------------ leaves

        /** A leaf checked by GradCheck, values uniform in [lo, hi); sometimes a non-contiguous view. */
        Var leaf(int[] dims, double lo, double hi) {
            boolean strided = coin();
            if (!recording()) return inputs[nextLeaf++];
            long leafSeed = seed * 31 + leafTensors.size();
            Tensor t = Fixtures.f64Range(leafSeed, lo, hi, dims);
            if (strided && dims.length >= 2) {
                int[] swapped = dims.clone();
                swapped[dims.length - 1] = dims[dims.length - 2];
                swapped[dims.length - 2] = dims[dims.length - 1];
                t = Fixtures.f64Range(leafSeed, lo, hi, swapped).transpose(-1, -2);
            }
            leafTensors.add(t);
            return Var.parameter(t);
        }

        Var leaf(int[] dims) {
            return leaf(dims, -1.5, 1.5);
        }

        /** A parameter outside GradCheck's inputs, used only through a detached branch. */
        Var ghost(int[] dims) {
            if (recording()) ghostTensors.add(Fixtures.f64(seed * 17 + ghostTensors.size(), dims));
            Var g = Var.parameter(ghostTensors.get(nextGhost++));
            ghosts.add(g);
            return g;
        }

        // ------------------------------------------------------------ the graph

        Var build() {
            int rank = 1 + pick(3);
            int[] dims = new int[rank];
            for (int i = 0; i < rank; i++) dims[i] = pick(4) == 0 ? 1 : 2 + pick(MAX_DIM - 1);
            Var v = leaf(dims);
            note("x" + v.shape());
            int ops = 2 + pick(MAX_OPS - 1);
            for (int i = 0; i < ops; i++) {
                nodes.add(v);
                v = tame(step(v));
                if (v.shape().numel() > MAX_NUMEL) v = shrink(v);
            }
            return finish(v);
        }

        private void note(String s) {
            if (recording()) log.add(s);
        }

        private Var step(Var v) {
            int r = v.rank();
            switch (pick(22)) {
                case 0: case 1: {
                    String[] names = {"add", "sub", "mul", "div"};
                    int op = pick(4);
                    Var other = op == 3 ? leaf(broadcastPartner(v.shape().dims()), 0.5, 2.0)
                            : leaf(broadcastPartner(v.shape().dims()));
                    boolean swap = op != 3 && coin();
                    Var out = binary(op, swap ? other : v, swap ? v : other);
                    note(names[op] + (swap ? "(leaf" + other.shape() + ", x)" : "(x, leaf" + other.shape() + ")")
                            + " " + out.shape());
                    return out;
                }
                case 2: {
                    // The same Var twice: x op x, or x op (an earlier node that broadcasts with it).
                    Var other = v;
                    List<Var> fits = new ArrayList<>();
                    for (Var n : nodes) if (broadcasts(n.shape().dims(), v.shape().dims())) fits.add(n);
                    int k = pick(fits.size() + 1);
                    if (k < fits.size()) other = fits.get(k);
                    int op = pick(3);
                    Var out = binary(op, v, other);
                    note(new String[]{"add", "sub", "mul"}[op] + "(x, " + (other == v ? "x" : "node" + other.shape())
                            + ") " + out.shape());
                    return out;
                }
                case 3: {
                    double c = uniform(-2, 2);
                    note(String.format("scale(%.3f)", c));
                    return v.scale(c);
                }
                case 4: {
                    note("exp");
                    return Elementwise.exp(v);
                }
                case 5: {
                    switch (pick(3)) {
                        case 0:
                            note("log(sigmoid(x))");
                            return Elementwise.log(Elementwise.sigmoid(v));
                        case 1:
                            note("log(x*x + 0.25)");
                            return Elementwise.log(Elementwise.addScalar(v.mul(v), 0.25));
                        default: {
                            Var pos = leaf(broadcastPartner(v.shape().dims()), 0.2, 3.0);
                            note("x + log(leaf" + pos.shape() + ")");
                            return v.add(Elementwise.log(pos));
                        }
                    }
                }
                case 6: {
                    note("tanh (2 sigmoid(2x) - 1)");
                    return Elementwise.addScalar(Elementwise.sigmoid(v.scale(2)).scale(2), -1);
                }
                case 7: {
                    boolean silu = coin();
                    note(silu ? "silu" : "sigmoid");
                    return silu ? Elementwise.silu(v) : Elementwise.sigmoid(v);
                }
                case 8: {
                    int[] dims = randomFactorization((int) v.shape().numel());
                    note("reshape" + Arrays.toString(dims));
                    return v.reshape(dims);
                }
                case 9: {
                    if (r < 2) return step(v);
                    if (coin()) {
                        int a = axis(r), b = axis(r);
                        note("transpose(" + a + ", " + b + ")");
                        return v.transpose(a, b);
                    }
                    int[] order = permutation(r);
                    for (int i = 0; i < r; i++) if (pick(4) == 0) order[i] -= r;
                    note("permute" + Arrays.toString(order));
                    return v.permute(order);
                }
                case 10: {
                    int axis = axis(r);
                    int n = v.dim(axis);
                    if (n < 2) return step(v);
                    int start = pick(n - 1), end = start + 1 + pick(n - start);
                    note("slice(" + axis + ", " + start + ", " + end + ")");
                    return Views.slice(v, axis, start, end);
                }
                case 11: {
                    int axis = axis(r);
                    Var other;
                    String what;
                    if (coin()) {
                        other = v;
                        what = "x";
                    } else {
                        int[] dims = v.shape().dims();
                        dims[axis < 0 ? axis + r : axis] = 1 + pick(2);
                        other = leaf(dims);
                        what = "leaf" + other.shape();
                    }
                    boolean swap = coin();
                    Var out = swap ? Views.concat(axis, other, v) : Views.concat(axis, v, other);
                    note("concat(" + axis + ", " + (swap ? what + ", x" : "x, " + what) + ") " + out.shape());
                    return out;
                }
                case 12: {
                    int axis = axis(r);
                    boolean keep = r == 1 || coin();
                    boolean mean = coin();
                    note((mean ? "mean(" : "sum(") + axis + (keep ? ", keepDim)" : ")"));
                    return mean ? Reductions.mean(v, axis, keep) : Reductions.sum(v, axis, keep);
                }
                case 13:
                    return matmul(v);
                case 14: {
                    int in = v.dim(-1), out = 1 + pick(3);
                    Var w = leaf(new int[]{out, in});
                    if (coin()) {
                        Var b = leaf(new int[]{out});
                        note("linear(x, w" + w.shape() + ", b" + b.shape() + ")");
                        return LinearAlgebra.linear(v, w, b);
                    }
                    note("linear(x, w" + w.shape() + ")");
                    return LinearAlgebra.linear(v, w);
                }
                case 15: {
                    // Only rows with rms >= 0.2 (decided when recording): far from the eps-dominated regime.
                    boolean ok = decide(recording() ? (minRowRms(v.value()) >= 0.2 ? 1 : 0) : 0) == 1;
                    if (!ok) return step(v);
                    Var w = leaf(new int[]{v.dim(-1)}, 0.5, 1.5);
                    boolean fused = coin();
                    note((fused ? "rmsNorm" : "Composite.rmsNorm") + "(x, w" + w.shape() + ")");
                    return fused ? Normalization.rmsNorm(v, w, 1e-5) : Composite.rmsNorm(v, w, 1e-5);
                }
                case 16: {
                    boolean log = coin();
                    note(log ? "logSoftmax" : "softmax");
                    return log ? Activations.logSoftmax(v) : Activations.softmax(v);
                }
                case 17: {
                    // A detached branch from a parameter outside GradCheck's inputs: it must get no gradient.
                    Var g = ghost(broadcastPartner(v.shape().dims()));
                    Var branch = Elementwise.sigmoid(g.scale(1.5)).detach();
                    boolean mul = coin();
                    note((mul ? "mul" : "add") + "(x, detach(sigmoid(ghost" + g.shape() + ")))");
                    return mul ? v.mul(branch) : v.add(branch);
                }
                case 19:
                    return attention(v);
                case 20: {
                    Var up = coin() ? v : leaf(v.shape().dims());
                    boolean fused = coin();
                    Var out = fused ? Activations.swiglu(v, up) : Composite.swiglu(v, up);
                    note((fused ? "swiglu" : "Composite.swiglu") + "(x, " + (up == v ? "x" : "leaf" + up.shape())
                            + ")");
                    return out;
                }
                case 21: {
                    // rope on x viewed as (1, H, T, D), D even.
                    if (r < 2 || v.dim(-1) % 2 != 0) return step(v);
                    int[] dims = v.shape().dims();
                    int t = v.dim(-2), d = v.dim(-1), h = (int) (v.shape().numel() / ((long) t * d));
                    boolean fused = coin();
                    Var x4 = v.reshape(1, h, t, d);
                    Var out = fused ? Attention.rope(x4, Fixtures.rope(t, d, 10000, DType.F64))
                            : Composite.rope(x4, Fixtures.rope(t, d, 10000, DType.F64));
                    note((fused ? "rope" : "Composite.rope") + " on (1, " + h + ", " + t + ", " + d + ")");
                    return out.reshape(dims);
                }
                default: {
                    // Division by a positive function of x (x used twice): x / (sigmoid(x) + 0.5).
                    note("x / (sigmoid(x) + 0.5)");
                    return v.div(Elementwise.addScalar(Elementwise.sigmoid(v), 0.5));
                }
            }
        }

        private Var binary(int op, Var a, Var b) {
            return switch (op) {
                case 0 -> a.add(b);
                case 1 -> a.sub(b);
                case 2 -> a.mul(b);
                default -> a.div(b);
            };
        }

        private Var matmul(Var v) {
            if (v.rank() < 2) {
                v = Views.unsqueeze(v, 0);
                note("unsqueeze(0)");
            }
            int r = v.rank(), m = v.dim(-2), k = v.dim(-1);
            switch (pick(4)) {
                case 0: {
                    Var b = leaf(new int[]{k, 1 + pick(3)});
                    note("matmul(x, leaf" + b.shape() + ")");
                    return v.matmul(b);
                }
                case 1: {
                    // A batched right operand whose batch dims broadcast with x's.
                    int[] batch = broadcastPartner(Arrays.copyOf(v.shape().dims(), r - 2));
                    int[] dims = Arrays.copyOf(batch, batch.length + 2);
                    dims[batch.length] = k;
                    dims[batch.length + 1] = 1 + pick(3);
                    Var b = leaf(dims);
                    note("matmul(x, leaf" + b.shape() + ")");
                    return v.matmul(b);
                }
                case 2: {
                    Var a = leaf(new int[]{1 + pick(3), m});
                    note("matmul(leaf" + a.shape() + ", x)");
                    return a.matmul(v);
                }
                default: {
                    note("matmul(x, x^T)");
                    return v.matmul(v.transpose(-1, -2));
                }
            }
        }

        /** Attention with x as the queries, viewed as (1, H, T, D); keys and values are leaves (1, G, S, D). */
        private Var attention(Var v) {
            if (v.rank() < 2) return step(v);
            int[] dims = v.shape().dims();
            int t = v.dim(-2), d = v.dim(-1), h = (int) (v.shape().numel() / ((long) t * d));
            int g = coin() ? h : 1;
            boolean causal = coin();
            int s = causal ? t + pick(2) : 1 + pick(3);  // causal: S >= T, so every query sees a key
            int window = causal && coin() ? 1 + pick(2) : 0;
            Var k = leaf(new int[]{1, g, s, d});
            Var val = leaf(new int[]{1, g, s, d});
            double scale = 1 / Math.sqrt(d);
            boolean fused = coin();
            Var q = v.reshape(1, h, t, d);
            Var out = fused ? Attention.attention(q, k, val, scale, causal, window)
                    : Composite.attention(q, k, val, scale, causal, window);
            note((fused ? "attention" : "Composite.attention") + "(q (1, " + h + ", " + t + ", " + d + "), k/v "
                    + k.shape() + (causal ? ", causal, window " + window : "") + ")");
            return out.reshape(dims);
        }

        /** Scales x back to |x| <= LIMIT (the factor is decided when recording). */
        private Var tame(Var v) {
            double factor = decide(recording() ? tameFactor(v.value()) : 0);
            if (factor == 1) return v;
            note(String.format("scale(%.3g) to |x| <= %s", factor, LIMIT));
            return v.scale(factor);
        }

        private static double l1Factor(Tensor t) {
            double sum = 0;
            for (long e = 0; e < t.numel(); e++) sum += Math.abs(t.readDouble(t.offsetOf(e)));
            return sum > FINAL_L1 ? FINAL_L1 / sum : 1;
        }

        private static double tameFactor(Tensor t) {
            double max = 0;
            for (long e = 0; e < t.numel(); e++) max = Math.max(max, Math.abs(t.readDouble(t.offsetOf(e))));
            return max > LIMIT ? LIMIT / max : 1;
        }

        /** A slice along the largest axis, to keep GradCheck cheap. */
        private Var shrink(Var v) {
            while (v.shape().numel() > MAX_NUMEL) {
                int axis = 0;
                for (int a = 1; a < v.rank(); a++) if (v.dim(a) > v.dim(axis)) axis = a;
                int keep = v.dim(axis) / 2;
                note("slice(" + axis + ", 0, " + keep + ")");
                v = Views.slice(v, axis, 0, keep);
            }
            return v;
        }

        private Var finish(Var v) {
            // The finite difference's rounding error grows with |f| (about 2.2e-16 |f| / EPS per evaluation, more
            // over a sum of many terms): keep sum |x| <= FINAL_L1, so that |f| stays well inside what ATOL covers.
            double factor = decide(recording() ? l1Factor(v.value()) : 0);
            if (factor != 1) {
                note(String.format("scale(%.3g) to sum |x| <= %s", factor, FINAL_L1));
                v = v.scale(factor);
            }
            note("x" + v.shape());
            switch (pick(5)) {
                case 0:
                    note("sum");
                    return v.sum();
                case 1:
                    note("mean");
                    return v.mean();
                case 2:
                    note("project");
                    return Fixtures.project(v);
                case 3: {
                    int vocab = v.dim(-1);
                    int rows = (int) (v.shape().numel() / vocab);
                    int[] targets = new int[rows];
                    for (int i = 0; i < rows; i++) targets[i] = pick(vocab);
                    if (rows > 1 && coin()) targets[pick(rows)] = Losses.IGNORE_INDEX;
                    boolean sum = coin();
                    note("crossEntropy(" + (sum ? "sum" : "mean") + ", targets " + Arrays.toString(targets) + ")");
                    Tensor t = Tensor.of(targets, v.shape().dropLast(1).dims());
                    return Losses.crossEntropy(v, t, Losses.IGNORE_INDEX,
                            sum ? Losses.Reduction.SUM : Losses.Reduction.MEAN);
                }
                default: {
                    double temperature = uniform(0.5, 2);
                    note(String.format("klDivergence(T %.3f)", temperature));
                    Tensor teacher = Fixtures.f64(seed * 13 + 5, v.shape().dims());
                    return Losses.klDivergence(v, teacher, temperature);
                }
            }
        }

        // ------------------------------------------------------------ shapes

        /** A shape that broadcasts with dims: some axes 1, x's size-1 axes widened, leading axes dropped or added. */
        int[] broadcastPartner(int[] dims) {
            int[] out = new int[dims.length];
            for (int i = 0; i < dims.length; i++) {
                out[i] = dims[i] == 1 ? 1 + pick(3) : (pick(3) == 0 ? 1 : dims[i]);
            }
            int drop = pick(dims.length + 1);
            if (pick(4) == 0 && dims.length < 4) {
                int[] grown = new int[dims.length + 1];
                grown[0] = 1 + pick(2);
                System.arraycopy(out, 0, grown, 1, dims.length);
                return grown;
            }
            return Arrays.copyOfRange(out, Math.min(drop, pick(2) == 0 ? drop : 0), out.length);
        }

        static boolean broadcasts(int[] a, int[] b) {
            for (int i = 1; i <= Math.min(a.length, b.length); i++) {
                int x = a[a.length - i], y = b[b.length - i];
                if (x != y && x != 1 && y != 1) return false;
            }
            return true;
        }

        int[] randomFactorization(int n) {
            int rank = 1 + pick(3);
            int[] dims = new int[rank];
            Arrays.fill(dims, 1);
            for (int p = 2; n > 1; ) {
                if (n % p == 0) {
                    dims[pick(rank)] *= p;
                    n /= p;
                } else {
                    p++;
                }
            }
            return dims;
        }

        /** An axis of a rank-r shape, sometimes counted from the end (negative). */
        int axis(int r) {
            int a = pick(r);
            return coin() ? a - r : a;
        }

        int[] permutation(int r) {
            int[] order = new int[r];
            for (int i = 0; i < r; i++) order[i] = i;
            for (int i = r - 1; i > 0; i--) {
                int j = pick(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            return order;
        }

        private static double minRowRms(Tensor t) {
            int c = t.dim(-1);
            long rows = t.numel() / c;
            double min = Double.POSITIVE_INFINITY;
            for (long row = 0; row < rows; row++) {
                double s = 0;
                for (int j = 0; j < c; j++) {
                    double x = t.readDouble(t.offsetOf(row * c + j));
                    s += x * x;
                }
                min = Math.min(min, Math.sqrt(s / c));
            }
            return min;
        }
    }
}
