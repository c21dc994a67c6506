package minitron.compress;

import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.SequencedMap;
import java.util.stream.IntStream;
import minitron.tensor.Tensor;
import minitron.transformer.config.LlamaConfig;
import minitron.transformer.model.LlamaModel;

/**
 * Width pruning and trimming (DESIGN.md section 4). Legend: L layers, H query heads, G KV heads, D head_dim,
 * F intermediate_size, C hidden_size, V vocab_size.
 *
 * <p>{@link #plan}: rank each axis by importance and keep the top k <em>in their original order</em> (ties go to
 * the lower index), so that keeping everything is the identity. Channels: one global ranking. Neurons and heads:
 * per layer, the same number in every layer. Heads with GQA: ranked within each KV group, the same number kept in
 * every group, K and V untouched.
 *
 * <p>{@link #apply}: slices every affected weight, no rescaling. Hidden channels: embed_tokens and lm_head columns,
 * every norm weight, q/k/v columns, o rows, gate/up columns, down rows. Neurons: gate/up rows, down columns.
 * Heads: q rows and o columns (D unchanged).
 */
public final class WidthPruner {
    private WidthPruner() {
    }

    /** Target sizes; null keeps an axis as it is. */
    public record Target(Integer hiddenSize, Integer intermediateSize, Integer numAttentionHeads) {
    }

    /**
     * What to keep: hidden channels (C'), per layer the neurons (L, F') and query heads (L, H'), each ascending,
     * and the pruned config.
     */
    public record Plan(int[] channels, int[][] neurons, int[][] heads, LlamaConfig config) {
    }

    /** The plan for a target, from importance scores of this config (validated against the config's sizes). */
    public static Plan plan(LlamaConfig source, ImportanceScores scores, Target target) {
        int layers = source.numHiddenLayers();
        int c = source.hiddenSize(), f = source.intermediateSize(), h = source.numAttentionHeads();
        int g = source.numKeyValueHeads();
        if (scores.layers() != layers || scores.embedding().length != c || scores.heads()[0].length != h
                || scores.neurons()[0].length != f) {
            throw new CompressException("width pruning: expected importance for (layers " + layers + ", hidden " + c
                    + ", heads " + h + ", intermediate " + f + "), found (layers " + scores.layers() + ", hidden "
                    + scores.embedding().length + ", heads " + scores.heads()[0].length + ", intermediate "
                    + scores.neurons()[0].length + ")");
        }
        int newC = checkTarget("--hidden-size", target.hiddenSize(), c);
        int newF = checkTarget("--intermediate-size", target.intermediateSize(), f);
        int newH = checkTarget("--num-attention-heads", target.numAttentionHeads(), h);
        if (newH % g != 0) {
            throw new CompressException("--num-attention-heads: expected a multiple of num_key_value_heads = " + g
                    + " (the same number of query heads in every KV group), found " + newH);
        }
        int[] channels = topK(scores.embedding(), 0, c, newC);
        int[][] neurons = new int[layers][];
        int[][] heads = new int[layers][];
        int perGroup = h / g, keepPerGroup = newH / g;
        for (int l = 0; l < layers; l++) {
            neurons[l] = topK(scores.neurons()[l], 0, f, newF);
            int[] kept = new int[newH];
            for (int group = 0; group < g; group++) {
                int[] inGroup = topK(scores.heads()[l], group * perGroup, perGroup, keepPerGroup);
                System.arraycopy(inGroup, 0, kept, group * keepPerGroup, keepPerGroup);
            }
            heads[l] = kept;
        }
        LlamaConfig config = source.withShape(newC, newF, layers, newH, g);
        return new Plan(channels, neurons, heads, config);
    }

    private static int checkTarget(String option, Integer target, int source) {
        if (target == null) return source;
        if (target < 1 || target > source) {
            throw new CompressException(option + ": expected a size in [1, " + source + "] (the source model's), found "
                    + target);
        }
        return target;
    }

    /**
     * Indices of the k highest scores among [from, from + n), in ascending index order (ties: lower index first).
     */
    static int[] topK(float[] scores, int from, int n, int k) {
        Integer[] order = IntStream.range(from, from + n).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -scores[i]).thenComparingInt(i -> i));
        int[] kept = new int[k];
        for (int i = 0; i < k; i++) kept[i] = order[i];
        Arrays.sort(kept);
        return kept;
    }

    /** The pruned model's tensors (HF names, new contiguous copies in each tensor's own dtype). */
    public static SequencedMap<String, Tensor> apply(LlamaModel model, Plan plan) {
        LlamaConfig src = model.config;
        int d = src.headDim();
        int[] ch = plan.channels();
        SequencedMap<String, Tensor> out = new LinkedHashMap<>();
        out.put("model.embed_tokens.weight", select(model.embedTokens.value(), null, ch));           // (V, C')
        for (int l = 0; l < src.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            LlamaModel.DecoderLayer layer = model.layers.get(l);
            int[] headRows = headChannels(plan.heads()[l], d);                                        // (H'*D)
            int[] neurons = plan.neurons()[l];                                                        // (F')
            out.put(p + "input_layernorm.weight", select(layer.inputLayernorm.value(), null, ch));    // (C')
            out.put(p + "self_attn.q_proj.weight", select(layer.qProj.value(), headRows, ch));        // (H'*D, C')
            out.put(p + "self_attn.k_proj.weight", select(layer.kProj.value(), null, ch));            // (G*D, C')
            out.put(p + "self_attn.v_proj.weight", select(layer.vProj.value(), null, ch));            // (G*D, C')
            out.put(p + "self_attn.o_proj.weight", select(layer.oProj.value(), ch, headRows));        // (C', H'*D)
            out.put(p + "post_attention_layernorm.weight", select(layer.postAttentionLayernorm.value(), null, ch));
            out.put(p + "mlp.gate_proj.weight", select(layer.gateProj.value(), neurons, ch));         // (F', C')
            out.put(p + "mlp.up_proj.weight", select(layer.upProj.value(), neurons, ch));             // (F', C')
            out.put(p + "mlp.down_proj.weight", select(layer.downProj.value(), ch, neurons));         // (C', F')
        }
        out.put("model.norm.weight", select(model.norm.value(), null, ch));                          // (C')
        if (!src.tieWordEmbeddings()) out.put("lm_head.weight", select(model.lmHead.value(), null, ch)); // (V, C')
        return out;
    }

    /** The pruned model over the sliced tensors (constants). */
    public static LlamaModel prune(LlamaModel model, Plan plan) {
        return LlamaModel.fromTensors(plan.config(), apply(model, plan), false);
    }

    /** The D channels of each kept head, in order: head h owns channels [h*D, (h+1)*D). */
    static int[] headChannels(int[] heads, int d) {
        int[] out = new int[heads.length * d];
        for (int i = 0; i < heads.length; i++) {
            for (int j = 0; j < d; j++) out[i * d + j] = heads[i] * d + j;
        }
        return out;
    }

    /**
     * A new contiguous tensor of t's dtype with the given indices kept. Vector (C): {@code cols} selects (rows must
     * be null). Matrix (R, K): rows then columns, null keeping all. Values are copied exactly (no rounding: the
     * read and write are in the same dtype).
     */
    static Tensor select(Tensor t, int[] rows, int[] cols) {
        if (t.rank() == 1) {
            Tensor out = Tensor.zeros(t.dtype(), cols.length);
            long s0 = t.stride(0);
            for (int j = 0; j < cols.length; j++) out.writeDouble(j, t.readDouble(t.offset() + cols[j] * s0));
            return out;
        }
        int[] r = rows != null ? rows : IntStream.range(0, t.dim(0)).toArray();
        int[] c = cols != null ? cols : IntStream.range(0, t.dim(1)).toArray();
        Tensor out = Tensor.zeros(t.dtype(), r.length, c.length);
        long s0 = t.stride(0), s1 = t.stride(1);
        for (int i = 0; i < r.length; i++) {
            long rowBase = t.offset() + r[i] * s0;
            long outBase = (long) i * c.length;
            for (int j = 0; j < c.length; j++) out.writeDouble(outBase + j, t.readDouble(rowBase + c[j] * s1));
        }
        return out;
    }
}
