package minitron.transformer.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tiny tokenizer.json files built here, with results worked out by hand: BPE merge order, ignore_merges, both merge
 * encodings, added-token matching (longest first, lstrip, rstrip, single_word, special), Split behaviours, the
 * regex translation, the UTF-8 hold-back of the streaming decoder, and the errors for files that cannot be used.
 */
class TokenizerFilesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** ids 0..255: the byte-level alphabet in byte order, so the id of an ASCII character (' ' too) is its code. */
    private static final int FIRST_MERGED_ID = 256;

    /**
     * A GPT-2 style tokenizer.json (ByteLevel pre-tokenizer with its regex) over the 256 byte characters, with the
     * merges, in rank order: a+b, ab+c, b+c, Ġ+a, c+d. Extra vocabulary: "bcd" (no merge makes it).
     */
    static ObjectNode tinyTokenizer(boolean mergesAsPairs, boolean ignoreMerges) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "ByteLevel");
        pre.put("add_prefix_space", false);
        pre.put("use_regex", true);
        root.putObject("decoder").put("type", "ByteLevel");
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.put("ignore_merges", ignoreMerges);
        ObjectNode vocab = model.putObject("vocab");
        for (int b = 0; b < 256; b++) vocab.put(String.valueOf(ByteLevel.charOf(b)), b);
        String[][] merges = {{"a", "b"}, {"ab", "c"}, {"b", "c"}, {"Ġ", "a"}, {"c", "d"}};
        int id = FIRST_MERGED_ID;
        for (String[] m : merges) vocab.put(m[0] + m[1], id++);
        vocab.put("bcd", id++);
        ArrayNode mergeList = model.putArray("merges");
        for (String[] m : merges) {
            if (mergesAsPairs) mergeList.addArray().add(m[0]).add(m[1]);
            else mergeList.add(m[0] + " " + m[1]);
        }
        root.putArray("added_tokens");
        return root;
    }

    static final int AB = 256, ABC = 257, BC = 258, G_A = 259, CD = 260, BCD = 261;

    static void addToken(ObjectNode root, int id, String content, boolean special, boolean lstrip, boolean rstrip,
                         boolean singleWord) {
        ObjectNode t = ((ArrayNode) root.get("added_tokens")).addObject();
        t.put("id", id);
        t.put("content", content);
        t.put("single_word", singleWord);
        t.put("lstrip", lstrip);
        t.put("rstrip", rstrip);
        t.put("normalized", false);
        t.put("special", special);
    }

    Path write(ObjectNode root) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, root.toPrettyString());
        return file;
    }

    @Test
    void mergesApplyInRankOrder() throws IOException {
        Tokenizer t = Tokenizer.load(write(tinyTokenizer(false, false)));
        // a b c d: (a,b) has rank 0 -> ab; then (ab,c) rank 1 -> abc; (abc,d) has no merge.
        assertArrayEquals(new int[] {ABC, 'd'}, t.encode("abcd"));
        // b c d: (b,c) rank 2 beats (c,d) rank 4.
        assertArrayEquals(new int[] {BC, 'd'}, t.encode("bcd"));
        // " abc" is one GPT-2 piece: Ġ a b c: (a,b) rank 0 first, then (ab,c) rank 1; (Ġ,a) rank 3 never applies.
        assertArrayEquals(new int[] {' ', ABC}, t.encode(" abc"));
        // " a": Ġ a -> Ġa.
        assertArrayEquals(new int[] {G_A}, t.encode(" a"));
        // a a b: leftmost lowest rank is (a,b) at position 1.
        assertArrayEquals(new int[] {'a', AB}, t.encode("aab"));
        assertEquals("abcd bcd", t.decode(t.encode("abcd bcd"), false));
    }

    /** HF collects merges into a HashMap: a pair listed twice keeps its last rank (checked with HF 0.23.2). */
    @Test
    void aPairListedTwiceKeepsItsLastRank() throws IOException {
        ObjectNode root = tinyTokenizer(false, false);
        ((ArrayNode) root.get("model").get("merges")).add("a b"); // (a,b) now rank 5, after (b,c) at rank 2
        Tokenizer t = Tokenizer.load(write(root));
        assertArrayEquals(new int[] {'a', BC}, t.encode("abc"));
    }

    @Test
    void ignoreMergesMapsAWholePieceInTheVocabularyToItsId() throws IOException {
        Tokenizer merging = Tokenizer.load(write(tinyTokenizer(false, false)));
        assertArrayEquals(new int[] {BC, 'd'}, merging.encode("bcd"));
        Tokenizer ignoring = Tokenizer.load(write(tinyTokenizer(false, true)));
        assertArrayEquals(new int[] {BCD}, ignoring.encode("bcd"));
        assertArrayEquals(new int[] {ABC, 'd'}, ignoring.encode("abcd"), "abcd is not in the vocabulary: merges apply");
    }

    @Test
    void bothMergeEncodingsGiveTheSameIds() throws IOException {
        Tokenizer strings = Tokenizer.load(write(tinyTokenizer(false, false)));
        Tokenizer pairs = Tokenizer.load(write(tinyTokenizer(true, false)));
        for (String text : List.of("abcd", "bcd abc", " a b c d ", "cdcdab", "aaabbbccc", "x y z", "abc\n\nbcd")) {
            assertArrayEquals(strings.encode(text), pairs.encode(text), text);
        }
        assertArrayEquals(new int[] {ABC, 'd'}, pairs.encode("abcd"));
        assertArrayEquals(new int[] {CD}, pairs.encode("cd"), "(c,d) has a merge, so cd is one token");
    }

    /**
     * The expected ids were checked with HF tokenizers 0.23.2 (npm) on the same file; HF renumbers added tokens
     * whose ids leave a gap after the vocabulary (300 -> 262, ...), the segmentation is the same.
     */
    @Test
    void addedTokensAreMatchedBeforeBpeLongestFirst() throws IOException {
        ObjectNode root = tinyTokenizer(false, false);
        addToken(root, 300, "<x>", true, false, false, false);
        addToken(root, 301, "<x>>", true, false, false, false);
        addToken(root, 302, "[lst]", true, true, false, false);
        addToken(root, 303, "[rst]", true, false, true, false);
        addToken(root, 304, "[sw]", true, false, false, true);
        addToken(root, 305, "plain", false, false, false, false);
        addToken(root, 306, "é sp", false, false, false, false);
        Tokenizer t = Tokenizer.load(write(root));
        assertArrayEquals(new int[] {'a', 300, 'b'}, t.encode("a<x>b"));
        assertArrayEquals(new int[] {'a', 301, 'b'}, t.encode("a<x>>b"), "the longest token at a position wins");
        assertArrayEquals(new int[] {'a', 302, 'b'}, t.encode("a  [lst]b"), "lstrip takes the spaces before");
        assertArrayEquals(new int[] {'a', 303, 'b'}, t.encode("a[rst]  b"), "rstrip takes the spaces after");
        assertArrayEquals(new int[] {'a', ' ', 303, 'b'}, t.encode("a [rst] b"));
        assertArrayEquals(new int[] {'x', ' ', 304, ' ', 'y'}, t.encode("x [sw] y"));
        assertFalse(Arrays.stream(t.encode("x[sw]y")).anyMatch(id -> id == 304),
                "single_word: a word character next to it means no match");
        assertArrayEquals(new int[] {'a', 302, 'b'}, t.encode("a\u00A0 [lst]b"), "lstrip: any Unicode white space");
        assertArrayEquals(new int[] {302, ' ', 303, 302}, t.encode("[lst] [rst] [lst]"));
        assertArrayEquals(new int[] {305, 305}, t.encode("plainplain"));
        // Decoding: a special token is left out with skipSpecialTokens, a non-special one never.
        int[] ids = t.encode("<x>plain");
        assertEquals("<x>plain", t.decode(ids, false));
        assertEquals("plain", t.decode(ids, true));
        // Content that is not all byte-level characters (é and a real space) decodes to its own UTF-8 bytes.
        assertArrayEquals("é sp".getBytes(StandardCharsets.UTF_8), t.decodeBytes(new int[] {306}, false));
        // Ids the tokenizer lacks (a model vocabulary padded past it, or a gap) decode to nothing, as in HF tokenizers.
        int past = t.vocabSize();
        assertEquals("plain", t.decode(new int[] {-1, 305, past, past + 1000}, false));
        var stream = t.streamingDecoder(false);
        assertEquals("", stream.next(past));
        assertEquals("plain", stream.next(305));
        assertThrows(TokenizerException.class, () -> t.token(past), "the lookups that name one id stay strict");
    }

    /** Expected ids checked with HF tokenizers 0.23.2 on the same files (added-token ids renumbered, see above). */
    @Test
    void addPrefixSpaceIsAddedToEveryPiece() throws IOException {
        ObjectNode gpt2 = tinyTokenizer(false, false);
        ((ObjectNode) gpt2.get("pre_tokenizer")).put("add_prefix_space", true);
        addToken(gpt2, 300, "<x>", true, false, false, false);
        addToken(gpt2, 302, "[lst]", true, true, false, false);
        Tokenizer t = Tokenizer.load(write(gpt2));
        assertArrayEquals(new int[] {G_A, 300, ' ', 'b', ' ', 'c'}, t.encode("a<x>b c"), "each text segment gets one");
        assertArrayEquals(new int[] {' ', ABC}, t.encode("abc"));
        assertArrayEquals(new int[] {' ', ABC}, t.encode(" abc"), "not added when the piece starts with a space");
        assertArrayEquals(new int[] {G_A, '1', 'b', '2', 'c'}, t.encode("a1b2c"));
        assertArrayEquals(new int[] {G_A, 302, ' ', 'b'}, t.encode("a [lst]b"));
        assertArrayEquals(new int[0], t.encode(""));

        ObjectNode sequence = gpt2.deepCopy();
        ObjectNode pre = sequence.putObject("pre_tokenizer");
        pre.put("type", "Sequence");
        ArrayNode stages = pre.putArray("pretokenizers");
        ObjectNode split = stages.addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", "\\d");
        split.put("behavior", "Isolated");
        split.put("invert", false);
        stages.addObject().put("type", "ByteLevel").put("add_prefix_space", true).put("use_regex", false);
        Tokenizer s = Tokenizer.load(write(sequence));
        assertArrayEquals(new int[] {G_A, ' ', '1', ' ', 'b', ' ', '2', ' ', 'c'}, s.encode("a1b2c"),
                "after a Split, every piece gets a prefix space");
    }

    @Test
    void splitBehavioursFollowHuggingFace() {
        // The examples of HF's documentation of SplitDelimiterBehavior, pattern "-".
        Pattern dash = Pattern.compile(Pattern.quote("-"));
        String text = "the-final--countdown";
        assertEquals(List.of("the", "-", "final", "-", "-", "countdown"), split(dash, PreTokenizer.Behavior.ISOLATED, text));
        assertEquals(List.of("the", "final", "countdown"), split(dash, PreTokenizer.Behavior.REMOVED, text));
        assertEquals(List.of("the-", "final-", "-", "countdown"),
                split(dash, PreTokenizer.Behavior.MERGED_WITH_PREVIOUS, text));
        assertEquals(List.of("the", "-final", "-", "-countdown"), split(dash, PreTokenizer.Behavior.MERGED_WITH_NEXT, text));
        assertEquals(List.of("the", "-", "final", "--", "countdown"), split(dash, PreTokenizer.Behavior.CONTIGUOUS, text));
    }

    private static List<String> split(Pattern p, PreTokenizer.Behavior behavior, String text) {
        List<String> out = new ArrayList<>();
        new PreTokenizer.Split(p, behavior, false).split(text, out);
        return out;
    }

    @Test
    void regexTranslationHandlesOnigurumaSpellings() {
        assertEquals("\\p{IsHan}+|\\P{IsL}", Regexes.translate("\\p{Han}+|\\p{^L}", "test"));
        assertEquals("\\p{IsL}\\p{IsN}", Regexes.translate("\\p{L}\\p{N}", "test"));
        assertTrue(Regexes.compile("\\p{Han}+", "test").matcher("漢字").matches());
        // \s is Unicode White_Space, as in Oniguruma: the no-break and ideographic spaces are spaces.
        assertTrue(Regexes.compile("\\s+", "test").matcher("\u00A0\u3000\u2028\u0085").matches());
        // (?i:'s) folds case by Unicode rules: 'S and 'ſ (long s) match.
        Pattern contraction = Regexes.compile("(?i:'s)", "test");
        assertTrue(contraction.matcher("'S").matches() && contraction.matcher("'ſ").matches());
        TokenizerException e = assertThrows(TokenizerException.class, () -> Regexes.compile("\\h+", "f.json: pattern"));
        assertTrue(e.getMessage().startsWith("f.json: pattern") && e.getMessage().contains("\\h"), e.getMessage());
    }

    @Test
    void streamingDecoderHoldsOnlyBytesThatCanStillFormACharacter() {
        assertEquals(0, StreamingDecoder.completePrefixLength(new byte[0]));
        assertEquals(1, StreamingDecoder.completePrefixLength(bytes(0x41)));
        assertEquals(0, StreamingDecoder.completePrefixLength(bytes(0xF0, 0x9F)), "start of an emoji: held");
        assertEquals(0, StreamingDecoder.completePrefixLength(bytes(0xF0, 0x9F, 0x91)));
        assertEquals(4, StreamingDecoder.completePrefixLength(bytes(0xF0, 0x9F, 0x91, 0x8D)));
        assertEquals(1, StreamingDecoder.completePrefixLength(bytes(0x41, 0xE2, 0x82)));
        assertEquals(3, StreamingDecoder.completePrefixLength(bytes(0xE2, 0x82, 0xAC)));
        assertEquals(1, StreamingDecoder.completePrefixLength(bytes(0x80)), "stray continuation: not held");
        assertEquals(1, StreamingDecoder.completePrefixLength(bytes(0xC0)), "C0 can never start a character");
        assertEquals(1, StreamingDecoder.completePrefixLength(bytes(0xF5)), "F5 can never start a character");
        assertEquals(2, StreamingDecoder.completePrefixLength(bytes(0xE0, 0x80)), "overlong: never valid");
        assertEquals(2, StreamingDecoder.completePrefixLength(bytes(0xED, 0xA0)), "surrogate: never valid");
        assertEquals(2, StreamingDecoder.completePrefixLength(bytes(0xF4, 0x90)), "above U+10FFFF: never valid");
        assertEquals(0, StreamingDecoder.completePrefixLength(bytes(0xC3)), "a lone 2-byte lead: held");
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) b[i] = (byte) values[i];
        return b;
    }

    @Test
    void unsupportedModelTypeNamesTheFileAndTheType() throws IOException {
        for (String type : List.of("WordPiece", "Unigram", "WordLevel")) {
            ObjectNode root = tinyTokenizer(false, false);
            ((ObjectNode) root.get("model")).put("type", type);
            Path file = write(root);
            TokenizerException e = assertThrows(TokenizerException.class, () -> Tokenizer.load(file));
            assertTrue(e.getMessage().startsWith(file.toString()) && e.getMessage().contains("\"" + type + "\"")
                    && e.getMessage().contains("BPE"), e.getMessage());
        }
    }

    @Test
    void missingFileIsAClearError() {
        Path missing = dir.resolve("nope/tokenizer.json");
        TokenizerException e = assertThrows(TokenizerException.class, () -> Tokenizer.load(missing));
        assertEquals(missing + ": tokenizer file not found", e.getMessage());
        TokenizerException inDir = assertThrows(TokenizerException.class, () -> Tokenizer.load(dir));
        assertTrue(inDir.getMessage().contains(dir.resolve("tokenizer.json").toString()), inDir.getMessage());
    }

    @Test
    void brokenFilesAreClearErrors() throws IOException {
        Path notJson = dir.resolve("tokenizer.json");
        Files.writeString(notJson, "{\"model\": ");
        TokenizerException e = assertThrows(TokenizerException.class, () -> Tokenizer.load(notJson));
        assertTrue(e.getMessage().startsWith(notJson + ": not valid JSON"), e.getMessage());
        Files.writeString(notJson, "{\"model\": {}}\n{\"model\": {}}\n");
        e = assertThrows(TokenizerException.class, () -> Tokenizer.load(notJson));
        assertEquals(notJson + ": not valid JSON: extra data after the JSON value: \"{\"model\": {}}\" (line 2, column 1)",
                e.getMessage());

        ObjectNode badMerge = tinyTokenizer(false, false);
        ((ArrayNode) badMerge.get("model").get("merges")).add("q zz");
        Path f1 = write(badMerge);
        e = assertThrows(TokenizerException.class, () -> Tokenizer.load(f1));
        assertTrue(e.getMessage().contains("model.merges[5]") && e.getMessage().contains("\"zz\""), e.getMessage());

        ObjectNode metaspace = tinyTokenizer(false, false);
        metaspace.putObject("pre_tokenizer").put("type", "Metaspace");
        Path f2 = write(metaspace);
        e = assertThrows(TokenizerException.class, () -> Tokenizer.load(f2));
        assertTrue(e.getMessage().contains("pre_tokenizer.type") && e.getMessage().contains("Metaspace"), e.getMessage());

        ObjectNode normalizer = tinyTokenizer(false, false);
        normalizer.putObject("normalizer").put("type", "NFKC");
        Path f3 = write(normalizer);
        e = assertThrows(TokenizerException.class, () -> Tokenizer.load(f3));
        assertTrue(e.getMessage().contains("normalizer") && e.getMessage().contains("NFKC"), e.getMessage());

        // HF applies truncation and padding on every encode; not implemented here, so refused rather than ignored
        ObjectNode truncating = tinyTokenizer(false, false);
        truncating.putObject("truncation").put("max_length", 3);
        Path f4 = write(truncating);
        e = assertThrows(TokenizerException.class, () -> Tokenizer.load(f4));
        assertTrue(e.getMessage().startsWith(f4 + ": truncation: expected null") && e.getMessage().contains("max_length"),
                e.getMessage());

        Files.writeString(notJson, "");
        e = assertThrows(TokenizerException.class, () -> Tokenizer.load(notJson));
        assertEquals(notJson + ": the file is empty, expected a JSON object", e.getMessage());

        Files.write(notJson, new byte[] {0, 1, 2, 'x'});
        e = assertThrows(TokenizerException.class, () -> Tokenizer.load(notJson));
        assertTrue(e.getMessage().chars().noneMatch(c -> c < 0x20), "no control characters echoed: " + e.getMessage());

        // DamagedFilesFuzzTest, tokenizer case 2010 at -Dfuzz.cases=5000: an id 1709 damaged into 1e09 passed
        // canConvertToInt and sized the id tables for a billion ids (an OutOfMemoryError); 1.5 was read as 1
        for (String id : List.of("1e09", "1.5")) {
            Path f5 = dir.resolve("float-id.json");
            Files.writeString(f5, tinyTokenizer(false, false).toPrettyString().replace("\"bcd\" : 261", "\"bcd\" : " + id));
            e = assertThrows(TokenizerException.class, () -> Tokenizer.load(f5));
            assertEquals(f5 + ": model.vocab[\"bcd\"]: expected a non-negative integer id, got "
                    + JSON.readTree(id), e.getMessage());
        }
        // DamagedFilesFuzzTest tokenizer case 362 at -Dfuzz.seed=7: a byte-level character damaged out of the
        // vocabulary; the file loads (HF's does too) and encoding that byte fails, with a message that named no file
        ObjectNode noZ = tinyTokenizer(false, false);
        ((ObjectNode) noZ.get("model").get("vocab")).remove("z");
        Path f7 = write(noZ);
        Tokenizer t = Tokenizer.load(f7);
        e = assertThrows(TokenizerException.class, () -> t.encode("az"));
        assertEquals(f7 + ": BPE: expected every byte-level character in model.vocab, got \"z\" (U+7A) missing",
                e.getMessage());
        // an added token's id of -1 (seen with that check) was an ArrayIndexOutOfBoundsException
        ObjectNode negative = tinyTokenizer(false, false);
        addToken(negative, -1, "<s>", true, false, false, false);
        Path f6 = write(negative);
        e = assertThrows(TokenizerException.class, () -> Tokenizer.load(f6));
        assertTrue(e.getMessage().startsWith(f6 + ": added_tokens[0]: expected a non-negative integer \"id\" and a "
                + "string \"content\", got {\"id\":-1,"), e.getMessage());
        // a whole but huge id would size the id tables to it: refused above Tokenizer.MAX_ID, in the vocab and in
        // the added tokens (one below is accepted)
        Path f8 = dir.resolve("huge-id.json");
        Files.writeString(f8, tinyTokenizer(false, false).toPrettyString().replace("\"bcd\" : 261", "\"bcd\" : 2000000000"));
        e = assertThrows(TokenizerException.class, () -> Tokenizer.load(f8));
        assertTrue(e.getMessage().startsWith(f8 + ": model.vocab[\"bcd\"]: expected an id of at most 16777215 (")
                && e.getMessage().endsWith("), got 2000000000"), e.getMessage());
        ObjectNode hugeAdded = tinyTokenizer(false, false);
        addToken(hugeAdded, Tokenizer.MAX_ID + 1, "<s>", true, false, false, false);
        Path f9 = write(hugeAdded);
        e = assertThrows(TokenizerException.class, () -> Tokenizer.load(f9));
        assertTrue(e.getMessage().startsWith(f9 + ": added_tokens[0]: expected an id of at most 16777215"), e.getMessage());
        ObjectNode largest = tinyTokenizer(false, false);
        addToken(largest, Tokenizer.MAX_ID, "<s>", true, false, false, false);
        assertEquals(Tokenizer.MAX_ID + 1, Tokenizer.load(write(largest)).vocabSize());
    }

    @Test
    void tokenizerConfigGivesBosAndEos() throws IOException {
        ObjectNode root = tinyTokenizer(false, false);
        addToken(root, 300, "<s>", true, false, false, false);
        addToken(root, 301, "</s>", true, false, false, false);
        write(root);
        Tokenizer without = Tokenizer.load(dir);
        assertTrue(without.bosId().isEmpty());
        assertThrows(TokenizerException.class, () -> without.encode("a", true));
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"bos_token\": {\"content\": \"<s>\"}, \"eos_token\": \"</s>\", \"add_bos_token\": true}");
        Tokenizer with = Tokenizer.load(dir);
        assertEquals(300, with.bosId().orElseThrow());
        assertEquals(301, with.eosId().orElseThrow());
        assertTrue(with.addBosToken());
        assertArrayEquals(new int[] {300, ABC}, with.encode("abc", true));
        assertArrayEquals(new int[] {ABC}, with.encode("abc"));

        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<bos>\"}");
        TokenizerException e = assertThrows(TokenizerException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().startsWith(dir.resolve("tokenizer_config.json") + ": bos_token")
                && e.getMessage().contains("\"<bos>\""), e.getMessage());

        // add_bos_token without any BOS: HF's fast Llama tokenizer raises too, rather than adding nothing
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"add_bos_token\": true}");
        e = assertThrows(TokenizerException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains("add_bos_token is true, but there is no bos_token"), e.getMessage());

        Files.writeString(dir.resolve("tokenizer_config.json"), "\"<s>\"");
        e = assertThrows(TokenizerException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().startsWith(dir.resolve("tokenizer_config.json") + ": expected a JSON object"), e.getMessage());
    }
}
