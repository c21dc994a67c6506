package minitron.compress;

import minitron.transformer.config.LlamaConfig;

/**
 * The FLOPs model behind the predicted speedup of a pruned model. Per token of a forward at context length S:
 * <pre>
 *   2 * (matmul parameters)                       every weight matrix is one multiply-add per token
 *       matmul parameters = L (C H D + 2 C G D + H D C + 3 C F) + V C      (q, k and v, o, gate/up/down, lm_head;
 *                                                                           embedding lookup and norms excluded)
 *   + 2 * 2 * L * H * D * S                       attention: q k^T and p v against S positions
 * </pre>
 * Norms, RoPE, softmax and SiLU are O(C) or O(H S) per token and left out. The speedup predicted for pruning is
 * the ratio of the two models' FLOPs; measured speed also depends on memory bandwidth and kernel efficiency.
 */
public final class Flops {
    private Flops() {
    }

    /** Matmul parameters (see the class comment). */
    public static long matmulParameters(LlamaConfig c) {
        long C = c.hiddenSize(), f = c.intermediateSize(), h = c.numAttentionHeads(), g = c.numKeyValueHeads();
        long d = c.headDim(), v = c.vocabSize();
        long perLayer = C * h * d + 2 * C * g * d + h * d * C + 3 * C * f;
        return c.numHiddenLayers() * perLayer + v * C;
    }

    /** Forward FLOPs per token at context length {@code contextLength}. */
    public static double perToken(LlamaConfig c, int contextLength) {
        double attention = 2.0 * 2.0 * c.numHiddenLayers() * c.numAttentionHeads() * c.headDim() * contextLength;
        return 2.0 * matmulParameters(c) + attention;
    }

    /** perToken(source) / perToken(pruned). */
    public static double speedup(LlamaConfig source, LlamaConfig pruned, int contextLength) {
        return perToken(source, contextLength) / perToken(pruned, contextLength);
    }
}
