package minitron.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/** The arguments handed to a relaunched JVM arrive exactly, whatever characters they hold. */
class Utf8ConsoleTest {
    @Test
    void carriedArgumentsRoundTrip() {
        String[][] cases = {{}, {""}, {"tokenize", "--text", "café 日本 🙂"}, {"a,b", "", "=,=", "\u0000x"}};
        for (String[] args : cases) {
            assertArrayEquals(args, Utf8Console.decodeCarried(Utf8Console.carry(args)));
        }
    }
}
