package minitron.compress;

/** A user mistake in pruning (bad target, mismatched importance, too little calibration data): the message says
 *  what was expected and what was found. */
public final class CompressException extends RuntimeException {
    public CompressException(String message) {
        super(message);
    }

    public CompressException(String message, Throwable cause) {
        super(message, cause);
    }
}
