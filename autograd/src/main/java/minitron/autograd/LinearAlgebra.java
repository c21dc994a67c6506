package minitron.autograd;

import minitron.tensor.Ops;
import minitron.tensor.Tensor;
import minitron.tensor.TensorException;

/**
 * Matrix products. Shape legend: for {@link #matmul}, M rows, K inner size, N columns (a (M, K) @ b (K, N)); for
 * {@link #linear}, R rows (all leading dims of x flattened) and the HF weight layout (out, in).
 */
public final class LinearAlgebra {
    private LinearAlgebra() {
    }

    /**
     * Batched matrix product with broadcast batch dims: a (..., M, K) @ b (..., K, N) -> (..., M, N).
     * d/da = dout @ b^T, d/db = a^T @ dout, each summed back over the batch dims its input was broadcast along.
     */
    public static Var matmul(Var a, Var b) {
        Ops ops = Autograd.ops();
        Tensor out = ops.matmul(a.value(), b.value());
        return Var.fromOp("matmul", out, dout -> {
            Tensor av = a.value(), bv = b.value();
            Tensor da = null, db = null;
            if (a.requiresGrad()) {
                da = ops.sumTo(ops.matmul(dout, bv.transpose(-1, -2)), av.shape());
            }
            if (b.requiresGrad()) {
                if (bv.rank() == 2) {
                    // b (K, N) shared by every batch: one product over all rows, instead of a (batch, K, N) sum.
                    int rows = rows(av), k = av.dim(-1), n = bv.dim(-1);
                    db = ops.matmul(av.reshape(rows, k).transpose(0, 1), dout.reshape(rows, n));
                } else {
                    db = ops.sumTo(ops.matmul(av.transpose(-1, -2), dout), bv.shape());
                }
            }
            return new Tensor[]{da, db};
        }, a, b);
    }

    /**
     * x (..., in) @ weight^T with weight (out, in), the HF layout of every projection.
     * With x2 = x as (R, in) and g = dout as (R, out): dx = g @ weight (R, in), dweight = g^T @ x2 (out, in).
     */
    public static Var linear(Var x, Var weight) {
        Ops ops = Autograd.ops();
        Tensor out = ops.linear(x.value(), weight.value());
        return Var.fromOp("linear", out, dout -> {
            int rows = rows(x.value()), in = weight.dim(1), outFeatures = weight.dim(0);
            Tensor g = dout.reshape(rows, outFeatures);                // (R, out)
            Tensor dx = x.requiresGrad()
                    ? ops.matmul(g, weight.value()).reshape(x.shape().dims())  // (R, out) @ (out, in)
                    : null;
            Tensor dweight = weight.requiresGrad()
                    ? ops.matmul(g.transpose(0, 1), x.value().reshape(rows, in)) // (out, R) @ (R, in)
                    : null;
            return new Tensor[]{dx, dweight};
        }, x, weight);
    }

    /** R, the product of the leading sizes (reshape(-1, K) cannot infer it when K is 0). */
    private static int rows(Tensor t) {
        return (int) t.shape().dropLast(1).numel();
    }

    /** x @ weight^T + bias, bias (out) broadcast over rows (composite). */
    public static Var linear(Var x, Var weight, Var bias) {
        if (bias.rank() != 1 || bias.dim(0) != weight.dim(0)) {
            throw TensorException.of("linear", "bias of shape (" + weight.dim(0) + ")", "bias " + bias.shape());
        }
        return Elementwise.add(linear(x, weight), bias);
    }
}
