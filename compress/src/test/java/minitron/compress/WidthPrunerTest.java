package minitron.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;
import java.util.Set;
import java.util.stream.Collectors;
import minitron.autograd.NoGrad;
import minitron.autograd.Var;
import minitron.tensor.DType;
import minitron.tensor.Tensor;
import minitron.transformer.config.LlamaConfig;
import minitron.transformer.model.LlamaModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Width pruning: identity when keeping all, exact slices, GQA groups, reload, equivalence with zeroed weights. */
class WidthPrunerTest {
    /**
     * Pruning neurons or heads equals zeroing their down_proj / o_proj columns in exact arithmetic; in float the
     * matmuls sum different numbers of terms (zeros included), a few ulps of logits ~ 10: 1e-5 absolute is ample.
     */
    static final double ZEROED_ATOL = 1e-5, ZEROED_RTOL = 1e-5;

    @TempDir
    Path dir;

    static ImportanceScores scoresOf(LlamaModel model) {
        return ImportanceEstimator.estimate(model,
                Calibration.ofRows(TinyModels.rows(4, 9, model.config.vocabSize(), 2), 2), Aggregation.DEFAULT);
    }

    static Tensor ids(LlamaConfig c) {
        int[] tokens = TinyModels.rows(2, 10, c.vocabSize(), 77).stream().flatMapToInt(Arrays::stream).toArray();
        return Tensor.of(tokens, 2, 11);
    }

    @Test
    void keepingEverythingReproducesTheLogitsBitForBit() {
        for (boolean tied : new boolean[] {false, true}) {
            LlamaModel model = TinyModels.random(TinyModels.config(tied), 1);
            WidthPruner.Plan plan = WidthPruner.plan(model.config, scoresOf(model), new WidthPruner.Target(null, null, null));
            LlamaModel same = WidthPruner.prune(model, plan);
            try (NoGrad scope = NoGrad.enter()) {
                assertArrayEquals(TinyModels.logits(model, ids(model.config)), TinyModels.logits(same, ids(model.config)),
                        "tied " + tied);
            }
        }
    }

    @Test
    void trimmedWeightsEqualTheKeptSlices() {
        LlamaModel model = TinyModels.random(TinyModels.config(false), 2);
        WidthPruner.Plan plan = WidthPruner.plan(model.config, scoresOf(model), new WidthPruner.Target(11, 13, 2));
        LlamaConfig c = plan.config();
        assertEquals(11, c.hiddenSize());
        assertEquals(13, c.intermediateSize());
        assertEquals(2, c.numAttentionHeads());
        assertEquals(2, c.numKeyValueHeads());
        assertEquals(model.config.headDim(), c.headDim());
        SequencedMap<String, Tensor> out = WidthPruner.apply(model, plan);
        Map<String, Var> src = model.parameters();
        int[] ch = plan.channels();
        int d = c.headDim();
        assertEquals(c.expectedTensors().keySet(), out.keySet());
        for (Map.Entry<String, Tensor> e : out.entrySet()) {
            assertEquals(c.expectedTensors().get(e.getKey()), e.getValue().shape(), e.getKey());
        }
        // embeddings and lm_head: columns; norms: entries
        for (String name : new String[] {"model.embed_tokens.weight", "lm_head.weight"}) {
            Tensor s = src.get(name).value(), p = out.get(name);
            for (int v = 0; v < c.vocabSize(); v++) {
                for (int j = 0; j < ch.length; j++) assertEquals(s.get(v, ch[j]), p.get(v, j), name);
            }
        }
        for (int j = 0; j < ch.length; j++) {
            assertEquals(src.get("model.norm.weight").value().get(ch[j]), out.get("model.norm.weight").get(j));
        }
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            int[] heads = plan.heads()[l], neurons = plan.neurons()[l];
            for (int j = 0; j < ch.length; j++) {
                assertEquals(src.get(p + "input_layernorm.weight").value().get(ch[j]), out.get(p + "input_layernorm.weight").get(j));
                assertEquals(src.get(p + "post_attention_layernorm.weight").value().get(ch[j]),
                        out.get(p + "post_attention_layernorm.weight").get(j));
                for (int i = 0; i < heads.length * d; i++) {
                    int row = heads[i / d] * d + i % d;
                    assertEquals(src.get(p + "self_attn.q_proj.weight").value().get(row, ch[j]),
                            out.get(p + "self_attn.q_proj.weight").get(i, j), p + "q_proj");
                    assertEquals(src.get(p + "self_attn.o_proj.weight").value().get(ch[j], row),
                            out.get(p + "self_attn.o_proj.weight").get(j, i), p + "o_proj");
                }
                for (int i = 0; i < model.config.keyValueWidth(); i++) {
                    assertEquals(src.get(p + "self_attn.k_proj.weight").value().get(i, ch[j]),
                            out.get(p + "self_attn.k_proj.weight").get(i, j), p + "k_proj");
                    assertEquals(src.get(p + "self_attn.v_proj.weight").value().get(i, ch[j]),
                            out.get(p + "self_attn.v_proj.weight").get(i, j), p + "v_proj");
                }
                for (int i = 0; i < neurons.length; i++) {
                    assertEquals(src.get(p + "mlp.gate_proj.weight").value().get(neurons[i], ch[j]),
                            out.get(p + "mlp.gate_proj.weight").get(i, j), p + "gate_proj");
                    assertEquals(src.get(p + "mlp.up_proj.weight").value().get(neurons[i], ch[j]),
                            out.get(p + "mlp.up_proj.weight").get(i, j), p + "up_proj");
                    assertEquals(src.get(p + "mlp.down_proj.weight").value().get(ch[j], neurons[i]),
                            out.get(p + "mlp.down_proj.weight").get(j, i), p + "down_proj");
                }
            }
        }
    }

    @Test
    void topKKeepsTheBestInOriginalOrderWithTiesToTheLowerIndex() {
        float[] s = {0.5f, 0.9f, 0.1f, 0.9f, 0.7f};
        assertArrayEquals(new int[] {1, 3, 4}, WidthPruner.topK(s, 0, 5, 3));
        assertArrayEquals(new int[] {1}, WidthPruner.topK(s, 0, 5, 1));
        assertArrayEquals(new int[] {3}, WidthPruner.topK(s, 2, 3, 1));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, WidthPruner.topK(s, 0, 5, 5));
    }

    @Test
    void gqaKeepsTheSameNumberOfHeadsInEveryGroup() {
        LlamaModel model = TinyModels.random(TinyModels.config(false), 3);
        ImportanceScores real = scoresOf(model);
        // group 0 = heads {0, 1}, group 1 = heads {2, 3}; the two best heads are both in group 0
        float[][] heads = new float[4][];
        for (int l = 0; l < 4; l++) heads[l] = new float[] {9, 8, l == 2 ? 2 : 1, l == 2 ? 1 : 2};
        ImportanceScores skewed = new ImportanceScores(real.model(), real.aggregation(), 1, 1, 0, heads, real.neurons(),
                real.embedding());
        WidthPruner.Plan plan = WidthPruner.plan(model.config, skewed, new WidthPruner.Target(null, null, 2));
        for (int l = 0; l < 4; l++) {
            assertArrayEquals(new int[] {0, l == 2 ? 2 : 3}, plan.heads()[l], "layer " + l);
        }
        CompressException e = assertThrows(CompressException.class,
                () -> WidthPruner.plan(model.config, real, new WidthPruner.Target(null, null, 3)));
        assertTrue(e.getMessage().contains("multiple of num_key_value_heads = 2") && e.getMessage().contains("found 3"),
                e.getMessage());
    }

    @Test
    void targetLargerThanTheSourceIsAnError() {
        LlamaModel model = TinyModels.random(TinyModels.config(false), 4);
        ImportanceScores scores = scoresOf(model);
        CompressException e = assertThrows(CompressException.class,
                () -> WidthPruner.plan(model.config, scores, new WidthPruner.Target(17, null, null)));
        assertTrue(e.getMessage().contains("--hidden-size: expected a size in [1, 16]") && e.getMessage().contains("found 17"),
                e.getMessage());
        assertThrows(CompressException.class, () -> WidthPruner.plan(model.config, scores, new WidthPruner.Target(null, 25, null)));
        assertThrows(CompressException.class, () -> WidthPruner.plan(model.config, scores, new WidthPruner.Target(null, null, 6)));
    }

    /** Dropping neurons/heads = zeroing their down_proj/o_proj columns in the source (hidden size kept). */
    @Test
    void neuronAndHeadPruningEqualZeroingTheirOutputColumns() {
        LlamaModel model = TinyModels.random(TinyModels.config(false), 5);
        WidthPruner.Plan plan = WidthPruner.plan(model.config, scoresOf(model), new WidthPruner.Target(null, 10, 2));
        LlamaModel pruned = WidthPruner.prune(model, plan);
        SequencedMap<String, Tensor> zeroed = new LinkedHashMap<>();
        for (Map.Entry<String, Var> e : model.parameters().entrySet()) zeroed.put(e.getKey(), e.getValue().value().copy());
        int d = model.config.headDim();
        for (int l = 0; l < 4; l++) {
            String p = "model.layers." + l + ".";
            Set<Integer> keptN = Arrays.stream(plan.neurons()[l]).boxed().collect(Collectors.toSet());
            Set<Integer> keptH = Arrays.stream(plan.heads()[l]).boxed().collect(Collectors.toSet());
            Tensor down = zeroed.get(p + "mlp.down_proj.weight"), o = zeroed.get(p + "self_attn.o_proj.weight");
            for (int r = 0; r < 16; r++) {
                for (int f = 0; f < 24; f++) if (!keptN.contains(f)) down.set(0, r, f);
                for (int q = 0; q < 4 * d; q++) if (!keptH.contains(q / d)) o.set(0, r, q);
            }
        }
        LlamaModel reference = LlamaModel.fromTensors(model.config, zeroed, false);
        try (NoGrad scope = NoGrad.enter()) {
            float[] expected = TinyModels.logits(reference, ids(model.config)), actual = TinyModels.logits(pruned, ids(model.config));
            ImportanceEstimatorTest.assertCloseTol(ImportanceScores.toDoubles(expected), ImportanceScores.toDoubles(actual),
                    ZEROED_ATOL, ZEROED_RTOL, "logits");
        }
    }

    @Test
    void prunedCheckpointReloadsAndRunsWithExplicitHeadDim() throws Exception {
        LlamaModel model = TinyModels.random(TinyModels.config(true), 6);
        WidthPruner.Plan plan = WidthPruner.plan(model.config, scoresOf(model), new WidthPruner.Target(10, 12, 2));
        LlamaModel pruned = WidthPruner.prune(model, plan);
        pruned.save(dir, DType.F32);
        assertTrue(Files.readString(dir.resolve("config.json")).contains("\"head_dim\": 6"));
        try (LlamaModel back = LlamaModel.load(dir, LlamaModel.Mode.INFERENCE); NoGrad scope = NoGrad.enter()) {
            assertEquals(plan.config(), back.config);
            assertArrayEquals(TinyModels.logits(pruned, ids(model.config)), TinyModels.logits(back, ids(model.config)));
        }
    }

    @Test
    void randomBaselinePrunesToTheSameShapeAndIsSeeded() {
        LlamaModel model = TinyModels.random(TinyModels.config(false), 7);
        WidthPruner.Target target = new WidthPruner.Target(12, 12, 2);
        WidthPruner.Plan a = WidthPruner.plan(model.config, Baselines.randomScores(model, 1), target);
        WidthPruner.Plan b = WidthPruner.plan(model.config, Baselines.randomScores(model, 1), target);
        WidthPruner.Plan guided = WidthPruner.plan(model.config, scoresOf(model), target);
        assertEquals(guided.config(), a.config());
        assertArrayEquals(a.channels(), b.channels());
        SequencedMap<String, Tensor> init = Baselines.randomInit(a.config(), 3);
        assertEquals(a.config().expectedTensors().keySet(), init.keySet());
        assertEquals(1.0, init.get("model.norm.weight").get(0));
    }
}
