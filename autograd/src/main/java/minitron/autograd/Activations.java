package minitron.autograd;

import minitron.tensor.Ops;
import minitron.tensor.Tensor;

/** Fused activations over the last axis and the gated MLP activation. Composed versions: {@link Composite}. */
public final class Activations {
    private Activations() {
    }

    /** y = softmax(x) along the last axis. dx = y * (dy - sum(dy * y)). Saves y. */
    public static Var softmax(Var x) {
        Ops ops = Autograd.ops();
        Tensor y = ops.softmax(x.value());
        return Var.fromOp("softmax", y, dout -> new Tensor[]{ops.softmaxBackward(y, dout)}, x);
    }

    /** y = x - logsumexp(x) along the last axis. dx = dy - softmax(x) * sum(dy), softmax(x) = exp(y). Saves y. */
    public static Var logSoftmax(Var x) {
        Ops ops = Autograd.ops();
        Tensor y = ops.logSoftmax(x.value());
        return Var.fromOp("logSoftmax", y, dout -> new Tensor[]{ops.logSoftmaxBackward(y, dout)}, x);
    }

    /**
     * SwiGLU: silu(gate) * up, the activation of the Llama MLP. With s = sigmoid(gate):
     * dgate = dy * up * s (1 + gate (1 - s)), dup = dy * silu(gate).
     */
    public static Var swiglu(Var gate, Var up) {
        Ops ops = Autograd.ops();
        Tensor out = ops.swiglu(gate.value(), up.value());
        return Var.fromOp("swiglu", out, dout -> {
            Ops.SwigluGrads g = ops.swigluBackward(gate.value(), up.value(), dout);
            return new Tensor[]{gate.requiresGrad() ? g.dgate() : null, up.requiresGrad() ? g.dup() : null};
        }, gate, up);
    }
}
