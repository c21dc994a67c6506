package minitron.tensor;

import static minitron.tensor.KernelChecks.F32_ATOL;
import static minitron.tensor.KernelChecks.F32_RTOL;
import static minitron.tensor.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import java.util.function.Function;

/**
 * Causal GQA attention, with and without a sliding window, and its backward. Shape legend: B batch, H query heads,
 * G KV heads, T queries, S keys, D head dim, W window (query position p = t + S - T sees p - W < j <= p).
 */
class AttentionTest {

    /** F64 reference vs its F64 composition from matmul, mask and softmax: rounding order only. */
    private static final double COMPOSED_TOL = 1e-12;

    /** (B, G, S, D) -> (B, H, S, D): each KV head repeated for the H / G query heads of its group. */
    private static Tensor repeatKv(Tensor kv, int heads) {
        int b = kv.dim(0), g = kv.dim(1), s = kv.dim(2), d = kv.dim(3);
        return kv.unsqueeze(2).expand(b, g, heads / g, s, d).reshape(b, heads, s, d);
    }

    /**
     * softmax(q k^T * scale + mask) v composed from Ops primitives, and the log-sum-exp of each masked row. The mask
     * is written from HF's definition (masking_utils: causal j <= p, sliding window j > p - W), independently of
     * the kernels' key ranges.
     */
    private static Ops.AttentionResult composed(Ops ops, Tensor q, Tensor k, Tensor v, double scale, boolean causal,
                                                int window) {
        int heads = q.dim(1), t = q.dim(2), s = k.dim(2);
        Tensor scores = ops.scale(ops.matmul(q, repeatKv(k, heads).transpose(2, 3)), scale); // (B, H, T, S)
        Tensor mask = Tensor.zeros(q.dtype(), t, s);
        for (int i = 0; i < t; i++) {
            int p = i + s - t; // the query's absolute position
            for (int j = 0; j < s; j++) {
                boolean causalOk = !causal || j <= p;
                boolean windowOk = window == 0 || j > p - window;
                if (!(causalOk && windowOk)) mask.set(Double.NEGATIVE_INFINITY, i, j);
            }
        }
        scores = ops.add(scores, mask);
        Tensor out = ops.matmul(ops.softmax(scores), repeatKv(v, heads));
        // log-sum-exp = score - log_softmax(score) at any visible key; the last key (j = S - 1 >= p) is visible to
        // the last query only, so take the row's own position instead: j = p is visible under every mask here
        Tensor lseAll = ops.sub(scores, ops.logSoftmax(scores));                              // (B, H, T, S)
        Tensor lse = Tensor.zeros(q.dtype(), q.dim(0), heads, t);
        for (int b = 0; b < q.dim(0); b++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < t; i++) {
                    int own = causal ? i + s - t : 0;
                    lse.set(lseAll.get(b, h, i, own), b, h, i);
                }
            }
        }
        return new Ops.AttentionResult(out, lse);
    }

    private record Case(int b, int h, int g, int t, int s, int d, boolean causal, int window) {
        Case(int b, int h, int g, int t, int s, int d, boolean causal) {
            this(b, h, g, t, s, d, causal, 0);
        }

        @Override
        public String toString() {
            return "B=" + b + " H=" + h + " G=" + g + " T=" + t + " S=" + s + " D=" + d + (causal ? " causal" : "")
                    + (window > 0 ? " W=" + window : "");
        }
    }

    private static final Case[] CASES = {
            new Case(1, 1, 1, 1, 1, 1, true),
            new Case(2, 4, 2, 5, 5, 3, true),      // GQA, full causal forward
            new Case(1, 6, 2, 3, 7, 17, true),     // KV-cache decoding: 3 new queries over 7 positions
            new Case(1, 4, 1, 1, 9, 33, true),     // one decoded token, multi-query (G = 1)
            new Case(2, 2, 2, 4, 6, 31, false),    // no mask, T != S
            new Case(1, 3, 3, 17, 17, 16, true),   // plain multi-head
            // sliding window (Mistral): smaller than the sequence, window 1, larger than the sequence, and in
            // KV-cache decoding where the queries are the last positions; odd D, blocks of 4 rows that straddle the
            // start of a window, windows that start inside a vector of keys
            new Case(1, 4, 2, 12, 12, 5, true, 5),   // the golden Mistral shape: W = 5 on 12 positions, GQA
            new Case(2, 2, 1, 9, 9, 7, true, 1),     // W = 1: each query sees only itself
            new Case(1, 2, 2, 7, 7, 9, true, 20),    // W larger than the sequence: full causal
            new Case(1, 6, 3, 3, 11, 17, true, 4),   // 3 queries (row-at-a-time path) over 11 cached positions
            new Case(1, 4, 1, 1, 20, 33, true, 6),   // one decoded token, 14 positions outside its window
            new Case(1, 4, 2, 6, 23, 8, true, 9),    // 6 queries (blocked path) over 23 positions
            new Case(2, 2, 1, 37, 37, 16, true, 13), // many blocks, windows starting at every offset in a vector
            new Case(1, 1, 1, 70, 70, 3, true, 17),  // window start crosses several 16-lane vectors
            // longer rows and wider heads: the two-vectors-at-a-time loops of the vector kernels over keys and
            // channels, then their one-vector and masked tails (D = 32 and 48 at 16 lanes, 35 keys)
            new Case(1, 4, 2, 35, 35, 32, true),
            new Case(2, 2, 1, 21, 35, 48, false),
            new Case(1, 2, 1, 33, 37, 40, true),
            // windows over panels of two key vectors: S a multiple of the panel, so the last row sees the whole
            // padded row and its window starts mid-vector (the exponentials must stay inside the row); a window
            // that starts in the second half of a panel; a decoded token whose window starts past the last
            // whole vector of its scores
            new Case(1, 2, 1, 64, 64, 32, true, 5),
            new Case(1, 2, 2, 40, 40, 48, true, 21),
            new Case(1, 2, 1, 1, 20, 16, true, 3),
            // decoding, where the heads of a KV group form the blocks: 6 heads per group (a block of 4 and one of
            // 2) at 2 query positions with B = 2; 8 heads per group with wide heads and a window
            new Case(2, 12, 2, 2, 19, 64, true),
            new Case(1, 16, 2, 1, 45, 128, true, 30),
    };

    @Test
    void referenceMatchesMatmulMaskSoftmaxMatmul() {
        Ops ops = Ops.of(Backends.scalar());
        for (Case c : CASES) {
            Tensor q = KernelChecks.uniform64(1, c.b, c.h, c.t, c.d);
            Tensor k = KernelChecks.uniform64(2, c.b, c.g, c.s, c.d);
            Tensor v = KernelChecks.uniform64(3, c.b, c.g, c.s, c.d);
            double scale = 1 / Math.sqrt(c.d);
            Ops.AttentionResult expected = composed(ops, q, k, v, scale, c.causal, c.window);
            Ops.AttentionResult actual = ops.attention(q, k, v, scale, c.causal, c.window);
            assertClose(expected.out(), actual.out(), COMPOSED_TOL, COMPOSED_TOL, "attention out " + c);
            assertClose(expected.lse(), actual.lse(), COMPOSED_TOL, COMPOSED_TOL, "attention lse " + c);
        }
    }

    @Test
    void referenceBackwardMatchesFiniteDifferences() {
        Ops ops = Ops.of(Backends.scalar());
        Case[] cases = {new Case(1, 4, 2, 3, 5, 3, true), new Case(1, 2, 1, 3, 3, 2, false),
                new Case(1, 4, 2, 7, 7, 3, true, 3),   // sliding window smaller than the sequence, GQA
                new Case(1, 2, 1, 3, 8, 2, true, 2),   // cached positions, two of them outside every window
                new Case(1, 2, 2, 5, 5, 3, true, 1)};  // window 1: out = v of the own position, dq = dk = 0
        for (Case c : cases) {
            Tensor q = KernelChecks.uniform64(4, c.b, c.h, c.t, c.d);
            Tensor k = KernelChecks.uniform64(5, c.b, c.g, c.s, c.d);
            Tensor v = KernelChecks.uniform64(6, c.b, c.g, c.s, c.d);
            Tensor w = KernelChecks.uniform64(7, c.b, c.h, c.t, c.d);
            double scale = 0.7;
            int win = c.window;
            Ops.AttentionResult saved = ops.attention(q, k, v, scale, c.causal, win);
            Ops.AttentionGrads grads = ops.attentionBackward(q, k, v, saved, w, scale, c.causal, win);
            KernelChecks.gradCheck("attention dq " + c, q, w, x -> ops.attention(x, k, v, scale, c.causal, win).out(),
                    grads.dq());
            KernelChecks.gradCheck("attention dk " + c, k, w, x -> ops.attention(q, x, v, scale, c.causal, win).out(),
                    grads.dk());
            KernelChecks.gradCheck("attention dv " + c, v, w, x -> ops.attention(q, k, x, scale, c.causal, win).out(),
                    grads.dv());
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
            int w = c.window;
            matchesScalarBoth(backend, c, "attention out", ops -> ops.attention(q, k, v, scale, c.causal, w).out());
            matchesScalarBoth(backend, c, "attention lse", ops -> ops.attention(q, k, v, scale, c.causal, w).lse());
            Ops.AttentionResult saved = reference.attention(q, k, v, scale, c.causal, w);
            matchesScalarBoth(backend, c, "attention dq",
                    ops -> ops.attentionBackward(q, k, v, saved, dout, scale, c.causal, w).dq());
            matchesScalarBoth(backend, c, "attention dk",
                    ops -> ops.attentionBackward(q, k, v, saved, dout, scale, c.causal, w).dk());
            matchesScalarBoth(backend, c, "attention dv",
                    ops -> ops.attentionBackward(q, k, v, saved, dout, scale, c.causal, w).dv());
        }
    }

    /** A window of at least S positions masks nothing more than causal: the same code path, bit for bit. */
    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void aWindowCoveringEverySequencePositionIsPlainCausal(Backend backend) {
        Ops ops = Ops.of(backend);
        for (int[] ts : new int[][]{{9, 9}, {1, 9}, {3, 9}}) {
            int t = ts[0], s = ts[1];
            Tensor q = TestTensors.uniform(21, 1, 4, t, 19);
            Tensor k = TestTensors.uniform(22, 1, 2, s, 19);
            Tensor v = TestTensors.uniform(23, 1, 2, s, 19);
            Tensor dout = TestTensors.uniform(24, 1, 4, t, 19);
            Ops.AttentionResult full = ops.attention(q, k, v, 0.3, true);
            Ops.AttentionResult windowed = ops.attention(q, k, v, 0.3, true, s);
            assertClose(full.out(), windowed.out(), 0, 0, "out, window = S = " + s + ", T = " + t);
            assertClose(full.lse(), windowed.lse(), 0, 0, "lse, window = S = " + s + ", T = " + t);
            Ops.AttentionGrads a = ops.attentionBackward(q, k, v, full, dout, 0.3, true);
            Ops.AttentionGrads b = ops.attentionBackward(q, k, v, full, dout, 0.3, true, s);
            assertClose(a.dq(), b.dq(), 0, 0, "dq, window = S");
            assertClose(a.dk(), b.dk(), 0, 0, "dk, window = S");
            assertClose(a.dv(), b.dv(), 0, 0, "dv, window = S");
        }
    }

    /**
     * Keys that no query of the call sees are skipped, not computed and then masked: with NaN in every such key
     * and value, the results are those of the clean inputs exactly (a NaN read anywhere would propagate), and
     * their dk, dv are 0. The queries are the last T of S = 40 positions with W = 5, so they see keys from
     * 40 - T - 4 on; keys [0, 16) lie before that, even after the kernels round the start down to a vector of
     * up to 16 lanes.
     */
    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void keysOutsideEveryWindowAreNeverRead(Backend backend) {
        Ops ops = Ops.of(backend);
        int s = 40, window = 5, poisoned = 16;
        for (int t : new int[]{1, 3, 8}) {   // one decoded token, the row-at-a-time path, the blocked path
            Tensor q = TestTensors.uniform(31, 1, 4, t, 9);
            Tensor k = TestTensors.uniform(32, 1, 2, s, 9);
            Tensor v = TestTensors.uniform(33, 1, 2, s, 9);
            Tensor dout = TestTensors.uniform(34, 1, 4, t, 9);
            Ops.AttentionResult clean = ops.attention(q, k, v, 0.5, true, window);
            Ops.AttentionGrads cleanGrads = ops.attentionBackward(q, k, v, clean, dout, 0.5, true, window);
            Tensor kNan = k.contiguous(), vNan = v.contiguous();
            for (int g = 0; g < 2; g++) {
                for (int j = 0; j < poisoned; j++) {
                    for (int c = 0; c < 9; c++) {
                        kNan.set(Double.NaN, 0, g, j, c);
                        vNan.set(Double.NaN, 0, g, j, c);
                    }
                }
            }
            Ops.AttentionResult dirty = ops.attention(q, kNan, vNan, 0.5, true, window);
            assertClose(clean.out(), dirty.out(), 0, 0, "out with NaN outside the windows, T = " + t);
            assertClose(clean.lse(), dirty.lse(), 0, 0, "lse with NaN outside the windows, T = " + t);
            Ops.AttentionGrads grads = ops.attentionBackward(q, kNan, vNan, dirty, dout, 0.5, true, window);
            assertClose(cleanGrads.dq(), grads.dq(), 0, 0, "dq with NaN outside the windows, T = " + t);
            assertClose(cleanGrads.dk(), grads.dk(), 0, 0, "dk with NaN outside the windows, T = " + t);
            assertClose(cleanGrads.dv(), grads.dv(), 0, 0, "dv with NaN outside the windows, T = " + t);
            for (int j = 0; j < poisoned; j++) {
                assertEquals(0.0, grads.dk().get(0, 1, j, 4), "dk of an unseen key " + j);
                assertEquals(0.0, grads.dv().get(0, 0, j, 2), "dv of an unseen key " + j);
            }
        }
    }

    @Test
    void aWindowNeedsTheCausalMaskAndIsNotNegative() {
        Ops ops = Ops.of(Backends.scalar());
        Tensor q = TestTensors.uniform(41, 1, 2, 3, 4), kv = TestTensors.uniform(42, 1, 1, 3, 4);
        TensorException e = assertThrows(TensorException.class, () -> ops.attention(q, kv, kv, 1, false, 2));
        assertTrue(e.getMessage().contains("only with causal attention"), e.getMessage());
        e = assertThrows(TensorException.class, () -> ops.attention(q, kv, kv, 1, true, -1));
        assertTrue(e.getMessage().contains("window = -1"), e.getMessage());
    }

    private static void matchesScalarBoth(Backend backend, Case c, String what,
                                          Function<Ops, Tensor> f) {
        KernelChecks.matchesScalar(backend, what + " " + c, F32_ATOL, F32_RTOL, f);
    }
}
