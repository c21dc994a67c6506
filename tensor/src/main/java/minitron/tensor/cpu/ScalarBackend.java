package minitron.tensor.cpu;

import minitron.tensor.Backend;
import minitron.tensor.BinaryOp;
import minitron.tensor.ReduceOp;
import minitron.tensor.Tensor;
import minitron.tensor.UnaryOp;

/**
 * The reference backend and the specification of every kernel: plain loops, one element at a time, arithmetic in
 * double precision whatever the storage type, results rounded once when written. Single-threaded and slow on
 * purpose: it is what the fast backends are tested against, and it is easy to check by reading.
 *
 * <p>Every access goes through {@link Tensor#offsetOf(long)} or explicit strides, so any view works.
 */
public class ScalarBackend implements Backend {

    @Override
    public String name() {
        return "scalar";
    }

    // ------------------------------------------------------------------ helpers

    /** Offset of x[i0, i1, i2, i3] for a rank-4 view, unchecked. */
    private static long at4(Tensor t, int i0, int i1, int i2, int i3) {
        return t.offset() + i0 * t.stride(0) + i1 * t.stride(1) + i2 * t.stride(2) + i3 * t.stride(3);
    }

    /** Offset of the first element of batch index {@code b} when the last {@code inner} axes are the matrix. */
    private static long batchBase(Tensor t, long b, int inner) {
        long off = t.offset();
        for (int axis = t.rank() - inner - 1; axis >= 0; axis--) {
            int d = t.dim(axis);
            off += (b % d) * t.stride(axis);
            b /= d;
        }
        return off;
    }

    private static int lastDim(Tensor t) {
        return t.dim(-1);
    }

    /** The number of rows of the last axis: the product of the leading sizes (also when the last one is 0). */
    private static int rows(Tensor t) {
        return (int) t.shape().dropLast(1).numel();
    }

    /** Offset of element (r, c) when the tensor is seen as rows of its last axis. */
    private static long rc(Tensor t, int r, int c, int cols) {
        return t.offsetOf((long) r * cols + c);
    }

    // ------------------------------------------------------------------ memory

    @Override
    public void copy(Tensor src, Tensor dst) {
        long n = src.numel();
        for (long i = 0; i < n; i++) {
            dst.writeDouble(dst.offsetOf(i), src.readDouble(src.offsetOf(i)));
        }
    }

    @Override
    public void fill(Tensor dst, double value) {
        long n = dst.numel();
        for (long i = 0; i < n; i++) dst.writeDouble(dst.offsetOf(i), value);
    }

    // ------------------------------------------------------------------ matmul

    @Override
    public void matmul(Tensor a, Tensor b, Tensor out) {
        int m = a.dim(-2), k = a.dim(-1), n = b.dim(-1);
        long batches = (long) m * n == 0 ? 0 : out.numel() / ((long) m * n); // nothing to write when M or N is 0
        long as0 = a.stride(-2), as1 = a.stride(-1), bs0 = b.stride(-2), bs1 = b.stride(-1);
        for (long batch = 0; batch < batches; batch++) {
            long aBase = batchBase(a, batch, 2), bBase = batchBase(b, batch, 2);
            long oBase = batch * m * n;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double acc = 0;
                    for (int p = 0; p < k; p++) {
                        acc += a.readDouble(aBase + i * as0 + p * as1) * b.readDouble(bBase + p * bs0 + j * bs1);
                    }
                    out.writeDouble(out.offset() + oBase + (long) i * n + j, acc);
                }
            }
        }
    }

    // ------------------------------------------------------------------ elementwise

    @Override
    public void unary(UnaryOp op, Tensor x, Tensor out) {
        long n = x.numel();
        for (long i = 0; i < n; i++) {
            out.writeDouble(out.offsetOf(i), op.apply(x.readDouble(x.offsetOf(i))));
        }
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        long n = out.numel();
        for (long i = 0; i < n; i++) {
            out.writeDouble(out.offsetOf(i), op.apply(a.readDouble(a.offsetOf(i)), b.readDouble(b.offsetOf(i))));
        }
    }

    // ------------------------------------------------------------------ reductions

    @Override
    public void reduce(ReduceOp op, Tensor x, int axis, Tensor out) {
        int size = x.dim(axis);
        long n = out.numel();
        long stride = x.stride(axis);
        for (long i = 0; i < n; i++) {
            // out has x's shape with the reduced axis of size 1, so its i-th element maps to x's element at index 0
            // (an empty axis has no element: sum 0, mean 0 / 0 = NaN, max -inf).
            long base = size == 0 ? 0 : x.offsetOf(outIndexToInput(out, x, axis, i));
            double acc = op == ReduceOp.MAX ? Double.NEGATIVE_INFINITY : 0;
            for (int j = 0; j < size; j++) {
                double v = x.readDouble(base + j * stride);
                acc = op == ReduceOp.MAX ? Math.max(acc, v) : acc + v;
            }
            if (op == ReduceOp.MEAN) acc /= size;
            out.writeDouble(out.offsetOf(i), acc);
        }
    }

    @Override
    public void argmax(Tensor x, int axis, Tensor out) {
        int size = x.dim(axis);
        long n = out.numel();
        long stride = x.stride(axis);
        for (long i = 0; i < n; i++) {
            long base = size == 0 ? 0 : x.offsetOf(outIndexToInput(out, x, axis, i)); // empty: index 0
            int best = 0;
            double bestValue = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < size; j++) {
                double v = x.readDouble(base + j * stride);
                if (v > bestValue || (Double.isNaN(v) && !Double.isNaN(bestValue))) {
                    bestValue = v;
                    best = j;
                }
            }
            out.writeDouble(out.offsetOf(i), best);
        }
    }

    /** The linear index into x of the first element reduced into out's i-th element. */
    private static long outIndexToInput(Tensor out, Tensor x, int axis, long i) {
        // Decompose i over out's shape (reduced axis has size 1), recompose over x's shape with that index at 0.
        long linear = 0;
        long rem = i;
        long[] idx = new long[out.rank()];
        for (int d = out.rank() - 1; d >= 0; d--) {
            idx[d] = rem % out.dim(d);
            rem /= out.dim(d);
        }
        for (int d = 0; d < x.rank(); d++) linear = linear * x.dim(d) + (d == axis ? 0 : idx[d]);
        return linear;
    }

    // ------------------------------------------------------------------ softmax family

    @Override
    public void softmax(Tensor x, Tensor out) {
        int rows = rows(x), cols = lastDim(x);
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) max = Math.max(max, x.readDouble(rc(x, r, c, cols)));
            double sum = 0;
            for (int c = 0; c < cols; c++) sum += Math.exp(x.readDouble(rc(x, r, c, cols)) - max);
            for (int c = 0; c < cols; c++) {
                out.writeDouble(rc(out, r, c, cols), Math.exp(x.readDouble(rc(x, r, c, cols)) - max) / sum);
            }
        }
    }

    @Override
    public void logSoftmax(Tensor x, Tensor out) {
        int rows = rows(x), cols = lastDim(x);
        for (int r = 0; r < rows; r++) {
            Shifted row = Shifted.of(x, r, cols, 1.0);
            for (int c = 0; c < cols; c++) {
                out.writeDouble(rc(out, r, c, cols), row.logP(x.readDouble(rc(x, r, c, cols))));
            }
        }
    }

    /**
     * log(sum_c exp(x[r, c] / temperature)) in two parts, the max of x / temperature and the log of the shifted
     * sum; a log probability is (x / temperature - max) - logSum, which keeps the differences between values of any
     * magnitude (max + logSum would round them away at 1e16 in F64).
     */
    private record Shifted(double max, double logSum) {
        static Shifted of(Tensor x, int r, int cols, double temperature) {
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) max = Math.max(max, x.readDouble(rc(x, r, c, cols)) / temperature);
            double sum = 0;
            for (int c = 0; c < cols; c++) sum += Math.exp(x.readDouble(rc(x, r, c, cols)) / temperature - max);
            return new Shifted(max, Math.log(sum));
        }

        double lse() {
            return max + logSum;
        }

        double logP(double scaled) {
            return (scaled - max) - logSum;
        }
    }

    @Override
    public void softmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        int rows = rows(y), cols = lastDim(y);
        for (int r = 0; r < rows; r++) {
            double dot = 0;
            for (int c = 0; c < cols; c++) dot += y.readDouble(rc(y, r, c, cols)) * dy.readDouble(rc(dy, r, c, cols));
            for (int c = 0; c < cols; c++) {
                double yc = y.readDouble(rc(y, r, c, cols));
                dx.writeDouble(rc(dx, r, c, cols), yc * (dy.readDouble(rc(dy, r, c, cols)) - dot));
            }
        }
    }

    @Override
    public void logSoftmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        int rows = rows(y), cols = lastDim(y);
        for (int r = 0; r < rows; r++) {
            double sum = 0;
            for (int c = 0; c < cols; c++) sum += dy.readDouble(rc(dy, r, c, cols));
            for (int c = 0; c < cols; c++) {
                double p = Math.exp(y.readDouble(rc(y, r, c, cols)));
                dx.writeDouble(rc(dx, r, c, cols), dy.readDouble(rc(dy, r, c, cols)) - p * sum);
            }
        }
    }

    // ------------------------------------------------------------------ RMSNorm

    @Override
    public void rmsNorm(Tensor x, Tensor weight, double eps, Tensor out) {
        int rows = rows(x), cols = lastDim(x);
        for (int r = 0; r < rows; r++) {
            double inv = invRms(x, r, cols, eps);
            for (int c = 0; c < cols; c++) {
                double w = weight.readDouble(weight.offsetOf(c));
                out.writeDouble(rc(out, r, c, cols), x.readDouble(rc(x, r, c, cols)) * inv * w);
            }
        }
    }

    private static double invRms(Tensor x, int r, int cols, double eps) {
        double ss = 0;
        for (int c = 0; c < cols; c++) {
            double v = x.readDouble(rc(x, r, c, cols));
            ss += v * v;
        }
        return 1.0 / Math.sqrt(ss / cols + eps);
    }

    @Override
    public void rmsNormBackward(Tensor x, Tensor weight, double eps, Tensor dy, Tensor dx, Tensor dweight) {
        int rows = rows(x), cols = lastDim(x);
        double[] dw = new double[cols];
        for (int r = 0; r < rows; r++) {
            double inv = invRms(x, r, cols, eps);
            double mean = 0; // mean over c of dy*w*n
            for (int c = 0; c < cols; c++) {
                double n = x.readDouble(rc(x, r, c, cols)) * inv;
                double g = dy.readDouble(rc(dy, r, c, cols));
                mean += g * weight.readDouble(weight.offsetOf(c)) * n;
                dw[c] += g * n;
            }
            mean /= cols;
            for (int c = 0; c < cols; c++) {
                double n = x.readDouble(rc(x, r, c, cols)) * inv;
                double gw = dy.readDouble(rc(dy, r, c, cols)) * weight.readDouble(weight.offsetOf(c));
                dx.writeDouble(rc(dx, r, c, cols), inv * (gw - n * mean));
            }
        }
        for (int c = 0; c < cols; c++) dweight.writeDouble(dweight.offsetOf(c), dw[c]);
    }

    // ------------------------------------------------------------------ RoPE

    @Override
    public void rope(Tensor x, Tensor cos, Tensor sin, Tensor out) {
        int b = x.dim(0), h = x.dim(1), t = x.dim(2), d = x.dim(3), half = d / 2;
        for (int i0 = 0; i0 < b; i0++) {
            for (int i1 = 0; i1 < h; i1++) {
                for (int i2 = 0; i2 < t; i2++) {
                    for (int i3 = 0; i3 < d; i3++) {
                        double xi = x.readDouble(at4(x, i0, i1, i2, i3));
                        // rotate_half: first half takes -x[i + half], second half takes x[i - half]
                        double rotated = i3 < half ? -x.readDouble(at4(x, i0, i1, i2, i3 + half))
                                : x.readDouble(at4(x, i0, i1, i2, i3 - half));
                        double c = cos.readDouble(cos.offsetOf(i2, i3));
                        double s = sin.readDouble(sin.offsetOf(i2, i3));
                        out.writeDouble(at4(out, i0, i1, i2, i3), xi * c + rotated * s);
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ SwiGLU

    @Override
    public void swiglu(Tensor gate, Tensor up, Tensor out) {
        long n = out.numel();
        for (long i = 0; i < n; i++) {
            double g = gate.readDouble(gate.offsetOf(i));
            out.writeDouble(out.offsetOf(i), UnaryOp.SILU.apply(g) * up.readDouble(up.offsetOf(i)));
        }
    }

    @Override
    public void swigluBackward(Tensor gate, Tensor up, Tensor dy, Tensor dgate, Tensor dup) {
        long n = dy.numel();
        for (long i = 0; i < n; i++) {
            double g = gate.readDouble(gate.offsetOf(i));
            double u = up.readDouble(up.offsetOf(i));
            double d = dy.readDouble(dy.offsetOf(i));
            double s = 1.0 / (1.0 + Math.exp(-g));
            double silu = g * s;
            dgate.writeDouble(dgate.offsetOf(i), d * u * s * (1 + g * (1 - s)));
            dup.writeDouble(dup.offsetOf(i), d * silu);
        }
    }

    // ------------------------------------------------------------------ embedding

    @Override
    public void embedding(Tensor table, Tensor ids, Tensor out) {
        long n = ids.numel();
        int d = table.dim(1);
        for (long i = 0; i < n; i++) {
            int id = ids.readInt(ids.offsetOf(i));
            for (int c = 0; c < d; c++) {
                out.writeDouble(out.offset() + i * d + c, table.readDouble(table.offsetOf(id, c)));
            }
        }
    }

    @Override
    public void embeddingBackward(Tensor ids, Tensor dout, Tensor dtable) {
        long n = ids.numel();
        int d = dtable.dim(1);
        for (long i = 0; i < n; i++) {
            int id = ids.readInt(ids.offsetOf(i));
            for (int c = 0; c < d; c++) {
                long o = dtable.offsetOf(id, c);
                dtable.writeDouble(o, dtable.readDouble(o) + dout.readDouble(dout.offsetOf(i * d + c)));
            }
        }
    }

    // ------------------------------------------------------------------ attention

    @Override
    public void attention(Tensor q, Tensor k, Tensor v, double scale, boolean causal, int window, Tensor out,
                          Tensor lse) {
        int batch = q.dim(0), heads = q.dim(1), t = q.dim(2), d = q.dim(3);
        int groups = k.dim(1), s = k.dim(2), perGroup = heads / groups;
        double[] scores = new double[s];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                int g = h / perGroup;
                for (int i = 0; i < t; i++) {
                    // keys [first, visible) are seen by query i, at position i + S - T when causal
                    int visible = causal ? i + s - t + 1 : s;
                    int first = Backend.windowStart(i + s - t, window);
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = first; j < visible; j++) {
                        double dot = 0;
                        for (int c = 0; c < d; c++) {
                            dot += q.readDouble(at4(q, b, h, i, c)) * k.readDouble(at4(k, b, g, j, c));
                        }
                        scores[j] = dot * scale;
                        max = Math.max(max, scores[j]);
                    }
                    double sum = 0;
                    for (int j = first; j < visible; j++) sum += Math.exp(scores[j] - max);
                    double rowLse = max + Math.log(sum);
                    for (int c = 0; c < d; c++) {
                        double acc = 0;
                        for (int j = first; j < visible; j++) {
                            acc += Math.exp(scores[j] - rowLse) * v.readDouble(at4(v, b, g, j, c));
                        }
                        out.writeDouble(at4(out, b, h, i, c), acc);
                    }
                    if (lse != null) lse.writeDouble(lse.offsetOf(b, h, i), rowLse);
                }
            }
        }
    }

    @Override
    public void attentionBackward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor dout,
                                  double scale, boolean causal, int window, Tensor dq, Tensor dk, Tensor dv) {
        int batch = q.dim(0), heads = q.dim(1), t = q.dim(2), d = q.dim(3);
        int groups = k.dim(1), s = k.dim(2), perGroup = heads / groups;
        fill(dq, 0);
        fill(dk, 0);
        fill(dv, 0);
        double[] p = new double[s];
        double[] dp = new double[s];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                int g = h / perGroup;
                for (int i = 0; i < t; i++) {
                    int visible = causal ? i + s - t + 1 : s;
                    int first = Backend.windowStart(i + s - t, window); // keys [first, visible): P = 0 elsewhere
                    double rowLse = lse.readDouble(lse.offsetOf(b, h, i));
                    double rowDot = 0; // sum_c dO[i, c] * O[i, c]
                    for (int c = 0; c < d; c++) {
                        rowDot += dout.readDouble(at4(dout, b, h, i, c)) * out.readDouble(at4(out, b, h, i, c));
                    }
                    for (int j = first; j < visible; j++) {
                        double dot = 0, dpj = 0;
                        for (int c = 0; c < d; c++) {
                            dot += q.readDouble(at4(q, b, h, i, c)) * k.readDouble(at4(k, b, g, j, c));
                            dpj += dout.readDouble(at4(dout, b, h, i, c)) * v.readDouble(at4(v, b, g, j, c));
                        }
                        p[j] = Math.exp(dot * scale - rowLse);
                        dp[j] = dpj;
                    }
                    for (int j = first; j < visible; j++) {
                        double ds = p[j] * (dp[j] - rowDot);
                        for (int c = 0; c < d; c++) {
                            addTo(dv, at4(dv, b, g, j, c), p[j] * dout.readDouble(at4(dout, b, h, i, c)));
                            addTo(dq, at4(dq, b, h, i, c), ds * scale * k.readDouble(at4(k, b, g, j, c)));
                            addTo(dk, at4(dk, b, g, j, c), ds * scale * q.readDouble(at4(q, b, h, i, c)));
                        }
                    }
                }
            }
        }
    }

    private static void addTo(Tensor t, long offset, double value) {
        t.writeDouble(offset, t.readDouble(offset) + value);
    }

    // ------------------------------------------------------------------ losses

    @Override
    public void crossEntropy(Tensor logits, Tensor targets, int ignoreIndex, Tensor loss, Tensor lse) {
        int rows = rows(logits), cols = lastDim(logits);
        for (int r = 0; r < rows; r++) {
            Shifted row = Shifted.of(logits, r, cols, 1.0);
            int target = targets.readInt(targets.offsetOf(r));
            double l = target == ignoreIndex ? 0 : -row.logP(logits.readDouble(rc(logits, r, target, cols)));
            loss.writeDouble(loss.offsetOf(r), l);
            lse.writeDouble(lse.offsetOf(r), row.lse());
        }
    }

    @Override
    public void crossEntropyBackward(Tensor logits, Tensor targets, int ignoreIndex, Tensor lse, Tensor dloss,
                                     Tensor dlogits) {
        int rows = rows(logits), cols = lastDim(logits);
        for (int r = 0; r < rows; r++) {
            int target = targets.readInt(targets.offsetOf(r));
            if (target == ignoreIndex) { // exactly zero, as the row's loss: 0 * (p - onehot) would be NaN for a NaN lse
                for (int c = 0; c < cols; c++) dlogits.writeDouble(rc(dlogits, r, c, cols), 0);
                continue;
            }
            double g = dloss.readDouble(dloss.offsetOf(r));
            double rowLse = lse.readDouble(lse.offsetOf(r));
            for (int c = 0; c < cols; c++) {
                double p = Math.exp(logits.readDouble(rc(logits, r, c, cols)) - rowLse);
                dlogits.writeDouble(rc(dlogits, r, c, cols), g * (p - (c == target ? 1 : 0)));
            }
        }
    }

    @Override
    public void klDivergence(Tensor student, Tensor teacher, double temperature, Tensor loss) {
        int rows = rows(student), cols = lastDim(student);
        for (int r = 0; r < rows; r++) {
            Shifted rowS = Shifted.of(student, r, cols, temperature);
            Shifted rowT = Shifted.of(teacher, r, cols, temperature);
            double kl = 0;
            for (int c = 0; c < cols; c++) {
                double logPt = rowT.logP(teacher.readDouble(rc(teacher, r, c, cols)) / temperature);
                double logPs = rowS.logP(student.readDouble(rc(student, r, c, cols)) / temperature);
                double pt = Math.exp(logPt);
                if (pt != 0) kl += pt * (logPt - logPs); // p log p -> 0 as p -> 0 (torch.xlogy)
            }
            loss.writeDouble(loss.offsetOf(r), kl);
        }
    }

    @Override
    public void klDivergenceBackward(Tensor student, Tensor teacher, double temperature, Tensor dloss,
                                     Tensor dstudent) {
        int rows = rows(student), cols = lastDim(student);
        for (int r = 0; r < rows; r++) {
            Shifted rowS = Shifted.of(student, r, cols, temperature);
            Shifted rowT = Shifted.of(teacher, r, cols, temperature);
            double g = dloss.readDouble(dloss.offsetOf(r)) / temperature;
            for (int c = 0; c < cols; c++) {
                double ps = Math.exp(rowS.logP(student.readDouble(rc(student, r, c, cols)) / temperature));
                double pt = Math.exp(rowT.logP(teacher.readDouble(rc(teacher, r, c, cols)) / temperature));
                dstudent.writeDouble(rc(dstudent, r, c, cols), g * (ps - pt));
            }
        }
    }
}
