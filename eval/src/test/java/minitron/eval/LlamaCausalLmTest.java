package minitron.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import minitron.tensor.Shape;
import minitron.tensor.Tensor;
import minitron.transformer.config.LlamaConfig;
import minitron.transformer.model.LlamaModel;
import org.junit.jupiter.api.Test;

/**
 * The LlamaModel adapter on a tiny random model: KV-cache continuation scoring, padded batches and cached greedy
 * decoding against full forwards, and rolling perplexity against a direct computation.
 */
class LlamaCausalLmTest {

    /**
     * Cached vs full forward differ only in F32 summation order (LlamaInferenceTest measures < 1e-6 on logits of
     * magnitude ~1); a log-softmax moves by at most twice the largest logit difference: 2e-5 absolute, plus
     * 1e-5 relative for summed log-likelihoods of a few tokens.
     */
    static final double LOGPROB_ATOL = 2e-5;
    static final double LOGPROB_RTOL = 1e-5;

    static final int VOCAB = 37;
    static final int BOS = 1;

    static LlamaModel tinyModel() {
        return tinyModel(LlamaConfig.LLAMA, null);
    }

    /** The tiny random model as {@code modelType} with the given sliding window (null for none). */
    static LlamaModel tinyModel(String modelType, Integer slidingWindow) {
        // model_type, hidden, intermediate, layers, heads, kv heads, head_dim, rms eps, rope_theta, rope_scaling,
        // max_position_embeddings, vocab, tied, bos, eos, sliding_window, torch_dtype
        LlamaConfig config = new LlamaConfig(modelType, 16, 24, 2, 4, 2, 4, 1e-5, 10000.0, null,
                64, VOCAB, false, BOS, List.of(2), slidingWindow, "float32");
        Random random = new Random(7);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Shape> e : config.expectedTensors().entrySet()) {
            int[] dims = e.getValue().dims();
            int n = 1;
            for (int d : dims) n *= d;
            float[] values = new float[n];
            boolean norm = e.getKey().endsWith("norm.weight");
            for (int i = 0; i < n; i++) values[i] = norm ? 1f : (float) (0.5 * random.nextGaussian());
            tensors.put(e.getKey(), Tensor.of(values, dims));
        }
        return LlamaModel.fromTensors(config, tensors, false);
    }

    /** The same model through CausalLm's defaults only (full forwards, no cache). */
    static CausalLm fullForwardsOnly(LlamaCausalLm lm) {
        return new CausalLm() {
            public int vocabSize() { return lm.vocabSize(); }
            public int maxContext() { return lm.maxContext(); }
            public Integer bosId() { return lm.bosId(); }
            public List<Integer> eosIds() { return lm.eosIds(); }
            public List<double[]> targetLogprobs(List<int[]> inputs, List<int[]> targets) {
                List<double[]> out = new ArrayList<>();
                for (int i = 0; i < inputs.size(); i++) {            // one sequence per forward: no padding
                    out.add(lm.targetLogprobs(List.of(inputs.get(i)), List.of(targets.get(i))).getFirst());
                }
                return out;
            }
            public int greedyNext(int[] tokens) { return lm.greedyNext(tokens); }
        };
    }

    static void assertClose(double expected, double actual, String what) {
        double tol = LOGPROB_ATOL + LOGPROB_RTOL * Math.abs(expected);
        assertTrue(Math.abs(expected - actual) <= tol, what + ": expected " + expected + ", found " + actual
                + " (diff " + Math.abs(expected - actual) + ", tolerance " + tol + ")");
    }

    @Test
    void kvCacheContinuationsEqualFullForwards() {
        try (LlamaModel model = tinyModel()) {
            LlamaCausalLm lm = new LlamaCausalLm(model);
            List<CausalLm.ContextRequest> requests = List.of(
                    new CausalLm.ContextRequest(new int[] {1, 5, 9, 3, 30, 12, 7},
                            List.of(new int[] {4}, new int[] {8, 8, 36}, new int[] {0, 11})),
                    new CausalLm.ContextRequest(new int[] {1}, List.of(new int[] {20, 21, 22, 23})));
            List<List<double[]>> cached = lm.continuationLogprobs(requests);
            List<List<double[]>> full = fullForwardsOnly(lm).continuationLogprobs(requests);
            for (int r = 0; r < requests.size(); r++) {
                for (int c = 0; c < requests.get(r).continuations().size(); c++) {
                    double[] a = full.get(r).get(c), b = cached.get(r).get(c);
                    assertEquals(a.length, b.length);
                    for (int j = 0; j < a.length; j++) assertClose(a[j], b[j], "request " + r + " continuation " + c + " token " + j);
                }
            }
        }
    }

    /**
     * Mistral with sliding_window 3: the window does not cap the context (max_position_embeddings does, as in
     * lm-eval), and continuations scored through the KV cache past the window equal full forwards.
     */
    @Test
    void aSlidingWindowDoesNotCapTheContextAndCachedScoringMatches() {
        try (LlamaModel model = tinyModel(LlamaConfig.MISTRAL, 3)) {
            LlamaCausalLm lm = new LlamaCausalLm(model);
            assertEquals(64, lm.maxContext(), "max_position_embeddings, not the sliding window");
            List<CausalLm.ContextRequest> requests = List.of(new CausalLm.ContextRequest(
                    new int[] {1, 5, 9, 3, 30, 12, 7}, List.of(new int[] {4, 6, 17}, new int[] {8, 8, 36, 2, 19})));
            List<List<double[]>> cached = lm.continuationLogprobs(requests);
            List<List<double[]>> full = fullForwardsOnly(lm).continuationLogprobs(requests);
            for (int c = 0; c < 2; c++) {
                double[] a = full.getFirst().get(c), b = cached.getFirst().get(c);
                assertEquals(a.length, b.length);
                for (int j = 0; j < a.length; j++) assertClose(a[j], b[j], "continuation " + c + " token " + j);
            }
        }
    }

    @Test
    void aPaddedBatchEqualsEachSequenceAlone() {
        try (LlamaModel model = tinyModel()) {
            LlamaCausalLm lm = new LlamaCausalLm(model);
            List<int[]> inputs = List.of(new int[] {1, 2, 3}, new int[] {1, 9, 8, 7, 6, 5, 4}, new int[] {33});
            List<int[]> targets = List.of(new int[] {2, 3, 4}, new int[] {9, 8, 7, 6, 5, 4, 3}, new int[] {0});
            List<double[]> batched = lm.targetLogprobs(inputs, targets);
            for (int i = 0; i < inputs.size(); i++) {
                double[] alone = lm.targetLogprobs(List.of(inputs.get(i)), List.of(targets.get(i))).getFirst();
                for (int j = 0; j < alone.length; j++) assertClose(alone[j], batched.get(i)[j], "sequence " + i + " position " + j);
            }
        }
    }

    @Test
    void cachedGreedyDecodingEqualsFullForwardGreedyDecoding() {
        try (LlamaModel model = tinyModel()) {
            LlamaCausalLm lm = new LlamaCausalLm(model);
            int[] prompt = {1, 14, 15, 16};
            int[] cached = lm.greedyContinuation(prompt, 12, soFar -> false);
            int[] full = fullForwardsOnly(lm).greedyContinuation(prompt, 12, soFar -> false);
            assertArrayEquals(full, cached);
            assertTrue(cached.length > 0);
        }
    }

    @Test
    void rollingPerplexityEqualsTheDirectComputation() {
        try (LlamaModel model = tinyModel()) {
            int maxContext = 8;
            LlamaCausalLm lm = new LlamaCausalLm(model, maxContext);
            int[] tokens = new int[29];
            Random random = new Random(3);
            for (int i = 0; i < tokens.length; i++) tokens[i] = 3 + random.nextInt(VOCAB - 3);
            double direct = 0;
            for (int i = 0; i < tokens.length; i++) {
                int[] context = ScoringTest.expectedContext(tokens, i, maxContext, BOS);
                double[] lp = lm.targetLogprobs(List.of(context),
                        List.of(CausalLm.concat(Arrays.copyOfRange(context, 1, context.length), new int[] {tokens[i]})))
                        .getFirst();
                direct += lp[lp.length - 1];
            }
            Perplexity.Result r = Perplexity.ofTokens(lm, tokens);
            assertEquals(4, r.windows());                     // 8 + 8 + 8 + 5
            assertClose(direct, r.loglikelihood(), "rolling log-likelihood");
        }
    }

    @Test
    void multipleChoiceThroughTheCacheEqualsFullForwards() {
        try (LlamaModel model = tinyModel()) {
            LlamaCausalLm lm = new LlamaCausalLm(model, 24);   // item 1: 18 + 4 chars fit in 25, item 2: 31 + 3 do not
            ToyModels.CharEncoder enc = new ToyModels.CharEncoder(" abcdefghijklmnopqrstuvwxyz.,");  // 29 < 37
            List<ChoiceItem> items = List.of(
                    ChoiceItem.of("1", "the cat sat on the", List.of("mat", "hat", "dog"), 0),
                    ChoiceItem.of("2", "a quick brown fox jumps over it", List.of("yes", "no"), 1));  // truncated
            MultipleChoice.Result cached = MultipleChoice.evaluate(lm, enc, items, MultipleChoice.Options.DEFAULT);
            MultipleChoice.Result full = MultipleChoice.evaluate(fullForwardsOnly(lm), enc, items, MultipleChoice.Options.DEFAULT);
            assertEquals(1, cached.truncated());
            for (int i = 0; i < items.size(); i++) {
                for (int c = 0; c < items.get(i).choices().size(); c++) {
                    assertClose(full.loglikelihoods().get(i)[c], cached.loglikelihoods().get(i)[c], "item " + i + " choice " + c);
                }
            }
            assertEquals(full.acc(), cached.acc());
            assertEquals(full.accNorm(), cached.accNorm());
        }
    }

    @Test
    void smallLogitBudgetsChunkContinuationsAndBatchesWithoutChangingResults() {
        try (LlamaModel model = tinyModel()) {
            LlamaCausalLm whole = new LlamaCausalLm(model, 16);
            LlamaCausalLm chunked = new LlamaCausalLm(model, 16, 3L * VOCAB);   // 3 positions per forward
            int[] tokens = new int[40];
            Random random = new Random(11);
            for (int i = 0; i < tokens.length; i++) tokens[i] = 3 + random.nextInt(VOCAB - 3);
            assertClose(Perplexity.ofTokens(whole, tokens).loglikelihood(),
                    Perplexity.ofTokens(chunked, tokens).loglikelihood(), "rolling log-likelihood, chunked");
            List<int[]> inputs = List.of(new int[] {1, 2, 3, 4}, new int[] {1, 9}, new int[] {5, 6, 7});
            List<int[]> targets = List.of(new int[] {2, 3, 4, 5}, new int[] {9, 8}, new int[] {6, 7, 8});
            List<double[]> a = whole.targetLogprobs(inputs, targets), b = chunked.targetLogprobs(inputs, targets);
            for (int i = 0; i < inputs.size(); i++) {
                for (int j = 0; j < a.get(i).length; j++) assertClose(a.get(i)[j], b.get(i)[j], "sequence " + i + " position " + j);
            }
        }
    }

    @Test
    void kvCacheTruncateRefusesALengthOutsideWhatIsFilled() {
        try (LlamaModel model = tinyModel()) {
            minitron.transformer.model.KVCache cache = model.newCache(1, 8);
            model.forward(Tensor.of(new int[] {1, 2, 3}, 1, 3), cache, true);
            cache.truncate(1);
            assertEquals(1, cache.length());
            var e = org.junit.jupiter.api.Assertions.assertThrows(minitron.tensor.TensorException.class, () -> cache.truncate(2));
            assertTrue(e.getMessage().contains("KVCache.truncate"), e.getMessage());
            org.junit.jupiter.api.Assertions.assertThrows(minitron.tensor.TensorException.class, () -> cache.truncate(-1));
        }
    }
}
