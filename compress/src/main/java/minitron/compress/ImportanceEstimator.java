package minitron.compress;

import minitron.autograd.NoGrad;
import minitron.tensor.Tensor;
import minitron.transformer.config.LlamaConfig;
import minitron.transformer.model.ForwardObserver;
import minitron.transformer.model.LlamaModel;

/**
 * Activation-based importance (Minitron, DESIGN.md section 4) from forward passes only: legend L layers, H query
 * heads, D head_dim, F intermediate_size, C hidden_size.
 * <ul>
 *   <li>heads: the input of o_proj (B, T, H*D) aggregated per channel (see {@link Aggregation}); a head's score
 *       is the L2 norm of its D channel scores;</li>
 *   <li>MLP neurons: the input of down_proj (B, T, F), one score per neuron and layer;</li>
 *   <li>embedding channels: the outputs of every input_layernorm and post_attention_layernorm (B, T, C), one
 *       score per channel and hook, summed over the 2L hooks.</li>
 * </ul>
 * Memory: (L * (H*D + F + 2C)) doubles of running aggregates, whatever the number of samples.
 */
public final class ImportanceEstimator {
    private ImportanceEstimator() {
    }

    /** Runs every calibration batch through the model without a graph and returns the scores. */
    public static ImportanceScores estimate(LlamaModel model, Calibration calibration, Aggregation aggregation) {
        LlamaConfig c = model.config;
        int layers = c.numHiddenLayers();
        Hooks hooks = new Hooks(c, aggregation);
        long start = System.nanoTime();
        model.setObserver(hooks);
        try (NoGrad scope = NoGrad.enter()) {
            for (Tensor[] batch : calibration.batches()) model.forward(batch[0]);
        } finally {
            model.setObserver(null);
        }
        double seconds = (System.nanoTime() - start) / 1e9;

        int h = c.numAttentionHeads(), d = c.headDim();
        float[][] heads = new float[layers][h];
        float[][] neurons = new float[layers][];
        double[] embedding = new double[c.hiddenSize()];
        for (int l = 0; l < layers; l++) {
            double[] channel = hooks.attention[l].scores();                 // (H*D)
            for (int head = 0; head < h; head++) {
                double sumSquares = 0;
                for (int k = head * d; k < (head + 1) * d; k++) sumSquares += channel[k] * channel[k];
                heads[l][head] = (float) Math.sqrt(sumSquares);
            }
            neurons[l] = toFloats(hooks.mlp[l].scores());                   // (F)
            double[] in = hooks.inputNorm[l].scores(), post = hooks.postNorm[l].scores();
            for (int k = 0; k < embedding.length; k++) embedding[k] += in[k] + post[k];
        }
        return new ImportanceScores(ModelIdentity.of(model), aggregation, calibration.samples(), calibration.seqLen(),
                seconds, heads, neurons, toFloats(embedding));
    }

    private static float[] toFloats(double[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (float) v[i];
        return out;
    }

    /** The observer: one accumulator per hook. */
    private static final class Hooks implements ForwardObserver {
        final ChannelAccumulator[] attention, mlp, inputNorm, postNorm;

        Hooks(LlamaConfig c, Aggregation aggregation) {
            int layers = c.numHiddenLayers();
            attention = new ChannelAccumulator[layers];
            mlp = new ChannelAccumulator[layers];
            inputNorm = new ChannelAccumulator[layers];
            postNorm = new ChannelAccumulator[layers];
            for (int l = 0; l < layers; l++) {
                String p = "model.layers." + l + ".";
                attention[l] = new ChannelAccumulator(p + "self_attn.o_proj input", c.queryWidth(), aggregation);
                mlp[l] = new ChannelAccumulator(p + "mlp.down_proj input", c.intermediateSize(), aggregation);
                inputNorm[l] = new ChannelAccumulator(p + "input_layernorm output", c.hiddenSize(), aggregation);
                postNorm[l] = new ChannelAccumulator(p + "post_attention_layernorm output", c.hiddenSize(), aggregation);
            }
        }

        @Override
        public void attentionOutput(int layer, Tensor x) {
            attention[layer].add(x);
        }

        @Override
        public void mlpActivation(int layer, Tensor x) {
            mlp[layer].add(x);
        }

        @Override
        public void normOutput(int layer, Norm norm, Tensor x) {
            (norm == Norm.INPUT_LAYERNORM ? inputNorm : postNorm)[layer].add(x);
        }
    }
}
