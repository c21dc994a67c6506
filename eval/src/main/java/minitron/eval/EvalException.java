package minitron.eval;

/** A user-facing evaluation error: bad task file, bad task spec, a request the model cannot score. */
public final class EvalException extends RuntimeException {
    public EvalException(String message) {
        super(message);
    }

    public EvalException(String message, Throwable cause) {
        super(message, cause);
    }
}
