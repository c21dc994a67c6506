package minitron.transformer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import minitron.transformer.tokenizer.BpeTrainer;
import minitron.transformer.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Token caches, packing, splits and the batch loader, on a toy tokenizer whose ids are the bytes: a BPE trained
 * with no merges (vocabulary = 256 bytes + BOS 256 + EOS 257), so every expected layout can be written by hand.
 */
class TokenPipelineTest {
    static final int BOS = 256;
    static final int EOS = 257;

    @TempDir
    static Path shared;
    static Tokenizer bytes;
    static TokenizerId bytesId;
    static Tokenizer other;
    static TokenizerId otherId;

    @BeforeAll
    static void tokenizers() throws IOException {
        BpeTrainer none = new BpeTrainer(258, List.of("<s>", "</s>"));
        none.add("anything");
        BpeTrainer.write(none.train(), shared.resolve("bytes"));
        bytes = Tokenizer.load(shared.resolve("bytes"));
        bytesId = TokenizerId.of(shared.resolve("bytes"), bytes.vocabSize());

        BpeTrainer some = new BpeTrainer(260, List.of("<s>", "</s>"));
        some.add("abab abab");
        BpeTrainer.write(some.train(), shared.resolve("other"));
        other = Tokenizer.load(shared.resolve("other"));
        otherId = TokenizerId.of(shared.resolve("other"), other.vocabSize());
    }

    static List<Document> docs(String... texts) {
        List<Document> out = new ArrayList<>();
        for (int i = 0; i < texts.length; i++) out.add(new Document("doc" + i, texts[i]));
        return out;
    }

    static int[] all(TokenCache c) {
        int[] out = new int[(int) c.tokenCount()];
        c.tokens(0, out, 0, out.length);
        return out;
    }

    @Test
    void packsDocumentsBetweenBosAndEos(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("c.tok");
        TokenCache.build(file, docs("ab", "", "c"), bytes, bytesId);
        try (TokenCache c = TokenCache.open(file)) {
            assertArrayEquals(new int[] {BOS, 'a', 'b', EOS, BOS, EOS, BOS, 'c', EOS}, all(c));
            assertEquals(3, c.documentCount());
            assertEquals(0, c.documentStart(0));
            assertEquals(4, c.documentStart(1));
            assertEquals(6, c.documentStart(2));
            assertEquals(2, c.bytesPerToken());
            assertEquals(258, c.vocabSize());
            assertEquals(BOS, c.bosId());
            assertEquals(EOS, c.eosId());
            assertEquals(bytesId.sha256(), c.tokenizerSha256());
            assertEquals('b', c.token(2));
            // Header 512 bytes + 3 document starts + 9 u16 tokens.
            assertEquals(512 + 3 * 8 + 9 * 2, Files.size(file));
        }
    }

    @Test
    void headerFieldsAreWhereTheFormatSays(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("c.tok");
        TokenCache.build(file, docs("hi"), bytes, bytesId);
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals("MNTRTOKS", new String(Arrays.copyOf(b.array(), 8), StandardCharsets.US_ASCII));
        assertEquals(1, b.getInt(8));
        assertEquals(2, b.getInt(12));
        assertEquals(258, b.getInt(16));
        assertEquals(BOS, b.getInt(20));
        assertEquals(EOS, b.getInt(24));
        assertEquals(1, b.getLong(96));
        assertEquals(4, b.getLong(104));
        assertEquals(0, b.getLong(512));
        assertEquals(BOS, b.getShort(520));
        assertEquals('h', b.getShort(522));
    }

    @Test
    void secondRunReusesTheCacheAndAnotherTokenizerIsRejected(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("c.tok");
        List<Document> d = docs("abab", "ab");
        TokenCache.Opened first = TokenCache.openOrBuild(file, d, bytes, bytesId, false);
        assertEquals(TokenCache.Outcome.BUILT, first.outcome());
        int[] tokens = all(first.cache());
        first.cache().close();
        long modified = Files.getLastModifiedTime(file).toMillis();

        TokenCache.Opened second = TokenCache.openOrBuild(file, d, bytes, bytesId, false);
        assertEquals(TokenCache.Outcome.REUSED, second.outcome());
        assertArrayEquals(tokens, all(second.cache()));
        second.cache().close();
        assertEquals(modified, Files.getLastModifiedTime(file).toMillis());

        DataException rejected = assertThrows(DataException.class,
                () -> TokenCache.openOrBuild(file, d, other, otherId, false));
        assertTrue(rejected.getMessage().contains("was made with another tokenizer: " + bytesId.name()), rejected.getMessage());
        assertTrue(rejected.getMessage().contains("this run uses " + otherId.name()), rejected.getMessage());
        assertTrue(rejected.getMessage().endsWith("delete it or rebuild it (--rebuild-cache)"), rejected.getMessage());

        TokenCache.Opened rebuilt = TokenCache.openOrBuild(file, d, other, otherId, true);
        assertEquals(TokenCache.Outcome.REBUILT, rebuilt.outcome());
        // "abab" under the other tokenizer is fewer tokens than 4 bytes.
        assertTrue(rebuilt.cache().tokenCount() < tokens.length, rebuilt.cache().tokenCount() + " vs " + tokens.length);
        assertEquals(otherId.sha256(), rebuilt.cache().tokenizerSha256());
        rebuilt.cache().close();

        DataException changed = assertThrows(DataException.class,
                () -> TokenCache.openOrBuild(file, docs("abab", "abc"), other, otherId, false));
        assertTrue(changed.getMessage().contains("was made from other data"), changed.getMessage());
    }

    @Test
    void corruptOrTruncatedCachesAreErrors(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("c.tok");
        TokenCache.build(file, docs("hello"), bytes, bytesId);
        byte[] good = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(good, good.length - 1));
        DataException truncated = assertThrows(DataException.class, () -> TokenCache.open(file));
        assertTrue(truncated.getMessage().contains("truncated or corrupt"), truncated.getMessage());
        byte[] wrongMagic = good.clone();
        wrongMagic[0] = 'X';
        Files.write(file, wrongMagic);
        DataException magic = assertThrows(DataException.class, () -> TokenCache.open(file));
        assertTrue(magic.getMessage().contains("expected magic \"MNTRTOKS\", got \"XNTRTOKS\""), magic.getMessage());
        Files.write(file, new byte[10]);
        assertThrows(DataException.class, () -> TokenCache.open(file));
        // DamagedDataFilesFuzzTest case 153: a document count of 2^61 + 1: 8 * count wrapped around to the file's
        // size, the cache opened, and reading document start 1 was an IndexOutOfBoundsException
        byte[] hugeCount = good.clone();
        ByteBuffer.wrap(hugeCount).order(ByteOrder.LITTLE_ENDIAN).putLong(96, (1L << 61) + 1);
        Files.write(file, hugeCount);
        DataException count = assertThrows(DataException.class, () -> TokenCache.open(file));
        assertEquals("token cache " + file + ": expected document and token counts that fit in its " + good.length
                + " bytes, got 2305843009213693953 documents and 7 tokens (truncated or corrupt; delete it to rebuild)",
                count.getMessage());
        // a token id past the tokenizer's vocabulary: the header is fine, the stream is not; reading it names the
        // file and the position (it had reached the embedding as an index out of range)
        byte[] badId = good.clone();
        int second = TokenCache.HEADER_BYTES + 8 + 2;   // one document: token 1 (u16) after the BOS
        ByteBuffer.wrap(badId).order(ByteOrder.LITTLE_ENDIAN).putShort(second, (short) 0xFFFF);
        Files.write(file, badId);
        try (TokenCache c = TokenCache.open(file)) {
            assertEquals(2, c.bytesPerToken());
            assertEquals(c.bosId(), c.token(0));
            DataException id = assertThrows(DataException.class, () -> c.tokens(0, new int[3], 0, 3));
            assertEquals("token cache " + file + ": token 1 is id 65535, expected an id of the tokenizer's vocabulary "
                    + "[0, " + c.vocabSize() + ") (the file is damaged; delete it to rebuild)", id.getMessage());
            assertThrows(DataException.class, () -> c.token(1));
        }
        // openOrBuild with rebuild replaces a corrupt cache (one that starts with the magic) ...
        Files.write(file, Arrays.copyOf(good, good.length - 1));
        TokenCache.Opened o = TokenCache.openOrBuild(file, docs("hello"), bytes, bytesId, true);
        assertEquals(TokenCache.Outcome.REBUILT, o.outcome());
        o.cache().close();
    }

    @Test
    void rebuildNeverReplacesAFileThatIsNotACache(@TempDir Path dir) throws IOException {
        Path notes = dir.resolve("notes.txt");
        Files.writeString(notes, "a user's text, given as --out by mistake\n");
        DataException refused = assertThrows(DataException.class,
                () -> TokenCache.openOrBuild(notes, docs("hello"), bytes, bytesId, true));
        assertTrue(refused.getMessage().contains("not a token cache (it does not start with \"MNTRTOKS\"), so it is "
                + "not replaced, even with --rebuild-cache"), refused.getMessage());
        assertEquals("a user's text, given as --out by mistake\n", Files.readString(notes));
        // without rebuild the refusal is the same, not a remedy ("rebuild it (--rebuild-cache)") that is refused too
        DataException plain = assertThrows(DataException.class,
                () -> TokenCache.openOrBuild(notes, docs("hello"), bytes, bytesId, false));
        assertEquals(refused.getMessage(), plain.getMessage());
        Path empty = Files.createFile(dir.resolve("empty.tok"));
        TokenCache.Opened built = TokenCache.openOrBuild(empty, docs("hello"), bytes, bytesId, true);
        assertEquals(TokenCache.Outcome.REBUILT, built.outcome());
        built.cache().close();
    }

    @Test
    void emptyDatasetAndShortTextAreClearErrors(@TempDir Path dir) throws IOException {
        DataException empty = assertThrows(DataException.class,
                () -> TokenCache.build(dir.resolve("e.tok"), List.of(), bytes, bytesId));
        assertTrue(empty.getMessage().contains("expected at least one document, got an empty dataset"), empty.getMessage());

        Path file = dir.resolve("s.tok");
        TokenCache.build(file, docs("abc"), bytes, bytesId); // 5 tokens
        try (TokenCache c = TokenCache.open(file)) {
            assertEquals(1, c.dataset().rows(4));
            DataException shortText = assertThrows(DataException.class, () -> c.dataset().rows(5));
            assertTrue(shortText.getMessage().endsWith("the text is shorter than one sequence: 5 tokens, a sequence of 5 "
                    + "needs 6"), shortText.getMessage());
            DataException batch = assertThrows(DataException.class, () -> new BatchLoader(c.dataset(), 2, 4, 1));
            assertTrue(batch.getMessage().contains("1 rows of 5 tokens (5 tokens), a global batch of 2 x 1 rank(s) needs 2 rows"),
                    batch.getMessage());
        }
    }

    /** A cache of `docs` texts of lengths 1..n ("a", "bb", ...): a stream of known tokens. */
    static TokenCache sampleCache(Path dir, int n) throws IOException {
        List<Document> d = new ArrayList<>();
        for (int i = 0; i < n; i++) d.add(new Document("d" + i, String.valueOf((char) ('a' + i % 26)).repeat(i + 1)));
        Path file = dir.resolve("sample.tok");
        TokenCache.build(file, d, bytes, bytesId);
        return TokenCache.open(file);
    }

    @Test
    void rowsAreTPlusOneTokensWithStrideTAndTargetsShiftedByOne(@TempDir Path dir) throws IOException {
        try (TokenCache c = sampleCache(dir, 3)) {
            // Stream: BOS a EOS BOS b b EOS BOS c c c EOS  (12 tokens); T = 4: rows (12 - 1) / 4 = 2, 3 unused.
            int[] stream = {BOS, 'a', EOS, BOS, 'b', 'b', EOS, BOS, 'c', 'c', 'c', EOS};
            assertArrayEquals(stream, all(c));
            TokenDataset ds = c.dataset();
            assertEquals(2, ds.rows(4));
            assertEquals(3, ds.unusedTokens(4));
            BatchLoader loader = new BatchLoader(ds, 2, 4, 0, 0, 1, false);
            BatchLoader.Batch b = loader.next();
            // Row 0 = stream[0, 5), row 1 = stream[4, 9).
            assertArrayEquals(new int[] {BOS, 'a', EOS, BOS, /* row 1 */ 'b', 'b', EOS, BOS}, b.inputs());
            assertArrayEquals(new int[] {'a', EOS, BOS, 'b', /* row 1 */ 'b', EOS, BOS, 'c'}, b.targets());
            assertArrayEquals(new int[] {0, 1}, b.rows());
            assertEquals("[2, 4]", Arrays.toString(b.inputsTensor().shape().dims()));
        }
    }

    @Test
    void shufflingIsDeterministicBySeedAndCoversEveryRowOncePerEpoch(@TempDir Path dir) throws IOException {
        try (TokenCache c = sampleCache(dir, 60)) {
            TokenDataset ds = c.dataset();
            int t = 7;
            int rows = ds.rows(t);
            int batch = 3;
            BatchLoader a = new BatchLoader(ds, batch, t, 42);
            BatchLoader same = new BatchLoader(ds, batch, t, 42);
            BatchLoader otherSeed = new BatchLoader(ds, batch, t, 43);
            Set<Integer> seen = new HashSet<>();
            int[] row = new int[t + 1];
            boolean differs = false;
            for (int s = 0; s < a.stepsPerEpoch(); s++) {
                BatchLoader.Batch x = a.next();
                assertArrayEquals(x.inputs(), same.next().inputs());
                differs |= !Arrays.equals(x.inputs(), otherSeed.next().inputs());
                for (int b = 0; b < batch; b++) {
                    assertTrue(seen.add(x.rows()[b]), "row " + x.rows()[b] + " came twice in one epoch");
                    ds.row(x.rows()[b], t, row, 0);
                    assertArrayEquals(Arrays.copyOf(row, t), Arrays.copyOfRange(x.inputs(), b * t, (b + 1) * t));
                }
            }
            assertTrue(differs, "seeds 42 and 43 gave the same epoch");
            assertEquals(rows / batch * batch, seen.size());
            // Not in order: the first batch of the shuffled loader is not rows 0..2.
            BatchLoader ordered = new BatchLoader(ds, batch, t, 42, 0, 1, false);
            assertFalse(Arrays.equals(new BatchLoader(ds, batch, t, 42).next().inputs(), ordered.next().inputs()));
            // The next epoch is another permutation.
            BatchLoader.Batch e1 = a.next();
            assertEquals(1, e1.epoch());
            assertNotEquals(Arrays.toString(new BatchLoader(ds, batch, t, 42).next().inputs()), Arrays.toString(e1.inputs()));
        }
    }

    @Test
    void ranksTakeDisjointSlicesOfTheSameGlobalBatch(@TempDir Path dir) throws IOException {
        try (TokenCache c = sampleCache(dir, 60)) {
            TokenDataset ds = c.dataset();
            int t = 5;
            BatchLoader whole = new BatchLoader(ds, 4, t, 9, 0, 1, true);
            BatchLoader rank0 = new BatchLoader(ds, 2, t, 9, 0, 2, true);
            BatchLoader rank1 = new BatchLoader(ds, 2, t, 9, 1, 2, true);
            assertEquals(whole.stepsPerEpoch(), rank0.stepsPerEpoch());
            for (int s = 0; s < 2 * whole.stepsPerEpoch() + 1; s++) {
                int[] global = whole.next().inputs();
                int[] r0 = rank0.next().inputs();
                int[] r1 = rank1.next().inputs();
                assertArrayEquals(Arrays.copyOfRange(global, 0, 2 * t), r0, "step " + s);
                assertArrayEquals(Arrays.copyOfRange(global, 2 * t, 4 * t), r1, "step " + s);
            }
            DataException badRank = assertThrows(DataException.class, () -> new BatchLoader(ds, 2, t, 9, 2, 2, true));
            assertEquals("batch loader: expected 0 <= rank < world size, got rank 2, world size 2", badRank.getMessage());
        }
    }

    @Test
    void savedStateContinuesIdenticallyAcrossEpochs(@TempDir Path dir) throws IOException {
        try (TokenCache c = sampleCache(dir, 40)) {
            TokenDataset ds = c.dataset();
            BatchLoader uninterrupted = new BatchLoader(ds, 2, 6, 5);
            int total = 3 * uninterrupted.stepsPerEpoch() + 2;
            List<int[]> expected = new ArrayList<>();
            for (int s = 0; s < total; s++) expected.add(uninterrupted.next().targets());

            for (int cut : new int[] {0, 1, uninterrupted.stepsPerEpoch(), uninterrupted.stepsPerEpoch() + 3, total - 1}) {
                BatchLoader first = new BatchLoader(ds, 2, 6, 5);
                for (int s = 0; s < cut; s++) first.next();
                BatchLoader.State saved = first.state();
                BatchLoader resumed = new BatchLoader(ds, 2, 6, 5); // a fresh process
                resumed.restore(saved);
                for (int s = cut; s < total; s++) {
                    assertArrayEquals(expected.get(s), resumed.next().targets(), "cut " + cut + ", step " + s);
                }
            }
            BatchLoader.State wrongSeed = new BatchLoader(ds, 2, 6, 6).state();
            DataException e = assertThrows(DataException.class, () -> new BatchLoader(ds, 2, 6, 5).restore(wrongSeed));
            assertTrue(e.getMessage().startsWith("batch loader: cannot resume from"), e.getMessage());
        }
    }

    @Test
    void validationSplitIsDisjointCoversEverythingAndCutsAtADocument(@TempDir Path dir) throws IOException {
        try (TokenCache c = sampleCache(dir, 30)) {
            TokenDataset[] parts = c.dataset().splitTail(0.1);
            assertEquals(0, parts[0].start());
            assertEquals(parts[0].end(), parts[1].start());
            assertEquals(c.tokenCount(), parts[1].end());
            assertEquals(BOS, c.token(parts[1].start()), "the validation part starts at a document's BOS");
            long target = Math.round(c.tokenCount() * 0.9);
            assertTrue(parts[1].start() >= target, parts[1].start() + " < " + target);
            assertTrue(parts[1].length() > 0);
            // The rows of the two parts never share a token position.
            int t = 8;
            long trainLastTarget = parts[0].start() + (long) parts[0].rows(t) * t;
            assertTrue(trainLastTarget < parts[1].start());
        }
        // One long document: cut at the exact position.
        Path one = dir.resolve("one");
        Files.createDirectories(one);
        TokenCache.build(one.resolve("c.tok"), docs("x".repeat(98)), bytes, bytesId);
        try (TokenCache c = TokenCache.open(one.resolve("c.tok"))) {
            TokenDataset[] parts = c.dataset().splitTail(0.25);
            assertEquals(75, parts[0].length());
            assertEquals(25, parts[1].length());
        }
        DataException bad = assertThrows(DataException.class, () -> sampleCacheSplit(dir));
        assertEquals("validation split: fraction expected in (0, 1), got 1.0", bad.getMessage());
    }

    private static void sampleCacheSplit(Path dir) throws IOException {
        Path d = dir.resolve("bad");
        Files.createDirectories(d);
        try (TokenCache c = sampleCache(d, 2)) {
            c.dataset().splitTail(1.0);
        }
    }

    @Test
    void permutationIsAPermutationAndFixedForASeed() {
        int[] p = SplitMix64.permutation(1000, 123);
        int[] sorted = p.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) assertEquals(i, sorted[i]);
        assertArrayEquals(p, SplitMix64.permutation(1000, 123));
        // SplitMix64's first output for seed 0 (reference value of the published algorithm).
        assertEquals(0xE220A8397B1DCDAFL, new SplitMix64(0).nextLong());
    }
}
