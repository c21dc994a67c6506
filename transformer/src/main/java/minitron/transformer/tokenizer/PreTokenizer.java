package minitron.transformer.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A pre-tokenizer cuts text into pieces ("pre-tokens") that BPE then encodes one at a time; no token ever spans
 * two pieces. The kinds here are those of HF tokenizers that byte-level BPE files use: Split (a regex, with one of
 * five behaviours for the matched parts), ByteLevel (optionally GPT-2's regex, optionally a prefix space) and a
 * Sequence of those. Pieces are substrings of the original text (the byte-level alphabet is applied afterwards,
 * by {@link Tokenizer}); empty pieces are dropped, as HF does.
 */
sealed interface PreTokenizer {
    /** Appends the pieces of {@code text} to {@code out}. */
    void split(String text, List<String> out);

    /** What HF calls SplitDelimiterBehavior: what becomes of the parts the pattern matches. */
    enum Behavior {
        /** matches are dropped, the rest kept */
        REMOVED,
        /** every match and every gap between matches is its own piece */
        ISOLATED,
        /** a match is glued to the end of the piece before it */
        MERGED_WITH_PREVIOUS,
        /** a match is glued to the start of the piece after it */
        MERGED_WITH_NEXT,
        /** consecutive matches form one piece, consecutive gaps too */
        CONTIGUOUS;

        static Behavior parse(String name, String where) {
            return switch (name) {
                case "Removed" -> REMOVED;
                case "Isolated" -> ISOLATED;
                case "MergedWithPrevious" -> MERGED_WITH_PREVIOUS;
                case "MergedWithNext" -> MERGED_WITH_NEXT;
                case "Contiguous" -> CONTIGUOUS;
                default -> throw new TokenizerException(where + ": expected one of Removed, Isolated, "
                        + "MergedWithPrevious, MergedWithNext, Contiguous, got \"" + name + "\"");
            };
        }
    }

    /** HF's Split: cut at the matches of a regex (or literal string) and treat the matches by {@code behavior}. */
    record Split(Pattern pattern, Behavior behavior, boolean invert) implements PreTokenizer {
        @Override
        public void split(String text, List<String> out) {
            // (start, end, isMatch) of every match and every gap, in order, covering the text.
            List<int[]> parts = new ArrayList<>();
            Matcher m = pattern.matcher(text);
            int previousEnd = 0;
            while (m.find()) {
                if (m.start() == m.end()) {
                    continue; // an empty match cuts nothing (HF keeps it as an empty piece and drops it later)
                }
                if (m.start() > previousEnd) {
                    parts.add(new int[] {previousEnd, m.start(), 0});
                }
                parts.add(new int[] {m.start(), m.end(), 1});
                previousEnd = m.end();
            }
            if (previousEnd < text.length()) {
                parts.add(new int[] {previousEnd, text.length(), 0});
            }
            if (invert) {
                for (int[] p : parts) {
                    p[2] = 1 - p[2];
                }
            }
            for (int[] p : applyBehavior(parts)) {
                if (p[1] > p[0]) {
                    out.add(text.substring(p[0], p[1]));
                }
            }
        }

        /** The fold of HF's {@code NormalizedString::split} for each behaviour; input parts are (start, end, isMatch). */
        private List<int[]> applyBehavior(List<int[]> parts) {
            List<int[]> result = new ArrayList<>();
            switch (behavior) {
                case ISOLATED -> result.addAll(parts);
                case REMOVED -> {
                    for (int[] p : parts) {
                        if (p[2] == 0) result.add(p);
                    }
                }
                case MERGED_WITH_PREVIOUS -> {
                    boolean previousMatch = false;
                    for (int[] p : parts) {
                        boolean isMatch = p[2] == 1;
                        if (isMatch && !previousMatch && !result.isEmpty()) {
                            result.getLast()[1] = p[1];
                        } else {
                            result.add(p.clone());
                        }
                        previousMatch = isMatch;
                    }
                }
                case MERGED_WITH_NEXT -> {
                    boolean previousMatch = false;
                    List<int[]> reversed = new ArrayList<>();
                    for (int k = parts.size() - 1; k >= 0; k--) {
                        int[] p = parts.get(k);
                        boolean isMatch = p[2] == 1;
                        if (isMatch && !previousMatch && !reversed.isEmpty()) {
                            reversed.getLast()[0] = p[0];
                        } else {
                            reversed.add(p.clone());
                        }
                        previousMatch = isMatch;
                    }
                    result.addAll(reversed.reversed());
                }
                case CONTIGUOUS -> {
                    boolean previousMatch = false;
                    for (int[] p : parts) {
                        boolean isMatch = p[2] == 1;
                        if (isMatch == previousMatch && !result.isEmpty()) {
                            result.getLast()[1] = p[1];
                        } else {
                            result.add(p.clone());
                        }
                        previousMatch = isMatch;
                    }
                }
            }
            return result;
        }
    }

    /**
     * HF's ByteLevel pre-tokenizer, the splitting half: prepend a space to each piece that does not start with one
     * (add_prefix_space), then split with GPT-2's pattern (use_regex). The byte-to-character mapping, its other
     * half, is done by {@link Tokenizer} after all pre-tokenizers ran. trim_offsets only changes offsets, which this
     * tokenizer does not report.
     */
    record ByteLevelSplit(boolean addPrefixSpace, Split gpt2) implements PreTokenizer {
        static ByteLevelSplit of(boolean addPrefixSpace, boolean useRegex) {
            Split split = useRegex
                    ? new Split(Regexes.compile(Regexes.GPT2_PATTERN, "ByteLevel"), Behavior.ISOLATED, false)
                    : null;
            return new ByteLevelSplit(addPrefixSpace, split);
        }

        @Override
        public void split(String text, List<String> out) {
            if (text.isEmpty()) {
                return;
            }
            String piece = addPrefixSpace && !text.startsWith(" ") ? " " + text : text;
            if (gpt2 == null) {
                out.add(piece);
            } else {
                gpt2.split(piece, out);
            }
        }
    }

    /** HF's Sequence: each stage splits every piece the previous stage produced. */
    record Sequence(List<PreTokenizer> stages) implements PreTokenizer {
        @Override
        public void split(String text, List<String> out) {
            List<String> pieces = List.of(text);
            for (PreTokenizer stage : stages) {
                List<String> next = new ArrayList<>();
                for (String piece : pieces) {
                    stage.split(piece, next);
                }
                pieces = next;
            }
            out.addAll(pieces);
        }
    }
}
