package minitron.autograd.optim;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import minitron.autograd.Var;
import minitron.tensor.Backends;
import minitron.tensor.DType;
import minitron.tensor.Parallel;
import minitron.tensor.Tensor;
import minitron.tensor.TensorException;

/**
 * What every optimizer shares: named parameters (names key the state, as in a checkpoint), a learning rate the
 * schedule sets before each step, the step count, and the element loop the updates run in.
 */
public abstract class Optimizer {
    /** Elements per parallel chunk of an update: below this a tensor is updated on the calling thread. */
    private static final int GRAIN = 1 << 15;

    protected final Map<String, Var> params;
    protected double lr;
    protected int stepCount;

    protected Optimizer(Map<String, Var> params, double lr) {
        for (Map.Entry<String, Var> e : params.entrySet()) {
            if (!e.getValue().requiresGrad() || !e.getValue().isLeaf()) {
                throw TensorException.of(getClass().getSimpleName(), "parameters (leaf Vars that require grad)",
                        "'" + e.getKey() + "': " + e.getValue());
            }
        }
        requireNonNegative("lr", lr);
        this.params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
        this.lr = lr;
    }

    /** Rejects a negative (or NaN) hyper-parameter, as torch.optim's constructors do. */
    protected final void requireNonNegative(String name, double value) {
        if (!(value >= 0)) throw TensorException.of(getClass().getSimpleName(), name + " >= 0", String.valueOf(value));
    }

    /** Names "0", "1", ... in list order, for callers without names. */
    protected static Map<String, Var> numbered(List<Var> params) {
        Map<String, Var> named = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) named.put(String.valueOf(i), params.get(i));
        return named;
    }

    public Map<String, Var> params() {
        return params;
    }

    public double lr() {
        return lr;
    }

    /** Sets the learning rate for the next steps (an LR schedule calls this before each step). */
    public void setLr(double lr) {
        this.lr = lr;
    }

    /** Number of completed step() calls. */
    public int stepCount() {
        return stepCount;
    }

    /** Forgets every parameter's gradient (set to none, PyTorch's default). */
    public void zeroGrad() {
        for (Var p : params.values()) p.zeroGrad();
    }

    /** Updates every parameter that has a gradient; parameters without one are skipped, as in PyTorch. */
    public abstract void step();

    /** The state to save in a checkpoint. */
    public abstract OptimizerState state();

    /** Restores a state saved by {@link #state()} from an optimizer over the same named parameters. */
    public abstract void loadState(OptimizerState state);

    // ---------------------------------------------------------------- helpers for subclasses

    /** The update of element i (row-major index) of a parameter and its state. */
    @FunctionalInterface
    protected interface ElementUpdate {
        void apply(long i);
    }

    /**
     * The element offset of row-major index i: offset + i for a contiguous tensor (the common case, without the
     * per-axis divisions of {@link Tensor#offsetOf(long)}), else the general strided offset.
     */
    static long at(Tensor t, boolean contiguous, long i) {
        return contiguous ? t.offset() + i : t.offsetOf(i);
    }

    /** Runs update(i) for every i in [0, n), split over the shared pool when n is large. */
    protected static void forEachElement(long n, ElementUpdate update) {
        int count = Math.toIntExact(n);
        Parallel.forRange(count, GRAIN, (start, end) -> {
            for (int i = start; i < end; i++) update.apply(i);
        });
    }

    /** The float[] holding exactly this tensor's elements in order (contiguous F32 heap, whole array), or null. */
    static float[] denseFloats(Tensor t) {
        float[] a = t.heapFloats();
        return a != null && t.offset() == 0 && t.isContiguous() && a.length == t.numel() ? a : null;
    }

    /** A zero tensor for state of the parameter's shape, F32 or F64 like the parameter. */
    protected static Tensor zerosLike(Var p) {
        return Tensor.zeros(p.dtype() == DType.F64 ? DType.F64 : DType.F32, p.shape());
    }

    /** Checks that a loaded state tensor fits the parameter it belongs to. */
    protected Tensor requireStateTensor(OptimizerState state, String key, Var p) {
        Tensor t = state.tensors().get(key);
        if (t == null) {
            throw TensorException.of(getClass().getSimpleName() + ".loadState", "a state tensor '" + key + "'",
                    "none (keys: " + state.tensors().keySet() + ")");
        }
        if (!t.shape().equals(p.shape())) {
            throw TensorException.of(getClass().getSimpleName() + ".loadState",
                    "'" + key + "' of shape " + p.shape(), "shape " + t.shape());
        }
        Tensor copy = zerosLike(p);
        Backends.cpu().copy(t, copy);
        return copy;
    }
}
