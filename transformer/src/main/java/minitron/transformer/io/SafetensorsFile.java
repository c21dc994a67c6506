package minitron.transformer.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import minitron.tensor.DType;
import minitron.tensor.Shape;
import minitron.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.Set;

/**
 * One memory-mapped {@code .safetensors} file. Layout (little-endian):
 * <pre>
 *   [8 bytes: N, u64 header length][N bytes: UTF-8 JSON header][data area: the tensors' bytes]
 *   header = {"__metadata__": {"format": "pt"}, NAME: {"dtype": "BF16", "shape": [r, c], "data_offsets": [begin, end]}, ...}
 * </pre>
 * Offsets are relative to the start of the data area. The whole file is mapped once through FFM
 * ({@link FileChannel#map(FileChannel.MapMode, long, long, Arena)}); {@link #tensor} wraps a slice of the mapping
 * without copying. Closing this file unmaps it: tensors obtained from it must not be used afterwards (their
 * reads then fail with an IllegalStateException instead of reading freed memory).
 *
 * <p>{@link #open} validates the header completely before returning, with the rules of the reference
 * implementation (huggingface/safetensors): header length at most {@value #MAX_HEADER_BYTES} bytes and inside the
 * file, valid UTF-8 JSON without duplicate keys, every dtype known (F32, BF16, F16 supported), every
 * {@code data_offsets} pair with begin &lt;= end inside the data area, shape x dtype size equal to the byte length,
 * and the tensors tiling the data area exactly: no overlap, no gap, no trailing bytes. Every problem is listed in
 * one {@link SafetensorsException} naming the file; nothing half-validated is returned.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** The reference implementation's limit (MAX_HEADER_SIZE = 100_000_000 in safetensors/src/tensor.rs). */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    /** Problems listed in one error message at most; the rest are counted. */
    private static final int MAX_PROBLEMS_LISTED = 20;

    static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** One tensor's header entry: offsets are bytes from the start of the data area, [begin, end). */
    public record Entry(String name, DType dtype, Shape shape, long begin, long end) {
        public long byteSize() {
            return end - begin;
        }
    }

    private final Path path;
    private final Arena arena;
    private final MemorySegment mapped;                 // the whole file
    private final long dataStart;                       // 8 + N
    private final Map<String, String> metadata;         // "__metadata__", empty when absent
    private final SequencedMap<String, Entry> entries;  // in data-offset order

    private SafetensorsFile(Path path, Arena arena, MemorySegment mapped, Header header) {
        this.path = path;
        this.arena = arena;
        this.mapped = mapped;
        this.dataStart = header.dataStart;
        this.metadata = header.metadata;
        this.entries = header.entries;
    }

    /** Maps and validates {@code path}. Throws {@link SafetensorsException} naming the file and every problem. */
    public static SafetensorsFile open(Path path) {
        requireLittleEndian();
        Arena arena = Arena.ofShared();
        boolean ok = false;
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            Header header = parseHeader(path.toString(), mapped);
            SafetensorsFile file = new SafetensorsFile(path, arena, mapped, header);
            ok = true;
            return file;
        } catch (NoSuchFileException e) {
            throw new SafetensorsException(path + ": no such file", e);
        } catch (IOException e) {
            throw new SafetensorsException(path + ": cannot read: " + IoErrors.reason(e), e);
        } finally {
            if (!ok) arena.close();
        }
    }

    public Path path() {
        return path;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    /** Tensor names in data-offset order. */
    public Set<String> names() {
        return Collections.unmodifiableSequencedSet(entries.sequencedKeySet());
    }

    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    public Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new SafetensorsException(path + ": no tensor named \"" + name + "\" (the file holds " + entries.size() + " tensors)");
        }
        return e;
    }

    public List<Entry> entries() {
        return List.copyOf(entries.values());
    }

    /** The tensor {@code name} as a contiguous view of the mapped file (no copy). Valid until {@link #close()}. */
    public Tensor tensor(String name) {
        Entry e = entry(name);
        MemorySegment slice = mapped.asSlice(dataStart + e.begin, e.byteSize());
        return Tensor.wrap(slice, e.dtype, e.shape);
    }

    /** Unmaps the file. Idempotent. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }

    // ---------------------------------------------------------------- dtype names

    /** The safetensors dtype name ("F32", "BF16", "F16") of a supported DType. */
    public static String dtypeName(DType dtype) {
        return switch (dtype) {
            case F32 -> "F32";
            case BF16 -> "BF16";
            case F16 -> "F16";
            case F64, I32 -> throw new SafetensorsException("safetensors: dtype " + dtype
                    + " is not supported for checkpoints (supported: F32, BF16, F16)");
        };
    }

    /** Every dtype name of the format (safetensors/src/tensor.rs Dtype), for telling "unsupported" from "unknown". */
    private static final Set<String> FORMAT_DTYPES = Set.of("BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0",
            "F4", "F6_E2M3", "F6_E3M2", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "C64", "F64", "I64", "U64");

    private static DType parseDtype(String name) {
        return switch (name) {
            case "F32" -> DType.F32;
            case "BF16" -> DType.BF16;
            case "F16" -> DType.F16;
            default -> null;
        };
    }

    // ---------------------------------------------------------------- header parsing and validation

    record Header(long dataStart, Map<String, String> metadata, SequencedMap<String, Entry> entries) {
    }

    /**
     * Parses and validates the header of a whole file held in {@code file}; {@code fileName} names it in errors.
     * Package-private so tests can feed corrupted bytes without a file.
     */
    static Header parseHeader(String fileName, MemorySegment file) {
        long fileSize = file.byteSize();
        if (fileSize < 8) {
            throw new SafetensorsException(fileName + ": " + fileSize + " bytes, too short for a safetensors file "
                    + "(expected at least the 8-byte header length)");
        }
        long n = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (n < 0 || n > MAX_HEADER_BYTES) {
            throw new SafetensorsException(fileName + ": header length " + Long.toUnsignedString(n)
                    + " is larger than the limit of " + MAX_HEADER_BYTES + " bytes (not a safetensors file, or corrupted)");
        }
        if (n > fileSize - 8) {
            throw new SafetensorsException(fileName + ": header length " + n + " runs past the end of the file ("
                    + fileSize + " bytes, so at most " + (fileSize - 8) + " header bytes; file truncated?)");
        }
        byte[] headerBytes = file.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(headerBytes)).toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(fileName + ": header is not valid UTF-8", e);
        }
        JsonNode root;
        try {
            root = StrictJson.readOne(JSON, text);
        } catch (JsonProcessingException e) {
            throw new SafetensorsException(fileName + ": header is not valid JSON: " + e.getOriginalMessage()
                    + " (header column " + e.getLocation().getColumnNr() + ")", e);
        }
        if (root == null || !root.isObject()) {
            throw new SafetensorsException(fileName + ": header must be a JSON object, got "
                    + (root == null || root.isMissingNode() ? "an empty header" : root.getNodeType()));
        }

        long dataStart = 8 + n;
        long dataSize = fileSize - dataStart;
        List<String> problems = new ArrayList<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> parsed = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = field.getKey();
            JsonNode value = field.getValue();
            if (name.equals("__metadata__")) {
                parseMetadata(value, metadata, problems);
                continue;
            }
            Entry e = parseEntry(name, value, problems);
            if (e != null) parsed.add(e);
        }

        // The tensors must tile the data area: sorted by offset, each begins where the previous ended.
        parsed.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        reportPastEnd(parsed, dataStart, fileSize, problems);
        parsed.removeIf(e -> e.end > dataSize);
        long expectedBegin = 0;
        Entry previous = null;
        for (Entry e : parsed) {
            if (e.begin < expectedBegin) {
                problems.add("tensors \"" + previous.name + "\" " + range(previous) + " and \"" + e.name + "\" "
                        + range(e) + " overlap");
            } else if (e.begin > expectedBegin) {
                problems.add("data bytes [" + expectedBegin + ", " + e.begin + ") belong to no tensor (gap before \""
                        + e.name + "\"; the reference implementation refuses gaps)");
            }
            if (previous == null || e.end > expectedBegin) {
                expectedBegin = Math.max(expectedBegin, e.end);
                previous = e;
            }
        }
        if (problems.isEmpty() && expectedBegin != dataSize) {
            problems.add("the data area has " + dataSize + " bytes but the tensors end at byte " + expectedBegin
                    + " (" + (dataSize - expectedBegin) + " trailing bytes)");
        }
        if (!problems.isEmpty()) {
            throw new SafetensorsException(describe(fileName, problems));
        }
        SequencedMap<String, Entry> entries = new LinkedHashMap<>();
        for (Entry e : parsed) entries.put(e.name, e);
        return new Header(dataStart, Collections.unmodifiableMap(metadata), entries);
    }

    /**
     * Tensors whose data would lie past the end of the file: one problem for all of them, since a cut file puts every
     * tensor after the cut there, and a list of a hundred of them says less than the sizes do.
     */
    private static void reportPastEnd(List<Entry> sortedByOffset, long dataStart, long fileSize, List<String> problems) {
        long dataSize = fileSize - dataStart;
        List<Entry> pastEnd = sortedByOffset.stream().filter(e -> e.end > dataSize).toList();
        if (pastEnd.isEmpty()) return;
        Entry first = pastEnd.getFirst();
        long needed = dataStart + pastEnd.stream().mapToLong(Entry::end).max().orElseThrow();
        String which = pastEnd.size() == 1
                ? "tensor \"" + first.name + "\": data_offsets " + range(first) + " end"
                : pastEnd.size() + " tensors end";
        String from = pastEnd.size() == 1 ? "" : ", from tensor \"" + first.name + "\" (data_offsets " + range(first) + ") on";
        problems.add(which + " outside the data area of " + dataSize + " bytes" + from + " (file of " + fileSize
                + " bytes, the header needs " + needed + "; truncated?)");
    }

    private static String range(Entry e) {
        return "[" + e.begin + ", " + e.end + ")";
    }

    static String describe(String fileName, List<String> problems) {
        StringBuilder sb = new StringBuilder(fileName).append(": invalid safetensors file");
        if (problems.size() == 1) {
            return sb.append(": ").append(problems.getFirst()).toString();
        }
        sb.append(" (").append(problems.size()).append(" problems):");
        for (int i = 0; i < Math.min(problems.size(), MAX_PROBLEMS_LISTED); i++) {
            sb.append("\n  - ").append(problems.get(i));
        }
        if (problems.size() > MAX_PROBLEMS_LISTED) {
            sb.append("\n  ... and ").append(problems.size() - MAX_PROBLEMS_LISTED).append(" more");
        }
        return sb.toString();
    }

    private static void parseMetadata(JsonNode value, Map<String, String> metadata, List<String> problems) {
        if (!value.isObject()) {
            problems.add("__metadata__ must be an object of strings, got " + value.getNodeType());
            return;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> m = it.next();
            if (!m.getValue().isTextual()) {
                problems.add("__metadata__." + m.getKey() + " must be a string, got " + m.getValue());
            } else {
                metadata.put(m.getKey(), m.getValue().textValue());
            }
        }
    }

    /** One tensor entry, or null with the problems added. */
    private static Entry parseEntry(String name, JsonNode value, List<String> problems) {
        String where = "tensor \"" + name + "\"";
        if (!value.isObject()) {
            problems.add(where + ": expected an object with dtype, shape, data_offsets, got " + value);
            return null;
        }
        JsonNode dtypeNode = value.get("dtype");
        JsonNode shapeNode = value.get("shape");
        JsonNode offsetsNode = value.get("data_offsets");
        if (dtypeNode == null || shapeNode == null || offsetsNode == null) {
            problems.add(where + ": missing " + (dtypeNode == null ? "dtype " : "") + (shapeNode == null ? "shape " : "")
                    + (offsetsNode == null ? "data_offsets" : "").trim());
            return null;
        }
        if (!dtypeNode.isTextual()) {
            problems.add(where + ": dtype must be a string, got " + dtypeNode);
            return null;
        }
        String dtypeName = dtypeNode.textValue();
        DType dtype = parseDtype(dtypeName);
        if (dtype == null) {
            problems.add(where + ": dtype " + dtypeName + (FORMAT_DTYPES.contains(dtypeName)
                    ? " is not supported (supported: F32, BF16, F16)"
                    : " is not a safetensors dtype (supported: F32, BF16, F16)"));
            return null;
        }
        if (!shapeNode.isArray()) {
            problems.add(where + ": shape must be an array of sizes, got " + shapeNode);
            return null;
        }
        int[] dims = new int[shapeNode.size()];
        for (int i = 0; i < dims.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToInt() || d.intValue() < 0) {
                problems.add(where + ": shape " + shapeNode + " must hold sizes in [0, 2^31)");
                return null;
            }
            dims[i] = d.intValue();
        }
        if (!offsetsNode.isArray() || offsetsNode.size() != 2 || !isLong(offsetsNode.get(0)) || !isLong(offsetsNode.get(1))) {
            problems.add(where + ": data_offsets must be [begin, end] with non-negative integers, got " + offsetsNode);
            return null;
        }
        long begin = offsetsNode.get(0).longValue();
        long end = offsetsNode.get(1).longValue();
        if (begin > end) {
            problems.add(where + ": data_offsets [" + begin + ", " + end + ") has begin > end");
            return null;
        }
        Shape shape = Shape.of(dims);
        long expectedBytes;
        try {
            expectedBytes = Math.multiplyExact(numelExact(dims), dtype.byteSize());
        } catch (ArithmeticException overflow) {
            problems.add(where + ": shape " + shape + " x " + dtypeName + " overflows 64 bits");
            return null;
        }
        if (expectedBytes != end - begin) {
            problems.add(where + ": shape " + shape + " x " + dtypeName + " (" + dtype.byteSize() + " bytes) = "
                    + expectedBytes + " bytes, but data_offsets [" + begin + ", " + end + ") hold " + (end - begin) + " bytes");
            return null;
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static boolean isLong(JsonNode node) {
        return node.isIntegralNumber() && node.canConvertToLong() && node.longValue() >= 0;
    }

    private static long numelExact(int[] dims) {
        long n = 1;
        for (int d : dims) n = Math.multiplyExact(n, d);
        return n;
    }

    static void requireLittleEndian() {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new SafetensorsException("safetensors: this JVM is big-endian; safetensors data is little-endian "
                    + "and tensors are read in native order, which is only implemented for little-endian machines");
        }
    }
}
