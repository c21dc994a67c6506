package minitron.transformer.tokenizer;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Translation of the regular expressions found in tokenizer.json files (written for the Rust tokenizers crate,
 * which compiles them with Oniguruma) into {@link Pattern}.
 *
 * <p>The syntax these patterns use is the same in both engines (classes, {@code (?i:...)}, {@code (?!...)},
 * {@code {1,3}}, {@code \p{L}}); the semantics differ only in what the shorthand classes mean. Oniguruma on UTF-8
 * is Unicode-aware: {@code \s} is U+0009..U+000D, U+0085 and the Unicode separators (Zs, Zl, Zp), which is
 * exactly the Unicode White_Space property; {@code \d} and {@code \w} are Unicode digits and word characters; and
 * {@code (?i)} folds case by Unicode rules (so {@code (?i:'s)} also matches "'S" and "'ſ", U+017F LONG S). Java's
 * {@link Pattern#UNICODE_CHARACTER_CLASS} gives the same meanings ({@code \s} = White_Space, Unicode case folding);
 * without it {@code \s} would be ASCII-only and "a\u00A0b" would split differently. This is checked against HF's
 * tokenizers on the real Llama 3 pattern by the golden test (no-break spaces, ideographic spaces, U+2028, 'ſ).
 *
 * <p>Two spellings need rewriting: Oniguruma accepts script and property names bare ({@code \p{Han}},
 * {@code \p{Latin}}) while Java wants {@code \p{IsHan}} ({@code \p{IsL}} is also valid Java for a category, so
 * every bare name gets the prefix), and Oniguruma's negation {@code \p{^L}} is {@code \P{L}}. Escapes that mean
 * something else in Java ({@code \h} is a hex digit in Oniguruma but horizontal space in Java) are refused.
 */
final class Regexes {
    /** The flags every translated pattern is compiled with (see the class comment). */
    static final int FLAGS = Pattern.UNICODE_CHARACTER_CLASS | Pattern.UNICODE_CASE;

    /** The pattern of HF's ByteLevel pre-tokenizer when use_regex is true (GPT-2's pattern). */
    static final String GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    private Regexes() {
    }

    /** Compiles an Oniguruma-syntax pattern from {@code where} (e.g. "tokenizer.json: pre_tokenizer.pattern"). */
    static Pattern compile(String oniguruma, String where) {
        String java = translate(oniguruma, where);
        try {
            return Pattern.compile(java, FLAGS);
        } catch (PatternSyntaxException e) {
            throw new TokenizerException(where + ": expected a regular expression Java can compile, got "
                    + quote(oniguruma) + " (" + e.getDescription() + ")", e);
        }
    }

    /** Rewrites the property spellings that differ (see the class comment); the rest is passed through. */
    static String translate(String pattern, String where) {
        StringBuilder out = new StringBuilder(pattern.length() + 16);
        int i = 0;
        while (i < pattern.length()) {
            char c = pattern.charAt(i);
            if (c != '\\' || i + 1 >= pattern.length()) {
                out.append(c);
                i++;
                continue;
            }
            char e = pattern.charAt(i + 1);
            if ((e == 'p' || e == 'P') && i + 2 < pattern.length() && pattern.charAt(i + 2) == '{') {
                int close = pattern.indexOf('}', i + 3);
                if (close < 0) {
                    throw new TokenizerException(where + ": expected '}' closing \\" + e + "{ at index " + i
                            + ", got the end of " + quote(pattern));
                }
                String name = pattern.substring(i + 3, close);
                boolean negated = e == 'P';
                if (name.startsWith("^")) {
                    negated = !negated;
                    name = name.substring(1);
                }
                out.append('\\').append(negated ? 'P' : 'p').append('{').append(javaPropertyName(name)).append('}');
                i = close + 1;
            } else if (e == 'h' || e == 'H' || e == 'G' || e == 'K') {
                throw new TokenizerException(where + ": the escape \\" + e + " at index " + i + " of " + quote(pattern)
                        + " means something else in Java regular expressions (or nothing); not supported");
            } else {
                out.append(c).append(e);
                i += 2;
            }
        }
        return out.toString();
    }

    private static String javaPropertyName(String name) {
        if (name.startsWith("Is") || name.startsWith("In") || name.contains("=")) {
            return name;
        }
        return "Is" + name;
    }

    static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n").replace("\r", "\\r") + '"';
    }
}
