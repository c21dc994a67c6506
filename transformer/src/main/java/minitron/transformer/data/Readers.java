package minitron.transformer.data;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import minitron.transformer.io.StrictJson;

/**
 * Readers for the datasets the pipeline takes: plain-text files, folders of them, and JSONL files whose lines are
 * objects with a string "text" field. Files ending in .gz are decompressed.
 *
 * <ul>
 *   <li>A plain-text file is one document (its whole content).</li>
 *   <li>A JSONL file gives one document per non-blank line; a line that is not a JSON object with a string "text",
 *       or that has anything but white space after the object (two objects on a line, {@code {...}garbage}:
 *       Python's json.loads says "Extra data"), is an error naming the file and the line number (1-based).</li>
 *   <li>A folder is read recursively; its files are taken in the order of their paths relative to the folder,
 *       compared as strings with '/' separators (the same on every machine). Hidden files and folders (name
 *       starting with '.') are skipped. In JSONL mode only files ending .jsonl or .jsonl.gz are read, in text
 *       mode every other regular file.</li>
 *   <li>Invalid UTF-8 is never silent: each invalid sequence becomes U+FFFD and is counted, per file, in the
 *       {@link Result} (see {@link Result#warnings()}).</li>
 * </ul>
 */
public final class Readers {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Readers() {
    }

    /** The documents read, with the invalid UTF-8 found. */
    public record Result(List<Document> documents, long invalidUtf8Sequences, List<String> warnings) {
        /** Total characters of all documents. */
        public long characters() {
            long n = 0;
            for (Document d : documents) n += d.text().length();
            return n;
        }
    }

    /** Reads a file or a folder; {@code jsonl} selects JSONL (text field) rather than plain text. */
    public static Result read(Path path, boolean jsonl) throws IOException {
        List<Path> files = listFiles(path, jsonl);
        List<Document> docs = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        long invalid = 0;
        for (Path f : files) {
            byte[] bytes = readBytes(f);
            Decoded decoded = decodeCounting(bytes);
            if (decoded.invalidSequences() > 0) {
                invalid += decoded.invalidSequences();
                warnings.add(decoded.warning(f.toString()));
            }
            if (jsonl) {
                parseJsonl(decoded.text(), f.toString(), docs);
            } else {
                docs.add(new Document(f.toString(), decoded.text()));
            }
        }
        return new Result(docs, invalid, warnings);
    }

    /** The files {@link #read} takes from {@code path}, in its order. */
    public static List<Path> listFiles(Path path, boolean jsonl) throws IOException {
        if (Files.isRegularFile(path)) {
            return List.of(path);
        }
        if (!Files.isDirectory(path)) {
            throw new DataException("data: expected a file or a folder, got " + path + " (not found)");
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(path)) {
            files = walk.filter(Files::isRegularFile)
                    .filter(p -> !hidden(path, p))
                    .filter(p -> !jsonl || isJsonlName(p.getFileName().toString()))
                    .sorted(Comparator.comparing((Path p) -> relativeName(path, p)))
                    .toList();
        }
        return files;
    }

    private static boolean isJsonlName(String name) {
        return name.endsWith(".jsonl") || name.endsWith(".jsonl.gz");
    }

    private static boolean hidden(Path root, Path p) {
        for (Path part : root.relativize(p)) {
            if (part.toString().startsWith(".")) return true;
        }
        return false;
    }

    private static String relativeName(Path root, Path p) {
        StringBuilder sb = new StringBuilder();
        for (Path part : root.relativize(p)) {
            if (!sb.isEmpty()) sb.append('/');
            sb.append(part);
        }
        return sb.toString();
    }

    private static byte[] readBytes(Path f) throws IOException {
        byte[] bytes = Files.readAllBytes(f);
        if (f.getFileName().toString().endsWith(".gz")) {
            try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
                return in.readAllBytes();
            } catch (IOException e) {
                throw new DataException(f + ": expected gzip data (the name ends .gz), got an error: " + e.getMessage(), e);
            }
        }
        return bytes;
    }

    /** Appends one document per non-blank line of a JSONL text. */
    static void parseJsonl(String text, String where, List<Document> out) {
        int lineNo = 0;
        int start = 0;
        while (start <= text.length()) {
            int end = text.indexOf('\n', start);
            if (end < 0) end = text.length();
            lineNo++;
            String line = text.substring(start, end);
            start = end + 1;
            if (line.isBlank()) {
                if (end == text.length()) break;
                continue;
            }
            JsonNode node;
            try {
                node = readJsonLine(line);
            } catch (JsonProcessingException e) {
                throw new DataException(where + ":" + lineNo + ": expected a JSON object with a \"text\" field, got "
                        + "invalid JSON (" + e.getOriginalMessage() + ")");
            }
            if (node == null || !node.isObject()) {
                throw new DataException(where + ":" + lineNo + ": expected a JSON object with a \"text\" field, got "
                        + (node == null ? "nothing" : node.getNodeType().toString().toLowerCase()));
            }
            JsonNode t = node.get("text");
            if (t == null) {
                throw new DataException(where + ":" + lineNo + ": expected a \"text\" field, found none (fields: "
                        + fieldNames(node) + ")");
            }
            if (!t.isTextual()) {
                throw new DataException(where + ":" + lineNo + ": expected \"text\" to be a string, got "
                        + t.getNodeType().toString().toLowerCase());
            }
            out.add(new Document(where + ":" + lineNo, t.asText()));
            if (end == text.length()) break;
        }
    }

    /**
     * One JSONL line as a JSON value (null for a blank line). As Python's {@code json.loads}, only JSON white space
     * (space, tab, CR, LF) may follow the value: anything else ({@code {"text":"a"} {"text":"b"}},
     * {@code {...}garbage}) is a {@link JsonParseException} "extra data after the JSON value at column C: ...",
     * where Jackson's {@code readTree} would return the first value and drop the rest.
     */
    public static JsonNode readJsonLine(String line) throws JsonProcessingException {
        try {
            JsonNode node = StrictJson.readOne(JSON, line);
            return node.isMissingNode() ? null : node;
        } catch (StrictJson.ExtraDataException e) {
            throw new JsonParseException(null, "extra data after the JSON value at column " + e.column() + ": \""
                    + e.excerpt() + "\" (one JSON value per line)");
        }
    }

    private static String fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names.isEmpty() ? "none" : String.join(", ", names);
    }

    /** A decoded text, with how many invalid UTF-8 sequences were replaced by U+FFFD. */
    public record Decoded(String text, long invalidSequences, long firstInvalidOffset) {
        /**
         * The warning every reader of user text prints when sequences were replaced: "WHERE: N invalid UTF-8
         * sequence(s) replaced by U+FFFD (first at byte offset K)".
         */
        public String warning(String where) {
            return where + ": " + invalidSequences + " invalid UTF-8 sequence(s) replaced by U+FFFD (first at byte offset "
                    + firstInvalidOffset + ")";
        }
    }

    /**
     * Decodes UTF-8, replacing each invalid sequence by U+FFFD (the sequences Java's decoder reports as malformed,
     * which follows the Unicode "maximal subpart" practice) and counting them.
     */
    public static Decoded decodeCounting(byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length + 1);
        long invalid = 0;
        long first = -1;
        while (true) {
            CoderResult r = decoder.decode(in, out, true);
            if (r.isUnderflow()) break;
            if (r.isError()) {
                if (first < 0) first = in.position();
                invalid++;
                out.put('\uFFFD');
                in.position(in.position() + r.length());
            } else {
                throw new IllegalStateException("UTF-8 decoding: output buffer overflow (cannot happen)");
            }
        }
        decoder.flush(out);
        out.flip();
        return new Decoded(out.toString(), invalid, first);
    }

    /** Decodes UTF-8 and fails on the first invalid sequence, naming {@code where} and the byte offset. */
    public static String decodeStrict(byte[] bytes, String where) {
        Decoded d = decodeCounting(bytes);
        if (d.invalidSequences() > 0) {
            throw new DataException(where + ": expected UTF-8, got " + d.invalidSequences()
                    + " invalid sequence(s), the first at byte offset " + d.firstInvalidOffset());
        }
        return d.text();
    }
}
