package minitron.tensor;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

/**
 * Seeded random damage to a file's bytes or text, for the fuzz tests of the readers of user files (every module's
 * {@code Damaged*FuzzTest}): each damaged copy must be read and then work, or be refused with the library's own
 * exception naming the file; never another exception. {@code how} receives a description of the changes, for the
 * failure message (a failing case is reproduced by its seed and number).
 */
public final class FileDamage {
    private FileDamage() {
    }

    /** Damaged copies per file kind: a few seconds in all. A longer search: -Dfuzz.cases=20000 -Dfuzz.seed=7. */
    public static final int CASES = Integer.getInteger("fuzz.cases", 400);
    public static final long SEED = Long.getLong("fuzz.seed", 0);

    /** Characters a text edit writes: JSON structure, digits, letters of the literals, escapes, non-ASCII. */
    private static final String ALPHABET = "0123456789-+.eE,:{}[]\" \ntruefalsn\\\u00e9\u0000";

    /**
     * Values a text edit puts after a colon: out of range, not finite, of another JSON type, too large for an int
     * or a long (as a number and as a string of digits), empty.
     */
    private static final String[] VALUES = {"0", "-1", "1e400", "-0.0", "2147483648", "99999999999999999999", "1.5",
            "NaN", "null", "true", "\"12\"", "[]", "{}", "1e-400", "65536", "3", "4294967296", "-4294967295",
            "\"99999999999999999999\"", "\"-1\"", "\"\"", "9223372036854775808"};

    /**
     * The generator is worth something only if it gives both outcomes: between 5% and 95% of the {@code cases}
     * damaged copies refused.
     */
    public static void assertMixed(int refused, int cases) {
        assertTrue(refused >= cases / 20 && refused <= cases - cases / 20,
                refused + " of " + cases + " damaged copies refused: expected between 5% and 95%");
    }

    /**
     * One to three random changes of a binary file, most of them (8 in 10) in its first {@code hotEnd} bytes (a
     * header, where the structure is): a byte set (often to a JSON-significant one), the file cut, a byte deleted
     * (everything after it shifts), or one of the first 8 bytes (a length or magic field) set.
     */
    public static byte[] bytes(byte[] good, int hotEnd, Random random, StringBuilder how) {
        byte[] b = good.clone();
        int changes = 1 + random.nextInt(3);
        for (int k = 0; k < changes && b.length > 0; k++) {
            int at = random.nextInt(10) < 8 ? random.nextInt(Math.min(hotEnd, b.length)) : random.nextInt(b.length);
            switch (random.nextInt(5)) {
                case 0, 1 -> {                                        // one byte, often a JSON-significant one
                    byte[] choices = "0123456789,:{}[]\" -eE.\u0000xF".getBytes(StandardCharsets.ISO_8859_1);
                    b[at] = random.nextBoolean() ? choices[random.nextInt(choices.length)] : (byte) random.nextInt(256);
                    how.append("set ").append(at).append(" to 0x").append(Integer.toHexString(b[at] & 0xFF)).append("; ");
                }
                case 2 -> {                                           // cut
                    b = Arrays.copyOf(b, at);
                    how.append("cut at ").append(at).append("; ");
                }
                case 3 -> {                                           // a byte deleted (everything after shifts)
                    byte[] d = new byte[b.length - 1];
                    System.arraycopy(b, 0, d, 0, at);
                    System.arraycopy(b, at + 1, d, at, b.length - at - 1);
                    b = d;
                    how.append("deleted ").append(at).append("; ");
                }
                default -> {                                          // the header length field
                    int i = random.nextInt(8);
                    if (i < b.length) b[i] = (byte) random.nextInt(256);
                    how.append("length byte ").append(i).append("; ");
                }
            }
        }
        return b;
    }

    /** One to three random edits of a JSON text: characters set, deleted or inserted, values replaced. */
    public static String text(String good, Random random, StringBuilder how) {
        StringBuilder s = new StringBuilder(good);
        int changes = 1 + random.nextInt(3);
        for (int k = 0; k < changes && s.length() > 0; k++) {
            int at = random.nextInt(s.length());
            switch (random.nextInt(4)) {
                case 0 -> {
                    char c = ALPHABET.charAt(random.nextInt(ALPHABET.length()));
                    s.setCharAt(at, c);
                    how.append("set ").append(at).append(" to ").append(quote(c)).append("; ");
                }
                case 1 -> {
                    s.deleteCharAt(at);
                    how.append("deleted ").append(at).append("; ");
                }
                case 2 -> {
                    char c = ALPHABET.charAt(random.nextInt(ALPHABET.length()));
                    s.insert(at, c);
                    how.append("inserted ").append(quote(c)).append(" at ").append(at).append("; ");
                }
                default -> {                                          // the next value after a colon
                    int colon = s.indexOf(":", at);
                    if (colon < 0) continue;
                    int end = colon + 1;
                    while (end < s.length() && ",}\n".indexOf(s.charAt(end)) < 0) end++;
                    String value = VALUES[random.nextInt(VALUES.length)];
                    how.append("value at ").append(colon + 1).append(" \"").append(s, colon + 1, end).append("\" -> ")
                            .append(value).append("; ");
                    s.replace(colon + 1, end, " " + value);
                }
            }
        }
        return s.toString();
    }

    /**
     * A JSON file's bytes: {@link #text} edits, and in one case in five also a byte set to a value above 0x7F
     * (mostly invalid UTF-8).
     */
    public static byte[] jsonBytes(String good, Random random, StringBuilder how) {
        byte[] b = text(good, random, how).getBytes(StandardCharsets.UTF_8);
        if (b.length > 0 && random.nextInt(5) == 0) {
            int at = random.nextInt(b.length);
            b[at] = (byte) (0x80 + random.nextInt(0x80));
            how.append("byte ").append(at).append(" set to 0x").append(Integer.toHexString(b[at] & 0xFF)).append("; ");
        }
        return b;
    }

    private static String quote(char c) {
        return c < ' ' || c > '~' ? String.format("U+%04X", (int) c) : "'" + c + "'";
    }
}
