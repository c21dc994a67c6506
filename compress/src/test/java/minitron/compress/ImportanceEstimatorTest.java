package minitron.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import minitron.autograd.NoGrad;
import minitron.tensor.Tensor;
import minitron.transformer.config.LlamaConfig;
import minitron.transformer.model.ForwardObserver;
import minitron.transformer.model.LlamaModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Importance against scores computed directly from captured activations, and by hand on a 2x2x2 example. */
class ImportanceEstimatorTest {
    /**
     * Scores are sums of a few hundred float products accumulated in double in both computations; the estimator
     * rounds its result to float (stored as F32): relative error ~ 2^-24 ~ 6e-8, so 1e-6 leaves margin.
     */
    static final double RTOL = 1e-6, ATOL = 1e-9;

    @TempDir
    Path dir;

    @Test
    void accumulatorByHand() {
        // A (B=2, T=2, C=2): sample 0 rows (1, -2), (3, 4); sample 1 rows (-1, 0), (1, 2)
        Tensor a = Tensor.of(new float[] {1, -2, 3, 4, -1, 0, 1, 2}, 2, 2, 2);
        // mean-l2: m = mean_t |A|: sample 0 (2, 3), sample 1 (1, 1); score = sqrt(sum_b m^2) = (sqrt 5, sqrt 10)
        ChannelAccumulator meanL2 = new ChannelAccumulator("test", 2, Aggregation.DEFAULT);
        meanL2.add(a);
        assertClose(new double[] {Math.sqrt(5), Math.sqrt(10)}, meanL2.scores(), "mean-l2");
        // l2-mean: m = sqrt(sum_t A^2): sample 0 (sqrt 10, sqrt 20), sample 1 (sqrt 2, sqrt 4); mean over b
        ChannelAccumulator l2Mean = new ChannelAccumulator("test", 2, Aggregation.parse("l2-mean"));
        l2Mean.add(a);
        assertClose(new double[] {(Math.sqrt(10) + Math.sqrt(2)) / 2, (Math.sqrt(20) + 2) / 2}, l2Mean.scores(), "l2-mean");
        // the same data split over two batches accumulates to the same scores
        ChannelAccumulator split = new ChannelAccumulator("test", 2, Aggregation.DEFAULT);
        split.add(a.slice(0, 0, 1));
        split.add(a.slice(0, 1, 2));
        assertClose(meanL2.scores(), split.scores(), "two batches");
    }

    /** Every hook's activations, kept (the test may; the estimator must not). */
    static final class Recorder implements ForwardObserver {
        final List<List<float[]>> attention = new ArrayList<>(), mlp = new ArrayList<>(), norms = new ArrayList<>();
        int b, t;

        Recorder(int layers) {
            for (int l = 0; l < layers; l++) {
                attention.add(new ArrayList<>());
                mlp.add(new ArrayList<>());
                norms.add(new ArrayList<>());
            }
        }

        @Override
        public void attentionOutput(int layer, Tensor x) {
            b = x.dim(0);
            t = x.dim(1);
            attention.get(layer).add(x.toFloatArray());
        }

        @Override
        public void mlpActivation(int layer, Tensor x) {
            mlp.get(layer).add(x.toFloatArray());
        }

        @Override
        public void normOutput(int layer, Norm norm, Tensor x) {
            norms.get(layer).add(x.toFloatArray());
        }
    }

    /** Direct mean-l2 per channel over batches of (B, T, C) arrays: sqrt(sum_b (mean_t |a|)^2). */
    static double[] meanL2(List<float[]> batches, int b, int t, int c) {
        double[] acc = new double[c];
        for (float[] a : batches) {
            for (int k = 0; k < c; k++) {
                for (int i = 0; i < b; i++) {
                    double m = 0;
                    for (int j = 0; j < t; j++) m += Math.abs(a[(i * t + j) * c + k]);
                    m /= t;
                    acc[k] += m * m;
                }
            }
        }
        for (int k = 0; k < c; k++) acc[k] = Math.sqrt(acc[k]);
        return acc;
    }

    @Test
    void matchesDirectComputationFromCapturedActivations() {
        LlamaConfig config = TinyModels.config(false);
        LlamaModel model = TinyModels.random(config, 11);
        Calibration calibration = Calibration.ofRows(TinyModels.rows(6, 7, config.vocabSize(), 5), 3);
        ImportanceScores scores = ImportanceEstimator.estimate(model, calibration, Aggregation.DEFAULT);

        Recorder rec = new Recorder(config.numHiddenLayers());
        model.setObserver(rec);
        try (NoGrad scope = NoGrad.enter()) {
            for (Tensor[] batch : calibration.batches()) model.forward(batch[0]);
        }
        model.setObserver(null);
        int b = rec.b, t = rec.t, c = config.hiddenSize(), d = config.headDim();
        double[] embedding = new double[c];
        for (int l = 0; l < config.numHiddenLayers(); l++) {
            double[] channel = meanL2(rec.attention.get(l), b, t, config.queryWidth());
            double[] heads = new double[config.numAttentionHeads()];
            for (int h = 0; h < heads.length; h++) {
                for (int k = 0; k < d; k++) heads[h] += channel[h * d + k] * channel[h * d + k];
                heads[h] = Math.sqrt(heads[h]);
            }
            assertClose(heads, toDoubles(scores.heads()[l]), "heads of layer " + l);
            assertClose(meanL2(rec.mlp.get(l), b, t, config.intermediateSize()), toDoubles(scores.neurons()[l]),
                    "neurons of layer " + l);
            List<float[]> input = new ArrayList<>(), post = new ArrayList<>();
            for (int i = 0; i < rec.norms.get(l).size(); i++) (i % 2 == 0 ? input : post).add(rec.norms.get(l).get(i));
            double[] in = meanL2(input, b, t, c), po = meanL2(post, b, t, c);
            for (int k = 0; k < c; k++) embedding[k] += in[k] + po[k];
        }
        assertClose(embedding, toDoubles(scores.embedding()), "embedding");
        assertEquals(6, scores.samples());
        assertEquals(7, scores.seqLen());
    }

    @Test
    void saveLoadRoundTripAndRefusesAnotherModel() throws Exception {
        LlamaConfig config = TinyModels.config(true);
        LlamaModel model = TinyModels.random(config, 3);
        ImportanceScores scores = ImportanceEstimator.estimate(model,
                Calibration.ofRows(TinyModels.rows(4, 5, config.vocabSize(), 1), 2), Aggregation.parse("l2-l2"));
        scores.save(dir);
        for (String f : List.of(ImportanceScores.JSON, ImportanceScores.TENSORS, "heads.png", "neurons.png", "embedding.png")) {
            assertTrue(Files.size(dir.resolve(f)) > 0, f);
        }
        ImportanceScores back = ImportanceScores.load(dir);
        assertEquals(scores.model(), back.model());
        assertEquals("l2-l2", back.aggregation().label());
        for (int l = 0; l < config.numHiddenLayers(); l++) {
            assertEquals(Arrays.toString(scores.neurons()[l]), Arrays.toString(back.neurons()[l]));
            assertEquals(Arrays.toString(scores.heads()[l]), Arrays.toString(back.heads()[l]));
        }
        back.model().requireSame(ModelIdentity.of(model), dir.toString(), "the model");

        // DamagedImportanceFuzzTest case 27: a damaged "aggregation" was an error that named no file (Aggregation's
        // own message, thrown inside the block that reads importance.safetensors)
        Path json = dir.resolve(ImportanceScores.JSON);
        String good = Files.readString(json);
        Files.writeString(json, good.replace("\"l2-l2\"", "\"\""));
        CompressException damaged = assertThrows(CompressException.class, () -> ImportanceScores.load(dir));
        assertEquals("importance " + json + ": aggregation: expected SEQUENCE-BATCH with SEQUENCE and BATCH each mean "
                + "or l2 (e.g. mean-l2), found \"\"", damaged.getMessage());
        Files.writeString(json, good);

        LlamaModel other = TinyModels.random(config, 4);
        CompressException e = assertThrows(CompressException.class,
                () -> back.model().requireSame(ModelIdentity.of(other), dir.toString(), "other"));
        assertTrue(e.getMessage().contains("another model") && e.getMessage().contains("weights_sha256"), e.getMessage());
        LlamaModel otherShape = TinyModels.random(TinyModels.config(false), 3);
        e = assertThrows(CompressException.class,
                () -> back.model().requireSame(ModelIdentity.of(otherShape), dir.toString(), "other"));
        assertTrue(e.getMessage().contains("config"), e.getMessage());
    }

    @Test
    void calibrationSmallerThanOneBatchIsAnError() {
        CompressException e = assertThrows(CompressException.class,
                () -> Calibration.ofRows(TinyModels.rows(3, 5, 37, 1), 4));
        assertTrue(e.getMessage().contains("expected at least 4 rows, found 3"), e.getMessage());
        assertThrows(CompressException.class, () -> Aggregation.parse("max-l2"));
    }

    static double[] toDoubles(float[] v) {
        return ImportanceScores.toDoubles(v);
    }

    static void assertClose(double[] expected, double[] actual, String what) {
        assertCloseTol(expected, actual, ATOL, RTOL, what);
    }

    /** |expected - actual| <= atol + rtol * |expected| everywhere; the failure names the worst element. */
    static void assertCloseTol(double[] expected, double[] actual, double atol, double rtol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        double max = 0;
        int worst = -1;
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs(expected[i] - actual[i]);
            if (diff > atol + rtol * Math.abs(expected[i]) && diff >= max) {
                max = diff;
                worst = i;
            }
        }
        if (worst >= 0) {
            throw new AssertionError(what + ": first worst at " + worst + ": expected " + expected[worst] + ", found "
                    + actual[worst] + " (max diff " + max + ")");
        }
    }
}
