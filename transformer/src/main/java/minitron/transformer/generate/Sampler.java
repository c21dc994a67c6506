package minitron.transformer.generate;

import java.util.Arrays;
import java.util.SplittableRandom;
import minitron.tensor.TensorException;

/**
 * Picks the next token from a row of logits (V), as HF's generate does with its logits warpers, in HF's order:
 * temperature, then top-k, then top-p, then a draw from the softmax of what is left. Temperature 0 is greedy
 * decoding (the first maximum, as torch.argmax). Seeded: the same seed and logits give the same tokens.
 *
 * <ul>
 *   <li>temperature: logits / T, divided in float32 as HF's generate does (it casts the logits to float32), so
 *       that two logits whose quotients round to the same float are tied here too;</li>
 *   <li>top-k (HF TopKLogitsWarper): tokens whose scaled logit is below the k-th largest are removed (ties with
 *       the k-th are kept); k = 0 disables it;</li>
 *   <li>top-p (HF TopPLogitsWarper, nucleus): the smallest set of most probable tokens (ranked by scaled logit,
 *       as HF sorts them) whose probability sum reaches p is kept (the most probable token always); p = 1
 *       disables it. Among tokens of equal scaled logit cut by the boundary, the lowest indices are kept (HF
 *       keeps whichever its unstable torch.sort puts last; the number kept is the same).</li>
 * </ul>
 * reference/fuzz_hf_generate.py checks {@link #filteredLogits} and {@link #probabilities} against transformers'
 * own warpers.
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
        for (double x : p) {
            if (Double.isNaN(x)) {
                // HF's generate stops here too (torch.multinomial refuses NaN probabilities)
                throw TensorException.of("sample", "finite logits / temperature (divided in float32, as HF's generate)",
                        "NaN probabilities at temperature " + settings.temperature() + ": a logit is NaN or infinite, "
                                + "or a logit / temperature overflows float32");
            }
        }
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
     * top-p and renormalised (removed tokens have probability exactly 0): the softmax of {@link #filteredLogits}.
     */
    public static double[] probabilities(float[] logits, Settings settings) {
        double[] scores = filteredLogits(logits, settings);
        boolean[] removed = new boolean[scores.length];
        for (int i = 0; i < scores.length; i++) removed[i] = scores[i] == Double.NEGATIVE_INFINITY;
        return softmax(scores, removed);
    }

    /**
     * What HF's warpers leave of the logits (V): logits / T, with -inf for the tokens that top-k and top-p remove
     * (a -inf logit stays -inf). Temperature 0 counts as 1 here.
     */
    public static double[] filteredLogits(float[] logits, Settings settings) {
        int v = logits.length;
        float t = settings.temperature() == 0 ? 1 : (float) settings.temperature();
        double[] scaled = new double[v];
        for (int i = 0; i < v; i++) scaled[i] = logits[i] / t;          // a float division, as HF's on float32
        boolean[] removed = new boolean[v];
        if (settings.topK() > 0 && settings.topK() < v) {
            double[] sorted = scaled.clone();
            Arrays.sort(sorted);
            double kth = sorted[v - settings.topK()];                 // the k-th largest
            for (int i = 0; i < v; i++) removed[i] = scaled[i] < kth;
        }
        if (settings.topP() < 1) {
            double[] p = softmax(scaled, removed);
            // most probable first, ranked by scaled logit as HF sorts them: probabilities may round to equal
            // doubles where the logits differ (stable: equal logits keep index order)
            Integer[] order = new Integer[v];
            for (int i = 0; i < v; i++) order[i] = i;
            Arrays.sort(order, (a, b) -> Double.compare(scaled[b], scaled[a]));
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
        }
        for (int i = 0; i < v; i++) if (removed[i]) scaled[i] = Double.NEGATIVE_INFINITY;
        return scaled;
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
