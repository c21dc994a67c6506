package minitron.transformer.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import minitron.tensor.FileDamage;
import minitron.transformer.tokenizer.BpeTrainer;
import minitron.transformer.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Randomly damaged data files, seeded ({@link FileDamage}): JSONL with "text", plain text, both gzipped, and a
 * token cache. Each is read and then works (every document's text there; every token and document start of the
 * cache readable, the cache split and cut into rows) or is refused with a {@link DataException} whose message names
 * the file; never another exception. {@link ReadersTest} and {@link TokenPipelineTest} check the messages of each
 * kind of damage one by one.
 */
class DamagedDataFilesFuzzTest {
    private static final int CASES = FileDamage.CASES;
    private static final long SEED = FileDamage.SEED;

    /** JSONL lines: escapes, non-ASCII, an empty text, another field, a blank line. */
    private static final String JSONL = """
            {"text": "The cat sat on the mat.\\nA second line."}
            {"text": "\\u00e9t\\u00e9 \\u4e2d\\u6587 \u00fcber", "id": 2}

            {"text": "", "meta": {"source": "x", "n": [1, 2.5, null]}}
            {"id": 4, "text": "tabs\\there and a \\"quote\\" and \\\\ backslash"}
            """;
    private static final String TEXT = "The cat sat on the mat.\n\u00e9t\u00e9 \u4e2d\u6587 \u00fcber\r\nlast line";

    @TempDir
    static Path shared;
    static Tokenizer bytes;
    static TokenizerId bytesId;

    @TempDir
    Path dir;

    @BeforeAll
    static void tokenizer() throws IOException {
        BpeTrainer none = new BpeTrainer(258, List.of("<s>", "</s>"));   // ids = bytes, BOS 256, EOS 257
        none.add("anything");
        BpeTrainer.write(none.train(), shared.resolve("bytes"));
        bytes = Tokenizer.load(shared.resolve("bytes"));
        bytesId = TokenizerId.of(shared.resolve("bytes"), bytes.vocabSize());
    }

    @Test
    void damagedJsonlFilesAreReadOrRefusedByName() throws IOException {
        Random random = new Random(SEED * 5 + 1);
        Path file = dir.resolve("data.jsonl");
        int refused = 0;
        for (int c = 0; c < CASES; c++) {
            StringBuilder how = new StringBuilder();
            byte[] damaged = FileDamage.jsonBytes(JSONL, random, how);
            Files.write(file, damaged);
            String what = "case " + c + " (" + how + ")";
            Readers.Result r = readOrRefusal(file, true, what);
            if (r == null) {
                refused++;
                continue;
            }
            // one document per non-blank line (lines end at \n only), each named FILE:LINE
            String text = Readers.decodeCounting(damaged).text();
            long nonBlank = List.of(text.split("\n", -1)).stream().filter(l -> !l.isBlank()).count();
            assertEquals(nonBlank, r.documents().size(), what);
            for (Document d : r.documents()) assertTrue(d.source().startsWith(file + ":"), what + ": " + d.source());
        }
        FileDamage.assertMixed(refused, CASES);
    }

    @Test
    void damagedPlainTextFilesAreRead() throws IOException {
        Random random = new Random(SEED * 5 + 2);
        Path file = dir.resolve("data.txt");
        byte[] good = TEXT.getBytes(StandardCharsets.UTF_8);
        for (int c = 0; c < CASES; c++) {
            StringBuilder how = new StringBuilder();
            byte[] damaged = FileDamage.bytes(good, good.length, random, how);
            Files.write(file, damaged);
            Readers.Result r = readOrRefusal(file, false, "case " + c + " (" + how + ")");
            // any bytes are a text: invalid UTF-8 is replaced and counted, never refused
            assertNotNull(r, "case " + c + " (" + how + ") refused");
            assertEquals(Readers.decodeCounting(damaged).text(), r.documents().getFirst().text());
        }
    }

    @Test
    void damagedGzipFilesAreReadOrRefusedByName() throws IOException {
        Random random = new Random(SEED * 5 + 3);
        byte[][] goods = {gzip(JSONL.getBytes(StandardCharsets.UTF_8)), gzip(TEXT.getBytes(StandardCharsets.UTF_8))};
        Path[] files = {dir.resolve("data.jsonl.gz"), dir.resolve("data.txt.gz")};
        int refused = 0;
        for (int c = 0; c < CASES; c++) {
            StringBuilder how = new StringBuilder();
            int k = c % 2;
            // 8 changes in 10 in the 10-byte header (flags, time, OS), the rest in the deflate data and trailer
            Files.write(files[k], FileDamage.bytes(goods[k], 10, random, how));
            Readers.Result r = readOrRefusal(files[k], k == 0, "case " + c + " " + files[k].getFileName() + " (" + how + ")");
            if (r == null) refused++;
        }
        FileDamage.assertMixed(refused, CASES);
    }

    /** The result, or null when refused by a DataException naming the file. */
    private static Readers.Result readOrRefusal(Path file, boolean jsonl, String what) {
        try {
            Readers.Result r = Readers.read(file, jsonl);
            for (Document d : r.documents()) {
                assertNotNull(d.text(), what);
                assertNotNull(d.source(), what);
            }
            for (String w : r.warnings()) assertTrue(w.startsWith(file + ": "), what + ": " + w);
            return r;
        } catch (DataException e) {
            assertTrue(e.getMessage().startsWith(file + ":"), what + ": " + e.getMessage());
            return null;
        } catch (IOException | RuntimeException | Error e) {
            fail(what + ": " + e, e);
            return null;
        }
    }

    // ------------------------------------------------------------------------------------------ token cache

    /** Header fields of the cache (offset, size), where a whole field is set to an odd value. */
    private static final int[][] FIELDS = {{8, 4}, {12, 4}, {16, 4}, {20, 4}, {24, 4}, {96, 8}, {104, 8}, {112, 4}};

    @Test
    void damagedTokenCachesAreOpenedOrRefusedByName() throws IOException {
        List<Document> docs = new ArrayList<>();
        for (String line : JSONL.split("\n")) docs.add(new Document("d" + docs.size(), line));
        Path built = dir.resolve("good.tok");
        TokenCache.build(built, docs, bytes, bytesId);
        byte[] good = Files.readAllBytes(built);
        int table = TokenCache.HEADER_BYTES + 8 * docs.size();
        Random random = new Random(SEED * 5 + 4);
        Path file = dir.resolve("data.tok");
        int refused = 0;
        for (int c = 0; c < CASES; c++) {
            StringBuilder how = new StringBuilder();
            // half the cases: bytes (8 in 10 in the header and the document starts); half: a whole field
            byte[] damaged = random.nextBoolean() ? FileDamage.bytes(good, table, random, how)
                    : damageField(good, docs.size(), random, how);
            Files.write(file, damaged);
            String what = "case " + c + " (" + how + ")";
            try (TokenCache cache = TokenCache.open(file)) {
                use(cache);
            } catch (DataException e) {
                refused++;
                assertTrue(e.getMessage().contains(file.toString()), what + ": " + e.getMessage());
                continue;
            } catch (IOException | RuntimeException | Error e) {
                fail(what + ": " + e, e);
            }
            // what a run does: reuse it when made from this tokenizer and data, else refuse naming it
            try {
                TokenCache.Opened o = TokenCache.openOrBuild(file, docs, bytes, bytesId, false);
                o.cache().close();
            } catch (DataException e) {
                assertTrue(e.getMessage().contains(file.toString()), what + ": " + e.getMessage());
            } catch (IOException | RuntimeException | Error e) {
                fail(what + ": openOrBuild: " + e, e);
            }
        }
        FileDamage.assertMixed(refused, CASES);
    }

    /** Every document start and token read, the stream split for validation and cut into rows. */
    private static void use(TokenCache cache) {
        for (long d = 0; d < cache.documentCount(); d++) cache.documentStart(d);
        int[] all = new int[(int) cache.tokenCount()];
        cache.tokens(0, all, 0, all.length);
        TokenDataset data = cache.dataset();
        if (data.length() < 2) return;
        TokenDataset[] split = data.splitTail(0.25);
        assertEquals(data.length(), split[0].length() + split[1].length());
        for (TokenDataset part : split) {
            try {
                int rows = part.rows(4);
                int[] row = new int[5];
                for (int r = 0; r < rows; r++) part.row(r, 4, row, 0);
            } catch (DataException e) {
                assertTrue(e.getMessage().contains(cache.file().toString()), e.getMessage());   // too short
            }
        }
    }

    /** One header field or document start set to an odd value: 0, -1, past the int range, 2^61 or 2^62 more. */
    private static byte[] damageField(byte[] good, int documents, Random random, StringBuilder how) {
        byte[] b = good.clone();
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int at, size;
        if (random.nextInt(4) == 0) {
            at = TokenCache.HEADER_BYTES + 8 * random.nextInt(documents);
            size = 8;
        } else {
            int[] f = FIELDS[random.nextInt(FIELDS.length)];
            at = f[0];
            size = f[1];
        }
        long old = size == 4 ? buf.getInt(at) : buf.getLong(at);
        long[] values = {0, 1, -1, old + 1, old - 1, 2, 4, Integer.MAX_VALUE, Integer.MIN_VALUE, 1L << 32, 1L << 31,
                old + (1L << 61), old + (1L << 62), old + (3L << 61), Long.MAX_VALUE, Long.MIN_VALUE, 256, 257};
        long v = values[random.nextInt(values.length)];
        if (size == 4) buf.putInt(at, (int) v);
        else buf.putLong(at, v);
        how.append("field at ").append(at).append(": ").append(old).append(" -> ").append(size == 4 ? (int) v : v);
        return b;
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }
}
