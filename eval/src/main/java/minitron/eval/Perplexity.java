package minitron.eval;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * LM loss and perplexity of texts, as lm-eval-harness's {@code loglikelihood_rolling} (wikitext-style tasks):
 * each text is encoded without BOS, and every token is predicted once from what precedes it, the first from the
 * prefix token (BOS); texts longer than the model's context go in {@link RollingWindows} (max_seq_len = the
 * model's context, context_len = 1).
 *
 * <p>Over all texts: loss = -sum(ll) / tokens (mean NLL per token, nats), perplexity = exp(loss); and lm-eval's
 * word_perplexity = exp(-sum(ll) / words), byte_perplexity = exp(-sum(ll) / bytes), bits_per_byte =
 * -sum(ll) / bytes / ln 2, with words = len(re.split(r"\s+", text)) and bytes = its UTF-8 length.
 */
public final class Perplexity {
    private Perplexity() {
    }

    /** Windows sent to the model per call. */
    static final int WINDOWS_PER_CALL = 8;

    /** Python's re.split(r"\s+", ...) on str: Unicode white space. */
    private static final Pattern WHITESPACE = Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);

    public record Result(double loglikelihood, long tokens, long words, long bytes, int documents, int windows) {
        public double loss() {
            return -loglikelihood / tokens;
        }

        public double perplexity() {
            return Math.exp(loss());
        }

        public double wordPerplexity() {
            return Math.exp(-loglikelihood / words);
        }

        public double bytePerplexity() {
            return Math.exp(-loglikelihood / bytes);
        }

        public double bitsPerByte() {
            return -loglikelihood / bytes / Math.log(2);
        }
    }

    /** Summed log-likelihood of token ids (no BOS in them) by rolling windows, and the number of windows. */
    public static double[] rollingLoglikelihood(CausalLm lm, int[] tokens) {
        List<RollingWindows.Window> windows = RollingWindows.windows(tokens, lm.prefixTokenId(), lm.maxContext(), 1);
        double sum = 0;
        for (int start = 0; start < windows.size(); start += WINDOWS_PER_CALL) {
            List<CausalLm.ContextRequest> requests = new ArrayList<>();
            for (RollingWindows.Window w : windows.subList(start, Math.min(windows.size(), start + WINDOWS_PER_CALL))) {
                requests.add(new CausalLm.ContextRequest(w.context(), List.of(w.continuation())));
            }
            for (List<double[]> perRequest : lm.continuationLogprobs(requests)) {
                for (double lp : perRequest.getFirst()) sum += lp;
            }
        }
        return new double[] {sum, windows.size()};
    }

    /** Loss and perplexity of token ids (one document; words and bytes are not known: 0). */
    public static Result ofTokens(CausalLm lm, int[] tokens) {
        if (tokens.length == 0) {
            throw new EvalException("perplexity: expected at least one token, found none");
        }
        double[] llAndWindows = rollingLoglikelihood(lm, tokens);
        return new Result(llAndWindows[0], tokens.length, 0, 0, 1, (int) llAndWindows[1]);
    }

    /** Loss and perplexity over texts (each its own document, as lm-eval's per-document requests). */
    public static Result ofTexts(CausalLm lm, TokenEncoder encoder, List<String> texts) {
        return ofTexts(lm, encoder, texts, "perplexity");
    }

    /** As {@link #ofTexts(CausalLm, TokenEncoder, List)}; {@code where} (the task file) begins the error of no token. */
    public static Result ofTexts(CausalLm lm, TokenEncoder encoder, List<String> texts, String where) {
        double ll = 0;
        long tokens = 0, words = 0, bytes = 0;
        int windows = 0, documents = 0;
        for (String text : texts) {
            int[] ids = encoder.encode(text, false);
            if (ids.length == 0) continue;
            double[] llAndWindows = rollingLoglikelihood(lm, ids);
            ll += llAndWindows[0];
            windows += (int) llAndWindows[1];
            tokens += ids.length;
            words += WHITESPACE.split(text, -1).length;
            bytes += text.getBytes(StandardCharsets.UTF_8).length;
            documents++;
        }
        if (tokens == 0) {
            throw new EvalException(where + ": expected text with at least one token, found none");
        }
        return new Result(ll, tokens, words, bytes, documents, windows);
    }
}
