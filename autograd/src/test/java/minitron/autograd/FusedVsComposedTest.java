package minitron.autograd;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import minitron.tensor.Backend;
import minitron.tensor.Backends;
import minitron.tensor.DType;
import minitron.tensor.Ops;
import minitron.tensor.Tensor;
import minitron.tensor.TensorAssert;
import minitron.tensor.TestTensors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each fused op against its composition of primitives ({@link Composite}): forward values and the gradients of
 * every input, on every backend, in F64 and F32. The reference is always the composition in F64 on the scalar
 * backend; odd sizes (not multiples of 16) and non-contiguous inputs.
 */
class FusedVsComposedTest {
    /**
     * F64: the fused kernel and the composition evaluate the same formula in a different order (e.g. the fused
     * softmax backward sums dy*y once; the composition goes through exp, div and sum): a few ulps per op over
     * rows of at most 37 elements. 1e-12 + 1e-10 |ref| is loose for that and tight for any mistake.
     */
    static final double F64_ATOL = 1e-12;
    static final double F64_RTOL = 1e-10;
    /**
     * F32 against the F64 composition: inputs rounded to F32 (6e-8 relative), then sums of up to 37 terms of
     * order 1 in F32: errors of order 1e-6 at most. 2e-5 + 1e-4 |ref|.
     */
    static final double F32_ATOL = 2e-5;
    static final double F32_RTOL = 1e-4;

    /** A fused op and its composed definition over the same inputs (given as F64, converted per run). */
    record Pair(String name, List<Tensor> inputs, Function<Var[], Var> fused, Function<Var[], Var> composed) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Pair> pairs() {
        List<Pair> pairs = new ArrayList<>();
        double eps = 1e-5;
        pairs.add(new Pair("rmsNorm (3,5,37) strided",
                List.of(Fixtures.f64Strided(1, 3, 5, 37), Fixtures.f64Range(2, 0.5, 1.5, 37)),
                v -> Normalization.rmsNorm(v[0], v[1], eps), v -> Composite.rmsNorm(v[0], v[1], eps)));
        Ops.RopeTables rope = Fixtures.rope(7, 6, 10000.0, DType.F64);
        pairs.add(new Pair("rope (2,3,7,6) transposed view", List.of(Fixtures.f64(3, 2, 7, 3, 6).transpose(1, 2)),
                v -> Attention.rope(v[0], Fixtures.tablesLike(rope, v[0])),
                v -> Composite.rope(v[0], Fixtures.tablesLike(rope, v[0]))));
        double scale = 1 / Math.sqrt(6);
        pairs.add(new Pair("attention causal GQA 6/2 (2,6,7,6)", List.of(Fixtures.f64(4, 2, 6, 7, 6),
                Fixtures.f64Strided(5, 2, 2, 7, 6), Fixtures.f64(6, 2, 2, 7, 6)),
                v -> Attention.attention(v[0], v[1], v[2], scale, true),
                v -> Composite.attention(v[0], v[1], v[2], scale, true)));
        pairs.add(new Pair("attention causal T<S (1,2,3,6) vs S=9", List.of(Fixtures.f64(7, 1, 2, 3, 6),
                Fixtures.f64(8, 1, 1, 9, 6), Fixtures.f64(9, 1, 1, 9, 6)),
                v -> Attention.attention(v[0], v[1], v[2], scale, true),
                v -> Composite.attention(v[0], v[1], v[2], scale, true)));
        pairs.add(new Pair("attention sliding window 3, GQA 4/2 (1,4,9,6)", List.of(Fixtures.f64(118, 1, 4, 9, 6),
                Fixtures.f64Strided(119, 1, 2, 9, 6), Fixtures.f64(120, 1, 2, 9, 6)),
                v -> Attention.attention(v[0], v[1], v[2], scale, true, 3),
                v -> Composite.attention(v[0], v[1], v[2], scale, true, 3)));
        pairs.add(new Pair("attention sliding window 4, T<S (1,2,3,6) vs S=10", List.of(Fixtures.f64(121, 1, 2, 3, 6),
                Fixtures.f64(122, 1, 1, 10, 6), Fixtures.f64(123, 1, 1, 10, 6)),
                v -> Attention.attention(v[0], v[1], v[2], scale, true, 4),
                v -> Composite.attention(v[0], v[1], v[2], scale, true, 4)));
        pairs.add(new Pair("attention non-causal MHA (1,3,5,6)", List.of(Fixtures.f64(10, 1, 3, 5, 6),
                Fixtures.f64(11, 1, 3, 5, 6), Fixtures.f64(12, 1, 3, 5, 6)),
                v -> Attention.attention(v[0], v[1], v[2], scale, false),
                v -> Composite.attention(v[0], v[1], v[2], scale, false)));
        pairs.add(new Pair("swiglu (5,19) strided", List.of(Fixtures.f64Strided(13, 5, 19), Fixtures.f64(14, 5, 19)),
                v -> Activations.swiglu(v[0], v[1]), v -> Composite.swiglu(v[0], v[1])));
        pairs.add(new Pair("softmax (4,37) scaled x3", List.of(scaled(Fixtures.f64(15, 4, 37), 3)),
                v -> Activations.softmax(v[0]), v -> Composite.softmax(v[0])));
        pairs.add(new Pair("logSoftmax (2,3,37) strided", List.of(Fixtures.f64Strided(16, 2, 3, 37)),
                v -> Activations.logSoftmax(v[0]), v -> Composite.logSoftmax(v[0])));
        Tensor targets = OpCases.targets(17, 37, 10, 0, 7).reshape(2, 5);
        pairs.add(new Pair("crossEntropy mean (2,5,37) ignore 2", List.of(scaled(Fixtures.f64(18, 2, 5, 37), 4)),
                v -> Losses.crossEntropy(v[0], targets, Losses.IGNORE_INDEX, Losses.Reduction.MEAN),
                v -> Composite.crossEntropy(v[0], targets, Losses.IGNORE_INDEX, Losses.Reduction.MEAN)));
        pairs.add(new Pair("crossEntropy sum (2,5,37)", List.of(Fixtures.f64Strided(19, 2, 5, 37)),
                v -> Losses.crossEntropy(v[0], targets, Losses.IGNORE_INDEX, Losses.Reduction.SUM),
                v -> Composite.crossEntropy(v[0], targets, Losses.IGNORE_INDEX, Losses.Reduction.SUM)));
        Tensor teacher = scaled(Fixtures.f64(20, 3, 4, 37), 3);
        for (double t : new double[]{1.0, 2.0, 0.5}) {
            pairs.add(new Pair("klDivergence T=" + t + " (3,4,37)", List.of(scaled(Fixtures.f64(21, 3, 4, 37), 3)),
                    v -> Losses.klDivergence(v[0], Fixtures.dtypeLike(teacher, v[0]), t),
                    v -> Composite.klDivergence(v[0], Fixtures.dtypeLike(teacher, v[0]), t)));
        }
        return pairs;
    }

    static Stream<Arguments> runs() {
        List<Arguments> args = new ArrayList<>();
        for (Pair p : pairs()) {
            args.add(Arguments.of(p, DType.F64, Backends.scalar()));
            for (Backend b : TestTensors.backends()) args.add(Arguments.of(p, DType.F32, b));
        }
        return args.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("runs")
    void fusedMatchesComposition(Pair pair, DType dtype, Backend backend) {
        Result reference;
        try (Autograd.BackendScope scope = Autograd.useBackend(Backends.scalar())) {
            reference = run(pair.composed(), pair.inputs(), DType.F64);
        }
        Result fused;
        try (Autograd.BackendScope scope = Autograd.useBackend(backend)) {
            fused = run(pair.fused(), pair.inputs(), dtype);
        }
        double atol = dtype == DType.F64 ? F64_ATOL : F32_ATOL;
        double rtol = dtype == DType.F64 ? F64_RTOL : F32_RTOL;
        String what = pair.name() + " " + dtype + " on " + backend.name();
        TensorAssert.assertClose(reference.output(), fused.output(), atol, rtol, what + ": forward");
        for (int i = 0; i < reference.grads().length; i++) {
            TensorAssert.assertClose(reference.grads()[i], fused.grads()[i], atol, rtol, what + ": grad of input " + i);
        }
    }

    record Result(Tensor output, Tensor[] grads) {
    }

    /** Runs op on the inputs converted to dtype (non-contiguous ones stay so), backprops a projection. */
    private static Result run(Function<Var[], Var> op, List<Tensor> inputs, DType dtype) {
        Var[] vars = new Var[inputs.size()];
        for (int i = 0; i < vars.length; i++) {
            Tensor t = inputs.get(i);
            vars[i] = Var.parameter(dtype == DType.F64 ? t : Fixtures.sameLayout(t, dtype));
        }
        Var y = op.apply(vars);
        Fixtures.project(y).backward();
        Tensor[] grads = new Tensor[vars.length];
        for (int i = 0; i < vars.length; i++) grads[i] = vars[i].grad();
        return new Result(y.value(), grads);
    }

    private static Tensor scaled(Tensor t, double factor) {
        return Ops.of(Backends.scalar()).scale(t, factor);
    }
}
