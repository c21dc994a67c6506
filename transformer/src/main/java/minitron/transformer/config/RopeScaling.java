package minitron.transformer.config;

/**
 * The {@code rope_scaling} block of an HF config. Two types are implemented:
 * <ul>
 *   <li>{@code llama3} (Llama 3.1 / 3.2): frequencies with wavelength above
 *       {@code original_max_position_embeddings / low_freq_factor} are divided by {@code factor}, those below
 *       {@code original_max_position_embeddings / high_freq_factor} are kept, and the band between is
 *       interpolated smoothly;</li>
 *   <li>{@code linear}: every position is divided by {@code factor} (the low/high/original fields are unused
 *       and stored as 0).</li>
 * </ul>
 * HF spells the type key {@code rope_type} (current) or {@code type} (older files); both are read.
 */
public record RopeScaling(
        String ropeType,                      // "llama3" or "linear"
        double factor,                        // factor
        double lowFreqFactor,                 // low_freq_factor (llama3 only)
        double highFreqFactor,                // high_freq_factor (llama3 only)
        int originalMaxPositionEmbeddings) {  // original_max_position_embeddings (llama3 only)

    public static final String LLAMA3 = "llama3";
    public static final String LINEAR = "linear";

    public RopeScaling {
        if (!LLAMA3.equals(ropeType) && !LINEAR.equals(ropeType)) {
            throw new ConfigException("rope_scaling: rope_type \"" + ropeType + "\" is not supported (supported: llama3, linear)");
        }
        if (!(factor > 0)) {
            throw new ConfigException("rope_scaling: factor must be > 0, got " + factor);
        }
        if (LLAMA3.equals(ropeType)) {
            // The llama3 rule interpolates over wavelengths between original/high and original/low:
            // it needs 0 < low_freq_factor < high_freq_factor (else a division by zero or an inverted band).
            if (!(lowFreqFactor > 0 && highFreqFactor > lowFreqFactor)) {
                throw new ConfigException("rope_scaling: llama3 needs 0 < low_freq_factor < high_freq_factor, got low "
                        + lowFreqFactor + ", high " + highFreqFactor);
            }
            if (originalMaxPositionEmbeddings <= 0) {
                throw new ConfigException("rope_scaling: original_max_position_embeddings must be positive, got "
                        + originalMaxPositionEmbeddings);
            }
        }
    }

    public static RopeScaling llama3(double factor, double lowFreqFactor, double highFreqFactor,
                                     int originalMaxPositionEmbeddings) {
        return new RopeScaling(LLAMA3, factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings);
    }

    public static RopeScaling linear(double factor) {
        return new RopeScaling(LINEAR, factor, 0, 0, 0);
    }

    public boolean isLlama3() {
        return LLAMA3.equals(ropeType);
    }
}
