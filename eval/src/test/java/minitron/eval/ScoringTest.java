package minitron.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Continuation scoring, _encode_pair, truncation, rolling windows and perplexity against direct computations. */
class ScoringTest {

    /**
     * The toy models compute logits in float and log-softmax in double; both sides of every comparison here do
     * exactly the same arithmetic per token, summed in a possibly different order: 1e-12 covers the reordering.
     */
    static final double SUM_ATOL = 1e-12;
    static final double SUM_RTOL = 1e-12;

    static void assertClose(double expected, double actual, String what) {
        double tol = SUM_ATOL + SUM_RTOL * Math.abs(expected);
        assertTrue(Math.abs(expected - actual) <= tol,
                what + ": expected " + expected + ", found " + actual + " (diff " + Math.abs(expected - actual) + ")");
    }

    @Test
    void continuationLogprobsEqualTheDirectSumOverTheFullSequence() {
        ToyModels.FunctionModel lm = ToyModels.wholeContext(11, 32, 10);
        int[] context = {3, 1, 4, 1, 5};
        List<int[]> continuations = List.of(new int[] {9}, new int[] {2, 6, 5}, new int[] {3, 5, 8, 9, 7});
        List<double[]> got = lm.continuationLogprobs(List.of(new CausalLm.ContextRequest(context, continuations))).getFirst();
        for (int c = 0; c < continuations.size(); c++) {
            int[] cont = continuations.get(c);
            int[] whole = CausalLm.concat(context, cont);
            assertEquals(cont.length, got.get(c).length);
            for (int j = 0; j < cont.length; j++) {
                // token j of the continuation, predicted from everything before it
                double direct = lm.logprob(Arrays.copyOfRange(whole, 0, context.length + j), cont[j]);
                assertClose(direct, got.get(c)[j], "continuation " + c + " token " + j);
            }
        }
        // one full forward per continuation: (context + continuation)[:-1]
        assertArrayEquals(new int[] {3, 1, 4, 1, 5, 2, 6}, lm.seenInputs.get(1));
    }

    @Test
    void encodePairMovesTrailingSpacesIntoTheContinuationAndSplitsTheWholeEncoding() {
        ToyModels.WordEncoder enc = new ToyModels.WordEncoder(100);
        Scoring.EncodedPair pair = Scoring.encodePair(enc, "Question: why?\nAnswer: ", "because", false, 99);
        // whole "Question: why?\nAnswer: because" -> Question: | " why?" | "\n" | "Answer:" | " because"
        assertEquals(List.of("Question:", " why?", "\n", "Answer:"), pieces(enc, pair.context()));
        assertEquals(List.of(" because"), pieces(enc, pair.continuation()));
        // without the move the context would end in a lone " " token and the continuation would be "because"
        Scoring.EncodedPair plain = Scoring.encodePair(enc, "Answer:", " because", false, 99);
        assertEquals(List.of(" because"), pieces(enc, plain.continuation()));
        Scoring.EncodedPair empty = Scoring.encodePair(enc, "", "because", false, 99);
        assertArrayEquals(new int[] {99}, empty.context());
        assertTrue(Scoring.isPythonSpace('\u00A0') && !Character.isWhitespace('\u00A0'));
    }

    private static List<String> pieces(ToyModels.WordEncoder enc, int[] ids) {
        List<String> out = new ArrayList<>();
        for (int id : ids) out.add(enc.pieces.get(id));
        return out;
    }

    @Test
    void truncateLeftKeepsTheLastMaxContextPlusOneTokens() {
        Scoring.EncodedPair pair = new Scoring.EncodedPair(new int[] {1, 2, 3, 4, 5, 6}, new int[] {7, 8}, false);
        Scoring.EncodedPair cut = Scoring.truncateLeft(pair, 5);
        assertTrue(cut.truncated());
        assertArrayEquals(new int[] {3, 4, 5, 6}, cut.context());   // 4 + 2 = maxContext + 1
        assertFalse(Scoring.truncateLeft(pair, 7).truncated());
        assertThrows(EvalException.class, () -> Scoring.truncateLeft(
                new Scoring.EncodedPair(new int[] {1}, new int[] {1, 2, 3, 4, 5, 6}, false), 5));
    }

    @Test
    void rollingWindowsAsLmEvalForSevenTokensAndContextThree() {
        // tokens t0..t6 = 10..16, prefix P = 0, max_seq_len 3, context_len 1; worked out by hand from
        // get_rolling_token_windows + make_disjoint_window:
        //   window 1: input [P, t0, t1] predicts t0 t1 t2   -> context [P],      continuation [t0 t1 t2]
        //   window 2: input [t2, t3, t4] predicts t3 t4 t5  -> context [t2],     continuation [t3 t4 t5]
        //   window 3: input [t3, t4, t5] predicts t6        -> context [t3 t4 t5], continuation [t6]
        int[] tokens = {10, 11, 12, 13, 14, 15, 16};
        List<RollingWindows.Window> w = RollingWindows.windows(tokens, 0, 3, 1);
        assertEquals(3, w.size());
        assertArrayEquals(new int[] {0}, w.get(0).context());
        assertArrayEquals(new int[] {10, 11, 12}, w.get(0).continuation());
        assertArrayEquals(new int[] {12}, w.get(1).context());
        assertArrayEquals(new int[] {13, 14, 15}, w.get(1).continuation());
        assertArrayEquals(new int[] {13, 14, 15}, w.get(2).context());
        assertArrayEquals(new int[] {16}, w.get(2).continuation());
    }

    @Test
    void rollingPerplexityOnATextLongerThanTheContextEqualsTheDirectComputation() {
        int maxContext = 4;
        ToyModels.FunctionModel lm = ToyModels.wholeContext(13, maxContext, 12);
        int[] tokens = {5, 3, 8, 1, 9, 2, 7, 7, 0, 4, 6};       // N = 11 > 4
        double direct = 0;
        for (int i = 0; i < tokens.length; i++) {
            direct += lm.logprob(expectedContext(tokens, i, maxContext, 12), tokens[i]);
        }
        Perplexity.Result r = Perplexity.ofTokens(lm, tokens);
        assertClose(direct, r.loglikelihood(), "rolling log-likelihood");
        assertEquals(11, r.tokens());
        assertEquals(3, r.windows());                            // 4 + 4 + 3
        assertClose(-direct / 11, r.loss(), "loss");
        assertClose(Math.exp(-direct / 11), r.perplexity(), "perplexity");
        for (int[] input : lm.seenInputs) assertTrue(input.length <= maxContext);
    }

    /**
     * The left context lm-eval gives token i (direct rule, not the window code): in the first window, the prefix
     * token and everything before i; later, windows of L predictions ending at e = min(L * (w + 1), N) read
     * tokens[e - L - 1, i), where w = i / L is the window of token i.
     */
    static int[] expectedContext(int[] tokens, int i, int l, int prefix) {
        if (i < l) {
            int[] ctx = new int[i + 1];
            ctx[0] = prefix;
            System.arraycopy(tokens, 0, ctx, 1, i);
            return ctx;
        }
        int w = i / l;
        int end = Math.min(l * (w + 1), tokens.length);
        return Arrays.copyOfRange(tokens, end - l - 1, i);
    }

    @Test
    void aTextThatFitsIsOneWindowFromTheBos() {
        ToyModels.FunctionModel lm = ToyModels.wholeContext(13, 16, 12);
        int[] tokens = {5, 3, 8, 1};
        double direct = 0;
        for (int i = 0; i < tokens.length; i++) {
            int[] ctx = new int[i + 1];
            ctx[0] = 12;
            System.arraycopy(tokens, 0, ctx, 1, i);
            direct += lm.logprob(ctx, tokens[i]);
        }
        assertClose(direct, Perplexity.ofTokens(lm, tokens).loglikelihood(), "one window");
        assertEquals(1, lm.seenInputs.size());
        assertArrayEquals(new int[] {12, 5, 3, 8}, lm.seenInputs.getFirst());
    }

    @Test
    void perplexityOfTextsCountsWordsAndBytesAsLmEval() {
        ToyModels.CharEncoder enc = new ToyModels.CharEncoder(" abc\n");
        ToyModels.FunctionModel lm = ToyModels.wholeContext(6, 4, 5);
        Perplexity.Result r = Perplexity.ofTexts(lm, enc, List.of("ab c\ncab", " a"));
        assertEquals(10, r.tokens());
        assertEquals(3 + 2, r.words());                           // re.split(r"\s+"): [ab, c, cab], ["", a]
        assertEquals(10, r.bytes());
        assertClose(Math.exp(-r.loglikelihood() / 5), r.wordPerplexity(), "word perplexity");
        assertClose(-r.loglikelihood() / 10 / Math.log(2), r.bitsPerByte(), "bits per byte");
    }
}
