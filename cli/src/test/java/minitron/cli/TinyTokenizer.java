package minitron.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** A tiny byte-level tokenizer for the CLI tests: 256 byte tokens, the merge "hi" = 256, and "<s>" = 257 as BOS. */
final class TinyTokenizer {
    private TinyTokenizer() {
    }

    static void write(Path dir) throws IOException {
        StringBuilder vocab = new StringBuilder();
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
            char c = printable ? (char) b : (char) next++;
            String key = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : String.valueOf(c);
            vocab.append('"').append(key).append("\": ").append(b).append(", ");
        }
        vocab.append("\"hi\": 256, \"<s>\": 257");
        String json = "{\"normalizer\": null, \"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false,"
                + " \"use_regex\": true}, \"decoder\": {\"type\": \"ByteLevel\"}, \"added_tokens\": [{\"id\": 257, "
                + "\"content\": \"<s>\", \"special\": true, \"normalized\": false}], \"model\": {\"type\": \"BPE\", "
                + "\"vocab\": {" + vocab + "}, \"merges\": [\"h i\"]}}";
        Files.writeString(dir.resolve("tokenizer.json"), json, StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\"}");
    }
}
