package minitron.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SequencedMap;
import java.util.concurrent.Callable;
import minitron.compress.Baselines;
import minitron.compress.Calibration;
import minitron.compress.CompressException;
import minitron.compress.DepthPruner;
import minitron.compress.Flops;
import minitron.compress.ImportanceScores;
import minitron.compress.ModelIdentity;
import minitron.compress.TaskMetric;
import minitron.compress.WidthPruner;
import minitron.eval.TokenEncoder;
import minitron.tensor.DType;
import minitron.tensor.Tensor;
import minitron.transformer.config.LlamaConfig;
import minitron.transformer.io.Checkpoint;
import minitron.transformer.io.SafetensorsWriter;
import minitron.transformer.model.LlamaModel;
import minitron.transformer.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code minitron prune}: width pruning from importance scores, or depth pruning by a layer metric. */
@Command(name = "prune", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Prunes a model and writes the result as an HF model directory (docs/prune.md).",
                "Width: --importance DIR (from minitron importance) and any of --hidden-size, --intermediate-size, "
                        + "--num-attention-heads (a count, or a fraction such as 0.5); --baseline random prunes to the "
                        + "same shape with random scores, random-init writes that shape freshly initialized.",
                "Depth: --data FILE --depth K --metric loss|task|bi: scores every block of 1, 2, L/4, L/2 (and K) "
                        + "layers, writes depth-<metric>.json/.png, removes the least important block of K layers.",
                "Prints parameter counts before and after and the FLOPs-predicted speedup.",
                "An option the chosen mode does not read is refused (--data with width pruning, --seed without a "
                        + "random baseline, --task with --metric loss, ...)."})
public final class PruneCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "HF model directory")
    Path model;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output HF model directory")
    Path out;

    @Option(names = "--importance", paramLabel = "DIR",
            description = "width --baseline importance: importance directory of this model")
    Path importance;

    @Option(names = "--hidden-size", paramLabel = "H|FRACTION", description = "width: new hidden_size")
    String hiddenSize;

    @Option(names = "--intermediate-size", paramLabel = "F|FRACTION", description = "width: new intermediate_size")
    String intermediateSize;

    @Option(names = "--num-attention-heads", paramLabel = "N|FRACTION",
            description = "width: new num_attention_heads (a multiple of num_key_value_heads)")
    String numAttentionHeads;

    @Option(names = "--baseline", paramLabel = "KIND", defaultValue = "importance",
            description = "width: importance (the recipe), random (random scores), random-init (fresh weights)")
    String baseline;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1234",
            description = "width --baseline random|random-init: seed")
    long seed;

    @Option(names = "--data", paramLabel = "FILE|brown:SPLIT",
            description = "depth --metric loss|bi: validation/calibration text")
    String data;

    @Option(names = "--jsonl", description = "--data FILE is JSONL with a \"text\" field per line")
    boolean jsonl;

    @Option(names = "--tokenizer", paramLabel = "FILE|DIR", description = "depth: tokenizer.json or its folder for --data "
            + "or --task (default: the model folder's; a training checkpoint's model folder has none)")
    Path tokenizer;

    @Option(names = "--depth", paramLabel = "K", description = "depth: number of layers to remove")
    Integer depth;

    @Option(names = "--metric", paramLabel = "METRIC", defaultValue = "loss", description = "depth: loss, task or bi")
    String metric;

    @Option(names = "--task", paramLabel = "NAME", defaultValue = "brown-cloze",
            description = "depth --metric task: a multiple-choice eval task (brown-cloze, winogrande:FILE, ...)")
    String task;

    @Option(names = "--task-limit", paramLabel = "N", defaultValue = "300", description = "depth --metric task: items used")
    int taskLimit;

    @Option(names = "--block-sizes", paramLabel = "LIST", description = "depth: block sizes to scan (default 1,2,L/4,L/2 and K)")
    String blockSizes;

    @Option(names = "--non-contiguous", description = "depth: drop the K individually least important layers instead")
    boolean nonContiguous;

    @Option(names = "--samples", paramLabel = "N", defaultValue = "64",
            description = "depth --metric loss|bi: rows of --data used")
    int samples;

    @Option(names = "--seq-len", paramLabel = "T", defaultValue = "256", description = "depth --metric loss|bi: tokens per row")
    int seqLen;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "8", description = "depth --metric loss|bi: rows per forward")
    int batch;

    @Option(names = "--flops-context", paramLabel = "S", defaultValue = "4096",
            description = "context length of the FLOPs model's attention term")
    int flopsContext;

    @Option(names = "--dtype", paramLabel = "DTYPE", description = "stored dtype F32|BF16|F16 (default: the source's torch_dtype)")
    String dtype;

    @Option(names = "--overwrite", description = "write into a non-empty --out, replacing files of the same names")
    boolean overwrite;

    @Override
    public Integer call() {
        try (LlamaModel source = Options.loadModel("prune", model)) {
            checkOptions();
            boolean width = !Options.written(spec, WIDTH_OPTIONS).isEmpty();
            if (width == (depth != null)) {
                throw new CompressException("expected either width options (--importance DIR and sizes) or "
                        + "depth options (--data, --depth K, --metric), found " + (width ? "both" : "neither"));
            }
            if (width && hiddenSize == null && intermediateSize == null && numAttentionHeads == null) {
                // without a target size the "pruned" model would be a copy of the source
                throw new CompressException("width pruning: expected at least one of --hidden-size, "
                        + "--intermediate-size, --num-attention-heads, found none");
            }
            if (width) {
                refuseUnusedByWidth();
            } else {
                refuseUnusedByDepth();
            }
            LlamaConfig before = source.config;
            DType storeAs = storeDtype(before);                  // before the scoring, which can take minutes
            SequencedMap<String, Tensor> tensors;
            LlamaConfig after;
            if (width) {
                WidthPruner.Plan plan = widthPlan(source);
                after = plan.config();
                tensors = baseline.equals("random-init") ? Baselines.randomInit(after, seed) : WidthPruner.apply(source, plan);
            } else {
                List<Integer> drop = depthPlan(source);
                System.out.println("removing layers " + drop + " (the others renumbered)");
                after = DepthPruner.droppedConfig(before, drop.size());
                tensors = DepthPruner.droppedTensors(source, drop);
            }
            Files.createDirectories(out);
            Checkpoint.saveModel(out, after, tensors, storeAs, SafetensorsWriter.DEFAULT_MAX_SHARD_BYTES);
            copyTokenizerFiles();
            System.out.printf("parameters: %,d -> %,d (%.1f%%)%n", before.parameterCount(), after.parameterCount(),
                    100.0 * after.parameterCount() / before.parameterCount());
            System.out.printf("FLOPs per token at context %d: %.4g -> %.4g, predicted speedup %.2fx%n", flopsContext,
                    Flops.perToken(before, flopsContext), Flops.perToken(after, flopsContext),
                    Flops.speedup(before, after, flopsContext));
            System.out.println("wrote " + out);
            return 0;
        } catch (RuntimeException | IOException e) {
            System.err.println("minitron prune: " + e.getMessage());
            return 1;
        }
    }

    /** What can be checked before any scoring: counts, the dtype, and an --out that would clobber the source. */
    private void checkOptions() throws IOException {
        Options.atLeast("--flops-context", flopsContext, 1);
        Options.atLeast("--task-limit", taskLimit, 1);
        if (dtype != null) Options.oneOf("--dtype", dtype, "F32", "BF16", "F16");
        Options.outputDirectory("--out", out);
        if (Files.isDirectory(out) && Files.isSameFile(out, model)) {
            // the source's weights are memory-mapped while the pruned ones are written
            throw new IllegalArgumentException("--out: expected a directory other than --model, found " + out);
        }
        Options.refuseNonEmpty("--out", out, overwrite);
    }

    /** The options that choose width pruning (written at all, --baseline importance too). */
    private static final String[] WIDTH_OPTIONS = {"--importance", "--hidden-size", "--intermediate-size",
            "--num-attention-heads", "--baseline"};

    /** The options only depth pruning reads. */
    private static final String[] DEPTH_OPTIONS = {"--data", "--jsonl", "--tokenizer", "--metric", "--task",
            "--task-limit", "--block-sizes", "--non-contiguous", "--samples", "--seq-len", "--batch"};

    /** Width pruning reads no depth option, --seed only for the random baselines, --importance only without them. */
    private void refuseUnusedByWidth() {
        Options.refuseUnused(spec, "depth pruning (--depth K)", "width pruning", DEPTH_OPTIONS);
        baseline = Options.oneOf("--baseline", baseline, "importance", "random", "random-init");
        if (baseline.equals("importance")) {
            Options.refuseUnused(spec, "--baseline random or random-init", "--baseline importance", "--seed");
        } else {
            Options.refuseUnused(spec, "--baseline importance", "--baseline " + baseline + " (random scores)",
                    "--importance");
        }
    }

    /**
     * Depth pruning reads no --seed; --metric task reads the task and no calibration text, --metric loss and bi the
     * text and no task.
     */
    private void refuseUnusedByDepth() {
        Options.refuseUnused(spec, "width pruning --baseline random or random-init", "depth pruning", "--seed");
        DepthPruner.Metric m = DepthPruner.Metric.parse(metric);
        if (m == DepthPruner.Metric.TASK) {
            Options.refuseUnused(spec, "--metric loss or bi", "--metric task", "--data", "--jsonl", "--samples",
                    "--seq-len", "--batch");
        } else {
            Options.refuseUnused(spec, "--metric task", "--metric " + m.label(), "--task", "--task-limit");
            Options.refuseJsonlWithBundled(jsonl, "--data", data);
        }
    }

    private WidthPruner.Plan widthPlan(LlamaModel source) {
        LlamaConfig c = source.config;
        ImportanceScores scores;
        if (baseline.equals("importance")) {
            if (importance == null) throw new CompressException("width pruning needs --importance DIR");
            scores = ImportanceScores.load(importance);
            scores.model().requireSame(ModelIdentity.of(source), importance.toString(), model.toString());
        } else {                                            // random, random-init (checked in refuseUnusedByWidth)
            scores = Baselines.randomScores(source, seed);
        }
        Integer heads = size("--num-attention-heads", numAttentionHeads, c.numAttentionHeads(), c.numKeyValueHeads());
        int headsAfter = heads != null ? heads : c.numAttentionHeads();
        boolean llama = LlamaConfig.LLAMA.equals(c.modelType());
        WidthPruner.Target target = new WidthPruner.Target(
                size("--hidden-size", hiddenSize, c.hiddenSize(), llama ? headsAfter : 1),
                size("--intermediate-size", intermediateSize, c.intermediateSize(), 1), heads);
        WidthPruner.Plan plan = WidthPruner.plan(c, scores, target);
        int hidden = plan.config().hiddenSize();
        if (llama && hidden % headsAfter != 0) {
            // transformers (5.x LlamaConfig.validate_architecture) refuses such a config even with head_dim given
            int below = hidden / headsAfter * headsAfter;
            throw new CompressException("--hidden-size: expected a multiple of num_attention_heads (" + headsAfter
                    + ") for a llama model, which transformers refuses otherwise, found " + hidden + " (e.g. "
                    + (below > 0 ? below + " or " : "") + (below + headsAfter) + ")");
        }
        return plan;
    }

    /** A count, or a fraction in (0, 1) of the source size rounded to a multiple of {@code multiple}. */
    static Integer size(String option, String text, int source, int multiple) {
        if (text == null) return null;
        try {
            if (text.contains(".")) {
                double fraction = Double.parseDouble(text);
                if (!(fraction > 0 && fraction <= 1)) {
                    throw new CompressException(option + ": expected a fraction in (0, 1], found " + text);
                }
                long units = Math.max(1, Math.round(fraction * source / multiple));
                return (int) (units * multiple);
            }
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new CompressException(option + ": expected a count or a fraction such as 0.5, found \"" + text + "\"");
        }
    }

    private List<Integer> depthPlan(LlamaModel source) throws IOException {
        int layers = source.config.numHiddenLayers();
        if (data == null && !metric.equalsIgnoreCase("task")) {
            throw new CompressException("--data: expected validation text (FILE or brown:SPLIT) with depth pruning "
                    + "by --metric " + metric + ", found none");
        }
        if (depth < 1 || depth >= layers) {
            throw new CompressException("--depth: expected a number of layers in [1, " + (layers - 1) + "], found " + depth);
        }
        DepthPruner.Metric m = DepthPruner.Metric.parse(metric);
        List<Integer> sizes = new ArrayList<>();
        if (blockSizes == null) {
            sizes.addAll(DepthPruner.defaultBlockSizes(layers));
        } else {
            for (String s : blockSizes.split(",")) {
                try {
                    sizes.add(Integer.parseInt(s.strip()));
                } catch (NumberFormatException e) {
                    throw new CompressException("--block-sizes: expected comma-separated layer counts, found \""
                            + blockSizes + "\"");
                }
            }
        }
        if (!sizes.contains(depth)) sizes.add(depth);
        Calibration val = null;
        TaskMetric taskMetric = null;
        Path tokenizerFile = EvalCommand.tokenizerFile(tokenizer, model);
        EvalCommand.loadTokenizer(tokenizerFile, model, source.config.vocabSize());   // its ids must fit the model
        if (m == DepthPruner.Metric.TASK) {
            taskMetric = new TaskMetric(TokenEncoder.of(Tokenizer.load(tokenizerFile)), task, taskLimit);
            System.err.printf("full model %s accuracy: %.4f (%d items)%n", taskMetric.task(),
                    taskMetric.accuracy(source), taskMetric.items());
        } else {
            Options.atLeast("--seq-len", seqLen, 1);
            Options.atMost("--seq-len", seqLen, source.config.maxPositionEmbeddings(), "the model's max_position_embeddings");
            val = Calibration.read(data, jsonl, tokenizerFile, seqLen, samples, batch);
            if (m == DepthPruner.Metric.LOSS) {
                System.err.printf("full model validation loss: %.4f (%d tokens)%n", val.meanLoss(source), val.tokens());
            }
        }
        long start = System.nanoTime();
        DepthPruner.Scan scan = DepthPruner.scan(source, m, sizes, val, taskMetric);
        String description = DepthPruner.describe(m, taskMetric);
        System.err.printf("depth scan (%s) in %.1f s%n", m.label(), (System.nanoTime() - start) / 1e9);
        DepthPruner.writeReport(out, scan, description);
        for (var e : scan.contiguous().entrySet()) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "block %2d:", e.getKey()));
            for (double v : e.getValue()) line.append(String.format(Locale.ROOT, " %.4f", v));
            System.out.println(line + "   best start " + scan.bestStart(e.getKey()));
        }
        if (nonContiguous) {
            return Arrays.stream(scan.nonContiguousLayers().get(depth)).boxed().toList();
        }
        return DepthPruner.range(scan.bestStart(depth), depth);
    }

    private DType storeDtype(LlamaConfig c) {
        if (dtype != null) {
            try {
                return DType.valueOf(dtype.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new CompressException("--dtype: expected F32, BF16 or F16, found \"" + dtype + "\"");
            }
        }
        DType stored = c.storedDtype();
        if (stored == null) {   // float64: the pruned weights would silently have become F32
            throw new CompressException("--dtype: expected with a source whose torch_dtype is " + c.torchDtype()
                    + " (weights are stored as F32, BF16 or F16), found none");
        }
        return stored;
    }

    /**
     * The tokenizer and generation files travel with the pruned weights (the vocabulary is unchanged): the model
     * folder's, or where it has no tokenizer.json (a training checkpoint's), those beside --tokenizer.
     */
    private void copyTokenizerFiles() throws IOException {
        Path from = model;
        if (!Files.isRegularFile(model.resolve("tokenizer.json")) && tokenizer != null) {
            from = EvalCommand.tokenizerFile(tokenizer, model).toAbsolutePath().getParent();
        }
        for (String name : List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                "generation_config.json")) {
            Path src = from.resolve(name);
            if (Files.isRegularFile(src)) Files.copy(src, out.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
