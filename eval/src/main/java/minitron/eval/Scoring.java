package minitron.eval;

import java.util.Arrays;

/**
 * Turning (context, continuation) strings into the token ids the model scores, as lm-eval-harness's
 * {@code TemplateLM._encode_pair} and {@code HFLM._loglikelihood_tokens} do.
 */
public final class Scoring {
    private Scoring() {
    }

    /** Context and continuation ids, and whether the context was truncated from the left to fit. */
    public record EncodedPair(int[] context, int[] continuation, boolean truncated) {
    }

    /**
     * Python's str.isspace for one char: Java's isWhitespace plus the no-break spaces (U+00A0, U+2007, U+202F)
     * and NEL (U+0085), which Python counts as white space and Java does not.
     */
    public static boolean isPythonSpace(char c) {
        return Character.isWhitespace(c) || c == '\u00A0' || c == '\u2007' || c == '\u202F' || c == '\u0085';
    }

    /**
     * lm-eval's _encode_pair: trailing white space of the context moves to the front of the continuation; the
     * whole (context + continuation) is encoded, and the continuation is what follows the context's own encoding
     * (so a merge across the boundary counts for the continuation). An empty context becomes [prefix token].
     * addBos: lm-eval's add_bos_token (default false for HF causal models).
     */
    public static EncodedPair encodePair(TokenEncoder encoder, String context, String continuation, boolean addBos,
                                         int prefixToken) {
        if (context.isEmpty()) {
            return new EncodedPair(new int[] {prefixToken}, encoder.encode(continuation, false), false);
        }
        int end = context.length();
        while (end > 0 && isPythonSpace(context.charAt(end - 1))) end--;
        if (end < context.length()) {
            continuation = context.substring(end) + continuation;
            context = context.substring(0, end);
        }
        int[] whole = encoder.encode(context + continuation, addBos);
        int[] contextIds = encoder.encode(context, addBos);
        int[] continuationIds = Arrays.copyOfRange(whole, Math.min(contextIds.length, whole.length), whole.length);
        if (contextIds.length == 0) {
            // Only white space before the continuation moved out of the context: lm-eval would score the
            // continuation with no context at all; we give it the prefix token, as for an empty context.
            contextIds = new int[] {prefixToken};
        }
        return new EncodedPair(contextIds, continuationIds, false);
    }

    /**
     * lm-eval's (context + continuation)[-(max_length + 1):]: drops tokens from the left of the context so that
     * context + continuation holds at most maxContext + 1 tokens (the model reads all but the last). A
     * continuation that alone does not fit (with one context token) is an error.
     */
    public static EncodedPair truncateLeft(EncodedPair pair, int maxContext) {
        int total = pair.context().length + pair.continuation().length;
        if (total <= maxContext + 1) return pair;
        if (pair.continuation().length > maxContext) {
            throw new EvalException("scoring: expected a continuation of at most " + maxContext
                    + " tokens (the model's context), found " + pair.continuation().length);
        }
        int drop = total - (maxContext + 1);
        int[] context = Arrays.copyOfRange(pair.context(), drop, pair.context().length);
        return new EncodedPair(context, pair.continuation(), true);
    }
}
