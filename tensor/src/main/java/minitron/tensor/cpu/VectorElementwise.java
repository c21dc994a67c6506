package minitron.tensor.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import minitron.tensor.BinaryOp;
import minitron.tensor.DType;
import minitron.tensor.Half;
import minitron.tensor.Parallel;
import minitron.tensor.Tensor;
import minitron.tensor.UnaryOp;

/**
 * Elementwise kernels for F32: copy (with BF16/F16 conversion), fill, every {@link UnaryOp}, {@link BinaryOp}
 * with the broadcast patterns that occur in practice, and SwiGLU with its backward. Each method returns false
 * when the arguments are outside its fast path; the caller then runs the reference kernel.
 *
 * <p>Arithmetic is in F32. ADD, SUB, MUL, DIV, SQRT, NEG, ABS, SQUARE, RELU, MAX, MIN are correctly rounded, so
 * they equal the reference (which computes in F64 and rounds once) bit for bit; EXP, LOG, TANH, POW and what is
 * built on them (SIGMOID, SILU, SwiGLU) come from the Vector API's math library, within a few ulps.
 */
final class VectorElementwise {
    private static final VectorSpecies<Float> F = VectorBackend.F;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    private VectorElementwise() {
    }

    // ------------------------------------------------------------------ copy and fill

    /**
     * dst = src. Fast for contiguous same-dtype copies, contiguous F32 <-> BF16/F16 conversions, any F32/BF16/F16
     * view into a contiguous F32 tensor (transposes, slices, widening a transposed weight), and F32 views into F32
     * views.
     */
    static boolean copy(Tensor src, Tensor dst) {
        long n = src.numel();
        if (n == 0) return true;
        if (src.isContiguous() && dst.isContiguous() && !dst.data().isReadOnly()) {
            DType from = src.dtype(), to = dst.dtype();
            if (from == to) {
                long bytes = n * from.byteSize();
                MemorySegment.copy(src.data(), src.offset() * from.byteSize(), dst.data(), dst.offset() * to.byteSize(), bytes);
                return true;
            }
            if (n > Integer.MAX_VALUE) return false;
            if (from == DType.F32 && to.isHalf()) {
                narrow(src, dst, (int) n);
                return true;
            }
            if (from.isHalf() && to == DType.F32) {
                widen(src, dst, (int) n);
                return true;
            }
            return false;
        }
        if (Dense.outputs(dst) && Dense.readable(src) && src.rank() > 0) {
            // Any F32/BF16/F16 view into a contiguous F32 tensor: rows of the last axis, widened as they are read.
            int cols = src.dim(-1), rows = (int) (n / cols);
            long step = src.stride(-1);
            Dense.Floats o = Dense.out(dst);
            Parallel.forRange(rows, Dense.grain(cols, src), (start, end) -> {
                for (int r = start; r < end; r++) {
                    Dense.readRow(src, src.offsetOf((long) r * cols), step, cols, o.array(), o.offset() + r * cols);
                }
            });
            return true;
        }
        // An F32 view into a strided F32 view: rows of the last axis, each a strided read and a strided write.
        float[] s = Dense.heapArray(src), d = Dense.heapArray(dst);
        if (s == null || d == null || dst.data().isReadOnly() || src.rank() == 0) return false;
        int cols = src.dim(-1), rows = (int) (n / cols);
        long ss = src.stride(-1), ds = dst.stride(-1);
        Parallel.forRange(rows, Dense.grain(cols), (start, end) -> {
            for (int r = start; r < end; r++) {
                int sb = (int) src.offsetOf((long) r * cols), db = (int) dst.offsetOf((long) r * cols);
                if (ss == 1 && ds == 1) {
                    System.arraycopy(s, sb, d, db, cols);
                } else {
                    for (int c = 0; c < cols; c++) d[(int) (db + c * ds)] = s[(int) (sb + c * ss)];
                }
            }
        });
        return true;
    }

    /** F32 -> BF16/F16, round to nearest even (the scalar {@link Half} conversions, split across threads). */
    private static void narrow(Tensor src, Tensor dst, int n) {
        MemorySegment s = src.data(), d = dst.data();
        long so = src.offset(), doff = dst.offset();
        boolean bf16 = dst.dtype() == DType.BF16;
        Parallel.forRange(n, Dense.grain(8, src, dst), (start, end) -> {
            for (int i = start; i < end; i++) {
                float v = s.getAtIndex(F32, so + i);
                d.setAtIndex(I16, doff + i, bf16 ? Half.floatToBf16(v) : Half.floatToF16(v));
            }
        });
    }

    /** BF16/F16 -> F32, exact. */
    private static void widen(Tensor src, Tensor dst, int n) {
        MemorySegment s = src.data(), d = dst.data();
        long so = src.offset(), doff = dst.offset();
        boolean bf16 = src.dtype() == DType.BF16;
        Parallel.forRange(n, Dense.grain(4, src, dst), (start, end) -> {
            for (int i = start; i < end; i++) {
                short bits = s.getAtIndex(I16, so + i);
                d.setAtIndex(F32, doff + i, bf16 ? Half.bf16ToFloat(bits) : Half.f16ToFloat(bits));
            }
        });
    }

    /** dst[...] = value for a contiguous F32 dst. */
    static boolean fill(Tensor dst, double value) {
        if (!Dense.outputs(dst)) return false;
        Dense.Floats o = Dense.out(dst);
        int n = (int) dst.numel();
        Arrays.fill(o.array(), o.offset(), o.offset() + n, (float) value);
        return true;
    }

    // ------------------------------------------------------------------ unary

    static boolean unary(UnaryOp op, Tensor x, Tensor out) {
        if (!Dense.outputs(out) || !Dense.readable(x)) return false;
        Dense.Floats in = Dense.in(x), o = Dense.out(out);
        float[] xa = in.array(), oa = o.array();
        int xo = in.offset(), oo = o.offset();
        int n = (int) out.numel();
        Parallel.forRange(n, Dense.grain(16), (start, end) -> {
            int i = start;
            for (; i + F.length() <= end; i += F.length()) {
                apply(op, FloatVector.fromArray(F, xa, xo + i)).intoArray(oa, oo + i);
            }
            if (i < end) {
                VectorMask<Float> m = F.indexInRange(i, end);
                apply(op, FloatVector.fromArray(F, xa, xo + i, m)).intoArray(oa, oo + i, m);
            }
        });
        return true;
    }

    /** The vector form of each {@link UnaryOp#apply}. */
    static FloatVector apply(UnaryOp op, FloatVector x) {
        return switch (op) {
            case NEG -> x.neg();
            case EXP -> DeterministicLanes.exp(x);
            case LOG -> x.lanewise(VectorOperators.LOG);
            case SQRT -> x.sqrt();
            case RSQRT -> x.broadcast(1f).div(x.sqrt());
            case RECIPROCAL -> x.broadcast(1f).div(x);
            case SQUARE -> x.mul(x);
            case ABS -> x.abs();
            case SIGMOID -> sigmoid(x);
            case SILU -> x.mul(sigmoid(x));
            case TANH -> x.lanewise(VectorOperators.TANH);
            case RELU -> x.blend(0f, x.compare(VectorOperators.LE, 0f)); // NaN stays NaN, as x <= 0 ? 0 : x
        };
    }

    /** sigmoid(x) = 1 / (1 + e^-x); for x -> -inf, e^-x overflows to +inf and the result is +0, as in F64. */
    static FloatVector sigmoid(FloatVector x) {
        FloatVector one = x.broadcast(1f);
        return one.div(one.add(DeterministicLanes.exp(x.neg())));
    }

    // ------------------------------------------------------------------ binary

    /**
     * out = op(a, b) with a, b already expanded to out's shape. Fast when both are F32 on the heap and their last
     * axis has stride 1 (a row) or 0 (a value repeated along the row): this covers two contiguous operands, a
     * scalar operand, a row vector broadcast over rows (bias), and a column broadcast ((R, 1) against (R, C)).
     * Any other operand (transposed, BF16, off-heap) is first gathered into a contiguous F32 copy.
     */
    static boolean binary(BinaryOp op, Tensor left, Tensor right, Tensor out) {
        if (!Dense.outputs(out) || out.rank() == 0 || out.numel() == 0 || !Dense.readable(left, right)) return false;
        Tensor a = rowReadable(left), b = rowReadable(right);
        float[] aa = Dense.heapArray(a), ba = Dense.heapArray(b);
        long as = a.stride(-1), bs = b.stride(-1);
        Dense.Floats o = Dense.out(out);
        float[] oa = o.array();
        int oo = o.offset();
        int n = (int) out.numel();
        boolean aFlat = a.isContiguous() || isConstant(a), bFlat = b.isContiguous() || isConstant(b);
        if (aFlat && bFlat) {
            // One long row: split it across threads.
            int ao = (int) a.offset(), bo = (int) b.offset();
            boolean aRow = a.isContiguous() && !isConstant(a), bRow = b.isContiguous() && !isConstant(b);
            Parallel.forRange(n, Dense.grain(2), (start, end) ->
                    row(op, aa, ao + (aRow ? start : 0), aRow, ba, bo + (bRow ? start : 0), bRow, oa, oo + start, end - start));
            return true;
        }
        int cols = out.dim(-1), rows = n / cols;
        Parallel.forRange(rows, Dense.grain(2L * cols), (start, end) -> {
            for (int r = start; r < end; r++) {
                int ab = (int) a.offsetOf((long) r * cols), bb = (int) b.offsetOf((long) r * cols);
                row(op, aa, ab, as == 1, ba, bb, bs == 1, oa, oo + r * cols, cols);
            }
        });
        return true;
    }

    /** t itself when it is an F32 heap view whose last axis has stride 0 or 1, else a contiguous F32 copy of it. */
    private static Tensor rowReadable(Tensor t) {
        long last = t.stride(-1);
        if (Dense.heapArray(t) != null && (last == 0 || last == 1)) return t;
        return Tensor.of(Dense.gather(t), t.shape().dims());
    }

    /** True when every stride is 0 (one value seen everywhere). */
    private static boolean isConstant(Tensor t) {
        for (long s : t.strides()) if (s != 0) return false;
        return true;
    }

    /**
     * out[oo + i] = op(a[ao + i or ao], b[bo + i or bo]) for i in [0, n). ADD and MUL (residual adds, gradient
     * accumulation, scaling: the ones a training step runs on large tensors) have loops of their own: in the
     * generic loop C2 often does not inline {@link #apply(BinaryOp, FloatVector, FloatVector)} (the switch makes
     * it too big once the call site has seen several ops), and then boxes two vectors and the result per call,
     * measured 4-5x slower than the add itself.
     */
    private static void row(BinaryOp op, float[] a, int ao, boolean aRow, float[] b, int bo, boolean bRow,
                            float[] out, int oo, int n) {
        switch (op) {
            case ADD -> addRow(a, ao, aRow, b, bo, bRow, out, oo, n);
            case MUL -> mulRow(a, ao, aRow, b, bo, bRow, out, oo, n);
            default -> anyRow(op, a, ao, aRow, b, bo, bRow, out, oo, n);
        }
    }

    /** {@link #row} for ADD: out = a + b. */
    private static void addRow(float[] a, int ao, boolean aRow, float[] b, int bo, boolean bRow,
                               float[] out, int oo, int n) {
        FloatVector aConst = FloatVector.broadcast(F, a[ao]), bConst = FloatVector.broadcast(F, b[bo]);
        int i = 0;
        for (; i + F.length() <= n; i += F.length()) {
            FloatVector x = aRow ? FloatVector.fromArray(F, a, ao + i) : aConst;
            FloatVector y = bRow ? FloatVector.fromArray(F, b, bo + i) : bConst;
            x.add(y).intoArray(out, oo + i);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector x = aRow ? FloatVector.fromArray(F, a, ao + i, m) : aConst;
            FloatVector y = bRow ? FloatVector.fromArray(F, b, bo + i, m) : bConst;
            x.add(y).intoArray(out, oo + i, m);
        }
    }

    /** {@link #row} for MUL: out = a * b. */
    private static void mulRow(float[] a, int ao, boolean aRow, float[] b, int bo, boolean bRow,
                               float[] out, int oo, int n) {
        FloatVector aConst = FloatVector.broadcast(F, a[ao]), bConst = FloatVector.broadcast(F, b[bo]);
        int i = 0;
        for (; i + F.length() <= n; i += F.length()) {
            FloatVector x = aRow ? FloatVector.fromArray(F, a, ao + i) : aConst;
            FloatVector y = bRow ? FloatVector.fromArray(F, b, bo + i) : bConst;
            x.mul(y).intoArray(out, oo + i);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector x = aRow ? FloatVector.fromArray(F, a, ao + i, m) : aConst;
            FloatVector y = bRow ? FloatVector.fromArray(F, b, bo + i, m) : bConst;
            x.mul(y).intoArray(out, oo + i, m);
        }
    }

    /** {@link #row} for any op. */
    private static void anyRow(BinaryOp op, float[] a, int ao, boolean aRow, float[] b, int bo, boolean bRow,
                               float[] out, int oo, int n) {
        FloatVector aConst = FloatVector.broadcast(F, a[ao]), bConst = FloatVector.broadcast(F, b[bo]);
        int i = 0;
        for (; i + F.length() <= n; i += F.length()) {
            FloatVector x = aRow ? FloatVector.fromArray(F, a, ao + i) : aConst;
            FloatVector y = bRow ? FloatVector.fromArray(F, b, bo + i) : bConst;
            apply(op, x, y).intoArray(out, oo + i);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector x = aRow ? FloatVector.fromArray(F, a, ao + i, m) : aConst;
            FloatVector y = bRow ? FloatVector.fromArray(F, b, bo + i, m) : bConst;
            apply(op, x, y).intoArray(out, oo + i, m);
        }
    }

    /** The vector form of each {@link BinaryOp#apply}. */
    static FloatVector apply(BinaryOp op, FloatVector a, FloatVector b) {
        return switch (op) {
            case ADD -> a.add(b);
            case SUB -> a.sub(b);
            case MUL -> a.mul(b);
            case DIV -> a.div(b);
            case MAX -> a.max(b);
            case MIN -> a.min(b);
            case POW -> a.pow(b);
        };
    }

    // ------------------------------------------------------------------ SwiGLU

    /** out = silu(gate) * up. */
    static boolean swiglu(Tensor gate, Tensor up, Tensor out) {
        if (!Dense.outputs(out) || !Dense.readable(gate, up)) return false;
        Dense.Floats g = Dense.in(gate), u = Dense.in(up), o = Dense.out(out);
        float[] ga = g.array(), ua = u.array(), oa = o.array();
        int go = g.offset(), uo = u.offset(), oo = o.offset();
        int n = (int) out.numel();
        Parallel.forRange(n, Dense.grain(16), (start, end) -> {
            int i = start;
            for (; i + F.length() <= end; i += F.length()) {
                FloatVector x = FloatVector.fromArray(F, ga, go + i);
                FloatVector y = FloatVector.fromArray(F, ua, uo + i);
                x.mul(sigmoid(x)).mul(y).intoArray(oa, oo + i);
            }
            if (i < end) {
                VectorMask<Float> m = F.indexInRange(i, end);
                FloatVector x = FloatVector.fromArray(F, ga, go + i, m);
                FloatVector y = FloatVector.fromArray(F, ua, uo + i, m);
                x.mul(sigmoid(x)).mul(y).intoArray(oa, oo + i, m);
            }
        });
        return true;
    }

    /**
     * With s = sigmoid(g): silu(g) = g s and silu'(g) = s (1 + g (1 - s)), so
     * dgate = dy * up * s (1 + g (1 - s)) and dup = dy * g s.
     */
    static boolean swigluBackward(Tensor gate, Tensor up, Tensor dy, Tensor dgate, Tensor dup) {
        if (!Dense.outputs(dgate, dup) || !Dense.readable(gate, up, dy)) return false;
        Dense.Floats g = Dense.in(gate), u = Dense.in(up), d = Dense.in(dy), dg = Dense.out(dgate), du = Dense.out(dup);
        float[] ga = g.array(), ua = u.array(), da = d.array(), dga = dg.array(), dua = du.array();
        int go = g.offset(), uo = u.offset(), dOff = d.offset(), dgo = dg.offset(), duo = du.offset();
        int n = (int) dy.numel();
        Parallel.forRange(n, Dense.grain(24), (start, end) -> {
            int i = start;
            for (; i + F.length() <= end; i += F.length()) {
                FloatVector x = FloatVector.fromArray(F, ga, go + i);
                FloatVector y = FloatVector.fromArray(F, ua, uo + i);
                FloatVector grad = FloatVector.fromArray(F, da, dOff + i);
                FloatVector s = sigmoid(x);
                FloatVector dsilu = s.mul(x.mul(s.neg().add(1f)).add(1f)); // s (1 + g (1 - s))
                grad.mul(y).mul(dsilu).intoArray(dga, dgo + i);
                grad.mul(x.mul(s)).intoArray(dua, duo + i);
            }
            if (i < end) { // the same on a last partial vector
                VectorMask<Float> m = F.indexInRange(i, end);
                FloatVector x = FloatVector.fromArray(F, ga, go + i, m);
                FloatVector y = FloatVector.fromArray(F, ua, uo + i, m);
                FloatVector grad = FloatVector.fromArray(F, da, dOff + i, m);
                FloatVector s = sigmoid(x);
                FloatVector dsilu = s.mul(x.mul(s.neg().add(1f)).add(1f));
                grad.mul(y).mul(dsilu).intoArray(dga, dgo + i, m);
                grad.mul(x.mul(s)).intoArray(dua, duo + i, m);
            }
        });
        return true;
    }
}
