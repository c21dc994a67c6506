package minitron.autograd;

import minitron.tensor.Ops;
import minitron.tensor.Shape;
import minitron.tensor.Tensor;

/** Sums and means. The backward of a sum spreads the gradient over the summed elements (a stride-0 view). */
public final class Reductions {
    private Reductions() {
    }

    /** Sum along axis. d out / d a[..., j, ...] = 1 for every j: the gradient is broadcast back along the axis. */
    public static Var sum(Var a, int axis, boolean keepDim) {
        Ops ops = Autograd.ops();
        Shape original = a.shape();
        int ax = original.axis("sum", axis);
        return Var.fromOp("sum", ops.sum(a.value(), ax, keepDim), dout -> {
            Tensor kept = keepDim ? dout : dout.unsqueeze(ax);
            return new Tensor[]{kept.expand(original)};
        }, a);
    }

    /** Sum of all elements (0-d). d out / d a = 1 everywhere. */
    public static Var sumAll(Var a) {
        Ops ops = Autograd.ops();
        Shape original = a.shape();
        return Var.fromOp("sumAll", ops.sumAll(a.value()), dout -> new Tensor[]{dout.expand(original)}, a);
    }

    /** Mean along axis (composite: sum, then scale by 1/n). */
    public static Var mean(Var a, int axis, boolean keepDim) {
        int n = a.dim(a.shape().axis("mean", axis));
        return Elementwise.scale(sum(a, axis, keepDim), 1.0 / n);
    }

    /** Mean of all elements (composite). */
    public static Var meanAll(Var a) {
        return Elementwise.scale(sumAll(a), 1.0 / a.value().numel());
    }

    /**
     * Maximum along axis, as a constant (no gradient flows through it). Used to shift logits before exp, where the
     * result does not depend on the shift, so treating it as a constant is exact.
     */
    public static Var maxDetached(Var a, int axis, boolean keepDim) {
        return Var.constant(Autograd.ops().max(a.value(), axis, keepDim));
    }
}
