package minitron.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** GSM8K answer extraction (lm-eval's two filters and exact_match) and greedy generation until a stop sequence. */
class GenerationTest {

    @Test
    void strictMatchTakesTheFirstHashAnswer() {
        assertEquals("72.", Generation.strictMatch("48 + 24 = 72 clips.\n#### 72."));
        assertEquals("-3", Generation.strictMatch("#### -3\n#### 5"));
        assertEquals(Generation.INVALID, Generation.strictMatch("The answer is 72."));
    }

    @Test
    void flexibleExtractTakesTheLastNumber() {
        assertEquals("$1,234.", Generation.flexibleExtract("She had 5 cows, then $1,234."));
        assertEquals("7", Generation.flexibleExtract("first 12 then 7"));    // "7" alone: the second group
        assertEquals(Generation.INVALID, Generation.flexibleExtract("no digits here"));
    }

    @Test
    void exactMatchIgnoresCommasDollarsTheWorkingAndAFinalPeriod() {
        String reference = "1200 + 34 = <<1200+34=1234>>1234\n#### 1,234";
        assertTrue(Generation.exactMatch(Generation.strictMatch("so #### 1,234."), reference));
        assertTrue(Generation.exactMatch(Generation.flexibleExtract("The total is $1234."), reference));
        assertFalse(Generation.exactMatch(Generation.flexibleExtract("The total is 1233."), reference));
        assertFalse(Generation.exactMatch(Generation.INVALID, reference));
    }

    @Test
    void cutAtStopKeepsTheTextBeforeTheFirstStopSequence() {
        assertEquals(" 4\n\n", Generation.cutAtStop(" 4\n\nQuestion: next</s>", Generation.GSM8K_UNTIL));
    }

    @Test
    void greedyGenerationStopsAtTheStopSequenceAndIsScored() {
        String alphabet = " #0123456789\nQ:ab";
        ToyModels.CharEncoder enc = new ToyModels.CharEncoder(alphabet);
        String prompt = "Q: ab\n";
        String script = " #### 42\nQ: never reached";
        // The model "says" the script: the greedy next token after n generated tokens is script[n].
        ToyModels.FunctionModel lm = new ToyModels.FunctionModel(alphabet.length() + 1, 64, alphabet.length(), List.of(),
                context -> {
                    float[] logits = new float[alphabet.length() + 1];
                    int n = context.length - prompt.length();
                    logits[alphabet.indexOf(script.charAt(n))] = 5f;
                    return logits;
                });
        Generation.Result r = Generation.evaluate(lm, enc, List.of(new Generation.Item("1", prompt, "#### 42")),
                List.of("Q:"), 40, false);
        assertEquals(" #### 42\n", r.responses().getFirst());
        assertEquals(1.0, r.strictMatch());
        assertEquals(1.0, r.flexibleMatch());
        int[] generated = lm.greedyContinuation(enc.encode(prompt, false), 40,
                soFar -> enc.decode(soFar.stream().mapToInt(Integer::intValue).toArray()).contains("Q:"));
        assertEquals(" #### 42\nQ:", enc.decode(generated));   // stops right after the stop sequence appears
        int[] capped = lm.greedyContinuation(enc.encode(prompt, false), 3, soFar -> false);
        assertEquals(" ##", enc.decode(capped));
    }
}
