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
        assertTrue(r[2].startsWith("minitron bench gemm: "), r[2]);
        assertTrue(r[2].contains("non-negative"), r[2]);
        assertFalse(r[2].contains("\n"), "one line, no stack trace: " + r[2]);
    }
}
