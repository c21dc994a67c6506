package minitron.transformer.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Encoding throughput of the Llama 3.1 tokenizer, single-threaded, in MB of UTF-8 input per second. A benchmark,
 * not a unit test: it only runs when asked, with the text files to encode (concatenated):
 * <pre>
 *   ./mvnw -B -q -ntp -pl transformer -am test -Dtest=TokenizerThroughputTest -Dsurefire.failIfNoSpecifiedTests=false \
 *       -Dtokenizer.bench.files="/usr/share/vim/vim90/doc/version7.txt:/usr/share/vim/vim90/doc/version8.txt"
 * </pre>
 * It reports the first pass with an empty BPE cache ("cold") and the best of {@link #WARM_PASSES} later passes ("warm"), and checks
 * that every pass gives the same ids and that they decode back to the exact bytes.
 */
class TokenizerThroughputTest {
    /** Passes after the first; the JIT needs a few megabytes of text before the regex and BPE loops are compiled. */
    static final int WARM_PASSES = 5;

    @Test
    @EnabledIfSystemProperty(named = "tokenizer.bench.files", matches = ".+")
    void encodeThroughput() throws IOException, URISyntaxException {
        StringBuilder sb = new StringBuilder();
        for (String f : System.getProperty("tokenizer.bench.files").split(":")) {
            sb.append(Files.readString(Path.of(f), StandardCharsets.UTF_8));
        }
        String text = sb.toString();
        double megabytes = text.getBytes(StandardCharsets.UTF_8).length / 1e6;

        long loadStart = System.nanoTime();
        Tokenizer tokenizer = Tokenizer.load(TokenizerGoldenTest.llamaTokenizerPath());
        double loadSeconds = (System.nanoTime() - loadStart) / 1e9;

        long start = System.nanoTime();
        int[] first = tokenizer.encode(text);
        double coldSeconds = (System.nanoTime() - start) / 1e9;
        double warmSeconds = Double.MAX_VALUE;
        List<int[]> again = new ArrayList<>();
        for (int pass = 0; pass < WARM_PASSES; pass++) {
            long t0 = System.nanoTime();
            again.add(tokenizer.encode(text));
            warmSeconds = Math.min(warmSeconds, (System.nanoTime() - t0) / 1e9);
        }
        for (int[] ids : again) assertArrayEquals(first, ids);
        assertArrayEquals(text.getBytes(StandardCharsets.UTF_8), tokenizer.decodeBytes(first, false));

        long d0 = System.nanoTime();
        tokenizer.decodeBytes(first, false);
        double decodeSeconds = (System.nanoTime() - d0) / 1e9;

        System.out.printf("tokenizer throughput: %.2f MB, %d tokens (%.2f bytes/token); load %.2f s%n",
                megabytes, first.length, megabytes * 1e6 / first.length, loadSeconds);
        System.out.printf("  encode cold (empty cache, incl. JIT warm-up): %.2f MB/s%n", megabytes / coldSeconds);
        System.out.printf("  encode warm (best of %d later passes):        %.2f MB/s%n", WARM_PASSES, megabytes / warmSeconds);
        System.out.printf("  decode:                                       %.2f MB/s%n", megabytes / decodeSeconds);
    }
}
