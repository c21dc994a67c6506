package minitron.tensor;

/**
 * The kernel SPI: what a device must implement. Narrow on purpose: {@link Ops} validates arguments, broadcasts,
 * allocates outputs and then calls exactly one of these methods, so a backend never sees a bad shape.
 *
 * <p>Contract for every method: outputs are contiguous tensors allocated by {@link Ops} and not aliased with any
 * input; inputs may be any strided view (transposed, sliced, expanded with stride 0) unless stated. The compute
 * dtype is the output's dtype, F32 or F64 (F64 only for gradient checks; a backend may hand it to the reference).
 * Integer inputs (token ids, targets) are I32. Weight operands of {@link #matmul} may be BF16 or F16.
 *
 * <p>Shape legend: B batch dims (any number, already broadcast to equal sizes), M, K, N matrix sizes,
 * H query heads, G key/value heads (H % G == 0), T query positions, S key positions, D head dim, V vocabulary,
 * R rows (all leading dims flattened), C the last axis.
 */
public interface Backend {

    /** Short name for logs and test names: "scalar", "vector", "cuda". */
    String name();

    /** Strided copy with dtype conversion: dst[i] = src[i]; shapes equal; dst may be a non-contiguous view. */
    void copy(Tensor src, Tensor dst);

    /** dst[...] = value. dst may be a non-contiguous view. */
    void fill(Tensor dst, double value);

    /**
     * out (B, M, N) = a (B, M, K) @ b (B, K, N). a is F32/F64; b is F32, F64, BF16 or F16. A weight in HF
     * (out, in) layout used as x @ W^T arrives as the transposed view of W (strides (1, K)).
     */
    void matmul(Tensor a, Tensor b, Tensor out);

    /** out = op(x), shapes equal. */
    void unary(UnaryOp op, Tensor x, Tensor out);

    /** out = op(a, b); a and b already expanded to out's shape. */
    void binary(BinaryOp op, Tensor a, Tensor b, Tensor out);

    /** out = op of x along {@code axis}; out has x's shape with that axis of size 1. */
    void reduce(ReduceOp op, Tensor x, int axis, Tensor out);

    /** out (I32) = index of the first maximum along {@code axis}; out has x's shape with that axis of size 1. */
    void argmax(Tensor x, int axis, Tensor out);

    /** out (R, C) = softmax of x (R, C) along the last axis. */
    void softmax(Tensor x, Tensor out);

    /** out (R, C) = log-softmax of x (R, C) along the last axis. */
    void logSoftmax(Tensor x, Tensor out);

    /** dx (R, C) = y * (dy - sum(dy * y)) where y = softmax(x). */
    void softmaxBackward(Tensor y, Tensor dy, Tensor dx);

    /** dx (R, C) = dy - exp(y) * sum(dy) where y = log_softmax(x). */
    void logSoftmaxBackward(Tensor y, Tensor dy, Tensor dx);

    /** out (R, C) = x / sqrt(mean(x^2) + eps) * weight (C). Statistics in F32 or wider, as HF does. */
    void rmsNorm(Tensor x, Tensor weight, double eps, Tensor out);

    /**
     * Backward of {@link #rmsNorm}: dx (R, C) and dweight (C), both overwritten (callers accumulate).
     * With r = 1/sqrt(mean(x^2)+eps) and n = x r: dweight = sum_rows dy*n;
     * dx = r * (dy*w - n * mean(dy*w*n)).
     */
    void rmsNormBackward(Tensor x, Tensor weight, double eps, Tensor dy, Tensor dx, Tensor dweight);

    /**
     * Rotary embedding, HF rotate-half layout: out = x * cos + rotate_half(x) * sin with
     * rotate_half([x1, x2]) = [-x2, x1] on the halves of D. x (B, H, T, D); cos, sin (T, D) for the positions of
     * the T rows. The backward is the same call with -sin.
     */
    void rope(Tensor x, Tensor cos, Tensor sin, Tensor out);

    /** out = silu(gate) * up, shapes equal. */
    void swiglu(Tensor gate, Tensor up, Tensor out);

    /** dgate = dy * up * silu'(gate), dup = dy * silu(gate). */
    void swigluBackward(Tensor gate, Tensor up, Tensor dy, Tensor dgate, Tensor dup);

    /** out (..., D) = table (V, D)[ids (...)]; ids already checked to lie in [0, V). table may be BF16/F16. */
    void embedding(Tensor table, Tensor ids, Tensor out);

    /** dtable (V, D) += scatter of dout (..., D) by ids (...): rows hit twice get both contributions. */
    void embeddingBackward(Tensor ids, Tensor dout, Tensor dtable);

    /**
     * Scaled dot-product attention with grouped KV heads. q (B, H, T, D), k and v (B, G, S, D); query head h uses
     * KV head h / (H / G). Causal: the T queries are the last T of the S positions, so query t (position
     * p = t + S - T) sees keys j <= p (this covers both a full forward, T == S, and KV-cache decoding, T < S).
     * Sliding window (Mistral's {@code sliding_window}, causal only; 0 = none): query p sees only the last
     * {@code window} positions up to and including itself, p - window < j <= p (HF's sliding-window causal mask);
     * keys outside the window are skipped, not computed and masked, so the cost is O(T * window).
     * out (B, H, T, D) = softmax(q k^T * scale + mask) v; lse (B, H, T), when not null, receives the log-sum-exp
     * of each score row (what the backward needs to recompute the probabilities).
     */
    void attention(Tensor q, Tensor k, Tensor v, double scale, boolean causal, int window, Tensor out, Tensor lse);

    /**
     * Backward of {@link #attention} from its saved out and lse, with the same mask (causal, window):
     * dq (B, H, T, D), dk and dv (B, G, S, D), all overwritten. With P = exp(scores - lse) (0 for masked keys):
     * dV = P^T dO, dP = dO V^T, dS = P * (dP - rowsum(dO * O)), dQ = dS K * scale, dK = dS^T Q * scale (summed
     * over the query heads of a group).
     */
    void attentionBackward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor dout,
                           double scale, boolean causal, int window, Tensor dq, Tensor dk, Tensor dv);

    /**
     * The first key that query position {@code position} sees: 0 without a window, else
     * max(0, position - window + 1) (the window covers the last {@code window} positions, the query's own included).
     */
    static int windowStart(int position, int window) {
        return window > 0 ? Math.max(0, position - window + 1) : 0;
    }

    /**
     * Cross-entropy of logits (R, V) against targets (R, I32): loss (R) = logsumexp(row) - row[target];
     * rows whose target equals ignoreIndex get loss 0. lse (R) receives each row's log-sum-exp.
     */
    void crossEntropy(Tensor logits, Tensor targets, int ignoreIndex, Tensor loss, Tensor lse);

    /** dlogits (R, V) = dloss[r] * (softmax(row) - onehot(target)); zero for ignored rows. */
    void crossEntropyBackward(Tensor logits, Tensor targets, int ignoreIndex, Tensor lse, Tensor dloss, Tensor dlogits);

    /**
     * Forward KL(p_teacher || p_student) per row of logits (R, V), with p = softmax(logits / temperature):
     * loss (R) = sum_v p_t (log p_t - log p_s). Teacher logits are constants.
     */
    void klDivergence(Tensor student, Tensor teacher, double temperature, Tensor loss);

    /** dstudent (R, V) = dloss[r] / temperature * (p_s - p_t). */
    void klDivergenceBackward(Tensor student, Tensor teacher, double temperature, Tensor dloss, Tensor dstudent);
}
