package minitron.transformer.train;

/**
 * The loss (or the gradient norm) became NaN or infinite: training stopped at {@link #step()} without updating the
 * weights or writing a checkpoint, so the latest checkpoint is still the last good one.
 */
public final class DivergedException extends TrainingException {
    private final int step;

    public DivergedException(int step, String message) {
        super(message);
        this.step = step;
    }

    /** The 1-based optimizer step whose loss or gradient was not finite. */
    public int step() {
        return step;
    }
}
