package minitron.autograd;

import minitron.tensor.Ops;
import minitron.tensor.Tensor;
import minitron.tensor.UnaryOp;

/**
 * Elementwise primitives. Binary ops broadcast by NumPy rules; their backward sums the gradient back to each
 * input's shape ({@link Ops#sumTo}), the reverse of broadcasting. Each op: forward, then its backward a few lines
 * below, with the derivative in a comment.
 */
public final class Elementwise {
    private Elementwise() {
    }

    // ---------------------------------------------------------------- binary, broadcasting

    /** a + b. d/da = 1, d/db = 1. */
    public static Var add(Var a, Var b) {
        Ops ops = Autograd.ops();
        Tensor out = ops.add(a.value(), b.value());
        return Var.fromOp("add", out, dout -> new Tensor[]{
                a.requiresGrad() ? ops.sumTo(dout, a.shape()) : null,
                b.requiresGrad() ? ops.sumTo(dout, b.shape()) : null}, a, b);
    }

    /** a - b. d/da = 1, d/db = -1. */
    public static Var sub(Var a, Var b) {
        Ops ops = Autograd.ops();
        Tensor out = ops.sub(a.value(), b.value());
        return Var.fromOp("sub", out, dout -> new Tensor[]{
                a.requiresGrad() ? ops.sumTo(dout, a.shape()) : null,
                b.requiresGrad() ? ops.scale(ops.sumTo(dout, b.shape()), -1) : null}, a, b);
    }

    /** a * b. d/da = b, d/db = a. */
    public static Var mul(Var a, Var b) {
        Ops ops = Autograd.ops();
        Tensor out = ops.mul(a.value(), b.value());
        return Var.fromOp("mul", out, dout -> new Tensor[]{
                a.requiresGrad() ? ops.sumTo(ops.mul(dout, b.value()), a.shape()) : null,
                b.requiresGrad() ? ops.sumTo(ops.mul(dout, a.value()), b.shape()) : null}, a, b);
    }

    /** a / b. d/da = 1/b, d/db = -a/b^2 = -out/b. */
    public static Var div(Var a, Var b) {
        Ops ops = Autograd.ops();
        Tensor out = ops.div(a.value(), b.value());
        return Var.fromOp("div", out, dout -> new Tensor[]{
                a.requiresGrad() ? ops.sumTo(ops.div(dout, b.value()), a.shape()) : null,
                b.requiresGrad() ? ops.sumTo(ops.scale(ops.div(ops.mul(dout, out), b.value()), -1), b.shape()) : null},
                a, b);
    }

    // ---------------------------------------------------------------- with a constant

    /** a * c for a constant c. d/da = c. */
    public static Var scale(Var a, double c) {
        Ops ops = Autograd.ops();
        return Var.fromOp("scale", ops.scale(a.value(), c), dout -> new Tensor[]{ops.scale(dout, c)}, a);
    }

    /** a + c for a constant c. d/da = 1. */
    public static Var addScalar(Var a, double c) {
        Ops ops = Autograd.ops();
        return Var.fromOp("addScalar", ops.addScalar(a.value(), c), dout -> new Tensor[]{dout}, a);
    }

    // ---------------------------------------------------------------- unary

    /** -a. d/da = -1. */
    public static Var neg(Var a) {
        Ops ops = Autograd.ops();
        return Var.fromOp("neg", ops.unary(UnaryOp.NEG, a.value()),
                dout -> new Tensor[]{ops.unary(UnaryOp.NEG, dout)}, a);
    }

    /** e^a. d/da = e^a = out. */
    public static Var exp(Var a) {
        Ops ops = Autograd.ops();
        Tensor out = ops.unary(UnaryOp.EXP, a.value());
        return Var.fromOp("exp", out, dout -> new Tensor[]{ops.mul(dout, out)}, a);
    }

    /** ln a. d/da = 1/a. */
    public static Var log(Var a) {
        Ops ops = Autograd.ops();
        return Var.fromOp("log", ops.unary(UnaryOp.LOG, a.value()),
                dout -> new Tensor[]{ops.div(dout, a.value())}, a);
    }

    /** sqrt a. d/da = 1 / (2 sqrt a) = 0.5 / out. */
    public static Var sqrt(Var a) {
        Ops ops = Autograd.ops();
        Tensor out = ops.unary(UnaryOp.SQRT, a.value());
        return Var.fromOp("sqrt", out, dout -> new Tensor[]{ops.scale(ops.div(dout, out), 0.5)}, a);
    }

    /** 1 / sqrt a. d/da = -1/2 a^(-3/2) = -0.5 * out / a. */
    public static Var rsqrt(Var a) {
        Ops ops = Autograd.ops();
        Tensor out = ops.unary(UnaryOp.RSQRT, a.value());
        return Var.fromOp("rsqrt", out,
                dout -> new Tensor[]{ops.scale(ops.div(ops.mul(dout, out), a.value()), -0.5)}, a);
    }

    /** a^2. d/da = 2a. */
    public static Var square(Var a) {
        Ops ops = Autograd.ops();
        return Var.fromOp("square", ops.unary(UnaryOp.SQUARE, a.value()),
                dout -> new Tensor[]{ops.scale(ops.mul(dout, a.value()), 2)}, a);
    }

    /** s = 1 / (1 + e^-a). d/da = s (1 - s). */
    public static Var sigmoid(Var a) {
        Ops ops = Autograd.ops();
        Tensor s = ops.unary(UnaryOp.SIGMOID, a.value());
        return Var.fromOp("sigmoid", s, dout -> {
            Tensor oneMinusS = ops.addScalar(ops.unary(UnaryOp.NEG, s), 1);
            return new Tensor[]{ops.mul(dout, ops.mul(s, oneMinusS))};
        }, a);
    }

    /** silu(a) = a * s with s = sigmoid(a). d/da = s (1 + a (1 - s)). */
    public static Var silu(Var a) {
        Ops ops = Autograd.ops();
        return Var.fromOp("silu", ops.unary(UnaryOp.SILU, a.value()), dout -> {
            Tensor s = ops.unary(UnaryOp.SIGMOID, a.value());
            Tensor oneMinusS = ops.addScalar(ops.unary(UnaryOp.NEG, s), 1);
            Tensor slope = ops.mul(s, ops.addScalar(ops.mul(a.value(), oneMinusS), 1));
            return new Tensor[]{ops.mul(dout, slope)};
        }, a);
    }
}
