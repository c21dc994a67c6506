package minitron.transformer.model;

import minitron.tensor.DType;
import minitron.tensor.Ops;
import minitron.transformer.config.LlamaConfig;
import minitron.transformer.config.RopeScaling;

/**
 * The rotary position embedding's inverse frequencies, computed exactly as HF's {@code LlamaRotaryEmbedding} does:
 * in float32, {@code inv_freq[i] = 1 / theta^(2i / head_dim)} for i in [0, head_dim/2), then rescaled by
 * {@code rope_scaling}:
 * <ul>
 *   <li>{@code llama3} ({@code transformers.modeling_rope_utils._compute_llama3_parameters}): frequencies whose
 *       wavelength 2 pi / f is longer than {@code original_max_position_embeddings / low_freq_factor} are divided by
 *       {@code factor}; those shorter than {@code original_max_position_embeddings / high_freq_factor} are kept;
 *       in between, {@code s = (original / wavelen - low) / (high - low)} and
 *       {@code f' = (1 - s) * f / factor + s * f};</li>
 *   <li>{@code linear}: HF divides the positions by {@code factor}; dividing the frequencies is the same angle.</li>
 * </ul>
 * Every operation below is a float operation in the order torch performs it, so the values are HF's to the last
 * bit except where torch's float32 pow differs from Java's correctly rounded one (1 ulp, see reference/README.md).
 */
public final class RotaryEmbedding {
    private RotaryEmbedding() {
    }

    /** The inverse frequencies (head_dim / 2), float32 values. */
    public static float[] inverseFrequencies(LlamaConfig config) {
        int headDim = config.headDim();
        float[] invFreq = new float[headDim / 2];
        for (int i = 0; i < invFreq.length; i++) {
            float exponent = (float) (2 * i) / (float) headDim;                  // arange(0, hd, 2).float() / hd
            invFreq[i] = 1.0f / (float) Math.pow((float) config.ropeTheta(), exponent);
        }
        RopeScaling scaling = config.ropeScaling();
        if (scaling == null) return invFreq;
        if (RopeScaling.LINEAR.equals(scaling.ropeType())) {
            for (int i = 0; i < invFreq.length; i++) invFreq[i] = invFreq[i] / (float) scaling.factor();
            return invFreq;
        }
        if (!scaling.isLlama3()) {
            throw new IllegalArgumentException("rope_scaling: expected type llama3 or linear, found " + scaling.ropeType());
        }
        float factor = (float) scaling.factor();
        float low = (float) scaling.lowFreqFactor();
        float oldContext = scaling.originalMaxPositionEmbeddings();
        float lowFreqWavelen = (float) (scaling.originalMaxPositionEmbeddings() / scaling.lowFreqFactor());
        float highFreqWavelen = (float) (scaling.originalMaxPositionEmbeddings() / scaling.highFreqFactor());
        float highMinusLow = (float) (scaling.highFreqFactor() - scaling.lowFreqFactor());
        for (int i = 0; i < invFreq.length; i++) {
            float f = invFreq[i];
            float wavelen = (float) (2 * Math.PI) / f;
            float scaled = wavelen > lowFreqWavelen ? f / factor : f;             // inv_freq_llama
            boolean medium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
            if (medium) {
                float smooth = (oldContext / wavelen - low) / highMinusLow;
                scaled = (1 - smooth) * scaled / factor + smooth * scaled;
            }
            invFreq[i] = scaled;
        }
        return invFreq;
    }

    /** cos and sin tables (T, head_dim) for the positions [start, start + count), F32, HF layout. */
    public static Ops.RopeTables tables(float[] invFreq, int start, int count) {
        int[] positions = new int[count];
        for (int i = 0; i < count; i++) positions[i] = start + i;
        double[] inv = new double[invFreq.length];
        for (int i = 0; i < inv.length; i++) inv[i] = invFreq[i];
        return Ops.ropeTables(positions, inv, DType.F32);
    }
}
