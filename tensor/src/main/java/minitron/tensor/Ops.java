package minitron.tensor;

import java.util.Arrays;

/**
 * The tensor operations as a user calls them: each one checks its arguments (naming the op, what it expected and
 * what it got), applies NumPy broadcasting, allocates the output and calls one {@link Backend} kernel.
 *
 * <p>The compute dtype is F64 when any floating input is F64, else F32; BF16 and F16 inputs are read as F32.
 * Use {@link #cpu()} for the default backend or {@link #of(Backend)} to pick one (tests run every op on all).
 */
public final class Ops {
    private final Backend backend;

    private Ops(Backend backend) {
        this.backend = backend;
    }

    public static Ops of(Backend backend) {
        return new Ops(backend);
    }

    /** Ops on the default CPU backend ({@link Backends#cpu()}). */
    public static Ops cpu() {
        return new Ops(Backends.cpu());
    }

    public Backend backend() {
        return backend;
    }

    // ------------------------------------------------------------------ checks

    private static DType computeType(String op, Tensor... inputs) {
        DType result = DType.F32;
        for (Tensor t : inputs) {
            if (t.dtype() == DType.I32) {
                throw TensorException.of(op, "floating-point inputs", "an I32 tensor of shape " + t.shape());
            }
            if (t.dtype() == DType.F64) result = DType.F64;
        }
        return result;
    }

    private static void requireShape(String op, String name, Tensor t, Shape expected) {
        if (!t.shape().equals(expected)) {
            throw TensorException.of(op, name + " of shape " + expected, name + " of shape " + t.shape());
        }
    }

    private static void requireRank(String op, String name, Tensor t, int rank) {
        if (t.rank() != rank) {
            throw TensorException.of(op, name + " of rank " + rank, name + " of shape " + t.shape());
        }
    }

    private static void requireI32(String op, String name, Tensor t) {
        if (t.dtype() != DType.I32) {
            throw TensorException.of(op, name + " of dtype I32", name + " of dtype " + t.dtype());
        }
    }

    private static void requireAtLeastRank1(String op, Tensor x) {
        if (x.rank() < 1 || x.dim(-1) == 0) {
            throw TensorException.of(op, "a tensor with a non-empty last axis", "shape " + x.shape());
        }
    }

    /**
     * True when t has no elements. Ops skip the kernel then: the zero-filled output is already the result (an empty
     * tensor, or a sum over nothing), and kernels need not handle sizes of 0.
     */
    private static boolean isEmpty(Tensor t) {
        return t.numel() == 0;
    }

    /** Checks that every id lies in [0, limit) (ignoring {@code ignore}); names the first one that does not. */
    private static void requireIdsInRange(String op, String name, Tensor ids, int limit, Integer ignore) {
        long n = ids.numel();
        for (long i = 0; i < n; i++) {
            int id = ids.readInt(ids.offsetOf(i));
            if ((ignore == null || id != ignore) && (id < 0 || id >= limit)) {
                throw TensorException.of(op, name + " in [0, " + limit + ")" + (ignore != null ? " or " + ignore : ""),
                        id + " at flat position " + i + " of " + name + " " + ids.shape());
            }
        }
    }

    // ------------------------------------------------------------------ memory

    public Tensor zeros(DType dtype, int... dims) {
        return Tensor.zeros(dtype, dims);
    }

    /** dst[...] = src[...] with dtype conversion; dst may be a view into a larger tensor. */
    public void copyInto(Tensor src, Tensor dst) {
        requireShape("copy", "src", src, dst.shape());
        if (!isEmpty(dst)) backend.copy(src, dst);
    }

    public Tensor contiguous(Tensor x) {
        if (x.isContiguous()) return x;
        Tensor out = Tensor.zeros(x.dtype(), x.shape());
        if (!isEmpty(out)) backend.copy(x, out);
        return out;
    }

    /** Concatenates along {@code axis}; all other sizes must agree. */
    public Tensor concat(int axis, Tensor... parts) {
        if (parts.length == 0) throw TensorException.of("concat", "at least one tensor", "none");
        Tensor first = parts[0];
        for (Tensor t : parts) {
            if (t.dtype() != first.dtype()) { // no silent conversion: an I32 part would truncate F32 values
                throw TensorException.of("concat", "parts of one dtype", "dtypes " + Arrays.toString(
                        Arrays.stream(parts).map(Tensor::dtype).toArray()));
            }
        }
        int a = first.shape().axis("concat", axis);
        int total = 0;
        for (Tensor t : parts) {
            if (t.rank() != first.rank() || !t.shape().with(a, 1).equals(first.shape().with(a, 1))) {
                throw TensorException.of("concat", "shapes equal to " + first.shape() + " except on axis " + axis,
                        t.shape().toString());
            }
            total += t.dim(a);
        }
        Tensor out = Tensor.zeros(first.dtype(), first.shape().with(a, total));
        int at = 0;
        for (Tensor t : parts) {
            if (!isEmpty(t)) backend.copy(t, out.slice(a, at, at + t.dim(a)));
            at += t.dim(a);
        }
        return out;
    }

    // ------------------------------------------------------------------ matmul

    /**
     * Batched matrix product with NumPy batch broadcasting: a (..., M, K) @ b (..., K, N) -> (..., M, N).
     * b may be BF16 or F16 (a weight); a must be F32 or F64.
     */
    public Tensor matmul(Tensor a, Tensor b) {
        if (a.rank() < 2 || b.rank() < 2) {
            throw TensorException.of("matmul", "operands of rank >= 2", "a " + a.shape() + " and b " + b.shape());
        }
        if (a.dim(-1) != b.dim(-2)) {
            throw TensorException.of("matmul", "a.shape[-1] == b.shape[-2]", "a " + a.shape() + " and b " + b.shape());
        }
        if (a.dtype() != DType.F32 && a.dtype() != DType.F64) {
            throw TensorException.of("matmul", "a of dtype F32 or F64 (BF16/F16 are weight types: pass them as b)",
                    "a of dtype " + a.dtype());
        }
        // F64 on one side only would compute in F32 (or read F64 as weights): both or neither must be F64.
        if (b.dtype() == DType.I32 || (a.dtype() == DType.F64) != (b.dtype() == DType.F64)) {
            throw TensorException.of("matmul", "b of dtype F32, BF16 or F16 with an F32 a, F64 with an F64 a",
                    "a " + a.dtype() + " and b " + b.dtype());
        }
        Shape batch = Shape.broadcast("matmul", a.shape().dropLast(2), b.shape().dropLast(2));
        int[] outDims = Arrays.copyOf(batch.dims(), batch.rank() + 2);
        outDims[batch.rank()] = a.dim(-2);
        outDims[batch.rank() + 1] = b.dim(-1);
        int[] aDims = outDims.clone();
        aDims[batch.rank() + 1] = a.dim(-1);
        int[] bDims = outDims.clone();
        bDims[batch.rank()] = b.dim(-2);
        Tensor out = Tensor.zeros(a.dtype(), outDims);
        // With K = 0 each element is a sum of no products: 0, as the zero-filled out already holds.
        if (!isEmpty(out) && a.dim(-1) > 0) backend.matmul(a.expand(aDims), b.expand(bDims), out);
        return out;
    }

    /** x (..., in) @ weight^T with weight in HF (out, in) layout -> (..., out). */
    public Tensor linear(Tensor x, Tensor weight) {
        requireRank("linear", "weight", weight, 2);
        if (x.rank() < 1 || x.dim(-1) != weight.dim(1)) {
            throw TensorException.of("linear", "x of shape (..., " + weight.dim(1) + ") for weight " + weight.shape(),
                    "x of shape " + x.shape());
        }
        int[] outDims = x.shape().dims();
        outDims[outDims.length - 1] = weight.dim(0);
        int rows = (int) x.shape().dropLast(1).numel(); // not reshape(-1, in): -1 is undefined when in = 0
        Tensor flat = x.reshape(rows, weight.dim(1));
        return matmul(flat, weight.transpose(0, 1)).reshape(outDims);
    }

    // ------------------------------------------------------------------ elementwise

    public Tensor unary(UnaryOp op, Tensor x) {
        Tensor out = Tensor.zeros(computeType(op.name().toLowerCase(), x), x.shape());
        if (!isEmpty(out)) backend.unary(op, x, out);
        return out;
    }

    public Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        String name = op.name().toLowerCase();
        DType dtype = computeType(name, a, b);
        Shape shape = Shape.broadcast(name, a.shape(), b.shape());
        Tensor out = Tensor.zeros(dtype, shape);
        if (!isEmpty(out)) backend.binary(op, a.expand(shape), b.expand(shape), out);
        return out;
    }

    public Tensor add(Tensor a, Tensor b) {
        return binary(BinaryOp.ADD, a, b);
    }

    public Tensor sub(Tensor a, Tensor b) {
        return binary(BinaryOp.SUB, a, b);
    }

    public Tensor mul(Tensor a, Tensor b) {
        return binary(BinaryOp.MUL, a, b);
    }

    public Tensor div(Tensor a, Tensor b) {
        return binary(BinaryOp.DIV, a, b);
    }

    /** a * s for a scalar s (in a's compute dtype). */
    public Tensor scale(Tensor a, double s) {
        return binary(BinaryOp.MUL, a, scalarLike(a, s));
    }

    /** a + s for a scalar s. */
    public Tensor addScalar(Tensor a, double s) {
        return binary(BinaryOp.ADD, a, scalarLike(a, s));
    }

    private static Tensor scalarLike(Tensor a, double s) {
        Tensor t = Tensor.zeros(a.dtype() == DType.F64 ? DType.F64 : DType.F32, Shape.scalar());
        t.writeDouble(0, s);
        return t;
    }

    // ------------------------------------------------------------------ reductions

    /** op along {@code axis}; keepDim keeps it with size 1. */
    public Tensor reduce(ReduceOp op, Tensor x, int axis, boolean keepDim) {
        String name = op.name().toLowerCase();
        int a = x.shape().axis(name, axis);
        if (x.dim(a) == 0 && op == ReduceOp.MAX) {
            throw TensorException.of(name, "a non-empty axis " + axis, "shape " + x.shape());
        }
        Tensor out = Tensor.zeros(computeType(name, x), x.shape().with(a, 1));
        if (x.dim(a) == 0) {
            if (op == ReduceOp.MEAN) backend.fill(out, Double.NaN); // 0 / 0, as torch.mean; a sum of nothing is 0
        } else if (!isEmpty(out)) {
            backend.reduce(op, x, a, out);
        }
        return keepDim ? out : out.reshape(x.shape().without(a).dims());
    }

    public Tensor sum(Tensor x, int axis, boolean keepDim) {
        return reduce(ReduceOp.SUM, x, axis, keepDim);
    }

    public Tensor mean(Tensor x, int axis, boolean keepDim) {
        return reduce(ReduceOp.MEAN, x, axis, keepDim);
    }

    public Tensor max(Tensor x, int axis, boolean keepDim) {
        return reduce(ReduceOp.MAX, x, axis, keepDim);
    }

    /** Sum of all elements, as a 0-d tensor. */
    public Tensor sumAll(Tensor x) {
        Tensor flat = x.reshape((int) x.numel());
        return reduce(ReduceOp.SUM, flat, 0, false);
    }

    /**
     * Sums x down to {@code shape} (the reverse of broadcasting, used by the backward of broadcast ops): leading
     * axes are summed away, axes where shape has 1 are summed with keepDim.
     */
    public Tensor sumTo(Tensor x, Shape shape) {
        if (x.shape().equals(shape)) return x;
        if (!Shape.broadcast("sumTo", x.shape(), shape).equals(x.shape())) {
            throw TensorException.of("sumTo", "a shape that broadcasts to x's shape " + x.shape(), shape.toString());
        }
        Tensor t = x;
        while (t.rank() > shape.rank()) t = sum(t, 0, false);
        for (int i = 0; i < shape.rank(); i++) {
            if (shape.dim(i) == 1 && t.dim(i) != 1) t = sum(t, i, true);
        }
        return t;
    }

    /** Index of the first maximum along {@code axis}, as I32, with that axis removed. */
    public Tensor argmax(Tensor x, int axis) {
        int a = x.shape().axis("argmax", axis);
        if (x.dim(a) == 0) throw TensorException.of("argmax", "a non-empty axis " + axis, "shape " + x.shape());
        computeType("argmax", x);
        Tensor out = Tensor.zeros(DType.I32, x.shape().with(a, 1));
        if (!isEmpty(out)) backend.argmax(x, a, out);
        return out.reshape(x.shape().without(a).dims());
    }

    // ------------------------------------------------------------------ softmax family (last axis)

    public Tensor softmax(Tensor x) {
        requireAtLeastRank1("softmax", x);
        Tensor out = Tensor.zeros(computeType("softmax", x), x.shape());
        if (!isEmpty(out)) backend.softmax(x, out);
        return out;
    }

    public Tensor logSoftmax(Tensor x) {
        requireAtLeastRank1("logSoftmax", x);
        Tensor out = Tensor.zeros(computeType("logSoftmax", x), x.shape());
        if (!isEmpty(out)) backend.logSoftmax(x, out);
        return out;
    }

    /** dx given y = softmax(x) and dy. */
    public Tensor softmaxBackward(Tensor y, Tensor dy) {
        requireAtLeastRank1("softmaxBackward", y); // as the forward: a 0-d y has no axis to normalize over
        requireShape("softmaxBackward", "dy", dy, y.shape());
        Tensor dx = Tensor.zeros(computeType("softmaxBackward", y, dy), y.shape());
        if (!isEmpty(dx)) backend.softmaxBackward(y, dy, dx);
        return dx;
    }

    /** dx given y = log_softmax(x) and dy. */
    public Tensor logSoftmaxBackward(Tensor y, Tensor dy) {
        requireAtLeastRank1("logSoftmaxBackward", y);
        requireShape("logSoftmaxBackward", "dy", dy, y.shape());
        Tensor dx = Tensor.zeros(computeType("logSoftmaxBackward", y, dy), y.shape());
        if (!isEmpty(dx)) backend.logSoftmaxBackward(y, dy, dx);
        return dx;
    }

    // ------------------------------------------------------------------ RMSNorm

    /** x (..., C) normalized by its root mean square, times weight (C). */
    public Tensor rmsNorm(Tensor x, Tensor weight, double eps) {
        requireAtLeastRank1("rmsNorm", x);
        requireShape("rmsNorm", "weight", weight, Shape.of(x.dim(-1)));
        Tensor out = Tensor.zeros(computeType("rmsNorm", x, weight), x.shape());
        if (!isEmpty(out)) backend.rmsNorm(x, weight, eps, out);
        return out;
    }

    /** The two gradients of {@link #rmsNorm}. */
    public record RmsNormGrads(Tensor dx, Tensor dweight) {
    }

    public RmsNormGrads rmsNormBackward(Tensor x, Tensor weight, double eps, Tensor dy) {
        requireAtLeastRank1("rmsNormBackward", x);
        requireShape("rmsNormBackward", "dy", dy, x.shape());
        requireShape("rmsNormBackward", "weight", weight, Shape.of(x.dim(-1)));
        DType dtype = computeType("rmsNormBackward", x, weight, dy);
        Tensor dx = Tensor.zeros(dtype, x.shape());
        Tensor dw = Tensor.zeros(dtype, weight.shape());
        if (!isEmpty(dx)) backend.rmsNormBackward(x, weight, eps, dy, dx, dw); // else dw: a sum over no rows
        return new RmsNormGrads(dx, dw);
    }

    // ------------------------------------------------------------------ RoPE

    /** The rotary tables for the given positions: cos and sin of shape (T, D), HF layout (frequencies repeated). */
    public record RopeTables(Tensor cos, Tensor sin) {
        /** The same tables with sin negated: applying them undoes a rotation (the backward of rope). */
        public RopeTables inverse() {
            return new RopeTables(cos, Ops.cpu().scale(sin, -1));
        }
    }

    /** Inverse frequencies theta^(-2i/D) for i in [0, D/2), the plain (unscaled) RoPE of Llama. */
    public static double[] ropeInverseFrequencies(int headDim, double theta) {
        if (headDim <= 0 || headDim % 2 != 0) {
            throw TensorException.of("rope", "an even head_dim > 0", String.valueOf(headDim));
        }
        double[] inv = new double[headDim / 2];
        for (int i = 0; i < inv.length; i++) inv[i] = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
        return inv;
    }

    /**
     * cos/sin (T, 2F) for positions (T) and inverse frequencies (F): angle[t, i] = pos[t] * invFreq[i], repeated
     * over both halves as HF's {@code torch.cat((freqs, freqs), -1)}. Angles are computed in F32 as HF does.
     */
    public static RopeTables ropeTables(int[] positions, double[] invFreq, DType dtype) {
        int t = positions.length, half = invFreq.length;
        Tensor cos = Tensor.zeros(dtype, t, 2 * half);
        Tensor sin = Tensor.zeros(dtype, t, 2 * half);
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < half; j++) {
                double angle = dtype == DType.F64 ? positions[i] * invFreq[j] : (float) positions[i] * (float) invFreq[j];
                cos.set(Math.cos(angle), i, j);
                cos.set(Math.cos(angle), i, j + half);
                sin.set(Math.sin(angle), i, j);
                sin.set(Math.sin(angle), i, j + half);
            }
        }
        return new RopeTables(cos, sin);
    }

    /** Applies the rotation to x (B, H, T, D) with tables (T, D). */
    public Tensor rope(Tensor x, RopeTables tables) {
        requireRank("rope", "x", x, 4);
        if (x.dim(3) % 2 != 0) throw TensorException.of("rope", "an even head dim", "x of shape " + x.shape());
        Shape table = Shape.of(x.dim(2), x.dim(3));
        requireShape("rope", "cos", tables.cos(), table);
        requireShape("rope", "sin", tables.sin(), table);
        Tensor out = Tensor.zeros(computeType("rope", x, tables.cos(), tables.sin()), x.shape());
        if (!isEmpty(out)) backend.rope(x, tables.cos(), tables.sin(), out);
        return out;
    }

    // ------------------------------------------------------------------ SwiGLU

    public Tensor swiglu(Tensor gate, Tensor up) {
        requireShape("swiglu", "up", up, gate.shape());
        Tensor out = Tensor.zeros(computeType("swiglu", gate, up), gate.shape());
        if (!isEmpty(out)) backend.swiglu(gate, up, out);
        return out;
    }

    /** The two gradients of {@link #swiglu}. */
    public record SwigluGrads(Tensor dgate, Tensor dup) {
    }

    public SwigluGrads swigluBackward(Tensor gate, Tensor up, Tensor dy) {
        requireShape("swigluBackward", "up", up, gate.shape());
        requireShape("swigluBackward", "dy", dy, gate.shape());
        DType dtype = computeType("swigluBackward", gate, up, dy);
        Tensor dgate = Tensor.zeros(dtype, gate.shape());
        Tensor dup = Tensor.zeros(dtype, gate.shape());
        if (!isEmpty(dgate)) backend.swigluBackward(gate, up, dy, dgate, dup);
        return new SwigluGrads(dgate, dup);
    }

    // ------------------------------------------------------------------ embedding

    /** table (V, D)[ids (...)] -> (..., D); ids must lie in [0, V). */
    public Tensor embedding(Tensor table, Tensor ids) {
        requireRank("embedding", "table", table, 2);
        requireI32("embedding", "ids", ids);
        requireIdsInRange("embedding", "ids", ids, table.dim(0), null);
        int[] outDims = Arrays.copyOf(ids.shape().dims(), ids.rank() + 1);
        outDims[ids.rank()] = table.dim(1);
        Tensor out = Tensor.zeros(table.dtype() == DType.F64 ? DType.F64 : DType.F32, outDims);
        if (!isEmpty(out)) backend.embedding(table, ids, out);
        return out;
    }

    /** The gradient of the table (V, D): rows of dout scattered (added) by id. */
    public Tensor embeddingBackward(Tensor ids, Tensor dout, int vocab) {
        if (vocab < 0) throw TensorException.of("embeddingBackward", "a vocabulary size >= 0", String.valueOf(vocab));
        requireI32("embeddingBackward", "ids", ids);
        requireIdsInRange("embeddingBackward", "ids", ids, vocab, null);
        if (dout.rank() != ids.rank() + 1 || !dout.shape().dropLast(1).equals(ids.shape())) {
            throw TensorException.of("embeddingBackward", "dout of shape ids.shape + (D,) with ids " + ids.shape(),
                    "dout " + dout.shape());
        }
        Tensor dtable = Tensor.zeros(computeType("embeddingBackward", dout), vocab, dout.dim(-1));
        if (!isEmpty(dout)) backend.embeddingBackward(ids, contiguous(dout), dtable);
        return dtable;
    }

    // ------------------------------------------------------------------ attention

    /** Attention output (B, H, T, D) and the log-sum-exp of each score row (B, H, T), kept for the backward. */
    public record AttentionResult(Tensor out, Tensor lse) {
    }

    /** Gradients of attention. */
    public record AttentionGrads(Tensor dq, Tensor dk, Tensor dv) {
    }

    private static void checkAttention(String op, Tensor q, Tensor k, Tensor v) {
        requireRank(op, "q", q, 4);
        requireRank(op, "k", k, 4);
        requireShape(op, "v", v, k.shape());
        if (k.dim(0) != q.dim(0) || k.dim(3) != q.dim(3)) {
            throw TensorException.of(op, "k of shape (" + q.dim(0) + ", G, S, " + q.dim(3) + ") for q " + q.shape(),
                    "k " + k.shape());
        }
        if (k.dim(2) == 0) { // a softmax over no scores has no value (0 / 0)
            throw TensorException.of(op, "at least one key position", "k of shape " + k.shape() + " (S = 0)");
        }
        if (k.dim(1) == 0 || q.dim(1) % k.dim(1) != 0) {
            throw TensorException.of(op, "query heads divisible by KV heads (GQA)",
                    q.dim(1) + " query heads and " + k.dim(1) + " KV heads");
        }
    }

    /** Causal attention sees keys up to each query's position: the T queries must be the last T of the S keys. */
    private static void checkCausalLength(String op, Tensor q, Tensor k, boolean causal) {
        if (causal && q.dim(2) > k.dim(2)) {
            throw TensorException.of(op, "T <= S for causal attention", "T = " + q.dim(2) + ", S = " + k.dim(2));
        }
    }

    /** A sliding window is a positive number of positions (0 for none) and needs the causal mask. */
    private static void checkWindow(String op, boolean causal, int window) {
        if (window < 0) {
            throw TensorException.of(op, "a sliding window >= 0 (0 for none)", "window = " + window);
        }
        if (window > 0 && !causal) {
            throw TensorException.of(op, "a sliding window only with causal attention", "window = " + window
                    + " without the causal mask");
        }
    }

    /**
     * softmax(q k^T * scale [+ causal mask]) v with q (B, H, T, D), k and v (B, G, S, D), H a multiple of G.
     * Causal: query t is position t + S - T and sees keys up to it.
     */
    public AttentionResult attention(Tensor q, Tensor k, Tensor v, double scale, boolean causal) {
        return attention(q, k, v, scale, causal, 0);
    }

    /**
     * As {@link #attention(Tensor, Tensor, Tensor, double, boolean)} with a sliding window (0 for none, else causal
     * only): query position p sees keys j with p - window < j <= p, the last {@code window} positions (HF's
     * sliding-window causal mask, as Mistral's {@code sliding_window}).
     */
    public AttentionResult attention(Tensor q, Tensor k, Tensor v, double scale, boolean causal, int window) {
        checkAttention("attention", q, k, v);
        checkWindow("attention", causal, window);
        checkCausalLength("attention", q, k, causal);
        DType dtype = computeType("attention", q, k, v);
        Tensor out = Tensor.zeros(dtype, q.shape());
        Tensor lse = Tensor.zeros(dtype, q.dim(0), q.dim(1), q.dim(2));
        if (!isEmpty(lse)) backend.attention(q, k, v, scale, causal, window, out, lse); // else B, H or T is 0
        return new AttentionResult(out, lse);
    }

    public AttentionGrads attentionBackward(Tensor q, Tensor k, Tensor v, AttentionResult saved, Tensor dout,
                                            double scale, boolean causal) {
        return attentionBackward(q, k, v, saved, dout, scale, causal, 0);
    }

    /** Backward of {@link #attention(Tensor, Tensor, Tensor, double, boolean, int)}, the same mask and window. */
    public AttentionGrads attentionBackward(Tensor q, Tensor k, Tensor v, AttentionResult saved, Tensor dout,
                                            double scale, boolean causal, int window) {
        checkAttention("attentionBackward", q, k, v);
        checkWindow("attentionBackward", causal, window);
        checkCausalLength("attentionBackward", q, k, causal);
        requireShape("attentionBackward", "dout", dout, q.shape());
        requireShape("attentionBackward", "saved out", saved.out(), q.shape());
        requireShape("attentionBackward", "saved lse", saved.lse(), Shape.of(q.dim(0), q.dim(1), q.dim(2)));
        DType dtype = computeType("attentionBackward", q, k, v, dout);
        Tensor dq = Tensor.zeros(dtype, q.shape());
        Tensor dk = Tensor.zeros(dtype, k.shape());
        Tensor dv = Tensor.zeros(dtype, v.shape());
        if (!isEmpty(q)) { // else no query reads k or v: dk and dv are 0
            backend.attentionBackward(q, k, v, saved.out(), saved.lse(), dout, scale, causal, window, dq, dk, dv);
        }
        return new AttentionGrads(dq, dk, dv);
    }

    // ------------------------------------------------------------------ losses

    /** Per-row cross-entropy (R) and the log-sum-exp of each row (R). */
    public record CrossEntropyResult(Tensor loss, Tensor lse) {
    }

    /** logits (R, V), targets (R) I32 in [0, V) or equal to ignoreIndex. */
    public CrossEntropyResult crossEntropy(Tensor logits, Tensor targets, int ignoreIndex) {
        checkCrossEntropy("crossEntropy", logits, targets, ignoreIndex);
        DType dtype = computeType("crossEntropy", logits);
        Tensor loss = Tensor.zeros(dtype, logits.dim(0));
        Tensor lse = Tensor.zeros(dtype, logits.dim(0));
        if (!isEmpty(loss)) backend.crossEntropy(logits, targets, ignoreIndex, loss, lse);
        return new CrossEntropyResult(loss, lse);
    }

    private static void checkCrossEntropy(String op, Tensor logits, Tensor targets, int ignoreIndex) {
        requireRank(op, "logits", logits, 2);
        requireAtLeastRank1(op, logits);
        requireI32(op, "targets", targets);
        requireShape(op, "targets", targets, Shape.of(logits.dim(0)));
        requireIdsInRange(op, "targets", targets, logits.dim(1), ignoreIndex);
    }

    /** The forward's checks again: a target out of range would index past its row of dlogits. */
    public Tensor crossEntropyBackward(Tensor logits, Tensor targets, int ignoreIndex, CrossEntropyResult saved,
                                       Tensor dloss) {
        checkCrossEntropy("crossEntropyBackward", logits, targets, ignoreIndex);
        requireShape("crossEntropyBackward", "saved lse", saved.lse(), Shape.of(logits.dim(0)));
        requireShape("crossEntropyBackward", "dloss", dloss, Shape.of(logits.dim(0)));
        Tensor dlogits = Tensor.zeros(computeType("crossEntropyBackward", logits, dloss), logits.shape());
        if (!isEmpty(dlogits)) backend.crossEntropyBackward(logits, targets, ignoreIndex, saved.lse(), dloss, dlogits);
        return dlogits;
    }

    /** Per-row KL(softmax(teacher/T) || softmax(student/T)) for logits (R, V). */
    public Tensor klDivergence(Tensor student, Tensor teacher, double temperature) {
        checkKlDivergence("klDivergence", student, teacher, temperature);
        Tensor loss = Tensor.zeros(computeType("klDivergence", student, teacher), student.dim(0));
        if (!isEmpty(loss)) backend.klDivergence(student, teacher, temperature, loss);
        return loss;
    }

    private static void checkKlDivergence(String op, Tensor student, Tensor teacher, double temperature) {
        requireRank(op, "student", student, 2);
        requireAtLeastRank1(op, student);
        requireShape(op, "teacher", teacher, student.shape());
        if (!(temperature > 0)) throw TensorException.of(op, "temperature > 0", String.valueOf(temperature));
    }

    /** The forward's checks again: a teacher of another shape would be read out of its bounds. */
    public Tensor klDivergenceBackward(Tensor student, Tensor teacher, double temperature, Tensor dloss) {
        checkKlDivergence("klDivergenceBackward", student, teacher, temperature);
        requireShape("klDivergenceBackward", "dloss", dloss, Shape.of(student.dim(0)));
        Tensor ds = Tensor.zeros(computeType("klDivergenceBackward", student, teacher, dloss), student.shape());
        if (!isEmpty(ds)) backend.klDivergenceBackward(student, teacher, temperature, dloss, ds);
        return ds;
    }
}
