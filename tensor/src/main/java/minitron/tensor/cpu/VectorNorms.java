package minitron.tensor.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;
import minitron.tensor.Parallel;
import minitron.tensor.Tensor;

/**
 * RMSNorm, RoPE and embedding kernels for F32 activations; the weight operands (norm weight, rotary tables,
 * embedding table) may be BF16 or F16 and are widened as they are read.
 *
 * <p>Shape legend: R rows (leading dims flattened), C channels, B batch, H heads, T positions, D head dim,
 * V vocabulary, N ids.
 *
 * <p>Precision: the mean of squares of an RMSNorm row accumulates in F32 vector lanes (16 partial sums), so its
 * relative error is a few F32 ulps times sqrt(C / 16); HF computes it in F32 too.
 */
final class VectorNorms {
    private static final VectorSpecies<Float> F = VectorBackend.F;

    private VectorNorms() {
    }

    // ------------------------------------------------------------------ RMSNorm

    /** 1 / sqrt(mean(x[off, off + n)^2) + eps). */
    private static float invRms(float[] x, int off, int n, double eps) {
        float ss = VectorSoftmax.dot(x, off, x, off, n);
        return (float) (1.0 / Math.sqrt((double) ss / n + eps));
    }

    /** out (R, C) = x * r * weight (C), r = 1 / sqrt(mean(x^2) + eps) per row. */
    static boolean rmsNorm(Tensor x, Tensor weight, double eps, Tensor out) {
        if (!Dense.outputs(out) || !Dense.readable(x, weight)) return false;
        Dense.Floats in = Dense.in(x), o = Dense.out(out);
        float[] xa = in.array(), oa = o.array(), w = Dense.gather(weight);
        int xo = in.offset(), oo = o.offset(), cols = Dense.cols(x), rows = Dense.rows(x);
        Parallel.forRange(rows, Dense.grain(3L * cols), (start, end) -> {
            for (int r = start; r < end; r++) {
                int xr = xo + r * cols, or = oo + r * cols;
                float inv = invRms(xa, xr, cols, eps);
                int c = 0;
                for (; c + F.length() <= cols; c += F.length()) {
                    FloatVector xv = FloatVector.fromArray(F, xa, xr + c);
                    xv.mul(inv).mul(FloatVector.fromArray(F, w, c)).intoArray(oa, or + c);
                }
                if (c < cols) {
                    VectorMask<Float> m = F.indexInRange(c, cols);
                    FloatVector xv = FloatVector.fromArray(F, xa, xr + c, m);
                    xv.mul(inv).mul(FloatVector.fromArray(F, w, c, m)).intoArray(oa, or + c, m);
                }
            }
        });
        return true;
    }

    /**
     * With r = 1/sqrt(mean(x^2)+eps) and n = x r: dweight (C) = sum_rows dy * n;
     * dx (R, C) = r * (dy*w - n * mean(dy*w*n)). Two passes: rows in parallel for dx (saving r per row), then
     * column blocks in parallel for dweight, so no two threads add into the same element (deterministic).
     */
    static boolean rmsNormBackward(Tensor x, Tensor weight, double eps, Tensor dy, Tensor dx, Tensor dweight) {
        if (!Dense.outputs(dx, dweight) || !Dense.readable(x, weight, dy)) return false;
        Dense.Floats xs = Dense.in(x), ds = Dense.in(dy), dxs = Dense.out(dx), dws = Dense.out(dweight);
        float[] xa = xs.array(), da = ds.array(), dxa = dxs.array(), dwa = dws.array(), w = Dense.gather(weight);
        int xo = xs.offset(), dOff = ds.offset(), dxo = dxs.offset(), dwo = dws.offset();
        int cols = Dense.cols(x), rows = Dense.rows(x);
        float[] inv = new float[rows];
        Parallel.forRange(rows, Dense.grain(6L * cols), (start, end) -> {
            for (int r = start; r < end; r++) {
                int xr = xo + r * cols, dr = dOff + r * cols, or = dxo + r * cols;
                float rr = invRms(xa, xr, cols, eps);
                inv[r] = rr;
                // mean over c of dy*w*n = r * mean(dy*w*x)
                FloatVector acc = FloatVector.zero(F);
                int c = 0;
                for (; c + F.length() <= cols; c += F.length()) {
                    FloatVector gw = FloatVector.fromArray(F, da, dr + c).mul(FloatVector.fromArray(F, w, c));
                    acc = gw.fma(FloatVector.fromArray(F, xa, xr + c), acc);
                }
                if (c < cols) {
                    VectorMask<Float> m = F.indexInRange(c, cols);
                    FloatVector gw = FloatVector.fromArray(F, da, dr + c, m).mul(FloatVector.fromArray(F, w, c, m));
                    acc = gw.fma(FloatVector.fromArray(F, xa, xr + c, m), acc);
                }
                float mean = DeterministicLanes.sum(acc) * rr / cols;
                for (c = 0; c + F.length() <= cols; c += F.length()) {
                    FloatVector n = FloatVector.fromArray(F, xa, xr + c).mul(rr);
                    FloatVector gw = FloatVector.fromArray(F, da, dr + c).mul(FloatVector.fromArray(F, w, c));
                    gw.sub(n.mul(mean)).mul(rr).intoArray(dxa, or + c);
                }
                if (c < cols) {
                    VectorMask<Float> m = F.indexInRange(c, cols);
                    FloatVector n = FloatVector.fromArray(F, xa, xr + c, m).mul(rr);
                    FloatVector gw = FloatVector.fromArray(F, da, dr + c, m).mul(FloatVector.fromArray(F, w, c, m));
                    gw.sub(n.mul(mean)).mul(rr).intoArray(dxa, or + c, m);
                }
            }
        });
        Arrays.fill(dwa, dwo, dwo + cols, 0f);
        Parallel.forRange(cols, Dense.grain(2L * rows), (start, end) -> {
            for (int r = 0; r < rows; r++) {
                int xr = xo + r * cols, dr = dOff + r * cols;
                float rr = inv[r];
                int c = start;
                for (; c + F.length() <= end; c += F.length()) {
                    FloatVector n = FloatVector.fromArray(F, xa, xr + c).mul(rr);
                    FloatVector acc = FloatVector.fromArray(F, dwa, dwo + c);
                    FloatVector.fromArray(F, da, dr + c).fma(n, acc).intoArray(dwa, dwo + c);
                }
                if (c < end) {
                    VectorMask<Float> m = F.indexInRange(c, end);
                    FloatVector n = FloatVector.fromArray(F, xa, xr + c, m).mul(rr);
                    FloatVector acc = FloatVector.fromArray(F, dwa, dwo + c, m);
                    FloatVector.fromArray(F, da, dr + c, m).fma(n, acc).intoArray(dwa, dwo + c, m);
                }
            }
        });
        return true;
    }

    // ------------------------------------------------------------------ RoPE

    /**
     * out (B, H, T, D) = x * cos + rotate_half(x) * sin with cos, sin (T, D): on the two halves x1, x2 of a row,
     * out1 = x1 cos1 - x2 sin1 and out2 = x2 cos2 + x1 sin2. x may be any view whose last axis has stride 1
     * (such as q and k transposed from (B, T, H, D)); it is read in place.
     */
    static boolean rope(Tensor x, Tensor cos, Tensor sin, Tensor out) {
        if (!Dense.outputs(out) || !Dense.readable(x, cos, sin)) return false;
        float[] xa = Dense.heapArray(x);
        if (xa == null || x.stride(3) != 1) {
            xa = Dense.gather(x);
            x = Tensor.of(xa, x.shape().dims());
        }
        float[] xArray = xa, ca = Dense.gather(cos), sa = Dense.gather(sin);
        Dense.Floats o = Dense.out(out);
        float[] oa = o.array();
        int heads = x.dim(1), t = x.dim(2), d = x.dim(3), half = d / 2;
        int rows = (int) (x.numel() / d);
        long xOffset = x.offset(), stride0 = x.stride(0), stride1 = x.stride(1), stride2 = x.stride(2);
        Parallel.forRange(rows, Dense.grain(3L * d), (start, end) -> {
            // row = (i0 * H + i1) * T + i2; the indices are stepped along with row (no divisions per row)
            int i2 = start % t, i1 = (start / t) % heads, i0 = start / (t * heads);
            for (int row = start; row < end; row++, i2++) {
                if (i2 == t) {
                    i2 = 0;
                    if (++i1 == heads) {
                        i1 = 0;
                        i0++;
                    }
                }
                int xr = (int) (xOffset + i0 * stride0 + i1 * stride1 + i2 * stride2);
                int or = o.offset() + row * d, tr = i2 * d;
                int c = 0;
                for (; c + F.length() <= half; c += F.length()) {
                    FloatVector x1 = FloatVector.fromArray(F, xArray, xr + c);
                    FloatVector x2 = FloatVector.fromArray(F, xArray, xr + half + c);
                    FloatVector c1 = FloatVector.fromArray(F, ca, tr + c);
                    FloatVector s1 = FloatVector.fromArray(F, sa, tr + c);
                    FloatVector c2 = FloatVector.fromArray(F, ca, tr + half + c);
                    FloatVector s2 = FloatVector.fromArray(F, sa, tr + half + c);
                    x1.mul(c1).sub(x2.mul(s1)).intoArray(oa, or + c);
                    x2.mul(c2).add(x1.mul(s2)).intoArray(oa, or + half + c);
                }
                if (c < half) { // the same on a last partial vector
                    VectorMask<Float> m = F.indexInRange(c, half);
                    FloatVector x1 = FloatVector.fromArray(F, xArray, xr + c, m);
                    FloatVector x2 = FloatVector.fromArray(F, xArray, xr + half + c, m);
                    FloatVector c1 = FloatVector.fromArray(F, ca, tr + c, m);
                    FloatVector s1 = FloatVector.fromArray(F, sa, tr + c, m);
                    FloatVector c2 = FloatVector.fromArray(F, ca, tr + half + c, m);
                    FloatVector s2 = FloatVector.fromArray(F, sa, tr + half + c, m);
                    x1.mul(c1).sub(x2.mul(s1)).intoArray(oa, or + c, m);
                    x2.mul(c2).add(x1.mul(s2)).intoArray(oa, or + half + c, m);
                }
            }
        });
        return true;
    }

    // ------------------------------------------------------------------ embedding

    /** out (N, D) = table (V, D)[ids (N)], reading F32, BF16 or F16 rows in place (no copy of the table). */
    static boolean embedding(Tensor table, Tensor ids, Tensor out) {
        if (!Dense.outputs(out) || !Dense.readable(table)) return false;
        Dense.Floats o = Dense.out(out);
        float[] oa = o.array();
        int[] id = ids.toIntArray();
        int d = table.dim(1);
        long rowStride = table.stride(0), colStride = table.stride(1);
        Parallel.forRange(id.length, Dense.grain(d, table), (start, end) -> {
            for (int i = start; i < end; i++) {
                Dense.readRow(table, table.offset() + id[i] * rowStride, colStride, d, oa, o.offset() + i * d);
            }
        });
        return true;
    }

    /**
     * dtable (V, D) += dout (N, D) scattered by ids (N); an id that occurs twice gets both rows added. Parallel
     * over column blocks, so every element is added to by one thread, in the order of the ids.
     */
    static boolean embeddingBackward(Tensor ids, Tensor dout, Tensor dtable) {
        if (!Dense.outputs(dtable) || !Dense.readable(dout)) return false;
        Dense.Floats g = Dense.in(dout), o = Dense.out(dtable);
        float[] ga = g.array(), oa = o.array();
        int[] id = ids.toIntArray();
        int d = dtable.dim(1);
        Parallel.forRange(d, Dense.grain(id.length), (start, end) -> {
            for (int i = 0; i < id.length; i++) {
                int src = g.offset() + i * d, dst = o.offset() + id[i] * d;
                for (int c = start; c < end; c += F.length()) {
                    VectorMask<Float> m = F.indexInRange(c, end);
                    FloatVector acc = FloatVector.fromArray(F, oa, dst + c, m);
                    acc.add(FloatVector.fromArray(F, ga, src + c, m)).intoArray(oa, dst + c, m);
                }
            }
        });
        return true;
    }
}
