package minitron.transformer.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import minitron.transformer.io.AtomicFile;

/**
 * Trains a byte-level BPE vocabulary with the Llama 3 pre-tokenizer and writes it as a Llama-3-style
 * {@code tokenizer.json} (+ {@code tokenizer_config.json}) that {@link Tokenizer} and HF's tokenizers load.
 *
 * <p>Algorithm (the classic one, as HF's BpeTrainer):
 * <ol>
 *   <li>Each text is cut into pieces by the Llama 3 regex ({@link #LLAMA3_PATTERN}, Split "Isolated"); each
 *       distinct piece, written in the byte-level alphabet, becomes a "word" with its count.</li>
 *   <li>The initial vocabulary is the 256 byte-level characters, id = byte value (id 32 is "Ġ", the space).</li>
 *   <li>Repeatedly the most frequent adjacent pair of symbols (counted over the words, weighted by their counts)
 *       is merged into a new symbol with the next id, until the model vocabulary has
 *       {@code vocabSize - specialTokens.size()} entries or no pair is left.</li>
 *   <li>Tie-breaking, deterministic: among pairs with the same count, the one with the smaller left id wins, then
 *       the smaller right id (ids are given in creation order, so older symbols first). HF breaks ties by pair ids too, but numbers its
 *       initial alphabet differently, so its merges can differ from ours where counts tie.</li>
 * </ol>
 * Pair counts are kept for all pairs and updated incrementally: merging (a, b) into c only touches the words
 * that contain (a, b) (an index pair -> words), and the pairs around each occurrence change by the word's count.
 * The best pair comes from a max-heap with lazy updates: a popped entry whose count is stale is pushed again
 * with its current count (counts of existing pairs only decrease, so a stale entry is never too low).
 *
 * <p>Special tokens (BOS, EOS, reserved) get the ids after the model vocabulary, as in Llama 3 (128000, ...).
 * The first special token is the BOS, the second the EOS; the post-processor prepends the BOS.
 */
public final class BpeTrainer {
    /** Llama 3's pre-tokenizer regex, exactly as in its tokenizer.json. */
    public static final String LLAMA3_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** The default special tokens: BOS, EOS and six reserved ones (Llama 3 names). */
    public static final List<String> DEFAULT_SPECIAL_TOKENS = List.of("<|begin_of_text|>", "<|end_of_text|>",
            "<|reserved_special_token_0|>", "<|reserved_special_token_1|>", "<|reserved_special_token_2|>",
            "<|reserved_special_token_3|>", "<|reserved_special_token_4|>", "<|reserved_special_token_5|>");

    private static final int BYTE_ALPHABET = 256;

    private final int vocabSize;
    private final List<String> specialTokens;
    private final PreTokenizer preTokenizer;
    /** distinct byte-level pieces -> count, filled by {@link #add} */
    private final Map<String, long[]> pieceCounts = new HashMap<>();
    private long piecesSeen;

    /** The trained result: tokens by id (model vocabulary), merges in rank order, and the special tokens. */
    public record Result(List<String> vocab, List<String[]> merges, List<String> specialTokens, long pieces,
                         int distinctPieces) {
        /** Model vocabulary plus special tokens. */
        public int totalVocabSize() {
            return vocab.size() + specialTokens.size();
        }
    }

    /**
     * {@code vocabSize}: the total vocabulary, model tokens plus special tokens; at least 256 + the number of
     * special tokens.
     */
    public BpeTrainer(int vocabSize, List<String> specialTokens) {
        if (specialTokens.size() < 2) {
            throw new TokenizerException("BPE training: expected at least two special tokens (BOS, EOS), got "
                    + specialTokens.size());
        }
        if (new HashSet<>(specialTokens).size() != specialTokens.size()) {
            throw new TokenizerException("BPE training: expected distinct special tokens, got " + specialTokens);
        }
        for (String s : specialTokens) {
            if (s.isEmpty()) throw new TokenizerException("BPE training: expected non-empty special tokens");
        }
        if (vocabSize < BYTE_ALPHABET + specialTokens.size()) {
            throw new TokenizerException("BPE training: --vocab-size: expected at least " + BYTE_ALPHABET + " + "
                    + specialTokens.size() + " special tokens = " + (BYTE_ALPHABET + specialTokens.size())
                    + ", got " + vocabSize);
        }
        this.vocabSize = vocabSize;
        this.specialTokens = List.copyOf(specialTokens);
        this.preTokenizer = new PreTokenizer.Split(Regexes.compile(LLAMA3_PATTERN, "Llama 3 pattern"),
                PreTokenizer.Behavior.ISOLATED, false);
    }

    /** Counts the pieces of one text. */
    public void add(String text) {
        List<String> pieces = new ArrayList<>();
        preTokenizer.split(text, pieces);
        for (String p : pieces) {
            pieceCounts.computeIfAbsent(ByteLevel.encode(p), k -> new long[1])[0]++;
        }
        piecesSeen += pieces.size();
    }

    /** Runs the merges. */
    public Result train() {
        if (pieceCounts.isEmpty()) {
            throw new TokenizerException("BPE training: expected some text, got an empty dataset");
        }
        // Words in a fixed order (sorted), so that nothing depends on hash order.
        List<String> distinct = new ArrayList<>(pieceCounts.keySet());
        distinct.sort(null);
        int[][] words = new int[distinct.size()][];
        int[] lengths = new int[distinct.size()];
        long[] counts = new long[distinct.size()];
        for (int w = 0; w < words.length; w++) {
            String piece = distinct.get(w);
            words[w] = new int[piece.length()];
            for (int i = 0; i < piece.length(); i++) words[w][i] = ByteLevel.byteOf(piece.charAt(i));
            lengths[w] = piece.length();
            counts[w] = pieceCounts.get(piece)[0];
        }

        List<String> vocab = new ArrayList<>();
        Map<String, Integer> tokenToId = new HashMap<>();
        for (int b = 0; b < BYTE_ALPHABET; b++) {
            vocab.add(String.valueOf(ByteLevel.charOf(b)));
            tokenToId.put(vocab.get(b), b);
        }

        // All pair counts and, for each pair, the words where it occurs.
        Map<Long, long[]> pairCounts = new HashMap<>();
        Map<Long, Set<Integer>> where = new HashMap<>();
        for (int w = 0; w < words.length; w++) {
            for (int i = 0; i + 1 < lengths[w]; i++) {
                long key = key(words[w][i], words[w][i + 1]);
                pairCounts.computeIfAbsent(key, k -> new long[1])[0] += counts[w];
                where.computeIfAbsent(key, k -> new HashSet<>()).add(w);
            }
        }
        // Heap entries: {count, left, right}; max count first, then smaller left id, then smaller right id.
        PriorityQueue<long[]> heap = new PriorityQueue<>(BpeTrainer::compareEntries);
        for (Map.Entry<Long, long[]> e : pairCounts.entrySet()) {
            heap.add(entry(e.getValue()[0], e.getKey()));
        }

        int modelVocab = vocabSize - specialTokens.size();
        List<String[]> merges = new ArrayList<>();
        Map<Long, Long> deltas = new HashMap<>();
        while (vocab.size() < modelVocab && !heap.isEmpty()) {
            long[] top = heap.poll();
            long key = key((int) top[1], (int) top[2]);
            long[] current = pairCounts.get(key);
            long currentCount = current == null ? 0 : current[0];
            if (currentCount != top[0]) {
                if (currentCount > 0) heap.add(entry(currentCount, key));
                continue;
            }
            if (currentCount <= 0) continue;
            int a = (int) top[1];
            int b = (int) top[2];
            // Two merge paths can spell the same token ("a"+"bc", "ab"+"c"): it keeps its first id (as HF does).
            String merged = vocab.get(a) + vocab.get(b);
            Integer existing = tokenToId.get(merged);
            int c = existing != null ? existing : vocab.size();
            if (existing == null) {
                vocab.add(merged);
                tokenToId.put(merged, c);
            }
            merges.add(new String[] {vocab.get(a), vocab.get(b)});

            deltas.clear();
            Set<Integer> affected = where.remove(key);
            pairCounts.remove(key);
            List<Integer> sortedAffected = new ArrayList<>(affected);
            sortedAffected.sort(null);
            for (int w : sortedAffected) {
                lengths[w] = mergeWord(words[w], lengths[w], a, b, c, counts[w], key, deltas, where, w);
            }
            for (Map.Entry<Long, Long> d : deltas.entrySet()) {
                long[] count = pairCounts.computeIfAbsent(d.getKey(), k -> new long[1]);
                count[0] += d.getValue();
                if (count[0] <= 0) {
                    pairCounts.remove(d.getKey());
                } else if (d.getValue() > 0) {
                    heap.add(entry(count[0], d.getKey()));
                }
            }
        }
        return new Result(vocab, merges, specialTokens, piecesSeen, distinct.size());
    }

    /**
     * Merges every (a, b) of one word into c, left to right, in place; returns the new length. The pairs around
     * each occurrence change: (x, a) becomes (x, c) and (b, y) becomes (c, y), each by the word's count.
     */
    private static int mergeWord(int[] s, int length, int a, int b, int c, long count, long mergedKey,
                                 Map<Long, Long> deltas, Map<Long, Set<Integer>> where, int word) {
        int out = 0;
        int i = 0;
        while (i < length) {
            if (i + 1 < length && s[i] == a && s[i + 1] == b) {
                if (out > 0) {
                    int x = s[out - 1];
                    addDelta(deltas, key(x, a), -count, mergedKey);
                    addDelta(deltas, key(x, c), count, mergedKey);
                    where.computeIfAbsent(key(x, c), k -> new HashSet<>()).add(word);
                }
                if (i + 2 < length) {
                    int y = s[i + 2];
                    addDelta(deltas, key(b, y), -count, mergedKey);
                    addDelta(deltas, key(c, y), count, mergedKey);
                    where.computeIfAbsent(key(c, y), k -> new HashSet<>()).add(word);
                }
                s[out++] = c;
                i += 2;
            } else {
                s[out++] = s[i++];
            }
        }
        return out;
    }

    private static void addDelta(Map<Long, Long> deltas, long key, long delta, long mergedKey) {
        if (key != mergedKey) deltas.merge(key, delta, Long::sum);
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private static long[] entry(long count, long key) {
        return new long[] {count, key >>> 32, key & 0xFFFFFFFFL};
    }

    private static int compareEntries(long[] x, long[] y) {
        if (x[0] != y[0]) return Long.compare(y[0], x[0]);
        if (x[1] != y[1]) return Long.compare(x[1], y[1]);
        return Long.compare(x[2], y[2]);
    }

    // ------------------------------------------------------------------------------------------------ writing

    /** The tokenizer.json of a result, with Llama 3's structure. */
    public static ObjectNode tokenizerJson(Result r) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        int firstSpecial = r.vocab().size();
        for (int i = 0; i < r.specialTokens().size(); i++) {
            ObjectNode t = added.addObject();
            t.put("id", firstSpecial + i);
            t.put("content", r.specialTokens().get(i));
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");

        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Sequence");
        ArrayNode stages = pre.putArray("pretokenizers");
        ObjectNode split = stages.addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", LLAMA3_PATTERN);
        split.put("behavior", "Isolated");
        split.put("invert", false);
        ObjectNode byteLevel = stages.addObject();
        byteLevel.put("type", "ByteLevel");
        byteLevel.put("add_prefix_space", false);
        byteLevel.put("trim_offsets", true);
        byteLevel.put("use_regex", false);

        String bos = r.specialTokens().get(0);
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "Sequence");
        ArrayNode processors = post.putArray("processors");
        ObjectNode postByteLevel = processors.addObject();
        postByteLevel.put("type", "ByteLevel");
        postByteLevel.put("add_prefix_space", true);
        postByteLevel.put("trim_offsets", false);
        postByteLevel.put("use_regex", true);
        ObjectNode template = processors.addObject();
        template.put("type", "TemplateProcessing");
        ArrayNode single = template.putArray("single");
        addSpecial(single, bos, 0);
        addSequence(single, "A", 0);
        ArrayNode pair = template.putArray("pair");
        addSpecial(pair, bos, 0);
        addSequence(pair, "A", 0);
        addSpecial(pair, bos, 1);
        addSequence(pair, "B", 1);
        ObjectNode bosEntry = template.putObject("special_tokens").putObject(bos);
        bosEntry.put("id", bos);
        bosEntry.putArray("ids").add(firstSpecial);
        bosEntry.putArray("tokens").add(bos);

        ObjectNode decoder = root.putObject("decoder");
        decoder.put("type", "ByteLevel");
        decoder.put("add_prefix_space", true);
        decoder.put("trim_offsets", true);
        decoder.put("use_regex", true);

        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", true);
        ObjectNode vocab = model.putObject("vocab");
        for (int id = 0; id < r.vocab().size(); id++) vocab.put(r.vocab().get(id), id);
        ArrayNode merges = model.putArray("merges");
        for (String[] m : r.merges()) merges.add(m[0] + " " + m[1]);
        return root;
    }

    /** The tokenizer_config.json of a result: BOS = first special token, EOS = second. */
    public static ObjectNode tokenizerConfigJson(Result r) {
        ObjectNode root = new ObjectMapper().createObjectNode();
        ObjectNode decoderNode = root.putObject("added_tokens_decoder");
        for (int i = 0; i < r.specialTokens().size(); i++) {
            ObjectNode t = decoderNode.putObject(Integer.toString(r.vocab().size() + i));
            t.put("content", r.specialTokens().get(i));
            t.put("lstrip", false);
            t.put("normalized", false);
            t.put("rstrip", false);
            t.put("single_word", false);
            t.put("special", true);
        }
        root.put("bos_token", r.specialTokens().get(0));
        root.put("eos_token", r.specialTokens().get(1));
        root.put("add_bos_token", true);
        root.put("add_eos_token", false);
        root.put("clean_up_tokenization_spaces", false);
        root.putArray("model_input_names").add("input_ids").add("attention_mask");
        root.put("model_max_length", 1_000_000);
        root.put("tokenizer_class", "PreTrainedTokenizerFast");
        return root;
    }

    /** Writes tokenizer.json and tokenizer_config.json into {@code dir} (created if needed). */
    public static void write(Result r, Path dir) throws IOException {
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        // each atomically: a kill or a full disk leaves the previous file or none, never a cut one
        AtomicFile.write(dir.resolve("tokenizer.json"),
                (json.writeValueAsString(tokenizerJson(r)) + "\n").getBytes(StandardCharsets.UTF_8));
        AtomicFile.write(dir.resolve("tokenizer_config.json"),
                (json.writeValueAsString(tokenizerConfigJson(r)) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private static void addSpecial(ArrayNode list, String token, int typeId) {
        ObjectNode s = list.addObject().putObject("SpecialToken");
        s.put("id", token);
        s.put("type_id", typeId);
    }

    private static void addSequence(ArrayNode list, String id, int typeId) {
        ObjectNode s = list.addObject().putObject("Sequence");
        s.put("id", id);
        s.put("type_id", typeId);
    }
}
