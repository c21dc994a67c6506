package minitron.tensor.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;
import minitron.tensor.Parallel;
import minitron.tensor.Tensor;

/**
 * Row kernels over the last axis (R rows of C): softmax, log-softmax and their backwards, cross-entropy and KL
 * divergence and their backwards. Parallel over rows; each row is vectorized along C.
 *
 * <p>Precision: the max and the shifted exponentials are F32; sums of exponentials and dot products accumulate in
 * F32 vector lanes and the log-sum-exp is formed in F64 from them. The relative error of a probability is then a
 * few ulps of F32 times (1 + |x - max|), which is why the tests allow an rtol of about 1e-5 against the reference
 * (which works in F64 throughout).
 */
final class VectorSoftmax {
    private static final VectorSpecies<Float> F = VectorBackend.F;

    private VectorSoftmax() {
    }

    // ------------------------------------------------------------------ row helpers

    /** sum_c exp(x[off + c] * scale - shift) for c in [0, n). */
    static float sumExp(float[] x, int off, int n, float scale, float shift) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i + F.length() <= n; i += F.length()) {
            acc = acc.add(DeterministicLanes.exp(FloatVector.fromArray(F, x, off + i).mul(scale).sub(shift)));
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector e = DeterministicLanes.exp(FloatVector.fromArray(F, x, off + i, m).mul(scale).sub(shift));
            acc = acc.add(e, m);
        }
        return DeterministicLanes.sum(acc);
    }

    /**
     * A row's log-sum-exp in two parts: max (of x * scale) and log sum_c exp(x * scale - max). A log probability is
     * formed as (x * scale - max) - logSum, as PyTorch does: the sum of the two rounded to one float loses the
     * differences between logits of large magnitude (at 1e6, in steps of 0.06).
     */
    record Shifted(float max, double logSum) {
        static Shifted of(float[] x, int off, int n, float scale) {
            float max = VectorReduce.max(x, off, n) * scale; // scale > 0, so max(x) * scale == max(x * scale)
            return new Shifted(max, Math.log(sumExp(x, off, n, scale, max)));
        }

        /** The log-sum-exp as one float. */
        float lse() {
            return (float) (max + logSum);
        }

        /** log p of one value x * scale of the row. */
        float logP(float scaled) {
            return (scaled - max) - (float) logSum;
        }

        /** log p of a vector of values x * scale of the row. */
        FloatVector logP(FloatVector scaled) {
            return scaled.sub(max).sub((float) logSum);
        }
    }

    /** sum_c a[ao + c] * b[bo + c]. */
    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i + F.length() <= n; i += F.length()) {
            acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            acc = FloatVector.fromArray(F, a, ao + i, m).fma(FloatVector.fromArray(F, b, bo + i, m), acc);
        }
        return DeterministicLanes.sum(acc);
    }

    /** out[oo + c] = exp(x[xo + c] * scale - shift) * factor. */
    private static void expInto(float[] x, int xo, float scale, float shift, float factor, float[] out, int oo, int n) {
        int i = 0;
        for (; i + F.length() <= n; i += F.length()) {
            FloatVector e = DeterministicLanes.exp(FloatVector.fromArray(F, x, xo + i).mul(scale).sub(shift));
            e.mul(factor).intoArray(out, oo + i);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector e = DeterministicLanes.exp(FloatVector.fromArray(F, x, xo + i, m).mul(scale).sub(shift));
            e.mul(factor).intoArray(out, oo + i, m);
        }
    }

    // ------------------------------------------------------------------ softmax and log-softmax

    /** y = exp(x - max) / sum exp(x - max). */
    static boolean softmax(Tensor x, Tensor out) {
        if (!Dense.outputs(out) || !Dense.readable(x)) return false;
        Dense.Floats in = Dense.in(x), o = Dense.out(out);
        float[] xa = in.array(), oa = o.array();
        int xo = in.offset(), oo = o.offset(), cols = Dense.cols(x), rows = Dense.rows(x);
        Parallel.forRange(rows, Dense.grain(4L * cols), (start, end) -> {
            for (int r = start; r < end; r++) {
                int xr = xo + r * cols, or = oo + r * cols;
                float max = VectorReduce.max(xa, xr, cols);
                // one exponential per element: store exp(x - max) while summing, then scale the row in place
                FloatVector acc = FloatVector.zero(F);
                for (int i = 0; i < cols; i += F.length()) {
                    VectorMask<Float> m = F.indexInRange(i, cols);
                    FloatVector e = DeterministicLanes.exp(FloatVector.fromArray(F, xa, xr + i, m).sub(max));
                    e.intoArray(oa, or + i, m);
                    acc = acc.add(e, m);
                }
                float inv = 1f / DeterministicLanes.sum(acc);
                for (int i = 0; i < cols; i += F.length()) {
                    VectorMask<Float> m = F.indexInRange(i, cols);
                    FloatVector.fromArray(F, oa, or + i, m).mul(inv).intoArray(oa, or + i, m);
                }
            }
        });
        return true;
    }

    /** y = (x - max) - log sum exp(x - max). */
    static boolean logSoftmax(Tensor x, Tensor out) {
        if (!Dense.outputs(out) || !Dense.readable(x)) return false;
        Dense.Floats in = Dense.in(x), o = Dense.out(out);
        float[] xa = in.array(), oa = o.array();
        int xo = in.offset(), oo = o.offset(), cols = Dense.cols(x), rows = Dense.rows(x);
        Parallel.forRange(rows, Dense.grain(3L * cols), (start, end) -> {
            for (int r = start; r < end; r++) {
                int xr = xo + r * cols, or = oo + r * cols;
                Shifted row = Shifted.of(xa, xr, cols, 1f);
                for (int i = 0; i < cols; i += F.length()) {
                    VectorMask<Float> m = F.indexInRange(i, cols);
                    row.logP(FloatVector.fromArray(F, xa, xr + i, m)).intoArray(oa, or + i, m);
                }
            }
        });
        return true;
    }

    /** dx = y * (dy - sum(dy * y)), from d softmax_i / d x_j = y_i (delta_ij - y_j). */
    static boolean softmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        if (!Dense.outputs(dx) || !Dense.readable(y, dy)) return false;
        Dense.Floats ys = Dense.in(y), ds = Dense.in(dy), o = Dense.out(dx);
        float[] ya = ys.array(), da = ds.array(), oa = o.array();
        int yo = ys.offset(), dOff = ds.offset(), oo = o.offset(), cols = Dense.cols(y), rows = Dense.rows(y);
        Parallel.forRange(rows, Dense.grain(4L * cols), (start, end) -> {
            for (int r = start; r < end; r++) {
                int yr = yo + r * cols, dr = dOff + r * cols, or = oo + r * cols;
                float dot = dot(ya, yr, da, dr, cols);
                for (int i = 0; i < cols; i += F.length()) {
                    VectorMask<Float> m = F.indexInRange(i, cols);
                    FloatVector yv = FloatVector.fromArray(F, ya, yr + i, m);
                    FloatVector dv = FloatVector.fromArray(F, da, dr + i, m);
                    yv.mul(dv.sub(dot)).intoArray(oa, or + i, m);
                }
            }
        });
        return true;
    }

    /** dx = dy - exp(y) * sum(dy), from d log_softmax_i / d x_j = delta_ij - p_j. */
    static boolean logSoftmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        if (!Dense.outputs(dx) || !Dense.readable(y, dy)) return false;
        Dense.Floats ys = Dense.in(y), ds = Dense.in(dy), o = Dense.out(dx);
        float[] ya = ys.array(), da = ds.array(), oa = o.array();
        int yo = ys.offset(), dOff = ds.offset(), oo = o.offset(), cols = Dense.cols(y), rows = Dense.rows(y);
        Parallel.forRange(rows, Dense.grain(4L * cols), (start, end) -> {
            for (int r = start; r < end; r++) {
                int yr = yo + r * cols, dr = dOff + r * cols, or = oo + r * cols;
                float sum = VectorReduce.sum(da, dr, cols);
                for (int i = 0; i < cols; i += F.length()) {
                    VectorMask<Float> m = F.indexInRange(i, cols);
                    FloatVector p = DeterministicLanes.exp(FloatVector.fromArray(F, ya, yr + i, m));
                    FloatVector.fromArray(F, da, dr + i, m).sub(p.mul(sum)).intoArray(oa, or + i, m);
                }
            }
        });
        return true;
    }

    // ------------------------------------------------------------------ cross-entropy

    /**
     * loss[r] = -log p(target) = (max - row[target]) + log sum exp(row - max) (0 for ignored rows); lse[r] = max +
     * log sum, saved for the backward (which forms p = exp(row - lse): for logits of magnitude M its relative error
     * is about M * 6e-8, 6e-6 at M = 100).
     */
    static boolean crossEntropy(Tensor logits, Tensor targets, int ignoreIndex, Tensor loss, Tensor lse) {
        if (!Dense.outputs(loss, lse) || !Dense.readable(logits)) return false;
        Dense.Floats in = Dense.in(logits), lo = Dense.out(loss), so = Dense.out(lse);
        float[] xa = in.array(), la = lo.array(), sa = so.array();
        int xo = in.offset(), cols = Dense.cols(logits), rows = Dense.rows(logits);
        int[] target = targets.toIntArray();
        Parallel.forRange(rows, Dense.grain(2L * cols), (start, end) -> {
            for (int r = start; r < end; r++) {
                int xr = xo + r * cols;
                Shifted row = Shifted.of(xa, xr, cols, 1f);
                int t = target[r];
                la[lo.offset() + r] = t == ignoreIndex ? 0f : -row.logP(xa[xr + t]);
                sa[so.offset() + r] = row.lse();
            }
        });
        return true;
    }

    /** dlogits = dloss[r] * (softmax(row) - onehot(target)); zero rows for ignored targets. */
    static boolean crossEntropyBackward(Tensor logits, Tensor targets, int ignoreIndex, Tensor lse, Tensor dloss,
                                        Tensor dlogits) {
        if (!Dense.outputs(dlogits) || !Dense.readable(logits, lse, dloss)) return false;
        Dense.Floats in = Dense.in(logits), o = Dense.out(dlogits);
        float[] xa = in.array(), oa = o.array(), lseRow = Dense.gather(lse), g = Dense.gather(dloss);
        int xo = in.offset(), oo = o.offset(), cols = Dense.cols(logits), rows = Dense.rows(logits);
        int[] target = targets.toIntArray();
        Parallel.forRange(rows, Dense.grain(2L * cols), (start, end) -> {
            for (int r = start; r < end; r++) {
                int or = oo + r * cols, t = target[r];
                if (t == ignoreIndex) {
                    Arrays.fill(oa, or, or + cols, 0f);
                    continue;
                }
                expInto(xa, xo + r * cols, 1f, lseRow[r], g[r], oa, or, cols);
                oa[or + t] -= g[r];
            }
        });
        return true;
    }

    // ------------------------------------------------------------------ KL divergence

    /**
     * loss[r] = sum_v p_t (log p_t - log p_s), p = softmax(logits / temperature), log p = (x / T - max) - log sum; a
     * term with p_t = 0 is 0 (the limit of p log p, as in torch.xlogy), also where log p_t is -inf.
     */
    static boolean klDivergence(Tensor student, Tensor teacher, double temperature, Tensor loss) {
        if (!Dense.outputs(loss) || !Dense.readable(student, teacher)) return false;
        Dense.Floats s = Dense.in(student), t = Dense.in(teacher), lo = Dense.out(loss);
        float[] sa = s.array(), ta = t.array(), la = lo.array();
        int cols = Dense.cols(student), rows = Dense.rows(student);
        float inv = (float) (1.0 / temperature);
        Parallel.forRange(rows, Dense.grain(6L * cols), (start, end) -> {
            for (int r = start; r < end; r++) {
                int sr = s.offset() + r * cols, tr = t.offset() + r * cols;
                Shifted rowS = Shifted.of(sa, sr, cols, inv), rowT = Shifted.of(ta, tr, cols, inv);
                FloatVector acc = FloatVector.zero(F);
                for (int i = 0; i < cols; i += F.length()) {
                    VectorMask<Float> m = F.indexInRange(i, cols);
                    FloatVector logPt = rowT.logP(FloatVector.fromArray(F, ta, tr + i, m).mul(inv));
                    FloatVector logPs = rowS.logP(FloatVector.fromArray(F, sa, sr + i, m).mul(inv));
                    FloatVector pt = DeterministicLanes.exp(logPt);
                    FloatVector term = pt.mul(logPt.sub(logPs)).blend(0f, pt.eq(0f));
                    acc = acc.add(term, m);
                }
                la[lo.offset() + r] = DeterministicLanes.sum(acc);
            }
        });
        return true;
    }

    /** dstudent = dloss[r] / temperature * (p_s - p_t). */
    static boolean klDivergenceBackward(Tensor student, Tensor teacher, double temperature, Tensor dloss,
                                        Tensor dstudent) {
        if (!Dense.outputs(dstudent) || !Dense.readable(student, teacher, dloss)) return false;
        Dense.Floats s = Dense.in(student), t = Dense.in(teacher), o = Dense.out(dstudent);
        float[] sa = s.array(), ta = t.array(), oa = o.array(), g = Dense.gather(dloss);
        int cols = Dense.cols(student), rows = Dense.rows(student);
        float inv = (float) (1.0 / temperature);
        Parallel.forRange(rows, Dense.grain(6L * cols), (start, end) -> {
            for (int r = start; r < end; r++) {
                int sr = s.offset() + r * cols, tr = t.offset() + r * cols, or = o.offset() + r * cols;
                Shifted rowS = Shifted.of(sa, sr, cols, inv), rowT = Shifted.of(ta, tr, cols, inv);
                float factor = (float) (g[r] / temperature);
                for (int i = 0; i < cols; i += F.length()) {
                    VectorMask<Float> m = F.indexInRange(i, cols);
                    FloatVector ps = DeterministicLanes.exp(rowS.logP(FloatVector.fromArray(F, sa, sr + i, m).mul(inv)));
                    FloatVector pt = DeterministicLanes.exp(rowT.logP(FloatVector.fromArray(F, ta, tr + i, m).mul(inv)));
                    ps.sub(pt).mul(factor).intoArray(oa, or + i, m);
                }
            }
        });
        return true;
    }
}
