package minitron.autograd;

import minitron.tensor.Ops;
import minitron.tensor.Tensor;

/**
 * Rotary position embedding and causal (optionally sliding-window) grouped-query attention, fused. Shape legend:
 * B batch, H query heads, G key/value heads (H a multiple of G), T query positions, S key positions, D head dim.
 * Composed versions: {@link Composite#rope}, {@link Composite#attention}.
 */
public final class Attention {
    private Attention() {
    }

    /**
     * x (B, H, T, D) rotated: out = x * cos + rotate_half(x) * sin, tables (T, D) in HF layout.
     * A rotation is orthogonal, so dx = rotation by the opposite angle: dx = dy * cos + rotate_half(dy) * (-sin).
     */
    public static Var rope(Var x, Ops.RopeTables tables) {
        Ops ops = Autograd.ops();
        Tensor out = ops.rope(x.value(), tables);
        return Var.fromOp("rope", out, dout -> new Tensor[]{ops.rope(dout, tables.inverse())}, x);
    }

    /**
     * softmax(q k^T * scale + causal mask) v; q (B, H, T, D), k and v (B, G, S, D); out (B, H, T, D). Query head h
     * reads KV head h / (H / G). Saves out and the log-sum-exp of each score row (B, H, T), from which the backward
     * recomputes the probabilities P (flash-attention style) instead of saving them:
     * dV = P^T dO, dP = dO V^T, dS = P * (dP - rowsum(dO * O)), dQ = dS K * scale, dK = dS^T Q * scale,
     * dK and dV summed over the query heads of a group.
     */
    public static Var attention(Var q, Var k, Var v, double scale, boolean causal) {
        return attention(q, k, v, scale, causal, 0);
    }

    /**
     * As {@link #attention(Var, Var, Var, double, boolean)} with a sliding window (0 for none; causal only): query
     * position p sees keys p - window < j <= p. Masked keys have P = 0, so they get no gradient from that query.
     */
    public static Var attention(Var q, Var k, Var v, double scale, boolean causal, int window) {
        Ops ops = Autograd.ops();
        // saved.out (B, H, T, D), saved.lse (B, H, T)
        Ops.AttentionResult saved = ops.attention(q.value(), k.value(), v.value(), scale, causal, window);
        return Var.fromOp("attention", saved.out(), dout -> {
            Ops.AttentionGrads g = ops.attentionBackward(q.value(), k.value(), v.value(), saved, dout, scale, causal,
                    window);
            return new Tensor[]{q.requiresGrad() ? g.dq() : null, k.requiresGrad() ? g.dk() : null,
                    v.requiresGrad() ? g.dv() : null};
        }, q, k, v);
    }
}
