package minitron.autograd;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import minitron.tensor.DType;
import minitron.tensor.Ops;
import minitron.tensor.Shape;
import minitron.tensor.Tensor;
import minitron.tensor.TensorException;

/**
 * A node of the define-by-run graph: a value, its gradient, and (for results of ops) the inputs and the closure
 * that maps the gradient of this value to the gradients of the inputs.
 *
 * <p>Three kinds: a <b>constant</b> (requiresGrad false: data, targets, teacher logits, anything computed under
 * {@link NoGrad}); a <b>leaf</b> that requires grad (a parameter, or an input under a gradient check), whose
 * {@link #grad()} is accumulated by every {@link #backward()}; and an <b>op result</b>, recorded by an op when any
 * of its inputs requires grad. An op result's gradient exists only during backward (unless {@link #retainGrad()}).
 *
 * <p>Backward releases the graph as it goes (each closure and the tensors it saved become garbage once used), so
 * it runs once per forward, as in PyTorch without retain_graph. Gradient tensors are never modified in place
 * (several Vars may share one gradient tensor, e.g. both inputs of an add); code that changes a gradient
 * replaces it with {@link #setGrad}.
 */
public final class Var {

    /**
     * The backward of one op: given d loss / d output, returns d loss / d input for each input in order (null for
     * an input that does not require grad). Returned tensors may be views; they are never modified afterwards.
     */
    @FunctionalInterface
    public interface Backward {
        Tensor[] apply(Tensor dout);
    }

    private final Tensor value;
    private final boolean requiresGrad;
    private final boolean leaf;
    private final String op;
    private String name;
    private Var[] parents;      // null for leaves, constants, and op results whose graph was released
    private Backward backward;  // idem
    private Tensor grad;
    private boolean retainGrad;

    private Var(Tensor value, boolean requiresGrad, boolean leaf, String op, Var[] parents, Backward backward) {
        this.value = value;
        this.requiresGrad = requiresGrad;
        this.leaf = leaf;
        this.op = op;
        this.parents = parents;
        this.backward = backward;
    }

    // ---------------------------------------------------------------- creation

    /** A value that needs no gradient (data, targets, a teacher's logits). */
    public static Var constant(Tensor value) {
        return new Var(value, false, true, "constant", null, null);
    }

    /** A leaf whose gradient backward() accumulates: a trainable parameter, or an input under a gradient check. */
    public static Var parameter(Tensor value) {
        if (!value.dtype().isFloatingPoint() || value.dtype().isHalf()) {
            throw TensorException.of("Var.parameter", "an F32 or F64 tensor (training runs in F32)",
                    "dtype " + value.dtype());
        }
        return new Var(value, true, true, "parameter", null, null);
    }

    /** A named parameter (HF checkpoint name, used in error messages and optimizer state). */
    public static Var parameter(String name, Tensor value) {
        return parameter(value).named(name);
    }

    /**
     * The result of an op: records the graph when some input requires grad and no {@link NoGrad} scope is active,
     * otherwise returns a constant. Ops call this once, after computing {@code value}.
     */
    public static Var fromOp(String op, Tensor value, Backward backward, Var... inputs) {
        if (NoGrad.isActive()) return new Var(value, false, false, op, null, null);
        for (Var input : inputs) {
            if (input.requiresGrad) return new Var(value, true, false, op, inputs.clone(), backward);
        }
        return new Var(value, false, false, op, null, null);
    }

    // ---------------------------------------------------------------- accessors

    public Tensor value() {
        return value;
    }

    /** The accumulated gradient (same shape as the value), or null before backward reached this Var. */
    public Tensor grad() {
        return grad;
    }

    /** Replaces the gradient (clipping, optimizers, gradient reduction). Shape must match the value. */
    public void setGrad(Tensor newGrad) {
        if (newGrad != null && !newGrad.shape().equals(value.shape())) {
            throw TensorException.of("setGrad", "a gradient of shape " + value.shape() + " for " + describe(),
                    "shape " + newGrad.shape());
        }
        grad = newGrad;
    }

    /** Forgets the gradient (PyTorch's zero_grad(set_to_none=True)): the next backward starts from nothing. */
    public void zeroGrad() {
        grad = null;
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** True for parameters and constants; false for op results. */
    public boolean isLeaf() {
        return leaf;
    }

    /** The op that produced this Var ("parameter", "constant", "add", "matmul", ...). */
    public String op() {
        return op;
    }

    public String name() {
        return name;
    }

    public Var named(String newName) {
        this.name = newName;
        return this;
    }

    public Shape shape() {
        return value.shape();
    }

    public DType dtype() {
        return value.dtype();
    }

    public int dim(int axis) {
        return value.dim(axis);
    }

    public int rank() {
        return value.rank();
    }

    /** The single value of a one-element Var. */
    public double item() {
        return value.item();
    }

    /** The same value, cut from the graph: no gradient flows through it. */
    public Var detach() {
        return constant(value);
    }

    /** Keeps this op result's gradient after backward (for inspection and tests); no effect on leaves. */
    public Var retainGrad() {
        retainGrad = true;
        return this;
    }

    private String describe() {
        return (name != null ? "'" + name + "' " : "") + op + " " + value.shape();
    }

    @Override
    public String toString() {
        return "Var(" + describe() + (requiresGrad ? ", requiresGrad" : "") + ")";
    }

    // ---------------------------------------------------------------- backward

    /** Backpropagates from this scalar (a one-element Var, usually the 0-d loss): d loss / d loss = 1. */
    public void backward() {
        if (value.numel() != 1) {
            throw TensorException.of("backward", "a scalar (one-element) Var, or an explicit seed gradient",
                    describe());
        }
        Tensor seed = Tensor.zeros(value.dtype(), value.shape());
        seed.writeDouble(0, 1.0);
        backward(seed);
    }

    /**
     * Backpropagates {@code seed} = d loss / d this. Visits the graph in reverse topological order (iteratively:
     * graphs of deep models are too deep for recursion), accumulates gradients of Vars used several times, and
     * releases each node's closure and saved tensors once it has run.
     */
    public void backward(Tensor seed) {
        if (!requiresGrad) {
            throw TensorException.of("backward", "a Var that requires grad (computed from a parameter, outside NoGrad)",
                    describe());
        }
        if (!seed.shape().equals(value.shape())) {
            throw TensorException.of("backward", "a seed of shape " + value.shape(), "shape " + seed.shape());
        }
        List<Var> order = topologicalOrder(this);
        Ops ops = Autograd.ops();
        accumulate(this, seed, ops);
        for (int i = order.size() - 1; i >= 0; i--) {
            Var node = order.get(i);
            if (node.leaf) continue;
            if (node.backward == null) {
                throw TensorException.of("backward", "a graph that has not been backpropagated yet",
                        "the graph of " + node.describe() + " already released by an earlier backward()");
            }
            Tensor dout = node.grad;
            if (!node.retainGrad) node.grad = null;
            if (dout != null) {
                Tensor[] grads = node.backward.apply(dout);
                for (int p = 0; p < node.parents.length; p++) {
                    Var parent = node.parents[p];
                    if (!parent.requiresGrad) continue;
                    Tensor g = grads[p];
                    if (g == null) {
                        throw TensorException.of(node.op + " backward", "a gradient for input " + p,
                                "null (the op skipped an input that requires grad)");
                    }
                    if (!g.shape().equals(parent.value.shape())) {
                        throw TensorException.of(node.op + " backward",
                                "gradient of input " + p + " with shape " + parent.value.shape(), "shape " + g.shape());
                    }
                    accumulate(parent, g, ops);
                }
            }
            node.parents = null; // release the graph: closures and the tensors they saved
            node.backward = null;
        }
    }

    private static void accumulate(Var v, Tensor g, Ops ops) {
        if (g.dtype() != v.value.dtype()) {
            // A gradient has its Var's dtype, as in PyTorch: F32 p * F64 c gives an F64 d(p * c), and p's gradient
            // (or the dout that an F32 op's backward receives, e.g. linear's matmul with F32 weights) must be F32.
            g = g.to(v.value.dtype());
        }
        if (v.leaf && !g.isContiguous()) {
            g = ops.contiguous(g); // leaf gradients are read by optimizers: keep them dense
        }
        v.grad = v.grad == null ? g : ops.add(v.grad, g);
    }

    /** Every Var that requires grad reachable from root, each after all its inputs (iterative post-order DFS). */
    private static List<Var> topologicalOrder(Var root) {
        List<Var> order = new ArrayList<>();
        Set<Var> visited = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Var> stack = new ArrayDeque<>();
        ArrayDeque<Integer> nextParent = new ArrayDeque<>();
        stack.push(root);
        nextParent.push(0);
        visited.add(root);
        while (!stack.isEmpty()) {
            Var node = stack.peek();
            int next = nextParent.pop();
            Var[] parents = node.parents;
            if (parents != null && next < parents.length) {
                nextParent.push(next + 1);
                Var parent = parents[next];
                if (parent.requiresGrad && visited.add(parent)) {
                    stack.push(parent);
                    nextParent.push(0);
                }
            } else {
                stack.pop();
                order.add(node);
            }
        }
        return order;
    }

    // ---------------------------------------------------------------- fluent shortcuts for the common ops

    public Var add(Var other) {
        return Elementwise.add(this, other);
    }

    public Var sub(Var other) {
        return Elementwise.sub(this, other);
    }

    public Var mul(Var other) {
        return Elementwise.mul(this, other);
    }

    public Var div(Var other) {
        return Elementwise.div(this, other);
    }

    public Var scale(double factor) {
        return Elementwise.scale(this, factor);
    }

    public Var matmul(Var other) {
        return LinearAlgebra.matmul(this, other);
    }

    public Var reshape(int... dims) {
        return Views.reshape(this, dims);
    }

    public Var transpose(int axis0, int axis1) {
        return Views.transpose(this, axis0, axis1);
    }

    public Var permute(int... order) {
        return Views.permute(this, order);
    }

    public Var sum() {
        return Reductions.sumAll(this);
    }

    public Var mean() {
        return Reductions.meanAll(this);
    }
}
