package minitron.transformer.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The added tokens of a tokenizer.json ({@code added_tokens}: Llama 3's 256 {@code <|...|>} tokens) and how they
 * are found in text before any pre-tokenizer or BPE runs, as HF's {@code AddedVocabulary} does it:
 * <ol>
 *   <li>the text is searched for tokens with {@code normalized: false}, leftmost match first and, at one position,
 *       the longest token (Aho-Corasick with LeftmostLongest in HF), matches not overlapping;</li>
 *   <li>the gaps between those matches are searched the same way for tokens with {@code normalized: true} (this
 *       tokenizer supports no normalizer, so the gaps are searched as they are);</li>
 *   <li>a {@code single_word} token only counts when no word character touches it on either side; an
 *       {@code lstrip} token also takes the whitespace before it, an {@code rstrip} token the whitespace after.</li>
 * </ol>
 * Special and non-special added tokens are matched alike (HF's {@code split_special_tokens} is off by default);
 * the {@code special} flag matters when decoding with skip_special_tokens.
 */
final class AddedTokens {
    /** One entry of added_tokens. */
    record Token(int id, String content, boolean singleWord, boolean lstrip, boolean rstrip, boolean normalized,
                 boolean special) {
    }

    /** A piece of text: either a run of ordinary text (id -1) or one added token (its id). */
    record Segment(String text, int id) {
        boolean isAddedToken() {
            return id >= 0;
        }
    }

    private final Matcher nonNormalized;
    private final Matcher normalized;

    AddedTokens(List<Token> tokens) {
        List<Token> raw = new ArrayList<>();
        List<Token> norm = new ArrayList<>();
        for (Token t : tokens) {
            if (t.content().isEmpty()) continue;
            (t.normalized() ? norm : raw).add(t);
        }
        this.nonNormalized = new Matcher(raw);
        this.normalized = new Matcher(norm);
    }

    /** Cuts {@code text} into ordinary text and added tokens, in order. Empty ordinary pieces are left out. */
    List<Segment> split(String text) {
        List<Segment> first = new ArrayList<>();
        nonNormalized.split(text, first);
        if (normalized.isEmpty()) {
            return first;
        }
        List<Segment> result = new ArrayList<>();
        for (Segment s : first) {
            if (s.isAddedToken()) {
                result.add(s);
            } else {
                normalized.split(s.text(), result);
            }
        }
        return result;
    }

    /** Leftmost-longest matching of one group of tokens. */
    private static final class Matcher {
        /** byFirstChar[c] = the tokens whose content starts with UTF-16 unit c, longest first; null if none. */
        private final Token[][] byFirstChar = new Token[Character.MAX_VALUE + 1][];
        private final boolean empty;

        Matcher(List<Token> tokens) {
            empty = tokens.isEmpty();
            List<List<Token>> lists = new ArrayList<>();
            for (int c = 0; c <= Character.MAX_VALUE; c++) lists.add(null);
            for (Token t : tokens) {
                char c = t.content().charAt(0);
                if (lists.get(c) == null) lists.set(c, new ArrayList<>());
                lists.get(c).add(t);
            }
            for (int c = 0; c <= Character.MAX_VALUE; c++) {
                List<Token> list = lists.get(c);
                if (list != null) {
                    list.sort(Comparator.comparingInt((Token t) -> t.content().length()).reversed());
                    byFirstChar[c] = list.toArray(Token[]::new);
                }
            }
        }

        boolean isEmpty() {
            return empty;
        }

        void split(String text, List<Segment> out) {
            int startOffset = 0; // end of the last accepted match (after rstrip)
            int i = 0;
            while (i < text.length()) {
                Token match = longestAt(text, i);
                if (match == null) {
                    i++;
                    continue;
                }
                int start = i;
                int stop = i + match.content().length();
                i = stop; // the next search starts after this match even when it is rejected below, as in HF
                if (match.singleWord()) {
                    boolean wordBefore = start > 0 && isWordChar(text.codePointBefore(start));
                    boolean wordAfter = stop < text.length() && isWordChar(text.codePointAt(stop));
                    if (wordBefore || wordAfter) continue;
                }
                if (match.lstrip()) {
                    int s = start;
                    while (s > startOffset && isWhiteSpace(text.charAt(s - 1))) s--;
                    start = s;
                }
                if (match.rstrip()) {
                    while (stop < text.length() && isWhiteSpace(text.charAt(stop))) stop++;
                    i = stop;
                }
                if (startOffset < start) {
                    out.add(new Segment(text.substring(startOffset, start), -1));
                }
                out.add(new Segment(text.substring(start, stop), match.id()));
                startOffset = stop;
            }
            if (startOffset < text.length()) {
                out.add(new Segment(text.substring(startOffset), -1));
            }
        }

        private Token longestAt(String text, int i) {
            Token[] candidates = byFirstChar[text.charAt(i)];
            if (candidates == null) return null;
            for (Token t : candidates) {
                if (text.startsWith(t.content(), i)) return t;
            }
            return null;
        }
    }

    /** Rust's char::is_alphanumeric, plus '_': what HF counts as a word character around a single_word token. */
    private static boolean isWordChar(int codePoint) {
        if (codePoint == '_' || Character.isAlphabetic(codePoint)) return true;
        int type = Character.getType(codePoint);
        return type == Character.DECIMAL_DIGIT_NUMBER || type == Character.LETTER_NUMBER || type == Character.OTHER_NUMBER;
    }

    /** The Unicode White_Space property (Rust's char::is_whitespace); all such characters are in the BMP. */
    static boolean isWhiteSpace(char c) {
        return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680
                || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F
                || c == 0x3000;
    }
}
