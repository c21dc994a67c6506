package minitron.transformer.model;

import minitron.tensor.Tensor;

/**
 * Sees intermediate activations of {@link LlamaModel#forward} (for pruning's importance estimation and Block
 * Importance); set with {@link LlamaModel#setObserver}. Every callback has a no-op default. The tensors are the
 * forward's own values: read them, do not keep or modify them. Shape legend as in {@link LlamaModel}.
 */
public interface ForwardObserver {

    /** Which RMSNorm of a decoder layer produced a {@link #normOutput}. */
    enum Norm { INPUT_LAYERNORM, POST_ATTENTION_LAYERNORM }

    /** The residual stream entering layer {@code index} (index == L: the output of the last layer). x: (B, T, C). */
    default void hiddenState(int index, Tensor x) {
    }

    /** The output of a layer's input_layernorm or post_attention_layernorm, weight applied. x: (B, T, C). */
    default void normOutput(int layer, Norm norm, Tensor x) {
    }

    /** The input of o_proj: the attention heads' outputs side by side. x: (B, T, H*D). */
    default void attentionOutput(int layer, Tensor x) {
    }

    /** The input of down_proj: silu(gate_proj(x)) * up_proj(x). x: (B, T, F). */
    default void mlpActivation(int layer, Tensor x) {
    }
}
