package minitron.tensor.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import minitron.tensor.Parallel;
import minitron.tensor.Tensor;

/**
 * Causal grouped-query attention and its backward for F32.
 *
 * <p>Shape legend: B batch, H query heads, G key/value heads (query head h reads KV head h / (H / G)), T query
 * positions, S key positions, D head dim. q (B, H, T, D); k, v (B, G, S, D). Causal: query i is position
 * i + S - T and sees keys j <= i + S - T.
 *
 * <p>The forward handles one query row at a time (parallel over the B*H*T rows): scores by dot products with the
 * visible keys, their max, the exponentials and their sum, then the weighted sum of V rows. The backward
 * recomputes the probabilities from the saved log-sum-exp; it runs in parallel over the B*G KV groups, because dK
 * and dV sum over all query heads of a group and one thread per group keeps those sums race-free and
 * deterministic.
 *
 * <p>Precision: dot products and the softmax sum accumulate in F32 vector lanes; the reference works in F64.
 */
final class VectorAttention {
    private static final VectorSpecies<Float> F = VectorBackend.F;

    private VectorAttention() {
    }

    /** acc[ao + c] += alpha * x[xo + c] for c in [0, n). */
    private static void axpy(float alpha, float[] x, int xo, float[] acc, int ao, int n) {
        int c = 0;
        for (; c + F.length() <= n; c += F.length()) {
            FloatVector a = FloatVector.fromArray(F, acc, ao + c);
            FloatVector.fromArray(F, x, xo + c).fma(FloatVector.broadcast(F, alpha), a).intoArray(acc, ao + c);
        }
        if (c < n) {
            VectorMask<Float> m = F.indexInRange(c, n);
            FloatVector a = FloatVector.fromArray(F, acc, ao + c, m);
            FloatVector.fromArray(F, x, xo + c, m).fma(FloatVector.broadcast(F, alpha), a).intoArray(acc, ao + c, m);
        }
    }

    /** out (B, H, T, D) = softmax(q k^T * scale + causal mask) v; lse (B, H, T) = log-sum-exp of each score row. */
    static boolean attention(Tensor q, Tensor k, Tensor v, double scale, boolean causal, Tensor out, Tensor lse) {
        if (!Dense.outputs(out, lse) || !Dense.readable(q, k, v)) return false;
        Dense.Rows4 qs = Dense.Rows4.of(q), ks = Dense.Rows4.of(k), vs = Dense.Rows4.of(v);
        Dense.Floats o = Dense.out(out);
        Dense.Floats l = lse == null ? null : Dense.out(lse);
        float[] qa = qs.array(), ka = ks.array(), va = vs.array(), oa = o.array();
        int heads = q.dim(1), t = q.dim(2), d = q.dim(3);
        int groups = k.dim(1), s = k.dim(2), perGroup = heads / groups;
        int rows = q.dim(0) * heads * t;
        float fscale = (float) scale;
        Parallel.forRange(rows, Dense.grain(2L * s * d), (start, end) -> {
            float[] p = new float[s];
            float[] acc = new float[d];
            for (int row = start; row < end; row++) {
                int i = row % t, h = (row / t) % heads, b = row / (t * heads), g = h / perGroup;
                int visible = causal ? i + s - t + 1 : s; // keys [0, visible) are seen by query i
                int qr = qs.row(b, h, i);
                // scores[j] = q_i . k_j * scale
                for (int j = 0; j < visible; j++) {
                    p[j] = VectorSoftmax.dot(qa, qr, ka, ks.row(b, g, j), d) * fscale;
                }
                float max = VectorReduce.max(p, 0, visible);
                float sum = expInPlace(p, visible, max);
                // out_i = sum_j p_j v_j / sum
                Arrays.fill(acc, 0f);
                for (int j = 0; j < visible; j++) axpy(p[j], va, vs.row(b, g, j), acc, 0, d);
                int or = o.offset() + row * d;
                float inv = 1f / sum;
                for (int c = 0; c < d; c++) oa[or + c] = acc[c] * inv;
                if (l != null) l.array()[l.offset() + row] = (float) (max + Math.log(sum));
            }
        });
        return true;
    }

    /** p[j] = exp(p[j] - max) for j in [0, n); returns their sum. */
    private static float expInPlace(float[] p, int n, float max) {
        FloatVector sum = FloatVector.zero(F);
        for (int j = 0; j < n; j += F.length()) {
            VectorMask<Float> m = F.indexInRange(j, n);
            FloatVector e = FloatVector.fromArray(F, p, j, m).sub(max).lanewise(VectorOperators.EXP);
            e.intoArray(p, j, m);
            sum = sum.add(e, m);
        }
        return sum.reduceLanes(VectorOperators.ADD);
    }

    /**
     * With P = exp(scores - lse): dV = P^T dO, dP = dO V^T, dS = P * (dP - rowsum(dO * O)), dQ = dS K * scale,
     * dK = dS^T Q * scale; dK and dV summed over the query heads of each group.
     */
    static boolean attentionBackward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor dout,
                                     double scale, boolean causal, Tensor dq, Tensor dk, Tensor dv) {
        if (!Dense.outputs(dq, dk, dv) || !Dense.readable(q, k, v, out, lse, dout)) return false;
        Dense.Rows4 qs = Dense.Rows4.of(q), ks = Dense.Rows4.of(k), vs = Dense.Rows4.of(v);
        Dense.Rows4 os = Dense.Rows4.of(out), gs = Dense.Rows4.of(dout);
        float[] qa = qs.array(), ka = ks.array(), va = vs.array(), oa = os.array(), ga = gs.array();
        float[] lseRows = Dense.gather(lse);
        Dense.Floats dqs = Dense.out(dq), dks = Dense.out(dk), dvs = Dense.out(dv);
        float[] dqa = dqs.array(), dka = dks.array(), dva = dvs.array();
        int batch = q.dim(0), heads = q.dim(1), t = q.dim(2), d = q.dim(3);
        int groups = k.dim(1), s = k.dim(2), perGroup = heads / groups;
        float fscale = (float) scale;
        Parallel.forRange(batch * groups, 1, (start, end) -> {
            float[] p = new float[s];
            float[] dqRow = new float[d];
            for (int unit = start; unit < end; unit++) {
                int b = unit / groups, g = unit % groups;
                // dk, dv rows of this group: (b, g, 0..S, :) are contiguous in the outputs
                int kvBase = (b * groups + g) * s * d;
                Arrays.fill(dka, dks.offset() + kvBase, dks.offset() + kvBase + s * d, 0f);
                Arrays.fill(dva, dvs.offset() + kvBase, dvs.offset() + kvBase + s * d, 0f);
                for (int h = g * perGroup; h < (g + 1) * perGroup; h++) {
                    for (int i = 0; i < t; i++) {
                        int visible = causal ? i + s - t + 1 : s;
                        int qr = qs.row(b, h, i), gr = gs.row(b, h, i);
                        float rowLse = lseRows[(b * heads + h) * t + i];
                        float rowDot = VectorSoftmax.dot(ga, gr, oa, os.row(b, h, i), d); // sum_c dO[i,c] O[i,c]
                        for (int j = 0; j < visible; j++) {
                            p[j] = VectorSoftmax.dot(qa, qr, ka, ks.row(b, g, j), d) * fscale;
                        }
                        for (int j = 0; j < visible; j += F.length()) {
                            VectorMask<Float> m = F.indexInRange(j, visible);
                            FloatVector.fromArray(F, p, j, m).sub(rowLse).lanewise(VectorOperators.EXP).intoArray(p, j, m);
                        }
                        Arrays.fill(dqRow, 0f);
                        for (int j = 0; j < visible; j++) {
                            int kr = ks.row(b, g, j), vr = vs.row(b, g, j);
                            float dp = VectorSoftmax.dot(ga, gr, va, vr, d);
                            float ds = p[j] * (dp - rowDot) * fscale;
                            int kvRow = dks.offset() + kvBase + j * d;
                            axpy(p[j], ga, gr, dva, dvs.offset() + kvBase + j * d, d); // dV_j += P_ij dO_i
                            axpy(ds, qa, qr, dka, kvRow, d);                            // dK_j += dS_ij q_i * scale
                            axpy(ds, ka, kr, dqRow, 0, d);                              // dQ_i += dS_ij k_j * scale
                        }
                        System.arraycopy(dqRow, 0, dqa, dqs.offset() + ((b * heads + h) * t + i) * d, d);
                    }
                }
            }
        });
        return true;
    }
}
