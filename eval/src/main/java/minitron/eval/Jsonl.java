package minitron.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.zip.GZIPInputStream;
import minitron.transformer.data.Readers;

/**
 * JSON Lines task files: one JSON object per line (blank lines skipped, .gz read through gunzip). A line that
 * is not JSON, has more than white space after its object ({@link Readers#readJsonLine}: two objects on a line,
 * {@code {...}garbage}), or lacks a field its format needs, is malformed: reported with the file and line number and
 * skipped (counted), or, when strict, an {@link EvalException} that stops the run. Invalid UTF-8 is replaced by
 * U+FFFD and reported as a warning, as the data readers do ({@link Readers#decodeCounting}).
 */
public final class Jsonl {
    private Jsonl() {
    }

    /** Thrown by a document parser for a line that lacks what its format needs. */
    public static final class MalformedLine extends RuntimeException {
        public MalformedLine(String message) {
            super(message);
        }
    }

    /**
     * The parsed documents, the malformed lines that were skipped (one message each), and the warnings (invalid
     * UTF-8 replaced by U+FFFD, as {@link Readers.Decoded#warning}).
     */
    public record Loaded<D>(List<D> docs, List<String> skipped, List<String> warnings) {
    }

    public static <D> Loaded<D> read(Path file, boolean strict, Function<JsonNode, D> parser) {
        if (Files.isDirectory(file)) throw new EvalException(file + ": expected a file, found a directory");
        try (InputStream raw = Files.newInputStream(file)) {
            InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
            return read(in, file.toString(), strict, parser);
        } catch (NoSuchFileException e) {
            throw new EvalException(file + ": file not found");
        } catch (IOException e) {
            throw new EvalException(file + ": " + e.getMessage(), e);
        }
    }

    public static <D> Loaded<D> read(InputStream in, String where, boolean strict, Function<JsonNode, D> parser)
            throws IOException {
        List<D> docs = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        Readers.Decoded decoded = Readers.decodeCounting(in.readAllBytes());
        List<String> warnings = decoded.invalidSequences() > 0 ? List.of(decoded.warning(where)) : List.of();
        BufferedReader reader = new BufferedReader(new StringReader(decoded.text()));
        String line;
        int lineNo = 0;
        while ((line = reader.readLine()) != null) {
            lineNo++;
            if (line.isBlank()) continue;
            String problem;
            try {
                JsonNode node = Readers.readJsonLine(line);
                if (node == null || !node.isObject()) {
                    problem = "expected a JSON object, found " + (node == null ? "nothing" : node.getNodeType());
                } else {
                    docs.add(parser.apply(node));
                    continue;
                }
            } catch (JsonProcessingException e) {
                problem = "not valid JSON (" + e.getOriginalMessage() + ")";
            } catch (MalformedLine e) {
                problem = e.getMessage();
            }
            String message = where + ":" + lineNo + ": " + problem;
            if (strict) throw new EvalException(message + " (--strict)");
            skipped.add(message);
        }
        return new Loaded<>(docs, skipped, warnings);
    }

    // ------------------------------------------------------------------ field access for parsers

    public static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new MalformedLine("expected field \"" + field + "\" (a string), found " + describe(v));
        }
        return v.asText();
    }

    /**
     * An int field: a JSON integer or a string of digits ("label": "3" in HellaSwag). One that an int cannot hold
     * (4294967296, "99999999999999999999") is malformed, not read as another number (asInt keeps the low 32 bits).
     */
    public static int integer(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v != null && v.isIntegralNumber() && v.canConvertToInt()) return v.asInt();
        if (v != null && v.isTextual() && v.asText().trim().matches("-?\\d+")) {
            try {
                return Integer.parseInt(v.asText().trim());
            } catch (NumberFormatException e) {
                // too large: reported below
            }
        }
        String expected = v != null && (v.isIntegralNumber() || v.isTextual() && v.asText().trim().matches("-?\\d+"))
                ? "an integer in [" + Integer.MIN_VALUE + ", " + Integer.MAX_VALUE + "]" : "an integer";
        throw new MalformedLine("expected field \"" + field + "\" (" + expected + "), found " + describe(v));
    }

    public static List<String> texts(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.isArray() || v.isEmpty()) {
            throw new MalformedLine("expected field \"" + field + "\" (a non-empty array of strings), found " + describe(v));
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isTextual()) {
                throw new MalformedLine("expected field \"" + field + "\" to hold strings, found " + describe(e));
            }
            out.add(e.asText());
        }
        return out;
    }

    /** A field's value for a message: {@code string "E"}, {@code number 5}, or {@code no such field}. */
    static String describe(JsonNode v) {
        if (v == null) return "no such field";
        String s = v.toString();
        return v.getNodeType().toString().toLowerCase() + " " + (s.length() > 40 ? s.substring(0, 40) + "..." : s);
    }
}
