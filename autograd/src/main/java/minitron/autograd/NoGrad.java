package minitron.autograd;

/**
 * A scope in which ops record no graph: results are constants (requiresGrad false), no backward closures are kept
 * and no tensors are saved for a backward pass. For inference, evaluation, importance estimation and the
 * finite-difference evaluations of {@link GradCheck}.
 *
 * <pre>{@code
 * try (NoGrad scope = NoGrad.enter()) {
 *     Var logits = model.forward(ids);   // no graph
 * }
 * }</pre>
 *
 * The scope is per thread and nests: the graph is recorded again when the outermost scope closes.
 */
public final class NoGrad implements AutoCloseable {
    private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);

    private boolean closed;

    private NoGrad() {
    }

    /** Enters a no-grad scope on this thread; close it (try-with-resources) to leave. */
    public static NoGrad enter() {
        DEPTH.get()[0]++;
        return new NoGrad();
    }

    /** True when this thread is inside at least one no-grad scope. */
    public static boolean isActive() {
        return DEPTH.get()[0] > 0;
    }

    @Override
    public void close() {
        if (closed) return; // closing twice must not end an enclosing scope
        closed = true;
        DEPTH.get()[0]--;
    }
}
