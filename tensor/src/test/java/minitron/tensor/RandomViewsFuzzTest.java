package minitron.tensor;

import static minitron.tensor.KernelChecks.EXACT;
import static minitron.tensor.KernelChecks.F32_ATOL;
import static minitron.tensor.KernelChecks.F32_RTOL;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Seeded random cases: the Vector API backend against the scalar reference (the specification) on inputs that are
 * random views. Each case picks one op, builds its inputs as views of random storage (heap, a heap array from an
 * element past 0, off-heap memory at an unaligned byte, memory confined to the test thread) through a random chain
 * of reshape, select (steps), slice (start offsets), permute (transposes), and expand (size-1 and new leading axes),
 * with sizes around the vector width and the kernels' blocks, 0-size axes where the op allows them, and a random
 * pool size (1-3 threads); then runs the op through {@link Ops} on both backends and compares every output with the
 * tolerance the op's own test uses (KernelChecks' EXACT and F32 constants, MatmulTest's accumulation tolerance).
 * Where an output is a sum whose terms cancel or whose rounding errors need not be independent (reductions, the
 * softmax and RMSNorm backwards, attention, products), random views reach far beyond those tests' inputs (an
 * expanded q or k repeats one rounding error in every term; a row of one column makes rmsNorm's dx a difference of
 * two near-equal terms; a and b expanded along K make every product of a matmul the same value), so the tolerance
 * gets a per-element worst-case rounding bound, derived in its method from the magnitudes of the terms
 * ({@link #sumBound}): added to the op's tolerance, or for products in place of it where larger.
 * Memory outside the views holds NaN or large values, so a kernel that reads past a view shows it; inputs must come
 * back unchanged.
 *
 * <p>A few cases per op are invalid on purpose (a shape, dtype, rank, axis, id or mask that the op must refuse):
 * both backends must then throw a {@link TensorException} whose message names the op ("op: expected ..., got ..."),
 * the same message on both.
 *
 * <p>A failure prints the seed, the case index (to rerun it alone), the op and its parameters, every input's dtype,
 * shape, strides, offset, storage and view chain, and the first differing values. Defaults: {@value #DEFAULT_CASES}
 * cases from a fixed seed (a few seconds); {@code -Dfuzz.cases=N -Dfuzz.seed=S} for a longer search,
 * {@code -Dfuzz.case=I} to run case I alone.
 */
class RandomViewsFuzzTest {
    private static final int DEFAULT_CASES = 600;
    private static final long SEED = Long.getLong("fuzz.seed", 20261129L);
    private static final int CASES = Integer.getInteger("fuzz.cases", DEFAULT_CASES);
    private static final int ONLY_CASE = Integer.getInteger("fuzz.case", -1);
    private static final int REPORTED = Integer.getInteger("fuzz.report", 8);

    /** The share of cases made invalid on purpose (each op draws its own kind of invalid input). */
    private static final double INVALID = 0.08;

    /**
     * Sizes around the F32 vector width (16 lanes with AVX-512, 8 with AVX2) and its multiples: 1, odd sizes,
     * L - 1, L, L + 1, 2L +- 1, 4L +- 1; {@link #LARGE_SIZES} past the kernels' loop unrolling and blocks.
     */
    private static final int[] SIZES = {1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65};
    private static final int[] LARGE_SIZES = {100, 127, 128, 129, 255, 257};
    /** Batch-like sizes (batch, heads). */
    private static final int[] SMALL = {1, 1, 2, 3, 4};
    /** Last-axis sizes of the row ops (softmax family, RMSNorm, losses): the sizes their tests use, up to 100. */
    private static final int[] ROW_SIZES = {1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100};
    /** The special values of ElementwiseTest#unaryHandlesSpecialValues. */
    private static final double[] SPECIALS = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.0, -0.0,
            100, -100, 1e-30};

    /** The unit roundoff of F32: one correctly rounded F32 operation errs by at most 2^-24 of its exact result. */
    private static final double U = 0x1p-24;

    /**
     * The rounding bound of an F32 sum of n terms against the reference, which sums in F64 and rounds once: in any
     * order (vector lanes, then across them) the kernel makes at most n - 1 additions of two non-zero partial sums
     * (additions of the zero lanes it starts from are exact), each partial sum is at most sum|x| in magnitude, and each
     * addition rounds by at most U of it; the reference's final rounding is one more: n * U * sum|x| (Higham, Accuracy
     * and Stability of Numerical Algorithms, 2nd ed., section 4.2, the bound for any order of summation). n + 1
     * covers the reference's own F64 error (n * 2^-53 * sum|x|). Terms that are products rounded once (or fused in
     * an FMA) add U * sum|x| more: {@code sumBound(n + 1, ...)}.
     */
    static double sumBound(long n, double sumAbs) {
        return n == 0 ? 0 : (n + 1) * U * sumAbs;
    }

    /** The reference backend, for the bounds computed from the inputs (in F64). */
    private static final Ops REF = Ops.of(Backends.scalar());

    /** A contiguous F64 copy of t. */
    private static Tensor f64(Tensor t) {
        Tensor out = Tensor.zeros(DType.F64, t.shape());
        REF.copyInto(t, out);
        return out;
    }

    private static Tensor abs64(Tensor t) {
        return REF.unary(UnaryOp.ABS, f64(t));
    }

    /** F32_ATOL + the per-element bound: the op's own F32 tolerance plus the rounding of terms that cancel. */
    private static Tensor plusF32Atol(Tensor bound) {
        return REF.addScalar(bound, F32_ATOL);
    }

    // ------------------------------------------------------------------ the test

    @Test
    void vectorBackendMatchesTheScalarReferenceOnRandomViews() {
        Backend vector = Backends.vector();
        assumeTrue(vector != null, Backends.vectorUnavailableReason());
        int savedThreads = Parallel.threads();
        Backend savedCpu = Backends.cpu();
        Map<Op, int[]> counts = new EnumMap<>(Op.class); // per op: cases, invalid ones, failures
        List<String> failures = new ArrayList<>();
        long start = System.nanoTime();
        int ran = 0;
        try {
            for (int i = 0; i < CASES; i++) {
                if (ONLY_CASE >= 0 && i != ONLY_CASE) continue;
                ran++;
                String failure = runCase(i, vector, counts);
                if (failure != null) failures.add(failure);
            }
        } finally {
            Parallel.setThreads(savedThreads);
            Backends.setCpu(savedCpu);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        StringBuilder summary = new StringBuilder(String.format(
                "RandomViewsFuzzTest: seed %d, %d cases in %.1f s, %d failed; per op (cases / invalid / failed):",
                SEED, ran, seconds, failures.size()));
        counts.forEach((op, n) -> summary.append(' ').append(op).append(' ').append(n[0]).append('/').append(n[1])
                .append('/').append(n[2]));
        System.out.println(summary);
        if (!failures.isEmpty()) {
            StringBuilder message = new StringBuilder(failures.size() + " of " + ran + " cases failed (seed " + SEED
                    + "); the first " + Math.min(REPORTED, failures.size()) + ":");
            for (String f : failures.subList(0, Math.min(REPORTED, failures.size()))) message.append("\n\n").append(f);
            fail(message.toString());
        }
    }

    private static long caseSeed(int index) {
        return SEED * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L;
    }

    private static String runCase(int index, Backend vector, Map<Op, int[]> counts) {
        SplittableRandom r = new SplittableRandom(caseSeed(index));
        Op op = Op.pick(r);
        int threads = 1 + r.nextInt(3);
        int[] count = counts.computeIfAbsent(op, o -> new int[3]);
        count[0]++;
        try (Arena confined = Arena.ofConfined()) {
            Case c;
            try {
                c = op.builder.apply(new Gen(r, confined));
            } catch (RuntimeException | AssertionError e) {
                count[2]++;
                return "seed " + SEED + " case " + index + " (" + op + "): building the inputs threw " + trace(e);
            }
            if (c.refusal != null) count[1]++;
            List<byte[]> before = new ArrayList<>();
            for (Built b : c.inputs) before.add(b.container().data().toArray(ValueLayout.JAVA_BYTE));
            Outcome expected = execute(c, Backends.scalar(), threads);
            Outcome actual = execute(c, vector, threads);
            String problem = judge(c, expected, actual);
            for (int i = 0; i < c.inputs.size() && problem == null; i++) {
                Built b = c.inputs.get(i);
                long at = b.container().data().mismatch(MemorySegment.ofArray(before.get(i)));
                if (at >= 0) problem = "input " + b.name() + " was written to (its storage differs at byte " + at + ")";
            }
            if (problem == null) return null;
            count[2]++;
            return header(index, threads, c) + "\n" + problem;
        }
    }

    /** What one backend made of a case: its outputs by name, or what it threw. */
    private record Outcome(Map<String, Tensor> results, Throwable error) {
    }

    /**
     * Runs the case on {@code backend}, which is also made the default CPU backend meanwhile: the copies that views
     * make (a reshape of a non-contiguous tensor) then run on it too, so the reference run is the scalar backend alone.
     */
    private static Outcome execute(Case c, Backend backend, int threads) {
        Backend cpu = Backends.cpu();
        Backends.setCpu(backend);
        Parallel.setThreads(threads);
        try {
            return new Outcome(c.run.apply(Ops.of(backend)), null);
        } catch (Throwable t) {
            return new Outcome(null, t);
        } finally {
            Backends.setCpu(cpu);
        }
    }

    private static String judge(Case c, Outcome expected, Outcome actual) {
        if (c.refusal != null) {
            String problems = refusalProblem(c.refusal, "scalar", expected.error())
                    + refusalProblem(c.refusal, "vector", actual.error());
            if (!problems.isEmpty()) return "invalid input not refused as expected:" + problems;
            if (!expected.error().getMessage().equals(actual.error().getMessage())) {
                return "the backends refused with different messages:\n  scalar: " + expected.error().getMessage()
                        + "\n  vector: " + actual.error().getMessage();
            }
            return null;
        }
        if (expected.error() != null || actual.error() != null) {
            return "an exception on a valid input:\n  scalar: "
                    + (expected.error() == null ? "returned normally" : trace(expected.error()))
                    + "\n  vector: " + (actual.error() == null ? "returned normally" : trace(actual.error()));
        }
        StringBuilder problems = new StringBuilder();
        for (Map.Entry<String, Tol> e : c.tolerances.entrySet()) {
            String name = e.getKey();
            Tol tol = e.getValue();
            Tensor want = expected.results().get(name), got = actual.results().get(name);
            if (want.dtype() != got.dtype()) {
                problems.append("\n  ").append(name).append(": dtype ").append(got.dtype()).append(", expected ")
                        .append(want.dtype());
            }
            try {
                String what = name + " (vector vs scalar)";
                if (tol.perElement() != null) {
                    TensorAssert.assertClose(want, got, tol.perElement(), tol.rtol(), what);
                } else {
                    TensorAssert.assertClose(want, got, tol.atol(), tol.rtol(), what);
                }
            } catch (AssertionError err) {
                problems.append("\n  ").append(err.getMessage());
            }
        }
        return problems.isEmpty() ? null : problems.substring(3);
    }

    /** "" when {@code error} is a TensorException that names {@code op} ("op: expected ..., got ..."). */
    private static String refusalProblem(String op, String backend, Throwable error) {
        if (error == null) return "\n  " + backend + " accepted it";
        if (!(error instanceof TensorException)) return "\n  " + backend + " threw " + trace(error);
        String m = error.getMessage();
        if (!m.startsWith(op + ": expected ") || !m.contains(", got ")) {
            return "\n  " + backend + " refused it without naming " + op + ": " + m;
        }
        return "";
    }

    private static String header(int index, int threads, Case c) {
        StringBuilder sb = new StringBuilder("seed ").append(SEED).append(" case ").append(index)
                .append(" (rerun alone: -Dfuzz.seed=").append(SEED).append(" -Dfuzz.case=").append(index).append("): ")
                .append(c.op);
        if (!c.note.isEmpty()) sb.append(" [").append(c.note).append(']');
        sb.append(", ").append(threads).append(threads == 1 ? " thread" : " threads");
        if (c.refusal != null) sb.append(", invalid on purpose: must be refused by ").append(c.refusal);
        for (Built b : c.inputs) sb.append("\n  ").append(b.describe());
        for (Built b : c.written) sb.append("\n  ").append(b.describe()).append(" (written by the op)");
        return sb.toString();
    }

    private static String trace(Throwable t) {
        StringBuilder sb = new StringBuilder(t.toString());
        StackTraceElement[] frames = t.getStackTrace();
        for (int i = 0; i < Math.min(8, frames.length); i++) sb.append("\n      at ").append(frames[i]);
        if (t.getCause() != null) sb.append("\n    caused by ").append(t.getCause());
        return sb.toString();
    }

    // ------------------------------------------------------------------ cases

    /** An output's tolerance: atol (or an atol per element, when not null) + rtol * |expected|. */
    private record Tol(double atol, double rtol, Tensor perElement) {
    }

    /** One random case: its inputs (for the report and the unchanged check), the op, and each output's tolerance. */
    private static final class Case {
        final String op;
        final List<Built> inputs = new ArrayList<>();
        /** Views the op writes into (copyInto's destination): reported, not checked for being unchanged. */
        final List<Built> written = new ArrayList<>();
        /** Every output of {@link #run} by name, and its tolerance. */
        final Map<String, Tol> tolerances = new LinkedHashMap<>();
        Function<Ops, Map<String, Tensor>> run;
        /** For an invalid case, the op name its TensorException must start with. */
        String refusal;
        String note = "";

        Case(String op, Built... inputs) {
            this.op = op;
            this.inputs.addAll(Arrays.asList(inputs));
        }

        Case tolerate(String output, double atol, double rtol) {
            tolerances.put(output, new Tol(atol, rtol, null));
            return this;
        }

        Case tolerate(String output, Tensor atolPerElement, double rtol) {
            tolerances.put(output, new Tol(0, rtol, atolPerElement));
            return this;
        }

        Case f32(String... outputs) {
            for (String o : outputs) tolerate(o, F32_ATOL, F32_RTOL);
            return this;
        }

        Case exact(String... outputs) {
            for (String o : outputs) tolerate(o, EXACT, EXACT);
            return this;
        }
    }

    private enum Op {
        UNARY(8, RandomViewsFuzzTest::unary),
        BINARY(9, RandomViewsFuzzTest::binary),
        REDUCE(7, RandomViewsFuzzTest::reduce),
        ARGMAX(4, RandomViewsFuzzTest::argmax),
        SOFTMAX(5, g -> softmax(g, false)),
        LOG_SOFTMAX(5, g -> softmax(g, true)),
        SOFTMAX_BACKWARD(3, g -> softmaxBackward(g, false)),
        LOG_SOFTMAX_BACKWARD(3, g -> softmaxBackward(g, true)),
        RMS_NORM(4, g -> rmsNorm(g, false)),
        RMS_NORM_BACKWARD(3, g -> rmsNorm(g, true)),
        ROPE(4, RandomViewsFuzzTest::rope),
        SWIGLU(3, g -> swiglu(g, false)),
        SWIGLU_BACKWARD(3, g -> swiglu(g, true)),
        EMBEDDING(4, g -> embedding(g, false)),
        EMBEDDING_BACKWARD(3, g -> embedding(g, true)),
        MATMUL(10, RandomViewsFuzzTest::matmul),
        LINEAR(4, RandomViewsFuzzTest::linear),
        ATTENTION(6, g -> attention(g, false)),
        ATTENTION_BACKWARD(5, g -> attention(g, true)),
        CROSS_ENTROPY(4, g -> crossEntropy(g, false)),
        CROSS_ENTROPY_BACKWARD(3, g -> crossEntropy(g, true)),
        KL(3, g -> kl(g, false)),
        KL_BACKWARD(3, g -> kl(g, true)),
        COPY(5, RandomViewsFuzzTest::copy);

        final int weight;
        final Function<Gen, Case> builder;

        Op(int weight, Function<Gen, Case> builder) {
            this.weight = weight;
            this.builder = builder;
        }

        static Op pick(SplittableRandom r) {
            int total = 0;
            for (Op op : values()) total += op.weight;
            int x = r.nextInt(total);
            for (Op op : values()) {
                x -= op.weight;
                if (x < 0) return op;
            }
            throw new AssertionError();
        }
    }

    // ------------------------------------------------------------------ elementwise

    private static Case unary(Gen g) {
        UnaryOp op = g.pick(UnaryOp.values());
        boolean invalid = g.chance(INVALID);
        Values values = switch (op) { // the domains of ElementwiseTest
            case LOG, SQRT, RSQRT, RECIPROCAL -> i -> 0.05 + 4 * g.r.nextDouble();
            default -> g.uniform(6);
        };
        if (g.chance(0.15)) values = g.specials(values, 0.25);
        Built x = g.view("x", invalid ? DType.I32 : g.floatType(), g.elementwiseDims(), values, true);
        Case c = new Case("unary " + op, x);
        if (invalid) c.refusal = op.name().toLowerCase();
        c.run = ops -> Map.of("out", ops.unary(op, x.view()));
        return ElementwiseTest.CORRECTLY_ROUNDED.contains(op) ? c.exact("out") : c.f32("out");
    }

    private static Case binary(Gen g) {
        BinaryOp op = g.pick(BinaryOp.values());
        int[] out = g.elementwiseDims();
        int[] aDims = g.broadcastable(out), bDims = g.broadcastable(out);
        DType aType, bType;
        if (g.chance(0.1)) {
            aType = bType = DType.F64;
        } else {
            aType = g.floatType();
            bType = g.floatType();
        }
        String refusal = null;
        if (g.chance(INVALID)) {
            refusal = op.name().toLowerCase();
            if (g.r.nextBoolean()) {
                if (g.r.nextBoolean()) aType = DType.I32;
                else bType = DType.I32;
            } else {
                aDims = out;
                bDims = g.clash(out);
                if (broadcasts(aDims, bDims)) { // out has no size other than 1
                    aDims = new int[]{2};
                    bDims = new int[]{3};
                }
            }
        }
        Values a = op == BinaryOp.POW ? i -> 0.1 + g.r.nextDouble() : g.uniform(g.pickDouble(1.0, 6.0, 1000.0));
        Values b = op == BinaryOp.POW ? g.uniform(2) : g.uniform(g.pickDouble(1.0, 6.0, 1000.0));
        if (op != BinaryOp.POW && g.chance(0.1)) {
            a = g.specials(a, 0.2);
            b = g.specials(b, 0.2);
        }
        Built left = g.view("a", aType, aDims, a, true), right = g.view("b", bType, bDims, b, true);
        double s = g.pickDouble(-2.5, 0.5, 3.0, 1e-3);
        int variant = refusal == null && (op == BinaryOp.MUL || op == BinaryOp.ADD) && g.chance(0.25) ? 1 : 0;
        Case c = new Case("binary " + op + (variant == 1 ? (op == BinaryOp.MUL ? " scale" : " addScalar") : ""),
                left, right);
        if (variant == 1) {
            c.inputs.remove(right);
            c.note = "s = " + s;
            c.run = ops -> Map.of("out", op == BinaryOp.MUL ? ops.scale(left.view(), s) : ops.addScalar(left.view(), s));
        } else {
            c.run = ops -> Map.of("out", ops.binary(op, left.view(), right.view()));
        }
        c.refusal = refusal;
        return op == BinaryOp.POW ? c.f32("out") : c.exact("out");
    }

    private static Case swiglu(Gen g, boolean backward) {
        int[] dims = g.elementwiseDims();
        String name = backward ? "swigluBackward" : "swiglu";
        int[] upDims = dims;
        String refusal = null;
        if (g.chance(INVALID)) {
            refusal = name;
            upDims = g.clash(dims);
        }
        // the scales of ElementwiseTest#swigluAndBackwardMatchScalar
        Built gate = g.view("gate", g.floatType(), dims, g.uniform(8), true);
        Built up = g.view("up", g.floatType(), upDims, g.uniform(1), true);
        Case c;
        if (backward) {
            Built dy = g.view("dy", g.floatType(), dims, g.uniform(1), true);
            c = new Case(name, gate, up, dy).f32("dgate", "dup");
            c.run = ops -> {
                Ops.SwigluGrads grads = ops.swigluBackward(gate.view(), up.view(), dy.view());
                return Map.of("dgate", grads.dgate(), "dup", grads.dup());
            };
        } else {
            c = new Case(name, gate, up).f32("out");
            c.run = ops -> Map.of("out", ops.swiglu(gate.view(), up.view()));
        }
        c.refusal = refusal;
        return c;
    }

    private static Case copy(Gen g) {
        int[] dims = g.elementwiseDims();
        DType type = g.chance(0.1) ? DType.I32 : g.floatType();
        Values values = type == DType.I32 ? i -> g.r.nextInt(-1000, 1000) : g.specials(g.uniform(3), 0.05);
        int variant = g.r.nextInt(10);
        if (variant < 3) {
            Built src = g.view("src", type, dims, values, true);
            Case c = new Case("contiguous", src).exact("out");
            c.run = ops -> Map.of("out", ops.contiguous(src.view()));
            return c;
        }
        if (variant < 7 || dims.length == 0) {
            boolean invalid = g.chance(INVALID);
            Built src = g.view("src", type, invalid ? g.clash(dims) : dims, values, true);
            DType dstType = type == DType.I32 || g.r.nextBoolean() ? type : g.floatType();
            // the destination twice, identical (one per backend): the same random choices from the same seed
            long seed = g.r.nextLong();
            Gen first = g.fork(seed), second = g.fork(seed);
            Built dstScalar = first.view("dst", dstType, dims, first.uniform(1), false);
            Built dstVector = second.view("dst", dstType, dims, second.uniform(1), false);
            Case c = new Case("copyInto", src).exact("dst storage");
            c.written.add(dstScalar);
            if (invalid) c.refusal = "copy";
            c.run = ops -> {
                Built dst = ops.backend() == Backends.scalar() ? dstScalar : dstVector;
                ops.copyInto(src.view(), dst.view());
                return Map.of("dst storage", dst.container());
            };
            return c;
        }
        int axis = g.r.nextInt(dims.length);
        int parts = 1 + g.r.nextInt(4);
        Built[] views = new Built[parts];
        String refusal = null;
        int bad = g.chance(INVALID) ? g.r.nextInt(parts) : -1;
        for (int p = 0; p < parts; p++) {
            int[] d = dims.clone();
            d[axis] = g.size(true);
            DType t = type;
            if (p == bad) {
                refusal = "concat";
                if (g.r.nextBoolean() || dims.length < 2) {
                    t = type == DType.I32 ? DType.F32 : type == DType.F32 ? DType.BF16 : DType.F32;
                    if (parts == 1) refusal = null; // one part has nothing to disagree with
                } else {
                    int other = (axis + 1 + g.r.nextInt(dims.length - 1)) % dims.length;
                    d[other] = d[other] + 1;
                    if (parts == 1) refusal = null;
                }
            }
            views[p] = g.view("part" + p, t, d, values, true);
        }
        Case c = new Case("concat", views).exact("out");
        c.note = "axis " + axis;
        c.refusal = refusal;
        c.run = ops -> {
            Tensor[] ts = new Tensor[parts];
            for (int p = 0; p < parts; p++) ts[p] = views[p].view();
            return Map.of("out", ops.concat(axis, ts));
        };
        return c;
    }

    // ------------------------------------------------------------------ reductions

    private static Case reduce(Gen g) {
        ReduceOp op = g.pick(ReduceOp.values());
        String name = op.name().toLowerCase();
        int rank = 1 + g.r.nextInt(4);
        int[] dims = g.chance(0.08) ? g.bigDims(rank) : g.dims(rank, true, 4096);
        int axis = g.r.nextInt(-rank, rank);
        boolean keepDim = g.r.nextBoolean();
        String refusal = null;
        if (g.chance(INVALID)) {
            refusal = name;
            axis = g.r.nextBoolean() ? rank + g.r.nextInt(2) : -rank - 1 - g.r.nextInt(2);
        } else if (op == ReduceOp.MAX && dims[Math.floorMod(axis, rank)] == 0) {
            refusal = name; // no maximum of nothing
        }
        Values values = op == ReduceOp.MAX ? g.specials(g.uniform(10), g.chance(0.2) ? 0.1 : 0)
                : g.uniform(g.pickDouble(1.0, 10.0));
        Built x = g.view("x", g.floatType(), dims, values, true);
        Case c = new Case(name, x);
        c.note = "axis " + axis + (keepDim ? ", keepDim" : "");
        c.refusal = refusal;
        int a = axis;
        c.run = ops -> Map.of("out", ops.reduce(op, x.view(), a, keepDim));
        int n = dims[Math.floorMod(axis, rank)];
        // a maximum is one of the values, exactly; a sum or mean of nothing is 0 or NaN on both
        if (op == ReduceOp.MAX || refusal != null || n == 0) return c.exact("out");
        // each output within sumBound(n, sum |x| along the axis); a mean is that sum / n, rounded once more on each
        // side (2 U |mean| <= 2 U sum|x| / n, covered by taking the bound of n + 2 terms)
        Tensor sumAbs = REF.sum(abs64(x.view()), a, keepDim);
        return c.tolerate("out", REF.scale(sumAbs, op == ReduceOp.MEAN ? sumBound(n + 1, 1) / n : sumBound(n, 1)), 0);
    }

    private static Case argmax(Gen g) {
        int rank = 1 + g.r.nextInt(4);
        int[] dims = g.dims(rank, true, 4096);
        int axis = g.r.nextInt(-rank, rank);
        String refusal = null;
        if (g.chance(INVALID)) {
            axis = g.r.nextBoolean() ? rank + g.r.nextInt(2) : -rank - 1 - g.r.nextInt(2);
            refusal = "argmax";
        } else if (dims[Math.floorMod(axis, rank)] == 0) {
            refusal = "argmax";
        }
        // ties (few distinct values, more so in BF16/F16), NaN, infinities and signed zeros
        Values values = g.r.nextBoolean() ? i -> Math.round(3 * g.r.nextDouble(-1, 1)) : g.uniform(5);
        Built x = g.view("x", g.floatType(), dims, g.specials(values, g.chance(0.3) ? 0.1 : 0), true);
        Case c = new Case("argmax", x).exact("out");
        c.note = "axis " + axis;
        c.refusal = refusal;
        int a = axis;
        c.run = ops -> Map.of("out", ops.argmax(x.view(), a));
        return c;
    }

    // ------------------------------------------------------------------ softmax family

    /** Dims of rank 1-4 for a row op: the last from {@link #ROW_SIZES}, the others possibly 0. */
    private static int[] rowDims(Gen g, int minRank, int maxRank) {
        int rank = minRank + g.r.nextInt(maxRank - minRank + 1);
        int[] dims = g.dims(rank, true, 4096);
        if (rank > 0) {
            dims[rank - 1] = g.pickInt(ROW_SIZES);
            g.fit(dims, 4096, rank - 1);
        }
        return dims;
    }

    private static Case softmax(Gen g, boolean log) {
        String name = log ? "logSoftmax" : "softmax";
        int[] dims = rowDims(g, 1, 4);
        String refusal = null;
        if (g.chance(INVALID)) {
            refusal = name;
            if (g.r.nextBoolean()) dims = new int[0];
            else dims[dims.length - 1] = 0;
        }
        // large logits (the shift by the row max matters), and -infinity (probability 0; a row of them is NaN)
        double scale = g.pickDouble(1.0, 5.0, 30.0, 1e3, 1e4, 1e6);
        Built x = g.view("x", g.floatType(), dims, g.logits(scale, g.pickDouble(0.0, 0.0, 0.1, 0.6)), true);
        Case c = new Case(name, x).f32("out");
        c.note = "logits scale " + scale;
        c.refusal = refusal;
        c.run = ops -> Map.of("out", log ? ops.logSoftmax(x.view()) : ops.softmax(x.view()));
        return c;
    }

    private static Case softmaxBackward(Gen g, boolean log) {
        String name = log ? "logSoftmaxBackward" : "softmaxBackward";
        int[] dims = rowDims(g, 1, 4);
        int[] dyDims = dims;
        String refusal = null;
        if (g.chance(INVALID)) {
            refusal = name;
            if (g.r.nextBoolean()) {
                dims = dyDims = new int[0]; // the backward of a softmax over no axis
            } else {
                dyDims = g.clash(dims);
            }
        }
        // y as the forward makes it: the reference (log-)softmax of random logits, then laid out as a random view
        Ops ref = Ops.of(Backends.scalar());
        DType yType = g.chance(0.15) ? DType.F64 : DType.F32;
        Tensor logits = Tensor.zeros(yType, dims);
        double scale = g.pickDouble(1.0, 5.0, 30.0);
        for (long i = 0; i < logits.numel(); i++) logits.writeDouble(i, g.r.nextDouble(-1, 1) * scale);
        double[] y = dims.length == 0 ? logits.toDoubleArray()
                : (log ? ref.logSoftmax(logits) : ref.softmax(logits)).toDoubleArray();
        Built yv = g.view("y", yType, dims, i -> y[(int) i], false);
        Built dy = g.view("dy", g.floatType(), dyDims, g.uniform(1), true);
        Case c = new Case(name, yv, dy).f32("dx");
        c.refusal = refusal;
        if (refusal == null) c.tolerate("dx", softmaxBackwardBound(yv.view(), dy.view(), log), F32_RTOL);
        c.run = ops -> Map.of("dx", log ? ops.logSoftmaxBackward(yv.view(), dy.view())
                : ops.softmaxBackward(yv.view(), dy.view()));
        return c;
    }

    /**
     * The softmax backward's F32 tolerance plus the rounding of its cancelling terms, per element. softmax:
     * dx = y (dy - dot) with dot = sum_c y dy, a sum of C products within sumBound(C + 1, sum |y dy|), then a
     * subtraction and a product rounded once each: |error| <= (C + 4) U M with M = |y| (|dy| + sum |y dy|), and the
     * reference's own rounding, U M more. log-softmax: dx = dy - exp(y) s with s = sum_c dy within
     * sumBound(C, sum |dy|), exp within 2 ulp (4 U), a product and a subtraction: (C + 7) U M with
     * M = |dy| + exp(y) sum |dy|.
     */
    private static Tensor softmaxBackwardBound(Tensor y, Tensor dy, boolean log) {
        int cols = y.dim(-1);
        Tensor y64 = f64(y), ady = abs64(dy);
        Tensor m = log
                ? REF.add(ady, REF.mul(REF.unary(UnaryOp.EXP, y64), REF.sum(ady, -1, true)))
                : REF.mul(REF.unary(UnaryOp.ABS, y64),
                        REF.add(ady, REF.sum(REF.mul(REF.unary(UnaryOp.ABS, y64), ady), -1, true)));
        return plusF32Atol(REF.scale(m, (cols + (log ? 7 : 5)) * U));
    }

    // ------------------------------------------------------------------ RMSNorm, RoPE, SwiGLU, embedding

    private static Case rmsNorm(Gen g, boolean backward) {
        String name = backward ? "rmsNormBackward" : "rmsNorm";
        int[] dims = rowDims(g, 1, 4);
        int cols = dims[dims.length - 1];
        int wSize = cols;
        int[] dyDims = dims;
        String refusal = null;
        if (g.chance(INVALID)) {
            refusal = name;
            switch (g.r.nextInt(3)) {
                case 0 -> wSize = cols + 1;               // a weight of another size
                case 1 -> {                               // no axis to normalize over
                    dims = dyDims = new int[0];
                    wSize = 1;
                }
                default -> {
                    if (backward) {
                        dyDims = g.clash(dims);           // dy of another shape
                    } else {
                        dims = dyDims = dims.clone();     // an empty last axis
                        dims[dims.length - 1] = 0;
                        wSize = 0;
                    }
                }
            }
        }
        double eps = g.pickDouble(1e-5, 1e-6);
        DType xType = g.floatType();
        DType wType = xType == DType.F64 && g.r.nextBoolean() ? DType.F64 : g.pick(DType.F32, DType.BF16, DType.F16);
        Built x = g.view("x", xType, dims, g.uniform(g.pickDouble(1.0, 10.0)), true);
        Built w = g.view("weight", wType, new int[]{wSize}, g.uniform(1), true);
        Case c;
        if (backward) {
            Built dy = g.view("dy", g.floatType(), dyDims, g.uniform(1), true);
            c = new Case(name, x, w, dy).f32("dx");
            c.run = ops -> {
                Ops.RmsNormGrads grads = ops.rmsNormBackward(x.view(), w.view(), eps, dy.view());
                return Map.of("dx", grads.dx(), "dweight", grads.dweight());
            };
            if (refusal == null) {
                Tensor[] bounds = rmsNormBackwardBounds(x.view(), w.view(), dy.view(), eps);
                c.tolerate("dx", bounds[0], F32_RTOL).tolerate("dweight", bounds[1], F32_RTOL);
            } else {
                c.exact("dweight");
            }
        } else {
            c = new Case(name, x, w).f32("out");
            c.run = ops -> Map.of("out", ops.rmsNorm(x.view(), w.view(), eps));
        }
        c.note = "eps " + eps;
        c.refusal = refusal;
        return c;
    }

    /**
     * The F32 tolerance of rmsNormBackward plus the rounding of its cancelling terms, per element. With g = dy w,
     * r = 1 / rms(row), n = x r and S = sum_c |g n| (C columns, R rows):
     * <ul>
     *   <li>r: the sum of C squares within (C + 1) U relative (positive terms), its square root halves that, the
     *       division and the F32 cast add 2 U: d_r = (C / 2 + 2.5) U relative;</li>
     *   <li>dx = r (g - n mean), mean = sum_c g n / C: g rounded (U), the sum within sumBound(C + 1, S) / C, times r
     *       and / C (d_r + 2 U), n within d_r + U, two products, a subtraction, the factor r (d_r + U); collected:
     *       (C + 8) U + 3 d_r = (2.5 C + 15.5) U relative to M = r (|g| + |n| S / C), taken as (2.5 C + 17) U with
     *       the reference's own rounding;</li>
     *   <li>dweight[c] = sum over rows of dy n: sumBound(R, S_c) with S_c = sum_rows |dy n|, and each term's n
     *       within d_r + U: (R + C / 2 + 4.5) U S_c, taken as (R + C / 2 + 7) U S_c.</li>
     * </ul>
     */
    private static Tensor[] rmsNormBackwardBounds(Tensor x, Tensor w, Tensor dy, double eps) {
        int cols = x.dim(-1);
        long rows = x.numel() / cols;
        Tensor x64 = f64(x), dy64 = f64(dy);
        Tensor r = REF.unary(UnaryOp.RSQRT, REF.addScalar(REF.mean(REF.mul(x64, x64), -1, true), eps));
        Tensor n = REF.mul(x64, r), an = REF.unary(UnaryOp.ABS, n);
        Tensor ag = REF.unary(UnaryOp.ABS, REF.mul(dy64, f64(w)));
        Tensor s = REF.sum(REF.mul(ag, an), -1, true);
        Tensor m = REF.mul(r, REF.add(ag, REF.scale(REF.mul(an, s), 1.0 / cols)));
        Tensor dx = plusF32Atol(REF.scale(m, (2.5 * cols + 17) * U));
        Tensor sc = REF.sum(REF.unary(UnaryOp.ABS, REF.mul(dy64, n)).reshape(-1, cols), 0, false);
        Tensor dweight = plusF32Atol(REF.scale(sc, (rows + cols / 2.0 + 7) * U));
        return new Tensor[]{dx, dweight};
    }

    private static Case rope(Gen g) {
        int b = g.pickInt(SMALL), h = g.pickInt(SMALL), t = g.pickInt(1, 1, 2, 3, 5, 7, 16, 17, 33);
        int d = g.pickInt(2, 4, 6, 8, 16, 30, 32, 34, 62, 64, 66, 128);
        if (g.chance(0.05)) b = 0;
        if (g.chance(0.05)) t = 0;
        while ((long) b * h * t * d > 20_000) t = Math.max(1, t / 2);
        int xd = d, tableT = t;
        int[] xDims = {b, h, t, d};
        String refusal = null;
        if (g.chance(INVALID)) {
            refusal = "rope";
            switch (g.r.nextInt(3)) {
                case 0 -> xd = d + 1;               // an odd head dim
                case 1 -> tableT = t + 1;           // tables for other positions
                default -> xDims = new int[]{b * h, t, d}; // not (B, H, T, D)
            }
            if (xDims.length == 4) xDims = new int[]{b, h, t, xd};
        }
        int[] positions = new int[tableT];
        for (int i = 0; i < tableT; i++) positions[i] = g.r.nextInt(1 << 17);
        double theta = g.pickDouble(10_000.0, 500_000.0);
        DType computed = g.chance(0.2) ? DType.F64 : DType.F32;
        Ops.RopeTables tables = Ops.ropeTables(positions, Ops.ropeInverseFrequencies(d, theta), computed);
        DType tableType = g.chance(0.5) ? computed : g.pick(DType.BF16, DType.F16, DType.F32);
        double[] cos = tables.cos().toDoubleArray(), sin = tables.sin().toDoubleArray();
        Built cv = g.view("cos", tableType, new int[]{tableT, d}, i -> cos[(int) i], false);
        Built sv = g.view("sin", tableType, new int[]{tableT, d}, i -> sin[(int) i], false);
        Built x = g.view("x", g.floatType(), xDims, g.uniform(g.pickDouble(1.0, 8.0)), true);
        Case c = new Case("rope", x, cv, sv).f32("out");
        c.note = "theta " + theta + ", positions " + Arrays.toString(Arrays.copyOf(positions, Math.min(8, tableT)))
                + (tableT > 8 ? "..." : "");
        c.refusal = refusal;
        c.run = ops -> Map.of("out", ops.rope(x.view(), new Ops.RopeTables(cv.view(), sv.view())));
        return c;
    }

    private static Case embedding(Gen g, boolean backward) {
        String name = backward ? "embeddingBackward" : "embedding";
        int vocab = g.size(false), d = g.size(true);
        int[] idDims = g.chance(0.1) ? new int[]{g.r.nextInt(600, 3000)} // enough ids to split across threads
                : g.dims(g.r.nextInt(4), true, 64);
        int idRank = idDims.length;
        g.fit(idDims, Math.max(1, 60_000 / Math.max(1, d)), -1);
        long n = Shape.of(idDims).numel();
        int rowsOfGradient = backward ? vocab + g.r.nextInt(3) : vocab; // ids are drawn below vocab
        int limit = vocab, badAt = -1, badId = 0;
        DType idType = DType.I32;
        int[] tableDims = {vocab, d};
        int[] doutDims = Arrays.copyOf(idDims, idRank + 1);
        doutDims[idRank] = d;
        String refusal = null;
        if (g.chance(INVALID)) {
            refusal = name;
            int kind = g.r.nextInt(backward ? 4 : 3);
            if (kind == 3) {
                rowsOfGradient = -1 - g.r.nextInt(3);   // a negative vocabulary size
            } else if (kind == 0 && n > 0) {
                badAt = g.r.nextInt((int) n);
                badId = g.r.nextBoolean() ? rowsOfGradient + g.r.nextInt(3) : -1 - g.r.nextInt(3);
            } else if (kind == 1 && !backward) {
                idType = DType.F32;
            } else if (backward) {
                doutDims = Arrays.copyOf(idDims, idRank + 2); // not ids.shape + (D,)
                doutDims[idRank] = d;
                doutDims[idRank + 1] = 1;
            } else {
                tableDims = new int[]{vocab, d, 1};
            }
        }
        int at = badAt, wrong = badId, v = rowsOfGradient;
        // an id out of range must stay where it was written: no expanded axes then
        Built ids = g.view("ids", idType, idDims, i -> i == at ? wrong : g.r.nextInt(limit), at < 0);
        Case c;
        if (backward) {
            Built dout = g.view("dout", g.floatType(), doutDims, g.uniform(1), true);
            c = new Case(name, ids, dout).f32("dtable");
            c.note = "vocab " + v;
            c.run = ops -> Map.of("dtable", ops.embeddingBackward(ids.view(), dout.view(), v));
        } else {
            Built table = g.view("table", g.floatType(), tableDims, g.uniform(1), true);
            c = new Case(name, table, ids).exact("out");
            c.run = ops -> Map.of("out", ops.embedding(table.view(), ids.view()));
        }
        c.refusal = refusal;
        return c;
    }

    // ------------------------------------------------------------------ matmul

    /** M, K, N of a product: GEMV rows (<= 16), the register tile (6), the K block (512), the N block (256). */
    private static int[] mkn(Gen g) {
        int m = g.pickInt(1, 1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 16, 17, 31, 33, 64, 65);
        int k = g.size(false), n = g.size(false);
        if (g.chance(0.04)) m = 0;
        if (g.chance(0.04)) k = 0;
        if (g.chance(0.04)) n = 0;
        if (g.chance(0.08)) { // long rows: the BF16 GEMV's bursts, pairs and aligned copies of x; K blocks
            k = g.pickInt(513, 1025, 1030, 2049, 2051);
            m = Math.min(m, g.pickInt(1, 2, 3, 16));
            n = Math.min(n, 33);
        }
        if (g.chance(0.05)) n = g.pickInt(255, 257, 300); // past the N block
        return new int[]{m, k, n};
    }

    private static Case matmul(Gen g) {
        int[] mkn = mkn(g);
        int m = mkn[0], k = mkn[1], n = mkn[2];
        int[] batch = g.dims(g.r.nextInt(3), false, 6);
        for (int i = 0; i < batch.length; i++) batch[i] = Math.min(batch[i], 3);
        if (batch.length > 0 && g.chance(0.03)) batch[0] = 0;
        int[] aBatch = g.broadcastable(batch), bBatch = g.broadcastable(batch);
        while (Shape.of(batch).numel() * m * n * Math.max(1, k) > 1_500_000L) {
            if (n > 1) n = n / 2 + 1;
            else if (m > 1) m = m / 2 + 1;
            else k = k / 2;
        }
        DType aType = DType.F32, bType = g.pick(DType.F32, DType.F32, DType.BF16, DType.F16);
        if (g.chance(0.08)) aType = bType = DType.F64;
        int bk = k;
        int[] aMat = {m, k};
        String refusal = null;
        if (g.chance(INVALID)) {
            refusal = "matmul";
            switch (g.r.nextInt(5)) {
                case 0 -> bk = k + 1;
                case 1 -> aType = g.pick(DType.BF16, DType.F16);
                case 2 -> {
                    aType = g.pick(DType.F32, DType.F64);
                    bType = aType == DType.F64 ? DType.F32 : DType.F64;
                }
                case 3 -> aMat = new int[]{k};
                default -> {
                    int[] other = g.clash(batch);
                    if (broadcasts(batch, other)) {
                        bk = k + 1;
                    } else {
                        aBatch = batch;
                        bBatch = other;
                    }
                }
            }
        }
        int[] aDims = concat(aMat.length == 1 ? new int[0] : aBatch, aMat);
        int[] bDims = concat(bBatch, new int[]{bk, n});
        // entries in [-1, 1), what MatmulTest's accumulation tolerance assumes; b as an HF (out, in) weight W^T a
        // quarter of the time (the GEMV's transposed-contiguous layout when W is not sliced)
        Built a = g.view("a", aType, aDims, g.uniform(1), true);
        Built b = g.chance(0.25) ? g.weightTransposed("b", bType, bDims) : g.view("b", bType, bDims, g.uniform(1), true);
        Case c = new Case("matmul", a, b).tolerate("out", MatmulTest.accumulationTolerance(k), MatmulTest.RTOL);
        c.refusal = refusal;
        c.run = ops -> Map.of("out", ops.matmul(a.view(), b.view()));
        if (refusal == null) c.tolerate("out", productBound(REF.matmul(abs64(a.view()), abs64(b.view())), k), 0);
        return c;
    }

    /**
     * MatmulTest's accumulation tolerance, or the worst-case rounding bound of a product where that is larger.
     * MatmulTest's sqrt(K) growth assumes independent rounding errors; views with stride 0 along K (an expanded a
     * row and b column) make every product the same value, whose errors add up with one sign. Each of the K
     * products and at most K additions (FMA chains, K blocks, lane sums, tiles) rounds at most once, by at most
     * U of a partial sum bounded by M = sum_p |a_ip b_pj|: (2 K + 1) U M with the reference's final rounding.
     */
    private static Tensor productBound(Tensor m, int k) {
        Tensor floor = Tensor.of(new double[]{MatmulTest.accumulationTolerance(k)});
        return REF.binary(BinaryOp.MAX, REF.scale(m, (2.0 * k + 1) * U), floor);
    }

    private static Case linear(Gen g) {
        int[] mkn = mkn(g);
        int in = mkn[1], out = mkn[2];
        int[] lead = g.dims(g.r.nextInt(3), true, Math.max(1, 1_000_000 / Math.max(1L, (long) Math.max(1, in) * out)));
        DType xType = DType.F32, wType = g.pick(DType.F32, DType.BF16, DType.F16);
        if (g.chance(0.08)) xType = wType = DType.F64;
        int[] wDims = {out, in};
        String refusal = null;
        if (g.chance(INVALID)) {
            refusal = "linear";
            wDims = g.r.nextBoolean() ? new int[]{out, in + 1} : new int[]{1, out, in};
        }
        Built x = g.view("x", xType, concat(lead, new int[]{in}), g.uniform(1), true);
        Built w = g.view("weight", wType, wDims, g.uniform(1), true);
        Case c = new Case("linear", x, w).tolerate("out", MatmulTest.accumulationTolerance(in), MatmulTest.RTOL);
        c.refusal = refusal;
        c.run = ops -> Map.of("out", ops.linear(x.view(), w.view()));
        if (refusal == null) c.tolerate("out", productBound(REF.linear(abs64(x.view()), abs64(w.view())), in), 0);
        return c;
    }

    // ------------------------------------------------------------------ attention

    private static Case attention(Gen g, boolean backward) {
        String name = backward ? "attentionBackward" : "attention";
        int groups = g.pickInt(1, 1, 2, 3), perGroup = g.pickInt(1, 2, 3, 4, 6), batch = g.pickInt(1, 1, 2, 3);
        int heads = groups * perGroup;
        boolean causal = g.chance(0.75);
        int s = g.pickInt(1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 20, 23, 33, 35, 40, 47, 64, 70);
        int t = causal ? (g.chance(0.4) ? s : 1 + g.r.nextInt(s)) : g.pickInt(1, 2, 3, 4, 5, 8, 17, 33, 40);
        if (causal && g.chance(0.2)) t = Math.min(s, g.pickInt(1, 2, 3)); // decoding: the row-at-a-time path
        int d = g.pickInt(1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 40, 48, 64);
        if (g.chance(0.03)) d = 0;
        if (g.chance(0.03)) batch = 0;
        if (g.chance(0.03)) t = 0;
        int window = causal && g.chance(0.35) ? 1 + g.r.nextInt(s + 2) : 0;
        while ((long) batch * heads * t * s * Math.max(1, d) > 300_000) {
            if (s > t && s > 1) s--;
            else if (t > 1) t = t / 2;
            else d = d / 2;
        }
        double scale = g.pickDouble(1 / Math.sqrt(Math.max(1, d)), 0.3, 1.0);
        int kvHeads = groups, keys = s;
        String refusal = null;
        int badSaved = 0;
        if (g.chance(INVALID)) {
            refusal = name;
            switch (g.r.nextInt(backward ? 5 : 4)) {
                case 0 -> {                                // query heads not a multiple of the KV heads
                    if (groups == 1) kvHeads = 2;
                    heads = kvHeads * perGroup + 1;
                }
                case 1 -> {                                // more queries than keys under the causal mask
                    causal = true;
                    t = s + 1 + g.r.nextInt(3);
                }
                case 2 -> keys = 0;                        // no key to attend to
                case 3 -> {
                    if (window > 0 && g.r.nextBoolean()) {
                        window = -window;                  // a negative window
                    } else if (g.r.nextBoolean()) {
                        window = -1 - g.r.nextInt(3);
                    } else {
                        window = 1 + g.r.nextInt(4);       // a window without the causal mask
                        causal = false;
                    }
                }
                default -> badSaved = 1 + g.r.nextInt(2);  // saved out or lse of another shape
            }
        }
        DType qType, kType, vType;
        double u = g.r.nextDouble();
        if (u < 0.6) {
            qType = kType = vType = DType.F32;
        } else if (u < 0.7) {
            qType = kType = vType = DType.F64;
        } else {
            qType = g.pick(DType.F32, DType.BF16, DType.F16);
            kType = g.pick(DType.F32, DType.BF16, DType.F16);
            vType = g.pick(DType.F32, DType.BF16, DType.F16);
        }
        double magnitude = g.pickDouble(1.0, 2.0);
        Built q = g.view("q", qType, new int[]{batch, heads, t, d}, g.uniform(magnitude), true);
        Built k = g.view("k", kType, new int[]{batch, kvHeads, keys, d}, g.uniform(magnitude), true);
        Built v = g.view("v", vType, new int[]{batch, kvHeads, keys, d}, g.uniform(1), true);
        boolean isCausal = causal;
        int w = window;
        Case c;
        if (!backward) {
            c = new Case(name, q, k, v).f32("out", "lse");
            if (refusal == null) {
                Map<String, Tensor> bounds = attentionBounds(q.view(), k.view(), v.view(), null, null, scale, causal,
                        window);
                c.tolerate("out", bounds.get("out"), F32_RTOL).tolerate("lse", bounds.get("lse"), F32_RTOL);
            }
            c.run = ops -> {
                Ops.AttentionResult result = ops.attention(q.view(), k.view(), v.view(), scale, isCausal, w);
                return Map.of("out", result.out(), "lse", result.lse());
            };
        } else {
            // the saved forward as the reference computes it, laid out as random views (values unchanged)
            Tensor out, lse;
            if (refusal == null) {
                Ops.AttentionResult saved = Ops.of(Backends.scalar()).attention(q.view(), k.view(), v.view(), scale,
                        causal, window);
                out = saved.out();
                lse = saved.lse();
            } else {
                out = Tensor.zeros(qType == DType.F64 ? DType.F64 : DType.F32, batch, heads, t, d);
                lse = Tensor.zeros(out.dtype(), batch, heads, t);
            }
            double[] o = out.toDoubleArray(), l = lse.toDoubleArray();
            int[] outDims = out.shape().dims(), lseDims = lse.shape().dims();
            if (badSaved == 1) outDims[3] = d + 1;
            if (badSaved == 2) lseDims = new int[]{batch, heads, t + 1};
            Built savedOut = g.view("saved out", out.dtype(), outDims, i -> i < o.length ? o[(int) i] : 0, false);
            Built savedLse = g.view("saved lse", lse.dtype(), lseDims, i -> i < l.length ? l[(int) i] : 0, false);
            Built dout = g.view("dout", g.floatType(), new int[]{batch, heads, t, d}, g.uniform(1), true);
            c = new Case(name, q, k, v, savedOut, savedLse, dout).f32("dq", "dk", "dv");
            if (refusal == null) {
                Map<String, Tensor> bounds = attentionBounds(q.view(), k.view(), v.view(), dout.view(), savedOut.view(),
                        scale, causal, window);
                for (String grad : new String[]{"dq", "dk", "dv"}) c.tolerate(grad, bounds.get(grad), F32_RTOL);
            }
            c.run = ops -> {
                Ops.AttentionGrads grads = ops.attentionBackward(q.view(), k.view(), v.view(),
                        new Ops.AttentionResult(savedOut.view(), savedLse.view()), dout.view(), scale, isCausal, w);
                return Map.of("dq", grads.dq(), "dk", grads.dk(), "dv", grads.dv());
            };
        }
        c.note = (causal ? "causal" : "no mask") + (window != 0 ? ", window " + window : "") + ", scale " + scale;
        c.refusal = refusal;
        return c;
    }

    /**
     * The F32 tolerance of attention plus its rounding bounds per element, first order in U. For query row i (any
     * head), A_i = max over its visible keys j of sum_c |q_ic k_jc|; its F32 scores err by at most
     * E_i = scale (D + 2) U A_i (a dot product of D terms, sumBound(D + 1), then the scale). Forward: exp(s - max)
     * errs by 2 E_i for the score and the max, U |s - max| <= 2 U scale A_i <= E_i for the subtraction and 4 U
     * (2 ulp) for exp; normalized by a sum of S of them (sumBound(S)), 1 / sum and a product: each P_ij within
     * 6 E_i + (S + 11) U relative, and out = sum_j P_ij v_j within that plus sumBound(S) of M = sum_j P_ij |v_j|:
     * (6 E_i + (2 S + 12) U) M. lse = max + log sum within 4 E_i + (S + 6) U. Backward, from the saved lse: P within
     * rho_i = 2 E_i + (S + 5) U (score, subtraction from an lse of at most scale A_i + log S, exp); dV_j = sum over
     * the N = (H / G) T query rows of the group of P dO within (rho + (N + 1) U) sum P |dO|; dS_ij = P_ij (dP_ij -
     * R_i) with dP_ij = dO_i . v_j and R_i = dO_i . O_i (D terms each), within c W_ij where W_ij = P_ij (B_ij + R'_i),
     * B_ij = sum_c |dO_ic v_jc|, R'_i = sum_c |dO_ic O_ic|, c = (D + 4) U + rho; dQ = scale dS K within
     * scale (c + (S + 1) U) (W |K|), dK = scale dS^T Q within scale (c + (N + 1) U) (W^T |Q|) (summed over the group).
     */
    private static Map<String, Tensor> attentionBounds(Tensor q, Tensor k, Tensor v, Tensor dout, Tensor out,
                                                       double scale, boolean causal, int window) {
        int b = q.dim(0), h = q.dim(1), t = q.dim(2), d = q.dim(3), g = k.dim(1), s = k.dim(2), per = h / g;
        Tensor mask = Tensor.zeros(DType.F64, t, s);
        for (int i = 0; i < t; i++) {
            int p = i + s - t; // the query's position
            for (int j = 0; j < s; j++) {
                boolean visible = (!causal || j <= p) && (window == 0 || j > p - window);
                if (!visible) mask.set(Double.NEGATIVE_INFINITY, i, j);
            }
        }
        Tensor aq = abs64(q), ak = repeatKv(abs64(k), h), av = repeatKv(abs64(v), h);
        Tensor scores = REF.add(REF.scale(REF.matmul(f64(q), repeatKv(f64(k), h).transpose(2, 3)), scale), mask);
        Tensor p = REF.softmax(scores); // (B, H, T, S), 0 for the keys a row does not see
        Tensor a = REF.max(REF.add(REF.matmul(aq, ak.transpose(2, 3)), mask), -1, true); // (B, H, T, 1)
        Tensor e = REF.scale(a, scale * (d + 2) * U);
        Map<String, Tensor> bounds = new LinkedHashMap<>();
        if (dout == null) {
            Tensor m = REF.matmul(p, av);
            Tensor factor = REF.addScalar(REF.scale(e, 6), (2.0 * s + 12) * U);
            bounds.put("out", plusF32Atol(REF.mul(m, factor)));
            bounds.put("lse", plusF32Atol(REF.addScalar(REF.scale(e, 4), (s + 6) * U).reshape(b, h, t)));
            return bounds;
        }
        double eMax = 0;
        for (double x : e.toDoubleArray()) eMax = Math.max(eMax, x);
        double rho = 2 * eMax + (s + 5) * U, c = (d + 4) * U + rho;
        long n = (long) per * t;
        Tensor ado = abs64(dout);
        Tensor bMat = REF.matmul(ado, av.transpose(2, 3));                  // (B, H, T, S)
        Tensor rAbs = REF.sum(REF.mul(ado, abs64(out)), -1, true);         // (B, H, T, 1)
        Tensor w = REF.mul(p, REF.add(bMat, rAbs));
        bounds.put("dq", plusF32Atol(REF.scale(REF.matmul(w, ak), scale * (c + (s + 1) * U))));
        Tensor dk = groupSum(REF.matmul(w.transpose(2, 3), aq), g);
        bounds.put("dk", plusF32Atol(REF.scale(dk, scale * (c + (n + 1) * U))));
        Tensor dv = groupSum(REF.matmul(p.transpose(2, 3), ado), g);
        bounds.put("dv", plusF32Atol(REF.scale(dv, rho + (n + 1) * U)));
        return bounds;
    }

    /** (B, G, S, D) -> (B, H, S, D): each KV head repeated for the H / G query heads of its group. */
    private static Tensor repeatKv(Tensor kv, int heads) {
        int b = kv.dim(0), g = kv.dim(1), s = kv.dim(2), d = kv.dim(3);
        return REF.contiguous(kv.unsqueeze(2).expand(b, g, heads / g, s, d)).reshape(b, heads, s, d);
    }

    /** (B, H, S, D) -> (B, G, S, D): the sum over the H / G query heads of each group. */
    private static Tensor groupSum(Tensor x, int groups) {
        int b = x.dim(0), h = x.dim(1), s = x.dim(2), d = x.dim(3);
        return REF.sum(REF.contiguous(x).reshape(b, groups, h / groups, s, d), 2, false);
    }

    // ------------------------------------------------------------------ losses

    private static Case crossEntropy(Gen g, boolean backward) {
        String name = backward ? "crossEntropyBackward" : "crossEntropy";
        int rows = g.size(true), vocab = g.pickInt(ROW_SIZES);
        while ((long) rows * vocab > 8192) rows /= 2;
        int ignore = g.pickInt(-100, -1, 0, vocab - 1);
        int[] logitDims = {rows, vocab};
        int[] targetDims = {rows};
        DType targetType = DType.I32;
        int badAt = -1, badTarget = 0;
        String refusal = null;
        int[] lseDims = {rows};
        if (g.chance(INVALID)) {
            refusal = name;
            switch (g.r.nextInt(4)) {
                case 0 -> {                               // a target out of range (and not the ignore index)
                    if (rows == 0) rows = 1;
                    badAt = g.r.nextInt(rows);
                    badTarget = g.r.nextBoolean() ? vocab + g.r.nextInt(3) : -2 - g.r.nextInt(3);
                    logitDims = new int[]{rows, vocab};
                    targetDims = new int[]{rows};
                    lseDims = new int[]{rows};
                }
                case 1 -> targetDims = new int[]{rows + 1}; // one target per row
                case 2 -> targetType = DType.F32;           // targets are ids
                default -> {
                    if (backward) lseDims = new int[]{rows + 1}; // the saved lse of other rows
                    else logitDims = new int[]{1, rows, vocab};  // logits are (R, V)
                }
            }
        }
        double scale = g.pickDouble(1.0, 8.0, 30.0, 1e4);
        Built logits = g.view("logits", g.floatType(), logitDims, g.logits(scale, g.pickDouble(0.0, 0.0, 0.05)), true);
        int at = badAt, wrong = badTarget, v = vocab, ig = ignore;
        Built targets = g.view("targets", targetType, targetDims,
                i -> i == at ? wrong : g.chance(0.2) ? ig : g.r.nextInt(v), at < 0);
        Case c;
        if (!backward) {
            c = new Case(name, logits, targets).f32("loss", "lse");
            c.run = ops -> {
                Ops.CrossEntropyResult result = ops.crossEntropy(logits.view(), targets.view(), ig);
                return Map.of("loss", result.loss(), "lse", result.lse());
            };
        } else {
            double[] l = refusal == null
                    ? Ops.of(Backends.scalar()).crossEntropy(logits.view(), targets.view(), ignore).lse().toDoubleArray()
                    : new double[lseDims[0]];
            DType lseType = logits.view().dtype() == DType.F64 ? DType.F64 : DType.F32;
            Built lse = g.view("saved lse", lseType, lseDims, i -> l[(int) i], false);
            Built dloss = g.view("dloss", g.floatType(), new int[]{rows}, g.uniform(1), true);
            c = new Case(name, logits, targets, lse, dloss).f32("dlogits");
            c.run = ops -> Map.of("dlogits", ops.crossEntropyBackward(logits.view(), targets.view(), ig,
                    new Ops.CrossEntropyResult(null, lse.view()), dloss.view()));
        }
        c.note = "ignore index " + ignore + ", logits scale " + scale;
        c.refusal = refusal;
        return c;
    }

    private static Case kl(Gen g, boolean backward) {
        String name = backward ? "klDivergenceBackward" : "klDivergence";
        int rows = g.size(true), vocab = g.pickInt(ROW_SIZES);
        while ((long) rows * vocab > 8192) rows /= 2;
        double temperature = g.pickDouble(1.0, 0.5, 3.0, 2.5);
        int[] sDims = {rows, vocab}, tDims = sDims, dlossDims = {rows};
        String refusal = null;
        if (g.chance(INVALID)) {
            refusal = name;
            switch (g.r.nextInt(3)) {
                case 0 -> tDims = g.clash(sDims);
                case 1 -> temperature = g.pickDouble(0.0, -1.0, Double.NaN);
                default -> {
                    sDims = new int[]{1, rows, vocab};
                    tDims = sDims;
                    dlossDims = new int[]{1};
                }
            }
        }
        // the scale of LossTest; a teacher logit of -infinity is a probability of 0 (its term is 0)
        Built student = g.view("student", g.floatType(), sDims, g.logits(6, g.pickDouble(0.0, 0.0, 0.03)), true);
        Built teacher = g.view("teacher", g.floatType(), tDims, g.logits(6, g.pickDouble(0.0, 0.1)), true);
        double temp = temperature;
        Case c;
        if (backward) {
            Built dloss = g.view("dloss", g.floatType(), dlossDims, g.uniform(1), true);
            c = new Case(name, student, teacher, dloss).f32("dstudent");
            c.run = ops -> Map.of("dstudent", ops.klDivergenceBackward(student.view(), teacher.view(), temp,
                    dloss.view()));
        } else {
            c = new Case(name, student, teacher).f32("loss");
            c.run = ops -> Map.of("loss", ops.klDivergence(student.view(), teacher.view(), temp));
        }
        c.note = "temperature " + temperature;
        c.refusal = refusal;
        return c;
    }

    /** True when NumPy broadcasting accepts the two shapes. */
    private static boolean broadcasts(int[] a, int[] b) {
        for (int i = 1; i <= Math.min(a.length, b.length); i++) {
            int x = a[a.length - i], y = b[b.length - i];
            if (x != y && x != 1 && y != 1) return false;
        }
        return true;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    // ------------------------------------------------------------------ random inputs

    /** A value for the element at row-major index i of a view (called in order of i). */
    @FunctionalInterface
    private interface Values {
        double at(long i);
    }

    /** An input: the view an op gets, the storage it lies in, and how it was made (for the report). */
    private record Built(String name, Tensor view, Tensor container, String storage, String chain) {
        String describe() {
            return name + ": " + view.dtype() + " " + view.shape() + " strides " + Arrays.toString(view.strides())
                    + " offset " + view.offset() + ", in " + storage + " " + container.shape() + ", " + chain;
        }
    }

    /** The random choices of one case. */
    private static final class Gen {
        final SplittableRandom r;
        final Arena confined;

        Gen(SplittableRandom r, Arena confined) {
            this.r = r;
            this.confined = confined;
        }

        /** A generator of its own from {@code seed}: two forks of one seed make the same choices. */
        Gen fork(long seed) {
            return new Gen(new SplittableRandom(seed), confined);
        }

        boolean chance(double p) {
            return r.nextDouble() < p;
        }

        int pickInt(int... values) {
            return values[r.nextInt(values.length)];
        }

        double pickDouble(double... values) {
            return values[r.nextInt(values.length)];
        }

        @SafeVarargs
        final <T> T pick(T... values) {
            return values[r.nextInt(values.length)];
        }

        /** F32 most often, BF16 and F16 (read widened), F64 (which the vector backend hands to the reference). */
        DType floatType() {
            double u = r.nextDouble();
            return u < 0.55 ? DType.F32 : u < 0.72 ? DType.BF16 : u < 0.87 ? DType.F16 : DType.F64;
        }

        int size(boolean zero) {
            if (zero && chance(0.05)) return 0;
            if (chance(0.04)) return pickInt(LARGE_SIZES);
            return pickInt(SIZES);
        }

        /** Random sizes of the given rank with at most {@code cap} elements. */
        int[] dims(int rank, boolean zero, long cap) {
            int[] d = new int[rank];
            for (int i = 0; i < rank; i++) d[i] = size(zero);
            fit(d, cap, -1);
            return d;
        }

        /** Shrinks the largest size (not {@code keep}) to a smaller one until there are at most cap elements. */
        void fit(int[] d, long cap, int keep) {
            while (Shape.of(d).numel() > cap) {
                int at = -1;
                for (int i = 0; i < d.length; i++) if (i != keep && (at < 0 || d[i] > d[at])) at = i;
                if (at < 0 || d[at] <= 1) return;
                int limit = d[at];
                int smaller = 1;
                for (int tries = 0; tries < 8; tries++) {
                    int s = pickInt(SIZES);
                    if (s < limit) {
                        smaller = s;
                        break;
                    }
                }
                d[at] = Math.min(smaller, limit / 2);
                d[at] = Math.max(d[at], 1);
            }
        }

        /** Elementwise shapes: rank 0-4, small; one in twelve large enough to be split across threads. */
        int[] elementwiseDims() {
            int rank = r.nextInt(5);
            return chance(1.0 / 12) ? bigDims(Math.max(1, rank)) : dims(rank, true, 4096);
        }

        /** 20,000-70,000 elements, the last size around vector multiples. */
        int[] bigDims(int rank) {
            int[] d = new int[rank];
            long target = r.nextInt(20_000, 70_000);
            d[rank - 1] = pickInt(63, 64, 65, 127, 129, 255, 257);
            long rest = Math.max(1, target / d[rank - 1]);
            for (int i = rank - 2; i >= 1; i--) {
                d[i] = pickInt(SMALL);
                rest = Math.max(1, rest / d[i]);
            }
            if (rank > 1) d[0] = (int) rest;
            return d;
        }

        /** A shape that broadcasts to {@code out}: a suffix of it with some sizes 1. */
        int[] broadcastable(int[] out) {
            int rank = chance(0.7) ? out.length : r.nextInt(out.length + 1);
            int[] d = Arrays.copyOfRange(out, out.length - rank, out.length);
            for (int i = 0; i < d.length; i++) if (chance(0.25)) d[i] = 1;
            return d;
        }

        /**
         * A shape other than d: of the same rank with one size changed so that it does not broadcast against d when
         * d has a size other than 1 (see {@link #broadcasts}); else (2, d...), which differs but broadcasts.
         */
        int[] clash(int[] d) {
            List<Integer> axes = new ArrayList<>();
            for (int i = 0; i < d.length; i++) if (d[i] != 1) axes.add(i);
            if (axes.isEmpty()) return concat(new int[]{2}, d);
            int[] c = d.clone();
            int a = axes.get(r.nextInt(axes.size()));
            c[a] = d[a] == 0 ? 2 : d[a] + 1;
            return c;
        }

        Values uniform(double scale) {
            return i -> r.nextDouble(-1, 1) * scale;
        }

        /** Uniform logits with -infinity at a share of the places. */
        Values logits(double scale, double negInf) {
            return i -> negInf > 0 && r.nextDouble() < negInf ? Double.NEGATIVE_INFINITY : r.nextDouble(-1, 1) * scale;
        }

        /** base with {@link #SPECIALS} at a share of the places. */
        Values specials(Values base, double share) {
            return i -> share > 0 && r.nextDouble() < share ? SPECIALS[r.nextInt(SPECIALS.length)] : base.at(i);
        }

        /** What memory outside every view holds: NaN or a large value (an id far out of range for I32). */
        double poison(DType dtype) {
            if (dtype == DType.I32) return r.nextBoolean() ? 1 << 30 : -7;
            return r.nextBoolean() ? Double.NaN : r.nextDouble(-1, 1) * 1e4;
        }

        /** An (..., K, N) b as the transpose of a contiguous (..., N, K) weight, in random storage. */
        Built weightTransposed(String name, DType dtype, int[] dims) {
            int rank = dims.length;
            int[] w = dims.clone();
            w[rank - 1] = dims[rank - 2];
            w[rank - 2] = dims[rank - 1];
            StringBuilder storage = new StringBuilder();
            Tensor container = allocate(dtype, w, true, storage);
            Tensor view = container.transpose(-1, -2);
            fill(container, view, uniform(1));
            return new Built(name, view, container, storage.toString(),
                    "contiguous " + Shape.of(w) + " transpose(-1, -2)");
        }

        /**
         * A view of the given dtype and sizes holding {@code values}: a random chain over random storage. With
         * {@code mayExpand}, some size-1 or leading axes may come from expand (stride 0, values repeated).
         */
        Built view(String name, DType dtype, int[] dims, Values values, boolean mayExpand) {
            int rank = dims.length;
            int lead = 0;
            boolean[] expanded = new boolean[rank];
            boolean anyExpanded = false;
            if (mayExpand && rank > 0 && chance(0.2)) {
                if (chance(0.4)) lead = 1 + r.nextInt(rank);
                for (int i = lead; i < rank; i++) {
                    expanded[i] = dims[i] != 1 && chance(0.35);
                    anyExpanded |= expanded[i];
                }
            }
            int[] inner = new int[rank - lead];
            for (int i = lead; i < rank; i++) inner[i - lead] = expanded[i] ? 1 : dims[i];
            int q = inner.length;
            long innerNumel = Shape.of(inner).numel();
            StringBuilder chain = new StringBuilder();
            StringBuilder storage = new StringBuilder();
            Tensor container, view;
            int mode = r.nextInt(10);
            if (mode < 3) {
                container = allocate(dtype, inner, true, storage);
                view = container;
                chain.append("contiguous");
            } else if (mode < 5) {
                // reshape of a contiguous slice: a view with an offset and no gaps
                int pre = r.nextInt(4), post = r.nextInt(3);
                int n = Math.toIntExact(innerNumel);
                container = allocate(dtype, new int[]{pre + n + post}, true, storage);
                view = container.slice(0, pre, pre + n).reshape(inner);
                chain.append("slice(0, ").append(pre).append(", ").append(pre + n).append(") reshape")
                        .append(Shape.of(inner));
            } else {
                // a storage of (len_0, step_0, len_1, step_1, ...): select along each step axis (stride * step),
                // slice each axis at a start offset, then permute
                int[] perm = new int[q];
                for (int j = 0; j < q; j++) perm[j] = j;
                double u = r.nextDouble();
                if (q >= 2 && u < 0.35) {
                    perm[q - 1] = q - 2;
                    perm[q - 2] = q - 1;
                } else if (q >= 2 && u < 0.65) {
                    for (int j = q - 1; j > 0; j--) {
                        int o = r.nextInt(j + 1), tmp = perm[j];
                        perm[j] = perm[o];
                        perm[o] = tmp;
                    }
                }
                int[] base = new int[q], step = new int[q], pre = new int[q], post = new int[q];
                for (int j = 0; j < q; j++) {
                    base[j] = inner[perm[j]];
                    step[j] = base[j] > 1 && chance(0.25) ? 2 + r.nextInt(2) : 1;
                    pre[j] = chance(0.35) ? 1 + r.nextInt(3) : 0;
                    post[j] = chance(0.3) ? 1 + r.nextInt(2) : 0;
                }
                int[] cdims = new int[2 * q];
                for (int j = 0; j < q; j++) {
                    cdims[2 * j] = pre[j] + base[j] + post[j];
                    cdims[2 * j + 1] = step[j];
                }
                if (Shape.of(cdims).numel() > 8 * Math.max(innerNumel, 512)) { // keep the storage small
                    for (int j = 0; j < q; j++) {
                        step[j] = cdims[2 * j + 1] = 1;
                        pre[j] = Math.min(pre[j], 1);
                        post[j] = 0;
                        cdims[2 * j] = pre[j] + base[j];
                    }
                }
                container = allocate(dtype, cdims, true, storage);
                view = container;
                chain.append("storage ").append(Shape.of(cdims));
                for (int j = q - 1; j >= 0; j--) {
                    int at = r.nextInt(step[j]);
                    view = view.select(2 * j + 1, at);
                    if (step[j] > 1) chain.append(" select(").append(2 * j + 1).append(", ").append(at).append(')');
                }
                if (step.length > 0 && Arrays.stream(step).allMatch(x -> x == 1)) chain.append(" select(odd axes, 0)");
                for (int j = 0; j < q; j++) {
                    view = view.slice(j, pre[j], pre[j] + base[j]);
                    if (pre[j] > 0 || post[j] > 0) {
                        chain.append(" slice(").append(j).append(", ").append(pre[j]).append(", ")
                                .append(pre[j] + base[j]).append(')');
                    }
                }
                int[] order = new int[q];
                for (int j = 0; j < q; j++) order[perm[j]] = j;
                view = view.permute(order);
                chain.append(" permute").append(Arrays.toString(order));
            }
            if (lead > 0 || anyExpanded) {
                view = view.expand(dims);
                chain.append(" expand").append(Shape.of(dims));
            }
            fill(container, view, values);
            return new Built(name, view, container, storage.toString(), chain.toString());
        }

        /** Poison in all of the storage, then the values through the view. */
        private void fill(Tensor container, Tensor view, Values values) {
            long n = container.numel();
            DType dtype = container.dtype();
            for (long i = 0; i < n; i++) container.writeDouble(i, poison(dtype));
            long m = view.numel();
            for (long i = 0; i < m; i++) view.writeDouble(view.offsetOf(i), values.at(i));
        }

        /**
         * Contiguous storage of the given sizes: on the heap (most often), in a heap array from an element past 0
         * (its segment does not start at the array's start), off-heap from a random byte (unaligned for 4- and
         * 8-byte types at times: a safetensors file aligns nothing), or in memory confined to this thread.
         */
        Tensor allocate(DType dtype, int[] dims, boolean mayConfine, StringBuilder storage) {
            Shape shape = Shape.of(dims);
            long n = shape.numel();
            int bytes = dtype.byteSize();
            int kind = r.nextInt(20);
            if (kind < 11) {
                storage.append("heap");
                return Tensor.zeros(dtype, shape);
            }
            if (kind < 14) {
                int pad = 1 + r.nextInt(4);
                int length = Math.toIntExact(n + pad);
                MemorySegment whole = switch (dtype) {
                    case F32 -> MemorySegment.ofArray(new float[length]);
                    case F64 -> MemorySegment.ofArray(new double[length]);
                    case BF16, F16 -> MemorySegment.ofArray(new short[length]);
                    case I32 -> MemorySegment.ofArray(new int[length]);
                };
                storage.append("a heap array from element ").append(pad);
                return Tensor.wrap(whole.asSlice((long) pad * bytes), dtype, shape);
            }
            boolean confine = mayConfine && kind >= 18;
            long shift = (long) r.nextInt(3) * bytes + (bytes > 2 && chance(0.25) ? 2 : 0);
            Arena arena = confine ? confined : Arena.ofAuto();
            MemorySegment segment = arena.allocate(n * bytes + shift + 8, 8).asSlice(shift, n * bytes);
            storage.append(confine ? "thread-confined" : "off-heap").append(" memory from byte ").append(shift);
            return Tensor.wrap(segment, dtype, shape);
        }
    }
}
