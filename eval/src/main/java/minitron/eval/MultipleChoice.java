package minitron.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Multiple choice by log-likelihood, as lm-eval-harness's {@code multiple_choice} output type:
 * ll[i] = sum of log P(continuation token | context, earlier continuation tokens) of choice i;
 * acc = [argmax_i ll[i] == gold]; acc_norm = [argmax_i ll[i] / len(choice_i) == gold] with len in characters
 * (lm-eval: {@code completion_len = np.array([float(len(i)) for i in choices])}; the issue says bytes, lm-eval
 * counts Python characters, and we follow lm-eval). Ties go to the lowest index (numpy's argmax).
 * The means come with lm-eval's standard error (sample std / sqrt(n)).
 *
 * <p>The choices of an item that share a context are sent as one {@link CausalLm.ContextRequest} (the model
 * computes that context once when it has a KV cache), and {@code batchItems} items go to the model per call.
 */
public final class MultipleChoice {
    private MultipleChoice() {
    }

    /** Options shared by the scoring tasks. */
    public record Options(boolean addBos, int batchItems) {
        public static final Options DEFAULT = new Options(false, 16);

        public Options {
            // the scoring loop advances by batchItems: 0 would never end
            if (batchItems < 1) throw new EvalException("batch: expected >= 1 items per model call, found " + batchItems);
        }
    }

    /** Metrics over the items, and each item's log-likelihoods (in choice order) for inspection. */
    public record Result(double acc, double accStderr, double accNorm, double accNormStderr, int items,
                         int truncated, List<double[]> loglikelihoods) {
    }

    public static Result evaluate(CausalLm lm, TokenEncoder encoder, List<ChoiceItem> items, Options options) {
        return evaluate(lm, encoder, items, options, Progress.NONE);
    }

    public static Result evaluate(CausalLm lm, TokenEncoder encoder, List<ChoiceItem> items, Options options,
                                  Progress progress) {
        List<Double> accs = new ArrayList<>();
        List<Double> accNorms = new ArrayList<>();
        List<double[]> allLls = new ArrayList<>();
        int truncated = 0;
        for (int start = 0; start < items.size(); start += options.batchItems()) {
            List<ChoiceItem> batch = items.subList(start, Math.min(items.size(), start + options.batchItems()));
            Scored scored = loglikelihoods(lm, encoder, batch, options);
            allLls.addAll(scored.loglikelihoods());
            truncated += scored.truncatedItems();
            progress.update(allLls.size(), items.size());
        }
        for (int i = 0; i < items.size(); i++) {
            ChoiceItem item = items.get(i);
            double[] lls = allLls.get(i);
            double[] normalized = new double[lls.length];
            for (int c = 0; c < lls.length; c++) {
                String text = item.choices().get(c).normText();
                normalized[c] = lls[c] / text.codePointCount(0, text.length());
            }
            accs.add(argmax(lls) == item.gold() ? 1.0 : 0.0);
            accNorms.add(argmax(normalized) == item.gold() ? 1.0 : 0.0);
        }
        return new Result(Metrics.mean(accs), Metrics.meanStderr(accs), Metrics.mean(accNorms),
                Metrics.meanStderr(accNorms), items.size(), truncated, allLls);
    }

    /** Per item, the summed log-likelihood of each choice; and how many items had a context truncated. */
    record Scored(List<double[]> loglikelihoods, int truncatedItems) {
    }

    /** The summed continuation log-likelihood of every choice of every item (one model call for the batch). */
    static Scored loglikelihoods(CausalLm lm, TokenEncoder encoder, List<ChoiceItem> items, Options options) {
        int truncatedItems = 0;
        List<CausalLm.ContextRequest> requests = new ArrayList<>();
        // where[item][choice] = {request index, continuation index within it}
        List<int[][]> where = new ArrayList<>();
        for (ChoiceItem item : items) {
            int firstRequest = requests.size();
            int[][] position = new int[item.choices().size()][];
            boolean anyTruncated = false;
            for (int c = 0; c < item.choices().size(); c++) {
                ChoiceItem.Choice choice = item.choices().get(c);
                Scoring.EncodedPair pair = Scoring.encodePair(encoder, choice.context(), choice.continuation(),
                        options.addBos(), lm.prefixTokenId());
                pair = Scoring.truncateLeft(pair, lm.maxContext());
                anyTruncated |= pair.truncated();
                int found = -1;
                for (int r = firstRequest; r < requests.size(); r++) {
                    if (Arrays.equals(requests.get(r).context(), pair.context())) found = r;
                }
                if (found < 0) {
                    found = requests.size();
                    requests.add(new CausalLm.ContextRequest(pair.context(), new ArrayList<>()));
                }
                List<int[]> continuations = requests.get(found).continuations();
                position[c] = new int[] {found, continuations.size()};
                continuations.add(pair.continuation());
            }
            if (anyTruncated) truncatedItems++;
            where.add(position);
        }
        List<List<double[]>> scored = lm.continuationLogprobs(requests);
        List<double[]> out = new ArrayList<>();
        for (int[][] position : where) {
            double[] lls = new double[position.length];
            for (int c = 0; c < position.length; c++) {
                double sum = 0;
                for (double lp : scored.get(position[c][0]).get(position[c][1])) sum += lp;
                lls[c] = sum;
            }
            out.add(lls);
        }
        return new Scored(out, truncatedItems);
    }

    /** numpy's argmax: the first index of the largest value. */
    static int argmax(double[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) best = i;
        }
        return best;
    }
}
