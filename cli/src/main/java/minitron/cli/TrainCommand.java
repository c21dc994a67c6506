package minitron.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Properties;
import java.util.SequencedMap;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import minitron.tensor.DType;
import minitron.tensor.Parallel;
import minitron.tensor.Tensor;
import minitron.transformer.config.LlamaConfig;
import minitron.transformer.data.DataException;
import minitron.transformer.data.DataSources;
import minitron.transformer.data.Readers;
import minitron.transformer.data.TokenCache;
import minitron.transformer.data.TokenDataset;
import minitron.transformer.data.TokenizerId;
import minitron.transformer.io.Checkpoint;
import minitron.transformer.io.IoErrors;
import minitron.transformer.io.SafetensorsWriter;
import minitron.transformer.model.LlamaModel;
import minitron.transformer.tokenizer.Tokenizer;
import minitron.transformer.train.CheckpointStore;
import minitron.transformer.train.DivergedException;
import minitron.transformer.train.Evaluation;
import minitron.transformer.train.ModelFactory;
import minitron.transformer.train.TrainConfig;
import minitron.transformer.train.Trainer;
import minitron.transformer.train.TrainingException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code minitron train}: trains a Llama-shaped model from scratch (or resumes) on a text dataset. */
@Command(name = "train", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Trains a Llama-shaped model: AdamW, cosine LR with warm-up, gradient accumulation, clipping; "
                + "writes OUT/train_log.jsonl, OUT/loss_curve.png, OUT/checkpoints/step-N (atomic, last K kept) and "
                + "OUT/final (HF model dir + tokenizer).",
                "--config FILE: a properties file of option=value lines (names without --); options given on the "
                        + "command line win."},
        subcommands = {TrainCommand.Eval.class})
public final class TrainCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "options from a properties file")
    Path configFile;

    @Option(names = "--model", paramLabel = "SHAPE|PRESET|CONFIG", description = "model shape: tiny, teacher, "
            + "bench-train, an HF preset, a config.json or a model folder (vocab_size comes from the tokenizer)")
    String model = "teacher";

    @Option(names = "--hidden", description = "override hidden_size (0: the shape's)")
    int hidden;

    @Option(names = "--layers", description = "override num_hidden_layers (0: the shape's)")
    int layers;

    @Option(names = "--heads", description = "override num_attention_heads (0: the shape's)")
    int heads;

    @Option(names = "--kv-heads", description = "override num_key_value_heads (0: the shape's)")
    int kvHeads;

    @Option(names = "--intermediate", description = "override intermediate_size (0: the shape's)")
    int intermediate;

    @Option(names = "--tokenizer", paramLabel = "FILE|DIR", description = "tokenizer.json or its folder (required, here or "
            + "in --config)")
    Path tokenizer;

    @Option(names = "--data", paramLabel = "FILE|DIR|brown:SPLIT", description = "training text")
    String data = "brown:pretrain";

    @Option(names = "--val-data", paramLabel = "FILE|DIR|brown:SPLIT",
            description = "validation text (none: the last 5%% of --data)")
    String valData;

    @Option(names = "--jsonl", description = "read the files of --data and --val-data as JSONL lines with a "
            + "\"text\" field (not with brown:SPLIT alone)")
    boolean jsonl;

    @Option(names = "--seq", description = "sequence length") int seq = 128;
    @Option(names = "--batch", description = "sequences per micro-batch") int batch = 16;
    @Option(names = "--accum", description = "micro-batches per optimizer step") int accum = 1;
    @Option(names = "--steps", description = "optimizer steps") int steps = 1000;
    @Option(names = "--lr", description = "peak learning rate") double lr = 1e-3;
    @Option(names = "--min-lr", description = "cosine floor") double minLr = 1e-4;
    @Option(names = "--warmup", description = "linear warm-up steps") int warmup = 50;
    @Option(names = "--weight-decay", description = "AdamW weight decay") double weightDecay = 0.1;
    @Option(names = "--clip", description = "gradient clipping norm (0: off)") double clip = 1.0;
    @Option(names = "--seed", description = "initialization and data order") long seed = 1234;
    @Option(names = "--eval-every", description = "validation every N steps (0: at the end)") int evalEvery = 100;
    @Option(names = "--eval-batches", description = "validation micro-batches") int evalBatches = 8;
    @Option(names = "--save-every", description = "checkpoint every N steps (0: at the end)") int saveEvery = 200;
    @Option(names = "--keep", description = "checkpoints kept") int keep = 2;
    @Option(names = "--threads",
            description = "kernel threads (default: MINITRON_THREADS or -Dminitron.threads, else every core)")
    int threads = Parallel.threads();
    @Option(names = "--out", paramLabel = "DIR", description = "output folder") Path out = Path.of("train-out");
    @Option(names = "--resume", description = "continue from OUT/checkpoints/latest") boolean resume;
    @Option(names = "--save-dtype", description = "dtype of OUT/final: f32 or bf16") String saveDtype = "bf16";

    @Override
    public Integer call() throws Exception {
        if (configFile != null) return withConfigFile();
        try {
            return train();
        } catch (DivergedException e) {
            System.err.println(endProgressLine() + "minitron train: " + e.getMessage());
            return 3;
        } catch (TrainingException | DataException
                 | IllegalArgumentException | IOException e) {  // config, tokenizer, safetensors, tensor errors
            System.err.println(endProgressLine() + "minitron train: " + e.getMessage());
            return 1;
        }
    }

    /** On a terminal the progress bar may be mid-line; elsewhere the error is the only line. */
    private static String endProgressLine() {
        return System.console() != null ? "\n" : "";
    }

    /** Re-parses with the file's options first, so that the command line's (later) values win. */
    private Integer withConfigFile() throws IOException {
        Options.existingFile("--config", configFile);
        Properties p = new Properties();
        try (var in = Files.newBufferedReader(configFile)) {
            p.load(in);
        } catch (IOException e) {            // not UTF-8 (a binary file), unreadable
            throw new IllegalArgumentException("--config: " + configFile + ": cannot read: " + IoErrors.reason(e));
        } catch (IllegalArgumentException e) {   // "Malformed \\uxxxx encoding."
            throw new IllegalArgumentException("--config: " + configFile + ": not a properties file: " + e.getMessage());
        }
        List<String> args = new ArrayList<>();
        for (String key : new TreeSet<>(p.stringPropertyNames())) {
            String value = p.getProperty(key).strip();
            CommandLine.Model.OptionSpec option = spec.findOption("--" + key);
            if (option == null || key.equals("config")) {
                throw new IllegalArgumentException("--config: " + configFile + ": \"" + key + "\" is not an option of "
                        + "minitron train (write the option names without --, see minitron train --help)");
            }
            if (option.arity().max() == 0) {      // a flag: "jsonl", "jsonl=true" or "jsonl=false"
                if (!value.isEmpty() && !value.equals("true") && !value.equals("false")) {
                    throw new IllegalArgumentException("--config: " + configFile + ": " + key + " is a flag: expected "
                            + "true, false or no value, found \"" + value + "\"");
                }
                if (!value.equals("false")) args.add("--" + key);
            } else {
                if (value.isEmpty()) {
                    throw new IllegalArgumentException("--config: " + configFile + ": " + key + " needs a value");
                }
                args.add("--" + key);
                args.add(value);
            }
        }
        CommandLine cl = Main.oneLineErrors(new CommandLine(new TrainCommand()).setCommandName("minitron train"))
                .setOverwrittenOptionsAllowed(true);
        // Then the options given on the command line (all but --config), with their values as typed.
        for (CommandLine.Model.OptionSpec o : spec.commandLine().getParseResult().matchedOptions()) {
            if (o.longestName().equals("--config")) continue;
            if (o.arity().max() == 0) {
                args.add(o.longestName());
            } else {
                for (String v : o.originalStringValues()) {
                    args.add(o.longestName());
                    args.add(v);
                }
            }
        }
        return cl.execute(args.toArray(String[]::new));
    }

    @picocli.CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private int train() throws IOException {
        if (tokenizer == null) throw new TrainingException("--tokenizer is required (tokenizer.json or its folder)");
        // --jsonl reads the files among --data and --val-data; with a bundled --data only --val-data can use it
        if (valData == null) {
            Options.refuseJsonlWithBundled(jsonl, "--data", data);
        } else if (Options.isBundled(data)) {
            Options.refuseJsonlWithBundled(jsonl, "--val-data", valData);
        }
        // Everything that can be checked without the data is checked first: tokenizing a large dataset takes minutes.
        Parallel.setThreads(Options.threads(threads));
        Options.outputDirectory("--out", out);
        boolean f32 = Options.oneOf("--save-dtype", saveDtype, "f32", "bf16").equals("f32");
        Options.atLeast("--seq", seq, 1);
        Options.atLeast("--batch", batch, 1);
        Options.atLeast("--accum", accum, 1);
        Options.atLeast("--steps", steps, 1);
        Options.atLeast("--warmup", warmup, 0);
        if (warmup >= steps) {
            throw new IllegalArgumentException("--warmup: expected fewer warm-up steps than --steps " + steps + ", found "
                    + warmup);
        }
        Options.above("--lr", lr, 0);
        Options.atLeast("--weight-decay", weightDecay, 0.0);
        Options.atLeast("--clip", clip, 0.0);
        TrainConfig tc = new TrainConfig(seq, batch, accum, steps, lr, minLr, warmup, weightDecay, 0.9, 0.95, 1e-8,
                clip, seed, evalEvery, evalBatches, saveEvery, keep);
        LlamaConfig shape = overriddenShape(ModelFactory.resolve(model));
        Options.atMost("--seq", seq, shape.maxPositionEmbeddings(), "the model's max_position_embeddings");
        Path checkpoints = out.resolve(Trainer.CHECKPOINT_DIR);
        if (resume && new CheckpointStore(checkpoints).latest().isEmpty()) {
            throw new TrainingException("--resume: no checkpoint in " + checkpoints);
        }
        if (!resume) requireNoOtherRun(out);
        Tokenizer tok = Tokenizer.load(tokenizer);
        TokenizerId id = TokenizerId.of(tokenizer, tok.vocabSize());
        Files.createDirectories(out);
        TokenDataset trainData = cache("train", data, tok, id).dataset();
        TokenDataset validation;
        if (valData != null) {
            validation = cache("validation", valData, tok, id).dataset();
        } else {
            TokenDataset[] split = trainData.splitTail(0.05);
            trainData = split[0];
            validation = split[1];
            if (validation.length() < seq + 1) {
                throw new IllegalArgumentException("--val-data: the validation split (the last 5% of --data, "
                        + validation.length() + " tokens) is shorter than one sequence of --seq " + seq + " + 1 tokens; "
                        + "give --val-data, more --data or a shorter --seq");
            }
        }
        LlamaConfig config = ModelFactory.withVocabulary(shape, tok.vocabSize(),
                tok.bosId().isPresent() ? tok.bosId().getAsInt() : null,
                List.of(trainData.cache().eosId()));
        LlamaModel m = ModelFactory.initialize(config, seed);
        Trainer trainer = new Trainer(m, tc, trainData, validation, out);
        if (resume) {
            if (!trainer.resumeIfPresent()) throw new TrainingException("--resume: no checkpoint in " + checkpoints);
            System.err.println("resumed from step " + trainer.step());
        }
        System.err.printf("model: %,d parameters (d=%d, %d layers, %d heads, %d KV heads, MLP %d, vocab %d); "
                        + "%,d training tokens, %,d validation tokens; %d tokens per step%n", config.parameterCount(),
                config.hiddenSize(), config.numHiddenLayers(), config.numAttentionHeads(), config.numKeyValueHeads(),
                config.intermediateSize(), config.vocabSize(), trainData.length(), validation.length(),
                tc.tokensPerStep());
        Progress progress = new Progress(steps);
        long t0 = System.nanoTime();
        trainer.run(progress);
        progress.finish();
        Path fin = out.resolve("final");
        SequencedMap<String, Tensor> weights = new LinkedHashMap<>();
        m.parameters().forEach((name, v) -> weights.put(name, v.value()));
        Checkpoint.saveModel(fin, config, weights,            // torch_dtype: as stored
                f32 ? DType.F32 : DType.BF16,
                SafetensorsWriter.DEFAULT_MAX_SHARD_BYTES);
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
            Path src = Files.isDirectory(tokenizer) ? tokenizer.resolve(f) : tokenizer.resolveSibling(f);
            if (Files.exists(src)) Files.copy(src, fin.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        String validated = Double.isNaN(progress.lastValidation) ? "no validation in this run (the log has the earlier ones)"
                : String.format("last validation loss %.4f", progress.lastValidation);
        System.out.printf("done: %d steps, %s, %.1f s this run; model in %s%n", trainer.step(), validated,
                (System.nanoTime() - t0) / 1e9, fin);
        return 0;
    }

    /**
     * A new run writes its log, curve, checkpoints and final model into --out, so a folder holding anything else
     * (another run's checkpoints, or the user's files) is refused unless --resume continues the run in it. What a
     * run that stopped before its first checkpoint leaves (the token caches, which are checked against the data,
     * and its log and curve, which the new run replaces) does not block starting again.
     */
    private static void requireNoOtherRun(Path out) throws IOException {
        if (!Files.isDirectory(out)) return;
        List<String> entries;
        try (var list = Files.list(out)) {
            entries = list.map(p -> p.getFileName().toString()).filter(n -> !LEFT_BY_A_FAILED_START.contains(n))
                    .sorted().limit(6).toList();
        }
        Path log = out.resolve(Trainer.LOG_FILE);
        if (entries.isEmpty() && Files.isRegularFile(log) && !isTrainLog(log)) entries = List.of(Trainer.LOG_FILE);
        if (!entries.isEmpty()) {
            throw new IllegalArgumentException("--out: expected a new or empty folder for a new run, found " + out
                    + " holding " + String.join(", ", entries) + (entries.size() == 6 ? ", ..." : "")
                    + " (continue its run with --resume, or give another folder)");
        }
        Files.deleteIfExists(log);                                // a failed start's: the new run's log starts empty
        Files.deleteIfExists(out.resolve(Trainer.CURVE_FILE));
    }

    /** Whether a file reads as a train log: JSON lines with a "step" (a user's file of that name is not replaced). */
    private static boolean isTrainLog(Path file) throws IOException {
        try (var lines = Files.lines(file)) {
            return lines.allMatch(line -> {
                try {
                    return LOG_LINE.readTree(line).has("step");
                } catch (IOException e) {
                    return false;
                }
            });
        } catch (UncheckedIOException e) {
            return false;   // not UTF-8: not a log of ours
        }
    }

    /** The files of a run that wrote no checkpoint (see {@link #requireNoOtherRun}). */
    private static final Set<String> LEFT_BY_A_FAILED_START = Set.of("cache", Trainer.LOG_FILE, Trainer.CURVE_FILE);

    private static final ObjectMapper LOG_LINE = new ObjectMapper();

    /** The shape with --hidden, --layers, --heads, --kv-heads and --intermediate applied (0: the shape's). */
    private LlamaConfig overriddenShape(LlamaConfig shape) {
        Options.atLeast("--hidden", hidden, 0);
        Options.atLeast("--layers", layers, 0);
        Options.atLeast("--heads", heads, 0);
        Options.atLeast("--kv-heads", kvHeads, 0);
        Options.atLeast("--intermediate", intermediate, 0);
        if (hidden == 0 && layers == 0 && heads == 0 && kvHeads == 0 && intermediate == 0) return shape;
        int h = heads > 0 ? heads : shape.numAttentionHeads();
        int d = hidden > 0 ? hidden : shape.hiddenSize();
        if (d % h != 0) {
            // head_dim = hidden_size / num_attention_heads; a remainder would silently drop channels
            throw new IllegalArgumentException("--hidden/--heads: expected hidden_size a multiple of "
                    + "num_attention_heads, found " + d + " and " + h);
        }
        return new LlamaConfig(shape.modelType(), d, intermediate > 0 ? intermediate : shape.intermediateSize(),
                layers > 0 ? layers : shape.numHiddenLayers(), h, kvHeads > 0 ? kvHeads : shape.numKeyValueHeads(),
                d / h, shape.rmsNormEps(), shape.ropeTheta(), shape.ropeScaling(), shape.maxPositionEmbeddings(),
                shape.vocabSize(), shape.tieWordEmbeddings(), shape.bosTokenId(), shape.eosTokenIds(),
                shape.slidingWindow(), shape.torchDtype());
    }

    private TokenCache cache(String name, String source, Tokenizer tok, TokenizerId id) throws IOException {
        Readers.Result read = DataSources.read(source, jsonl);
        read.warnings().forEach(w -> System.err.println("minitron train: warning: " + w));
        if (read.invalidUtf8Sequences() > 0) {
            System.err.println("minitron train: warning: " + read.invalidUtf8Sequences()
                    + " invalid UTF-8 sequences replaced in " + source);
        }
        // a resume must not replace the run's caches: other data is refused by the cache (and by the trainer state)
        TokenCache.Opened opened = TokenCache.openOrBuild(out.resolve("cache").resolve(name + ".tokens"),
                read.documents(), tok, id, !resume, "resume with the --data and --tokenizer the run was started with");
        System.err.println(opened.message());
        return opened.cache();
    }

    /** A one-line progress bar on a terminal (\r), a line per validation otherwise. */
    static final class Progress implements Trainer.Listener {
        private final int steps;
        private final boolean tty = System.console() != null;
        double lastValidation = Double.NaN;
        private Trainer.StepRecord last;

        Progress(int steps) {
            this.steps = steps;
        }

        @Override
        public void onStep(Trainer.StepRecord r) {
            last = r;
            if (!tty) return;
            int width = 30, filled = (int) ((long) width * r.step() / steps);
            double eta = (steps - r.step()) * (r.elapsedSeconds() / Math.max(1, r.step()));
            System.err.printf("\r[%s%s] %d/%d loss %.4f lr %.2e %,.0f tok/s ETA %s   ", "#".repeat(filled),
                    " ".repeat(width - filled), r.step(), steps, r.loss(), r.lr(), r.tokensPerSecond(), time(eta));
        }

        @Override
        public void onValidation(int step, double loss) {
            lastValidation = loss;
            String line = String.format("step %d/%d: loss %.4f, validation loss %.4f, %,.0f tok/s, %s elapsed", step,
                    steps, last.loss(), loss, last.tokensPerSecond(), time(last.elapsedSeconds()));
            System.err.println(tty ? "\r" + line + " ".repeat(20) : line);
        }

        void finish() {
            if (tty) System.err.println();
        }

        private static String time(double seconds) {
            long s = Math.round(seconds);
            return String.format("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
        }
    }

    /** {@code minitron train eval}: a model's validation loss on datasets beside the unigram baseline. */
    @Command(name = "eval", mixinStandardHelpOptions = true, showDefaultValues = true,
            description = "Mean next-token cross-entropy (nats/token) of a model on each --eval dataset, beside the "
                    + "unigram baseline (add-one smoothed token frequencies of --data) on the same tokens.")
    static final class Eval implements Callable<Integer> {
        @Option(names = "--model", required = true, paramLabel = "DIR", description = "HF model folder")
        Path model;

        @Option(names = "--tokenizer", paramLabel = "FILE|DIR", description = "tokenizer.json or its folder (default: "
                + "the model folder's; a training checkpoint's model/ has none: give the run's)")
        Path tokenizer;

        @Option(names = "--data", paramLabel = "FILE|DIR|brown:SPLIT", description = "training text (unigram counts)")
        String data = "brown:pretrain";

        @Option(names = "--eval", required = true, paramLabel = "FILE|DIR|brown:SPLIT", description = "datasets scored")
        List<String> evals;

        @Option(names = "--seq", description = "sequence length") int seq = 128;
        @Option(names = "--batch", description = "sequences per forward") int batch = 16;
        @Option(names = "--threads",
                description = "kernel threads (default: MINITRON_THREADS or -Dminitron.threads, else every core)")
        int threads = Parallel.threads();
        @Option(names = "--cache", paramLabel = "DIR", description = "token caches") Path cacheDir = Path.of("train-out", "cache");

        @Override
        public Integer call() {
            try {
                Parallel.setThreads(Options.threads(threads));
                Options.atLeast("--seq", seq, 1);
                Options.atLeast("--batch", batch, 1);
                Options.outputDirectory("--cache", cacheDir);
                Path tokenizerPath = EvalCommand.tokenizerFile(tokenizer, model);
                // its ids must fit the model's embedding table: checked before any data is tokenized
                Tokenizer tok = EvalCommand.loadTokenizer(tokenizerPath, model, LlamaConfig.read(model).vocabSize());
                TokenizerId id = TokenizerId.of(tokenizerPath, tok.vocabSize());
                TokenDataset train = open(data, tok, id).dataset();
                List<TokenDataset> datasets = new ArrayList<>();   // all opened first: a bad one stops before the table
                for (String e : evals) datasets.add(open(e, tok, id).dataset());
                try (LlamaModel m = Options.loadModel("train eval", model)) {
                    Options.atMost("--seq", seq, m.config.maxPositionEmbeddings(), "the model's max_position_embeddings");
                    System.out.printf("%-22s %10s %12s %12s %12s%n", "dataset", "tokens", "model_loss", "unigram_loss",
                            "model_ppl");
                    for (int i = 0; i < evals.size(); i++) {
                        String e = evals.get(i);
                        TokenDataset d = datasets.get(i);
                        long t0 = System.nanoTime();
                        Evaluation.Result r = Evaluation.modelLoss(m, d, seq, batch);
                        double seconds = (System.nanoTime() - t0) / 1e9;
                        Evaluation.Result u = Evaluation.unigramLoss(train, d, seq, batch, tok.vocabSize());
                        System.out.printf("%-22s %10d %12.4f %12.4f %12.2f   (%.1f s, %,.0f tokens/s)%n", e, r.tokens(),
                                r.loss(), u.loss(), r.perplexity(), seconds, r.tokens() / seconds);
                    }
                }
                return 0;
            } catch (TrainingException | DataException | IllegalArgumentException | IOException e) {
                System.err.println("minitron train eval: " + e.getMessage());
                return 1;
            }
        }

        private TokenCache open(String source, Tokenizer tok, TokenizerId id) throws IOException {
            Readers.Result read = DataSources.read(source, false);
            read.warnings().forEach(w -> System.err.println("minitron train eval: warning: " + w));
            String name = source.replaceAll("[^A-Za-z0-9._-]", "_") + ".tokens";
            return TokenCache.openOrBuild(cacheDir.resolve(name), read.documents(), tok, id, true).cache();
        }
    }
}
