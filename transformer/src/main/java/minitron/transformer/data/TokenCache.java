package minitron.transformer.data;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import minitron.tensor.Parallel;
import minitron.transformer.io.AtomicFile;
import minitron.transformer.tokenizer.Tokenizer;

/**
 * A tokenized dataset on disk, memory-mapped for reading, so that a second run does not tokenize again.
 *
 * <p>Content: the packed token stream {@code [BOS doc1 EOS BOS doc2 EOS ...]} (every document framed by the
 * tokenizer's BOS and EOS, in document order) and the position of each document's BOS in it.
 *
 * <p>File layout, little-endian:
 * <pre>
 *   offset  size  field
 *        0     8  magic "MNTRTOKS"
 *        8     4  format version (1)
 *       12     4  bytes per token: 2 (u16, vocabulary <= 65536) or 4 (u32)
 *       16     4  vocabulary size of the tokenizer
 *       20     4  BOS id
 *       24     4  EOS id
 *       28     4  0 (reserved)
 *       32    32  SHA-256 of the tokenizer.json bytes
 *       64    32  SHA-256 of the data: for each document, its UTF-8 length (8 bytes, LE) then its UTF-8 bytes
 *       96     8  document count D
 *      104     8  token count N
 *      112     4  length L of the tokenizer name (UTF-8, at most 256 bytes)
 *      116     L  tokenizer name (for messages only)
 *      512   8*D  position of each document's BOS in the stream (u64)
 *  512+8*D   N*b  the tokens (b = bytes per token)
 * </pre>
 * A cache is used only when both SHA-256s match the tokenizer and the data of this run; otherwise
 * {@link #openOrBuild} rejects it with a message naming both tokenizers (or rebuilds it when asked). The file is
 * written to a temporary name and renamed, so a killed run never leaves a half-written cache under the real name.
 */
public final class TokenCache implements AutoCloseable {
    static final byte[] MAGIC = "MNTRTOKS".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    static final int HEADER_BYTES = 512;
    private static final int MAX_NAME_BYTES = 256;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final Arena arena;
    private final MemorySegment segment;
    private final int bytesPerToken;
    private final int vocabSize;
    private final int bosId;
    private final int eosId;
    private final String tokenizerSha256;
    private final String dataSha256;
    private final String tokenizerName;
    private final long documents;
    private final long tokens;
    private final long tokensOffset;

    /** What {@link #openOrBuild} did. */
    public enum Outcome { REUSED, BUILT, REBUILT }

    /** A cache and how it was obtained. */
    public record Opened(TokenCache cache, Outcome outcome, String message) {
    }

    private TokenCache(Path file, Arena arena, MemorySegment segment) {
        this.file = file;
        this.arena = arena;
        this.segment = segment;
        String where = "token cache " + file;
        if (segment.byteSize() < HEADER_BYTES) {
            throw new DataException(where + ": expected at least a " + HEADER_BYTES + "-byte header, got "
                    + segment.byteSize() + " bytes (truncated or not a token cache)");
        }
        byte[] magic = segment.asSlice(0, 8).toArray(ValueLayout.JAVA_BYTE);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new DataException(where + ": expected magic \"MNTRTOKS\", got \""
                    + new String(magic, StandardCharsets.ISO_8859_1) + "\" (not a token cache)");
        }
        int version = segment.get(U32, 8);
        if (version != VERSION) {
            throw new DataException(where + ": expected format version " + VERSION + ", got " + version
                    + " (delete the cache to rebuild it)");
        }
        this.bytesPerToken = segment.get(U32, 12);
        if (bytesPerToken != 2 && bytesPerToken != 4) {
            throw new DataException(where + ": expected 2 or 4 bytes per token, got " + bytesPerToken);
        }
        this.vocabSize = segment.get(U32, 16);
        this.bosId = segment.get(U32, 20);
        this.eosId = segment.get(U32, 24);
        this.tokenizerSha256 = HexFormat.of().formatHex(segment.asSlice(32, 32).toArray(ValueLayout.JAVA_BYTE));
        this.dataSha256 = HexFormat.of().formatHex(segment.asSlice(64, 32).toArray(ValueLayout.JAVA_BYTE));
        this.documents = segment.get(U64, 96);
        this.tokens = segment.get(U64, 104);
        int nameLength = segment.get(U32, 112);
        if (nameLength < 0 || nameLength > MAX_NAME_BYTES) {
            throw new DataException(where + ": expected a tokenizer name of at most " + MAX_NAME_BYTES
                    + " bytes, got length " + nameLength);
        }
        this.tokenizerName = new String(segment.asSlice(116, nameLength).toArray(ValueLayout.JAVA_BYTE),
                StandardCharsets.UTF_8);
        // the counts first: 8 * documents or tokens * bytesPerToken must not overflow (a count damaged into
        // 2^61 + D wrapped around to the right size, and reading its document starts ran off the file)
        long size = segment.byteSize();
        if (documents < 0 || tokens < 0 || documents > (size - HEADER_BYTES) / 8
                || tokens > (size - HEADER_BYTES - 8 * documents) / bytesPerToken) {
            throw new DataException(where + ": expected document and token counts that fit in its " + size
                    + " bytes, got " + documents + " documents and " + tokens + " tokens (truncated or corrupt; "
                    + "delete it to rebuild)");
        }
        this.tokensOffset = HEADER_BYTES + 8 * documents;
        long expected = tokensOffset + tokens * bytesPerToken;
        if (size != expected) {
            throw new DataException(where + ": expected " + expected + " bytes for " + documents + " documents and "
                    + tokens + " tokens, got " + segment.byteSize() + " (truncated or corrupt; delete it to rebuild)");
        }
    }

    /** Memory-maps an existing cache and checks its header and size. */
    public static TokenCache open(Path file) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment segment = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return new TokenCache(file, arena, segment);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * The cache at {@code file} for these documents and this tokenizer: reused when its tokenizer and data
     * SHA-256s match; when they do not, rebuilt if {@code rebuild}, else a {@link DataException} naming both
     * tokenizers (or saying the data changed) that ends with "delete it or rebuild it (--rebuild-cache)"; built when
     * there is none. A file that does not start with the cache's magic (nor is empty) is refused either way: it is
     * the user's, never replaced.
     */
    public static Opened openOrBuild(Path file, List<Document> docs, Tokenizer tokenizer, TokenizerId id,
                                     boolean rebuild) throws IOException {
        return openOrBuild(file, docs, tokenizer, id, rebuild, "delete it or rebuild it (--rebuild-cache)");
    }

    /** As {@link #openOrBuild(Path, List, Tokenizer, TokenizerId, boolean)}, with the refusal ending in {@code remedy}. */
    public static Opened openOrBuild(Path file, List<Document> docs, Tokenizer tokenizer, TokenizerId id,
                                     boolean rebuild, String remedy) throws IOException {
        String dataSha = dataSha256(docs);
        if (Files.exists(file)) {
            if (!startsWithMagic(file)) { // a file of the user's, not a cache of ours: never overwritten
                throw new DataException(file + ": not a token cache (it does not start with \"MNTRTOKS\"), so it "
                        + "is not replaced, even with --rebuild-cache; give another path");
            }
            String problem;
            try (TokenCache old = open(file)) {
                problem = old.mismatch(id, dataSha);
                if (problem == null) {
                    old.close();
                    return new Opened(open(file), Outcome.REUSED, "token cache " + file + ": reused (" + old.tokens
                            + " tokens, tokenizer " + id.name() + ")");
                }
            } catch (DataException e) {
                problem = e.getMessage();
            }
            if (!rebuild) {
                throw new DataException(problem + "; " + remedy);
            }
            build(file, docs, tokenizer, id);
            return new Opened(open(file), Outcome.REBUILT, problem + "; rebuilt");
        }
        build(file, docs, tokenizer, id);
        return new Opened(open(file), Outcome.BUILT, "token cache " + file + ": built");
    }

    /** True when the file begins with the cache's magic (an empty file counts too: there is nothing to lose). */
    private static boolean startsWithMagic(Path file) throws IOException {
        try (var in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(MAGIC.length);
            return head.length == 0 || Arrays.equals(head, MAGIC);
        }
    }

    /** Null when this cache is for that tokenizer and data, else why not. */
    String mismatch(TokenizerId id, String dataSha) {
        if (!tokenizerSha256.equals(id.sha256()) || vocabSize != id.vocabSize()) {
            return "token cache " + file + " was made with another tokenizer: " + tokenizerName + " (sha256 "
                    + tokenizerSha256.substring(0, 12) + "..., vocabulary " + vocabSize + "), this run uses "
                    + id.name() + " (sha256 " + id.sha256().substring(0, 12) + "..., vocabulary " + id.vocabSize() + ")";
        }
        if (!dataSha256.equals(dataSha)) {
            return "token cache " + file + " was made from other data (data sha256 " + dataSha256.substring(0, 12)
                    + "..., this run's data " + dataSha.substring(0, 12) + "...)";
        }
        return null;
    }

    /** SHA-256 of the documents' texts (see the class comment). */
    public static String dataSha256(List<Document> docs) {
        MessageDigest md = TokenizerId.digest();
        ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        for (Document d : docs) {
            byte[] utf8 = d.text().getBytes(StandardCharsets.UTF_8);
            length.clear();
            length.putLong(utf8.length);
            md.update(length.array());
            md.update(utf8);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Tokenizes the documents (in parallel, one task per range of documents) and writes the cache. */
    public static void build(Path file, List<Document> docs, Tokenizer tokenizer, TokenizerId id) throws IOException {
        if (docs.isEmpty()) {
            throw new DataException("token cache " + file + ": expected at least one document, got an empty dataset");
        }
        if (tokenizer.bosId().isEmpty() || tokenizer.eosId().isEmpty()) {
            throw new DataException("token cache " + file + ": expected a tokenizer with a BOS and an EOS token "
                    + "(tokenizer_config.json bos_token/eos_token), got " + (tokenizer.bosId().isEmpty() ? "no BOS" : "no EOS"));
        }
        if (tokenizer.vocabSize() != id.vocabSize()) {
            throw new DataException("token cache " + file + ": the tokenizer id says vocabulary " + id.vocabSize()
                    + ", the tokenizer has " + tokenizer.vocabSize());
        }
        int bos = tokenizer.bosId().getAsInt();
        int eos = tokenizer.eosId().getAsInt();
        int[][] ids = new int[docs.size()][];
        Parallel.forRange(docs.size(), 1, (start, end) -> {
            for (int d = start; d < end; d++) ids[d] = tokenizer.encode(docs.get(d).text(), false);
        });
        int bytesPerToken = id.vocabSize() <= 65536 ? 2 : 4;
        long total = 0;
        for (int[] doc : ids) total += doc.length + 2;

        byte[] name = id.name().getBytes(StandardCharsets.UTF_8);
        if (name.length > MAX_NAME_BYTES) name = Arrays.copyOfRange(name, name.length - MAX_NAME_BYTES, name.length);
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        header.put(MAGIC).putInt(VERSION).putInt(bytesPerToken).putInt(id.vocabSize()).putInt(bos).putInt(eos).putInt(0);
        header.put(HexFormat.of().parseHex(id.sha256()));
        header.put(HexFormat.of().parseHex(dataSha256(docs)));
        header.putLong(docs.size()).putLong(total).putInt(name.length).put(name);
        header.clear();

        AtomicFile.write(file, ch -> {
            AtomicFile.writeFully(ch, header);
            ByteBuffer starts = ByteBuffer.allocate(8 * docs.size()).order(ByteOrder.LITTLE_ENDIAN);
            long position = 0;
            for (int[] doc : ids) {
                starts.putLong(position);
                position += doc.length + 2;
            }
            starts.flip();
            AtomicFile.writeFully(ch, starts);
            ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (int[] doc : ids) {
                put(ch, buf, bos, bytesPerToken);
                for (int t : doc) put(ch, buf, t, bytesPerToken);
                put(ch, buf, eos, bytesPerToken);
            }
            buf.flip();
            AtomicFile.writeFully(ch, buf);
        });
    }

    private static void put(FileChannel ch, ByteBuffer buf, int token, int bytesPerToken) throws IOException {
        if (buf.remaining() < 4) {
            buf.flip();
            AtomicFile.writeFully(ch, buf);
            buf.clear();
        }
        if (bytesPerToken == 2) buf.putShort((short) token);
        else buf.putInt(token);
    }

    // ------------------------------------------------------------------------------------------------ reading

    /** Token {@code i} of the packed stream (0 <= i < {@link #tokenCount()}). */
    public int token(long i) {
        if (i < 0 || i >= tokens) {
            throw new DataException("token cache " + file + ": token index expected in [0, " + tokens + "), got " + i);
        }
        long offset = tokensOffset + i * bytesPerToken;
        return checkedId(bytesPerToken == 2 ? segment.get(U16, offset) & 0xFFFF : segment.get(U32, offset), i);
    }

    /** Copies tokens [start, start + out.length) into out. */
    public void tokens(long start, int[] out, int outOffset, int count) {
        if (start < 0 || start + count > tokens) {
            throw new DataException("token cache " + file + ": token range expected inside [0, " + tokens + "), got ["
                    + start + ", " + (start + count) + ")");
        }
        long offset = tokensOffset + start * bytesPerToken;
        if (bytesPerToken == 2) {
            for (int k = 0; k < count; k++) out[outOffset + k] = segment.get(U16, offset + 2L * k) & 0xFFFF;
        } else {
            for (int k = 0; k < count; k++) out[outOffset + k] = segment.get(U32, offset + 4L * k);
        }
        for (int k = 0; k < count; k++) checkedId(out[outOffset + k], start + k);
    }

    /**
     * The id, when the tokenizer has it. A cache holds only the tokenizer's ids, so another one is damage (the
     * header's checks do not read the stream); it is named here rather than as an embedding index out of range
     * in the middle of a training step.
     */
    private int checkedId(int id, long position) {
        if (id < 0 || id >= vocabSize) {
            throw new DataException("token cache " + file + ": token " + position + " is id " + Integer.toUnsignedString(id)
                    + ", expected an id of the tokenizer's vocabulary [0, " + vocabSize + ") (the file is damaged; "
                    + "delete it to rebuild)");
        }
        return id;
    }

    /** Position of document {@code d}'s BOS in the stream. */
    public long documentStart(long d) {
        if (d < 0 || d >= documents) {
            throw new DataException("token cache " + file + ": document index expected in [0, " + documents + "), got " + d);
        }
        return segment.get(U64, HEADER_BYTES + 8 * d);
    }

    public long tokenCount() {
        return tokens;
    }

    public long documentCount() {
        return documents;
    }

    public int bytesPerToken() {
        return bytesPerToken;
    }

    public int vocabSize() {
        return vocabSize;
    }

    public int bosId() {
        return bosId;
    }

    public int eosId() {
        return eosId;
    }

    public String tokenizerSha256() {
        return tokenizerSha256;
    }

    public String dataSha256() {
        return dataSha256;
    }

    public String tokenizerName() {
        return tokenizerName;
    }

    public Path file() {
        return file;
    }

    /** The whole stream as a dataset. */
    public TokenDataset dataset() {
        return new TokenDataset(this, 0, tokens);
    }

    /** Unmaps the file; the cache and its datasets must not be used afterwards. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}
