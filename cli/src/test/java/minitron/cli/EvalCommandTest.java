package minitron.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import minitron.eval.LlamaCausalLm;
import minitron.eval.Perplexity;
import minitron.eval.TokenEncoder;
import minitron.tensor.DType;
import minitron.tensor.Shape;
import minitron.tensor.Tensor;
import minitron.transformer.config.LlamaConfig;
import minitron.transformer.model.LlamaModel;
import minitron.transformer.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** {@code minitron eval} on a tiny random model with a byte-level tokenizer: the JSON shape and its numbers. */
class EvalCommandTest {
    @TempDir
    Path dir;

    // Jackson writes the shortest repr that reads back to the same double, so the comparison is exact.
    static final double JSON_ROUND_TRIP_ATOL = 0.0;

    private Path tinyModel() throws Exception {
        TinyTokenizer.write(dir); // 256 byte tokens, "hi" = 256, "<s>" = 257
        LlamaConfig config = new LlamaConfig(LlamaConfig.LLAMA, 16, 24, 1, 2, 1, 8, 1e-5, 10000.0, null,
                32, 258, true, 257, List.of(257), null, "float32");
        Random random = new Random(5);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Shape> e : config.expectedTensors().entrySet()) {
            int[] dims = e.getValue().dims();
            float[] values = new float[(int) e.getValue().numel()];
            for (int i = 0; i < values.length; i++) {
                values[i] = e.getKey().endsWith("norm.weight") ? 1f : (float) (0.3 * random.nextGaussian());
            }
            tensors.put(e.getKey(), Tensor.of(values, dims));
        }
        LlamaModel.fromTensors(config, tensors, false).save(dir, DType.F32);
        return dir;
    }

    private static String[] run(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "eval";
        System.arraycopy(args, 0, all, 1, args.length);
        return CliRun.run(all);
    }

    @Test
    void jsonHoldsEveryTaskAndThePerplexityOfTheLibrary() throws Exception {
        Path model = tinyModel();
        Path text = dir.resolve("text.txt");
        Files.writeString(text, "hi there, this text is longer than the model's thirty-two positions.");
        String[] r = run("--model", model.toString(), "--tasks", "ppl:" + text + ",brown-cloze", "--limit", "3", "--json");
        assertEquals("0", r[0], r[2]);
        JsonNode results = new ObjectMapper().readTree(r[1]).get("results");
        assertEquals(List.of("ppl", "brown-cloze"), iterable(results.fieldNames()));
        assertEquals(3, results.get("brown-cloze").get("items").asInt());
        assertTrue(results.get("brown-cloze").has("acc_norm_stderr"));
        try (LlamaModel m = LlamaModel.load(model, LlamaModel.Mode.INFERENCE)) {
            Perplexity.Result direct = Perplexity.ofTexts(new LlamaCausalLm(m), TokenEncoder.of(Tokenizer.load(model)),
                    List.of(Files.readString(text)));
            assertEquals(direct.loss(), results.get("ppl").get("loss").asDouble(), JSON_ROUND_TRIP_ATOL);
            assertEquals(direct.perplexity(), results.get("ppl").get("perplexity").asDouble(), JSON_ROUND_TRIP_ATOL);
            assertTrue(direct.windows() > 1, "the text must need several windows");
        }
    }

    /** Counts (items, tokens, documents) are whole numbers in the table and the JSON, not "3.0000" and 3.0. */
    @Test
    void countsArePrintedAsWholeNumbers() throws Exception {
        Path model = tinyModel();
        Path text = Files.writeString(dir.resolve("text.txt"), "hi there, a short text.");
        String tasks = "ppl:" + text + ",brown-cloze";
        String[] json = run("--model", model.toString(), "--tasks", tasks, "--limit", "3", "--json");
        assertEquals("0", json[0], json[2]);
        JsonNode results = new ObjectMapper().readTree(json[1]).get("results");
        for (JsonNode count : List.of(results.get("brown-cloze").get("items"), results.get("ppl").get("tokens"),
                results.get("ppl").get("documents"))) {
            assertTrue(count.isIntegralNumber(), json[1]);
        }
        assertEquals(1, results.get("ppl").get("documents").asInt());
        assertTrue(results.get("brown-cloze").get("acc").isFloatingPointNumber(), json[1]);
        String[] table = run("--model", model.toString(), "--tasks", tasks, "--limit", "3");
        assertEquals("0", table[0], table[2]);
        assertTrue(table[1].lines().anyMatch(l -> l.matches("brown-cloze +items +3 *")), table[1]);
        assertTrue(table[1].lines().anyMatch(l -> l.matches("ppl +documents +1 *")), table[1]);
        assertTrue(table[1].lines().anyMatch(l -> l.matches("brown-cloze +acc +\\d\\.\\d{4} +\\d\\.\\d{4}")), table[1]);
    }

    @Test
    void pplWarnsOfInvalidUtf8AndCountsTheBytesOfTheTextItScored() throws Exception {
        Path model = tinyModel();
        // two lone continuation bytes: each becomes U+FFFD, 3 bytes in UTF-8 where the file has 1
        byte[] bytes = "hi there \u0080, a text with \u0080 two bad bytes.".getBytes(StandardCharsets.ISO_8859_1);
        Path bad = Files.write(dir.resolve("bad.txt"), bytes);
        String[] r = run("--model", model.toString(), "--tasks", "ppl:" + bad, "--json");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[2].startsWith("minitron eval: warning: " + bad + ": 2 invalid UTF-8 sequence(s) replaced by U+FFFD "
                + "(first at byte offset 9)"), r[2]);
        JsonNode ppl = new ObjectMapper().readTree(r[1]).get("results").get("ppl");
        String scored = "hi there \uFFFD, a text with \uFFFD two bad bytes.";
        try (LlamaModel m = LlamaModel.load(model, LlamaModel.Mode.INFERENCE)) {
            Perplexity.Result direct = Perplexity.ofTexts(new LlamaCausalLm(m), TokenEncoder.of(Tokenizer.load(model)),
                    List.of(scored));
            assertEquals(bytes.length + 4, direct.bytes());        // lm-eval's len(doc.encode("utf-8")) of that text
            assertEquals(direct.loss(), ppl.get("loss").asDouble(), JSON_ROUND_TRIP_ATOL);
            assertEquals(direct.bitsPerByte(), ppl.get("bits_per_byte").asDouble(), JSON_ROUND_TRIP_ATOL);
            assertEquals(direct.bytePerplexity(), ppl.get("byte_perplexity").asDouble(), JSON_ROUND_TRIP_ATOL);
        }
    }

    @Test
    void aBadTaskIsOneLineAndExitCodeOne() throws Exception {
        String[] r = run("--model", tinyModel().toString(), "--tasks", "nope:x.jsonl");
        assertEquals("1", r[0]);
        assertTrue(r[2].startsWith("minitron eval: --tasks: unknown task \"nope\""), r[2]);
        assertEquals(1, r[2].strip().lines().count());
    }

    @Test
    void settingsOutOfRangeAndTasksWithoutItemsAreOneLine() throws Exception {
        Path model = tinyModel();
        Path empty = Files.writeString(dir.resolve("empty.jsonl"), "");
        Path garbage = Files.writeString(dir.resolve("garbage.jsonl"), "hello\n{bad\n");
        String[][] cases = { // {args..., the message after "minitron eval: "}
                {"--tasks", "brown-cloze", "--limit", "-1", "--limit: expected >= 1, found -1"},
                {"--tasks", "brown-cloze", "--limit", "0", "--limit: expected >= 1, found 0"},
                {"--tasks", "brown-cloze", "--shots", "-1", "--shots: expected >= 0, found -1"},
                {"--tasks", "brown-cloze", "--batch", "0", "--batch: expected >= 1, found 0"}, // was an endless loop
                {"--tasks", "brown-cloze", "--max-gen-toks", "0", "--max-gen-toks: expected >= 1, found 0"},
                {"--tasks", "ppl:" + dir, dir + ": expected a file, found a directory"},
                {"--tasks", "ppl:", "--tasks: expected ppl:FILE, found no file name in \"ppl:\""},
                {"--tasks", "choice:" + dir, dir + ": expected a file, found a directory"},
                {"--tasks", "choice:" + empty, empty + ": expected at least one task item (a JSON object per line), "
                        + "found an empty file"},
                {"--tasks", "hellaswag:" + garbage, garbage + ": expected at least one task item (a JSON object per "
                        + "line), found 2 malformed line(s), the first: " + garbage + ":1: not valid JSON"},
        };
        for (String[] c : cases) {
            String[] args = new String[c.length + 1];
            args[0] = "--model";
            args[1] = model.toString();
            System.arraycopy(c, 0, args, 2, c.length - 1);
            String[] r = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(60),
                    () -> run(args));
            assertEquals("1", r[0], String.join(" ", c));
            assertEquals("", r[1], "no table: " + r[1]);
            assertTrue(r[2].startsWith("minitron eval: " + c[c.length - 1]), r[2]);
            assertEquals(1, r[2].lines().count(), r[2]);
        }
    }

    @Test
    void buildBrownClozeReplacesNoFileWithoutOverwriteAndDoesNotEvaluate() throws Exception {
        Path file = Files.writeString(dir.resolve("cloze.jsonl"), "user data");
        String[] refused = run("--build-brown-cloze", file.toString());
        assertEquals("1", refused[0]);
        assertEquals("minitron eval: --build-brown-cloze: " + file + " exists (add --overwrite to replace it)", refused[2]);
        assertEquals("user data", Files.readString(file));

        // "builds and exits": given with an evaluation it was built and the evaluation skipped without a word
        String[] both = run("--build-brown-cloze", dir.resolve("new.jsonl").toString(), "--model", dir.toString(),
                "--tasks", "brown-cloze");
        assertEquals("1", both[0]);
        assertEquals("minitron eval: --build-brown-cloze: expected alone (it writes the task file and exits without "
                + "evaluating), found with --model and --tasks: run the evaluation as a second command", both[2]);
        assertTrue(Files.notExists(dir.resolve("new.jsonl")));

        String[] under = run("--build-brown-cloze", file.resolve("x.jsonl").toString());
        assertEquals("minitron eval: --build-brown-cloze: expected a directory (new or existing) to hold "
                + file.resolve("x.jsonl") + ", found a file: " + file, under[2]);

        String[] replaced = run("--build-brown-cloze", file.toString(), "--overwrite");
        assertEquals("0", replaced[0], replaced[2]);
        assertEquals("wrote 1524 items to " + file, replaced[1]);
        try (var shipped = EvalCommandTest.class.getResourceAsStream(minitron.eval.BrownCloze.RESOURCE)) {
            assertTrue(Arrays.equals(shipped.readAllBytes(), Files.readAllBytes(file)));
        }
    }

    /** --build-brown-cloze exits without evaluating: every evaluation option with it is named, not only --model. */
    @Test
    void buildBrownClozeRefusesEveryEvaluationOptionAndOverwriteNeedsIt() throws Exception {
        Path file = dir.resolve("new.jsonl");
        String[] r = run("--build-brown-cloze", file.toString(), "--limit", "3", "--json");
        assertEquals("1", r[0]);
        assertEquals("minitron eval: --build-brown-cloze: expected alone (it writes the task file and exits without "
                + "evaluating), found with --limit and --json: run the evaluation as a second command", r[2]);
        assertTrue(Files.notExists(file));
        r = run("--model", tinyModel().toString(), "--tasks", "brown-cloze", "--limit", "2", "--overwrite");
        assertEquals("1", r[0]);
        assertEquals("minitron eval: --overwrite: expected only with --build-brown-cloze FILE, found with an "
                + "evaluation", r[2]);
        assertEquals("", r[1], "no table");
    }

    /**
     * A setting that none of the tasks reads is refused before the model runs: --max-gen-toks without gsm8k, --shots
     * with 0-shot tasks only, ... (they were ignored without a word).
     */
    @Test
    void settingsNoTaskReadsAreRefused() throws Exception {
        Path model = tinyModel();
        String text = Files.writeString(dir.resolve("text.txt"), "hi there, a short text.").toString();
        String few = "winogrande, hellaswag, arc_easy, arc_challenge, mmlu, piqa, gsm8k";
        String[][] cases = { // {args..., the message after "minitron eval: "}
                {"--tasks", "ppl:" + text, "--max-gen-toks", "8",
                        "--max-gen-toks: expected only with a generation task (gsm8k), found with the task ppl"},
                {"--tasks", "ppl:" + text + ",brown-cloze", "--max-gen-toks", "8",
                        "--max-gen-toks: expected only with a generation task (gsm8k), found with the tasks ppl and "
                                + "brown-cloze"},
                {"--tasks", "ppl:" + text, "--add-bos", "--add-bos: expected only with a multiple-choice or generation "
                        + "task (ppl always starts with BOS), found with the task ppl"},
                {"--tasks", "ppl:" + text + ",ppl:brown:heldout", "--strict", "--strict: expected only with a task "
                        + "read from JSONL, found with the task ppl of no .jsonl file"},
                {"--tasks", "brown-cloze", "--shots", "2",
                        "--shots: expected only with a few-shot task (" + few + "), found with the task brown-cloze"},
        };
        for (String[] c : cases) {
            List<String> args = new ArrayList<>(List.of("--model", model.toString()));
            args.addAll(List.of(c).subList(0, c.length - 1));
            String[] r = run(args.toArray(String[]::new));
            assertEquals("1", r[0], String.join(" ", c));
            assertEquals("minitron eval: " + c[c.length - 1], r[2]);
            assertEquals("", r[1], "no table");
        }
    }

    /**
     * --batch and --seed, which lm-eval takes for any task, warn when no task reads them (--seed with --shots 0 or
     * MMLU, which takes the first K; --batch with ppl and gsm8k only), and the run goes on.
     */
    @Test
    void batchAndSeedThatNoTaskReadsAreAWarning() throws Exception {
        Path model = tinyModel();
        String text = Files.writeString(dir.resolve("text.txt"), "hi there, a short text.").toString();
        String drawn = "winogrande, hellaswag, arc_easy, arc_challenge, piqa, gsm8k";
        String[][] cases = { // {args..., the warning after "minitron eval: warning: "}
                {"--tasks", "ppl:" + text, "--batch", "4",
                        "--batch: used only with multiple-choice tasks, ignored with the task ppl"},
                {"--tasks", "brown-cloze", "--limit", "2", "--seed", "7", "--seed: used only with --shots K > 0 and a "
                        + "task that draws its examples (" + drawn + "), ignored with the task brown-cloze and --shots 0"},
        };
        for (String[] c : cases) {
            List<String> args = new ArrayList<>(List.of("--model", model.toString(), "--json"));
            args.addAll(List.of(c).subList(0, c.length - 1));
            String[] r = run(args.toArray(String[]::new));
            assertEquals("0", r[0], r[2]);
            assertTrue(r[2].startsWith("minitron eval: warning: " + c[c.length - 1] + "\n"), r[2]);
            assertTrue(new ObjectMapper().readTree(r[1]).get("results").size() == 1, r[1]);
        }
    }

    /** A few-shot file is read only for examples: at --shots 0 it is not read, and a warning says so. */
    @Test
    void aFewShotFileAtZeroShotsIsNotReadAndSaysSo() throws Exception {
        Path model = tinyModel();
        Path winogrande = Files.writeString(dir.resolve("w.jsonl"),
                "{\"sentence\": \"hi _ there\", \"option1\": \"a\", \"option2\": \"b\", \"answer\": \"1\"}\n");
        Path missing = dir.resolve("no-such-dev.jsonl");
        String spec = "winogrande:" + winogrande + "@" + missing;
        String[] zero = run("--model", model.toString(), "--tasks", spec, "--json");
        assertEquals("0", zero[0], zero[2]);
        assertTrue(zero[2].contains("minitron eval: warning: winogrande: the few-shot file " + missing
                + " is not read with --shots 0"), zero[2]);
        String[] one = run("--model", model.toString(), "--tasks", spec, "--shots", "1");
        assertEquals("1", one[0]);
        assertTrue(one[2].contains(missing.toString()), one[2]);
    }

    /** As lm-eval (which notes the tasks whose num_fewshot is fixed at 0): --shots read by some tasks only warns. */
    @Test
    void shotsWithSomeZeroShotTasksIsAWarning() throws Exception {
        Path model = tinyModel();
        Path winogrande = Files.writeString(dir.resolve("w.jsonl"), """
                {"sentence": "hi _ there", "option1": "a", "option2": "b", "answer": "1"}
                {"sentence": "the _ sat", "option1": "cat", "option2": "mat", "answer": "1"}
                """);
        String[] r = run("--model", model.toString(), "--tasks", "brown-cloze,winogrande:" + winogrande, "--shots", "1",
                "--limit", "2", "--json");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[2].startsWith("minitron eval: warning: --shots: used only with few-shot tasks, ignored with "
                + "brown-cloze (evaluated 0-shot)\n"), r[2]);
        assertEquals(2, new ObjectMapper().readTree(r[1]).get("results").get("winogrande").get("items").asInt());
    }

    @Test
    void aModelFolderWithoutTokenizerTakesTokenizerAndTheResultsAreTheSame() throws Exception {
        Path model = tinyModel();
        Path text = Files.writeString(dir.resolve("text.txt"), "hi there, a short text.");
        String[] withOwn = run("--model", model.toString(), "--tasks", "ppl:" + text + ",brown-cloze", "--limit", "4",
                "--json");
        assertEquals("0", withOwn[0], withOwn[2]);

        // a training checkpoint's RUN/checkpoints/step-N/model: config.json and model.safetensors only
        Path checkpoint = Files.createDirectories(dir.resolve("checkpoint"));
        Files.copy(model.resolve("config.json"), checkpoint.resolve("config.json"));
        Files.copy(model.resolve("model.safetensors"), checkpoint.resolve("model.safetensors"));
        String[] none = run("--model", checkpoint.toString(), "--tasks", "brown-cloze");
        assertEquals("1", none[0]);
        assertEquals("minitron eval: --tokenizer: expected a tokenizer.json in the model folder (the default), found "
                + "none in " + checkpoint + " (a training checkpoint's model folder has none: pass --tokenizer FILE, "
                + "the tokenizer the run trained with)", none[2]);
        for (Path tokenizer : List.of(model, model.resolve("tokenizer.json"))) {         // a folder or the file
            String[] given = run("--model", checkpoint.toString(), "--tokenizer", tokenizer.toString(), "--tasks",
                    "ppl:" + text + ",brown-cloze", "--limit", "4", "--json");
            assertEquals("0", given[0], given[2]);
            assertEquals(withOwn[1], given[1]);
        }
    }

    @Test
    void aTokenizerWithMoreTokensThanTheModelIsRefusedUpFront() throws Exception {
        Path model = tinyModel();                                                  // vocab_size 258
        Path text = Files.writeString(dir.resolve("t.txt"), "the cat sat on the mat. the cat sat.\n");
        Path big = dir.resolve("big");
        assertEquals("0", CliRun.run("tokenizer", "train", "--data", text.toString(), "--vocab-size", "270", "--out",
                big.toString(), "--special", "<s>,</s>")[0]);
        String[] r = run("--model", model.toString(), "--tokenizer", big.toString(), "--tasks", "brown-cloze");
        assertEquals("1", r[0]);
        assertEquals("minitron eval: --tokenizer: expected a tokenizer of at most 258 tokens (the vocab_size of "
                + model.resolve("config.json") + "), found 270 tokens in " + big.resolve("tokenizer.json"), r[2]);
    }

    private static List<String> iterable(Iterator<String> it) {
        List<String> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
