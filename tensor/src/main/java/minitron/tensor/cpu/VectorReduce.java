package minitron.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import minitron.tensor.Parallel;
import minitron.tensor.ReduceOp;
import minitron.tensor.Tensor;

/**
 * Sum, mean, max and argmax along one axis, for F32. x is seen as (outer, size, inner) around the reduced axis:
 * the last axis (inner == 1) reduces each row with vector accumulators; any other axis adds whole rows of length
 * inner, vectorized along them. Sums accumulate in F32 (F32 vectors of partial sums, so the error grows like
 * sqrt(size) ulps rather than size ulps); the reference accumulates in F64.
 */
final class VectorReduce {
    private static final VectorSpecies<Float> F = VectorBackend.F;

    private VectorReduce() {
    }

    static boolean reduce(ReduceOp op, Tensor x, int axis, Tensor out) {
        if (!Dense.outputs(out) || !Dense.readable(x) || x.numel() == 0) return false;
        Dense.Floats in = Dense.in(x), o = Dense.out(out);
        float[] xa = in.array(), oa = o.array();
        int xo = in.offset(), oo = o.offset();
        int size = x.dim(axis);
        int inner = 1;
        for (int d = axis + 1; d < x.rank(); d++) inner *= x.dim(d);
        int outer = (int) (x.numel() / ((long) size * inner));
        if (inner == 1) {
            Parallel.forRange(outer, Dense.grain(size), (start, end) -> {
                for (int r = start; r < end; r++) {
                    int base = xo + r * size;
                    float v = op == ReduceOp.MAX ? max(xa, base, size) : sum(xa, base, size);
                    oa[oo + r] = op == ReduceOp.MEAN ? v / size : v;
                }
            });
            return true;
        }
        int innerSize = inner;
        Parallel.forRange(outer, Dense.grain((long) size * inner), (start, end) -> {
            for (int r = start; r < end; r++) {
                int dst = oo + r * innerSize;
                int src = xo + r * size * innerSize;
                System.arraycopy(xa, src, oa, dst, innerSize);
                for (int j = 1; j < size; j++) {
                    combineRow(op, xa, src + j * innerSize, oa, dst, innerSize);
                }
                if (op == ReduceOp.MEAN) {
                    for (int i = 0; i < innerSize; i++) oa[dst + i] /= size;
                }
            }
        });
        return true;
    }

    /** acc[ao + i] = acc[ao + i] + x[xo + i] (or max of the two) for i in [0, n). */
    private static void combineRow(ReduceOp op, float[] x, int xo, float[] acc, int ao, int n) {
        for (int i = 0; i < n; i += F.length()) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector a = FloatVector.fromArray(F, acc, ao + i, m);
            FloatVector v = FloatVector.fromArray(F, x, xo + i, m);
            (op == ReduceOp.MAX ? a.max(v) : a.add(v)).intoArray(acc, ao + i, m);
        }
    }

    /** Sum of x[off, off + n) with F32 vector partial sums. */
    static float sum(float[] x, int off, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i + F.length() <= n; i += F.length()) acc = acc.add(FloatVector.fromArray(F, x, off + i));
        if (i < n) acc = acc.add(FloatVector.fromArray(F, x, off + i, F.indexInRange(i, n)));
        return DeterministicLanes.sum(acc);
    }

    /** Max of x[off, off + n), n >= 1; NaN if any element is NaN (as Math.max). */
    static float max(float[] x, int off, int n) {
        FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i + F.length() <= n; i += F.length()) acc = acc.max(FloatVector.fromArray(F, x, off + i));
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            acc = acc.max(FloatVector.fromArray(F, x, off + i, m).blend(Float.NEGATIVE_INFINITY, m.not()));
        }
        return acc.reduceLanes(VectorOperators.MAX);
    }

    /**
     * Index of the first maximum along an axis; a NaN counts as the maximum (the first NaN wins), as in the
     * reference. Another axis than the last is first moved to the end (a view, then gathered), which keeps the
     * order of the remaining axes and so the order of out.
     */
    static boolean argmax(Tensor x, int axis, Tensor out) {
        if (!Dense.readable(x) || x.numel() == 0 || !out.isContiguous()) return false;
        if (axis != x.rank() - 1) {
            int[] order = new int[x.rank()];
            for (int i = 0, j = 0; i < x.rank(); i++) if (i != axis) order[j++] = i;
            order[x.rank() - 1] = axis;
            x = x.permute(order);
            axis = x.rank() - 1;
        }
        Dense.Floats in = Dense.in(x);
        float[] xa = in.array();
        int xo = in.offset();
        int size = x.dim(axis);
        int rows = (int) (x.numel() / size);
        Parallel.forRange(rows, Dense.grain(2L * size), (start, end) -> {
            for (int r = start; r < end; r++) {
                int base = xo + r * size;
                float best = max(xa, base, size);
                int at = 0;
                if (Float.isNaN(best)) {
                    while (!Float.isNaN(xa[base + at])) at++;
                } else {
                    while (xa[base + at] != best) at++;
                }
                out.writeDouble(out.offset() + r, at);
            }
        });
        return true;
    }
}
