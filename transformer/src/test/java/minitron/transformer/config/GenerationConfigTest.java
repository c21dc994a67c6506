package minitron.transformer.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** generation_config.json's eos_token_id: an id or a list; absent file, field or null: config.json decides. */
class GenerationConfigTest {
    @TempDir
    Path dir;

    @Test
    void eosTokenIdsAreAnIdOrAListAndAbsentOtherwise() throws IOException {
        assertEquals(Optional.empty(), GenerationConfig.eosTokenIds(dir));                  // no file
        Path file = dir.resolve(GenerationConfig.FILE);
        String[][] cases = { // {content, expected ids or "" for none}
                {"{\"temperature\": 0.6}", ""},
                {"{\"eos_token_id\": null}", ""},
                {"{\"eos_token_id\": 128001}", "128001"},
                {"{\"bos_token_id\": 128000, \"eos_token_id\": [128001, 128008, 128009]}", "128001,128008,128009"},
        };
        for (String[] c : cases) {
            Files.writeString(file, c[0]);
            List<Integer> expected = c[1].isEmpty() ? null
                    : Arrays.stream(c[1].split(",")).map(Integer::valueOf).toList();
            assertEquals(Optional.ofNullable(expected), GenerationConfig.eosTokenIds(dir), c[0]);
        }
        for (String bad : new String[]{"{\"eos_token_id\": \"2\"}", "{\"eos_token_id\": [1.5]}", "[1]", "{} {}", ""}) {
            Files.writeString(file, bad);
            ConfigException e = assertThrows(ConfigException.class, () -> GenerationConfig.eosTokenIds(dir), bad);
            assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        }
    }
}
