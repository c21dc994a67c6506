package minitron.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import java.util.Set;
import minitron.autograd.NoGrad;
import minitron.tensor.DType;
import minitron.tensor.Tensor;
import minitron.transformer.config.LlamaConfig;
import minitron.transformer.model.ForwardObserver;
import minitron.transformer.model.LlamaModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Depth pruning: renumbering, Block Importance from recorded hidden states, scans, non-contiguous choice, reload. */
class DepthPrunerTest {
    /** BI sums float cosines in double in both computations; only the summation order differs: 1e-9. */
    static final double BI_ATOL = 1e-9;

    @TempDir
    Path dir;

    @Test
    void droppingLayersRenumbersTheRest() {
        LlamaModel model = TinyModels.random(TinyModels.config(false), 1);
        LlamaModel dropped = DepthPruner.dropLayers(model, List.of(1, 2));
        assertEquals(2, dropped.config.numHiddenLayers());
        assertSame(model.layers.get(0).qProj.value(), dropped.layers.get(0).qProj.value());
        assertSame(model.layers.get(3).qProj.value(), dropped.layers.get(1).qProj.value());
        assertSame(model.layers.get(3).downProj.value(), dropped.layers.get(1).downProj.value());
        assertTrue(DepthPruner.droppedTensors(model, Set.of(0)).containsKey("model.layers.2.mlp.up_proj.weight"));
        assertTrue(!DepthPruner.droppedTensors(model, Set.of(0)).containsKey("model.layers.3.mlp.up_proj.weight"));
        CompressException e = assertThrows(CompressException.class, () -> DepthPruner.dropLayers(model, List.of(4)));
        assertTrue(e.getMessage().contains("[0, 4)") && e.getMessage().contains("found 4"), e.getMessage());
        assertThrows(CompressException.class, () -> DepthPruner.dropLayers(model, List.of(0, 1, 2, 3)));
    }

    @Test
    void droppedModelEqualsRunningTheKeptLayersByHand() throws Exception {
        LlamaModel model = TinyModels.random(TinyModels.config(true), 2);
        LlamaModel dropped = DepthPruner.dropLayers(model, List.of(1));
        // the same network: the full model with layer 1's residual branches zeroed (o_proj and down_proj = 0)
        SequencedMap<String, Tensor> zeroed = new LinkedHashMap<>();
        model.parameters().forEach((k, v) -> zeroed.put(k, v.value()));
        LlamaConfig c = model.config;
        zeroed.put("model.layers.1.self_attn.o_proj.weight", Tensor.zeros(DType.F32, c.hiddenSize(), c.queryWidth()));
        zeroed.put("model.layers.1.mlp.down_proj.weight", Tensor.zeros(DType.F32, c.hiddenSize(), c.intermediateSize()));
        LlamaModel reference = LlamaModel.fromTensors(c, zeroed, false);
        Tensor ids = Tensor.of(TinyModels.rows(1, 8, c.vocabSize(), 3).getFirst(), 1, 9);
        try (NoGrad scope = NoGrad.enter()) {
            assertArrayEquals(TinyModels.logits(reference, ids), TinyModels.logits(dropped, ids));
        }
        dropped.save(dir, DType.F32);
        try (LlamaModel back = LlamaModel.load(dir, LlamaModel.Mode.INFERENCE); NoGrad scope = NoGrad.enter()) {
            assertEquals(3, back.config.numHiddenLayers());
            assertArrayEquals(TinyModels.logits(dropped, ids), TinyModels.logits(back, ids));
        }
    }

    @Test
    void blockImportanceMatchesCosinesOfRecordedHiddenStates() {
        LlamaModel model = TinyModels.random(TinyModels.config(false), 3);
        Calibration calibration = Calibration.ofRows(TinyModels.rows(5, 6, model.config.vocabSize(), 4), 2);
        DepthPruner.Scan scan = DepthPruner.scanBlockImportance(model, calibration, List.of(2, 3));
        assertEquals(List.of(1, 2, 3), new ArrayList<>(scan.contiguous().keySet()));

        int layers = 4, c = model.config.hiddenSize();
        List<float[][]> states = new ArrayList<>();
        model.setObserver(new ForwardObserver() {
            @Override
            public void hiddenState(int index, Tensor x) {
                if (index == 0) states.add(new float[layers + 1][]);
                states.getLast()[index] = x.toFloatArray();
            }
        });
        try (NoGrad scope = NoGrad.enter()) {
            for (Tensor[] b : calibration.batches()) model.forward(b[0]);
        }
        model.setObserver(null);
        for (int k : List.of(1, 2, 3)) {
            for (int s = 0; s + k <= layers; s++) {
                double sum = 0;
                long n = 0;
                for (float[][] h : states) {
                    for (int r = 0; r < h[0].length / c; r++) {
                        double dot = 0, na = 0, nb = 0;
                        for (int j = 0; j < c; j++) {
                            double a = h[s][r * c + j], b = h[s + k][r * c + j];
                            dot += a * b;
                            na += a * a;
                            nb += b * b;
                        }
                        sum += dot / Math.sqrt(na * nb);
                        n++;
                    }
                }
                double expected = 1 - sum / n;
                assertEquals(expected, scan.contiguous().get(k)[s], BI_ATOL, "BI k=" + k + " s=" + s);
            }
        }
        assertEquals(30, calibration.tokens());
    }

    /** Scans by removal with a metric that reads which original layers remain, so every value is known. */
    @Test
    void scanByRemovalEvaluatesEveryBlockAndPicksTheNonContiguousLayers() {
        LlamaModel model = TinyModels.random(TinyModels.config(false), 4);
        double[] cost = {5, 1, 3, 2};   // the "loss" added by removing each layer
        DepthPruner.Scan scan = DepthPruner.scanByRemoval(model, DepthPruner.Metric.LOSS, List.of(2),
                m -> {
                    double loss = 0;
                    for (int l = 0; l < 4; l++) {
                        LlamaModel.DecoderLayer original = model.layers.get(l);
                        boolean kept = m.layers.stream().anyMatch(x -> x.qProj.value() == original.qProj.value());
                        if (!kept) loss += cost[l];
                    }
                    return loss;
                });
        assertArrayEquals(new double[] {5, 1, 3, 2}, scan.contiguous().get(1));
        assertArrayEquals(new double[] {6, 4, 5}, scan.contiguous().get(2));
        assertEquals(1, scan.bestStart(1));
        assertEquals(1, scan.bestStart(2));
        assertArrayEquals(new int[] {1, 3}, scan.nonContiguousLayers().get(2));
        assertEquals(3.0, scan.nonContiguous().get(2));

        DepthPruner.Scan task = DepthPruner.scanByRemoval(model, DepthPruner.Metric.TASK, List.of(), m -> m.layers.size());
        assertEquals(0, task.bestStart(1));   // all equal: the earliest start
    }

    @Test
    void lossScanOnARealModelAndBlockSizes() {
        LlamaModel model = TinyModels.random(TinyModels.config(false), 5);
        Calibration val = Calibration.ofRows(TinyModels.rows(2, 6, model.config.vocabSize(), 9), 2);
        DepthPruner.Scan scan = DepthPruner.scanByRemoval(model, DepthPruner.Metric.LOSS, List.of(2), val::meanLoss);
        assertEquals(val.meanLoss(DepthPruner.dropLayers(model, List.of(2, 3))), scan.contiguous().get(2)[2]);
        assertEquals(List.of(1, 2, 4, 8), DepthPruner.defaultBlockSizes(16));
        assertEquals(List.of(1, 2), DepthPruner.defaultBlockSizes(4));
        assertEquals(List.of(1), DepthPruner.defaultBlockSizes(2));
        assertThrows(CompressException.class,
                () -> DepthPruner.scanByRemoval(model, DepthPruner.Metric.LOSS, List.of(4), val::meanLoss));
        assertThrows(CompressException.class, () -> DepthPruner.Metric.parse("ppl"));
    }

    @Test
    void scanDispatchesByMetricAndNamesWhatIsMissing() {
        LlamaModel model = TinyModels.random(TinyModels.config(false), 6);
        Calibration val = Calibration.ofRows(TinyModels.rows(2, 6, model.config.vocabSize(), 9), 2);
        DepthPruner.Scan byLoss = DepthPruner.scan(model, DepthPruner.Metric.LOSS, List.of(2), val, null);
        assertArrayEquals(DepthPruner.scanByRemoval(model, DepthPruner.Metric.LOSS, List.of(2), val::meanLoss)
                .contiguous().get(2), byLoss.contiguous().get(2));
        DepthPruner.Scan byBi = DepthPruner.scan(model, DepthPruner.Metric.BI, List.of(2), val, null);
        assertArrayEquals(DepthPruner.scanBlockImportance(model, val, List.of(2)).contiguous().get(2),
                byBi.contiguous().get(2));
        CompressException e = assertThrows(CompressException.class,
                () -> DepthPruner.scan(model, DepthPruner.Metric.TASK, List.of(2), val, null));
        assertTrue(e.getMessage().contains("expected a task"), e.getMessage());
        e = assertThrows(CompressException.class, () -> DepthPruner.scan(model, DepthPruner.Metric.BI, List.of(2), null, null));
        assertTrue(e.getMessage().contains("expected a dataset"), e.getMessage());
    }

    @Test
    void flopsByHand() {
        LlamaConfig c = TinyModels.config(false);
        // per layer: q 16*4*6 + k,v 2*16*2*6 + o 4*6*16 + mlp 3*16*24 = 384 + 384 + 384 + 1152 = 2304; x4 + V*C 592
        assertEquals(4 * 2304 + 37 * 16, Flops.matmulParameters(c));
        // attention at S = 10: 2 * 2 * L * H * D * S = 4 * 4 * 4 * 6 * 10
        assertEquals(2.0 * (4 * 2304 + 592) + 4 * 4 * 4 * 6 * 10, Flops.perToken(c, 10));
        LlamaConfig half = c.withShape(16, 12, 4, 4, 2);
        assertTrue(Flops.speedup(c, half, 10) > 1);
    }
}
