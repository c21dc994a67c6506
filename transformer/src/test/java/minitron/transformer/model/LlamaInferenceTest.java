package minitron.transformer.model;

import static minitron.tensor.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import minitron.autograd.Autograd;
import minitron.autograd.NoGrad;
import minitron.autograd.Var;
import minitron.tensor.DType;
import minitron.tensor.Tensor;
import minitron.tensor.TensorAssert;
import minitron.tensor.TensorException;
import minitron.transformer.config.LlamaConfig;
import minitron.transformer.io.Checkpoint;
import minitron.transformer.io.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * KV-cache decoding (past a sliding window too), batches, saving and the refusals of {@link LlamaModel}, on the
 * golden tiny checkpoints.
 */
class LlamaInferenceTest {

    /**
     * Cached decoding against the full forward: the same F32 arithmetic except the order of the attention
     * sums over positions (blocked vs one row at a time) and the matmul blocking for T = 1 vs T = 7 rows
     * (GEMV vs GEMM); the largest difference measured over all cases is 1.4e-6 on logits of magnitude up to ~8,
     * so 1e-5 + 1e-5 * |ref| leaves a margin of 7x or more.
     */
    static final double CACHE_ATOL = 1e-5;
    static final double CACHE_RTOL = 1e-5;

    static Stream<String> names() {
        return LlamaGolden.cases().keySet().stream();
    }

    /** Row {@code row} of ids (B, T) as (1, T). */
    static Tensor row(Tensor ids, int row) {
        return ids.slice(0, row, row + 1).contiguous();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("names")
    void prefillThenOneTokenAtATimeEqualsTheFullForward(String name) {
        LlamaGolden.Case c = LlamaGolden.get(name);
        Tensor ids = c.inputs().get("ids").tensor();                      // (B, T)
        int b = ids.dim(0), t = ids.dim(1), prefill = 3;
        try (LlamaModel model = LlamaModel.load(c.modelDir(), LlamaModel.Mode.INFERENCE);
             NoGrad scope = NoGrad.enter()) {
            KVCache cache = model.newCache(b, t + 2);
            assertCachedDecodingEqualsTheFullForward(model, ids, prefill, cache, name);
            assertEquals(t, cache.length());
        }
    }

    /** Prefill of the first {@code prefill} ids, then one id at a time, each step against the full forward. */
    static void assertCachedDecodingEqualsTheFullForward(LlamaModel model, Tensor ids, int prefill, KVCache cache,
                                                         String name) {
        int t = ids.dim(1);
        Tensor full = model.forward(ids).value();                         // (B, T, V)
        Tensor first = model.forward(ids.slice(1, 0, prefill).contiguous(), cache).value();
        assertEquals(prefill, cache.length());
        assertClose(full.slice(1, 0, prefill).contiguous(), first, CACHE_ATOL, CACHE_RTOL, name + " prefill");
        for (int pos = prefill; pos < t; pos++) {
            Tensor step = model.forward(ids.slice(1, pos, pos + 1).contiguous(), cache).value(); // (B, 1, V)
            assertClose(full.slice(1, pos, pos + 1).contiguous(), step, CACHE_ATOL, CACHE_RTOL,
                    name + " decode position " + pos + " (cache holds " + cache.allocated() + ")");
            assertTrue(cache.allocated() >= cache.length() && cache.allocated() <= cache.capacity(),
                    "allocated " + cache.allocated());
        }
    }

    /** The same with a cache that starts with one position and doubles its memory as the forwards need more. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("names")
    void aCacheThatGrowsKeepsWhatItHolds(String name) {
        LlamaGolden.Case c = LlamaGolden.get(name);
        Tensor ids = c.inputs().get("ids").tensor();                      // (B, T)
        int b = ids.dim(0), t = ids.dim(1), prefill = 3;
        try (LlamaModel model = LlamaModel.load(c.modelDir(), LlamaModel.Mode.INFERENCE);
             NoGrad scope = NoGrad.enter()) {
            KVCache cache = new KVCache(model.config, b, t, 1);
            assertEquals(1, cache.allocated());
            assertCachedDecodingEqualsTheFullForward(model, ids, prefill, cache, name);
            assertEquals(t, cache.allocated(), "doubling stops at the capacity");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("names")
    void lastPositionOnlyIsTheLastRowOfTheFullLogits(String name) {
        LlamaGolden.Case c = LlamaGolden.get(name);
        Tensor ids = c.inputs().get("ids").tensor();                      // (B, T)
        int t = ids.dim(1);
        try (LlamaModel model = LlamaModel.load(c.modelDir(), LlamaModel.Mode.INFERENCE);
             NoGrad scope = NoGrad.enter()) {
            Tensor full = model.forward(ids).value();                     // (B, T, V)
            Tensor last = model.forward(ids, model.newCache(ids.dim(0), t), true).value();   // (B, 1, V)
            assertEquals(1, last.dim(1));
            assertClose(full.slice(1, t - 1, t).contiguous(), last, CACHE_ATOL, CACHE_RTOL, name + " last position");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("names")
    void aBatchOfTwoDifferentPromptsEqualsEachAlone(String name) {
        LlamaGolden.Case c = LlamaGolden.get(name);
        Tensor ids = c.inputs().get("ids").tensor();                      // (2, T), two different rows
        try (LlamaModel model = LlamaModel.load(c.modelDir(), LlamaModel.Mode.INFERENCE);
             NoGrad scope = NoGrad.enter()) {
            Tensor both = model.forward(ids).value();
            KVCache cache = model.newCache(2, ids.dim(1));
            model.forward(ids.slice(1, 0, 4).contiguous(), cache);
            Tensor bothStep = model.forward(ids.slice(1, 4, 5).contiguous(), cache).value();   // (2, 1, V)
            for (int r = 0; r < 2; r++) {
                Tensor alone = model.forward(row(ids, r)).value();       // (1, T, V)
                assertClose(alone, both.slice(0, r, r + 1).contiguous(), CACHE_ATOL, CACHE_RTOL, name + " row " + r);
                assertClose(alone.slice(1, 4, 5).contiguous(), bothStep.slice(0, r, r + 1).contiguous(),
                        CACHE_ATOL, CACHE_RTOL, name + " cached row " + r);
            }
        }
    }

    @Test
    void theCacheGrowsToWhatAForwardNeedsThenDoublesUpToItsCapacity() {
        LlamaGolden.Case c = LlamaGolden.get("llama_gqa");
        try (LlamaModel model = LlamaModel.load(c.modelDir(), LlamaModel.Mode.INFERENCE)) {
            KVCache cache = new KVCache(model.config, 1, 20, 1);
            int[][] forwards = {{3, 3}, {1, 6}, {1, 6}, {1, 6}, {4, 12}, {10, 20}}; // {new positions, then allocated}
            for (int[] f : forwards) {
                cache.reserve(Autograd.ops(), f[0]);
                cache.advance(f[0]);
                assertEquals(f[1], cache.allocated(), "after " + cache.length() + " positions");
            }
            assertEquals(20, cache.length());
        }
    }

    @Test
    void theCacheRefusesMorePositionsThanItHolds() {
        LlamaGolden.Case c = LlamaGolden.get("llama_gqa");
        try (LlamaModel model = LlamaModel.load(c.modelDir(), LlamaModel.Mode.INFERENCE)) {
            KVCache cache = model.newCache(2, 5);
            Tensor ids = c.inputs().get("ids").tensor();
            TensorException e = assertThrows(TensorException.class, () -> model.forward(ids, cache));
            assertTrue(e.getMessage().contains("at most 5 positions"), e.getMessage());
            assertEquals(0, cache.length(), "nothing written by a refused forward");
        }
    }

    /**
     * Sliding-window attention (mistral_swa: sliding_window 5, 2 layers): the logits at position p depend only on
     * the tokens at positions p - L * (W - 1) .. p (each layer reaches W - 1 positions further back), so position
     * 11 ignores tokens 0..2 exactly and depends on token 3; the same with the KV cache, decoding one token at a
     * time past the window. Positions stay absolute (RoPE), which is why the earlier tokens are changed in place
     * rather than dropped.
     */
    @Test
    void mistralAttendsOnlyWithinItsSlidingWindow() {
        LlamaGolden.Case c = LlamaGolden.get("mistral_swa");
        Tensor ids = row(c.inputs().get("ids").tensor(), 0);             // (1, 12)
        int t = ids.dim(1), last = t - 1;
        try (LlamaModel model = LlamaModel.load(c.modelDir(), LlamaModel.Mode.INFERENCE);
             NoGrad scope = NoGrad.enter()) {
            int window = model.config.slidingWindow();
            int reach = model.config.numHiddenLayers() * (window - 1);   // 8: position 11 sees tokens 3..11
            assertEquals(3, last - reach, "the test's arithmetic: tokens before position 3 are out of reach");
            Tensor reference = model.forward(ids).value().slice(1, last, t).contiguous();      // (1, 1, V)
            Tensor outside = ids.contiguous();
            for (int j = 0; j < last - reach; j++) outside.set((ids.get(0, j) + 7) % 40, 0, j);
            assertClose(reference, model.forward(outside).value().slice(1, last, t).contiguous(), 0, 0,
                    "tokens outside the reach of the window change nothing");
            KVCache cache = model.newCache(1, t);
            Tensor decoded = null;
            for (int pos = 0; pos < t; pos++) decoded = model.forward(outside.slice(1, pos, pos + 1).contiguous(), cache).value();
            assertClose(reference, decoded, CACHE_ATOL, CACHE_RTOL, "cached decoding past the window");
            Tensor inside = ids.contiguous();
            inside.set((ids.get(0, last - reach) + 7) % 40, 0, last - reach);
            double moved = TensorAssert.maxAbsDiff(reference, model.forward(inside).value().slice(1, last, t).contiguous());
            assertTrue(moved > 1e-3, "the token at position " + (last - reach) + " is in reach: logits moved by " + moved);
        }
    }

    /**
     * A prefill longer than the window (8 > 5 positions, the blocked kernel path with its window) and then
     * chunks of 2 and 1 new tokens against the cache: every logit equals the full forward's.
     */
    @Test
    void mistralPrefillLongerThanTheWindowThenChunksEqualTheFullForward() {
        LlamaGolden.Case c = LlamaGolden.get("mistral_swa");
        Tensor ids = c.inputs().get("ids").tensor();                      // (2, 12)
        try (LlamaModel model = LlamaModel.load(c.modelDir(), LlamaModel.Mode.INFERENCE);
             NoGrad scope = NoGrad.enter()) {
            Tensor full = model.forward(ids).value();                     // (2, 12, V)
            KVCache cache = model.newCache(2, ids.dim(1));
            int[] bounds = {0, 8, 10, 11, 12};
            for (int i = 0; i + 1 < bounds.length; i++) {
                int from = bounds[i], to = bounds[i + 1];
                Tensor step = model.forward(ids.slice(1, from, to).contiguous(), cache).value();
                assertClose(full.slice(1, from, to).contiguous(), step, CACHE_ATOL, CACHE_RTOL,
                        "mistral_swa positions [" + from + ", " + to + ")");
            }
        }
    }

    @Test
    void loadingRefusesACheckpointWhoseShapesDisagreeWithTheConfig(@TempDir Path dir) throws IOException {
        LlamaGolden.Case c = LlamaGolden.get("llama_gqa");
        // Copy the checkpoint and claim a wider MLP in config.json: every gate/up/down tensor now has the wrong shape.
        Files.copy(c.modelDir().resolve("model.safetensors"), dir.resolve("model.safetensors"));
        String config = Files.readString(c.modelDir().resolve("config.json"))
                .replace("\"intermediate_size\": 24", "\"intermediate_size\": 32");
        Files.writeString(dir.resolve("config.json"), config);
        RuntimeException e = assertThrows(RuntimeException.class, () -> LlamaModel.load(dir, LlamaModel.Mode.INFERENCE));
        String m = e.getMessage();
        assertTrue(m.contains("6 problems"), m);
        // the same mismatch in both layers: one line each, naming the layers
        assertTrue(m.contains("tensor \"model.layers.N.mlp.gate_proj.weight\" has shape (24, 16), the config needs (32, 16), "
                + "for N = 0-1"), m);
        assertTrue(m.contains("tensor \"model.layers.N.mlp.down_proj.weight\" has shape (16, 24), the config needs (16, 32), "
                + "for N = 0-1"), "every mismatch is listed: " + m);
    }

    @Test
    void loadingRefusesADirectoryWithoutConfig(@TempDir Path dir) {
        RuntimeException e = assertThrows(RuntimeException.class, () -> LlamaModel.load(dir, LlamaModel.Mode.INFERENCE));
        assertTrue(e.getMessage().contains("config.json"), e.getMessage());
    }

    @Test
    void fromTensorsNamesEveryMissingOrMisshapenTensor() {
        LlamaGolden.Case c = LlamaGolden.get("llama_gqa");
        try (Checkpoint ckpt = Checkpoint.openModel(c.modelDir())) {
            Map<String, Tensor> tensors = new HashMap<>(ckpt.tensors());
            tensors.remove("model.norm.weight");
            tensors.put("lm_head.weight", Tensor.zeros(DType.F32, 40, 15));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> LlamaModel.fromTensors(ckpt.config(), tensors, true));
            assertTrue(e.getMessage().contains("missing tensor \"model.norm.weight\" (expected shape (16))"), e.getMessage());
            assertTrue(e.getMessage().contains("\"lm_head.weight\": expected shape (40, 16), found (40, 15)"), e.getMessage());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("names")
    void saveThenLoadGivesTheSameWeightsAndLogits(String name, @TempDir Path dir) throws IOException {
        LlamaGolden.Case c = LlamaGolden.get(name);
        Tensor ids = c.inputs().get("ids").tensor();
        try (LlamaModel model = LlamaModel.load(c.modelDir(), LlamaModel.Mode.TRAINING)) {
            model.save(dir, DType.F32);
            LlamaConfig reread = LlamaConfig.read(dir);
            assertEquals(model.config.withTorchDtype("float32"), reread, "config.json round trip, torch_dtype as stored");
            try (LlamaModel again = LlamaModel.load(dir, LlamaModel.Mode.INFERENCE);
                 NoGrad scope = NoGrad.enter()) {
                for (Map.Entry<String, Var> e : model.parameters().entrySet()) {
                    assertClose(e.getValue().value(), again.parameters().get(e.getKey()).value(), 0, 0, e.getKey());
                }
                assertClose(model.forward(ids).value(), again.forward(ids).value(), 0, 0, name + " logits after save");
            }
        }
        assertTrue(Files.exists(dir.resolve(SafetensorsWriter.SINGLE_FILE)));
    }

    @Test
    void savingAsBf16RoundsTheMasterWeights(@TempDir Path dir) throws IOException {
        LlamaGolden.Case c = LlamaGolden.get("llama_bf16");   // weights already BF16-exact: the round trip is exact
        try (LlamaModel model = LlamaModel.load(c.modelDir(), LlamaModel.Mode.TRAINING)) {
            model.save(dir, DType.BF16);
            try (LlamaModel again = LlamaModel.load(dir, LlamaModel.Mode.INFERENCE)) {
                for (Map.Entry<String, Var> e : again.parameters().entrySet()) {
                    assertEquals(DType.BF16, e.getValue().dtype(), e.getKey());
                    assertClose(model.parameters().get(e.getKey()).value(), e.getValue().value(), 0, 0, e.getKey());
                }
            }
        }
    }
}
