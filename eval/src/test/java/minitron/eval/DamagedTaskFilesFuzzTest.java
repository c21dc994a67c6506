package minitron.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.zip.GZIPOutputStream;
import minitron.tensor.FileDamage;
import minitron.transformer.data.Readers;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Randomly damaged task files, seeded ({@link FileDamage}): the sample file of each format (brown-cloze's first
 * lines, Winogrande, HellaSwag, ARC, MMLU and its dev split, PIQA, GSM8K, ppl as JSONL, plain text and .gz) is
 * damaged and run as a task, strict and lenient. Each run either gives items that work (every document's fields
 * present and its gold index in range, the items scored by a toy model) or is refused with an
 * {@link EvalException} whose message names the file; never another exception. Lenient runs skip malformed lines
 * with notes and must not throw anything else either; a strict run that succeeds has a lenient twin with the same
 * items and nothing skipped. {@link LoadersTest} checks each format's messages one by one.
 */
class DamagedTaskFilesFuzzTest {
    private static final int CASES = FileDamage.CASES;
    private static final long SEED = FileDamage.SEED;

    @TempDir
    Path dir;

    /** One kind of task file: its task name, file name, valid content, and the document parser and check. */
    private record Kind(String task, String fileName, byte[] good, boolean binary, Function<JsonNode, ?> parser,
                        Consumer<Object> checkDoc, List<String> indexFields) {
    }

    @ParameterizedTest
    @ValueSource(strings = {"choice", "winogrande", "hellaswag", "arc_easy", "mmlu", "mmlu-dev", "piqa", "gsm8k",
            "ppl-jsonl", "ppl-text", "piqa-gz", "ppl-gz"})
    void damagedTaskFilesAreReadOrRefusedByName(String name) throws IOException {
        Kind kind = kind(name);
        Random random = new Random(SEED * 31 + name.hashCode());
        int refused = 0;
        Path caseDir = Files.createDirectories(dir.resolve(name));      // one file, rewritten for each case
        Path file = caseDir.resolve(kind.fileName());
        Evaluator.Spec spec = spec(kind, file, caseDir);
        for (int c = 0; c < CASES; c++) {
            StringBuilder how = new StringBuilder();
            // a .gz: 8 changes in 10 in its 10-byte header (where the flags, the time and the OS are)
            int hot = kind.fileName().endsWith(".gz") ? 10 : kind.good().length;
            byte[] bytes = kind.binary() ? FileDamage.bytes(kind.good(), hot, random, how)
                    : FileDamage.jsonBytes(new String(kind.good(), StandardCharsets.UTF_8), random, how);
            Files.write(file, bytes);
            String what = name + " case " + c + " (" + how + ")";
            Object strict = runOrRefusal(kind, spec, file, true, what);
            Object lenient = runOrRefusal(kind, spec, file, false, what);
            if (strict instanceof EvalException) {
                refused++;
            } else {
                // what strict accepts (no malformed line), lenient reads into the same items
                assertFalse(lenient instanceof EvalException, what + ": strict accepted, lenient refused: " + lenient);
                assertEquals(strict, lenient, what + ": strict and lenient read other items");
            }
            if (kind.parser() != null) checkDocuments(kind, file, bytes, what);
        }
        // any bytes are a text: a plain-text file is refused only when it holds no token (empty)
        if (!name.equals("ppl-text")) FileDamage.assertMixed(refused, CASES);
    }

    /** The items and metrics of a run, as a comparable string, or the EvalException that refused the file. */
    private Object runOrRefusal(Kind kind, Evaluator.Spec spec, Path file, boolean strict, String what) {
        String mode = what + (strict ? " strict" : " lenient");
        Evaluator evaluator = new Evaluator(LM, ENCODER, new Evaluator.Settings(null, shots(kind), 1234, strict, false,
                16, 4));
        try {
            String outcome = switch (kind.task()) {
                case "ppl" -> {
                    Map<String, Double> m = evaluator.run(spec);
                    assertTrue(m.get("tokens") > 0 && Double.isFinite(m.get("loss")), mode + ": " + m);
                    yield m.toString();
                }
                case "gsm8k" -> {
                    List<Generation.Item> items = evaluator.gsm8kItems(spec);
                    assertFalse(items.isEmpty(), mode);
                    for (Generation.Item item : items) {
                        assertNotNull(item.prompt(), mode);
                        assertNotNull(item.reference(), mode);
                    }
                    Generation.Result r = Generation.evaluate(LM, ENCODER, items, Generation.GSM8K_UNTIL, 4, false);
                    assertEquals(items.size(), r.items(), mode);
                    yield items.toString();
                }
                default -> {
                    List<ChoiceItem> items = evaluator.choiceItems(spec);
                    assertFalse(items.isEmpty(), mode);
                    for (ChoiceItem item : items) {
                        assertNotNull(item.id(), mode);
                        assertTrue(item.gold() >= 0 && item.gold() < item.choices().size(), mode + ": " + item);
                        for (ChoiceItem.Choice ch : item.choices()) {
                            assertTrue(ch.context() != null && ch.continuation() != null && ch.normText() != null,
                                    mode + ": " + item);
                        }
                    }
                    MultipleChoice.Result r = MultipleChoice.evaluate(LM, ENCODER, items, MultipleChoice.Options.DEFAULT);
                    assertEquals(items.size(), r.items(), mode);
                    assertTrue(r.acc() >= 0 && r.acc() <= 1, mode);
                    yield items.toString();
                }
            };
            if (strict) assertEquals(List.of(), evaluator.notes(), mode + ": strict with notes");
            for (String note : evaluator.notes()) assertTrue(note.startsWith(file.toString()), mode + ": " + note);
            return outcome;
        } catch (EvalException e) {
            assertTrue(e.getMessage().contains(file.toString()), mode + ": the message does not name the damaged file: "
                    + e.getMessage());
            return e;
        } catch (RuntimeException | Error e) {
            fail(mode + ": " + e, e);
            return null;
        }
    }

    /**
     * The documents a lenient read keeps: each has its fields and a gold index in range; a line whose index field is
     * an integer that an int cannot hold (2147483648, "99999999999999999999") is among the skipped lines, never
     * read as another number.
     */
    private static void checkDocuments(Kind kind, Path file, byte[] bytes, String what) {
        if (file.toString().endsWith(".gz")) return;          // the same lines as the plain file, once unzipped
        Jsonl.Loaded<?> loaded;
        try {
            loaded = Jsonl.read(file, false, kind.parser());
        } catch (EvalException e) {
            assertTrue(e.getMessage().startsWith(file + ": "), what + ": " + e.getMessage());
            return;
        } catch (RuntimeException | Error e) {
            fail(what + ": lenient Jsonl.read: " + e, e);
            return;
        }
        for (Object doc : loaded.docs()) kind.checkDoc().accept(doc);
        List<Integer> mustSkip = linesWithAnIndexBeyondInt(bytes, kind.indexFields());
        for (int line : mustSkip) {
            String prefix = file + ":" + line + ": ";
            assertTrue(loaded.skipped().stream().anyMatch(s -> s.startsWith(prefix)),
                    what + ": line " + line + " has an index that is not an int, yet was read: " + loaded.skipped());
        }
    }

    private static List<Integer> linesWithAnIndexBeyondInt(byte[] bytes, List<String> fields) {
        List<Integer> out = new ArrayList<>();
        BufferedReader reader = new BufferedReader(new StringReader(Readers.decodeCounting(bytes).text()));
        try {
            String line;
            int lineNo = 0;
            while ((line = reader.readLine()) != null) {
                lineNo++;
                JsonNode node;
                try {
                    node = Readers.readJsonLine(line);
                } catch (JsonProcessingException e) {
                    continue;
                }
                if (node == null || !node.isObject()) continue;
                for (String field : fields) {
                    JsonNode v = node.get(field);
                    BigInteger n = null;
                    if (v != null && v.isIntegralNumber()) n = v.bigIntegerValue();
                    if (v != null && v.isTextual() && v.asText().trim().matches("-?\\d+")) n = new BigInteger(v.asText().trim());
                    if (n != null && n.bitLength() > 31) out.add(lineNo);
                }
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return out;
    }

    private static int shots(Kind kind) {
        return kind.task().equals("ppl") ? 0 : 1;
    }

    /** MMLU's few-shot examples come from its dev split (the same subject); the other tasks use the file itself. */
    private static Evaluator.Spec spec(Kind kind, Path file, Path caseDir) throws IOException {
        if (kind.fileName().equals("mmlu_test.jsonl")) {
            Path dev = caseDir.resolve("mmlu_dev.jsonl");
            Files.copy(LoadersTest.resource("mmlu_dev.jsonl"), dev);
            return new Evaluator.Spec(kind.task(), file, dev);
        }
        if (kind.fileName().equals("mmlu_dev.jsonl")) {
            Path test = caseDir.resolve("mmlu_test.jsonl");
            Files.copy(LoadersTest.resource("mmlu_test.jsonl"), test);
            return new Evaluator.Spec(kind.task(), test, file);
        }
        return new Evaluator.Spec(kind.task(), file, null);
    }

    // ------------------------------------------------------------------ the valid files and their documents

    private static Kind kind(String name) throws IOException {
        return switch (name) {
            case "choice" -> new Kind("choice", "brown-cloze.jsonl", bundledHead(12), false, Tasks.ChoiceDoc::parse,
                    d -> {
                        Tasks.ChoiceDoc doc = (Tasks.ChoiceDoc) d;
                        assertNotNull(doc.context());
                        checkTexts(doc.choices());
                        checkIndex(doc.gold(), doc.choices().size(), doc);
                    }, List.of("gold"));
            case "winogrande" -> new Kind("winogrande", "winogrande.jsonl", sample("winogrande.jsonl"), false,
                    Tasks.WinograndeDoc::parse, d -> {
                        Tasks.WinograndeDoc doc = (Tasks.WinograndeDoc) d;
                        assertTrue(doc.sentence().indexOf('_') >= 0, doc.toString());
                        assertTrue(doc.option1() != null && doc.option2() != null, doc.toString());
                        checkIndex(doc.answer(), 2, doc);
                    }, List.of("answer"));
            case "hellaswag" -> new Kind("hellaswag", "hellaswag.jsonl", sample("hellaswag.jsonl"), false,
                    Tasks.HellaSwagDoc::parse, d -> {
                        Tasks.HellaSwagDoc doc = (Tasks.HellaSwagDoc) d;
                        assertTrue(doc.ctxA() != null && doc.ctxB() != null && doc.activityLabel() != null, doc.toString());
                        checkTexts(doc.endings());
                        checkIndex(doc.label(), doc.endings().size(), doc);
                    }, List.of("label"));
            case "arc_easy" -> new Kind("arc_easy", "arc.jsonl", sample("arc.jsonl"), false, Tasks.ArcDoc::parse, d -> {
                Tasks.ArcDoc doc = (Tasks.ArcDoc) d;
                assertNotNull(doc.question());
                checkTexts(doc.texts());
                assertEquals(doc.texts().size(), doc.labels().size(), doc.toString());
                checkIndex(doc.gold(), doc.texts().size(), doc);
            }, List.of());
            case "mmlu", "mmlu-dev" -> new Kind("mmlu", name.equals("mmlu") ? "mmlu_test.jsonl" : "mmlu_dev.jsonl",
                    sample(name.equals("mmlu") ? "mmlu_test.jsonl" : "mmlu_dev.jsonl"), false, Tasks.MmluDoc::parse,
                    d -> {
                        Tasks.MmluDoc doc = (Tasks.MmluDoc) d;
                        assertTrue(doc.question() != null && doc.subject() != null, doc.toString());
                        checkTexts(doc.choices());
                        assertEquals(4, doc.choices().size(), doc.toString());
                        checkIndex(doc.answer(), 4, doc);
                    }, List.of("answer"));
            case "piqa", "piqa-gz" -> {
                Consumer<Object> check = d -> {
                    Tasks.PiqaDoc doc = (Tasks.PiqaDoc) d;
                    assertTrue(doc.goal() != null && doc.sol1() != null && doc.sol2() != null, doc.toString());
                    checkIndex(doc.label(), 2, doc);
                };
                yield name.equals("piqa")
                        ? new Kind("piqa", "piqa.jsonl", sample("piqa.jsonl"), false, Tasks.PiqaDoc::parse, check,
                                List.of("label"))
                        : new Kind("piqa", "piqa.jsonl.gz", gzip(sample("piqa.jsonl")), true, null, null, List.of());
            }
            case "gsm8k" -> new Kind("gsm8k", "gsm8k.jsonl", sample("gsm8k.jsonl"), false, Tasks.Gsm8kDoc::parse, d -> {
                Tasks.Gsm8kDoc doc = (Tasks.Gsm8kDoc) d;
                assertTrue(doc.question() != null && doc.answer() != null, doc.toString());
            }, List.of());
            case "ppl-jsonl" -> new Kind("ppl", "texts.jsonl", pplJsonl(), false, n -> Jsonl.text(n, "text"),
                    d -> assertNotNull(d), List.of());
            case "ppl-text" -> new Kind("ppl", "text.txt", pplText(), true, null, null, List.of());
            case "ppl-gz" -> new Kind("ppl", "texts.jsonl.gz", gzip(pplJsonl()), true, null, null, List.of());
            default -> throw new AssertionError(name);
        };
    }

    private static void checkTexts(List<String> texts) {
        assertTrue(texts != null && !texts.isEmpty(), String.valueOf(texts));
        for (String t : texts) assertNotNull(t);
    }

    private static void checkIndex(int index, int size, Object doc) {
        assertTrue(index >= 0 && index < size, "gold index " + index + " out of [0, " + size + "): " + doc);
    }

    private static byte[] sample(String name) throws IOException {
        return Files.readAllBytes(LoadersTest.resource(name));
    }

    /** The first lines of the bundled brown-cloze file (the whole file is 225 kB: slow to damage 400 times). */
    private static byte[] bundledHead(int lines) throws IOException {
        try (InputStream in = BrownCloze.class.getResourceAsStream(BrownCloze.RESOURCE)) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int end = 0;
            for (int i = 0; i < lines; i++) end = text.indexOf('\n', end) + 1;
            return text.substring(0, end).getBytes(StandardCharsets.UTF_8);
        }
    }

    /** ppl texts: the GSM8K sample's questions, one {"text"} per line, with a non-ASCII one. */
    private static byte[] pplJsonl() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String line : new String(sample("gsm8k.jsonl"), StandardCharsets.UTF_8).split("\n")) {
            String question = Readers.readJsonLine(line).get("question").asText();
            sb.append("{\"text\": ").append(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(question))
                    .append("}\n");
        }
        sb.append("{\"text\": \"\u00e9t\u00e9 \u4e2d\u6587\", \"id\": 4}\n");
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] pplText() throws IOException {
        return ("The cat sat on the mat.\n\u00e9t\u00e9 \u4e2d\u6587\n" + new String(sample("gsm8k.jsonl"),
                StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        }
        return out.toByteArray();
    }

    // ------------------------------------------------------------------ a toy model and encoder

    private static final int VOCAB = 64;

    /** ROWS next-token distributions (log-probabilities), one picked by a hash of the whole context. */
    private static final int ROWS = 1009;
    private static final double[][] LOGPROBS = new double[ROWS][VOCAB];

    static {
        for (int r = 0; r < ROWS; r++) {
            float[] logits = new float[VOCAB];
            for (int k = 0; k < VOCAB; k++) logits[k] = (float) (2 * Math.sin(0.37 * k + 0.1 * r));
            for (int k = 0; k < VOCAB; k++) LOGPROBS[r][k] = LogSoftmax.at(logits, 0, VOCAB, k);
        }
    }

    /**
     * Next-token log-probabilities from a hash of the whole context, one pass over each sequence (ToyModels'
     * function model recomputes every prefix: too slow for thousands of files); a context of 512 ids.
     */
    private static final CausalLm LM = new CausalLm() {
        @Override
        public int vocabSize() {
            return VOCAB;
        }

        @Override
        public int maxContext() {
            return 512;
        }

        @Override
        public Integer bosId() {
            return VOCAB - 1;
        }

        @Override
        public List<Integer> eosIds() {
            return List.of();
        }

        @Override
        public List<double[]> targetLogprobs(List<int[]> inputs, List<int[]> targets) {
            List<double[]> out = new ArrayList<>();
            for (int i = 0; i < inputs.size(); i++) {
                int[] input = inputs.get(i);
                assertTrue(input.length <= maxContext(), "the model saw " + input.length + " tokens");
                double[] lp = new double[input.length];
                long h = 17;
                for (int j = 0; j < input.length; j++) {
                    h = h * 31 + input[j] + 1;
                    lp[j] = LOGPROBS[Math.floorMod(h, ROWS)][targets.get(i)[j]];
                }
                out.add(lp);
            }
            return out;
        }

        @Override
        public int greedyNext(int[] tokens) {
            long h = 17;
            for (int t : tokens) h = h * 31 + t + 1;
            double[] row = LOGPROBS[Math.floorMod(h, ROWS)];
            int best = 0;
            for (int k = 1; k < VOCAB; k++) if (row[k] > row[best]) best = k;
            return best;
        }
    };

    /**
     * A run of letters or digits is one id, every other character one id of its own (so the encoding of context +
     * continuation starts with the context's, and a continuation, which starts with a space, has ids of its own):
     * ids are hashes modulo 63 (63 is the BOS); decodes to digits and letters.
     */
    private static final TokenEncoder ENCODER = new TokenEncoder() {
        @Override
        public int[] encode(String text, boolean addBos) {
            List<Integer> ids = new ArrayList<>();
            if (addBos) ids.add(VOCAB - 1);
            int i = 0;
            while (i < text.length()) {
                int end = i + 1;
                if (Character.isLetterOrDigit(text.charAt(i))) {
                    while (end < text.length() && Character.isLetterOrDigit(text.charAt(end))) end++;
                }
                ids.add(Math.floorMod(text.substring(i, end).hashCode(), VOCAB - 1));
                i = end;
            }
            return ids.stream().mapToInt(Integer::intValue).toArray();
        }

        @Override
        public String decode(int[] ids) {
            StringBuilder sb = new StringBuilder();
            for (int id : ids) sb.append((char) ('0' + id));
            return sb.toString();
        }
    };
}
