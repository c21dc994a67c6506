package minitron.compress;

import java.util.Locale;

/**
 * How an activation A (B, T, C) becomes one score per channel c, accumulated batch after batch without keeping
 * any activation (memory: one double per channel, whatever the number of samples).
 *
 * <p>First over the sequence, per sample b: {@code m[b,c] = mean_t |A[b,t,c]|} ({@link Sequence#MEAN}) or
 * {@code sqrt(sum_t A[b,t,c]^2)} ({@link Sequence#L2}). Then over the batch, across all calibration batches:
 * {@code acc[c] += sum_b m[b,c]^2} and {@code score = sqrt(acc)} ({@link Batch#L2}), or {@code acc[c] += sum_b m[b,c]}
 * and {@code score = acc / samples} ({@link Batch#MEAN}). The paper's (and the default) is mean over the sequence,
 * L2 over the batch: {@code mean-l2}. Spelled {@code SEQUENCE-BATCH} on the command line: mean-l2, mean-mean,
 * l2-l2, l2-mean.
 */
public record Aggregation(Sequence sequence, Batch batch) {

    /** Reduction over the T positions of one sample. */
    public enum Sequence { MEAN, L2 }

    /** Reduction over the samples (the batch axis, across every calibration batch). */
    public enum Batch { L2, MEAN }

    /** The paper's: mean over the sequence, L2 over the batch. */
    public static final Aggregation DEFAULT = new Aggregation(Sequence.MEAN, Batch.L2);

    /** Parses {@code SEQUENCE-BATCH}, e.g. {@code mean-l2}. */
    public static Aggregation parse(String text) {
        String[] parts = text.toLowerCase(Locale.ROOT).split("-");
        if (parts.length == 2) {
            try {
                return new Aggregation(Sequence.valueOf(parts[0].toUpperCase(Locale.ROOT)),
                        Batch.valueOf(parts[1].toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException ignored) {
                // reported below
            }
        }
        throw new CompressException("aggregation: expected SEQUENCE-BATCH with SEQUENCE and BATCH each mean or l2 "
                + "(e.g. mean-l2), found \"" + text + "\"");
    }

    /** The command-line spelling, e.g. {@code mean-l2}. */
    public String label() {
        return sequence.name().toLowerCase(Locale.ROOT) + "-" + batch.name().toLowerCase(Locale.ROOT);
    }
}
