package minitron.transformer.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Plain-text and JSONL readers: folder order, JSONL errors with line numbers, invalid UTF-8 counted. */
class ReadersTest {
    private static List<String> texts(Readers.Result r) {
        return r.documents().stream().map(Document::text).toList();
    }

    @Test
    void folderIsReadRecursivelyInPathOrderSkippingHiddenFiles(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("a/sub"));
        Files.createDirectories(dir.resolve(".git"));
        Files.writeString(dir.resolve("b.txt"), "B");
        Files.writeString(dir.resolve("a/z.txt"), "AZ");
        Files.writeString(dir.resolve("a/sub/x.txt"), "ASX");
        Files.writeString(dir.resolve("a/10.txt"), "A10");
        Files.writeString(dir.resolve("a/9.txt"), "A9");
        Files.writeString(dir.resolve(".hidden"), "H");
        Files.writeString(dir.resolve(".git/config"), "G");
        // Order of relative paths as strings: a/10.txt < a/9.txt < a/sub/x.txt < a/z.txt < b.txt
        assertEquals(List.of("A10", "A9", "ASX", "AZ", "B"), texts(Readers.read(dir, false)));
        assertEquals(dir.resolve("a/10.txt").toString(), Readers.read(dir, false).documents().getFirst().source());
    }

    @Test
    void jsonlGivesOneDocumentPerLineAndSkipsBlankLines(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("d.jsonl");
        Files.writeString(f, "{\"text\": \"one\", \"id\": 1}\n\n{\"text\": \"two\\nlines\"}\n   \n{\"text\": \"\"}");
        Readers.Result r = Readers.read(f, true);
        assertEquals(List.of("one", "two\nlines", ""), texts(r));
        assertEquals(f + ":3", r.documents().get(1).source());
    }

    @Test
    void jsonlFolderTakesOnlyJsonlFilesIncludingGzipped(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("a.jsonl"), "{\"text\": \"a\"}\n");
        Files.writeString(dir.resolve("notes.txt"), "not read");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(dir.resolve("b.jsonl.gz")))) {
            out.write("{\"text\": \"b1\"}\n{\"text\": \"b2\"}\n".getBytes(StandardCharsets.UTF_8));
        }
        assertEquals(List.of("a", "b1", "b2"), texts(Readers.read(dir, true)));
    }

    @Test
    void jsonlErrorsNameFileAndLine(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("missing.jsonl");
        Files.writeString(missing, "{\"text\": \"ok\"}\n{\"body\": \"no text\", \"id\": 2}\n");
        DataException e1 = assertThrows(DataException.class, () -> Readers.read(missing, true));
        assertEquals(missing + ":2: expected a \"text\" field, found none (fields: body, id)", e1.getMessage());

        Path invalid = dir.resolve("invalid.jsonl");
        Files.writeString(invalid, "{\"text\": \"ok\"}\n\n{\"text\": \"unterminated}\n");
        DataException e2 = assertThrows(DataException.class, () -> Readers.read(invalid, true));
        assertTrue(e2.getMessage().startsWith(invalid + ":3: expected a JSON object with a \"text\" field, got invalid JSON"),
                e2.getMessage());

        Path number = dir.resolve("number.jsonl");
        Files.writeString(number, "{\"text\": 5}\n");
        DataException e3 = assertThrows(DataException.class, () -> Readers.read(number, true));
        assertEquals(number + ":1: expected \"text\" to be a string, got number", e3.getMessage());

        Path array = dir.resolve("array.jsonl");
        Files.writeString(array, "[1, 2]\n");
        DataException e4 = assertThrows(DataException.class, () -> Readers.read(array, true));
        assertEquals(array + ":1: expected a JSON object with a \"text\" field, got array", e4.getMessage());
    }

    @Test
    void jsonlLinesWithAnythingAfterTheObjectAreErrorsAsInPython(@TempDir Path dir) throws IOException {
        // json.loads('{"text":"one"} {"text":"two"}') raises "Extra data"; readTree alone kept "one" and lost "two"
        String[][] cases = { // {line 2, the message after "FILE:2: "}
                {"{\"text\":\"one\"} {\"text\":\"two\"}", "expected a JSON object with a \"text\" field, got invalid JSON "
                        + "(extra data after the JSON value at column 16: \"{\"text\":\"two\"}\" (one JSON value per line))"},
                {"{\"text\":\"one\"}garbage", "expected a JSON object with a \"text\" field, got invalid JSON "
                        + "(extra data after the JSON value at column 15: \"garbage\" (one JSON value per line))"},
        };
        for (String[] c : cases) {
            Path f = dir.resolve("extra.jsonl");
            Files.writeString(f, "{\"text\": \"fine\"}\n" + c[0] + "\n");
            DataException e = assertThrows(DataException.class, () -> Readers.read(f, true), c[0]);
            assertEquals(f + ":2: " + c[1], e.getMessage());
        }
        Path spaces = dir.resolve("spaces.jsonl");
        Files.writeString(spaces, "{\"text\": \"a\"}  \t\r\n");                // JSON white space after it is fine
        assertEquals(List.of("a"), texts(Readers.read(spaces, true)));
    }

    @Test
    void invalidUtf8IsReplacedCountedAndReported(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("bad.txt");
        // "a", a lone continuation byte, "b", a truncated 3-byte sequence (E2 82) then "c", an overlong "/" (C0 AF).
        Files.write(f, new byte[] {'a', (byte) 0x80, 'b', (byte) 0xE2, (byte) 0x82, 'c', (byte) 0xC0, (byte) 0xAF});
        Readers.Result r = Readers.read(f, false);
        assertEquals(4, r.invalidUtf8Sequences());
        assertEquals("a\uFFFDb\uFFFDc\uFFFD\uFFFD", r.documents().getFirst().text());
        assertEquals(List.of(f + ": 4 invalid UTF-8 sequence(s) replaced by U+FFFD (first at byte offset 1)"), r.warnings());

        Path good = dir.resolve("good.txt");
        Files.writeString(good, "naïve 😀");
        Readers.Result ok = Readers.read(good, false);
        assertEquals(0, ok.invalidUtf8Sequences());
        assertEquals(List.of(), ok.warnings());
        assertEquals("naïve 😀", ok.documents().getFirst().text());
    }

    @Test
    void missingPathIsAClearError(@TempDir Path dir) {
        DataException e = assertThrows(DataException.class, () -> Readers.read(dir.resolve("nope"), false));
        assertEquals("data: expected a file or a folder, got " + dir.resolve("nope") + " (not found)", e.getMessage());
    }
}
