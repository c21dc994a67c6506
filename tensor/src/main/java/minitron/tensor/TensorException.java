package minitron.tensor;

/**
 * A bad argument to a tensor operation: a shape mismatch, an unsupported dtype combination, an index out of
 * range. The message names the op, what it expected and what it got, e.g.
 * {@code matmul: expected a.shape[-1] == b.shape[-2], got a (2, 3) and b (4, 5)}.
 */
public final class TensorException extends IllegalArgumentException {
    public TensorException(String message) {
        super(message);
    }

    public static TensorException of(String op, String expected, String found) {
        return new TensorException(op + ": expected " + expected + ", got " + found);
    }
}
