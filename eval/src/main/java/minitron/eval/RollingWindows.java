package minitron.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * lm-eval-harness's rolling windows for the log-likelihood of a text longer than the model's context
 * ({@code lm_eval.utils.get_rolling_token_windows} followed by {@code make_disjoint_window}), transcribed.
 *
 * <p>With max_seq_len L and context_len 1 (what {@code loglikelihood_rolling} uses): the first window predicts
 * tokens[0, min(L, N)) from [prefix] + tokens (every token from everything before it, the first from the prefix
 * token alone); each later window predicts the next (at most L) tokens, and its input is the L tokens ending just
 * before its last target. Every token is predicted exactly once. The windows do not overlap in what they predict,
 * so the first target of a full later window sees a single token of left context; only the last window, when it
 * is short, sees more (L - its length + 1 tokens before its first target).
 */
public final class RollingWindows {
    private RollingWindows() {
    }

    /** One window after make_disjoint_window: score continuation given context (context + continuation <= L + 1). */
    public record Window(int[] context, int[] continuation) {
    }

    /** get_rolling_token_windows(token_list, prefix_token, max_seq_len, context_len), then make_disjoint_window. */
    public static List<Window> windows(int[] tokens, int prefixToken, int maxSeqLen, int contextLen) {
        if (contextLen < 1 || contextLen > maxSeqLen) {
            throw new EvalException("rolling windows: expected 1 <= context_len <= max_seq_len, found context_len "
                    + contextLen + ", max_seq_len " + maxSeqLen);
        }
        List<Window> out = new ArrayList<>();
        if (tokens.length == 0) return out;
        int predLen = maxSeqLen - contextLen + 1;          // +1 offset, going from input -> preds
        int predicted = 0;

        // First window: predict all of its tokens; the input is the prefix token then tokens[: first - 1].
        int firstSeqLen = Math.min(maxSeqLen, tokens.length);
        int[] firstInput = new int[firstSeqLen];
        firstInput[0] = prefixToken;
        System.arraycopy(tokens, 0, firstInput, 1, firstSeqLen - 1);
        out.add(disjoint(firstInput, Arrays.copyOfRange(tokens, 0, firstSeqLen)));
        predicted += firstSeqLen;

        while (predicted < tokens.length) {
            int windowPredLen = Math.min(tokens.length - predicted, predLen);
            int windowEnd = predicted + windowPredLen;
            int[] input = Arrays.copyOfRange(tokens, windowEnd - maxSeqLen - 1, windowEnd - 1);
            int[] targets = Arrays.copyOfRange(tokens, windowEnd - windowPredLen, windowEnd);
            out.add(disjoint(input, targets));
            predicted += windowPredLen;
        }
        return out;
    }

    /** make_disjoint_window: a[: len(a) - (len(b) - 1)], b (the context stops where the predictions start). */
    private static Window disjoint(int[] input, int[] targets) {
        return new Window(Arrays.copyOfRange(input, 0, input.length - (targets.length - 1)), targets);
    }
}
