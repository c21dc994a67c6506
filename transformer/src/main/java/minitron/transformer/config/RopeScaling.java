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
