package minitron.transformer.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GPT-4o's tokenizer.json (o200k: 200,000 tokens) against HF tokenizers on the same 442 strings as the Llama 3.1
 * golden file ({@code golden/tokenizer-gpt4o-v1.json}, {@code reference/golden_tokenizer.mjs}). Its Split regex
 * is the kind Mistral NeMo's Tekken tokenizer uses and Llama 3's is not: case classes
 * {@code \p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}} and {@code \p{Ll}}, contractions glued to the word, digits in runs of up
 * to three; and it adds no BOS.
 */
class TokenizerGpt4oGoldenTest {
    static final String GOLDEN = "/golden/tokenizer-gpt4o-v1.json";

    @TempDir
    static Path dir;
    static Tokenizer tokenizer;
    static List<JsonNode> cases;

    @BeforeAll
    static void load() throws IOException, NoSuchAlgorithmException {
        byte[] json;
        try (InputStream in = new GZIPInputStream(resource("/gpt4o/tokenizer.json.gz"))) {
            json = in.readAllBytes();
        }
        Files.write(dir.resolve("tokenizer.json"), json);
        try (InputStream in = resource("/gpt4o/tokenizer_config.json")) {
            Files.write(dir.resolve("tokenizer_config.json"), in.readAllBytes());
        }
        tokenizer = Tokenizer.load(dir.resolve("tokenizer.json"));
        JsonNode golden = new ObjectMapper().readTree(resource(GOLDEN));
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(json));
        assertEquals(golden.path("tokenizer_sha256").asText(), sha, "the golden file was made with another "
                + "tokenizer.json; regenerate with " + golden.path("regenerate").asText());
        assertTrue(golden.path("bos_id").isNull(), "HF adds no BOS with this tokenizer");
        cases = new ArrayList<>();
        golden.path("cases").forEach(cases::add);
        assertTrue(cases.size() >= 300, "expected a few hundred golden strings, got " + cases.size());
    }

    private static InputStream resource(String name) {
        InputStream in = TokenizerGpt4oGoldenTest.class.getResourceAsStream(name);
        if (in == null) fail("missing test resource " + name);
        return in;
    }

    @Test
    void idsEqualHuggingFaceForEveryString() {
        TokenizerGoldenTest.assertIdsEqualGolden(tokenizer, cases);
    }

    @Test
    void decodeGivesTheExactBytesBackAndNoBosIsAdded() {
        assertEquals(200_019, tokenizer.vocabSize(), "200,000 merges' tokens and the added special tokens");
        assertFalse(tokenizer.addBosToken(), "GPT2Tokenizer adds no BOS");
        for (JsonNode c : cases) {
            String text = c.path("text").asText();
            int[] ids = TokenizerGoldenTest.ids(c);
            assertArrayEquals(text.getBytes(StandardCharsets.UTF_8), tokenizer.decodeBytes(ids, false),
                    c.path("name").asText());
        }
    }
}
