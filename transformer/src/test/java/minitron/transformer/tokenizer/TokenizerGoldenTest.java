package minitron.transformer.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real Llama 3.1 tokenizer.json against the ids Hugging Face's tokenizers library (Rust, 0.23.2) gives for
 * the 442 strings of {@code golden/tokenizer-llama3.1-v1.json}, written by {@code reference/golden_tokenizer.mjs}.
 * Every comparison is exact: ids are integers and decoded text is compared byte for byte.
 */
class TokenizerGoldenTest {
    static final String GOLDEN = "/golden/tokenizer-llama3.1-v1.json";
    static final String REGENERATE = "node reference/golden_tokenizer.mjs --modules DIR/node_modules";

    static Tokenizer tokenizer;
    static JsonNode golden;
    static List<JsonNode> cases;

    @BeforeAll
    static void load() throws IOException, URISyntaxException, NoSuchAlgorithmException {
        Path file = llamaTokenizerPath();
        tokenizer = Tokenizer.load(file);
        golden = new ObjectMapper().readTree(TokenizerGoldenTest.class.getResourceAsStream(GOLDEN));
        if (!golden.path("format").asText().equals("minitron-golden") || golden.path("version").asInt() != 1) {
            fail(GOLDEN + ": expected format minitron-golden version 1, got " + golden.path("format") + " version "
                    + golden.path("version") + "; regenerate with " + REGENERATE);
        }
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        assertEquals(golden.path("tokenizer_sha256").asText(), sha,
                "the golden file was made with another tokenizer.json; regenerate with " + REGENERATE);
        cases = new ArrayList<>();
        golden.path("cases").forEach(cases::add);
        assertTrue(cases.size() >= 300, "expected a few hundred golden strings, got " + cases.size());
    }

    static Path llamaTokenizerPath() throws URISyntaxException {
        return Path.of(TokenizerGoldenTest.class.getResource("/llama3.1/tokenizer.json").toURI());
    }

    static int[] ids(JsonNode c) {
        int[] ids = new int[c.path("ids").size()];
        for (int i = 0; i < ids.length; i++) ids[i] = c.path("ids").get(i).asInt();
        return ids;
    }

    @Test
    void configGivesBosAndEos() {
        assertEquals(128000, tokenizer.bosId().orElseThrow());
        assertEquals(golden.path("bos_id").asInt(), tokenizer.bosId().orElseThrow());
        assertEquals(128009, tokenizer.eosId().orElseThrow(), "tokenizer_config.json eos_token <|eot_id|>");
        assertEquals(128256, tokenizer.vocabSize());
        assertEquals("<|begin_of_text|>", tokenizer.token(128000));
        assertEquals("Ġworld", tokenizer.token(1917));
    }

    @Test
    void idsEqualHuggingFaceForEveryString() {
        assertIdsEqualGolden(tokenizer, cases);
    }

    /** Every golden case's text encodes (without BOS) to exactly its ids; the failures listed, the first ten shown. */
    static void assertIdsEqualGolden(Tokenizer tokenizer, List<JsonNode> cases) {
        List<String> failures = new ArrayList<>();
        for (JsonNode c : cases) {
            int[] expected = ids(c);
            int[] actual = tokenizer.encode(c.path("text").asText());
            if (!Arrays.equals(expected, actual)) {
                failures.add(c.path("name").asText() + " " + Regexes.quote(c.path("text").asText())
                        + "\n    expected " + Arrays.toString(expected) + "\n    got      " + Arrays.toString(actual));
            }
        }
        if (!failures.isEmpty()) {
            fail(failures.size() + " of " + cases.size() + " strings differ from HF tokenizers; first ones:\n"
                    + String.join("\n", failures.subList(0, Math.min(10, failures.size()))));
        }
    }

    @Test
    void encodeWithBosPrependsTheConfigBos() {
        for (JsonNode c : cases) {
            int[] expected = ids(c);
            int[] withBos = new int[expected.length + 1];
            withBos[0] = golden.path("bos_id").asInt();
            System.arraycopy(expected, 0, withBos, 1, expected.length);
            assertArrayEquals(withBos, tokenizer.encode(c.path("text").asText(), true), c.path("name").asText());
        }
    }

    @Test
    void decodeGivesTheExactBytesBack() {
        for (JsonNode c : cases) {
            String text = c.path("text").asText();
            byte[] expected = text.getBytes(StandardCharsets.UTF_8);
            assertArrayEquals(expected, tokenizer.decodeBytes(ids(c), false), c.path("name").asText());
            String skipped = c.has("decoded_skip_special") ? c.path("decoded_skip_special").asText() : text;
            assertEquals(skipped, tokenizer.decode(ids(c), true), c.path("name").asText() + " (skip special tokens)");
        }
    }

    @Test
    void streamingDecodeEqualsFullDecodeOneIdAtATime() {
        int heldBack = 0;
        for (JsonNode c : cases) {
            String text = c.path("text").asText();
            StreamingDecoder decoder = tokenizer.streamingDecoder(false);
            StringBuilder streamed = new StringBuilder();
            for (int id : ids(c)) {
                String chunk = decoder.next(id);
                assertFalse(chunk.contains("\uFFFD"), c.path("name").asText() + ": a chunk split a character: "
                        + Regexes.quote(chunk));
                if (tokenizer.bytesOf(id).length > 0 && chunk.isEmpty()) heldBack++;
                streamed.append(chunk);
            }
            streamed.append(decoder.finish());
            assertArrayEquals(text.getBytes(StandardCharsets.UTF_8),
                    streamed.toString().getBytes(StandardCharsets.UTF_8), c.path("name").asText());
        }
        assertTrue(heldBack > 0, "expected some ids (emoji, CJK pieces) whose bytes end inside a character");
    }

    @Test
    void streamingHoldsAnEmojiSplitAcrossTokens() {
        // "👍🏽" is F0 9F 91 8D F0 9F 8F BD: HF's ids put the character boundaries inside tokens.
        int[] ids = tokenizer.encode("👍🏽");
        assertTrue(ids.length > 2, "expected the emoji to need several tokens, got " + Arrays.toString(ids));
        StreamingDecoder decoder = tokenizer.streamingDecoder(false);
        List<String> chunks = new ArrayList<>();
        for (int id : ids) chunks.add(decoder.next(id));
        assertEquals("", decoder.finish());
        assertEquals("👍🏽", String.join("", chunks));
        for (String chunk : chunks) {
            assertTrue(chunk.isEmpty() || chunk.equals("👍") || chunk.equals("🏽") || chunk.equals("👍🏽"),
                    "a chunk must be whole characters, got " + Regexes.quote(chunk) + " in " + chunks);
        }
        assertTrue(chunks.contains(""), "some token ended inside a character and was held: " + chunks);
    }

    @Test
    void skipSpecialTokensLeavesOutOnlySpecialTokens() {
        int[] ids = tokenizer.encode("<|begin_of_text|>Hi<|eot_id|>", false);
        assertArrayEquals(new int[] {128000, 13347, 128009}, ids);
        assertEquals("<|begin_of_text|>Hi<|eot_id|>", tokenizer.decode(ids, false));
        assertEquals("Hi", tokenizer.decode(ids, true));
        StreamingDecoder decoder = tokenizer.streamingDecoder(true);
        assertEquals("", decoder.next(128000));
        assertEquals("Hi", decoder.next(13347));
        assertEquals("", decoder.next(128009));
    }

    @Test
    void longRunsEncodeWithoutBlowingUp() {
        // One huge piece each: BPE over 200 000 symbols (O(n log n)), and regex alternatives over long runs.
        for (String text : List.of("a".repeat(200_000), " ".repeat(200_000), "\n".repeat(100_000) + "x",
                "😀".repeat(50_000), "1".repeat(100_000), "!".repeat(100_000), "ab ".repeat(100_000))) {
            long start = System.nanoTime();
            int[] ids = tokenizer.encode(text);
            double seconds = (System.nanoTime() - start) / 1e9;
            assertArrayEquals(text.getBytes(StandardCharsets.UTF_8), tokenizer.decodeBytes(ids, false));
            assertTrue(seconds < LONG_RUN_SECONDS, "encoding " + text.length() + " chars of "
                    + Regexes.quote(text.substring(0, 3)) + "... took " + seconds + " s");
        }
    }

    /**
     * Generous bound for one long run above: each takes well under 0.5 s on one core here; quadratic behaviour
     * (an O(n^2) merge loop, regex backtracking) would take minutes.
     */
    static final double LONG_RUN_SECONDS = 10.0;

    /** decode drops an id it lacks, as HF tokenizers does; asking for that one id's token is a clear error. */
    @Test
    void idOutsideTheVocabularyDecodesToNothingAndIsAnErrorWhenAskedForAlone() {
        assertEquals(tokenizer.decode(new int[] {1}, false), tokenizer.decode(new int[] {1, 128256}, false));
        TokenizerException e = org.junit.jupiter.api.Assertions.assertThrows(TokenizerException.class,
                () -> tokenizer.token(128256));
        assertTrue(e.getMessage().contains("128256") && e.getMessage().contains("0..128255"), e.getMessage());
    }
}
