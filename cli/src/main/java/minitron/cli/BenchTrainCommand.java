package minitron.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import minitron.autograd.Var;
import minitron.autograd.optim.AdamW;
import minitron.autograd.optim.GradClip;
import minitron.tensor.Parallel;
import minitron.tensor.Tensor;
import minitron.transformer.config.LlamaConfig;
import minitron.transformer.model.LlamaModel;
import minitron.transformer.train.ModelFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code minitron bench train}: full training steps (forward, cross-entropy, backward, clip, AdamW) on random
 * tokens; the peer of reference/bench_train_torch.py.
 */
@Command(name = "train", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Full training steps on random tokens (forward, cross-entropy, backward, clip 1.0, AdamW); "
                + "reports the median step time and tokens/s.")
final class BenchTrainCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "DIR|PRESET", description = "a model folder, a config.json, a preset or "
            + "a shape (bench-train: d=256, 8 layers, 8 heads, 2 KV heads, MLP 704, vocab 4096)")
    String model = "bench-train";

    @Option(names = "--batch", description = "sequences per step") int batch = 8;
    @Option(names = "--seq", description = "tokens per sequence") int seq = 256;
    @Option(names = "--steps", description = "timed steps") int steps = 5;
    @Option(names = "--warmup", description = "untimed steps first (JIT)") int warmup = 2;
    @Option(names = "--threads",
            description = "kernel threads (default: MINITRON_THREADS or -Dminitron.threads, else every core)")
    int threads = Parallel.threads();
    @Option(names = "--json", description = "also print one JSON object as the last line") boolean json;

    @Override
    public Integer call() throws Exception {
        LlamaConfig config;
        LlamaModel m;
        try {
            Options.atLeast("--batch", batch, 1);
            Options.atLeast("--seq", seq, 2); // next-token targets need two positions
            Options.atLeast("--steps", steps, 1);
            Options.atLeast("--warmup", warmup, 0);
            Parallel.setThreads(Options.threads(threads));
            config = ModelFactory.resolve(model);
            Options.atMost("--seq", seq, config.maxPositionEmbeddings(), "the model's max_position_embeddings");
            m = ModelFactory.initialize(config, 1);
        } catch (RuntimeException e) {
            System.err.println("minitron bench train: " + e.getMessage());
            return 1;
        }
        Collection<Var> params = m.parameters().values();
        AdamW opt = new AdamW(m.parameters(), 1e-4, 0.9, 0.95, 1e-8, 0.1);
        ModelFactory.SplitMix64Normal rng = new ModelFactory.SplitMix64Normal(7);
        int[] ids = new int[batch * seq];
        for (int i = 0; i < ids.length; i++) ids[i] = (int) Long.remainderUnsigned(rng.nextLong(), config.vocabSize());
        Tensor inputs = Tensor.of(ids, batch, seq);
        Tensor targets = LlamaModel.nextTokenTargets(inputs);
        List<Double> times = new ArrayList<>();
        double loss = 0;
        for (int s = 0; s < warmup + steps; s++) {
            long t0 = System.nanoTime();
            Var l = m.loss(inputs, targets);
            loss = l.item();
            l.backward();
            GradClip.clipGradNorm(params, 1.0);
            opt.step();
            opt.zeroGrad();
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (s >= warmup) times.add(seconds);
        }
        List<Double> sorted = new ArrayList<>(times);
        sorted.sort(null);
        double median = sorted.get(sorted.size() / 2);
        double tokensPerS = (double) batch * seq / median;
        System.out.printf("bench train: %s (%,d parameters), batch %d x %d, %d threads: median step %.3f s, "
                        + "%,.0f tokens/s (loss %.4f)%n", model, config.parameterCount(), batch, seq, threads, median,
                tokensPerS, loss);
        if (json) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("bench", "train");
            f.put("model", model);
            f.put("parameters", config.parameterCount());
            f.put("batch", batch);
            f.put("seq", seq);
            f.put("threads", threads);
            f.put("steps", steps);
            f.put("median_step_s", median);
            f.put("step_times_s", times);
            f.put("tokens_per_s", tokensPerS);
            f.put("loss", loss);
            System.out.println(new ObjectMapper().writeValueAsString(f));
        }
        return 0;
    }
}
