package minitron.autograd.optim;

import minitron.tensor.TensorException;

/** The learning rate at each optimizer step (0-based). */
@FunctionalInterface
public interface LrSchedule {
    double lr(int step);

    /** The same rate at every step. */
    static LrSchedule constant(double lr) {
        return step -> lr;
    }

    /**
     * Linear warm-up, then cosine decay to a floor (Minitron paper, Table 4):
     * lr(s) = maxLr (s + 1) / warmup for s < warmup; minLr + (maxLr - minLr) (1 + cos(pi (s - warmup) /
     * (total - warmup))) / 2 for warmup <= s < total; minLr from total on.
     */
    static LrSchedule cosineWithWarmup(double maxLr, double minLr, int warmup, int total) {
        requireSteps("cosineWithWarmup", warmup, total);
        return step -> {
            if (step < warmup) return maxLr * (step + 1) / warmup;
            if (step >= total) return minLr;
            double progress = (double) (step - warmup) / (total - warmup);
            return minLr + 0.5 * (maxLr - minLr) * (1 + Math.cos(Math.PI * progress));
        };
    }

    /**
     * Linear warm-up as {@link #cosineWithWarmup}, then a straight line from maxLr (at step warmup) to minLr
     * (at step total), then minLr.
     */
    static LrSchedule linear(double maxLr, double minLr, int warmup, int total) {
        requireSteps("linear", warmup, total);
        return step -> {
            if (step < warmup) return maxLr * (step + 1) / warmup;
            if (step >= total) return minLr;
            double progress = (double) (step - warmup) / (total - warmup);
            return maxLr + (minLr - maxLr) * progress;
        };
    }

    private static void requireSteps(String schedule, int warmup, int total) {
        if (warmup < 0 || total <= warmup) {
            throw TensorException.of(schedule, "0 <= warmup < total steps", "warmup " + warmup + ", total " + total);
        }
    }
}
