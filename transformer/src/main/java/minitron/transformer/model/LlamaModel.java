package minitron.transformer.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.function.Consumer;
import minitron.autograd.Activations;
import minitron.autograd.Attention;
import minitron.autograd.Autograd;
import minitron.autograd.Indexing;
import minitron.autograd.LinearAlgebra;
import minitron.autograd.Losses;
import minitron.autograd.NoGrad;
import minitron.autograd.Normalization;
import minitron.autograd.Var;
import minitron.autograd.Views;
import minitron.tensor.DType;
import minitron.tensor.Ops;
import minitron.tensor.Shape;
import minitron.tensor.Tensor;
import minitron.tensor.TensorException;
import minitron.transformer.config.LlamaConfig;
import minitron.transformer.io.Checkpoint;
import minitron.transformer.io.SafetensorsWriter;

/**
 * Llama 3.x and Mistral / Mistral NeMo (the same network; the differences are {@link LlamaConfig} values):
 * token embedding, L decoder layers of pre-norm causal grouped-query self-attention (over a sliding window of
 * positions when the config has one, as Mistral's sliding_window) with rotary positions and a SwiGLU MLP, a final
 * RMSNorm and the LM head, with Hugging Face's semantics exactly.
 *
 * <p>Shape legend: B batch, T new positions, S positions attended (cached + new), C hidden_size, H
 * num_attention_heads, G num_key_value_heads, D head_dim (may differ from C / H), F intermediate_size, V vocab_size,
 * L num_hidden_layers.
 *
 * <p>Two ways to hold the weights, one forward:
 * <ul>
 *   <li><b>training</b> ({@link #fromTensors} with trainable, {@link #load} with {@link Mode#TRAINING}): every
 *       weight is an F32 master copy in a {@link Var#parameter}, named by its HF name; {@link #forward} records
 *       the graph and {@link #loss} backpropagates into every parameter;</li>
 *   <li><b>inference</b> ({@link Mode#INFERENCE}): the weights are {@link Var#constant}s over the checkpoint's own
 *       memory-mapped tensors (BF16 read in place by the kernels, never copied into an F32 twin), the forward
 *       runs without a graph and with a {@link KVCache}: prefill the prompt, then one token at a time.</li>
 * </ul>
 * The weights are plain mutable fields with the HF names (llama2.c's {@code TransformerWeights}), and
 * {@link #parameters()} is the name -> Var view of them that optimizers, saving and pruning use.
 */
public final class LlamaModel implements AutoCloseable {

    /** How {@link #load} holds the weights. */
    public enum Mode {
        /** F32 master weights as parameters (copied from the checkpoint, which is then closed). */
        TRAINING,
        /** The checkpoint's tensors in place (memory-mapped), no gradients; the model owns the mapping. */
        INFERENCE
    }

    /** One decoder layer's weights, HF names. */
    public static final class DecoderLayer {
        public Var inputLayernorm;           // input_layernorm.weight            (C)
        public Var qProj;                    // self_attn.q_proj.weight           (H*D, C)
        public Var kProj;                    // self_attn.k_proj.weight           (G*D, C)
        public Var vProj;                    // self_attn.v_proj.weight           (G*D, C)
        public Var oProj;                    // self_attn.o_proj.weight           (C, H*D)
        public Var postAttentionLayernorm;   // post_attention_layernorm.weight   (C)
        public Var gateProj;                 // mlp.gate_proj.weight              (F, C)
        public Var upProj;                   // mlp.up_proj.weight                (F, C)
        public Var downProj;                 // mlp.down_proj.weight              (C, F)
    }

    public final LlamaConfig config;
    public Var embedTokens;                  // model.embed_tokens.weight         (V, C)
    public final List<DecoderLayer> layers;  // model.layers.{i}
    public Var norm;                         // model.norm.weight                 (C)
    public Var lmHead;                       // lm_head.weight                    (V, C); embedTokens itself when tied
    private final float[] invFreq;           // RoPE inverse frequencies          (D/2), HF float32 values
    private final Checkpoint checkpoint;     // the mapped files in inference mode (closed by close()), else null
    private ForwardObserver observer;        // sees intermediate activations (pruning), null for none

    private LlamaModel(LlamaConfig config, Map<String, Var> weights, Checkpoint checkpoint) {
        this.config = config;
        this.checkpoint = checkpoint;
        this.invFreq = RotaryEmbedding.inverseFrequencies(config);
        embedTokens = weights.get("model.embed_tokens.weight");
        List<DecoderLayer> list = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            DecoderLayer layer = new DecoderLayer();
            layer.inputLayernorm = weights.get(p + "input_layernorm.weight");
            layer.qProj = weights.get(p + "self_attn.q_proj.weight");
            layer.kProj = weights.get(p + "self_attn.k_proj.weight");
            layer.vProj = weights.get(p + "self_attn.v_proj.weight");
            layer.oProj = weights.get(p + "self_attn.o_proj.weight");
            layer.postAttentionLayernorm = weights.get(p + "post_attention_layernorm.weight");
            layer.gateProj = weights.get(p + "mlp.gate_proj.weight");
            layer.upProj = weights.get(p + "mlp.up_proj.weight");
            layer.downProj = weights.get(p + "mlp.down_proj.weight");
            list.add(layer);
        }
        layers = list;
        norm = weights.get("model.norm.weight");
        lmHead = config.tieWordEmbeddings() ? embedTokens : weights.get("lm_head.weight");
    }

    // ------------------------------------------------------------------------------------------- construction

    /**
     * A model over the given tensors (HF names; every tensor of {@link LlamaConfig#expectedTensors()} with its
     * shape; extra tensors are ignored). Trainable: each becomes an F32 parameter (a copy, converted from BF16/F16);
     * otherwise each is used in place as a constant.
     */
    public static LlamaModel fromTensors(LlamaConfig config, Map<String, Tensor> tensors, boolean trainable) {
        List<String> problems = new ArrayList<>();
        Map<String, Var> weights = new LinkedHashMap<>();
        for (Map.Entry<String, Shape> e : config.expectedTensors().entrySet()) {
            Tensor t = tensors.get(e.getKey());
            if (t == null) {
                problems.add("missing tensor \"" + e.getKey() + "\" (expected shape " + e.getValue() + ")");
            } else if (!t.shape().equals(e.getValue())) {
                problems.add("tensor \"" + e.getKey() + "\": expected shape " + e.getValue() + ", found " + t.shape());
            } else {
                weights.put(e.getKey(), trainable ? Var.parameter(e.getKey(), heapF32Copy(t)) : Var.constant(t).named(e.getKey()));
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("LlamaModel: tensors do not match the config:\n  - "
                    + String.join("\n  - ", problems));
        }
        return new LlamaModel(config, weights, null);
    }

    /** A new F32 tensor on the Java heap with t's values (Tensor.to returns t itself when it is already F32). */
    private static Tensor heapF32Copy(Tensor t) {
        Tensor out = Tensor.zeros(DType.F32, t.shape());
        Ops.cpu().copyInto(t, out);
        return out;
    }

    /**
     * Loads an HF model directory (config.json + model.safetensors or sharded). The checkpoint is validated
     * against the config before anything is used (every tensor present with its shape; see {@link Checkpoint}).
     * Its warnings (tensors the config does not use, an index whose totals disagree) are dropped: use
     * {@link #load(Path, Mode, Consumer)} to see them.
     */
    public static LlamaModel load(Path directory, Mode mode) {
        return load(directory, mode, warning -> { });
    }

    /** As {@link #load(Path, Mode)}, passing each of the checkpoint's warnings to {@code warnings} first. */
    public static LlamaModel load(Path directory, Mode mode, Consumer<String> warnings) {
        Checkpoint checkpoint = Checkpoint.openModel(directory);
        try {
            checkpoint.warnings().forEach(warnings);
            if (mode == Mode.TRAINING) {
                LlamaModel model = fromTensors(checkpoint.config(), checkpoint.tensors(), true);
                checkpoint.close();
                return model;
            }
            Map<String, Var> weights = new LinkedHashMap<>();
            for (String name : checkpoint.config().expectedTensors().keySet()) {
                weights.put(name, Var.constant(checkpoint.tensor(name)).named(name));
            }
            return new LlamaModel(checkpoint.config(), weights, checkpoint);
        } catch (RuntimeException e) {
            checkpoint.close();
            throw e;
        }
    }

    /** Writes config.json and the weights (as {@code storeAs}: F32, BF16 or F16), sharded above 5 GB. */
    public List<Path> save(Path directory, DType storeAs) throws IOException {
        SequencedMap<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Var> e : parameters().entrySet()) tensors.put(e.getKey(), e.getValue().value());
        return Checkpoint.saveModel(directory, config, tensors, storeAs, SafetensorsWriter.DEFAULT_MAX_SHARD_BYTES);
    }

    /** Every weight by HF name, in checkpoint order; with tied embeddings there is no lm_head.weight entry. */
    public SequencedMap<String, Var> parameters() {
        SequencedMap<String, Var> out = new LinkedHashMap<>();
        out.put("model.embed_tokens.weight", embedTokens);
        for (int i = 0; i < layers.size(); i++) {
            String p = "model.layers." + i + ".";
            DecoderLayer layer = layers.get(i);
            out.put(p + "input_layernorm.weight", layer.inputLayernorm);
            out.put(p + "self_attn.q_proj.weight", layer.qProj);
            out.put(p + "self_attn.k_proj.weight", layer.kProj);
            out.put(p + "self_attn.v_proj.weight", layer.vProj);
            out.put(p + "self_attn.o_proj.weight", layer.oProj);
            out.put(p + "post_attention_layernorm.weight", layer.postAttentionLayernorm);
            out.put(p + "mlp.gate_proj.weight", layer.gateProj);
            out.put(p + "mlp.up_proj.weight", layer.upProj);
            out.put(p + "mlp.down_proj.weight", layer.downProj);
        }
        out.put("model.norm.weight", norm);
        if (!config.tieWordEmbeddings()) out.put("lm_head.weight", lmHead);
        return Collections.unmodifiableSequencedMap(out);
    }

    /** The RoPE inverse frequencies (D/2) the model uses, HF float32 values. */
    public float[] inverseFrequencies() {
        return invFreq.clone();
    }

    /** A KV cache for this model: {@code batch} sequences of at most {@code capacity} positions. */
    public KVCache newCache(int batch, int capacity) {
        return new KVCache(config, batch, capacity);
    }

    // ------------------------------------------------------------------------------------------- forward

    /** Sets (or with null removes) the observer every later forward reports its activations to. */
    public void setObserver(ForwardObserver observer) {
        this.observer = observer;
    }

    /** logits (B, T, V) for ids (B, T), positions 0..T-1, no cache (training and scoring). */
    public Var forward(Tensor ids) {
        return forward(ids, null);
    }

    /**
     * logits (B, T, V) for ids (B, T) I32. With a cache, the ids are positions [start, start + T) of each
     * sequence, start = cache.length(): their keys and values are appended to the cache and attention sees every
     * cached position; the forward then runs without a graph (inference). Without a cache, the ids are positions
     * [0, T).
     */
    public Var forward(Tensor ids, KVCache cache) {
        return forward(ids, cache, false);
    }

    /**
     * As {@link #forward(Tensor, KVCache)}; with {@code lastPositionOnly} the final norm and the LM head run on the
     * last position only and the logits are (B, 1, V): what generation needs (HF's {@code logits_to_keep=1}). The LM
     * head is C x V multiply-adds per position, so a long prompt over a large vocabulary saves a large share of the
     * prefill (about a fifth for Llama 3.2 1B, whose 128256 x 2048 head holds a fifth of the weights).
     */
    public Var forward(Tensor ids, KVCache cache, boolean lastPositionOnly) {
        if (ids.rank() != 2 || ids.dtype() != DType.I32) {
            throw TensorException.of("LlamaModel.forward", "ids (B, T) of dtype I32", ids.dtype() + " " + ids.shape());
        }
        int b = ids.dim(0), t = ids.dim(1);
        int start = cache == null ? 0 : cache.length();
        if (cache != null) {
            if (cache.batch() != b) {
                throw TensorException.of("LlamaModel.forward", "ids with the cache's batch size " + cache.batch(),
                        "ids " + ids.shape());
            }
            cache.reserve(Autograd.ops(), t);
        }
        try (NoGrad scope = cache != null ? NoGrad.enter() : null) {
            Ops.RopeTables rope = RotaryEmbedding.tables(invFreq, start, t);             // cos, sin (T, D)
            Var h = Indexing.embedding(embedTokens, ids);                                 // (B, T, C)
            for (int l = 0; l < layers.size(); l++) {
                DecoderLayer layer = layers.get(l);
                if (observer != null) observer.hiddenState(l, h.value());
                Var x = Normalization.rmsNorm(h, layer.inputLayernorm, config.rmsNormEps()); // (B, T, C)
                if (observer != null) observer.normOutput(l, ForwardObserver.Norm.INPUT_LAYERNORM, x.value());
                h = h.add(selfAttention(layer, l, x, rope, cache, start));                 // (B, T, C)
                x = Normalization.rmsNorm(h, layer.postAttentionLayernorm, config.rmsNormEps()); // (B, T, C)
                if (observer != null) observer.normOutput(l, ForwardObserver.Norm.POST_ATTENTION_LAYERNORM, x.value());
                h = h.add(mlp(layer, l, x));                                                // (B, T, C)
            }
            if (observer != null) observer.hiddenState(layers.size(), h.value());
            if (cache != null) cache.advance(t);
            if (lastPositionOnly) h = Views.slice(h, 1, t - 1, t);                         // (B, 1, C)
            Var x = Normalization.rmsNorm(h, norm, config.rmsNormEps());                   // (B, T or 1, C)
            return LinearAlgebra.linear(x, lmHead);                                         // (B, T or 1, V)
        }
    }

    /**
     * Causal grouped-query self-attention with rotary positions: x (B, T, C) -> (B, T, C).
     * q = q_proj(x) split into H heads of D, k = k_proj(x) and v = v_proj(x) into G heads; q and k rotated by their
     * positions; query head h attends to KV head h / (H / G) over the positions up to its own:
     * softmax(q k^T / sqrt(D) + mask) v, then o_proj.
     * With Mistral's sliding_window W the mask keeps only the last W positions (the query's own included), by
     * absolute position: the same with or without the cache, which keeps every position and lets the kernel
     * skip the ones outside the window.
     */
    private Var selfAttention(DecoderLayer layer, int index, Var x, Ops.RopeTables rope, KVCache cache, int start) {
        int b = x.dim(0), t = x.dim(1);
        int numHeads = config.numAttentionHeads(), numKeyValueHeads = config.numKeyValueHeads();
        int headDim = config.headDim();
        Var q = LinearAlgebra.linear(x, layer.qProj)                                            // (B, T, H*D)
                .reshape(b, t, numHeads, headDim).transpose(1, 2);                              // (B, H, T, D)
        Var k = LinearAlgebra.linear(x, layer.kProj)                                            // (B, T, G*D)
                .reshape(b, t, numKeyValueHeads, headDim).transpose(1, 2);                      // (B, G, T, D)
        Var v = LinearAlgebra.linear(x, layer.vProj)                                            // (B, T, G*D)
                .reshape(b, t, numKeyValueHeads, headDim).transpose(1, 2);                      // (B, G, T, D)
        q = Attention.rope(q, rope);                                                            // (B, H, T, D)
        k = Attention.rope(k, rope);                                                            // (B, G, T, D)
        if (cache != null) {
            cache.write(Autograd.ops(), index, k.value(), v.value());
            k = Var.constant(cache.keys(index, start + t));                                     // (B, G, S, D)
            v = Var.constant(cache.values(index, start + t));                                   // (B, G, S, D)
        }
        Var att = Attention.attention(q, k, v, 1.0 / Math.sqrt(headDim), true, slidingWindow()); // (B, H, T, D)
        Var merged = att.transpose(1, 2).reshape(b, t, numHeads * headDim);                     // (B, T, H*D)
        if (observer != null) observer.attentionOutput(index, merged.value());
        return LinearAlgebra.linear(merged, layer.oProj);                                        // (B, T, C)
    }

    /** The attention window in positions: config.sliding_window, or 0 (full causal attention) when null. */
    private int slidingWindow() {
        Integer window = config.slidingWindow();
        return window == null ? 0 : window;
    }

    /** The SwiGLU MLP: down_proj(silu(gate_proj(x)) * up_proj(x)), (B, T, C) -> (B, T, F) -> (B, T, C). */
    private Var mlp(DecoderLayer layer, int index, Var x) {
        Var gate = LinearAlgebra.linear(x, layer.gateProj);                                      // (B, T, F)
        Var up = LinearAlgebra.linear(x, layer.upProj);                                          // (B, T, F)
        Var act = Activations.swiglu(gate, up);                                                  // (B, T, F)
        if (observer != null) observer.mlpActivation(index, act.value());
        return LinearAlgebra.linear(act, layer.downProj);                                        // (B, T, C)
    }

    // ------------------------------------------------------------------------------------------- losses

    /**
     * Mean next-token cross-entropy of the forward over ids (B, T) against targets (B, T) (I32; positions whose
     * target is {@link Losses#IGNORE_INDEX} do not count), as HF's loss with labels already shifted.
     */
    public Var loss(Tensor ids, Tensor targets) {
        return Losses.crossEntropy(forward(ids), targets);
    }

    /** Targets for language modelling on ids (B, T): ids shifted left by one, the last position ignored. */
    public static Tensor nextTokenTargets(Tensor ids) {
        int b = ids.dim(0), t = ids.dim(1);
        Tensor targets = Tensor.zeros(DType.I32, b, t);
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) {
                targets.set(j + 1 < t ? ids.get(i, j + 1) : Losses.IGNORE_INDEX, i, j);
            }
        }
        return targets;
    }

    /** Unmaps the checkpoint in inference mode (the weights must not be used afterwards); no-op otherwise. */
    @Override
    public void close() {
        if (checkpoint != null) checkpoint.close();
    }
}
