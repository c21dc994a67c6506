import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import java.io.File;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * Jlama's prefill and decode on a model folder, timed as `minitron bench decode` times ours: prefill is one batch
 * forward over P random ids plus the LM head on the last position (best of two runs); decode is one forward and a
 * greedy sample (the LM head over the whole vocabulary, then argmax) per token, the median of D steps, after
 * warm-up steps that last until the JIT has compiled nothing for 8 steps (at most 96 steps or 20 s). Weights stay
 * in the checkpoint's dtype (BF16), activations F32 (no quantization).
 *
 * Run: java --add-modules jdk.incubator.vector -cp "LIB/*" JlamaPeer.java DIR P D
 * Prints one JSON object: {"peer": "jlama", "prefill_tps": ..., "decode_tps": ..., "warm_up_steps": ...}.
 */
public class JlamaPeer {
    public static void main(String[] args) throws Exception {
        File dir = new File(args[0]);
        int promptTokens = Integer.parseInt(args[1]), decodeTokens = Integer.parseInt(args[2]);
        AbstractModel model = ModelSupport.loadModel(dir, DType.F32, DType.F32);
        KvBufferCache caches = new KvBufferCache(model);
        int vocab = model.getConfig().vocabularySize;
        AbstractTensor logits = model.makeDenseTensor(vocab);
        SplittableRandom random = new SplittableRandom(7);
        int[] prompt = new int[promptTokens];
        for (int i = 0; i < promptTokens; i++) prompt[i] = random.nextInt(vocab);

        double prefillSeconds = Double.MAX_VALUE;
        for (int run = 0; run < 2; run++) {
            KvBufferCache.KvBuffer cache = caches.getKvBuffer(UUID.randomUUID());
            long t0 = System.nanoTime();
            AbstractTensor hidden = model.batchForward(prompt, 0, cache);
            model.sample(hidden.slice(hidden.shape().first() - 1), 0f, 0.5f, logits);
            prefillSeconds = Math.min(prefillSeconds, (System.nanoTime() - t0) / 1e9);
            hidden.close();
        }

        KvBufferCache.KvBuffer cache = caches.getKvBuffer(UUID.randomUUID());
        CompilationMXBean compiler = ManagementFactory.getCompilationMXBean();
        long lastCompile = compiler.getTotalCompilationTime();
        long deadline = System.nanoTime() + 20_000_000_000L;
        int token = prompt[0], position = 0, quiet = 0, warmUp = 0;
        while (warmUp < 96 && quiet < 8 && System.nanoTime() < deadline) {
            token = step(model, token, position++, cache, logits);
            warmUp++;
            long compile = compiler.getTotalCompilationTime();
            quiet = compile == lastCompile ? quiet + 1 : 0;
            lastCompile = compile;
        }
        double[] seconds = new double[decodeTokens];
        for (int i = 0; i < decodeTokens; i++) {
            long t0 = System.nanoTime();
            token = step(model, token, position++, cache, logits);
            seconds[i] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(seconds);
        System.out.printf("{\"peer\": \"jlama\", \"prefill_tokens\": %d, \"prefill_tps\": %.3f, \"decode_tokens\": %d, "
                        + "\"decode_tps\": %.3f, \"warm_up_steps\": %d}%n", promptTokens, promptTokens / prefillSeconds,
                decodeTokens, 1 / seconds[decodeTokens / 2], warmUp);
    }

    /** One decode step: the forward at this position, then the greedy next token. */
    private static int step(AbstractModel model, int token, int position, KvBufferCache.KvBuffer cache,
                            AbstractTensor logits) {
        AbstractTensor hidden = model.forward(token, position, cache, Optional.empty());
        int next = model.sample(hidden, 0f, 0.5f, logits);
        hidden.close();
        return next;
    }
}
