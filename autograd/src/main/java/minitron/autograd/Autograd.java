package minitron.autograd;

import minitron.tensor.Backend;
import minitron.tensor.Ops;

/**
 * Which backend the differentiable ops run on. By default {@link Ops#cpu()} (the fastest CPU backend); a thread
 * can switch to another one for a scope, which is how tests run the same graph on the scalar reference and on the
 * Vector API backend:
 *
 * <pre>{@code
 * try (Autograd.BackendScope scope = Autograd.useBackend(Backends.scalar())) {
 *     Var loss = ...;        // forward on the scalar backend
 *     loss.backward();       // backward on the backend each op was recorded with
 * }
 * }</pre>
 *
 * An op captures the {@link Ops} current at forward time and runs its backward with the same one, so backward()
 * may be called after the scope has closed.
 */
public final class Autograd {
    private static final ThreadLocal<Backend> OVERRIDE = new ThreadLocal<>();
    private static volatile Backend defaultBackend; // null: Ops.cpu()

    private Autograd() {
    }

    /** The ops front-end for the backend current on this thread. */
    public static Ops ops() {
        Backend local = OVERRIDE.get();
        if (local != null) return Ops.of(local);
        Backend global = defaultBackend;
        return global != null ? Ops.of(global) : Ops.cpu();
    }

    /** Sets the backend for every thread that has no scope of its own; null restores {@link Ops#cpu()}. */
    public static void setDefaultBackend(Backend backend) {
        defaultBackend = backend;
    }

    /** Runs this thread's ops on {@code backend} until the returned scope is closed. Scopes nest. */
    public static BackendScope useBackend(Backend backend) {
        BackendScope scope = new BackendScope(OVERRIDE.get());
        OVERRIDE.set(backend);
        return scope;
    }

    /** Restores the previous backend of this thread when closed. */
    public static final class BackendScope implements AutoCloseable {
        private final Backend previous;

        private BackendScope(Backend previous) {
            this.previous = previous;
        }

        @Override
        public void close() {
            if (previous == null) OVERRIDE.remove();
            else OVERRIDE.set(previous);
        }
    }
}
