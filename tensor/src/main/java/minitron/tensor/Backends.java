package minitron.tensor;

import java.util.ArrayList;
import java.util.List;
import minitron.tensor.cpu.ScalarBackend;

/**
 * Finds the backends this JVM can run. The scalar backend is always there (it is the specification). The Vector
 * API backend needs the incubator module {@code jdk.incubator.vector} in the boot layer: when the JVM was started
 * without {@code --add-modules jdk.incubator.vector} it is reported unavailable with that reason and the scalar
 * backend is used, with a one-line warning.
 */
public final class Backends {
    private static final Backend SCALAR = new ScalarBackend();
    private static final Backend VECTOR = loadVector();
    private static volatile Backend cpu = VECTOR != null ? VECTOR : SCALAR;

    private Backends() {
    }

    private static Backend loadVector() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return null;
        }
        try {
            // Loaded by name so that this class never links against the incubator module when it is absent.
            return (Backend) Class.forName("minitron.tensor.cpu.VectorBackend").getConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            System.err.println("minitron: Vector API backend failed to load (" + e + "); using the scalar backend");
            return null;
        }
    }

    /** The reference backend: plain loops in double precision, the definition every other backend must match. */
    public static Backend scalar() {
        return SCALAR;
    }

    /** The Vector API backend, or null when this JVM lacks the incubator module (see {@link #vectorUnavailableReason}). */
    public static Backend vector() {
        return VECTOR;
    }

    /** Why {@link #vector()} is null, or null when it is available. */
    public static String vectorUnavailableReason() {
        return VECTOR != null ? null
                : "the JVM was started without --add-modules jdk.incubator.vector (use ./minitron, or add the flag)";
    }

    /** The backend ops use by default: the fastest CPU backend available, unless set otherwise. */
    public static Backend cpu() {
        return cpu;
    }

    /** Makes {@code backend} the default for {@link Ops#cpu()} and for view copies. */
    public static void setCpu(Backend backend) {
        cpu = backend;
    }

    /** Every CPU backend available in this JVM, scalar first. Tests run each kernel over all of them. */
    public static List<Backend> all() {
        List<Backend> list = new ArrayList<>();
        list.add(SCALAR);
        if (VECTOR != null) list.add(VECTOR);
        return list;
    }
}
