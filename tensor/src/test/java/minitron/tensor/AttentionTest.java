package minitron.tensor;

import static minitron.tensor.KernelChecks.F32_ATOL;
import static minitron.tensor.KernelChecks.F32_RTOL;
import static minitron.tensor.TensorAssert.assertClose;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Causal GQA attention and its backward. Shape legend: B batch, H query heads, G KV heads, T queries, S keys,
 * D head dim.
 */
class AttentionTest {

    /** F64 reference vs its F64 composition from matmul, mask and softmax: rounding order only. */
    private static final double COMPOSED_TOL = 1e-12;

    /** (B, G, S, D) -> (B, H, S, D): each KV head repeated for the H / G query heads of its group. */
    private static Tensor repeatKv(Tensor kv, int heads) {
        int b = kv.dim(0), g = kv.dim(1), s = kv.dim(2), d = kv.dim(3);
        return kv.unsqueeze(2).expand(b, g, heads / g, s, d).reshape(b, heads, s, d);
    }

    /** softmax(q k^T * scale + mask) v composed from Ops primitives, and the log-sum-exp of each masked row. */
    private static Ops.AttentionResult composed(Ops ops, Tensor q, Tensor k, Tensor v, double scale, boolean causal) {
        int heads = q.dim(1), t = q.dim(2), s = k.dim(2);
        Tensor scores = ops.scale(ops.matmul(q, repeatKv(k, heads).transpose(2, 3)), scale); // (B, H, T, S)
        if (causal) {
            Tensor mask = Tensor.zeros(q.dtype(), t, s);
            for (int i = 0; i < t; i++) {
                for (int j = i + s - t + 1; j < s; j++) mask.set(Double.NEGATIVE_INFINITY, i, j);
            }
            scores = ops.add(scores, mask);
        }
        Tensor out = ops.matmul(ops.softmax(scores), repeatKv(v, heads));
        // log-sum-exp = score - log_softmax(score) at any visible key; key 0 is always visible
        Tensor lse = ops.sub(scores, ops.logSoftmax(scores)).select(3, 0);
        return new Ops.AttentionResult(out, lse);
    }

    private record Case(int b, int h, int g, int t, int s, int d, boolean causal) {
        @Override
        public String toString() {
            return "B=" + b + " H=" + h + " G=" + g + " T=" + t + " S=" + s + " D=" + d + (causal ? " causal" : "");
        }
    }

    private static final Case[] CASES = {
            new Case(1, 1, 1, 1, 1, 1, true),
            new Case(2, 4, 2, 5, 5, 3, true),      // GQA, full causal forward
            new Case(1, 6, 2, 3, 7, 17, true),     // KV-cache decoding: 3 new queries over 7 positions
            new Case(1, 4, 1, 1, 9, 33, true),     // one decoded token, multi-query (G = 1)
            new Case(2, 2, 2, 4, 6, 31, false),    // no mask, T != S
            new Case(1, 3, 3, 17, 17, 16, true),   // plain multi-head
            // longer rows and wider heads: the two-vectors-at-a-time loops of the vector kernels over keys and
            // channels, then their one-vector and masked tails (D = 32 and 48 at 16 lanes, 35 keys)
            new Case(1, 4, 2, 35, 35, 32, true),
            new Case(2, 2, 1, 21, 35, 48, false),
            new Case(1, 2, 1, 33, 37, 40, true),
    };

    @Test
    void referenceMatchesMatmulMaskSoftmaxMatmul() {
        Ops ops = Ops.of(Backends.scalar());
        for (Case c : CASES) {
            Tensor q = KernelChecks.uniform64(1, c.b, c.h, c.t, c.d);
            Tensor k = KernelChecks.uniform64(2, c.b, c.g, c.s, c.d);
            Tensor v = KernelChecks.uniform64(3, c.b, c.g, c.s, c.d);
            double scale = 1 / Math.sqrt(c.d);
            Ops.AttentionResult expected = composed(ops, q, k, v, scale, c.causal);
            Ops.AttentionResult actual = ops.attention(q, k, v, scale, c.causal);
            assertClose(expected.out(), actual.out(), COMPOSED_TOL, COMPOSED_TOL, "attention out " + c);
            assertClose(expected.lse(), actual.lse(), COMPOSED_TOL, COMPOSED_TOL, "attention lse " + c);
        }
    }

    @Test
    void referenceBackwardMatchesFiniteDifferences() {
        Ops ops = Ops.of(Backends.scalar());
        for (Case c : new Case[]{new Case(1, 4, 2, 3, 5, 3, true), new Case(1, 2, 1, 3, 3, 2, false)}) {
            Tensor q = KernelChecks.uniform64(4, c.b, c.h, c.t, c.d);
            Tensor k = KernelChecks.uniform64(5, c.b, c.g, c.s, c.d);
            Tensor v = KernelChecks.uniform64(6, c.b, c.g, c.s, c.d);
            Tensor w = KernelChecks.uniform64(7, c.b, c.h, c.t, c.d);
            double scale = 0.7;
            Ops.AttentionResult saved = ops.attention(q, k, v, scale, c.causal);
            Ops.AttentionGrads grads = ops.attentionBackward(q, k, v, saved, w, scale, c.causal);
            KernelChecks.gradCheck("attention dq " + c, q, w, x -> ops.attention(x, k, v, scale, c.causal).out(), grads.dq());
            KernelChecks.gradCheck("attention dk " + c, k, w, x -> ops.attention(q, x, v, scale, c.causal).out(), grads.dk());
            KernelChecks.gradCheck("attention dv " + c, v, w, x -> ops.attention(q, k, x, scale, c.causal).out(), grads.dv());
        }
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void forwardAndBackwardMatchScalar(Backend backend) {
        Ops reference = Ops.of(Backends.scalar());
        for (Case c : CASES) {
            // q, k, v as a model makes them: (B, T, H, D) transposed to (B, H, T, D); dout strided
            Tensor q = TestTensors.uniform(11, c.b, c.t, c.h, c.d).transpose(1, 2);
            Tensor k = TestTensors.uniform(12, c.b, c.s, c.g, c.d).transpose(1, 2);
            Tensor v = TestTensors.strided(13, c.b, c.g, c.s, c.d);
            Tensor dout = TestTensors.strided(14, c.b, c.h, c.t, c.d);
            double scale = 1 / Math.sqrt(c.d);
            matchesScalarBoth(backend, c, "attention out", ops -> ops.attention(q, k, v, scale, c.causal).out());
            matchesScalarBoth(backend, c, "attention lse", ops -> ops.attention(q, k, v, scale, c.causal).lse());
            Ops.AttentionResult saved = reference.attention(q, k, v, scale, c.causal);
            matchesScalarBoth(backend, c, "attention dq",
                    ops -> ops.attentionBackward(q, k, v, saved, dout, scale, c.causal).dq());
            matchesScalarBoth(backend, c, "attention dk",
                    ops -> ops.attentionBackward(q, k, v, saved, dout, scale, c.causal).dk());
            matchesScalarBoth(backend, c, "attention dv",
                    ops -> ops.attentionBackward(q, k, v, saved, dout, scale, c.causal).dv());
        }
    }

    private static void matchesScalarBoth(Backend backend, Case c, String what,
                                          java.util.function.Function<Ops, Tensor> f) {
        KernelChecks.matchesScalar(backend, what + " " + c, F32_ATOL, F32_RTOL, f);
    }
}
