package minitron.eval;

import static minitron.eval.ScoringTest.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** acc, acc_norm and their standard errors on items small enough to score by hand; Winogrande partial scoring. */
class MultipleChoiceTest {

    // Alphabet " abc" -> ids 0..3, BOS = 4. p[prev][next], rows sum to 1.
    static final double[][] P = {
            /* after ' ' */ {0.04, 0.05, 0.40, 0.50, 0.01},
            /* after a   */ {0.50, 0.20, 0.10, 0.10, 0.10},
            /* after b   */ {0.50, 0.10, 0.10, 0.20, 0.10},
            /* after c   */ {0.25, 0.10, 0.05, 0.50, 0.10},
            /* after BOS */ {0.20, 0.20, 0.20, 0.20, 0.20},
    };

    /** log p computed in float by the model (logits = (float) log p); 1e-6 covers float rounding of log p. */
    static final double LOGP_ATOL = 1e-6;

    @Test
    void accAndAccNormOnTwoHandCheckedItems() {
        ToyModels.CharEncoder enc = new ToyModels.CharEncoder(" abc");
        ToyModels.FunctionModel lm = ToyModels.bigram(P, 16, 4, List.of());
        List<ChoiceItem> items = List.of(
                ChoiceItem.of("1", "a", List.of("b", "cc"), 1),
                ChoiceItem.of("2", "b", List.of("a", "b"), 1));
        MultipleChoice.Result r = MultipleChoice.evaluate(lm, enc, items, MultipleChoice.Options.DEFAULT);
        // item 1: ll(" b")  = log p(' '|a) + log p(b|' ') = log .5 + log .4  = -1.6094  (per char: /1)
        //         ll(" cc") = log .5 + log p(c|' ') + log p(c|c) = log .5 + log .5 + log .5 = -2.0794 (/2 = -1.0397)
        //         acc: argmax picks " b" (0) != gold 1 -> 0; acc_norm picks " cc" -> 1
        // item 2: ll(" a") = log p(' '|b) + log p(a|' ') = log .5 + log .05 = -3.6889; ll(" b") = log .5 + log .4
        //         both metrics pick " b" = gold -> 1, 1
        double[] lls1 = r.loglikelihoods().get(0);
        double[] lls2 = r.loglikelihoods().get(1);
        assertEquals(Math.log(0.5) + Math.log(0.4), lls1[0], LOGP_ATOL);
        assertEquals(3 * Math.log(0.5), lls1[1], LOGP_ATOL);
        assertEquals(Math.log(0.5) + Math.log(0.05), lls2[0], LOGP_ATOL);
        assertEquals(Math.log(0.5) + Math.log(0.4), lls2[1], LOGP_ATOL);
        assertEquals(0.5, r.acc());
        assertEquals(1.0, r.accNorm());
        // mean_stderr of [0, 1]: sample std sqrt(0.5) / sqrt(2) = 0.5; of [1, 1]: 0
        assertClose(0.5, r.accStderr(), "acc stderr");
        assertEquals(0.0, r.accNormStderr());
        assertEquals(2, r.items());
        assertEquals(0, r.truncated());
    }

    @Test
    void accNormDividesByCharactersOfTheChoiceNotBytesAndNotTheDelimiter() {
        // "é" is 1 character, 2 UTF-8 bytes. Constant model: every token has log-prob -1, so ll = -(tokens).
        TokenEncoder enc = new TokenEncoder() {
            @Override
            public int[] encode(String text, boolean addBos) {
                return text.codePoints().map(c -> 0).toArray();
            }

            @Override
            public String decode(int[] ids) {
                return "";
            }
        };
        CausalLm lm = new ToyModels.FunctionModel(2, 16, 1, List.of(), ctx -> new float[] {0f, 0f}); // log .5 each
        // choice A "éé": continuation " éé" = 3 tokens, ll = 3 log .5, / 2 chars = 1.5 log .5
        // choice B "xyz": continuation " xyz" = 4 tokens, ll = 4 log .5, / 3 chars = 1.333 log .5 (larger: picked)
        // by bytes A would be 3 log .5 / 4 = 0.75 log .5 and win
        ChoiceItem item = ChoiceItem.of("x", "q", List.of("éé", "xyz"), 1);
        MultipleChoice.Result r = MultipleChoice.evaluate(lm, enc, List.of(item), MultipleChoice.Options.DEFAULT);
        assertEquals(1.0, r.accNorm());
        assertEquals(0.0, r.acc());
    }

    @Test
    void winograndeScoresOnlyThePartAfterTheBlankGivenEachFilledPrefix() {
        ToyModels.WordEncoder enc = new ToyModels.WordEncoder(64);
        ToyModels.FunctionModel lm = ToyModels.wholeContext(64, 64, 63);
        Tasks.WinograndeDoc doc = new Tasks.WinograndeDoc("The cup fell off the table because _ was round.",
                "the cup", "the table", 0);
        ChoiceItem item = Tasks.winogrande(List.of(doc), List.of(doc), 0, 1).getFirst();
        assertEquals("The cup fell off the table because the cup", item.choices().get(0).context());
        assertEquals("The cup fell off the table because the table", item.choices().get(1).context());
        assertEquals(" was round.", item.choices().get(0).continuation());
        assertEquals(" was round.", item.choices().get(1).continuation());
        MultipleChoice.Result r = MultipleChoice.evaluate(lm, enc, List.of(item), MultipleChoice.Options.DEFAULT);
        for (int c = 0; c < 2; c++) {
            int[] context = enc.encode(item.choices().get(c).context(), false);
            int[] target = enc.encode(" was round.", false);            // " was", " round."
            double direct = 0;
            for (int j = 0; j < target.length; j++) {
                int[] prefix = new int[context.length + j];
                System.arraycopy(context, 0, prefix, 0, context.length);
                System.arraycopy(target, 0, prefix, context.length, j);
                direct += lm.logprob(prefix, target[j]);
            }
            assertClose(direct, r.loglikelihoods().getFirst()[c], "winogrande option " + (c + 1));
        }
        double[] lls = r.loglikelihoods().getFirst();
        assertEquals(lls[0] >= lls[1] ? 1.0 : 0.0, r.acc());
    }

    @Test
    void choicesSharingAContextAreOneRequestAndTruncationIsCounted() {
        ToyModels.CharEncoder enc = new ToyModels.CharEncoder(" abc");
        List<CausalLm.ContextRequest> seen = new ArrayList<>();
        ToyModels.FunctionModel inner = ToyModels.bigram(P, 6, 4, List.of());
        CausalLm lm = new ToyModels.FunctionModel(5, 6, 4, List.of(), inner.logitsOf) {
            @Override
            public List<List<double[]>> continuationLogprobs(List<ContextRequest> requests) {
                seen.addAll(requests);
                return super.continuationLogprobs(requests);
            }
        };
        List<ChoiceItem> items = List.of(ChoiceItem.of("1", "abcabc", List.of("a", "bb", "c"), 0),
                ChoiceItem.of("2", "ab", List.of("a", "b"), 0));
        MultipleChoice.Result r = MultipleChoice.evaluate(lm, enc, items, new MultipleChoice.Options(false, 16));
        assertEquals(1, r.truncated());                // item 1: 6 + 3 tokens > 7 for " bb"
        // item 1: " a" and " c" keep context "abcabc"[1:] (6 + 2 = 8 > 7 -> drop 1); " bb" drops 2: two requests;
        // item 2: one request with both continuations
        assertEquals(3, seen.size());
        assertArrayEquals(enc.encode("bcabc", false), seen.get(0).context());
        assertEquals(2, seen.get(0).continuations().size());
        assertArrayEquals(enc.encode("cabc", false), seen.get(1).context());
        assertEquals(2, seen.get(2).continuations().size());
    }
}
