package minitron.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Generation tasks (lm-eval-harness's {@code generate_until}) with GSM8K's answer extraction and exact match:
 * greedy decoding from the prompt until a stop sequence appears in the decoded text, an EOS, or
 * {@code maxGenToks} tokens (lm-eval's default max_gen_toks, 256, is the default of {@code eval --max-gen-toks});
 * the text is cut before the first stop sequence; then two filters, as lm-eval's gsm8k.yaml:
 * <ul>
 *   <li>strict-match: regex {@code #### (\-?[0-9\.\,]+)}, the first match's group;</li>
 *   <li>flexible-extract: regex {@code (-?[$0-9.,]{2,})|(-?[0-9]+)}, the last match, its non-empty group;</li>
 * </ul>
 * a response with no match becomes "[invalid]". exact_match compares response and reference (the doc's full
 * answer) after deleting the regexes ",", "\$", "(?s).*#### ", "\.$" from both, ignoring case.
 */
public final class Generation {
    private Generation() {
    }

    /** gsm8k.yaml generation_kwargs.until. */
    public static final List<String> GSM8K_UNTIL = List.of("Question:", "</s>", "<|im_end|>");

    public static final String INVALID = "[invalid]";

    static final Pattern STRICT = Pattern.compile("#### (\\-?[0-9\\.\\,]+)");
    static final Pattern FLEXIBLE = Pattern.compile("(-?[$0-9.,]{2,})|(-?[0-9]+)");
    static final List<Pattern> IGNORE = List.of(Pattern.compile(","), Pattern.compile("\\$"),
            Pattern.compile("(?s).*#### "), Pattern.compile("\\.$"));

    /** One prompt and its reference answer. */
    public record Item(String id, String prompt, String reference) {
    }

    public record Result(double strictMatch, double strictStderr, double flexibleMatch, double flexibleStderr,
                         int items, int truncated, List<String> responses) {
    }

    public static Result evaluate(CausalLm lm, TokenEncoder encoder, List<Item> items, List<String> until,
                                  int maxGenToks, boolean addBos) {
        return evaluate(lm, encoder, items, until, maxGenToks, addBos, Progress.NONE);
    }

    public static Result evaluate(CausalLm lm, TokenEncoder encoder, List<Item> items, List<String> until,
                                  int maxGenToks, boolean addBos, Progress progress) {
        List<Double> strict = new ArrayList<>();
        List<Double> flexible = new ArrayList<>();
        List<String> responses = new ArrayList<>();
        int truncated = 0;
        for (Item item : items) {
            int[] prompt = encoder.encode(item.prompt(), addBos);
            // lm-eval: the context keeps its last (max_length - max_gen_toks) tokens.
            int keep = lm.maxContext() - maxGenToks;
            if (keep < 1) {
                throw new EvalException("generation: expected max_gen_toks < the model's context " + lm.maxContext()
                        + ", found " + maxGenToks);
            }
            if (prompt.length > keep) {
                prompt = Arrays.copyOfRange(prompt, prompt.length - keep, prompt.length);
                truncated++;
            }
            int[] generated = lm.greedyContinuation(prompt, maxGenToks,
                    soFar -> containsAny(decode(encoder, soFar), until));
            String response = cutAtStop(encoder.decode(generated), until);
            responses.add(response);
            strict.add(exactMatch(strictMatch(response), item.reference()) ? 1.0 : 0.0);
            flexible.add(exactMatch(flexibleExtract(response), item.reference()) ? 1.0 : 0.0);
            progress.update(responses.size(), items.size());
        }
        return new Result(Metrics.mean(strict), Metrics.meanStderr(strict), Metrics.mean(flexible),
                Metrics.meanStderr(flexible), items.size(), truncated, responses);
    }

    private static String decode(TokenEncoder encoder, List<Integer> ids) {
        return encoder.decode(ids.stream().mapToInt(Integer::intValue).toArray());
    }

    private static boolean containsAny(String text, List<String> stops) {
        for (String s : stops) {
            if (text.contains(s)) return true;
        }
        return false;
    }

    /** lm-eval: for term in until: s = s.split(term)[0]. */
    public static String cutAtStop(String text, List<String> until) {
        for (String term : until) {
            int at = text.indexOf(term);
            if (at >= 0) text = text.substring(0, at);
        }
        return text;
    }

    /** strict-match filter: the first "#### N" group, stripped; "[invalid]" when none. */
    public static String strictMatch(String response) {
        Matcher m = STRICT.matcher(response);
        return m.find() ? m.group(1).strip() : INVALID;
    }

    /**
     * flexible-extract filter: Python's re.findall gives, per match, the tuple of both groups; lm-eval takes the
     * last match (group_select -1) and its first non-empty group, stripped; "[invalid]" when none.
     */
    public static String flexibleExtract(String response) {
        Matcher m = FLEXIBLE.matcher(response);
        String last = null;
        while (m.find()) {
            last = m.group(1) != null && !m.group(1).isEmpty() ? m.group(1) : m.group(2);
        }
        return last == null ? INVALID : last.strip();
    }

    /** lm-eval exact_match with regexes_to_ignore (applied to both, in order) and ignore_case. */
    public static boolean exactMatch(String prediction, String reference) {
        return normalize(prediction).equals(normalize(reference));
    }

    static String normalize(String s) {
        for (Pattern p : IGNORE) s = p.matcher(s).replaceAll("");
        return s.toLowerCase(Locale.ROOT);
    }
}
