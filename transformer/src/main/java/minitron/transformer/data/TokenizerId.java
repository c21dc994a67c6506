package minitron.transformer.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What a token cache records about the tokenizer that made it: a name for messages, the SHA-256 of its
 * tokenizer.json bytes (the identity: two tokenizers with the same file encode identically) and the vocabulary size.
 */
public record TokenizerId(String name, String sha256, int vocabSize) {
    public TokenizerId {
        if (sha256.length() != 64) {
            throw new DataException("tokenizer id: expected a SHA-256 of 64 hex digits, got \"" + sha256 + "\"");
        }
        if (vocabSize <= 0) {
            throw new DataException("tokenizer id: expected a positive vocabulary size, got " + vocabSize);
        }
    }

    /** The id of the tokenizer.json at {@code path} (the file, or a folder holding it). */
    public static TokenizerId of(Path path, int vocabSize) throws IOException {
        Path file = Files.isDirectory(path) ? path.resolve("tokenizer.json") : path;
        return new TokenizerId(file.toString(), sha256(Files.readAllBytes(file)), vocabSize);
    }

    static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
