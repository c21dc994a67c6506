package minitron.compress;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.SplittableRandom;
import minitron.tensor.Tensor;
import minitron.transformer.config.LlamaConfig;
import minitron.transformer.model.LlamaModel;

/** Tiny random Llama models and calibration rows for the pruning tests. */
final class TinyModels {
    /** Weight scale large enough that layers, heads and neurons differ visibly in the logits. */
    static final double WEIGHT_SCALE = 0.35;

    private TinyModels() {
    }

    /**
     * C 16, F 24, L 4, H 4, G 2, D 6 (head_dim is not C / H, as in a pruned model), V 37; odd sizes on purpose.
     */
    static LlamaConfig config(boolean tied) {
        return new LlamaConfig(LlamaConfig.LLAMA, 16, 24, 4, 4, 2, 6, 1e-5, 10000.0, null, 64, 37, tied, 1,
                List.of(2), null, "float32");
    }

    /** A model with N(0, WEIGHT_SCALE^2) matrices and norm weights 1 + N(0, 0.1^2) (so norms matter too). */
    static LlamaModel random(LlamaConfig config, long seed) {
        SequencedMap<String, Tensor> tensors = Baselines.randomInit(config, seed);
        SplittableRandom random = new SplittableRandom(seed + 1);
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            boolean norm = t.rank() == 1;
            for (long i = 0; i < t.numel(); i++) {
                double v = t.readDouble(i);
                t.writeDouble(i, norm ? 1.0 + 0.1 * (random.nextDouble() * 2 - 1) : v / Baselines.INIT_STD * WEIGHT_SCALE);
            }
        }
        return LlamaModel.fromTensors(config, tensors, false);
    }

    /** n rows of t + 1 random token ids in [3, vocab). */
    static List<int[]> rows(int n, int t, int vocab, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<int[]> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] row = new int[t + 1];
            for (int j = 0; j <= t; j++) row[j] = 3 + random.nextInt(vocab - 3);
            rows.add(row);
        }
        return rows;
    }

    static float[] logits(LlamaModel model, Tensor ids) {
        return ChannelAccumulator.floats(model.forward(ids).value()).clone();
    }
}
