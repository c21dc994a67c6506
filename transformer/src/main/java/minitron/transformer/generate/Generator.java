package minitron.transformer.generate;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import minitron.autograd.NoGrad;
import minitron.tensor.Tensor;
import minitron.tensor.TensorException;
import minitron.transformer.model.KVCache;
import minitron.transformer.model.LlamaModel;
import minitron.transformer.tokenizer.StreamingDecoder;
import minitron.transformer.tokenizer.Tokenizer;

/**
 * Autoregressive generation with a KV cache: one forward over the whole prompt (prefill), then one forward per
 * new token (decode), each token chosen by a {@link Sampler} from the logits of the last position. Stops at an
 * end-of-sequence id or after {@code maxNewTokens}. Text is streamed through the tokenizer's
 * {@link StreamingDecoder}, so a character split over several tokens is printed once it is complete. A Mistral
 * sliding window needs nothing here: the model's forward applies it (by absolute position) in prefill and decode
 * alike, and generation may run past it.
 */
public final class Generator {

    /** Why generation stopped. */
    public enum Stop {
        /** An end-of-sequence id was produced (it is included in the ids, not in the text). */
        EOS,
        /** maxNewTokens were produced. */
        LENGTH
    }

    /**
     * The generated ids (without the prompt), why it stopped, and the timings: prefill covers the prompt's forward
     * and the first token's choice; decode covers every later forward.
     */
    public record Result(int[] ids, Stop stop, int promptTokens, long prefillNanos, int decodeTokens, long decodeNanos) {
        public double prefillTokensPerSecond() {
            return promptTokens / (prefillNanos / 1e9);
        }

        public double decodeTokensPerSecond() {
            return decodeTokens == 0 ? Double.NaN : decodeTokens / (decodeNanos / 1e9);
        }
    }

    private final LlamaModel model;

    public Generator(LlamaModel model) {
        this.model = model;
    }

    /**
     * Generates after {@code prompt} (ids, at least one). {@code eosIds}: ids that end generation (the config's
     * eos_token_id list, usually). {@code onToken} receives each new id as it is chosen (may be null).
     */
    public Result generate(int[] prompt, int maxNewTokens, Sampler sampler, Set<Integer> eosIds, Consumer<Integer> onToken) {
        if (prompt.length == 0) throw TensorException.of("generate", "a prompt of at least one token", "an empty prompt");
        if (maxNewTokens < 0) throw TensorException.of("generate", "max new tokens >= 0", String.valueOf(maxNewTokens));
        int vocab = model.config.vocabSize();
        for (int i = 0; i < prompt.length; i++) {
            if (prompt[i] < 0 || prompt[i] >= vocab) {
                throw TensorException.of("generate", "prompt ids in [0, " + vocab + ")", prompt[i] + " at position " + i);
            }
        }
        KVCache cache = model.newCache(1, (int) Math.min(Integer.MAX_VALUE, (long) prompt.length + Math.max(maxNewTokens, 1)));
        List<Integer> out = new ArrayList<>();
        Stop stop = Stop.LENGTH;
        long prefillNanos = 0, decodeNanos = 0;
        int decoded = 0;
        try (NoGrad scope = NoGrad.enter()) {
            long t0 = System.nanoTime();
            float[] logits = lastLogits(model.forward(Tensor.of(prompt.clone(), 1, prompt.length), cache, true).value());
            while (out.size() < maxNewTokens) {
                int next = sampler.sample(logits);
                if (out.isEmpty()) prefillNanos = System.nanoTime() - t0;
                out.add(next);
                if (onToken != null) onToken.accept(next);
                if (eosIds.contains(next)) {
                    stop = Stop.EOS;
                    break;
                }
                if (out.size() == maxNewTokens) break;
                long t1 = System.nanoTime();
                logits = lastLogits(model.forward(Tensor.of(new int[]{next}, 1, 1), cache, true).value());
                decodeNanos += System.nanoTime() - t1;
                decoded++;
            }
            if (out.isEmpty()) prefillNanos = System.nanoTime() - t0;
        }
        int[] ids = out.stream().mapToInt(Integer::intValue).toArray();
        return new Result(ids, stop, prompt.length, prefillNanos, decoded, decodeNanos);
    }

    /**
     * Generates and streams the text: each new id goes through {@code tokenizer}'s streaming decoder and the
     * completed text to {@code onText} (special tokens such as EOS are not printed).
     */
    public Result generateText(Tokenizer tokenizer, int[] prompt, int maxNewTokens, Sampler sampler,
                               Set<Integer> eosIds, Consumer<String> onText) {
        StreamingDecoder decoder = tokenizer.streamingDecoder(true);
        Result result = generate(prompt, maxNewTokens, sampler, eosIds, id -> {
            String piece = decoder.next(id);
            if (!piece.isEmpty()) onText.accept(piece);
        });
        String rest = decoder.finish();
        if (!rest.isEmpty()) onText.accept(rest);
        return result;
    }

    /** The logits of the last position of (1, T, V), as floats (V). */
    static float[] lastLogits(Tensor logits) {
        return logits.select(0, 0).select(0, logits.dim(1) - 1).toFloatArray();
    }
}
