package minitron.eval;

/** log-softmax of one row of logits, read at one index, in double (the logits themselves are F32). */
public final class LogSoftmax {
    private LogSoftmax() {
    }

    /**
     * log softmax(row)[target] = row[target] - max - log(sum_k exp(row[k] - max)), where row is
     * logits[offset, offset + vocab). Subtracting the max keeps every exp in (0, 1].
     */
    public static double at(float[] logits, int offset, int vocab, int target) {
        if (target < 0 || target >= vocab) {
            throw new EvalException("log-softmax: expected a token id in [0, " + vocab + "), found " + target);
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < vocab; k++) max = Math.max(max, logits[offset + k]);
        double sum = 0;
        for (int k = 0; k < vocab; k++) sum += Math.exp(logits[offset + k] - max);
        return logits[offset + target] - max - Math.log(sum);
    }

    /** The index of the largest of logits[offset, offset + vocab) (ties: the lowest index, as numpy's argmax). */
    public static int argmax(float[] logits, int offset, int vocab) {
        int best = 0;
        for (int k = 1; k < vocab; k++) {
            if (logits[offset + k] > logits[offset + best]) best = k;
        }
        return best;
    }
}
