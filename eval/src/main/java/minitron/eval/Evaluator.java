package minitron.eval;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import minitron.transformer.data.BrownCorpus;
import minitron.transformer.data.Document;
import minitron.transformer.data.Readers;

/**
 * Runs a list of tasks given as {@code name[:FILE[@FEWSHOT_FILE]]} (the CLI's --tasks) and collects
 * task -> metric -> value, with {@code <metric>_stderr} beside each mean. Task names:
 * <ul>
 *   <li>{@code ppl:FILE}: a text file (one document), or .jsonl with a "text" per line (one document each), or
 *       {@code ppl:brown:SPLIT} a bundled Brown split (heldout, distill, pretrain-val, pretrain):
 *       loss, perplexity, tokens, word_perplexity, byte_perplexity, bits_per_byte;</li>
 *   <li>{@code brown-cloze} (bundled), {@code choice:FILE} (the same format), {@code hellaswag:FILE},
 *       {@code arc_easy:FILE}, {@code arc_challenge:FILE}, {@code piqa:FILE}: acc, acc_norm;</li>
 *   <li>{@code winogrande:FILE}, {@code mmlu:FILE}: acc;</li>
 *   <li>{@code gsm8k:FILE}: exact_match,strict-match and exact_match,flexible-extract.</li>
 * </ul>
 * Few-shot examples: from FEWSHOT_FILE when given (the train split; MMLU: the dev split), else from FILE itself
 * without the evaluated document. Also reported per task: items, skipped (malformed lines), truncated.
 */
public final class Evaluator {

    /** Run settings. limit: at most this many documents per task (null: all). */
    public record Settings(Integer limit, int shots, long seed, boolean strict, boolean addBos, int batchItems,
                           int maxGenTokens) {
    }

    private final CausalLm lm;
    private final TokenEncoder encoder;
    private final Settings settings;
    /** Messages for the user (malformed lines, truncations), in order. */
    private final List<String> notes = new ArrayList<>();
    /** Warnings for the user (invalid UTF-8 replaced in a task file), in order. */
    private final List<String> warnings = new ArrayList<>();

    public Evaluator(CausalLm lm, TokenEncoder encoder, Settings settings) {
        this.lm = lm;
        this.encoder = encoder;
        this.settings = settings;
    }

    public List<String> notes() {
        return notes;
    }

    public List<String> warnings() {
        return warnings;
    }

    /** One parsed task spec. */
    public record Spec(String name, Path file, Path fewshotFile) {
    }

    public static List<Spec> parse(String tasks) {
        return parse(tasks, "--tasks");
    }

    /** As {@link #parse(String)}; errors name {@code option}, the option the list came from. */
    public static List<Spec> parse(String tasks, String option) {
        List<Spec> specs = new ArrayList<>();
        for (String part : tasks.split(",")) {
            String s = part.strip();
            if (s.isEmpty()) continue;
            int colon = s.indexOf(':');
            String name = colon < 0 ? s : s.substring(0, colon);
            if (!KNOWN.contains(name)) {
                throw new EvalException(option + ": unknown task \"" + name + "\" (known: " + String.join(", ", KNOWN)
                        + ")");
            }
            Path file = null, fewshot = null;
            if (colon >= 0) {
                String rest = s.substring(colon + 1);
                int at = rest.indexOf('@');
                String fileName = at < 0 ? rest : rest.substring(0, at);
                if (fileName.isBlank()) {
                    throw new EvalException(option + ": expected " + name + ":FILE, found no file name in \"" + s + "\"");
                }
                file = Path.of(fileName);
                if (at >= 0) {
                    String fewshotName = rest.substring(at + 1);
                    if (fewshotName.isBlank()) {
                        throw new EvalException(option + ": expected " + name + ":FILE@FEWSHOT_FILE, found no few-shot "
                                + "file name in \"" + s + "\"");
                    }
                    fewshot = Path.of(fewshotName);
                }
            }
            boolean bundled = name.equals("brown-cloze");
            if (!bundled && file == null) {
                throw new EvalException(option + ": task \"" + name + "\" needs a file: " + name + ":FILE");
            }
            if (bundled && file != null) {   // it was read from the jar, the file ignored
                throw new EvalException(option + ": task \"brown-cloze\" is bundled and takes no file, found \"" + s
                        + "\" (a file of the same format is choice:FILE)");
            }
            if (fewshot != null && ZERO_SHOT.contains(name)) {
                throw new EvalException(option + ": task \"" + name + "\" is 0-shot and takes no few-shot file, found \""
                        + s + "\"");
            }
            specs.add(new Spec(name, file, fewshot));
        }
        if (specs.isEmpty()) throw new EvalException(option + ": expected at least one task, found none");
        return specs;
    }

    /** The tasks that never take few-shot examples; the others take --shots K from the task file or @FEWSHOT_FILE. */
    static final List<String> ZERO_SHOT = List.of("ppl", "brown-cloze", "choice");

    static final List<String> KNOWN = List.of("ppl", "brown-cloze", "choice", "winogrande", "hellaswag", "arc_easy",
            "arc_challenge", "mmlu", "piqa", "gsm8k");

    /** Runs one task: its metrics by name, with {@code <metric>_stderr} beside each mean. */
    public Map<String, Double> run(Spec spec) {
        return run(spec, Progress.NONE);
    }

    public Map<String, Double> run(Spec spec, Progress progress) {
        Map<String, Double> m = new LinkedHashMap<>();
        switch (spec.name()) {
            case "ppl" -> {
                List<String> texts = limit(readTexts(spec.file()));
                Perplexity.Result r = Perplexity.ofTexts(lm, encoder, texts, "ppl " + spec.file());  // an empty file
                m.put("loss", r.loss());
                m.put("perplexity", r.perplexity());
                m.put("word_perplexity", r.wordPerplexity());
                m.put("byte_perplexity", r.bytePerplexity());
                m.put("bits_per_byte", r.bitsPerByte());
                m.put("tokens", (double) r.tokens());
                m.put("documents", (double) r.documents());
            }
            case "gsm8k" -> {
                List<Generation.Item> items = gsm8kItems(spec);
                Generation.Result r = Generation.evaluate(lm, encoder, items, Generation.GSM8K_UNTIL,
                        settings.maxGenTokens(), settings.addBos(), progress);
                m.put("exact_match,strict-match", r.strictMatch());
                m.put("exact_match,strict-match_stderr", r.strictStderr());
                m.put("exact_match,flexible-extract", r.flexibleMatch());
                m.put("exact_match,flexible-extract_stderr", r.flexibleStderr());
                m.put("items", (double) r.items());
                noteTruncated(spec, r.truncated());
            }
            default -> {
                List<ChoiceItem> items = choiceItems(spec);
                MultipleChoice.Result r = MultipleChoice.evaluate(lm, encoder, items,
                        new MultipleChoice.Options(settings.addBos(), settings.batchItems()), progress);
                m.put("acc", r.acc());
                m.put("acc_stderr", r.accStderr());
                if (reportsAccNorm(spec.name())) {
                    m.put("acc_norm", r.accNorm());
                    m.put("acc_norm_stderr", r.accNormStderr());
                }
                m.put("items", (double) r.items());
                noteTruncated(spec, r.truncated());
            }
        }
        return m;
    }

    /** lm-eval's metric lists: winogrande and mmlu report acc only. */
    static boolean reportsAccNorm(String name) {
        return !name.equals("winogrande") && !name.equals("mmlu");
    }

    private void noteTruncated(Spec spec, int truncated) {
        if (truncated > 0) {
            notes.add(spec.name() + ": " + truncated + " context(s) longer than the model's " + lm.maxContext()
                    + " tokens were truncated from the left");
        }
    }

    /** The multiple-choice items of a task spec (loaded, limited, with few-shot prompts). */
    public List<ChoiceItem> choiceItems(Spec spec) {
        int k = settings.shots();
        long seed = settings.seed();
        return switch (spec.name()) {
            case "brown-cloze" -> limit(BrownCloze.bundledItems(settings.strict()));
            case "choice" -> Tasks.choices(limit(load(spec.file(), Tasks.ChoiceDoc::parse)));
            case "winogrande" -> {
                var all = load(spec.file(), Tasks.WinograndeDoc::parse);
                var docs = limit(all);
                var pool = pool(spec, all, Tasks.WinograndeDoc::parse);
                yield namingPool(spec, () -> Tasks.winogrande(docs, pool, k, seed, spec.fewshotFile() != null));
            }
            case "hellaswag" -> {
                var all = load(spec.file(), Tasks.HellaSwagDoc::parse);
                var docs = limit(all);
                var pool = pool(spec, all, Tasks.HellaSwagDoc::parse);
                yield namingPool(spec, () -> Tasks.hellaswag(docs, pool, k, seed, spec.fewshotFile() != null));
            }
            case "arc_easy", "arc_challenge" -> {
                var all = load(spec.file(), Tasks.ArcDoc::parse);
                var docs = limit(all);
                var pool = pool(spec, all, Tasks.ArcDoc::parse);
                yield namingPool(spec, () -> Tasks.arc(docs, pool, k, seed, spec.fewshotFile() != null));
            }
            case "mmlu" -> {
                var all = load(spec.file(), Tasks.MmluDoc::parse);
                var docs = limit(all);
                var pool = pool(spec, all, Tasks.MmluDoc::parse);
                yield namingPool(spec, () -> Tasks.mmlu(docs, pool, k, spec.fewshotFile() != null));
            }
            case "piqa" -> {
                var all = load(spec.file(), Tasks.PiqaDoc::parse);
                var docs = limit(all);
                var pool = pool(spec, all, Tasks.PiqaDoc::parse);
                yield namingPool(spec, () -> Tasks.piqa(docs, pool, k, seed, spec.fewshotFile() != null));
            }
            default -> throw new EvalException("task \"" + spec.name() + "\" is not a multiple-choice task");
        };
    }

    public List<Generation.Item> gsm8kItems(Spec spec) {
        var all = load(spec.file(), Tasks.Gsm8kDoc::parse);
        var docs = limit(all);
        var pool = pool(spec, all, Tasks.Gsm8kDoc::parse);
        return namingPool(spec, () -> Tasks.gsm8k(docs, pool, settings.shots(), settings.seed(),
                spec.fewshotFile() != null));
    }

    /**
     * The items of loaded documents; the only error left is a few-shot pool too small for --shots (the documents
     * were checked as they were read): the message names the task file, and the few-shot file when there is one.
     */
    private static <T> T namingPool(Spec spec, Supplier<T> items) {
        try {
            return items.get();
        } catch (EvalException e) {
            String where = spec.fewshotFile() == null ? spec.file().toString()
                    : spec.file() + " (few-shot examples from " + spec.fewshotFile() + ")";
            throw new EvalException(where + ": " + e.getMessage(), e);
        }
    }

    /** Where the few-shot examples come from: @FEWSHOT_FILE, else the task's own documents; none at 0 shots. */
    private <D> List<D> pool(Spec spec, List<D> docs, Function<JsonNode, D> parser) {
        if (spec.fewshotFile() == null) return docs;
        if (settings.shots() == 0) {
            warnings.add(spec.name() + ": the few-shot file " + spec.fewshotFile() + " is not read with --shots 0");
            return List.of();
        }
        return load(spec.fewshotFile(), parser);
    }

    private <D> List<D> load(Path file, Function<JsonNode, D> parser) {
        Jsonl.Loaded<D> loaded = Jsonl.read(file, settings.strict(), parser);
        if (loaded.docs().isEmpty()) {
            // no item to score: the metrics would be NaN (or an empty table) while the run reported success
            String why = loaded.skipped().isEmpty() ? "an empty file"
                    : loaded.skipped().size() + " malformed line(s), the first: " + loaded.skipped().getFirst();
            throw new EvalException(file + ": expected at least one task item (a JSON object per line), found " + why);
        }
        warnings.addAll(loaded.warnings());
        notes.addAll(loaded.skipped());
        if (!loaded.skipped().isEmpty()) {
            notes.add(file + ": skipped " + loaded.skipped().size() + " malformed line(s) (--strict stops instead)");
        }
        return loaded.docs();
    }

    private <T> List<T> limit(List<T> list) {
        Integer n = settings.limit();
        return n == null || n >= list.size() ? list : list.subList(0, n);
    }

    /** ppl texts: {@code brown:SPLIT} is a bundled Brown split (one document per sample); else a file. */
    private List<String> readTexts(Path file) {
        String name = file.toString();
        if (name.startsWith("brown:")) {
            List<String> texts = new ArrayList<>();
            for (Document d : BrownCorpus.documents(BrownCorpus.Split.parse(name.substring("brown:".length())))) {
                texts.add(d.text());
            }
            return texts;
        }
        if (file.toString().endsWith(".jsonl") || file.toString().endsWith(".jsonl.gz")) {
            return load(file, node -> Jsonl.text(node, "text"));
        }
        if (Files.isDirectory(file)) throw new EvalException(file + ": expected a file, found a directory");
        try {
            Readers.Decoded decoded = Readers.decodeCounting(Files.readAllBytes(file));
            if (decoded.invalidSequences() > 0) warnings.add(decoded.warning(file.toString()));
            return List.of(decoded.text());
        } catch (NoSuchFileException e) {
            throw new EvalException(file + ": file not found");
        } catch (IOException e) {
            throw new EvalException(file + ": " + e.getMessage(), e);
        }
    }
}
