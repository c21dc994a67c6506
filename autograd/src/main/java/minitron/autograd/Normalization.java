package minitron.autograd;

import minitron.tensor.Ops;
import minitron.tensor.Tensor;

/**
 * RMSNorm as one fused op (the composed definition is {@link Composite#rmsNorm}). Shape legend: C the normalized
 * (last) axis, hidden_size in the model.
 */
public final class Normalization {
    private Normalization() {
    }

    /**
     * y = x * r * weight with r = 1 / sqrt(mean(x^2) + eps) per row; x (..., C), weight (C).
     * With n = x r: dweight = sum over rows of dy * n; dx = r * (dy w - n * mean(dy w n)) (the mean over C comes
     * from r depending on every element of its row). Saves nothing beyond x and weight: r is recomputed.
     */
    public static Var rmsNorm(Var x, Var weight, double eps) {
        Ops ops = Autograd.ops();
        Tensor out = ops.rmsNorm(x.value(), weight.value(), eps);
        return Var.fromOp("rmsNorm", out, dout -> {
            Ops.RmsNormGrads g = ops.rmsNormBackward(x.value(), weight.value(), eps, dout);
            return new Tensor[]{x.requiresGrad() ? g.dx() : null, weight.requiresGrad() ? g.dweight() : null};
        }, x, weight);
    }
}
