package minitron.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import minitron.eval.BrownCloze;
import minitron.eval.EvalException;
import minitron.eval.Evaluator;
import minitron.eval.LlamaCausalLm;
import minitron.eval.TokenEncoder;
import minitron.transformer.model.LlamaModel;
import minitron.transformer.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code minitron eval}: perplexity, multiple-choice and generation tasks with lm-eval-harness semantics. */
@Command(name = "eval", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Evaluates a model on tasks, as lm-eval-harness does (see docs/eval.md).",
                "Tasks: ppl:FILE (text, or .jsonl of {\"text\"}), brown-cloze (bundled), choice:FILE, "
                        + "winogrande:FILE, hellaswag:FILE, arc_easy:FILE, arc_challenge:FILE, piqa:FILE, "
                        + "mmlu:FILE, gsm8k:FILE; FILE@FEWSHOT_FILE takes few-shot examples from another split "
                        + "(MMLU: dev).",
                "ppl:brown:SPLIT scores a bundled Brown split (heldout, distill, pretrain-val, pretrain).",
                "Prints a table (task, metric, value, stderr), or with --json one object "
                        + "{\"results\": {task: {metric: value, metric_stderr: ...}}}. Notes (malformed lines, "
                        + "truncated contexts, timing) go to stderr. Errors: one line on stderr, exit code 1.",
                "An option that none of the tasks reads is refused (--max-gen-toks without gsm8k, --shots with 0-shot "
                        + "tasks only, ...); --batch and --seed (which lm-eval takes for any task) and --shots K with "
                        + "some 0-shot tasks among few-shot ones are a warning."})
public final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR", description = "HF model directory (config.json, safetensors, tokenizer.json)")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "FILE|DIR", description = "tokenizer.json or its folder (default: the "
            + "model folder's; a training checkpoint's model folder has none: pass the tokenizer the run trained with); "
            + "at most the model's vocab_size tokens")
    Path tokenizer;

    @Option(names = "--tasks", paramLabel = "LIST", description = "comma-separated tasks, e.g. ppl:val.txt,brown-cloze")
    String tasks;

    @Option(names = "--limit", paramLabel = "N", description = "at most N documents per task (default: all)")
    Integer limit;

    @Option(names = "--shots", paramLabel = "K", defaultValue = "0", description = "few-shot examples per prompt "
            + "(winogrande, hellaswag, arc_easy, arc_challenge, mmlu, piqa, gsm8k; the other tasks are 0-shot)")
    int shots;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1234",
            description = "seed of the few-shot sampling, with --shots K > 0 (lm-eval's default 1234)")
    long seed;

    @Option(names = "--strict", description = "stop at the first malformed JSONL line instead of skipping it")
    boolean strict;

    @Option(names = "--json", description = "print one JSON object instead of the table")
    boolean json;

    @Option(names = "--add-bos", description = "prepend BOS to contexts of choice and generation tasks "
            + "(lm-eval's add_bos_token; off by default as in lm-eval)")
    boolean addBos;

    @Option(names = "--max-context", paramLabel = "T", description = "tokens per forward (default: max_position_embeddings)")
    Integer maxContext;

    @Option(names = "--batch", paramLabel = "ITEMS", defaultValue = "16",
            description = "multiple-choice tasks: items sent to the model per call")
    int batch;

    @Option(names = "--max-gen-toks", paramLabel = "N", defaultValue = "256", description = "generation tasks: most new tokens")
    int maxGenToks;

    @Option(names = "--build-brown-cloze", paramLabel = "FILE", description = "build the bundled brown-cloze task "
            + "file from the held-out Brown split (seed 1234) and exit; no model needed, not with --model or --tasks")
    Path buildBrownCloze;

    @Option(names = "--overwrite", description = "with --build-brown-cloze: replace FILE if it exists (without it, "
            + "an existing FILE is refused)")
    boolean overwrite;

    @Override
    public Integer call() {
        try {
            if (buildBrownCloze != null) {
                List<String> evaluation = Options.written(spec, EVALUATION_OPTIONS);
                if (!evaluation.isEmpty()) {
                    throw new IllegalArgumentException("--build-brown-cloze: expected alone (it writes the task file "
                            + "and exits without evaluating), found with " + Options.and(evaluation)
                            + ": run the evaluation as a second command");
                }
                Options.outputFile("--build-brown-cloze", buildBrownCloze);
                Options.inADirectory("--build-brown-cloze", buildBrownCloze);
                Options.refuseToReplace("--build-brown-cloze", buildBrownCloze, overwrite);
                int n = BrownCloze.buildBundled(buildBrownCloze);
                System.out.println("wrote " + n + " items to " + buildBrownCloze);
                return 0;
            }
            Options.refuseUnused(spec, "--build-brown-cloze FILE", "an evaluation", "--overwrite");
            if (model == null || tasks == null) {
                throw new EvalException("expected --model DIR and --tasks LIST (see --help)");
            }
            if (limit != null) Options.atLeast("--limit", limit, 1);
            Options.atLeast("--shots", shots, 0);
            Options.atLeast("--batch", batch, 1);
            Options.atLeast("--max-gen-toks", maxGenToks, 1);
            List<Evaluator.Spec> specs = Evaluator.parse(tasks);
            refuseUnusedByTasks(specs);
            Path tokenizerFile = tokenizerFile(tokenizer, model);
            try (LlamaModel llama = Options.loadModel("eval", model)) {
                if (maxContext != null) {
                    Options.atLeast("--max-context", maxContext, 2);   // a context and one token to score
                    Options.atMost("--max-context", maxContext, llama.config.maxPositionEmbeddings(),
                            "the model's max_position_embeddings");
                }
                LlamaCausalLm lm = maxContext == null ? new LlamaCausalLm(llama) : new LlamaCausalLm(llama, maxContext);
                TokenEncoder encoder = TokenEncoder.of(loadTokenizer(tokenizerFile, model, llama.config.vocabSize()));
                Evaluator evaluator = new Evaluator(lm, encoder,
                        new Evaluator.Settings(limit, shots, seed, strict, addBos, batch, maxGenToks));
                Map<String, Map<String, Double>> results = new LinkedHashMap<>();
                for (Evaluator.Spec task : specs) {
                    long start = System.nanoTime();
                    boolean terminal = System.console() != null;
                    String label = task.name();
                    Map<String, Double> metrics = evaluator.run(task, (done, total) -> {
                        if (terminal) System.err.printf("\r%s: %d/%d items", label, done, total);
                    });
                    if (terminal) System.err.print("\r\033[K");                       // clear the progress line
                    double seconds = (System.nanoTime() - start) / 1e9;
                    String key = task.name();
                    for (int n = 2; results.containsKey(key); n++) key = task.name() + "#" + n;
                    results.put(key, metrics);
                    evaluator.warnings().forEach(w -> System.err.println("minitron eval: warning: " + w));
                    evaluator.warnings().clear();
                    evaluator.notes().forEach(System.err::println);
                    evaluator.notes().clear();
                    Double items = metrics.getOrDefault("items", metrics.get("tokens"));
                    System.err.printf("%s: %.0f %s in %.1f s (%.1f/s)%n", key, items,
                            metrics.containsKey("items") ? "items" : "tokens", seconds, items / seconds);
                }
                System.out.println(json ? toJson(results) : toTable(results));
            }
            return 0;
        } catch (RuntimeException | IOException e) {
            // task, config, checkpoint and tokenizer errors carry their file, line or field in the message
            System.err.println("minitron eval: " + e.getMessage());
            return 1;
        }
    }

    /** The options of an evaluation, which --build-brown-cloze does not read. */
    private static final String[] EVALUATION_OPTIONS = {"--model", "--tokenizer", "--tasks", "--limit", "--shots",
            "--seed", "--strict", "--json", "--add-bos", "--max-context", "--batch", "--max-gen-toks"};

    /** The tasks that take --shots examples (Evaluator.choiceItems, gsm8kItems); ppl, brown-cloze, choice do not. */
    private static final List<String> FEW_SHOT = List.of("winogrande", "hellaswag", "arc_easy", "arc_challenge", "mmlu",
            "piqa", "gsm8k");

    /** The few-shot tasks that draw their examples with --seed (MMLU takes the first K of its dev split). */
    private static final List<String> SEEDED = List.of("winogrande", "hellaswag", "arc_easy", "arc_challenge", "piqa",
            "gsm8k");

    /**
     * The settings each task reads (Evaluator.run): --batch the multiple-choice tasks, --max-gen-toks gsm8k,
     * --add-bos all but ppl, --strict every task read from JSONL, --shots the few-shot tasks and --seed those that
     * draw examples. One that no task of the list reads is refused, except --batch and --seed, which lm-eval takes
     * for any task: those are a warning, as is --shots read by some tasks only (naming the others, as lm-eval notes
     * the tasks whose num_fewshot is fixed at 0).
     */
    private void refuseUnusedByTasks(List<Evaluator.Spec> specs) {
        List<String> names = specs.stream().map(Evaluator.Spec::name).distinct().toList();
        String found = (names.size() == 1 ? "the task " : "the tasks ") + Options.and(names);
        if (!names.contains("gsm8k")) {
            Options.refuseUnused(spec, "a generation task (gsm8k)", found, "--max-gen-toks");
        }
        if (names.stream().allMatch(n -> n.equals("ppl") || n.equals("gsm8k"))) {
            // lm-eval takes --batch_size and --seed whatever the tasks, so scripts pass them to every run: a warning
            Options.warnUnused(spec, "eval", "multiple-choice tasks", found, "--batch");
        }
        if (names.stream().allMatch(n -> n.equals("ppl"))) {
            Options.refuseUnused(spec, "a multiple-choice or generation task (ppl always starts with BOS)", found,
                    "--add-bos");
            if (specs.stream().noneMatch(EvalCommand::readsJsonl)) {
                Options.refuseUnused(spec, "a task read from JSONL", found + " of no .jsonl file", "--strict");
            }
        }
        List<String> zeroShot = names.stream().filter(n -> !FEW_SHOT.contains(n)).toList();
        if (zeroShot.size() == names.size()) {
            Options.refuseUnused(spec, "a few-shot task (" + String.join(", ", FEW_SHOT) + ")", found, "--shots");
        } else if (shots > 0 && !zeroShot.isEmpty()) {
            Options.warnUnused(spec, "eval", "few-shot tasks", Options.and(zeroShot) + " (evaluated 0-shot)",
                    "--shots");
        }
        if (shots == 0 || names.stream().noneMatch(SEEDED::contains)) {
            Options.warnUnused(spec, "eval", "--shots K > 0 and a task that draws its examples ("
                    + String.join(", ", SEEDED) + ")", found + " and --shots " + shots, "--seed");
        }
    }

    /** ppl of a .jsonl file reads JSONL, of a text file or brown:SPLIT not; the other tasks all do. */
    private static boolean readsJsonl(Evaluator.Spec task) {
        if (!task.name().equals("ppl")) return true;
        String file = task.file().toString();
        return file.endsWith(".jsonl") || file.endsWith(".jsonl.gz");
    }

    /**
     * The tokenizer.json to use: --tokenizer (a file or its folder), else the model folder's. A model folder without
     * one (a training checkpoint's RUN/checkpoints/step-N/model) is refused with the option to use; a missing model
     * folder is left to the model loader to report.
     */
    static Path tokenizerFile(Path option, Path model) {
        if (option != null) return Files.isDirectory(option) ? option.resolve("tokenizer.json") : option;
        Path file = model.resolve("tokenizer.json");
        if (Files.isDirectory(model) && !Files.exists(file)) {
            throw new IllegalArgumentException("--tokenizer: expected a tokenizer.json in the model folder (the "
                    + "default), found none in " + model + " (a training checkpoint's model folder has none: pass "
                    + "--tokenizer FILE, the tokenizer the run trained with)");
        }
        return file;
    }

    /**
     * Loads the tokenizer and checks that its ids fit the model: a tokenizer with more tokens than the model's
     * vocab_size would index past the embedding table, which the model reports only when such an id comes up.
     */
    static Tokenizer loadTokenizer(Path tokenizerFile, Path model, int vocab) {
        Tokenizer t = Tokenizer.load(tokenizerFile);
        if (t.vocabSize() > vocab) {
            throw new IllegalArgumentException("--tokenizer: expected a tokenizer of at most " + vocab + " tokens (the "
                    + "vocab_size of " + model.resolve("config.json") + "), found " + t.vocabSize() + " tokens in "
                    + tokenizerFile);
        }
        return t;
    }

    /** The metrics that are counts (Evaluator.run): printed as whole numbers, not as 1524.0000 or 1524.0. */
    private static final Set<String> COUNTS = Set.of("items", "tokens", "documents");

    private static boolean isCount(String metric, double value) {
        return COUNTS.contains(metric) && value == Math.rint(value) && Math.abs(value) < 0x1p53;
    }

    static String toJson(Map<String, Map<String, Double>> results) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        ObjectNode all = root.putObject("results");
        for (Map.Entry<String, Map<String, Double>> task : results.entrySet()) {
            ObjectNode t = all.putObject(task.getKey());
            for (Map.Entry<String, Double> m : task.getValue().entrySet()) {
                if (m.getValue().isNaN()) {
                    t.putNull(m.getKey());
                } else if (isCount(m.getKey(), m.getValue())) {
                    t.put(m.getKey(), m.getValue().longValue());
                } else {
                    t.put(m.getKey(), m.getValue());
                }
            }
        }
        return root.toString();
    }

    static String toTable(Map<String, Map<String, Double>> results) {
        StringBuilder sb = new StringBuilder(String.format("%-16s %-30s %12s %10s%n", "task", "metric", "value", "stderr"));
        for (Map.Entry<String, Map<String, Double>> task : results.entrySet()) {
            for (Map.Entry<String, Double> m : task.getValue().entrySet()) {
                if (m.getKey().endsWith("_stderr")) continue;
                Double stderr = task.getValue().get(m.getKey() + "_stderr");
                String value = isCount(m.getKey(), m.getValue())
                        ? String.valueOf(m.getValue().longValue()) : String.format("%.4f", m.getValue());
                sb.append(String.format("%-16s %-30s %12s %10s%n", task.getKey(), m.getKey(), value,
                        stderr == null || stderr.isNaN() ? "" : String.format("%.4f", stderr)));
            }
        }
        return sb.toString().stripTrailing();
    }
}
