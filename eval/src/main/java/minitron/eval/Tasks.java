package minitron.eval;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Loaders for the public JSONL formats of the standard tasks, and their prompts as lm-eval-harness's task
 * configs build them (doc_to_text, doc_to_choice, target_delimiter " ", fewshot_delimiter "\n\n"):
 * <pre>
 *   prompt = description + (example_1 + "\n\n" + ... + example_k + "\n\n") + doc_to_text(doc)
 *   example = doc_to_text(ex) + " " + text of ex's gold choice
 *   continuation of choice c = " " + c
 * </pre>
 * Few-shot examples come from a few-shot file (the train / dev split) or, without one, from the evaluated file
 * itself with the evaluated document excluded; see {@link FewShot} for the sampling.
 */
public final class Tasks {
    private Tasks() {
    }

    static final String FEWSHOT_DELIMITER = "\n\n";
    static final String TARGET_DELIMITER = " ";

    // ------------------------------------------------------------------ documents (one per JSONL line)

    /** Winogrande: {"sentence", "option1", "option2", "answer": "1" | "2"}; answer is stored 0-based. */
    public record WinograndeDoc(String sentence, String option1, String option2, int answer) {
        static WinograndeDoc parse(JsonNode n) {
            String sentence = Jsonl.text(n, "sentence");
            if (sentence.indexOf('_') < 0) {
                throw new Jsonl.MalformedLine("expected a \"sentence\" with a blank \"_\", found none");
            }
            int answer = Jsonl.integer(n, "answer");
            if (answer != 1 && answer != 2) {
                throw new Jsonl.MalformedLine("expected \"answer\" \"1\" or \"2\", found " + answer);
            }
            return new WinograndeDoc(sentence, Jsonl.text(n, "option1"), Jsonl.text(n, "option2"), answer - 1);
        }
    }

    /** HellaSwag: {"ctx_a", "ctx_b", "activity_label", "endings": [4], "label"}. */
    public record HellaSwagDoc(String ctxA, String ctxB, String activityLabel, List<String> endings, int label) {
        static HellaSwagDoc parse(JsonNode n) {
            List<String> endings = Jsonl.texts(n, "endings");
            int label = Jsonl.integer(n, "label");
            checkGold(label, endings.size(), "label");
            return new HellaSwagDoc(Jsonl.text(n, "ctx_a"), Jsonl.text(n, "ctx_b"), Jsonl.text(n, "activity_label"),
                    endings, label);
        }
    }

    /** ARC Easy / Challenge: {"question", "choices": {"text": [...], "label": [...]}, "answerKey"}. */
    public record ArcDoc(String question, List<String> texts, List<String> labels, int gold) {
        static ArcDoc parse(JsonNode n) {
            JsonNode choices = n.get("choices");
            if (choices == null || !choices.isObject()) {
                throw new Jsonl.MalformedLine("expected field \"choices\" (an object with \"text\" and \"label\")");
            }
            List<String> texts = Jsonl.texts(choices, "text");
            List<String> labels = Jsonl.texts(choices, "label");
            if (texts.size() != labels.size()) {
                throw new Jsonl.MalformedLine("expected as many choices.text as choices.label, found "
                        + texts.size() + " and " + labels.size());
            }
            String key = Jsonl.text(n, "answerKey");
            int gold = labels.indexOf(key);
            if (gold < 0) {
                throw new Jsonl.MalformedLine("expected \"answerKey\" among the labels " + labels + ", found \"" + key + "\"");
            }
            return new ArcDoc(Jsonl.text(n, "question"), texts, labels, gold);
        }
    }

    /**
     * MMLU: {"question", "subject", "choices": [4], "answer": 0..3 (or "A".."D")}. Exactly four choices: the prompt
     * and lm-eval's doc_to_choice are the letters A-D.
     */
    public record MmluDoc(String question, String subject, List<String> choices, int answer) {
        static final int CHOICES = 4;

        static MmluDoc parse(JsonNode n) {
            List<String> choices = Jsonl.texts(n, "choices");
            if (choices.size() != CHOICES) {
                throw new Jsonl.MalformedLine("expected field \"choices\" to hold " + CHOICES + " strings (A-D), found "
                        + choices.size());
            }
            JsonNode a = n.get("answer");
            int answer;
            if (a != null && a.isTextual() && a.asText().matches("[A-D]")) {
                answer = a.asText().charAt(0) - 'A';
            } else if (a != null && (a.isIntegralNumber() || a.isTextual() && a.asText().strip().matches("-?\\d+"))) {
                answer = Jsonl.integer(n, "answer");
            } else {
                throw new Jsonl.MalformedLine("expected \"answer\" 0-3 or \"A\"-\"D\", found " + Jsonl.describe(a));
            }
            if (answer < 0 || answer >= CHOICES) {
                throw new Jsonl.MalformedLine("expected \"answer\" 0-3 or \"A\"-\"D\", found " + answer);
            }
            return new MmluDoc(Jsonl.text(n, "question"), Jsonl.text(n, "subject"), choices, answer);
        }
    }

    /** PIQA: {"goal", "sol1", "sol2", "label": 0 | 1}. */
    public record PiqaDoc(String goal, String sol1, String sol2, int label) {
        static PiqaDoc parse(JsonNode n) {
            int label = Jsonl.integer(n, "label");
            checkGold(label, 2, "label");
            return new PiqaDoc(Jsonl.text(n, "goal"), Jsonl.text(n, "sol1"), Jsonl.text(n, "sol2"), label);
        }
    }

    /** GSM8K: {"question", "answer"} (the answer's last line is "#### N"). */
    public record Gsm8kDoc(String question, String answer) {
        static Gsm8kDoc parse(JsonNode n) {
            return new Gsm8kDoc(Jsonl.text(n, "question"), Jsonl.text(n, "answer"));
        }
    }

    /** The project's own multiple-choice format (brown-cloze): {"id"?, "context", "choices": [...], "gold"}. */
    public record ChoiceDoc(String id, String context, List<String> choices, int gold) {
        static ChoiceDoc parse(JsonNode n) {
            List<String> choices = Jsonl.texts(n, "choices");
            int gold = Jsonl.integer(n, "gold");
            checkGold(gold, choices.size(), "gold");
            String id = n.hasNonNull("id") ? n.get("id").asText() : null;
            return new ChoiceDoc(id, Jsonl.text(n, "context"), choices, gold);
        }
    }

    private static void checkGold(int gold, int n, String field) {
        if (gold < 0 || gold >= n) {
            throw new Jsonl.MalformedLine("expected \"" + field + "\" in [0, " + n + "), found " + gold);
        }
    }

    // ------------------------------------------------------------------ prompts

    /** A few-shot prefix: examples joined and followed by "\n\n"; empty for none. */
    static String examples(List<String> labeled) {
        if (labeled.isEmpty()) return "";
        return String.join(FEWSHOT_DELIMITER, labeled) + FEWSHOT_DELIMITER;
    }

    /** Winogrande (lm-eval winogrande.yaml, partial scoring): choice i's context is the sentence up to the blank
     * with option i in it; the continuation, the same for both, is " " + what follows the blank, stripped.
     * Only acc is reported (lm-eval's metric list). */
    public static List<ChoiceItem> winogrande(List<WinograndeDoc> docs, List<WinograndeDoc> pool, int shots, long seed) {
        return winogrande(docs, pool, shots, seed, false);
    }

    /** As above; {@code otherSplit}: the pool is a few-shot file ({@link FewShot#sample} with no document to remove). */
    public static List<ChoiceItem> winogrande(List<WinograndeDoc> docs, List<WinograndeDoc> pool, int shots, long seed, boolean otherSplit) {
        FewShot<WinograndeDoc> sampler = new FewShot<>(pool, seed);
        List<ChoiceItem> items = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) {
            WinograndeDoc doc = docs.get(i);
            List<String> labeled = new ArrayList<>();
            for (WinograndeDoc ex : sampler.sample(otherSplit ? null : doc, shots)) {
                String option = ex.answer() == 0 ? ex.option1() : ex.option2();
                labeled.add(winograndeContext(ex, option) + TARGET_DELIMITER + winograndeTarget(ex));
            }
            String prefix = examples(labeled);
            String continuation = TARGET_DELIMITER + winograndeTarget(doc);
            List<ChoiceItem.Choice> choices = new ArrayList<>();
            for (String option : List.of(doc.option1(), doc.option2())) {
                String context = prefix + winograndeContext(doc, option);
                choices.add(new ChoiceItem.Choice(context, continuation, winograndeContext(doc, option)));
            }
            items.add(new ChoiceItem("winogrande-" + i, choices, doc.answer()));
        }
        return items;
    }

    /** lm-eval partial_context: sentence[:index of "_"] + option. */
    static String winograndeContext(WinograndeDoc doc, String option) {
        return doc.sentence().substring(0, doc.sentence().indexOf('_')) + option;
    }

    /** lm-eval partial_target: sentence[index of "_" + 1:].strip(). */
    static String winograndeTarget(WinograndeDoc doc) {
        return pythonStrip(doc.sentence().substring(doc.sentence().indexOf('_') + 1));
    }

    private static final Pattern BRACKETED = Pattern.compile("\\[.*?\\]");

    /** lm-eval hellaswag/utils.py preprocess: strip, " [title]" -> ". ", drop [...], "  " -> " ". */
    public static String hellaswagPreprocess(String text) {
        text = pythonStrip(text);
        text = text.replace(" [title]", ". ");
        text = BRACKETED.matcher(text).replaceAll("");
        text = text.replace("  ", " ");
        return text;
    }

    /** lm-eval hellaswag: query = preprocess(activity_label + ": " + ctx_a + " " + ctx_b.capitalize()). */
    static String hellaswagQuery(HellaSwagDoc d) {
        return hellaswagPreprocess(d.activityLabel() + ": " + d.ctxA() + " " + pythonCapitalize(d.ctxB()));
    }

    public static List<ChoiceItem> hellaswag(List<HellaSwagDoc> docs, List<HellaSwagDoc> pool, int shots, long seed) {
        return hellaswag(docs, pool, shots, seed, false);
    }

    /** As above; {@code otherSplit}: the pool is a few-shot file ({@link FewShot#sample} with no document to remove). */
    public static List<ChoiceItem> hellaswag(List<HellaSwagDoc> docs, List<HellaSwagDoc> pool, int shots, long seed, boolean otherSplit) {
        FewShot<HellaSwagDoc> sampler = new FewShot<>(pool, seed);
        List<ChoiceItem> items = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) {
            HellaSwagDoc doc = docs.get(i);
            List<String> labeled = new ArrayList<>();
            for (HellaSwagDoc ex : sampler.sample(otherSplit ? null : doc, shots)) {
                labeled.add(hellaswagQuery(ex) + TARGET_DELIMITER + hellaswagPreprocess(ex.endings().get(ex.label())));
            }
            List<String> endings = doc.endings().stream().map(Tasks::hellaswagPreprocess).toList();
            items.add(ChoiceItem.of("hellaswag-" + i, examples(labeled) + hellaswagQuery(doc), endings, doc.label()));
        }
        return items;
    }

    /** lm-eval arc_easy.yaml / arc_challenge.yaml: "Question: {question}\nAnswer:", choices the texts. */
    public static List<ChoiceItem> arc(List<ArcDoc> docs, List<ArcDoc> pool, int shots, long seed) {
        return arc(docs, pool, shots, seed, false);
    }

    /** As above; {@code otherSplit}: the pool is a few-shot file ({@link FewShot#sample} with no document to remove). */
    public static List<ChoiceItem> arc(List<ArcDoc> docs, List<ArcDoc> pool, int shots, long seed, boolean otherSplit) {
        FewShot<ArcDoc> sampler = new FewShot<>(pool, seed);
        List<ChoiceItem> items = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) {
            ArcDoc doc = docs.get(i);
            List<String> labeled = new ArrayList<>();
            for (ArcDoc ex : sampler.sample(otherSplit ? null : doc, shots)) {
                labeled.add(arcText(ex) + TARGET_DELIMITER + ex.texts().get(ex.gold()));
            }
            items.add(ChoiceItem.of("arc-" + i, examples(labeled) + arcText(doc), doc.texts(), doc.gold()));
        }
        return items;
    }

    static String arcText(ArcDoc d) {
        return "Question: " + d.question() + "\nAnswer:";
    }

    /**
     * lm-eval mmlu (default template): description "The following are multiple choice questions (with answers)
     * about {subject, _ -> space}.\n\n", text "{question.strip()}\nA. ..\nB. ..\nC. ..\nD. ..\nAnswer:", choices
     * the letters; few-shot: lm-eval's first_n sampler over the dev split of the same subject (not random). The
     * pool is taken to be the evaluated file itself: a document equal to the evaluated one is skipped.
     */
    public static List<ChoiceItem> mmlu(List<MmluDoc> docs, List<MmluDoc> pool, int shots) {
        return mmlu(docs, pool, shots, false);
    }

    /**
     * As {@link #mmlu(List, List, int)}; {@code otherSplit}: the pool is another split (a few-shot file), whose first k
     * documents of the subject are taken even where one equals the evaluated document. lm-eval 0.4.13's
     * {@code ConfigurableTask} passes the evaluated document to the sampler for removal only when
     * {@code fewshot_split == test_split} (MMLU: dev vs test, so never); {@code FirstNSampler} then returns
     * {@code df[:n]}. Found by reference/check_lm_eval.py with a test file that contains the dev rows.
     */
    public static List<ChoiceItem> mmlu(List<MmluDoc> docs, List<MmluDoc> pool, int shots, boolean otherSplit) {
        Map<String, List<MmluDoc>> bySubject = new LinkedHashMap<>();
        for (MmluDoc d : pool) bySubject.computeIfAbsent(d.subject(), s -> new ArrayList<>()).add(d);
        List<ChoiceItem> items = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) {
            MmluDoc doc = docs.get(i);
            List<String> letters = new ArrayList<>();
            for (int c = 0; c < doc.choices().size(); c++) letters.add(String.valueOf((char) ('A' + c)));
            List<String> labeled = new ArrayList<>();
            if (shots > 0) {
                for (MmluDoc ex : FewShot.firstN(bySubject.getOrDefault(doc.subject(), List.of()), otherSplit ? null : doc, shots,
                        "subject \"" + doc.subject() + "\"")) {
                    labeled.add(mmluText(ex) + TARGET_DELIMITER + (char) ('A' + ex.answer()));
                }
            }
            String description = "The following are multiple choice questions (with answers) about "
                    + doc.subject().replace('_', ' ') + ".\n\n";
            items.add(ChoiceItem.of("mmlu-" + i, description + examples(labeled) + mmluText(doc), letters, doc.answer()));
        }
        return items;
    }

    static String mmluText(MmluDoc d) {
        StringBuilder sb = new StringBuilder(pythonStrip(d.question()));
        for (int c = 0; c < d.choices().size(); c++) {
            sb.append('\n').append((char) ('A' + c)).append(". ").append(d.choices().get(c));
        }
        return sb.append("\nAnswer:").toString();
    }

    /** lm-eval piqa.yaml: "Question: {goal}\nAnswer:", choices [sol1, sol2]. */
    public static List<ChoiceItem> piqa(List<PiqaDoc> docs, List<PiqaDoc> pool, int shots, long seed) {
        return piqa(docs, pool, shots, seed, false);
    }

    /** As above; {@code otherSplit}: the pool is a few-shot file ({@link FewShot#sample} with no document to remove). */
    public static List<ChoiceItem> piqa(List<PiqaDoc> docs, List<PiqaDoc> pool, int shots, long seed, boolean otherSplit) {
        FewShot<PiqaDoc> sampler = new FewShot<>(pool, seed);
        List<ChoiceItem> items = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) {
            PiqaDoc doc = docs.get(i);
            List<String> labeled = new ArrayList<>();
            for (PiqaDoc ex : sampler.sample(otherSplit ? null : doc, shots)) {
                labeled.add(piqaText(ex) + TARGET_DELIMITER + (ex.label() == 0 ? ex.sol1() : ex.sol2()));
            }
            items.add(ChoiceItem.of("piqa-" + i, examples(labeled) + piqaText(doc), List.of(doc.sol1(), doc.sol2()),
                    doc.label()));
        }
        return items;
    }

    static String piqaText(PiqaDoc d) {
        return "Question: " + d.goal() + "\nAnswer:";
    }

    /** The project's own format: context and choices as given (continuations " " + choice). */
    public static List<ChoiceItem> choices(List<ChoiceDoc> docs) {
        List<ChoiceItem> items = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) {
            ChoiceDoc d = docs.get(i);
            items.add(ChoiceItem.of(d.id() != null ? d.id() : "item-" + i, d.context(), d.choices(), d.gold()));
        }
        return items;
    }

    /** lm-eval gsm8k.yaml: "Question: {question}\nAnswer:", few-shot examples end with " " + the full answer. */
    public static List<Generation.Item> gsm8k(List<Gsm8kDoc> docs, List<Gsm8kDoc> pool, int shots, long seed) {
        return gsm8k(docs, pool, shots, seed, false);
    }

    /** As above; {@code otherSplit}: the pool is a few-shot file ({@link FewShot#sample} with no document to remove). */
    public static List<Generation.Item> gsm8k(List<Gsm8kDoc> docs, List<Gsm8kDoc> pool, int shots, long seed,
                                              boolean otherSplit) {
        FewShot<Gsm8kDoc> sampler = new FewShot<>(pool, seed);
        List<Generation.Item> items = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) {
            Gsm8kDoc doc = docs.get(i);
            List<String> labeled = new ArrayList<>();
            for (Gsm8kDoc ex : sampler.sample(otherSplit ? null : doc, shots)) {
                labeled.add(gsm8kText(ex) + TARGET_DELIMITER + ex.answer());
            }
            items.add(new Generation.Item("gsm8k-" + i, examples(labeled) + gsm8kText(doc), doc.answer()));
        }
        return items;
    }

    static String gsm8kText(Gsm8kDoc d) {
        return "Question: " + d.question() + "\nAnswer:";
    }

    // ------------------------------------------------------------------ Python string methods

    /** Python's str.strip(): white space as str.isspace. */
    public static String pythonStrip(String s) {
        int start = 0, end = s.length();
        while (start < end && Scoring.isPythonSpace(s.charAt(start))) start++;
        while (end > start && Scoring.isPythonSpace(s.charAt(end - 1))) end--;
        return s.substring(start, end);
    }

    /**
     * Python's str.capitalize(): the first character in title case by its full mapping, every other one lower case
     * with the whole string as context. CPython's {@code do_capitalize} takes {@code _PyUnicode_ToTitleFull} of the
     * first character, which for the 48 characters of SpecialCasing.txt's unconditional title mappings is more than
     * one character ("\u00DFig" -> "Ssig", "\uFB01x" -> "Fix"; {@link Character#toTitleCase} has only the
     * one-character mapping and leaves them), and lower-cases each later character with {@code lower_ucs4}, which
     * sees the characters before it: a capital sigma after the first letter that ends a word is the final form
     * ("\u039F\u03A3 is" -> "\u039F\u03C2 is"; lower-casing the rest on its own gave "\u039F\u03C3"). Both were
     * found by reference/check_lm_eval.py on HellaSwag's {@code ctx_b.capitalize()}.
     */
    public static String pythonCapitalize(String s) {
        if (s.isEmpty()) return s;
        int first = s.codePointAt(0);
        String firstLower = Character.toString(first).toLowerCase(Locale.ROOT);
        String lower = s.toLowerCase(Locale.ROOT);           // final sigma decided with the first character present
        String rest = lower.startsWith(firstLower) ? lower.substring(firstLower.length())
                : s.substring(Character.charCount(first)).toLowerCase(Locale.ROOT);
        String title = TITLE_FULL.get(first);
        return (title != null ? title : Character.toString(Character.toTitleCase(first))) + rest;
    }

    /** Python 3.11's {@code len(chr(c).title()) > 1}: SpecialCasing.txt's unconditional title mappings (hex). */
    private static final Map<Integer, String> TITLE_FULL = parseTitleTable(
            "00DF:0053 0073;0149:02BC 004E;01F0:004A 030C;0390:0399 0308 0301;03B0:03A5 0308 0301;"
            + "0587:0535 0582;1E96:0048 0331;1E97:0054 0308;1E98:0057 030A;1E99:0059 030A;1E9A:0041 02BE;"
            + "1F50:03A5 0313;1F52:03A5 0313 0300;1F54:03A5 0313 0301;1F56:03A5 0313 0342;1FB2:1FBA 0345;"
            + "1FB4:0386 0345;1FB6:0391 0342;1FB7:0391 0342 0345;1FC2:1FCA 0345;1FC4:0389 0345;1FC6:0397 0342;"
            + "1FC7:0397 0342 0345;1FD2:0399 0308 0300;1FD3:0399 0308 0301;1FD6:0399 0342;1FD7:0399 0308 0342;"
            + "1FE2:03A5 0308 0300;1FE3:03A5 0308 0301;1FE4:03A1 0313;1FE6:03A5 0342;1FE7:03A5 0308 0342;"
            + "1FF2:1FFA 0345;1FF4:038F 0345;1FF6:03A9 0342;1FF7:03A9 0342 0345;FB00:0046 0066;FB01:0046 0069;"
            + "FB02:0046 006C;FB03:0046 0066 0069;FB04:0046 0066 006C;FB05:0053 0074;FB06:0053 0074;"
            + "FB13:0544 0576;FB14:0544 0565;FB15:0544 056B;FB16:054E 0576;FB17:0544 056D;");

    private static Map<Integer, String> parseTitleTable(String table) {
        Map<Integer, String> map = new java.util.HashMap<>();
        for (String entry : table.split(";")) {
            String[] kv = entry.split(":");
            StringBuilder title = new StringBuilder();
            for (String cp : kv[1].split(" ")) title.appendCodePoint(Integer.parseInt(cp, 16));
            map.put(Integer.parseInt(kv[0], 16), title.toString());
        }
        return Map.copyOf(map);
    }
}
