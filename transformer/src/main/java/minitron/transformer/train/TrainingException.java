package minitron.transformer.train;

/** A training run cannot start or continue: bad configuration, a checkpoint that does not fit, a diverged loss. */
public class TrainingException extends RuntimeException {
    public TrainingException(String message) {
        super(message);
    }

    public TrainingException(String message, Throwable cause) {
        super(message, cause);
    }
}
