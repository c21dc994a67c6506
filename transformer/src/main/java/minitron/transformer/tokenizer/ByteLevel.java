package minitron.transformer.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The byte-level alphabet of GPT-2 (and every byte-level BPE since): each of the 256 byte values is written as one
 * printable Unicode character, so that a BPE vocabulary of strings can hold arbitrary bytes. The printable bytes
 * '!'..'~', '¡'..'¬' and '®'..'ÿ' stand for themselves; the other 68 bytes (control characters, space, 0x7F..0xA0,
 * 0xAD) are mapped in increasing order to U+0100, U+0101, ... (so a space is 'Ġ' U+0120 and '\n' is 'Ċ' U+010A).
 * This is {@code bytes_to_unicode()} of GPT-2's encoder.py and {@code bytes_char()} of HF tokenizers' byte_level.rs.
 */
final class ByteLevel {
    /** BYTE_TO_CHAR[b] = the character standing for byte b (0..255). */
    private static final char[] BYTE_TO_CHAR = new char[256];
    /** CHAR_TO_BYTE[c] = the byte that character c stands for, or -1; every alphabet character is below 0x144. */
    private static final int[] CHAR_TO_BYTE = new int[0x200];

    static {
        Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) next++;
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {
    }

    /** The byte-level string of the UTF-8 bytes of {@code text}: one alphabet character per byte. */
    static String encode(String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        char[] chars = new char[utf8.length];
        for (int i = 0; i < utf8.length; i++) {
            chars[i] = BYTE_TO_CHAR[utf8[i] & 0xFF];
        }
        return new String(chars);
    }

    /** The alphabet character standing for byte {@code b} (0..255). */
    static char charOf(int b) {
        return BYTE_TO_CHAR[b];
    }

    /** The byte that alphabet character {@code c} stands for, or -1 when c is not in the alphabet. */
    static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /**
     * The bytes a token string decodes to, as HF's ByteLevel decoder does it: when every character of the token is
     * in the alphabet, the bytes they stand for; otherwise (an added token such as "<|eot_id|> " with a real space)
     * the token's own UTF-8 bytes.
     */
    static byte[] decodeToken(String token) {
        byte[] bytes = new byte[token.length()];
        for (int i = 0; i < token.length(); i++) {
            int b = byteOf(token.charAt(i));
            if (b < 0) {
                return token.getBytes(StandardCharsets.UTF_8);
            }
            bytes[i] = (byte) b;
        }
        return bytes;
    }
}
