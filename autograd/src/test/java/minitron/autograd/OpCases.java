package minitron.autograd;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import minitron.tensor.DType;
import minitron.tensor.Ops;
import minitron.tensor.Tensor;

import static minitron.autograd.Fixtures.f64;
import static minitron.autograd.Fixtures.f64Range;
import static minitron.autograd.Fixtures.f64Strided;
import static minitron.autograd.Fixtures.f64Transposed;

/**
 * Every differentiable op, with small odd-sized inputs, broadcast cases and non-contiguous views. Sizes are small
 * because the gradient check evaluates the op twice per input element.
 */
final class OpCases {
    private OpCases() {
    }

    private static OpCase c(String name, Supplier<Tensor[]> inputs,
                            Function<Var[], Var> op) {
        return new OpCase(name, inputs, op);
    }

    /** Targets (I32) of length n in [0, vocab) with -100 at the given positions. */
    static Tensor targets(long seed, int vocab, int n, int... ignored) {
        Tensor t = minitron.tensor.TestTensors.ids(seed, vocab, n);
        for (int i : ignored) t.set(Losses.IGNORE_INDEX, i);
        return t;
    }

    static List<OpCase> all() {
        List<OpCase> cases = new ArrayList<>();
        // ---- elementwise, broadcasting
        cases.add(c("add", () -> new Tensor[]{f64(1, 3, 5), f64(2, 3, 5)}, v -> Elementwise.add(v[0], v[1])));
        cases.add(c("add broadcast (3,1,5)+(4,5)", () -> new Tensor[]{f64(1, 3, 1, 5), f64(2, 4, 5)},
                v -> Elementwise.add(v[0], v[1])));
        cases.add(c("add strided", () -> new Tensor[]{f64Strided(1, 3, 5), f64Transposed(2, 3, 5)},
                v -> Elementwise.add(v[0], v[1])));
        cases.add(c("sub broadcast (2,3,5)-(5)", () -> new Tensor[]{f64(3, 2, 3, 5), f64(4, 5)},
                v -> Elementwise.sub(v[0], v[1])));
        cases.add(c("mul broadcast (3,1)*(1,4)", () -> new Tensor[]{f64(5, 3, 1), f64(6, 1, 4)},
                v -> Elementwise.mul(v[0], v[1])));
        cases.add(c("mul strided", () -> new Tensor[]{f64Strided(5, 4, 3), f64Strided(6, 4, 3)},
                v -> Elementwise.mul(v[0], v[1])));
        cases.add(c("div broadcast (2,3)/(3)", () -> new Tensor[]{f64(7, 2, 3), f64Range(8, 0.5, 2, 3)},
                v -> Elementwise.div(v[0], v[1])));
        cases.add(c("mul same Var twice", () -> new Tensor[]{f64(9, 7)}, v -> Elementwise.mul(v[0], v[0])));
        cases.add(c("scale", () -> new Tensor[]{f64(10, 2, 5)}, v -> Elementwise.scale(v[0], -1.7)));
        cases.add(c("addScalar", () -> new Tensor[]{f64(11, 2, 5)}, v -> Elementwise.addScalar(v[0], 0.3)));
        cases.add(c("neg", () -> new Tensor[]{f64Strided(12, 3, 4)}, v -> Elementwise.neg(v[0])));
        cases.add(c("exp", () -> new Tensor[]{f64Strided(13, 3, 4)}, v -> Elementwise.exp(v[0])));
        cases.add(c("log", () -> new Tensor[]{f64Range(14, 0.2, 3, 3, 4)}, v -> Elementwise.log(v[0])));
        cases.add(c("sqrt", () -> new Tensor[]{f64Range(15, 0.2, 3, 3, 4)}, v -> Elementwise.sqrt(v[0])));
        cases.add(c("rsqrt", () -> new Tensor[]{f64Range(16, 0.2, 3, 3, 4)}, v -> Elementwise.rsqrt(v[0])));
        cases.add(c("square", () -> new Tensor[]{f64Transposed(17, 3, 4)}, v -> Elementwise.square(v[0])));
        cases.add(c("sigmoid", () -> new Tensor[]{f64(18, 3, 5)}, v -> Elementwise.sigmoid(v[0])));
        cases.add(c("silu", () -> new Tensor[]{f64Strided(19, 3, 5)}, v -> Elementwise.silu(v[0])));
        // ---- matrix products
        cases.add(c("matmul (3,4)@(4,5)", () -> new Tensor[]{f64(20, 3, 4), f64(21, 4, 5)},
                v -> LinearAlgebra.matmul(v[0], v[1])));
        cases.add(c("matmul batched broadcast (2,1,3,4)@(3,4,2)",
                () -> new Tensor[]{f64(22, 2, 1, 3, 4), f64(23, 3, 4, 2)},
                v -> LinearAlgebra.matmul(v[0], v[1])));
        cases.add(c("matmul (2,3,4)@(4,5) shared rhs, transposed views",
                () -> new Tensor[]{f64Transposed(24, 2, 3, 4), f64Transposed(25, 4, 5)},
                v -> LinearAlgebra.matmul(v[0], v[1])));
        cases.add(c("linear (2,3,5) W(4,5)", () -> new Tensor[]{f64(26, 2, 3, 5), f64(27, 4, 5)},
                v -> LinearAlgebra.linear(v[0], v[1])));
        cases.add(c("linear strided x, bias", () -> new Tensor[]{f64Strided(28, 3, 5), f64(29, 4, 5), f64(30, 4)},
                v -> LinearAlgebra.linear(v[0], v[1], v[2])));
        // ---- views
        cases.add(c("reshape", () -> new Tensor[]{f64(31, 2, 3, 4)}, v -> Views.reshape(v[0], 4, -1)));
        cases.add(c("reshape of a transposed view", () -> new Tensor[]{f64Transposed(32, 3, 4)},
                v -> Views.reshape(v[0], 12)));
        cases.add(c("permute", () -> new Tensor[]{f64(33, 2, 3, 4)}, v -> Views.permute(v[0], 2, 0, 1)));
        cases.add(c("transpose", () -> new Tensor[]{f64Strided(34, 3, 5)}, v -> Views.transpose(v[0], 0, 1)));
        cases.add(c("unsqueeze", () -> new Tensor[]{f64(35, 3, 5)}, v -> Views.unsqueeze(v[0], 1)));
        cases.add(c("slice", () -> new Tensor[]{f64(36, 4, 7)}, v -> Views.slice(v[0], 1, 2, 5)));
        cases.add(c("concat", () -> new Tensor[]{f64(37, 2, 3), f64Strided(38, 2, 4), f64(39, 2, 1)},
                v -> Views.concat(1, v[0], v[1], v[2])));
        cases.add(c("expand (3,1)->(2,3,4)", () -> new Tensor[]{f64(40, 3, 1)}, v -> Views.expand(v[0], 2, 3, 4)));
        // ---- reductions
        cases.add(c("sum axis 1", () -> new Tensor[]{f64(41, 2, 3, 4)}, v -> Reductions.sum(v[0], 1, false)));
        cases.add(c("sum axis -1 keepDim, strided", () -> new Tensor[]{f64Strided(42, 3, 5)},
                v -> Reductions.sum(v[0], -1, true)));
        cases.add(c("sumAll", () -> new Tensor[]{f64(43, 3, 5)}, v -> Reductions.sumAll(v[0])));
        cases.add(c("mean axis 0", () -> new Tensor[]{f64(44, 3, 5)}, v -> Reductions.mean(v[0], 0, false)));
        cases.add(c("meanAll", () -> new Tensor[]{f64Transposed(45, 3, 5)}, v -> Reductions.meanAll(v[0])));
        // ---- embedding (ids repeat, so the scatter-add accumulates)
        cases.add(c("embedding", () -> new Tensor[]{f64(46, 7, 3)},
                v -> Indexing.embedding(v[0], Tensor.of(new int[]{1, 4, 1, 6, 0, 4}, 2, 3))));
        // ---- fused ops and their compositions
        cases.add(c("rmsNorm", () -> new Tensor[]{f64(47, 2, 3, 6), f64Range(48, 0.5, 1.5, 6)},
                v -> Normalization.rmsNorm(v[0], v[1], 1e-5)));
        cases.add(c("rmsNorm strided", () -> new Tensor[]{f64Strided(49, 3, 5), f64Strided(50, 5)},
                v -> Normalization.rmsNorm(v[0], v[1], 1e-5)));
        cases.add(c("rmsNorm composed", () -> new Tensor[]{f64(47, 2, 3, 6), f64Range(48, 0.5, 1.5, 6)},
                v -> Composite.rmsNorm(v[0], v[1], 1e-5)));
        Ops.RopeTables rope = Fixtures.rope(5, 4, 10000.0, DType.F64);
        cases.add(c("rope", () -> new Tensor[]{f64(51, 2, 2, 5, 4)},
                v -> Attention.rope(v[0], Fixtures.tablesLike(rope, v[0]))));
        cases.add(c("rope on a transposed view (B,T,H,D)->(B,H,T,D)",
                () -> new Tensor[]{f64(52, 2, 5, 2, 4).transpose(1, 2)},
                v -> Attention.rope(v[0], Fixtures.tablesLike(rope, v[0]))));
        cases.add(c("rope composed", () -> new Tensor[]{f64(51, 2, 2, 5, 4)},
                v -> Composite.rope(v[0], Fixtures.tablesLike(rope, v[0]))));
        double scale = 1 / Math.sqrt(4);
        cases.add(c("attention causal GQA 4/2",
                () -> new Tensor[]{f64(53, 1, 4, 5, 4), f64(54, 1, 2, 5, 4), f64(55, 1, 2, 5, 4)},
                v -> Attention.attention(v[0], v[1], v[2], scale, true)));
        cases.add(c("attention causal T<S (decode)",
                () -> new Tensor[]{f64(56, 1, 2, 2, 4), f64(57, 1, 1, 5, 4), f64(58, 1, 1, 5, 4)},
                v -> Attention.attention(v[0], v[1], v[2], scale, true)));
        cases.add(c("attention non-causal, transposed q", () -> new Tensor[]{f64(59, 2, 3, 2, 4).transpose(1, 2),
                f64(60, 2, 1, 3, 4), f64Strided(61, 2, 1, 3, 4)},
                v -> Attention.attention(v[0], v[1], v[2], scale, false)));
        cases.add(c("attention sliding window 2, GQA 4/2",
                () -> new Tensor[]{f64(165, 1, 4, 6, 4), f64(166, 1, 2, 6, 4), f64(167, 1, 2, 6, 4)},
                v -> Attention.attention(v[0], v[1], v[2], scale, true, 2)));
        cases.add(c("attention sliding window 3, T<S (decode past the window)",
                () -> new Tensor[]{f64(168, 1, 2, 2, 4), f64(169, 1, 1, 7, 4), f64(170, 1, 1, 7, 4)},
                v -> Attention.attention(v[0], v[1], v[2], scale, true, 3)));
        cases.add(c("attention composed, sliding window 2",
                () -> new Tensor[]{f64(165, 1, 4, 6, 4), f64(166, 1, 2, 6, 4), f64(167, 1, 2, 6, 4)},
                v -> Composite.attention(v[0], v[1], v[2], scale, true, 2)));
        cases.add(c("attention composed",
                () -> new Tensor[]{f64(53, 1, 4, 5, 4), f64(54, 1, 2, 5, 4), f64(55, 1, 2, 5, 4)},
                v -> Composite.attention(v[0], v[1], v[2], scale, true)));
        cases.add(c("swiglu", () -> new Tensor[]{f64(62, 3, 5), f64Strided(63, 3, 5)},
                v -> Activations.swiglu(v[0], v[1])));
        cases.add(c("softmax", () -> new Tensor[]{f64(64, 3, 7)}, v -> Activations.softmax(v[0])));
        cases.add(c("softmax composed", () -> new Tensor[]{f64(64, 3, 7)}, v -> Composite.softmax(v[0])));
        cases.add(c("logSoftmax strided", () -> new Tensor[]{f64Strided(65, 3, 7)}, v -> Activations.logSoftmax(v[0])));
        cases.add(c("logSoftmax composed", () -> new Tensor[]{f64(65, 3, 7)}, v -> Composite.logSoftmax(v[0])));
        Tensor ceTargets = targets(66, 7, 6, 2).reshape(2, 3);
        cases.add(c("crossEntropy mean, ignore", () -> new Tensor[]{f64(67, 2, 3, 7)},
                v -> Losses.crossEntropy(v[0], ceTargets, Losses.IGNORE_INDEX, Losses.Reduction.MEAN)));
        cases.add(c("crossEntropy sum, ignore, strided", () -> new Tensor[]{f64Strided(67, 2, 3, 7)},
                v -> Losses.crossEntropy(v[0], ceTargets, Losses.IGNORE_INDEX, Losses.Reduction.SUM)));
        cases.add(c("crossEntropy composed", () -> new Tensor[]{f64(67, 2, 3, 7)},
                v -> Composite.crossEntropy(v[0], ceTargets, Losses.IGNORE_INDEX, Losses.Reduction.MEAN)));
        Tensor teacher = Fixtures.f64(68, 2, 3, 7);
        cases.add(c("klDivergence T=1", () -> new Tensor[]{f64(69, 2, 3, 7)},
                v -> Losses.klDivergence(v[0], Fixtures.dtypeLike(teacher, v[0]), 1.0)));
        cases.add(c("klDivergence T=2 strided", () -> new Tensor[]{f64Strided(69, 2, 3, 7)},
                v -> Losses.klDivergence(v[0], Fixtures.dtypeLike(teacher, v[0]), 2.0)));
        cases.add(c("klDivergence composed T=2", () -> new Tensor[]{f64(69, 2, 3, 7)},
                v -> Composite.klDivergence(v[0], Fixtures.dtypeLike(teacher, v[0]), 2.0)));
        return cases;
    }
}
