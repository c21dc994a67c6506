package minitron.tensor.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;
import minitron.tensor.Backend;
import minitron.tensor.Parallel;
import minitron.tensor.Tensor;

/**
 * Causal grouped-query attention and its backward for F32.
 *
 * <p>Shape legend: B batch, H query heads, G key/value heads (query head h reads KV head h / (H / G)), T query
 * positions, S key positions, D head dim. q (B, H, T, D); k, v (B, G, S, D). Causal: query i is position
 * p = i + S - T and sees keys j <= p; with a sliding window W > 0 only p - W < j <= p (HF's sliding-window causal
 * mask). A block's loops skip the keys before every window of its rows: the scores start at the panel of keys
 * holding the first key any row sees, the value sums (and in the backward dK, dV, dQ) at that key itself, so V
 * (and K, but for its transposed copy) outside the windows is never read and a long sequence costs O(T * W),
 * not O(T * S). Within a row's vectors, the keys before its window get the score -infinity, hence probability
 * exp(-infinity) = 0 exactly.
 *
 * <p>The forward works on blocks of 4 query rows of one head (parallel over all blocks): scores against K
 * transposed, so each loaded vector of keys serves the 4 rows without horizontal sums (two vectors of keys at a
 * time: 8 independent FMA chains); per row the max, the exponentials and their sum; then the weighted sum of V
 * rows, each V vector again serving the 4 rows (two vectors of channels at a time where the head dim allows).
 * Decoding (T < 4) takes a path whose blocks are the query heads of one KV group, which see the same keys, with
 * K read in place. The backward recomputes the probabilities from the saved log-sum-exp with the same blocking;
 * it runs in parallel over the B*G KV groups, because dK and dV sum over all query heads of a group and one
 * thread per group keeps those sums race-free and deterministic. When B*G is smaller than the pool some threads
 * idle; per-thread dK/dV copies would use them, at a cost in memory (not done).
 *
 * <p>Precision: dot products and the softmax sum accumulate in F32 vector lanes; the reference works in F64.
 */
final class VectorAttention {
    private static final VectorSpecies<Float> F = VectorBackend.F;

    /** Query rows handled together: each K^T and V vector loaded is used for this many rows (register blocking). */
    private static final int BLOCK = 4;

    /** Keys per panel of the transposed K (and V): two vectors, what one step of {@link #scoresBlock} reads. */
    private static final int PANEL = 2 * F.length();

    private VectorAttention() {
    }

    /**
     * out (B, H, T, D) = softmax(q k^T * scale + causal / window mask) v; lse (B, H, T) = log-sum-exp of each
     * score row.
     *
     * <p>Work is split into blocks of {@link #BLOCK} consecutive query rows of one head (parallel over the
     * B*H*ceil(T/BLOCK) blocks). K is first transposed per KV head to kt (B*G, D, Sp) in panels of 2L keys
     * (see {@link #transposeKeys}), Sp = S rounded up to whole panels, so that the scores of a block are a small
     * matrix product with no horizontal sums: scores[r, j..j+L) = sum_d q[r, d] * kt[d, j..j+L), L keys per
     * vector, two vectors at a time. Then per row: mask the keys the row cannot see, max, exponentials and their
     * sum; and out[r, c..c+L) = sum_j p[r, j] * v[j, c..c+L) / sum_r, again one vector of V feeding all rows
     * of the block. All of this only over the keys [from, keys) that some row of the block sees (the whole
     * prefix [0, keys) without a window).
     */
    static boolean attention(Tensor q, Tensor k, Tensor v, double scale, boolean causal, int window, Tensor out,
                             Tensor lse) {
        if (!Dense.outputs(out, lse) || !Dense.readable(q, k, v)) return false;
        if (q.dim(2) < BLOCK) return attentionRows(q, k, v, scale, causal, window, out, lse);
        Dense.Rows4 qs = Dense.Rows4.of(q), ks = Dense.Rows4.of(k), vs = Dense.Rows4.of(v);
        Dense.Floats o = Dense.out(out);
        Dense.Floats l = lse == null ? null : Dense.out(lse);
        float[] qa = qs.array(), va = vs.array(), oa = o.array();
        int batch = q.dim(0), heads = q.dim(1), t = q.dim(2), d = q.dim(3);
        int groups = k.dim(1), s = k.dim(2), perGroup = heads / groups;
        int sp = (s + PANEL - 1) / PANEL * PANEL;
        float[] kt = transposeKeys(ks, batch, groups, s, d, sp);
        int blocksPerHead = (t + BLOCK - 1) / BLOCK;
        float fscale = (float) scale;
        Parallel.forRange(batch * heads * blocksPerHead, Dense.grain(2L * BLOCK * s * d), (start, end) -> {
            float[] p = new float[BLOCK * sp];
            int[] qRow = new int[BLOCK];
            float[] inv = new float[BLOCK];
            float[] lanes = new float[F.length()];
            for (int unit = start; unit < end; unit++) {
                int bh = unit / blocksPerHead, b = bh / heads, h = bh % heads, g = h / perGroup;
                int i0 = (unit % blocksPerHead) * BLOCK, rows = Math.min(BLOCK, t - i0);
                for (int r = 0; r < BLOCK; r++) qRow[r] = qs.row(b, h, i0 + Math.min(r, rows - 1));
                // keys [from, keys) are seen by at least one row of the block (the last one sees up to the last
                // key, the first one from the earliest); from is aligned down to a panel, where scoresBlock steps
                int keys = causal ? i0 + rows - 1 + s - t + 1 : s;
                int firstKey = Backend.windowStart(i0 + s - t, window), from = firstKey / PANEL * PANEL;
                scoresBlock(qa, qRow, kt, (b * groups + g) * d * sp, sp, d, from, keys, fscale, p); // q_r . k_j * scale
                for (int r = 0; r < rows; r++) {
                    // keys [first, visible) are seen by query i0 + r; the vectors from firstVector on are exponentiated
                    int visible = causal ? i0 + r + s - t + 1 : s;
                    int first = Backend.windowStart(i0 + r + s - t, window);
                    int firstVector = first / F.length() * F.length();
                    int pr = r * sp;
                    Arrays.fill(p, pr + firstVector, pr + first, Float.NEGATIVE_INFINITY); // before the window
                    float max = VectorReduce.max(p, pr + first, visible - first);
                    float sum = expInPlace(p, pr + firstVector, visible - firstVector, max, lanes);
                    Arrays.fill(p, pr + from, pr + firstVector, 0f); // keys before the window: probability 0
                    Arrays.fill(p, pr + visible, pr + keys, 0f);     // keys after the query (causal): probability 0
                    inv[r] = 1f / sum;
                    if (l != null) l.array()[l.offset() + bh * t + i0 + r] = (float) (max + Math.log(sum));
                }
                // V rows from the first key of any window on (P is 0 before it; V there is never read)
                weightedValues(p, sp, rows, firstKey, keys, va, vs, b, g, d, inv, oa, o.offset() + (bh * t + i0) * d,
                        d);
            }
        });
        return true;
    }

    /**
     * The forward for decoding (T < BLOCK): the query heads of one KV group at one query position form the rows
     * of a block, since they see the same keys; units are (b, g, i, block of up to 4 heads), parallel. Scores are
     * dot products with the keys read in place: a transposed copy of K (what the blocked path makes) would cost
     * a pass over the whole cache for each token, and each K vector loaded here serves the block's rows anyway.
     * The sum over a dot product's lanes is a fixed tree ({@link DeterministicLanes#treeSum}), so the result does
     * not depend on whether C2 has compiled the loop (the Vector API's reduceLanes sums in a different order
     * compiled and interpreted). Then the softmax and the weighted sum of V rows as in the blocked path.
     */
    private static boolean attentionRows(Tensor q, Tensor k, Tensor v, double scale, boolean causal, int window,
                                         Tensor out, Tensor lse) {
        Dense.Rows4 qs = Dense.Rows4.of(q), ks = Dense.Rows4.of(k), vs = Dense.Rows4.of(v);
        Dense.Floats o = Dense.out(out);
        Dense.Floats l = lse == null ? null : Dense.out(lse);
        float[] qa = qs.array(), ka = ks.array(), va = vs.array(), oa = o.array();
        int batch = q.dim(0), heads = q.dim(1), t = q.dim(2), d = q.dim(3);
        int groups = k.dim(1), s = k.dim(2), perGroup = heads / groups;
        int headBlocks = (perGroup + BLOCK - 1) / BLOCK;
        int sp = (s + F.length() - 1) / F.length() * F.length(); // whole vectors for expInPlace
        float fscale = (float) scale;
        int units = batch * groups * t * headBlocks;
        Parallel.forRange(units, Dense.grain(2L * BLOCK * s * d), (start, end) -> {
            float[] p = new float[BLOCK * sp];
            int[] qRow = new int[BLOCK];
            float[] inv = new float[BLOCK];
            float[] lanes = new float[F.length()];
            for (int unit = start; unit < end; unit++) {
                int hb = unit % headBlocks, i = (unit / headBlocks) % t;
                int g = (unit / (headBlocks * t)) % groups, b = unit / (headBlocks * t * groups);
                int h0 = g * perGroup + hb * BLOCK, rows = Math.min(BLOCK, perGroup - hb * BLOCK);
                for (int r = 0; r < BLOCK; r++) qRow[r] = qs.row(b, h0 + Math.min(r, rows - 1), i);
                // keys [first, visible) are seen by query i, at position i + S - T when causal, by every head alike
                int visible = causal ? i + s - t + 1 : s;
                int first = Backend.windowStart(i + s - t, window);
                int firstVector = first / F.length() * F.length();
                scoresRows(qa, qRow, ka, ks.row(b, g, 0), (int) ks.s2(), d, first, visible, fscale, p, sp);
                for (int r = 0; r < rows; r++) {
                    int pr = r * sp;
                    Arrays.fill(p, pr + firstVector, pr + first, Float.NEGATIVE_INFINITY); // before the window
                    float max = VectorReduce.max(p, pr + first, visible - first);
                    float sum = expInPlace(p, pr + firstVector, visible - firstVector, max, lanes);
                    inv[r] = 1f / sum;
                    if (l != null) l.array()[l.offset() + (b * heads + h0 + r) * t + i] = (float) (max + Math.log(sum));
                }
                weightedValues(p, sp, rows, first, visible, va, vs, b, g, d, inv, oa,
                        o.offset() + ((b * heads + h0) * t + i) * d, t * d);
            }
        });
        return true;
    }

    /**
     * p[r*Sp + j] = (q_r . k_j) * scale for the BLOCK rows whose q offsets are qRow and the keys j in
     * [from, keys), K rows read in place (row j of the group at kBase + j * kStride). Each loaded vector of a key
     * serves the four rows; each dot product is the lane-wise FMA chain over the channels, a masked vector last,
     * then {@link DeterministicLanes#treeSum}.
     */
    private static void scoresRows(float[] qa, int[] qRow, float[] ka, int kBase, int kStride, int d, int from,
                                   int keys, float scale, float[] p, int sp) {
        int q0 = qRow[0], q1 = qRow[1], q2 = qRow[2], q3 = qRow[3];
        int lanes = F.length();
        for (int j = from; j < keys; j++) {
            int kr = kBase + j * kStride;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            int c = 0;
            for (; c + lanes <= d; c += lanes) {
                FloatVector kv = FloatVector.fromArray(F, ka, kr + c);
                a0 = FloatVector.fromArray(F, qa, q0 + c).fma(kv, a0);
                a1 = FloatVector.fromArray(F, qa, q1 + c).fma(kv, a1);
                a2 = FloatVector.fromArray(F, qa, q2 + c).fma(kv, a2);
                a3 = FloatVector.fromArray(F, qa, q3 + c).fma(kv, a3);
            }
            if (c < d) {
                VectorMask<Float> m = F.indexInRange(c, d);
                FloatVector kv = FloatVector.fromArray(F, ka, kr + c, m);
                a0 = FloatVector.fromArray(F, qa, q0 + c, m).fma(kv, a0);
                a1 = FloatVector.fromArray(F, qa, q1 + c, m).fma(kv, a1);
                a2 = FloatVector.fromArray(F, qa, q2 + c, m).fma(kv, a2);
                a3 = FloatVector.fromArray(F, qa, q3 + c, m).fma(kv, a3);
            }
            p[j] = DeterministicLanes.treeSum(a0) * scale;
            p[sp + j] = DeterministicLanes.treeSum(a1) * scale;
            p[2 * sp + j] = DeterministicLanes.treeSum(a2) * scale;
            p[3 * sp + j] = DeterministicLanes.treeSum(a3) * scale;
        }
    }

    /**
     * K (B, G, S, D) transposed per KV head into panels of {@link #PANEL} keys: for key j = jp * PANEL + jj,
     * kt[(b*G + g)*D*Sp + jp*D*PANEL + c*PANEL + jj] = k[b, g, j, c]; Sp = S rounded up to whole panels, the
     * padding keys [S, Sp) stay 0. A panel (D, PANEL) is contiguous, so {@link #scoresBlock} reads one stream
     * of memory rather than D rows Sp apart.
     */
    private static float[] transposeKeys(Dense.Rows4 ks, int batch, int groups, int s, int d, int sp) {
        float[] kt = new float[batch * groups * d * sp];
        float[] ka = ks.array();
        Parallel.forRange(batch * groups, Dense.grain((long) s * d), (start, end) -> {
            for (int bg = start; bg < end; bg++) {
                int b = bg / groups, g = bg % groups, base = bg * d * sp;
                for (int j = 0; j < s; j++) {
                    int kr = ks.row(b, g, j);
                    int at = base + (j / PANEL) * d * PANEL + j % PANEL;
                    for (int c = 0; c < d; c++) kt[at + c * PANEL] = ka[kr + c];
                }
            }
        });
        return kt;
    }

    /**
     * p[r*Sp + j] = (q_r . k_j) * scale for the BLOCK rows whose q offsets are qRow and keys j in [from, keys)
     * (from a multiple of {@link #PANEL}; rounded up to whole vectors; the rows past the end of a short block repeat
     * the last row; their results are ignored).
     * Two vectors of keys at a time: 8 independent accumulators, enough to keep both FMA pipes busy through the
     * FMA latency, and each broadcast q value serves 2 vectors; kt holds panels of {@link #PANEL} keys (see
     * {@link #transposeKeys}), so a step reads the panel's row c. Each score is the same chain of FMAs over c in
     * either loop, so the result does not depend on which loop computed it.
     */
    private static void scoresBlock(float[] qa, int[] qRow, float[] kt, int ktBase, int sp, int d, int from,
                                    int keys, float scale, float[] p) {
        int q0 = qRow[0], q1 = qRow[1], q2 = qRow[2], q3 = qRow[3];
        int lanes = F.length();
        int j = from;
        for (; j + lanes < keys; j += 2 * lanes) { // both vectors hold keys < `keys`; j + 2L <= Sp
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            int panel = ktBase + j * d; // j is a multiple of PANEL: panel j / PANEL starts at j * D
            for (int c = 0; c < d; c++) {
                int at = panel + c * PANEL;
                FloatVector kv = FloatVector.fromArray(F, kt, at);         // keys j..j+L, channel c
                FloatVector kw = FloatVector.fromArray(F, kt, at + lanes); // keys j+L..j+2L, channel c
                FloatVector x0 = FloatVector.broadcast(F, qa[q0 + c]), x1 = FloatVector.broadcast(F, qa[q1 + c]);
                FloatVector x2 = FloatVector.broadcast(F, qa[q2 + c]), x3 = FloatVector.broadcast(F, qa[q3 + c]);
                a0 = kv.fma(x0, a0);
                b0 = kw.fma(x0, b0);
                a1 = kv.fma(x1, a1);
                b1 = kw.fma(x1, b1);
                a2 = kv.fma(x2, a2);
                b2 = kw.fma(x2, b2);
                a3 = kv.fma(x3, a3);
                b3 = kw.fma(x3, b3);
            }
            a0.mul(scale).intoArray(p, j);
            b0.mul(scale).intoArray(p, j + lanes);
            a1.mul(scale).intoArray(p, sp + j);
            b1.mul(scale).intoArray(p, sp + j + lanes);
            a2.mul(scale).intoArray(p, 2 * sp + j);
            b2.mul(scale).intoArray(p, 2 * sp + j + lanes);
            a3.mul(scale).intoArray(p, 3 * sp + j);
            b3.mul(scale).intoArray(p, 3 * sp + j + lanes);
        }
        if (j < keys) { // one last vector of keys, the first half of a panel
            int panel = ktBase + j * d;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int c = 0; c < d; c++) {
                FloatVector kv = FloatVector.fromArray(F, kt, panel + c * PANEL);
                a0 = kv.fma(FloatVector.broadcast(F, qa[q0 + c]), a0);
                a1 = kv.fma(FloatVector.broadcast(F, qa[q1 + c]), a1);
                a2 = kv.fma(FloatVector.broadcast(F, qa[q2 + c]), a2);
                a3 = kv.fma(FloatVector.broadcast(F, qa[q3 + c]), a3);
            }
            a0.mul(scale).intoArray(p, j);
            a1.mul(scale).intoArray(p, sp + j);
            a2.mul(scale).intoArray(p, 2 * sp + j);
            a3.mul(scale).intoArray(p, 3 * sp + j);
        }
    }

    /**
     * out[r, c] = inv[r] * sum_{from <= j < keys} p[r*Sp + j] * v[b, g, j, c] for the first {@code rows} rows of a
     * block, written to rows of out {@code outStride} apart from {@code outBase}. Two full vectors of channels at a
     * time where they fit (8 independent accumulators, each broadcast p value serving 2 vectors), then one full
     * vector, then a masked one; every element is the same chain of FMAs over j in ascending order whichever loop
     * computes it.
     */
    private static void weightedValues(float[] p, int sp, int rows, int from, int keys, float[] va, Dense.Rows4 vs,
                                       int b, int g, int d, float[] inv, float[] oa, int outBase, int outStride) {
        int vBase = vs.row(b, g, 0);
        int vStride = (int) vs.s2();
        int lanes = F.length();
        int c = 0;
        for (; c + 2 * lanes <= d; c += 2 * lanes) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            for (int j = from; j < keys; j++) {
                int at = vBase + j * vStride + c;
                FloatVector vv = FloatVector.fromArray(F, va, at);
                FloatVector vw = FloatVector.fromArray(F, va, at + lanes);
                FloatVector p0 = FloatVector.broadcast(F, p[j]), p1 = FloatVector.broadcast(F, p[sp + j]);
                FloatVector p2 = FloatVector.broadcast(F, p[2 * sp + j]), p3 = FloatVector.broadcast(F, p[3 * sp + j]);
                a0 = vv.fma(p0, a0);
                b0 = vw.fma(p0, b0);
                a1 = vv.fma(p1, a1);
                b1 = vw.fma(p1, b1);
                a2 = vv.fma(p2, a2);
                b2 = vw.fma(p2, b2);
                a3 = vv.fma(p3, a3);
                b3 = vw.fma(p3, b3);
            }
            a0.mul(inv[0]).intoArray(oa, outBase + c);
            b0.mul(inv[0]).intoArray(oa, outBase + c + lanes);
            if (rows > 1) {
                a1.mul(inv[1]).intoArray(oa, outBase + outStride + c);
                b1.mul(inv[1]).intoArray(oa, outBase + outStride + c + lanes);
            }
            if (rows > 2) {
                a2.mul(inv[2]).intoArray(oa, outBase + 2 * outStride + c);
                b2.mul(inv[2]).intoArray(oa, outBase + 2 * outStride + c + lanes);
            }
            if (rows > 3) {
                a3.mul(inv[3]).intoArray(oa, outBase + 3 * outStride + c);
                b3.mul(inv[3]).intoArray(oa, outBase + 3 * outStride + c + lanes);
            }
        }
        for (; c < d; c += lanes) {
            VectorMask<Float> m = F.indexInRange(c, d); // all true except for a last partial vector
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int j = from; j < keys; j++) {
                FloatVector vv = FloatVector.fromArray(F, va, vBase + j * vStride + c, m);
                a0 = vv.fma(FloatVector.broadcast(F, p[j]), a0);
                a1 = vv.fma(FloatVector.broadcast(F, p[sp + j]), a1);
                a2 = vv.fma(FloatVector.broadcast(F, p[2 * sp + j]), a2);
                a3 = vv.fma(FloatVector.broadcast(F, p[3 * sp + j]), a3);
            }
            a0.mul(inv[0]).intoArray(oa, outBase + c, m);
            if (rows > 1) a1.mul(inv[1]).intoArray(oa, outBase + outStride + c, m);
            if (rows > 2) a2.mul(inv[2]).intoArray(oa, outBase + 2 * outStride + c, m);
            if (rows > 3) a3.mul(inv[3]).intoArray(oa, outBase + 3 * outStride + c, m);
        }
    }

    /**
     * p[off + j] = exp(p[off + j] - max) for j in [0, n); returns their sum, added lane-wise and then across the
     * lanes left to right ({@code lanes}: a scratch array of one vector). Whole vectors only: p must have room up
     * to n rounded up to the vector length, and the elements in [n, that bound) are overwritten with values that
     * do not count (the callers zero them or never read them). One call site of the exponential and no vector
     * passed to a method: a call that C2 does not inline would box its vector arguments, a heap allocation per
     * call (it did not inline the masked tail's second exp or the lane sum here, which cost ~15% of the forward).
     */
    private static float expInPlace(float[] p, int off, int n, float max, float[] lanes) {
        FloatVector sum = FloatVector.zero(F);
        for (int j = 0; j < n; j += F.length()) {
            FloatVector e = DeterministicLanes.exp(FloatVector.fromArray(F, p, off + j).sub(max));
            e.intoArray(p, off + j);
            if (j + F.length() > n) e = e.blend(0f, F.indexInRange(j, n).not()); // lanes past n add nothing
            sum = sum.add(e);
        }
        sum.intoArray(lanes, 0);
        return DeterministicLanes.sum(lanes);
    }

    /**
     * With P = exp(scores - lse): dV = P^T dO, dP = dO V^T, dS = P * (dP - rowsum(dO * O)), dQ = dS K * scale,
     * dK = dS^T Q * scale; dK and dV summed over the query heads of each group.
     *
     * <p>Parallel over the B*G KV groups (one thread owns a group's dK and dV rows: no races, a fixed order of
     * additions). Within a group, blocks of {@link #BLOCK} query rows of one head at a time, register-blocked as
     * in the forward: P and dP of the block from K and V transposed, then every K, V, Q or dO vector loaded is
     * used for all rows of the block.
     */
    static boolean attentionBackward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor dout,
                                     double scale, boolean causal, int window, Tensor dq, Tensor dk, Tensor dv) {
        if (!Dense.outputs(dq, dk, dv) || !Dense.readable(q, k, v, out, lse, dout)) return false;
        Dense.Rows4 qs = Dense.Rows4.of(q), ks = Dense.Rows4.of(k), vs = Dense.Rows4.of(v);
        Dense.Rows4 os = Dense.Rows4.of(out), gs = Dense.Rows4.of(dout);
        float[] qa = qs.array(), oa = os.array(), ga = gs.array();
        float[] lseRows = Dense.gather(lse);
        Dense.Floats dqs = Dense.out(dq), dks = Dense.out(dk), dvs = Dense.out(dv);
        float[] dqa = dqs.array(), dka = dks.array(), dva = dvs.array();
        int batch = q.dim(0), heads = q.dim(1), t = q.dim(2), d = q.dim(3);
        int groups = k.dim(1), s = k.dim(2), perGroup = heads / groups;
        int sp = (s + PANEL - 1) / PANEL * PANEL;
        float[] kt = transposeKeys(ks, batch, groups, s, d, sp);
        float[] vt = transposeKeys(vs, batch, groups, s, d, sp);
        float fscale = (float) scale;
        float[] ones = {1f, 1f, 1f, 1f};
        Parallel.forRange(batch * groups, 1, (start, end) -> {
            float[] p = new float[BLOCK * sp];   // P of the block, row r at r*Sp
            float[] ds = new float[BLOCK * sp];  // dP, then dS * scale
            int[] qRow = new int[BLOCK], gRow = new int[BLOCK];
            for (int bg = start; bg < end; bg++) {
                int b = bg / groups, g = bg % groups;
                int kvBase = bg * s * d; // dk, dv rows (b, g, 0..S, :) are contiguous in the outputs
                Arrays.fill(dka, dks.offset() + kvBase, dks.offset() + kvBase + s * d, 0f);
                Arrays.fill(dva, dvs.offset() + kvBase, dvs.offset() + kvBase + s * d, 0f);
                for (int h = g * perGroup; h < (g + 1) * perGroup; h++) {
                    int bh = b * heads + h;
                    for (int i0 = 0; i0 < t; i0 += BLOCK) {
                        int rows = Math.min(BLOCK, t - i0);
                        for (int r = 0; r < BLOCK; r++) {
                            qRow[r] = qs.row(b, h, i0 + Math.min(r, rows - 1));
                            gRow[r] = gs.row(b, h, i0 + Math.min(r, rows - 1));
                        }
                        // keys [from, keys) seen by some row of the block, from aligned down as in the forward
                        int keys = causal ? i0 + rows - 1 + s - t + 1 : s;
                        int firstKey = Backend.windowStart(i0 + s - t, window), from = firstKey / PANEL * PANEL;
                        scoresBlock(qa, qRow, kt, bg * d * sp, sp, d, from, keys, fscale, p); // q_r . k_j * scale
                        scoresBlock(ga, gRow, vt, bg * d * sp, sp, d, from, keys, 1f, ds);    // dP = dO_r . v_j
                        for (int r = 0; r < BLOCK; r++) {
                            int pr = r * sp;
                            if (r >= rows) { // a repeated row past the end of the block contributes nothing
                                Arrays.fill(p, pr + from, pr + keys, 0f);
                                Arrays.fill(ds, pr + from, pr + keys, 0f);
                                continue;
                            }
                            // keys [first, visible) are seen by query i0 + r; vectors from firstVector on are computed,
                            // the keys before the window with the score -infinity (P = 0, dS = 0)
                            int visible = causal ? i0 + r + s - t + 1 : s;
                            int first = Backend.windowStart(i0 + r + s - t, window);
                            int firstVector = first / F.length() * F.length();
                            Arrays.fill(p, pr + firstVector, pr + first, Float.NEGATIVE_INFINITY);
                            float rowLse = lseRows[bh * t + i0 + r];
                            float rowDot = VectorSoftmax.dot(ga, gRow[r], oa, os.row(b, h, i0 + r), d); // sum_c dO O
                            // P = exp(scores - lse), dS * scale = P (dP - rowDot) * scale, over the visible keys; the
                            // vectors past `visible` (up to the next multiple of the vector length) are computed
                            // too and then overwritten with 0 below
                            for (int j = firstVector; j < visible; j += F.length()) {
                                FloatVector pv = DeterministicLanes.exp(
                                        FloatVector.fromArray(F, p, pr + j).sub(rowLse));
                                pv.intoArray(p, pr + j);
                                FloatVector dp = FloatVector.fromArray(F, ds, pr + j);
                                pv.mul(dp.sub(rowDot)).mul(fscale).intoArray(ds, pr + j); // dS_ij * scale
                            }
                            Arrays.fill(p, pr + from, pr + firstVector, 0f); // masked keys: P = 0, dS = 0 (dP there
                            Arrays.fill(ds, pr + from, pr + first, 0f);      // may be from a NaN V; 0 * NaN is NaN)
                            Arrays.fill(p, pr + visible, pr + keys, 0f);
                            Arrays.fill(ds, pr + visible, pr + keys, 0f);
                        }
                        // from the first key of any window on, as in the forward:
                        // dV_j += P_rj dO_r, dK_j += dS_rj q_r, dQ_r = dS_r K
                        accumulateRows(p, sp, firstKey, keys, ga, gRow, dva, dvs.offset() + kvBase, d);
                        accumulateRows(ds, sp, firstKey, keys, qa, qRow, dka, dks.offset() + kvBase, d);
                        weightedValues(ds, sp, rows, firstKey, keys, ks.array(), ks, b, g, d, ones, dqa,
                                dqs.offset() + (bh * t + i0) * d, d);
                    }
                }
            }
        });
        return true;
    }

    /**
     * dst[base + j*D + c] += sum_r coef[r*Sp + j] * src[srcRow[r] + c] for keys j in [from, keys): the rank-BLOCK
     * update of dK or dV, with the BLOCK source vectors of a channel chunk held in registers across all keys.
     * Two full vectors of channels at a time where they fit (two independent FMA chains per key, each broadcast
     * coefficient serving both), then one full vector, then a masked one; each element gets the same 4 FMAs in
     * the same order whichever loop handles it.
     */
    private static void accumulateRows(float[] coef, int sp, int from, int keys, float[] src, int[] srcRow,
                                       float[] dst, int base, int d) {
        int s0 = srcRow[0], s1 = srcRow[1], s2 = srcRow[2], s3 = srcRow[3];
        int lanes = F.length();
        int c = 0;
        for (; c + 2 * lanes <= d; c += 2 * lanes) {
            FloatVector x0 = FloatVector.fromArray(F, src, s0 + c), y0 = FloatVector.fromArray(F, src, s0 + c + lanes);
            FloatVector x1 = FloatVector.fromArray(F, src, s1 + c), y1 = FloatVector.fromArray(F, src, s1 + c + lanes);
            FloatVector x2 = FloatVector.fromArray(F, src, s2 + c), y2 = FloatVector.fromArray(F, src, s2 + c + lanes);
            FloatVector x3 = FloatVector.fromArray(F, src, s3 + c), y3 = FloatVector.fromArray(F, src, s3 + c + lanes);
            for (int j = from; j < keys; j++) {
                int at = base + j * d + c;
                FloatVector c0 = FloatVector.broadcast(F, coef[j]), c1 = FloatVector.broadcast(F, coef[sp + j]);
                FloatVector c2 = FloatVector.broadcast(F, coef[2 * sp + j]);
                FloatVector c3 = FloatVector.broadcast(F, coef[3 * sp + j]);
                FloatVector acc = FloatVector.fromArray(F, dst, at);
                FloatVector acw = FloatVector.fromArray(F, dst, at + lanes);
                acc = x0.fma(c0, acc);
                acw = y0.fma(c0, acw);
                acc = x1.fma(c1, acc);
                acw = y1.fma(c1, acw);
                acc = x2.fma(c2, acc);
                acw = y2.fma(c2, acw);
                acc = x3.fma(c3, acc);
                acw = y3.fma(c3, acw);
                acc.intoArray(dst, at);
                acw.intoArray(dst, at + lanes);
            }
        }
        for (; c < d; c += lanes) {
            VectorMask<Float> m = F.indexInRange(c, d); // all true except for a last partial vector
            FloatVector x0 = FloatVector.fromArray(F, src, s0 + c, m), x1 = FloatVector.fromArray(F, src, s1 + c, m);
            FloatVector x2 = FloatVector.fromArray(F, src, s2 + c, m), x3 = FloatVector.fromArray(F, src, s3 + c, m);
            for (int j = from; j < keys; j++) {
                int at = base + j * d + c;
                FloatVector acc = FloatVector.fromArray(F, dst, at, m);
                acc = x0.fma(FloatVector.broadcast(F, coef[j]), acc);
                acc = x1.fma(FloatVector.broadcast(F, coef[sp + j]), acc);
                acc = x2.fma(FloatVector.broadcast(F, coef[2 * sp + j]), acc);
                acc = x3.fma(FloatVector.broadcast(F, coef[3 * sp + j]), acc);
                acc.intoArray(dst, at, m);
            }
        }
    }
}
