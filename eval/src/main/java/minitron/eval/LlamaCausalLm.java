package minitron.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import minitron.autograd.NoGrad;
import minitron.tensor.Tensor;
import minitron.transformer.config.LlamaConfig;
import minitron.transformer.model.KVCache;
import minitron.transformer.model.LlamaModel;

/**
 * A {@link LlamaModel} as a {@link CausalLm}. Shape legend: B batch, T positions, V vocab_size.
 *
 * <ul>
 *   <li>{@link #targetLogprobs}: sequences right-padded to the longest and run as one batch (causal attention:
 *       padding after a sequence's end does not change its positions), at most {@link #MAX_BATCH_ELEMENTS}
 *       logits per forward;</li>
 *   <li>{@link #continuationLogprobs}: per context, one KV cache: context[:-1] is run once (LM head on its last
 *       position only), then each
 *       continuation ([context[-1]] + continuation[:-1]) is appended, read, and truncated away again;</li>
 *   <li>{@link #greedyContinuation}: prefill the prompt, then one token per forward with the cache.</li>
 * </ul>
 */
public final class LlamaCausalLm implements CausalLm {
    /**
     * Upper bound on the B * T * V logits of one forward (16 Mi floats, 64 MiB), so that memory does not grow
     * with sequence x vocabulary: a batch holds fewer sequences, and a long continuation is run through the KV
     * cache in chunks of MAX_BATCH_ELEMENTS / V positions (128 for a 128k vocabulary).
     */
    static final long MAX_BATCH_ELEMENTS = 16L << 20;

    private final LlamaModel model;
    private final LlamaConfig config;
    private final int maxContext;
    private final long maxLogits;        // MAX_BATCH_ELEMENTS, smaller in tests to exercise the chunking

    /**
     * maxContext: at most max_position_embeddings (as lm-eval's HFLM max_length; a Mistral sliding window does not
     * limit it, the model attends over the window at any length).
     */
    public LlamaCausalLm(LlamaModel model, int maxContext) {
        this(model, maxContext, MAX_BATCH_ELEMENTS);
    }

    LlamaCausalLm(LlamaModel model, int maxContext, long maxLogits) {
        this.model = model;
        this.maxLogits = maxLogits;
        this.config = model.config;
        int limit = config.maxPositionEmbeddings();
        if (maxContext < 2 || maxContext > limit) {
            throw new EvalException("LlamaCausalLm: expected a max context in [2, " + limit + "] (the model's "
                    + "positions), found " + maxContext);
        }
        this.maxContext = maxContext;
    }

    public LlamaCausalLm(LlamaModel model) {
        this(model, model.config.maxPositionEmbeddings());
    }

    @Override
    public int vocabSize() {
        return config.vocabSize();
    }

    @Override
    public int maxContext() {
        return maxContext;
    }

    @Override
    public Integer bosId() {
        return config.bosTokenId();
    }

    @Override
    public List<Integer> eosIds() {
        return config.eosTokenIds();
    }

    @Override
    public List<double[]> targetLogprobs(List<int[]> inputs, List<int[]> targets) {
        List<double[]> out = new ArrayList<>();
        int v = vocabSize();
        int start = 0;
        while (start < inputs.size()) {
            // Grow the batch while B * T_max * V stays under the bound (at least one sequence).
            int end = start + 1;
            int longest = inputs.get(start).length;
            while (end < inputs.size()) {
                int t = Math.max(longest, inputs.get(end).length);
                if ((long) (end - start + 1) * t * v > maxLogits) break;
                longest = t;
                end++;
            }
            List<int[]> batch = inputs.subList(start, end);
            float[] logits = forward(batch, longest);                           // (B, T, V)
            for (int b = 0; b < batch.size(); b++) {
                int[] target = targets.get(start + b);
                double[] lp = new double[batch.get(b).length];
                for (int j = 0; j < lp.length; j++) {
                    lp[j] = LogSoftmax.at(logits, (b * longest + j) * v, v, target[j]);
                }
                out.add(lp);
            }
            start = end;
        }
        return out;
    }

    /** Logits (B, T, V) as floats for sequences right-padded with token 0 to length t. */
    private float[] forward(List<int[]> sequences, int t) {
        int[] ids = new int[sequences.size() * t];                              // (B, T)
        for (int b = 0; b < sequences.size(); b++) {
            System.arraycopy(sequences.get(b), 0, ids, b * t, sequences.get(b).length);
        }
        try (NoGrad scope = NoGrad.enter()) {
            return floats(model.forward(Tensor.of(ids, sequences.size(), t)).value());
        }
    }

    @Override
    public int greedyNext(int[] tokens) {
        try (NoGrad scope = NoGrad.enter()) {                                   // (1, 1, V): the last position
            float[] logits = floats(model.forward(Tensor.of(tokens, 1, tokens.length), null, true).value());
            return LogSoftmax.argmax(logits, 0, vocabSize());
        }
    }

    @Override
    public List<List<double[]>> continuationLogprobs(List<ContextRequest> requests) {
        int v = vocabSize();
        int chunk = (int) Math.max(1, maxLogits / v);
        List<List<double[]>> out = new ArrayList<>();
        for (ContextRequest r : requests) {
            CausalLm.checkRequest(r, maxContext);
            int[] context = r.context();
            int longest = 0;
            for (int[] c : r.continuations()) longest = Math.max(longest, c.length);
            KVCache cache = model.newCache(1, context.length - 1 + longest);
            if (context.length > 1) {
                // context[:-1] into the cache; its logits are not needed (the LM head runs on one position only)
                runCached(Arrays.copyOfRange(context, 0, context.length - 1), cache, true);
            }
            int shared = cache.length();
            List<double[]> perContinuation = new ArrayList<>();
            for (int[] continuation : r.continuations()) {
                int[] input = new int[continuation.length];                     // [context[-1]] + continuation[:-1]
                input[0] = context[context.length - 1];
                System.arraycopy(continuation, 0, input, 1, continuation.length - 1);
                double[] lp = new double[continuation.length];
                for (int from = 0; from < input.length; from += chunk) {
                    int to = Math.min(input.length, from + chunk);
                    float[] logits = runCached(Arrays.copyOfRange(input, from, to), cache, false); // (1, n, V)
                    for (int j = from; j < to; j++) lp[j] = LogSoftmax.at(logits, (j - from) * v, v, continuation[j]);
                }
                perContinuation.add(lp);
                cache.truncate(shared);
            }
            out.add(perContinuation);
        }
        return out;
    }

    @Override
    public int[] greedyContinuation(int[] prompt, int maxNewTokens, StopCondition stop) {
        int v = vocabSize();
        int steps = Math.min(maxNewTokens, maxContext - prompt.length);
        List<Integer> generated = new ArrayList<>();
        if (steps <= 0) return new int[0];
        KVCache cache = model.newCache(1, prompt.length + steps);
        float[] logits = runCached(prompt, cache, true);                        // (1, 1, V): the last position
        int next = LogSoftmax.argmax(logits, 0, v);
        while (true) {
            if (eosIds().contains(next)) break;
            generated.add(next);
            if (stop.shouldStop(generated) || generated.size() >= steps) break;
            logits = runCached(new int[] {next}, cache, true);
            next = LogSoftmax.argmax(logits, 0, v);
        }
        return generated.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * The values of a logits tensor as floats: its backing array when it is a whole contiguous F32 heap tensor
     * (what the forward returns; no copy), else an element-by-element copy.
     */
    static float[] floats(Tensor logits) {
        float[] backing = logits.heapFloats();
        if (backing != null && logits.isContiguous() && logits.offset() == 0 && backing.length == logits.numel()) {
            return backing;
        }
        return logits.toFloatArray();
    }

    /**
     * Runs ids as the next positions of the cache's one sequence; logits (1, n, V) as floats, or (1, 1, V) of
     * the last position only when lastPositionOnly.
     */
    private float[] runCached(int[] ids, KVCache cache, boolean lastPositionOnly) {
        return floats(model.forward(Tensor.of(ids, 1, ids.length), cache, lastPositionOnly).value());
    }
}
