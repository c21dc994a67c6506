package minitron.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** What every command shares: bad input that a command does not catch itself is one line and exit code 1. */
class MainTest {
    @Test
    void everyCommandsVersionOptionPrintsTheVersion() {
        for (String[] args : new String[][] {{"--version"}, {"train", "--version"}, {"bench", "gemm", "-V"},
                {"train", "eval", "--version"}}) {
            String[] r = CliRun.run(args);
            assertEquals("0", r[0], String.join(" ", args));
            assertEquals("minitron 0.1.0", r[1], String.join(" ", args));
        }
    }

    @Test
    void uncaughtBadInputIsOneLineNamingTheCommand() {
        String[] r = CliRun.run("bench", "gemm", "--n", "-5");
        assertEquals("1", r[0]);
        assertEquals("minitron bench gemm: --n: expected >= 1, found -5", r[2]);
    }

    @Test
    void benchSizesOutOfRangeAreOneLine() {
        String[][] cases = {
                {"bench", "gemm", "--n", "0"}, {"bench", "gemm", "--n", "8", "--repeats", "0"},
                {"bench", "gemv", "--rows", "0"}, {"bench", "gemv", "--cols", "-1"},
                {"bench", "gemv", "--rounds", "0"}, {"bench", "gemv", "--threads", "0"},
                {"bench", "decode", "--prompt-tokens", "0"}, {"bench", "decode", "--decode-tokens", "0"},
                {"bench", "decode", "--layers", "-1"},
                {"bench", "train", "--model", "tiny", "--seq", "1"}, {"bench", "train", "--model", "tiny", "--batch", "0"},
        };
        for (String[] args : cases) {
            String[] r = CliRun.run(args);
            String command = "minitron " + args[0] + " " + args[1] + ": ";
            assertEquals("1", r[0], String.join(" ", args));
            assertTrue(r[2].startsWith(command + args[args.length - 2] + ": expected >= "), r[2]);
            assertFalse(r[2].contains("\n"), "one line, no stack trace: " + r[2]);
        }
    }

    @Test
    void threadCountsBeyondTheLimitAreOneLine() {
        for (String[] args : new String[][]{{"bench", "gemm", "--n", "8"}, {"bench", "gemv", "--rows", "8"}, {"bench", "decode"},
                {"bench", "train", "--model", "tiny"}}) {
            String[] withThreads = Arrays.copyOf(args, args.length + 2);
            withThreads[args.length] = "--threads";
            withThreads[args.length + 1] = "100000";
            String[] r = CliRun.run(withThreads);
            assertEquals("1", r[0], String.join(" ", withThreads));
            assertTrue(r[2].endsWith(": --threads: expected <= 1024 (one kernel thread per core is the useful range), found 100000"), r[2]);
        }
    }

    @Test
    void benchTrainSeqBeyondTheModelsPositionsIsOneLine() {
        // was minutes of attention over 100000 positions of a model made for 128
        String[] r = CliRun.run("bench", "train", "--model", "tiny", "--seq", "100000");
        assertEquals("1", r[0]);
        assertEquals("minitron bench train: --seq: expected <= 128 (the model's max_position_embeddings), found 100000", r[2]);
    }

    @Test
    void parseErrorsAreOneLineWithExitCode1() {
        String[][] cases = { // {args..., a part of the message}
                {"bench", "gemm", "--n", "abc", "'abc' is not an int"},
                {"bench", "gemm", "--no-such-option", "Unknown option"},
                {"bench", "gemm", "--n", "8", "--n", "9", "should be specified only once"},
                {"generate", "--prompt", "hi", "Missing required option"},
                {"tokenize", "--tokenizer", "t", "--text", "a", "--file", "b", ": --text=S, --file=F are mutually exclusive"},
                {"tokenize", "--tokenizer", "t", "--text", "a", "--text", "b",
                        ": expected one of --text=S | --file=F, found --text=a and --text=b"},
                {"train", "--lr", "fast", "'fast' is not a double"},
        };
        for (String[] c : cases) {
            String[] args = Arrays.copyOf(c, c.length - 1);
            String[] r = CliRun.run(args);
            String command = "minitron " + (args[0].equals("bench") ? "bench " + args[1] : args[0]);
            assertEquals("1", r[0], String.join(" ", args));
            assertTrue(r[2].startsWith(command + ": ") && r[2].contains(c[c.length - 1]), r[2]);
            assertTrue(r[2].endsWith("(see " + command + " --help)"), r[2]);
            assertFalse(r[2].contains("\n"), "one line, no usage text: " + r[2]);
        }
    }

    @Test
    void aCommandGroupWithoutItsSubcommandIsAnError() {
        String[] r = CliRun.run("data");
        assertEquals("1", r[0]);
        assertEquals("minitron data: expected a subcommand (brown, cache) (see minitron data --help)", r[2]);
        r = CliRun.run("bench");
        assertEquals("1", r[0]);
        assertTrue(r[2].startsWith("minitron bench: expected a subcommand (gemm, gemv, decode, train)"), r[2]);
    }

    @Test
    void runningOutOfHeapIsOneLineSayingHowToGiveMore() {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.reportingMemory(() -> {
                throw new OutOfMemoryError("Java heap space");
            });
        } finally {
            System.setErr(err);
        }
        String message = captured.toString(StandardCharsets.UTF_8).strip();
        assertEquals(1, code);
        assertTrue(message.startsWith("minitron: out of Java heap memory (Java heap space; the heap may grow to "), message);
        assertTrue(message.contains("MINITRON_JAVA_OPTS=-Xmx<size>") && !message.contains("\n"), message);
        assertEquals(7, Main.reportingMemory(() -> 7), "a command's own exit code passes through");
    }

    @Test
    void unknownDtypeIsOneLine() {
        String[] r = CliRun.run("bench", "gemm", "--n", "8", "--dtype", "f64");
        assertEquals("1", r[0]);
        assertEquals("minitron bench gemm: --dtype: expected f32, bf16 or f16, found \"f64\"", r[2]);
    }
}
