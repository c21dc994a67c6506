package minitron.autograd;

import java.util.Map;
import minitron.tensor.DType;
import minitron.tensor.Ops;
import minitron.tensor.Tensor;

/**
 * The 2-layer Llama decoder of the golden cases, written with the autograd ops (the transformer module will own
 * the real model; this one exists to check autograd end to end). Shape legend: B batch, T positions, C hidden,
 * H query heads, G KV heads, D head dim, F intermediate size, V vocabulary. Parameter names are HF's.
 */
final class TinyLlama {
    final int layers, heads, kvHeads, headDim;
    final double eps, ropeTheta;
    final OpSet ops;

    TinyLlama(GoldenFile.Case c, OpSet ops) {
        this.ops = ops;
        layers = c.configInt("num_hidden_layers");
        heads = c.configInt("num_attention_heads");
        kvHeads = c.configInt("num_key_value_heads");
        headDim = c.configInt("head_dim");
        eps = c.configDouble("rms_norm_eps");
        ropeTheta = c.configDouble("rope_theta");
    }

    /** Self-attention with RoPE and causal GQA: x (B, T, C) -> (B, T, C). */
    static Var attention(OpSet ops, Var x, Var qProj, Var kProj, Var vProj, Var oProj, int heads, int kvHeads,
                         int headDim, Ops.RopeTables rope) {
        int b = x.dim(0), t = x.dim(1);
        Var q = LinearAlgebra.linear(x, qProj).reshape(b, t, heads, headDim).transpose(1, 2);   // (B, H, T, D)
        Var k = LinearAlgebra.linear(x, kProj).reshape(b, t, kvHeads, headDim).transpose(1, 2); // (B, G, T, D)
        Var v = LinearAlgebra.linear(x, vProj).reshape(b, t, kvHeads, headDim).transpose(1, 2); // (B, G, T, D)
        q = ops.rope(q, rope);
        k = ops.rope(k, rope);
        Var att = ops.attention(q, k, v, 1 / Math.sqrt(headDim), true);                   // (B, H, T, D)
        Var merged = att.transpose(1, 2).reshape(b, t, heads * headDim);                        // (B, T, H*D)
        return LinearAlgebra.linear(merged, oProj);                                             // (B, T, C)
    }

    /** down_proj(silu(gate_proj(x)) * up_proj(x)): (B, T, C) -> (B, T, C). */
    static Var mlp(OpSet ops, Var x, Var gateProj, Var upProj, Var downProj) {
        Var hidden = ops.swiglu(LinearAlgebra.linear(x, gateProj), LinearAlgebra.linear(x, upProj)); // (B, T, F)
        return LinearAlgebra.linear(hidden, downProj);
    }

    /** logits (B, T, V) for ids (B, T). */
    Var logits(Map<String, Var> p, Tensor ids) {
        int t = ids.dim(1);
        Ops.RopeTables rope = Fixtures.rope(t, headDim, ropeTheta, p.get("lm_head.weight").dtype());
        Var h = Indexing.embedding(p.get("model.embed_tokens.weight"), ids);                    // (B, T, C)
        for (int i = 0; i < layers; i++) {
            String l = "model.layers." + i + ".";
            Var normed = ops.rmsNorm(h, p.get(l + "input_layernorm.weight"), eps);
            h = h.add(attention(ops, normed, p.get(l + "self_attn.q_proj.weight"), p.get(l + "self_attn.k_proj.weight"),
                    p.get(l + "self_attn.v_proj.weight"), p.get(l + "self_attn.o_proj.weight"),
                    heads, kvHeads, headDim, rope));
            normed = ops.rmsNorm(h, p.get(l + "post_attention_layernorm.weight"), eps);
            h = h.add(mlp(ops, normed, p.get(l + "mlp.gate_proj.weight"), p.get(l + "mlp.up_proj.weight"),
                    p.get(l + "mlp.down_proj.weight")));
        }
        Var normed = ops.rmsNorm(h, p.get("model.norm.weight"), eps);
        return LinearAlgebra.linear(normed, p.get("lm_head.weight"));                           // (B, T, V)
    }

}
