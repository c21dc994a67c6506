package minitron.cli;

/** Range checks of numeric options, reported as the one-line errors of {@link Main}. */
final class Options {
    private Options() {
    }

    /** Returns value, or throws "OPTION: expected >= MIN, found VALUE". */
    static int atLeast(String option, int value, int min) {
        if (value < min) throw new IllegalArgumentException(option + ": expected >= " + min + ", found " + value);
        return value;
    }
}
