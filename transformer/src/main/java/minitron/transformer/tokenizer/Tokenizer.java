package minitron.transformer.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import minitron.transformer.io.IoErrors;
import minitron.transformer.io.StrictJson;

/**
 * A byte-level BPE tokenizer read from a Hugging Face {@code tokenizer.json} (Llama 3, Mistral NeMo, GPT-2 style),
 * giving the same ids as HF's tokenizers library. Encoding a text:
 * <ol>
 *   <li>added tokens ({@code <|begin_of_text|>}, ...) are cut out first ({@link AddedTokens});</li>
 *   <li>the pre-tokenizer cuts the rest into pieces: Llama 3 uses a Split with its regex, then ByteLevel without a
 *       regex ({@link PreTokenizer});</li>
 *   <li>each piece becomes its UTF-8 bytes written in the byte-level alphabet ({@link ByteLevel});</li>
 *   <li>BPE encodes each piece ({@link Bpe}).</li>
 * </ol>
 * Decoding maps each id back to its token string and the byte-level alphabet back to bytes, so
 * {@code decodeBytes(encode(s))} is exactly the UTF-8 of s. Beside tokenizer.json, a {@code tokenizer_config.json}
 * gives the BOS/EOS tokens and add_bos_token; without one the BOS is taken from the post-processor's template.
 *
 * <p>Thread-safe after loading (the BPE cache is concurrent).
 */
public final class Tokenizer {
    private final String source;
    private final AddedTokens addedTokens;
    private final PreTokenizer preTokenizer;
    private final Bpe bpe;
    /** token string of every id (model vocabulary and added tokens); null for an unused id */
    private final String[] idToToken;
    /** the bytes each id decodes to (added tokens: their content through the ByteLevel decoder) */
    private final byte[][] idToBytes;
    /** special[id]: an added token marked special (left out when decoding with skipSpecialTokens) */
    private final boolean[] special;
    private final Map<String, Integer> tokenToId;
    private final int bosId;
    private final int eosId;
    private final boolean addBosToken;

    private Tokenizer(String source, AddedTokens addedTokens, PreTokenizer preTokenizer, Bpe bpe, String[] idToToken,
                      boolean[] special, Map<String, Integer> tokenToId, int bosId, int eosId, boolean addBosToken) {
        this.source = source;
        this.addedTokens = addedTokens;
        this.preTokenizer = preTokenizer;
        this.bpe = bpe;
        this.idToToken = idToToken;
        this.special = special;
        this.tokenToId = tokenToId;
        this.bosId = bosId;
        this.eosId = eosId;
        this.addBosToken = addBosToken;
        this.idToBytes = new byte[idToToken.length][];
        for (int id = 0; id < idToToken.length; id++) {
            if (idToToken[id] != null) idToBytes[id] = ByteLevel.decodeToken(idToToken[id]);
        }
    }

    // ------------------------------------------------------------------------------------------------ loading

    /**
     * The largest token id accepted: ids index dense tables (id -> token, id -> special), so one damaged id of two
     * billion would ask for gigabytes. The largest vocabularies in use have about 262,000 tokens.
     */
    static final int MAX_ID = (1 << 24) - 1;
    private static final String ID_LIMIT_REASON = "ids index tables of that size; vocabularies in use have up to "
            + "about 262,000 tokens";

    /**
     * Loads {@code path}: a tokenizer.json, or a directory holding one. A tokenizer_config.json in the same
     * directory, when present, gives bos_token, eos_token and add_bos_token.
     */
    public static Tokenizer load(Path path) {
        Path file = Files.isDirectory(path) ? path.resolve("tokenizer.json") : path;
        JsonNode root = readJson(file);
        Path configFile = file.resolveSibling("tokenizer_config.json");
        JsonNode config = Files.isRegularFile(configFile) ? readJson(configFile) : null;
        return fromJson(root, file.toString(), config, configFile.toString());
    }

    /**
     * Builds a tokenizer from the parsed JSON of a tokenizer.json and of a tokenizer_config.json ({@code config}
     * may be null); {@code where} and {@code configWhere} name them in error messages.
     */
    public static Tokenizer fromJson(JsonNode root, String where, JsonNode config, String configWhere) {
        if (root.isMissingNode()) throw new TokenizerException(where + ": the file is empty, expected a JSON object");
        if (!root.isObject()) {
            throw new TokenizerException(where + ": expected a JSON object, got " + describe(root));
        }
        if (config != null && !config.isObject()) {
            throw new TokenizerException(configWhere + ": expected a JSON object, got "
                    + (config.isMissingNode() ? "an empty file" : describe(config)));
        }
        // HF applies these on every encode; they are not implemented here, so they must be absent
        for (String setting : new String[] {"truncation", "padding"}) {
            if (!root.path(setting).isMissingNode() && !root.path(setting).isNull()) {
                throw new TokenizerException(where + ": " + setting + ": expected null (" + setting + " on encode is not "
                        + "implemented), got " + root.path(setting));
            }
        }
        JsonNode model = root.path("model");
        if (!model.isObject()) {
            throw new TokenizerException(where + ": expected a \"model\" object, got " + describe(model));
        }
        String modelType = model.path("type").asText(model.has("merges") ? "BPE" : "");
        if (!modelType.equals("BPE")) {
            throw new TokenizerException(where + ": model.type: expected \"BPE\" (only byte-level BPE tokenizers are "
                    + "supported), got \"" + modelType + "\"");
        }
        requireNullOr(model, "dropout", where, "no BPE dropout (encoding must be deterministic)", n -> n.asDouble() == 0.0);
        requireNullOr(model, "continuing_subword_prefix", where, "null (byte-level BPE has no subword prefix)",
                n -> n.asText().isEmpty());
        requireNullOr(model, "end_of_word_suffix", where, "null (byte-level BPE has no word suffix)",
                n -> n.asText().isEmpty());
        requireNullOr(model, "byte_fallback", where, "false (byte-level BPE needs no byte fallback)",
                n -> !n.asBoolean());
        if (!root.path("normalizer").isNull() && !root.path("normalizer").isMissingNode()) {
            throw new TokenizerException(where + ": normalizer: expected null (byte-level BPE tokenizers such as "
                    + "Llama 3's have none; normalizers are not supported), got type \""
                    + root.path("normalizer").path("type").asText() + "\"");
        }
        JsonNode decoder = root.path("decoder");
        if (!decoder.path("type").asText().equals("ByteLevel")) {
            throw new TokenizerException(where + ": decoder.type: expected \"ByteLevel\", got "
                    + describe(decoder.path("type")));
        }

        // Vocabulary.
        JsonNode vocabNode = model.path("vocab");
        if (!vocabNode.isObject()) {
            throw new TokenizerException(where + ": model.vocab: expected an object of token -> id, got "
                    + describe(vocabNode));
        }
        Map<String, Integer> vocab = new HashMap<>(vocabNode.size() * 2);
        int maxId = -1;
        for (Iterator<Map.Entry<String, JsonNode>> it = vocabNode.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            // integral: canConvertToInt is true for any double in range (1e09, damaged from 1709, made arrays of
            // a billion ids: an OutOfMemoryError), and asInt truncates 1.5; serde's u32 in HF refuses both
            if (!e.getValue().isIntegralNumber() || !e.getValue().canConvertToInt() || e.getValue().asInt() < 0) {
                throw new TokenizerException(where + ": model.vocab[" + Regexes.quote(e.getKey())
                        + "]: expected a non-negative integer id, got " + e.getValue());
            }
            int id = e.getValue().asInt();
            if (id > MAX_ID) {
                throw new TokenizerException(where + ": model.vocab[" + Regexes.quote(e.getKey()) + "]: expected an id of "
                        + "at most " + MAX_ID + " (" + ID_LIMIT_REASON + "), got " + id);
            }
            vocab.put(e.getKey(), id);
            maxId = Math.max(maxId, id);
        }

        // Merges, in either encoding: ["a b", ...] (older files) or [["a", "b"], ...] (tokenizers >= 0.20).
        JsonNode mergesNode = model.path("merges");
        if (!mergesNode.isArray()) {
            throw new TokenizerException(where + ": model.merges: expected an array, got " + describe(mergesNode));
        }
        String[][] merges = new String[mergesNode.size()][];
        for (int i = 0; i < merges.length; i++) {
            merges[i] = parseMerge(mergesNode.get(i), i, where);
        }
        boolean ignoreMerges = model.path("ignore_merges").asBoolean(false);
        Bpe bpe = new Bpe(vocab, merges, ignoreMerges, where);

        // Added tokens.
        List<AddedTokens.Token> added = new ArrayList<>();
        JsonNode addedNode = root.path("added_tokens");
        for (int i = 0; i < addedNode.size(); i++) {
            JsonNode t = addedNode.get(i);
            JsonNode id = t.path("id");   // as the vocabulary's ids; a negative one indexed the id table
            if (!id.isIntegralNumber() || !id.canConvertToInt() || id.asInt() < 0 || !t.path("content").isTextual()) {
                throw new TokenizerException(where + ": added_tokens[" + i + "]: expected a non-negative integer \"id\" "
                        + "and a string \"content\", got " + t);
            }
            if (id.asInt() > MAX_ID) {
                throw new TokenizerException(where + ": added_tokens[" + i + "]: expected an id of at most " + MAX_ID
                        + " (" + ID_LIMIT_REASON + "), got " + id.asInt());
            }
            added.add(new AddedTokens.Token(t.path("id").asInt(), t.path("content").asText(),
                    t.path("single_word").asBoolean(false), t.path("lstrip").asBoolean(false),
                    t.path("rstrip").asBoolean(false), t.path("normalized").asBoolean(true),
                    t.path("special").asBoolean(false)));
            maxId = Math.max(maxId, t.path("id").asInt());
        }

        String[] idToToken = new String[maxId + 1];
        boolean[] special = new boolean[maxId + 1];
        Map<String, Integer> tokenToId = new HashMap<>(vocab);
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            idToToken[e.getValue()] = e.getKey();
        }
        for (AddedTokens.Token t : added) {
            idToToken[t.id()] = t.content();
            special[t.id()] = t.special();
            tokenToId.put(t.content(), t.id());
        }

        PreTokenizer preTokenizer = parsePreTokenizer(root.path("pre_tokenizer"), where);

        // BOS/EOS: tokenizer_config.json first, else the post-processor's template (BOS only).
        int bos = -1;
        int eos = -1;
        boolean addBos = false;
        String templateBos = templateBos(root.path("post_processor"));
        if (templateBos != null && tokenToId.containsKey(templateBos)) {
            bos = tokenToId.get(templateBos);
            addBos = true;
        }
        if (config != null) {
            String configBos = tokenContent(config.path("bos_token"));
            String configEos = tokenContent(config.path("eos_token"));
            if (configBos != null) {
                bos = lookupConfigToken(tokenToId, configBos, "bos_token", configWhere);
            }
            if (configEos != null) {
                eos = lookupConfigToken(tokenToId, configEos, "eos_token", configWhere);
            }
            if (config.has("add_bos_token")) {
                addBos = config.path("add_bos_token").asBoolean();
            }
        }
        if (addBos && bos < 0) {
            throw new TokenizerException(configWhere + ": add_bos_token is true, but there is no bos_token (neither here "
                    + "nor in " + where + "'s post-processor template)");
        }
        return new Tokenizer(where, new AddedTokens(added), preTokenizer, bpe, idToToken, special, tokenToId,
                bos, eos, addBos);
    }

    private static String[] parseMerge(JsonNode merge, int index, String where) {
        if (merge.isTextual()) {
            String[] parts = merge.asText().split(" ", -1);
            if (parts.length == 2) return parts;
        } else if (merge.isArray() && merge.size() == 2 && merge.get(0).isTextual() && merge.get(1).isTextual()) {
            return new String[] {merge.get(0).asText(), merge.get(1).asText()};
        }
        throw new TokenizerException(where + ": model.merges[" + index + "]: expected \"left right\" or "
                + "[\"left\", \"right\"], got " + merge);
    }

    private static PreTokenizer parsePreTokenizer(JsonNode node, String where) {
        List<PreTokenizer> stages = new ArrayList<>();
        boolean byteLevelLast = flattenPreTokenizer(node, "pre_tokenizer", where, stages);
        if (!byteLevelLast) {
            throw new TokenizerException(where + ": pre_tokenizer: expected a ByteLevel pre-tokenizer as the last "
                    + "stage (byte-level BPE), got " + describe(node.path("type")));
        }
        return stages.size() == 1 ? stages.getFirst() : new PreTokenizer.Sequence(stages);
    }

    /** Appends the stages of {@code node} to {@code stages}; returns whether the last one is ByteLevel. */
    private static boolean flattenPreTokenizer(JsonNode node, String path, String where, List<PreTokenizer> stages) {
        String type = node.path("type").asText("");
        switch (type) {
            case "Sequence" -> {
                JsonNode list = node.path("pretokenizers");
                boolean last = false;
                for (int i = 0; i < list.size(); i++) {
                    last = flattenPreTokenizer(list.get(i), path + ".pretokenizers[" + i + "]", where, stages);
                    if (last && i + 1 < list.size()) {
                        throw new TokenizerException(where + ": " + path + ": expected ByteLevel as the last "
                                + "pre-tokenizer, got it at position " + i + " of " + list.size());
                    }
                }
                return last;
            }
            case "Split" -> {
                JsonNode pattern = node.path("pattern");
                Pattern compiled;
                if (pattern.has("Regex")) {
                    compiled = Regexes.compile(pattern.path("Regex").asText(), where + ": " + path + ".pattern.Regex");
                } else if (pattern.has("String")) {
                    compiled = Pattern.compile(Pattern.quote(pattern.path("String").asText()));
                } else {
                    throw new TokenizerException(where + ": " + path + ".pattern: expected {\"Regex\": ...} or "
                            + "{\"String\": ...}, got " + pattern);
                }
                PreTokenizer.Behavior behavior = PreTokenizer.Behavior.parse(node.path("behavior").asText(),
                        where + ": " + path + ".behavior");
                stages.add(new PreTokenizer.Split(compiled, behavior, node.path("invert").asBoolean(false)));
                return false;
            }
            case "ByteLevel" -> {
                stages.add(PreTokenizer.ByteLevelSplit.of(node.path("add_prefix_space").asBoolean(false),
                        node.path("use_regex").asBoolean(true)));
                return true;
            }
            default -> throw new TokenizerException(where + ": " + path + ".type: expected Sequence, Split or "
                    + "ByteLevel (byte-level BPE pre-tokenizers), got " + describe(node.path("type")));
        }
    }

    /** The first special token of a TemplateProcessing "single" template (possibly inside a Sequence), or null. */
    private static String templateBos(JsonNode postProcessor) {
        if (postProcessor.path("type").asText().equals("Sequence")) {
            for (JsonNode p : postProcessor.path("processors")) {
                String bos = templateBos(p);
                if (bos != null) return bos;
            }
            return null;
        }
        if (!postProcessor.path("type").asText().equals("TemplateProcessing")) return null;
        JsonNode single = postProcessor.path("single");
        if (single.size() > 0 && single.get(0).has("SpecialToken")) {
            return single.get(0).path("SpecialToken").path("id").asText();
        }
        return null;
    }

    /** tokenizer_config.json writes a token as "..." or as {"content": "...", ...}; null when absent. */
    private static String tokenContent(JsonNode node) {
        if (node.isTextual()) return node.asText();
        if (node.isObject() && node.path("content").isTextual()) return node.path("content").asText();
        return null;
    }

    private static int lookupConfigToken(Map<String, Integer> tokenToId, String content, String field, String where) {
        Integer id = tokenToId.get(content);
        if (id == null) {
            throw new TokenizerException(where + ": " + field
                    + ": expected a token of the vocabulary, got " + Regexes.quote(content));
        }
        return id;
    }

    private static void requireNullOr(JsonNode model, String field, String where, String expected,
                                      Predicate<JsonNode> acceptable) {
        JsonNode n = model.path(field);
        if (!n.isNull() && !n.isMissingNode() && !acceptable.test(n)) {
            throw new TokenizerException(where + ": model." + field + ": expected " + expected + ", got " + n);
        }
    }

    private static String describe(JsonNode node) {
        if (node.isMissingNode()) return "nothing (missing)";
        if (node.isTextual()) return "\"" + node.asText() + "\"";
        return node.getNodeType().toString().toLowerCase();
    }

    private static JsonNode readJson(Path file) {
        try {
            return StrictJson.readOne(new ObjectMapper(), new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            throw new TokenizerException(file + ": tokenizer file not found");
        } catch (JsonProcessingException e) {
            // the parser quotes the character it stopped at: a binary file's would garble the terminal
            String message = e.getOriginalMessage().replaceAll("[\\p{Cntrl}&&[^\\n\\t]]", "?");
            throw new TokenizerException(file + ": not valid JSON: " + message
                    + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")", e);
        } catch (IOException e) {
            throw new TokenizerException(file + ": cannot read: " + IoErrors.reason(e), e);
        }
    }

    // ------------------------------------------------------------------------------------------------ encoding

    /** The ids of {@code text}, without BOS (HF: {@code encode(text, add_special_tokens=False)}). */
    public int[] encode(String text) {
        return encode(text, false);
    }

    /** The ids of {@code text}, preceded by the BOS id when {@code addBos} (the tokenizer must have a BOS token). */
    public int[] encode(String text, boolean addBos) {
        IntList ids = new IntList(Math.max(16, text.length() / 3));
        if (addBos) {
            if (bosId < 0) {
                throw new TokenizerException(source + ": encode with BOS: expected a bos_token (tokenizer_config.json "
                        + "or the post-processor template), got none");
            }
            ids.add(bosId);
        }
        List<String> pieces = new ArrayList<>();
        for (AddedTokens.Segment segment : addedTokens.split(text)) {
            if (segment.isAddedToken()) {
                ids.add(segment.id());
                continue;
            }
            pieces.clear();
            preTokenizer.split(segment.text(), pieces);
            for (String piece : pieces) {
                ids.addAll(bpe.encode(ByteLevel.encode(piece)));
            }
        }
        return ids.toArray();
    }

    // ------------------------------------------------------------------------------------------------ decoding

    /**
     * The exact bytes {@code ids} stand for: each token's byte-level characters mapped back to bytes (an added
     * token contributes its content). {@code skipSpecialTokens} leaves out added tokens marked special. An id the
     * tokenizer does not have (a model whose vocab_size is padded past the tokenizer's) stands for nothing, as in
     * HF tokenizers' decode, which drops ids it cannot map.
     */
    public byte[] decodeBytes(int[] ids, boolean skipSpecialTokens) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length * 4);
        for (int id : ids) {
            if (!contains(id) || (skipSpecialTokens && isSpecial(id))) continue;
            out.writeBytes(bytesOf(id));
        }
        return out.toByteArray();
    }

    /**
     * The text {@code ids} stand for: {@link #decodeBytes} read as UTF-8, with U+FFFD for each invalid sequence
     * (what HF's decode does, {@code String::from_utf8_lossy}); ids cut in the middle of a character give U+FFFD.
     */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        return new String(decodeBytes(ids, skipSpecialTokens), StandardCharsets.UTF_8);
    }

    /** A decoder fed one id at a time that only ever emits complete characters (see {@link StreamingDecoder}). */
    public StreamingDecoder streamingDecoder(boolean skipSpecialTokens) {
        return new StreamingDecoder(this, skipSpecialTokens);
    }

    /** The bytes one id decodes to. */
    byte[] bytesOf(int id) {
        checkId(id);
        return idToBytes[id];
    }

    // ------------------------------------------------------------------------------------------------ queries

    /** The token string of {@code id} (in the byte-level alphabet, e.g. "Ġworld"; an added token's content). */
    public String token(int id) {
        checkId(id);
        return idToToken[id];
    }

    /** The id of a token string (byte-level alphabet or added token content), if it is one. */
    public OptionalInt id(String token) {
        Integer id = tokenToId.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** Whether {@code id} is an added token marked special. */
    public boolean isSpecial(int id) {
        checkId(id);
        return special[id];
    }

    /** Whether {@code id} is one of this tokenizer's ids (its vocabulary or an added token). */
    public boolean contains(int id) {
        return id >= 0 && id < idToToken.length && idToToken[id] != null;
    }

    /** One more than the largest id (model vocabulary and added tokens). */
    public int vocabSize() {
        return idToToken.length;
    }

    public OptionalInt bosId() {
        return bosId < 0 ? OptionalInt.empty() : OptionalInt.of(bosId);
    }

    public OptionalInt eosId() {
        return eosId < 0 ? OptionalInt.empty() : OptionalInt.of(eosId);
    }

    /** Whether the files say a BOS should be added to encoded text (add_bos_token, or the template). */
    public boolean addBosToken() {
        return addBosToken;
    }

    /** Where this tokenizer was loaded from. */
    public String source() {
        return source;
    }

    private void checkId(int id) {
        if (!contains(id)) {
            throw new TokenizerException("token id: expected an id in the vocabulary of " + source + " (0.."
                    + (idToToken.length - 1) + "), got " + id);
        }
    }

    /** A growable int array. */
    private static final class IntList {
        private int[] a;
        private int size;

        IntList(int capacity) {
            a = new int[capacity];
        }

        void add(int v) {
            if (size == a.length) a = Arrays.copyOf(a, size * 2);
            a[size++] = v;
        }

        void addAll(int[] vs) {
            if (size + vs.length > a.length) a = Arrays.copyOf(a, Math.max(size * 2, size + vs.length));
            System.arraycopy(vs, 0, a, size, vs.length);
            size += vs.length;
        }

        int[] toArray() {
            return Arrays.copyOf(a, size);
        }
    }
}
