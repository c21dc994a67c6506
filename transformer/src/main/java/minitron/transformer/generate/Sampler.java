package minitron.transformer.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from a row of logits (V), as HF's generate does with its logits warpers, in HF's order:
 * temperature, then top-k, then top-p, then a draw from the softmax of what is left. Temperature 0 is greedy
 * decoding (the first maximum, as torch.argmax). Seeded: the same seed and logits give the same tokens.
 *
 * <ul>
 *   <li>temperature: logits / T;</li>
 *   <li>top-k (HF TopKLogitsWarper): tokens whose logit is below the k-th largest are removed (ties with the
 *       k-th are kept); k = 0 disables it;</li>
 *   <li>top-p (HF TopPLogitsWarper, nucleus): the smallest set of most probable tokens whose probability sum
 *       reaches p is kept (the most probable token always); p = 1 disables it.</li>
 * </ul>
 */
public final class Sampler {

    /** Settings; the defaults of {@code minitron generate}. */
    public record Settings(double temperature, int topK, double topP, long seed) {
        public static final Settings GREEDY = new Settings(0, 0, 1, 0);

        public Settings {
            if (!(temperature >= 0) || Double.isInfinite(temperature)) {
                throw new IllegalArgumentException("temperature: expected a finite value >= 0 (0 = greedy), found " + temperature);
            }
            if (topK < 0) throw new IllegalArgumentException("top-k: expected >= 0 (0 = off), found " + topK);
            if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p: expected a value in (0, 1], found " + topP);
        }

        public boolean greedy() {
            return temperature == 0;
        }
    }

    private final Settings settings;
    private final SplittableRandom random;

    public Sampler(Settings settings) {
        this.settings = settings;
        this.random = new SplittableRandom(settings.seed());
    }

    public Settings settings() {
        return settings;
    }

    /** The next token for logits (V). */
    public int sample(float[] logits) {
        if (settings.greedy()) return argmax(logits);
        double[] p = probabilities(logits, settings);
        double u = random.nextDouble();
        double cumulative = 0;
        int last = -1;
        for (int i = 0; i < p.length; i++) {
            if (p[i] == 0) continue;
            cumulative += p[i];
            last = i;
            if (u < cumulative) return i;
        }
        return last; // u beyond the rounded total: the last token still allowed
    }

    /** Index of the first maximum. */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) best = i;
        }
        return best;
    }

    /**
     * The distribution a non-greedy {@link #sample} draws from: softmax(logits / T) restricted by top-k and
     * top-p and renormalised (removed tokens have probability exactly 0).
     */
    public static double[] probabilities(float[] logits, Settings settings) {
        int v = logits.length;
        double t = settings.temperature() == 0 ? 1 : settings.temperature();
        double[] scaled = new double[v];
        for (int i = 0; i < v; i++) scaled[i] = logits[i] / t;
        boolean[] removed = new boolean[v];
        if (settings.topK() > 0 && settings.topK() < v) {
            double[] sorted = scaled.clone();
            Arrays.sort(sorted);
            double kth = sorted[v - settings.topK()];                 // the k-th largest
            for (int i = 0; i < v; i++) removed[i] = scaled[i] < kth;
        }
        double[] p = softmax(scaled, removed);
        if (settings.topP() < 1) {
            // most probable first (stable: equal probabilities keep index order)
            Integer[] order = new Integer[v];
            for (int i = 0; i < v; i++) order[i] = i;
            Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
            double cumulative = 0;
            boolean reached = false;
            for (int i : order) {
                if (reached) {
                    removed[i] = true;
                } else {
                    cumulative += p[i];
                    reached = cumulative >= settings.topP();
                }
            }
            return softmax(scaled, removed);
        }
        return p;
    }

    /** softmax over the entries not removed (removed entries get 0). */
    private static double[] softmax(double[] x, boolean[] removed) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < x.length; i++) if (!removed[i]) max = Math.max(max, x[i]);
        double[] p = new double[x.length];
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            if (removed[i]) continue;
            p[i] = Math.exp(x[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < x.length; i++) p[i] /= sum;
        return p;
    }
}
