package minitron.autograd;

import minitron.tensor.DType;
import minitron.tensor.Ops;
import minitron.tensor.Tensor;
import minitron.tensor.TensorException;

/**
 * The fused ops written with primitives only: the readable definitions, slower than the fused kernels, and what
 * the fused ops are tested against (forward and gradients). Their gradients come for free from the primitives.
 * Shape legend as in {@link Attention} and {@link Losses}.
 */
public final class Composite {
    private Composite() {
    }

    /** x * rsqrt(mean(x^2, -1) + eps) * weight. */
    public static Var rmsNorm(Var x, Var weight, double eps) {
        Var meanSquare = Reductions.mean(Elementwise.square(x), -1, true);          // (..., 1)
        Var inverseRms = Elementwise.rsqrt(Elementwise.addScalar(meanSquare, eps));  // (..., 1)
        return Elementwise.mul(Elementwise.mul(x, inverseRms), weight);
    }

    /** rotate_half([x1, x2]) = [-x2, x1] on the halves of the last axis. */
    public static Var rotateHalf(Var x) {
        int d = x.dim(-1);
        Var first = Views.slice(x, -1, 0, d / 2);
        Var second = Views.slice(x, -1, d / 2, d);
        return Views.concat(-1, Elementwise.neg(second), first);
    }

    /** x (B, H, T, D) * cos (T, D) + rotate_half(x) * sin (T, D), the tables broadcast over B and H. */
    public static Var rope(Var x, Ops.RopeTables tables) {
        Var cos = Var.constant(tables.cos());
        Var sin = Var.constant(tables.sin());
        return Elementwise.add(Elementwise.mul(x, cos), Elementwise.mul(rotateHalf(x), sin));
    }

    /**
     * Each KV head repeated {@code times} times in place (repeat_interleave on dim 1):
     * (B, G, S, D) -> (B, G*times, S, D).
     */
    public static Var repeatKv(Var kv, int times) {
        if (times == 1) return kv;
        int b = kv.dim(0), g = kv.dim(1), s = kv.dim(2), d = kv.dim(3);
        Var expanded = Views.expand(Views.unsqueeze(kv, 2), b, g, times, s, d); // (B, G, times, S, D)
        return Views.reshape(expanded, b, g * times, s, d);
    }

    /** A (T, S) constant: 0 where query i may see key j (j <= i + S - T), -infinity elsewhere. */
    public static Tensor causalMask(int t, int s, DType dtype) {
        return causalMask(t, s, 0, dtype);
    }

    /**
     * A (T, S) constant: 0 where query t, at position p = t + S - T, may see key j (j <= p, and p - window < j
     * with a window > 0), -infinity elsewhere: HF's (sliding-window) causal mask.
     */
    public static Tensor causalMask(int t, int s, int window, DType dtype) {
        Tensor mask = Tensor.zeros(dtype, t, s);
        for (int i = 0; i < t; i++) {
            int p = i + s - t;
            for (int j = 0; j < s; j++) {
                boolean visible = j <= p && (window <= 0 || j > p - window);
                if (!visible) mask.set(Double.NEGATIVE_INFINITY, i, j);
            }
        }
        return mask;
    }

    /** softmax(q k^T * scale + mask) v with the KV heads repeated to the query heads. */
    public static Var attention(Var q, Var k, Var v, double scale, boolean causal) {
        return attention(q, k, v, scale, causal, 0);
    }

    /** As above with HF's sliding-window causal mask (window > 0, causal only; 0 for the plain causal mask). */
    public static Var attention(Var q, Var k, Var v, double scale, boolean causal, int window) {
        if (window != 0 && !causal) {
            throw TensorException.of("Composite.attention", "a sliding window only with causal attention",
                    "window = " + window + " without the causal mask");
        }
        int heads = q.dim(1), groups = k.dim(1);
        Var keys = repeatKv(k, heads / groups);                                    // (B, H, S, D)
        Var values = repeatKv(v, heads / groups);                                  // (B, H, S, D)
        Var scores = Elementwise.scale(LinearAlgebra.matmul(q, Views.transpose(keys, -1, -2)), scale); // (B, H, T, S)
        if (causal) {
            scores = Elementwise.add(scores, Var.constant(causalMask(q.dim(2), k.dim(2), window, scores.dtype())));
        }
        return LinearAlgebra.matmul(softmax(scores), values);                     // (B, H, T, D)
    }

    /** silu(gate) * up. */
    public static Var swiglu(Var gate, Var up) {
        return Elementwise.mul(Elementwise.silu(gate), up);
    }

    /** exp(x - max) / sum(exp(x - max)) on the last axis; the max shift is a constant (softmax ignores shifts). */
    public static Var softmax(Var x) {
        Var e = Elementwise.exp(Elementwise.sub(x, Reductions.maxDetached(x, -1, true)));
        return Elementwise.div(e, Reductions.sum(e, -1, true));
    }

    /** (x - max) - log(sum(exp(x - max))) on the last axis. */
    public static Var logSoftmax(Var x) {
        Var shifted = Elementwise.sub(x, Reductions.maxDetached(x, -1, true));
        return Elementwise.sub(shifted, Elementwise.log(Reductions.sum(Elementwise.exp(shifted), -1, true)));
    }

    /** -sum(log_softmax(logits) * onehot(targets)) / N (mean) or without / N (sum). logits (..., V). */
    public static Var crossEntropy(Var logits, Tensor targets, int ignoreIndex, Losses.Reduction reduction) {
        Losses.requireTargetShape(logits, targets);
        int vocab = logits.dim(-1);
        Var rows = Views.reshape(logits, -1, vocab);                                // (R, V)
        Tensor oneHot = Indexing.oneHot(targets.reshape(-1), vocab, ignoreIndex, rows.dtype());
        Var picked = Reductions.sumAll(Elementwise.mul(logSoftmax(rows), Var.constant(oneHot)));
        double counted = Autograd.ops().sumAll(oneHot).item();
        double divisor = reduction == Losses.Reduction.MEAN ? counted : 1.0;
        return Elementwise.scale(picked, -1.0 / divisor);
    }

    /**
     * (1/R) sum p_t (log p_t - log_softmax(student / temperature)), p_t = softmax(teacher / temperature) a
     * constant. Unlike the fused {@link Losses#klDivergence}, a teacher logit of -inf gives 0 * -inf = NaN here
     * rather than a term of 0: compare the two on finite teacher logits only.
     */
    public static Var klDivergence(Var student, Tensor teacher, double temperature) {
        int vocab = student.dim(-1);
        Var rows = Views.reshape(student, -1, vocab);                               // (R, V)
        Var teacherScaled = Var.constant(Autograd.ops().scale(teacher.reshape(-1, vocab), 1.0 / temperature));
        Var logPt = logSoftmax(teacherScaled);                                      // constant
        Var pt = Elementwise.exp(logPt);                                            // constant
        Var logPs = logSoftmax(Elementwise.scale(rows, 1.0 / temperature));
        Var perElement = Elementwise.mul(pt, Elementwise.sub(logPt, logPs));
        return Elementwise.scale(Reductions.sumAll(perElement), 1.0 / rows.dim(0));
    }
}
