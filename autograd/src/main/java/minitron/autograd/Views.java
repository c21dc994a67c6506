package minitron.autograd;

import minitron.tensor.Ops;
import minitron.tensor.Shape;
import minitron.tensor.Tensor;
import minitron.tensor.TensorException;

/**
 * Shape primitives. Forward results are views (no copy) where the tensor layer allows it; so are most
 * gradients: the backward of a view op is the inverse view of the gradient.
 */
public final class Views {
    private Views() {
    }

    /** Same elements, new shape (one size may be -1). Backward: reshape the gradient back. */
    public static Var reshape(Var a, int... dims) {
        Shape original = a.shape();
        return Var.fromOp("reshape", a.value().reshape(dims),
                dout -> new Tensor[]{dout.reshape(original.dims())}, a);
    }

    /** Result axis i is input axis order[i]. Backward: permute by the inverse order. */
    public static Var permute(Var a, int... order) {
        Tensor out = a.value().permute(order);
        int[] inverse = new int[order.length];
        for (int i = 0; i < order.length; i++) inverse[a.value().shape().axis(order[i])] = i;
        return Var.fromOp("permute", out, dout -> new Tensor[]{dout.permute(inverse)}, a);
    }

    /** Swaps two axes. Backward: the same swap (a transposition is its own inverse). */
    public static Var transpose(Var a, int axis0, int axis1) {
        return Var.fromOp("transpose", a.value().transpose(axis0, axis1),
                dout -> new Tensor[]{dout.transpose(axis0, axis1)}, a);
    }

    /** Inserts an axis of size 1 (a reshape). Backward: reshape the gradient back, dropping that axis. */
    public static Var unsqueeze(Var a, int axis) {
        Shape original = a.shape();
        return Var.fromOp("unsqueeze", a.value().unsqueeze(axis),
                dout -> new Tensor[]{dout.reshape(original.dims())}, a);
    }

    /**
     * Elements [start, end) along axis. Backward: the gradient written into that window of a zero tensor of the
     * input's shape (the rest of the input did not affect the output).
     */
    public static Var slice(Var a, int axis, int start, int end) {
        Ops ops = Autograd.ops();
        Shape original = a.shape();
        return Var.fromOp("slice", a.value().slice(axis, start, end), dout -> {
            Tensor da = Tensor.zeros(dout.dtype(), original);
            ops.copyInto(dout, da.slice(axis, start, end));
            return new Tensor[]{da};
        }, a);
    }

    /** Concatenation along axis. Backward: each input gets its window of the gradient (a view). */
    public static Var concat(int axis, Var... parts) {
        Ops ops = Autograd.ops();
        Tensor[] values = new Tensor[parts.length];
        for (int i = 0; i < parts.length; i++) values[i] = parts[i].value();
        Tensor out = ops.concat(axis, values);
        int a = out.shape().axis(axis);
        return Var.fromOp("concat", out, dout -> {
            Tensor[] grads = new Tensor[parts.length];
            int at = 0;
            for (int i = 0; i < parts.length; i++) {
                int size = parts[i].dim(a);
                grads[i] = parts[i].requiresGrad() ? dout.slice(a, at, at + size) : null;
                at += size;
            }
            return grads;
        }, parts);
    }

    /** Broadcast to a larger shape by NumPy rules (a stride-0 view). Backward: sum back to the input's shape. */
    public static Var expand(Var a, int... dims) {
        Ops ops = Autograd.ops();
        Shape original = a.shape();
        Shape target = Shape.of(dims);
        if (!Shape.broadcast("expand", original, target).equals(target)) {
            throw TensorException.of("expand", "a target shape that " + original + " broadcasts to", target.toString());
        }
        return Var.fromOp("expand", a.value().expand(target),
                dout -> new Tensor[]{ops.sumTo(dout, original)}, a);
    }
}
