package minitron.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import minitron.transformer.model.LlamaModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code minitron train}, {@code minitron train eval} and {@code minitron bench train} on a tiny model. */
class TrainCommandTest {
    @TempDir
    Path dir;

    private String[] run(String... args) {
        return CliRun.run(args);
    }

    private Path tokenizer(Path text) {
        Path tok = dir.resolve("tok");
        String[] r = run("tokenizer", "train", "--data", text.toString(), "--vocab-size", "280", "--out",
                tok.toString(), "--special", "<s>,</s>");
        assertEquals("0", r[0], r[2]);
        return tok;
    }

    private Path corpus() throws IOException {
        StringBuilder s = new StringBuilder();
        String[] words = {"the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "far"};
        for (int i = 0; i < 3000; i++) s.append(words[(i * i + 3 * i) % words.length]).append(i % 17 == 0 ? ".\n" : " ");
        Path text = dir.resolve("text.txt");
        Files.writeString(text, s.toString());
        return text;
    }

    private String[] train(Path text, Path tok, Path out, String... extra) {
        return train(text, tok, out, 4, extra);
    }

    /** The run of {@link #train} with one option's value replaced (or added). */
    private String[] trainWith(Path text, Path tok, Path out, String option, String value) {
        List<String> args = new ArrayList<>(List.of("train", "--model", "tiny", "--tokenizer", tok.toString(),
                "--data", text.toString(), "--seq", "16", "--batch", "2", "--steps", "4", "--warmup", "1",
                "--eval-every", "2", "--eval-batches", "2", "--save-every", "2", "--threads", "1", "--out",
                out.toString()));
        int i = args.indexOf(option);
        if (i >= 0) {
            args.set(i + 1, value);
        } else {
            args.addAll(List.of(option, value));
        }
        return run(args.toArray(String[]::new));
    }

    private String[] train(Path text, Path tok, Path out, int steps, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--model", "tiny", "--tokenizer", tok.toString(),
                "--data", text.toString(), "--seq", "16", "--batch", "2", "--steps", "" + steps, "--warmup", "1",
                "--eval-every", "2", "--eval-batches", "2", "--save-every", "2", "--threads", "1", "--out",
                out.toString()));
        args.addAll(List.of(extra));
        return run(args.toArray(String[]::new));
    }

    @Test
    void resumeWithoutACheckpointIsRefusedBeforeTheDataIsTokenized() throws IOException {
        Path text = corpus();
        Path tok = tokenizer(text);
        Path out = dir.resolve("fresh");
        String[] r = train(text, tok, out, "--resume");
        assertEquals("1", r[0]);
        assertEquals("minitron train: --resume: no checkpoint in " + out.resolve("checkpoints"), r[2]);
        assertFalse(Files.exists(out.resolve("cache")), "no token cache was built for a run that cannot start");
    }

    @Test
    void trainsWritesCheckpointsLogCurveAndFinalModelThenResumes() throws IOException {
        Path text = corpus();
        Path tok = tokenizer(text);
        Path out = dir.resolve("run");
        String[] r = train(text, tok, out);
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].startsWith("done: 4 steps"), r[1]);
        assertTrue(r[2].contains("step 2/4: loss"), r[2]);
        assertEquals(4, Files.readAllLines(out.resolve("train_log.jsonl")).stream().filter(l -> l.contains("\"loss\""))
                .count());
        assertTrue(Files.size(out.resolve("loss_curve.png")) > 1000);
        assertEquals("step-00000004", Files.readString(out.resolve("checkpoints/latest")).strip());
        try (LlamaModel m = LlamaModel.load(out.resolve("final"), LlamaModel.Mode.INFERENCE)) {
            assertEquals(minitron.transformer.tokenizer.Tokenizer.load(tok).vocabSize(), m.config.vocabSize());
        }
        assertTrue(Files.exists(out.resolve("final/tokenizer.json")));

        // --resume with more steps is refused (the schedule would change); with the same settings it is a no-op.
        String[] more = train(text, tok, out, 6, "--resume");
        assertEquals("1", more[0]);
        assertTrue(more[2].contains("steps: checkpoint 4, this run 6"), more[2]);
        String[] same = train(text, tok, out, "--resume");
        assertEquals("0", same[0], same[2]);
        assertTrue(same[2].contains("resumed from step 4"), same[2]);

        // Resuming with another shape: a clear error.
        String[] wider = train(text, tok, out, "--resume", "--hidden", "48");
        assertEquals("1", wider[0]);
        assertTrue(wider[2].contains("another shape"), wider[2]);

        // Resuming on other data would continue from the saved position in another text: refused.
        // The refusal leaves the run as it was: its token cache is not rebuilt from the other text.
        Path other = Files.writeString(dir.resolve("other.txt"), Files.readString(text).replace("ran", "cow"));
        byte[] cacheBefore = Files.readAllBytes(out.resolve("cache/train.tokens"));
        String[] otherData = train(other, tok, out, "--resume");
        assertEquals("1", otherData[0], otherData[1] + " | " + otherData[2]);
        assertTrue(otherData[2].contains("made from other data")
                && otherData[2].endsWith("; resume with the --data and --tokenizer the run was started with"), otherData[2]);
        assertArrayEquals(cacheBefore, Files.readAllBytes(out.resolve("cache/train.tokens")));

        // A new run into the folder of this one would mix the two: refused before anything is read.
        String[] again = train(text, tok, out);
        assertEquals("1", again[0]);
        assertEquals("minitron train: --out: expected a new or empty folder for a new run, found " + out + " holding "
                + "checkpoints, final (continue its run with --resume, or give another folder)", again[2]);

        // A config file gives the options; the command line wins.
        Path props = dir.resolve("train.properties");
        Files.writeString(props, "model=tiny\nseq=16\nbatch=2\nsteps=2\nwarmup=1\nthreads=1\neval-batches=1\n"
                + "tokenizer=" + tok + "\ndata=" + text + "\nout=" + dir.resolve("cfg") + "\n");
        String[] cfg = run("train", "--config", props.toString(), "--steps", "3");
        assertEquals("0", cfg[0], cfg[2]);
        assertTrue(cfg[1].startsWith("done: 3 steps"), cfg[1]);

        String[] eval = run("train", "eval", "--model", out.resolve("final").toString(), "--data", text.toString(),
                "--eval", text.toString(), "--seq", "16", "--threads", "1", "--cache", dir.resolve("ec").toString());
        assertEquals("0", eval[0], eval[2]);
        assertTrue(eval[1].contains("unigram_loss"), eval[1]);
    }

    /** What a start that failed before its first checkpoint leaves behind does not block starting again there. */
    @Test
    void aFailedStartCanBeStartedAgainInTheSameFolder() throws IOException {
        Path text = corpus();
        Path tok = tokenizer(text);
        Path out = dir.resolve("again");
        Path shortText = Files.writeString(dir.resolve("short.txt"), Files.readString(text).substring(0, 600));
        String[] r = train(shortText, tok, out);   // its last 5% is under one sequence of 16 + 1 tokens
        assertEquals("1", r[0], r[2]);
        assertTrue(r[2].contains("the validation split (the last 5% of --data"), r[2]);
        assertTrue(Files.isDirectory(out.resolve("cache")), "the token cache was written before the check");
        Files.writeString(out.resolve("train_log.jsonl"), "{\"step\":1,\"error\":\"loss is NaN\"}\n");
        r = train(text, tok, out);
        assertEquals("0", r[0], r[2]);
        assertEquals(4, Files.readAllLines(out.resolve("train_log.jsonl")).stream().filter(l -> l.contains("\"loss\""))
                .count(), "the new run's log only");

        // a file of that name that is not a train log is the user's: refused, not replaced
        Path mine = Files.createDirectories(dir.resolve("mine"));
        Files.writeString(mine.resolve("train_log.jsonl"), "my notes\n");
        r = train(text, tok, mine);
        assertEquals("1", r[0]);
        assertTrue(r[2].contains("holding train_log.jsonl"), r[2]);
        assertEquals("my notes\n", Files.readString(mine.resolve("train_log.jsonl")));
    }

    /** tokenizer train does not replace a tokenizer already in --out (a model folder's, say) without --overwrite. */
    @Test
    void tokenizerTrainReplacesAnExistingTokenizerOnlyWithOverwrite() throws IOException {
        Path text = corpus();
        Path tok = tokenizer(text);
        String before = Files.readString(tok.resolve("tokenizer.json"));
        String[] r = run("tokenizer", "train", "--data", text.toString(), "--vocab-size", "270", "--out", tok.toString());
        assertEquals("1", r[0]);
        assertEquals("minitron tokenizer train: --out: " + tok.resolve("tokenizer.json") + " exists (add --overwrite to "
                + "replace it)", r[2]);
        assertEquals(before, Files.readString(tok.resolve("tokenizer.json")), "untouched");
        r = run("tokenizer", "train", "--data", text.toString(), "--vocab-size", "270", "--out", tok.toString(),
                "--overwrite");
        assertEquals("0", r[0], r[2]);
        assertFalse(before.equals(Files.readString(tok.resolve("tokenizer.json"))), "replaced: 270 instead of 280");
    }

    @Test
    void refusesTextShorterThanOneSequenceAndMissingTokenizer() throws IOException {
        Path text = corpus();
        Path tok = tokenizer(text);
        Path tiny = dir.resolve("tiny.txt");
        Files.writeString(tiny, "the cat");
        String[] r = train(tiny, tok, dir.resolve("short"), "--val-data", text.toString());
        assertEquals("1", r[0]);
        assertTrue(r[2].contains("shorter than one sequence"), r[2]);
        String[] none = run("train", "--data", text.toString(), "--out", dir.resolve("x").toString());
        assertEquals("1", none[0]);
        assertTrue(none[2].contains("--tokenizer is required"), none[2]);
    }

    @Test
    void benchTrainPrintsJsonWithTokensPerSecondLast() throws IOException {
        String[] r = run("bench", "train", "--model", "tiny", "--batch", "2", "--seq", "16", "--steps", "2",
                "--warmup", "1", "--threads", "1", "--json");
        assertEquals("0", r[0], r[2]);
        String[] lines = r[1].split("\n");
        JsonNode json = new ObjectMapper().readTree(lines[lines.length - 1]);
        assertTrue(json.get("tokens_per_s").asDouble() > 0, r[1]);
        assertEquals(32, json.get("batch").asInt() * json.get("seq").asInt());
    }

    @Test
    void badOptionsAreOneLineBeforeTheDataIsRead() throws IOException {
        Path text = corpus();
        Path tok = tokenizer(text);
        Path file = Files.writeString(dir.resolve("a-file.txt"), "x");
        String[][] cases = { // {option, value, the message after "minitron train: "}
                {"--hidden", "-1", "--hidden: expected >= 0, found -1"},
                {"--layers", "-1", "--layers: expected >= 0, found -1"},
                {"--intermediate", "-4", "--intermediate: expected >= 0, found -4"},
                {"--hidden", "33", "--hidden/--heads: expected hidden_size a multiple of num_attention_heads, found 33 and 4"},
                {"--save-dtype", "f64", "--save-dtype: expected f32 or bf16, found \"f64\""},
                {"--lr", "Infinity", "--lr: expected a finite value > 0.0, found Infinity"},
                {"--weight-decay", "NaN", "--weight-decay: expected a finite value >= 0.0, found NaN"},
                {"--clip", "-1", "--clip: expected a finite value >= 0.0, found -1.0"},
                {"--threads", "0", "--threads: expected >= 1, found 0"},
                {"--seq", "1000", "--seq: expected <= 128 (the model's max_position_embeddings), found 1000"},
                {"--out", file.toString(), "--out: expected a directory (new or existing), found a file: " + file},
                {"--seq", "0", "--seq: expected >= 1, found 0"},
                {"--batch", "0", "--batch: expected >= 1, found 0"},
                {"--steps", "0", "--steps: expected >= 1, found 0"},
        };
        for (String[] c : cases) {
            Path out = dir.resolve("bad" + c[0] + c[1].hashCode());
            String[] r = trainWith(text, tok, out, c[0], c[1]);
            assertEquals("1", r[0], String.join(" ", c));
            assertEquals("minitron train: " + c[2], r[2]);
            assertTrue(!Files.exists(out.resolve("cache")), "no token cache was built for " + String.join(" ", c));
        }
        // The schedule is checked before the data too, naming the options.
        String[] r = trainWith(text, tok, dir.resolve("warm"), "--warmup", "100");
        assertEquals("1", r[0]);
        assertEquals("minitron train: --warmup: expected fewer warm-up steps than --steps 4, found 100", r[2]);
        assertTrue(!Files.exists(dir.resolve("warm/cache")));
    }

    /**
     * --jsonl reads the files among --data and --val-data; with only bundled brown:SPLITs (the default --data is one)
     * it was ignored.
     */
    @Test
    void jsonlIsRefusedWhenEveryDataSourceIsABundledSplit() {
        String tok = dir.resolve("tok").toString();              // never read: the options are checked first
        String[] r = run("train", "--tokenizer", tok, "--jsonl", "--out", dir.resolve("a").toString());
        assertEquals("1", r[0]);
        assertEquals("minitron train: --jsonl: expected with a JSONL file or folder as --data, found --data "
                + "brown:pretrain (a bundled split, read as it is)", r[2]);
        r = run("train", "--tokenizer", tok, "--data", "brown:distill", "--val-data", "brown:heldout", "--jsonl",
                "--out", dir.resolve("b").toString());
        assertEquals("1", r[0]);
        assertEquals("minitron train: --jsonl: expected with a JSONL file or folder as --val-data, found --val-data "
                + "brown:heldout (a bundled split, read as it is)", r[2]);
        assertTrue(Files.notExists(dir.resolve("a")) && Files.notExists(dir.resolve("b")), "nothing written");
    }

    @Test
    void configFileErrorsAreOneLine() throws IOException {
        Path props = Files.writeString(dir.resolve("bad.properties"), "seq=abc\n");
        String[][] cases = {
                {dir.resolve("nowhere.properties").toString(), "minitron train: --config: expected a file, found nothing at "},
                {dir.toString(), "minitron train: --config: expected a file, found a directory: "},
                {props.toString(), "minitron train: Invalid value for option '--seq': 'abc' is not an int"},
                {Files.writeString(dir.resolve("typo.properties"), "stepz=4\n").toString(),
                        "minitron train: --config: " + dir.resolve("typo.properties") + ": \"stepz\" is not an option of "
                                + "minitron train"},
                {Files.writeString(dir.resolve("flag.properties"), "jsonl=yes\n").toString(),
                        "minitron train: --config: " + dir.resolve("flag.properties") + ": jsonl is a flag: expected "
                                + "true, false or no value, found \"yes\""},
                // were "minitron train: Input length = 1" and "minitron train: Malformed \\uxxxx encoding."
                {Files.write(dir.resolve("binary.properties"), new byte[] {'s', '=', (byte) 0xFF}).toString(),
                        "minitron train: --config: " + dir.resolve("binary.properties") + ": cannot read: expected "
                                + "UTF-8 text, found other bytes"},
                {Files.writeString(dir.resolve("escape.properties"), "seq=\\u12\n").toString(),
                        "minitron train: --config: " + dir.resolve("escape.properties") + ": not a properties file: "
                                + "Malformed \\uxxxx encoding."},
        };
        for (String[] c : cases) {
            String[] r = run("train", "--config", c[0]);
            assertEquals("1", r[0], c[0]);
            assertTrue(r[2].startsWith(c[1]), r[2]);
            assertTrue(!r[2].contains("\n"), "one line: " + r[2]);
        }
    }

    @Test
    void trainEvalChecksOptionsBeforeTheTable() throws IOException {
        Path text = corpus();
        Path tok = tokenizer(text);
        Path out = dir.resolve("run");
        assertEquals("0", train(text, tok, out, 2)[0]);
        Path file = Files.writeString(dir.resolve("a-file.txt"), "x");
        Path bigTokenizer = dir.resolve("big");   // more ids than the model has
        assertEquals("0", run("tokenizer", "train", "--data", text.toString(), "--vocab-size", "300", "--out",
                bigTokenizer.toString())[0]);
        int vocab = minitron.transformer.config.LlamaConfig.read(out.resolve("final")).vocabSize();
        int bigVocab = minitron.transformer.tokenizer.Tokenizer.load(bigTokenizer).vocabSize();
        assertTrue(bigVocab > vocab, bigVocab + " > " + vocab);
        String[][] cases = { // {option, value, message}
                {"--seq", "0", "--seq: expected >= 1, found 0"},
                {"--batch", "0", "--batch: expected >= 1, found 0"},
                {"--threads", "0", "--threads: expected >= 1, found 0"},
                {"--seq", "1000", "--seq: expected <= 128 (the model's max_position_embeddings), found 1000"},
                {"--cache", file.toString(), "--cache: expected a directory (new or existing), found a file: " + file},
                {"--eval", dir.resolve("nowhere").toString(), "data: expected a file or a folder, got "
                        + dir.resolve("nowhere") + " (not found)"},
                // an empty name was the working directory: every file under it read as text (CommandLineFuzzTest)
                {"--data", "", "--data: expected FILE|DIR|brown:SPLIT, found an empty value (which would be the working "
                        + "directory) (see minitron train eval --help)"},
                {"--tokenizer", bigTokenizer.toString(), "--tokenizer: expected a tokenizer of at most "
                        + vocab + " tokens (the vocab_size of " + out.resolve("final/config.json") + "), found " + bigVocab
                        + " tokens in "
                        + bigTokenizer.resolve("tokenizer.json")},
        };
        for (String[] c : cases) {
            List<String> args = new ArrayList<>(List.of("train", "eval", "--model", out.resolve("final").toString()));
            if (!c[0].equals("--data")) args.addAll(List.of("--data", text.toString()));
            if (!c[0].equals("--cache")) args.addAll(List.of("--cache", dir.resolve("ec").toString()));
            if (!c[0].equals("--eval")) args.addAll(List.of("--eval", text.toString()));
            if (!c[0].equals("--threads")) args.addAll(List.of("--threads", "1"));
            args.addAll(List.of(c[0], c[1]));
            String[] r = run(args.toArray(String[]::new));
            assertEquals("1", r[0], String.join(" ", c));
            assertEquals("", r[1], "no table header before the error");
            assertEquals("minitron train eval: " + c[2], r[2]);
        }
    }

    /**
     * {@code train eval} prints what its readers warn about, under its own name, as the other commands do: invalid
     * UTF-8 in a dataset (it was replaced silently) and tensors the config does not use (named "minitron train").
     */
    @Test
    void trainEvalPrintsTheWarningsOfItsDataAndCheckpoint() throws IOException {
        Path text = corpus();
        Path tok = tokenizer(text);
        Path out = dir.resolve("run");
        assertEquals("0", train(text, tok, out, 2)[0]);
        Path model = Files.createDirectories(dir.resolve("extra"));
        Map<String, minitron.tensor.Tensor> tensors = new LinkedHashMap<>();
        try (minitron.transformer.io.Checkpoint ck = minitron.transformer.io.Checkpoint.open(out.resolve("final"))) {
            for (String name : ck.names()) tensors.put(name, ck.tensor(name).copy());
        }
        tensors.put("model.rotary_emb.inv_freq", minitron.tensor.Tensor.zeros(minitron.tensor.DType.F32, 2));
        minitron.transformer.io.SafetensorsWriter.write(model.resolve("model.safetensors"), tensors,
                minitron.tensor.DType.BF16);
        for (String f : List.of("config.json", "tokenizer.json", "tokenizer_config.json")) {
            Files.copy(out.resolve("final").resolve(f), model.resolve(f));
        }
        byte[] good = Files.readAllBytes(text);
        byte[] bad = Arrays.copyOf(good, good.length + 2);
        bad[good.length] = (byte) 0xFF;
        bad[good.length + 1] = (byte) 0xFE;
        Path badText = Files.write(dir.resolve("bad.txt"), bad);
        String[] r = run("train", "eval", "--model", model.toString(), "--data", text.toString(), "--eval",
                badText.toString(), "--seq", "16", "--threads", "1", "--cache", dir.resolve("ec").toString());
        assertEquals("0", r[0], r[2]);
        assertTrue(r[2].contains("minitron train eval: warning: " + badText + ": 2 invalid UTF-8 sequence(s) replaced "
                + "by U+FFFD (first at byte offset " + good.length + ")"), r[2]);
        assertTrue(r[2].contains("minitron train eval: warning: ") && r[2].contains("\"model.rotary_emb.inv_freq\" is "
                + "not used by the config (ignored)"), r[2]);
        assertFalse(r[2].contains("minitron train: "), r[2]);
    }
}
