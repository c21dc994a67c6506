package minitron.transformer.io;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.ContentReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;

/**
 * Reads a text that holds one JSON value, as Python's {@code json.loads} (and so Hugging Face's loaders) does: only
 * JSON white space may follow the value. Jackson's {@code readTree} returns the first value and drops whatever
 * follows ({@code {...}}}, a second object pasted after the first), which would turn a damaged config.json or
 * tokenizer.json into a silently different one.
 */
public final class StrictJson {
    private StrictJson() {}

    /** Something other than white space after the JSON value; its location is where that something starts. */
    public static final class ExtraDataException extends JsonParseException {
        private final int line;
        private final int column;
        private final String excerpt;

        ExtraDataException(int line, int column, String excerpt) {
            super(null, "extra data after the JSON value: \"" + excerpt + "\"",
                    new JsonLocation(ContentReference.unknown(), -1, -1, line, column));
            this.line = line;
            this.column = column;
            this.excerpt = excerpt;
        }

        /** 1-based. */
        public int line() {
            return line;
        }

        /** 1-based, in characters. */
        public int column() {
            return column;
        }

        /** The extra data's first 20 characters, up to the end of its line. */
        public String excerpt() {
            return excerpt;
        }
    }

    /**
     * The one JSON value of {@code text}; as {@code ObjectMapper.readTree(String)}, a {@code MissingNode} when the
     * text is empty or white space.
     */
    public static JsonNode readOne(ObjectMapper mapper, String text) throws JsonProcessingException {
        try (JsonParser p = mapper.createParser(text)) {
            JsonNode node = mapper.readTree(p);
            int extra = (int) p.currentLocation().getCharOffset(); // characters consumed by the value
            while (extra < text.length() && isJsonWhitespace(text.charAt(extra))) extra++;
            if (node != null && extra < text.length()) {
                int line = 1;
                int lineStart = 0;
                for (int i = 0; i < extra; i++) {
                    if (text.charAt(i) == '\n') {
                        line++;
                        lineStart = i + 1;
                    }
                }
                throw new ExtraDataException(line, extra - lineStart + 1, excerpt(text, extra));
            }
            return node == null ? MissingNode.getInstance() : node;
        } catch (JsonProcessingException e) {
            throw e;
        } catch (IOException e) {
            throw new IllegalStateException("reading a String cannot fail: " + e.getMessage(), e);
        }
    }

    /** Up to 20 characters from {@code at}, on one line (an error message is one line), control characters as '?'. */
    private static String excerpt(String text, int at) {
        int end = at;
        while (end < text.length() && end - at < 20 && text.charAt(end) != '\n' && text.charAt(end) != '\r') end++;
        String shown = text.substring(at, end).replaceAll("\\p{Cntrl}", "?");
        return end < text.length() && text.charAt(end) != '\n' && text.charAt(end) != '\r' ? shown + "..." : shown;
    }

    private static boolean isJsonWhitespace(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
    }
}
