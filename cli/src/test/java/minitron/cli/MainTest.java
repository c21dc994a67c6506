package minitron.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What every command shares: bad input that a command does not catch itself is one line and exit code 1. */
class MainTest {
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
}
