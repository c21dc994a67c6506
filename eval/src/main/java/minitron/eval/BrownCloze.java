package minitron.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import minitron.transformer.data.BrownCorpus;
import minitron.transformer.data.BrownCorpus.TaggedWord;
import minitron.transformer.io.AtomicFile;

/**
 * The bundled {@code brown-cloze} task: from the held-out Brown split (genres K-R, never trained on), one item
 * per eligible sentence: the context is the sentence's first i words (detokenized as the corpus text), the
 * choices are the true next word and three distractors with the same POS tag, in shuffled order.
 *
 * <p>Deterministic: every draw comes from one {@code java.util.Random(seed)} in a fixed order (samples by id,
 * sentences in order). Rules:
 * <ul>
 *   <li>the distractor pool of a word: every occurrence of the words (letters only, as written) with its base
 *       tag ({@link BrownCorpus#baseTag}) and its case (capitalized or not) in the held-out split, so that
 *       distractors are drawn by frequency as the true words are; used only if it has at least
 *       {@link #MIN_POOL} distinct words (which leaves out closed classes such as articles);</li>
 *   <li>an eligible position i: i >= {@link #MIN_PREFIX} tokens of prefix, the word letters only, its tag's pool
 *       large enough, the token before it a word, number or comma (not an opening quote or bracket);</li>
 *   <li>per sentence with an eligible position: one position drawn uniformly, three distractors drawn from the
 *       pool, distinct from the word and each other ignoring case, then the four choices shuffled.</li>
 * </ul>
 * Regenerate: {@code ./minitron eval --build-brown-cloze eval/src/main/resources/minitron/eval/brown-cloze.jsonl
 * --overwrite}.
 */
public final class BrownCloze {
    private BrownCloze() {
    }

    public static final long SEED = 1234;
    public static final int MIN_POOL = 50;
    public static final int MIN_PREFIX = 4;
    public static final int DISTRACTORS = 3;
    public static final String RESOURCE = "/minitron/eval/brown-cloze.jsonl";

    private static final Pattern LETTERS = Pattern.compile("[A-Za-z]+");
    private static final Pattern BEFORE = Pattern.compile("[A-Za-z0-9]+|,");

    /** One item: context, choices, index of the true word, and the tag. */
    public record Item(String id, String context, List<String> choices, int gold, String tag) {
    }

    /** Builds the items from samples (the held-out split, or a sample in tests). */
    public static List<Item> build(List<BrownCorpus.Sample> samples, long seed) {
        Map<String, List<String>> pools = pools(samples);
        Random random = new Random(seed);
        List<Item> items = new ArrayList<>();
        for (BrownCorpus.Sample sample : samples) {
            for (int s = 0; s < sample.sentences().size(); s++) {
                List<TaggedWord> sentence = sample.sentences().get(s);
                List<Integer> eligible = new ArrayList<>();
                for (int i = MIN_PREFIX; i < sentence.size(); i++) {
                    TaggedWord w = sentence.get(i);
                    List<String> pool = pools.get(poolKey(w));
                    if (LETTERS.matcher(w.word()).matches() && pool != null
                            && BEFORE.matcher(sentence.get(i - 1).word()).matches()) {
                        eligible.add(i);
                    }
                }
                if (eligible.isEmpty()) continue;
                int i = eligible.get(random.nextInt(eligible.size()));
                TaggedWord answer = sentence.get(i);
                String tag = BrownCorpus.baseTag(answer.tag());
                List<String> pool = pools.get(poolKey(answer));
                Set<String> used = new HashSet<>();
                used.add(answer.word().toLowerCase(Locale.ROOT));
                List<String> choices = new ArrayList<>();
                choices.add(answer.word());
                while (choices.size() < 1 + DISTRACTORS) {
                    String candidate = pool.get(random.nextInt(pool.size()));
                    if (used.add(candidate.toLowerCase(Locale.ROOT))) choices.add(candidate);
                }
                Collections.shuffle(choices, random);
                String context = BrownCorpus.detokenize(sentence.subList(0, i));
                items.add(new Item(sample.id() + "-s" + s + "-w" + i, context, choices,
                        choices.indexOf(answer.word()), tag));
            }
        }
        return items;
    }

    /**
     * Words are pooled by base tag and by whether they start with a capital ("nn" and "nn/Cap"), so that a
     * distractor is never told apart by its case alone (a capitalized "For" in mid-sentence).
     */
    static String poolKey(TaggedWord w) {
        String tag = BrownCorpus.baseTag(w.tag());
        return Character.isUpperCase(w.word().charAt(0)) ? tag + "/Cap" : tag;
    }

    /**
     * Pool key -> every occurrence of its letter-only words in the split, in corpus order (a word appears as often
     * as it occurs, so a uniform draw is a draw by frequency, like the true word itself: distractors are then not
     * rarer words that a model could reject by frequency alone). Only keys with at least MIN_POOL distinct words
     * (ignoring case).
     */
    static Map<String, List<String>> pools(List<BrownCorpus.Sample> samples) {
        Map<String, List<String>> occurrences = new TreeMap<>();
        for (BrownCorpus.Sample sample : samples) {
            for (List<TaggedWord> sentence : sample.sentences()) {
                for (TaggedWord w : sentence) {
                    if (LETTERS.matcher(w.word()).matches()) {
                        occurrences.computeIfAbsent(poolKey(w), t -> new ArrayList<>()).add(w.word());
                    }
                }
            }
        }
        Map<String, List<String>> pools = new TreeMap<>();
        for (Map.Entry<String, List<String>> e : occurrences.entrySet()) {
            Set<String> distinct = new HashSet<>();
            for (String w : e.getValue()) distinct.add(w.toLowerCase(Locale.ROOT));
            if (distinct.size() >= MIN_POOL) pools.put(e.getKey(), e.getValue());
        }
        return pools;
    }

    /** The items as JSONL, one {"id", "context", "choices", "gold", "tag"} per line (the shipped file's bytes). */
    public static byte[] toJsonl(List<Item> items) {
        ObjectMapper json = new ObjectMapper();
        StringBuilder sb = new StringBuilder();
        for (Item item : items) {
            ObjectNode node = json.createObjectNode();
            node.put("id", item.id());
            node.put("context", item.context());
            ArrayNode choices = node.putArray("choices");
            item.choices().forEach(choices::add);
            node.put("gold", item.gold());
            node.put("tag", item.tag());
            sb.append(node).append('\n');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Builds from the bundled held-out split and writes the JSONL file; returns the item count. */
    public static int buildBundled(Path out) throws IOException {
        List<Item> items = build(BrownCorpus.load(BrownCorpus.Split.HELDOUT), SEED);
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        AtomicFile.write(out, toJsonl(items));   // a kill or a full disk leaves no torn task file
        return items.size();
    }

    /** The shipped task file's items, from the class path. */
    public static List<ChoiceItem> bundledItems(boolean strict) {
        try (InputStream in = BrownCloze.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new EvalException("brown-cloze: resource " + RESOURCE + " not found on the class path");
            return Tasks.choices(Jsonl.read(in, RESOURCE, strict, Tasks.ChoiceDoc::parse).docs());
        } catch (IOException e) {
            throw new EvalException("brown-cloze: " + RESOURCE + ": " + e.getMessage(), e);
        }
    }
}
