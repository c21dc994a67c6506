package minitron.compress;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;
import java.util.SplittableRandom;
import minitron.tensor.DType;
import minitron.tensor.Shape;
import minitron.tensor.Tensor;
import minitron.transformer.config.LlamaConfig;
import minitron.transformer.model.LlamaModel;

/**
 * Baselines for the pruning ablations: random pruning to the same architecture (importance scores drawn at random,
 * then the same {@link WidthPruner} plan and slicing), and a random initialization of the pruned architecture.
 */
public final class Baselines {
    /** HF LlamaConfig's initializer_range: weights ~ N(0, 0.02^2), norm weights 1. */
    static final double INIT_STD = 0.02;

    private Baselines() {
    }

    /** Scores uniform in [0, 1) for every axis of the config, from {@code seed} (identity of {@code model}). */
    public static ImportanceScores randomScores(LlamaModel model, long seed) {
        LlamaConfig c = model.config;
        SplittableRandom random = new SplittableRandom(seed);
        int layers = c.numHiddenLayers();
        float[][] heads = new float[layers][c.numAttentionHeads()];
        float[][] neurons = new float[layers][c.intermediateSize()];
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < heads[l].length; h++) heads[l][h] = (float) random.nextDouble();
            for (int f = 0; f < neurons[l].length; f++) neurons[l][f] = (float) random.nextDouble();
        }
        float[] embedding = new float[c.hiddenSize()];
        for (int k = 0; k < embedding.length; k++) embedding[k] = (float) random.nextDouble();
        return new ImportanceScores(ModelIdentity.of(model), Aggregation.DEFAULT, 0, 0, 0, heads, neurons, embedding);
    }

    /** Fresh F32 weights for a config: N(0, 0.02^2) matrices, norm weights 1, from {@code seed}. */
    public static SequencedMap<String, Tensor> randomInit(LlamaConfig config, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        SequencedMap<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Shape> e : config.expectedTensors().entrySet()) {
            Tensor t = Tensor.zeros(DType.F32, e.getValue());
            boolean norm = e.getValue().rank() == 1;
            for (long i = 0; i < t.numel(); i++) t.writeDouble(i, norm ? 1.0 : INIT_STD * gaussian(random));
            out.put(e.getKey(), t);
        }
        return out;
    }

    /** A standard normal draw (Box-Muller). */
    private static double gaussian(SplittableRandom random) {
        double u = 1.0 - random.nextDouble(), v = random.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2.0 * Math.PI * v);
    }
}
