package minitron.transformer.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import minitron.autograd.NoGrad;
import minitron.tensor.Tensor;
import minitron.transformer.model.LlamaModel;
import minitron.transformer.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Sampling rules on hand-made distributions, and generation on the tiny golden checkpoint (vocabulary 40). */
class GenerationTest {

    /** Probabilities are computed in double from float logits of exact log-values: 1e-6 covers the float rounding. */
    static final double PROB_ATOL = 1e-6;

    /**
     * Empirical frequencies of N = 40000 seeded draws: the standard deviation of a frequency is at most
     * sqrt(0.25 / N) = 0.0025; 0.0125 is five standard deviations (the seed is fixed, so the test is deterministic).
     */
    static final double FREQUENCY_ATOL = 0.0125;

    static final float[] FIVE = logs(0.5, 0.2, 0.15, 0.1, 0.05);

    static LlamaModel model;

    static float[] logs(double... p) {
        float[] out = new float[p.length];
        for (int i = 0; i < p.length; i++) out[i] = (float) Math.log(p[i]);
        return out;
    }

    static Path resource(String name) throws URISyntaxException {
        return Path.of(GenerationTest.class.getResource("/" + name).toURI());
    }

    @BeforeAll
    static void load() throws URISyntaxException {
        model = LlamaModel.load(resource("llama/llama_gqa"), LlamaModel.Mode.INFERENCE);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static void assertProbabilities(double[] expected, double[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], PROB_ATOL, "p[" + i + "] of " + Arrays.toString(actual));
        }
    }

    @Test
    void temperatureOneKeepsTheDistribution() {
        assertProbabilities(new double[]{0.5, 0.2, 0.15, 0.1, 0.05},
                Sampler.probabilities(FIVE, new Sampler.Settings(1, 0, 1, 0)));
    }

    @Test
    void temperatureSharpensAndFlattens() {
        // T = 0.5 squares the probabilities (renormalised); T -> large flattens toward uniform
        double z = 0.25 + 0.04 + 0.0225 + 0.01 + 0.0025;
        assertProbabilities(new double[]{0.25 / z, 0.04 / z, 0.0225 / z, 0.01 / z, 0.0025 / z},
                Sampler.probabilities(FIVE, new Sampler.Settings(0.5, 0, 1, 0)));
        double[] flat = Sampler.probabilities(FIVE, new Sampler.Settings(1e6, 0, 1, 0));
        for (double p : flat) assertEquals(0.2, p, 1e-5);
    }

    @Test
    void topKKeepsTheKMostProbable() {
        assertProbabilities(new double[]{0.5 / 0.7, 0.2 / 0.7, 0, 0, 0},
                Sampler.probabilities(FIVE, new Sampler.Settings(1, 2, 1, 0)));
        // k >= V keeps everything
        assertProbabilities(new double[]{0.5, 0.2, 0.15, 0.1, 0.05},
                Sampler.probabilities(FIVE, new Sampler.Settings(1, 5, 1, 0)));
    }

    @Test
    void topKKeepsTiesWithTheKthAsHfDoes() {
        float[] tied = logs(0.4, 0.2, 0.2, 0.2);
        assertProbabilities(new double[]{0.4, 0.2, 0.2, 0.2}, Sampler.probabilities(tied, new Sampler.Settings(1, 2, 1, 0)));
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        // 0.5 + 0.2 = 0.7 < 0.75, + 0.15 = 0.85 >= 0.75: three tokens kept
        assertProbabilities(new double[]{0.5 / 0.85, 0.2 / 0.85, 0.15 / 0.85, 0, 0},
                Sampler.probabilities(FIVE, new Sampler.Settings(1, 0, 0.75, 0)));
        // p below the top probability keeps only the most probable token
        assertProbabilities(new double[]{1, 0, 0, 0, 0}, Sampler.probabilities(FIVE, new Sampler.Settings(1, 0, 0.3, 0)));
    }

    @Test
    void topKThenTopP() {
        // top-k 3 leaves {0.5, 0.2, 0.15} / 0.85 = {0.588, 0.235, 0.176}; top-p 0.8 then keeps the first two
        assertProbabilities(new double[]{0.5 / 0.7, 0.2 / 0.7, 0, 0, 0},
                Sampler.probabilities(FIVE, new Sampler.Settings(1, 3, 0.8, 0)));
    }

    /**
     * Found by reference/fuzz_hf_generate.py: logits of 1e-30 differ, but exp of their differences is 1.0 in double,
     * so the three probabilities are equal doubles. HF's TopPLogitsWarper ranks tokens by their scores, not by the
     * rounded probabilities, and keeps the two largest logits (1/3 < 0.5 <= 2/3); ranking by probability kept
     * tokens 0 and 1.
     */
    @Test
    void topPRanksByLogitWhereProbabilitiesRoundToEqual() {
        float[] tiny = {1e-30f, 3e-30f, 2e-30f};
        Sampler.Settings s = new Sampler.Settings(1, 0, 0.5, 0);
        assertProbabilities(new double[]{0, 0.5, 0.5}, Sampler.probabilities(tiny, s));
        double[] scores = Sampler.filteredLogits(tiny, s);
        assertEquals(Double.NEGATIVE_INFINITY, scores[0]);
        assertEquals(3e-30f, scores[1]);
        assertEquals(2e-30f, scores[2]);
    }

    /**
     * Found by reference/fuzz_hf_generate.py: HF's generate divides float32 logits by T in float32, where 1.5 and the
     * next float above it both give 0.3f at T = 5: tied, so top-k 1 keeps both (with equal probabilities). Dividing
     * in double kept them apart and kept one.
     */
    @Test
    void temperatureDividesInFloat32SoRoundedQuotientsTieForTopK() {
        float[] close = {1.5f, Math.nextUp(1.5f), 0f};
        Sampler.Settings s = new Sampler.Settings(5, 1, 1, 0);
        assertArrayEquals(new double[]{0.3f, 0.3f, Double.NEGATIVE_INFINITY}, Sampler.filteredLogits(close, s));
        assertProbabilities(new double[]{0.5, 0.5, 0}, Sampler.probabilities(close, s));
    }

    /**
     * Dividing in float32 makes 10 / 1e-38 overflow to infinity, and the softmax NaN, as in HF (whose
     * torch.multinomial then refuses the row): a clear error, not a silent draw of the last token.
     */
    @Test
    void aTemperatureThatOverflowsTheScaledLogitsIsAnError() {
        Sampler sampler = new Sampler(new Sampler.Settings(1e-38, 0, 1, 0));
        RuntimeException e = assertThrows(RuntimeException.class, () -> sampler.sample(new float[]{10f, 0f}));
        assertTrue(e.getMessage().contains("overflows float32"), e.getMessage());
        assertEquals(0, new Sampler(new Sampler.Settings(1e-30, 0, 1, 0)).sample(new float[]{10f, 0f}));
    }

    @Test
    void seededDrawsFollowTheDistribution() {
        Sampler sampler = new Sampler(new Sampler.Settings(1, 0, 0.75, 7));
        int n = 40000;
        int[] counts = new int[5];
        for (int i = 0; i < n; i++) counts[sampler.sample(FIVE)]++;
        double[] expected = {0.5 / 0.85, 0.2 / 0.85, 0.15 / 0.85, 0, 0};
        for (int i = 0; i < 5; i++) {
            assertEquals(expected[i], counts[i] / (double) n, FREQUENCY_ATOL, "frequency of " + i + ": " + Arrays.toString(counts));
        }
        assertEquals(0, counts[3] + counts[4], "filtered tokens are never drawn");
    }

    @Test
    void greedyIsTheArgmaxAndIgnoresTheSeed() {
        Sampler a = new Sampler(new Sampler.Settings(0, 0, 1, 1));
        Sampler b = new Sampler(new Sampler.Settings(0, 3, 0.5, 99));
        assertEquals(0, a.sample(FIVE));
        assertEquals(2, b.sample(logs(0.1, 0.2, 0.4, 0.3)));
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Sampler.Settings(-1, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sampler.Settings(1, -1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sampler.Settings(1, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sampler.Settings(1, 0, 1.5, 0));
    }

    // ------------------------------------------------------------------ generation on the tiny model

    static final int[] PROMPT = {5, 17, 3, 22};

    @Test
    void greedyGenerationEqualsRepeatedFullForwardArgmax() {
        Generator.Result r = new Generator(model).generate(PROMPT, 8, new Sampler(Sampler.Settings.GREEDY), Set.of(), null);
        assertEquals(Generator.Stop.LENGTH, r.stop());
        assertEquals(8, r.ids().length);
        int[] seq = Arrays.copyOf(PROMPT, PROMPT.length + 8);
        try (NoGrad scope = NoGrad.enter()) {
            for (int i = 0; i < 8; i++) {
                int len = PROMPT.length + i;
                Tensor logits = model.forward(Tensor.of(Arrays.copyOf(seq, len), 1, len)).value(); // no cache
                seq[len] = Sampler.argmax(Generator.lastLogits(logits));
            }
        }
        assertArrayEquals(Arrays.copyOfRange(seq, PROMPT.length, seq.length), r.ids());
    }

    /**
     * On mistral_swa (sliding_window 5): 12 new tokens after a 4-token prompt take the cache to 16 positions, far
     * past the window; greedy decoding with the cache picks what the full forward (no cache) picks at each step.
     */
    @Test
    void greedyGenerationPastTheSlidingWindowEqualsRepeatedFullForwardArgmax() throws URISyntaxException {
        int steps = 12;
        try (LlamaModel mistral = LlamaModel.load(resource("llama/mistral_swa"), LlamaModel.Mode.INFERENCE)) {
            assertEquals(5, mistral.config.slidingWindow());
            Generator.Result r = new Generator(mistral).generate(PROMPT, steps, new Sampler(Sampler.Settings.GREEDY),
                    Set.of(), null);
            int[] seq = Arrays.copyOf(PROMPT, PROMPT.length + steps);
            try (NoGrad scope = NoGrad.enter()) {
                for (int i = 0; i < steps; i++) {
                    int len = PROMPT.length + i;
                    Tensor logits = mistral.forward(Tensor.of(Arrays.copyOf(seq, len), 1, len)).value(); // no cache
                    seq[len] = Sampler.argmax(Generator.lastLogits(logits));
                }
            }
            assertArrayEquals(Arrays.copyOfRange(seq, PROMPT.length, seq.length), r.ids());
        }
    }

    @Test
    void theSameSeedGivesTheSameTokensAndAnotherSeedOthers() {
        Generator g = new Generator(model);
        Sampler.Settings s = new Sampler.Settings(1.5, 0, 1, 1234);
        int[] first = g.generate(PROMPT, 24, new Sampler(s), Set.of(), null).ids();
        int[] again = g.generate(PROMPT, 24, new Sampler(s), Set.of(), null).ids();
        int[] other = g.generate(PROMPT, 24, new Sampler(new Sampler.Settings(1.5, 0, 1, 4321)), Set.of(), null).ids();
        assertArrayEquals(first, again);
        assertFalse(Arrays.equals(first, other), "seeds 1234 and 4321 drew the same 24 tokens: " + Arrays.toString(first));
    }

    @Test
    void generationStopsAtEos() {
        Generator g = new Generator(model);
        Sampler.Settings s = new Sampler.Settings(1.5, 0, 1, 5);
        int[] free = g.generate(PROMPT, 12, new Sampler(s), Set.of(), null).ids();
        int eos = free[4];
        int firstAt = 0;
        while (free[firstAt] != eos) firstAt++;
        Generator.Result r = g.generate(PROMPT, 12, new Sampler(s), Set.of(eos, 39), null);
        assertEquals(Generator.Stop.EOS, r.stop());
        assertArrayEquals(Arrays.copyOf(free, firstAt + 1), r.ids(), "the same draws up to and including the EOS id");
    }

    @Test
    void maxNewTokensZeroGeneratesNothing() {
        Generator.Result r = new Generator(model).generate(PROMPT, 0, new Sampler(Sampler.Settings.GREEDY), Set.of(), null);
        assertEquals(0, r.ids().length);
    }

    @Test
    void streamedTextIsTheDecodeOfTheIds() throws URISyntaxException {
        Tokenizer tokenizer = Tokenizer.load(resource("llama3.1/tokenizer.json"));
        StringBuilder streamed = new StringBuilder();
        int[] seen = new int[1];
        Generator.Result r = new Generator(model).generateText(tokenizer, PROMPT, 10,
                new Sampler(new Sampler.Settings(1, 0, 1, 3)), Set.of(), piece -> {
                    streamed.append(piece);
                    seen[0]++;
                });
        assertEquals(tokenizer.decode(r.ids(), true), streamed.toString());
        assertTrue(seen[0] > 1, "text arrives piece by piece");
    }

    @Test
    void promptIdsOutsideTheVocabularyAreRefused() {
        RuntimeException e = assertThrows(RuntimeException.class, () -> new Generator(model)
                .generate(new int[]{1, 40}, 1, new Sampler(Sampler.Settings.GREEDY), Set.of(), null));
        assertTrue(e.getMessage().contains("[0, 40)") && e.getMessage().contains("40 at position 1"), e.getMessage());
    }
}
