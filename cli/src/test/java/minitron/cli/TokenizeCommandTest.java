package minitron.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code minitron tokenize} on a tiny tokenizer.json: output formats, exact file bytes, one-line errors. */
class TokenizeCommandTest {
    @TempDir
    Path dir;

    /** {@link TinyTokenizer}'s files in the test's folder: 256 byte tokens (id = byte value for ASCII), "hi" = 256. */
    private Path tinyTokenizer() throws IOException {
        TinyTokenizer.write(dir);
        return dir.resolve("tokenizer.json");
    }

    private String[] run(String... args) {
        return CliRun.run(args);
    }

    @Test
    void printsIdsPlainJsonAndWithBos() throws IOException {
        String tok = tinyTokenizer().toString();
        assertEquals("256 32 97", run("tokenize", "--tokenizer", tok, "--text", "hi a")[1]);
        assertEquals("{\"ids\": [257, 256]}", run("tokenize", "--tokenizer", tok, "--text", "hi", "--bos", "--json")[1]);
        assertEquals("256\thi\n32\tĠ", run("tokenize", "--tokenizer", tok, "--text", "hi ", "--verbose")[1]);
    }

    @Test
    void fileBytesAreTokenizedExactly() throws IOException {
        String tok = tinyTokenizer().toString();
        Path text = dir.resolve("in.txt");
        Files.write(text, new byte[] {'h', 'i', '\r', '\n'});
        assertEquals("256 13 10", run("tokenize", "--tokenizer", tok, "--file", text.toString())[1]);
    }

    @Test
    void invalidUtf8IsAnErrorWithTheByteOffsetOrReplaced() throws IOException {
        String tok = tinyTokenizer().toString();
        Path text = dir.resolve("bad.txt");
        Files.write(text, new byte[] {'h', 'i', (byte) 0xFF, 'h'});
        String[] result = run("tokenize", "--tokenizer", tok, "--file", text.toString());
        assertEquals("1", result[0]);
        assertTrue(result[2].startsWith("minitron tokenize: " + text + ": expected UTF-8")
                && result[2].contains("byte offset 2") && !result[2].contains("\n"), result[2]);
        // U+FFFD is EF BF BD: three byte-level characters, ids 239 191 189.
        assertEquals("256 239 191 189 104", run("tokenize", "--tokenizer", tok, "--file", text.toString(),
                "--replace-invalid")[1]);
    }

    /** --replace-invalid reads a --file's bytes; with --text, which is characters already, it was ignored. */
    @Test
    void replaceInvalidIsRefusedWithText() throws IOException {
        String tok = tinyTokenizer().toString();
        String[] result = run("tokenize", "--tokenizer", tok, "--text", "hi", "--replace-invalid");
        assertEquals("1", result[0]);
        assertEquals("minitron tokenize: --replace-invalid: expected only with --file, found with --text", result[2]);
        assertEquals("", result[1]);
    }

    @Test
    void badTokenizerIsOneLineOnStderr() throws IOException {
        String[] result = run("tokenize", "--tokenizer", dir.resolve("missing.json").toString(), "--text", "x");
        assertEquals("1", result[0]);
        assertEquals("minitron tokenize: " + dir.resolve("missing.json") + ": tokenizer file not found", result[2]);
        assertThrows(IOException.class, () -> TokenizeCommand.readUtf8(dir.resolve("none.txt"), false));
        // a folder above the file is a file: the reason, not "java.nio.file.FileSystemException: ..." (CommandLineFuzzTest)
        Path underAFile = tinyTokenizer().resolve("x");
        result = run("tokenize", "--tokenizer", underAFile.toString(), "--text", "x");
        assertEquals("1", result[0]);
        assertEquals("minitron tokenize: " + underAFile + ": cannot read: Not a directory", result[2]);
    }

    /** "@FILE" is text like any other (picocli's argument files would have read the words of FILE instead). */
    @Test
    void aValueStartingWithAtIsTakenAsTyped() throws IOException {
        String tok = tinyTokenizer().toString();
        Path note = Files.writeString(dir.resolve("note"), "hello world");
        String[] r = run("tokenize", "--tokenizer", tok, "--text", "@" + note, "--json");
        assertEquals("0", r[0], r[2]);
        StringBuilder ids = new StringBuilder();
        for (byte b : ("@" + note).getBytes(StandardCharsets.UTF_8)) {
            ids.append(ids.isEmpty() ? "" : ", ").append(b & 0xFF);   // printable ASCII: id = byte value
        }
        assertEquals("{\"ids\": [" + ids + "]}", r[1]);
    }
}
