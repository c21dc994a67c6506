package minitron.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import minitron.transformer.model.LlamaModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code minitron train}, {@code minitron train eval} and {@code minitron bench train} on a tiny model. */
class TrainCommandTest {
    @TempDir
    Path dir;

    private String[] run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = new CommandLine(new Main()).execute(args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new String[] {Integer.toString(code), out.toString(StandardCharsets.UTF_8).strip(),
                err.toString(StandardCharsets.UTF_8).strip()};
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

    private String[] train(Path text, Path tok, Path out, int steps, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--model", "tiny", "--tokenizer", tok.toString(),
                "--data", text.toString(), "--seq", "16", "--batch", "2", "--steps", "" + steps, "--warmup", "1",
                "--eval-every", "2", "--eval-batches", "2", "--save-every", "2", "--threads", "1", "--out",
                out.toString()));
        args.addAll(List.of(extra));
        return run(args.toArray(String[]::new));
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
}
