package minitron.transformer.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Decodes ids one at a time, for printing generated text as it comes. A byte-level token can end in the middle of a
 * UTF-8 character (an emoji is often two or three tokens); such trailing bytes are held back until the token that
 * completes the character arrives, so every returned string holds only whole characters and the concatenation of
 * all returned strings (with {@link #finish()}) equals {@link Tokenizer#decode} of all the ids.
 *
 * <p>Bytes that can never become a valid character (a stray continuation byte, an invalid lead byte) are not held:
 * they are emitted at once as U+FFFD, as the full decode does.
 */
public final class StreamingDecoder {
    private final Tokenizer tokenizer;
    private final boolean skipSpecialTokens;
    /** bytes received and not yet emitted: at most the first 1..3 bytes of one unfinished character */
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    StreamingDecoder(Tokenizer tokenizer, boolean skipSpecialTokens) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
    }

    /** Adds one id; returns the text that is now complete (possibly empty). An id the tokenizer lacks adds nothing. */
    public String next(int id) {
        if (!tokenizer.contains(id) || (skipSpecialTokens && tokenizer.isSpecial(id))) {
            return "";
        }
        pending.writeBytes(tokenizer.bytesOf(id));
        byte[] bytes = pending.toByteArray();
        int complete = completePrefixLength(bytes);
        pending.reset();
        pending.write(bytes, complete, bytes.length - complete);
        return new String(bytes, 0, complete, StandardCharsets.UTF_8);
    }

    /** Emits whatever is held (an unfinished character becomes U+FFFD) and resets the decoder. */
    public String finish() {
        String rest = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        return rest;
    }

    /**
     * The length of the longest prefix of {@code bytes} that does not end inside a UTF-8 character that later
     * bytes could still complete. Only the last three bytes can start such a character.
     */
    static int completePrefixLength(byte[] bytes) {
        int n = bytes.length;
        for (int start = n - 1; start >= Math.max(0, n - 3); start--) {
            int b = bytes[start] & 0xFF;
            if (b < 0x80) return n;                 // ASCII: everything up to here is complete
            if (b < 0xC0) continue;                 // continuation byte: look further back for its lead
            int need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
            boolean validLead = b >= 0xC2 && b <= 0xF4;
            if (!validLead || n - start >= need) return n; // invalid lead, or the character is complete
            // The character started here lacks bytes; hold it back only if what is there so far can still be valid.
            return prefixCanBeValid(bytes, start, n) ? start : n;
        }
        return n;
    }

    /** Whether bytes[start..end) (a lead byte and fewer continuation bytes than it needs) can still be valid UTF-8. */
    private static boolean prefixCanBeValid(byte[] bytes, int start, int end) {
        int lead = bytes[start] & 0xFF;
        for (int i = start + 1; i < end; i++) {
            int b = bytes[i] & 0xFF;
            if (b < 0x80 || b > 0xBF) return false;
            if (i == start + 1) {
                // The second byte's range is narrower after some leads (no overlongs, surrogates, > U+10FFFF).
                if (lead == 0xE0 && b < 0xA0) return false;
                if (lead == 0xED && b > 0x9F) return false;
                if (lead == 0xF0 && b < 0x90) return false;
                if (lead == 0xF4 && b > 0x8F) return false;
            }
        }
        return true;
    }
}
