package minitron.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import minitron.bench.DecodeBench;
import minitron.tensor.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code minitron bench decode}: prefill and decode tokens/s of a real-shaped BF16 model against memory bandwidth. */
@Command(name = "decode", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Writes a checkpoint of the preset's shape with random BF16 weights to a temporary directory "
                + "(or to --keep DIR, kept; or uses the model of --model DIR), maps it, and measures prefill tokens/s (one forward over the prompt) and decode tokens/s (median "
                + "of the KV-cache steps), with the weight bytes streamed per second against a copy bandwidth measured "
                + "between the steps. Decode is timed after warm-up steps that last until the JIT has compiled "
                + "nothing for 8 steps (at most 96 steps or 20 s, before and after the prefill), so it is the "
                + "steady-state speed; the number of warm-up steps is printed."})
public final class DecodeBenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--preset", description = "model shape of the random weights: llama-3.2-1b, llama-3.1-8b, "
            + "mistral-nemo-12b, ... (not with --model)")
    String preset = "llama-3.2-1b";

    @Option(names = "--layers", description = "decoder layers of the random weights (0 = the preset's; not with --model)")
    int layers = 0;

    @Option(names = "--threads", description = "threads of the kernel pool (default: MINITRON_THREADS or -Dminitron.threads, else every core)")
    int threads = Parallel.threads();

    @Option(names = "--prompt-tokens", description = "prefill length")
    int promptTokens = 512;

    @Option(names = "--decode-tokens", description = "decode steps timed")
    int decodeTokens = 32;

    @Option(names = "--dir", description = "where the temporary checkpoint is written (deleted afterwards; not with "
            + "--model or --keep)")
    Path dir = Path.of(System.getProperty("java.io.tmpdir"));

    @Option(names = "--model", paramLabel = "DIR", description = "benchmark this HF model directory instead of "
            + "random weights")
    Path model;

    @Option(names = "--keep", paramLabel = "DIR", description = "write the random checkpoint to DIR (new or empty) "
            + "and keep it, e.g. to run another program on the same weights or a later --model DIR")
    Path keep;

    @Option(names = "--json", description = "also print one JSON object as the last line")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (model != null && keep != null) {
            throw new IllegalArgumentException("--model and --keep: expected one of them, found both");
        }
        if (model != null) {
            Options.refuseUnused(spec, "random weights (without --model)", "--model", "--preset", "--layers");
        }
        if (model != null || keep != null) {
            Options.refuseUnused(spec, "a temporary checkpoint (without --model or --keep)",
                    model != null ? "--model" : "--keep", "--dir");
        }
        if (model != null && Files.exists(model) && !Files.isDirectory(model)) {
            throw new IllegalArgumentException("--model: expected a model directory, found a file: " + model);
        }
        Options.atLeast("--layers", layers, 0);
        // checked before the checkpoint's folder is made: a refused run leaves no empty folder in --dir or --keep
        int threadCount = Options.threads(threads);
        Options.atLeast("--prompt-tokens", promptTokens, 1);
        Options.atLeast("--decode-tokens", decodeTokens, 1);
        if (model == null && keep != null) Options.outputDirectory("--keep", keep);
        if (model == null && keep == null) Options.existingDirectory("--dir", dir);
        DecodeBench.Checkpoint checkpoint = model != null
                ? DecodeBench.Checkpoint.existing(model)
                : DecodeBench.Checkpoint.random(preset, layers, dir, keep);
        DecodeBench.Result r = DecodeBench.run(checkpoint, threadCount, promptTokens, decodeTokens);
        System.out.println(r.line());
        if (json) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("bench", "decode");
            f.put("preset", r.preset());
            f.put("layers", r.layers());
            f.put("threads", r.threads());
            f.put("prefill_tokens", r.promptTokens());
            f.put("prefill_tps", r.prefillTokensPerSecond());
            f.put("decode_tokens", r.decodeTokens());
            f.put("decode_tps", r.decodeTokensPerSecond());
            f.put("decode_warm_up_steps", r.warmUpSteps());
            f.put("weight_bytes_per_token", r.weightBytesPerToken());
            f.put("copy_gbs", r.copyGigabytesPerSecond());
            f.put("copy_ratio", r.copyRatio());
            f.put("read_gbs", r.readGigabytesPerSecond());
            f.put("read_ratio", r.readRatio());
            f.put("heap_used_bytes", r.heapUsedBytes());
            f.put("peak_rss_bytes", r.peakRssBytes());
            f.put("prefill_cpu_per_wall", BenchCommand.knownOrNull(r.prefillCpuPerWall()));
            f.put("decode_cpu_per_wall", BenchCommand.knownOrNull(r.decodeCpuPerWall()));
            f.put("backend", r.backend());
            System.out.println(new ObjectMapper().writeValueAsString(f));
        }
        return 0;
    }
}
