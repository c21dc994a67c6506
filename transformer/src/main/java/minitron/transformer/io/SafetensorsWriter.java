package minitron.transformer.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron.tensor.DType;
import minitron.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * Writes {@code .safetensors} files byte for byte as the reference implementation (huggingface/safetensors,
 * {@code serialize_to_file}) does: u64 little-endian header length, compact JSON header with {@code __metadata__}
 * first, tensors sorted by descending dtype size then by name, the header padded with spaces to a multiple of 8
 * so every tensor starts 8-byte aligned in the file, then the tensors' bytes back to back.
 *
 * <p>Every file is written atomically ({@link AtomicFile}): a reader never sees a partial checkpoint file.
 * Above a size, {@link #writeSharded} splits the tensors into HF-named shards
 * ({@code model-00001-of-00003.safetensors}) with a {@code model.safetensors.index.json}.
 */
public final class SafetensorsWriter {
    private SafetensorsWriter() {
    }

    /** transformers' default {@code max_shard_size="5GB"} (decimal gigabytes). */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

    /** {@code {"format": "pt"}}: what transformers' save_pretrained writes, and what its loader checks for. */
    public static final Map<String, String> PT_METADATA = Map.of("format", "pt");

    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    /** Bytes copied from a tensor to the file per write call. */
    private static final int CHUNK_BYTES = 8 << 20;

    /** One tensor to write: the source (any strides, any dtype), the dtype it is stored in, its stored size. */
    private record Stored(String name, Tensor tensor, DType dtype, long byteSize) {
    }

    /**
     * Writes one file. {@code storeAs} converts every tensor on write (e.g. F32 master weights to BF16, rounding to
     * nearest even); null keeps each tensor's dtype. Non-contiguous views are written in row-major order.
     */
    public static void write(Path file, Map<String, Tensor> tensors, DType storeAs, Map<String, String> metadata)
            throws IOException {
        SafetensorsFile.requireLittleEndian();
        List<Stored> ordered = referenceOrder(tensors, storeAs);
        byte[] header = header(ordered, metadata);
        AtomicFile.write(file, channel -> {
            ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
            AtomicFile.writeFully(channel, length);
            AtomicFile.writeFully(channel, ByteBuffer.wrap(header));
            ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK_BYTES);
            for (Stored s : ordered) {
                writeData(channel, s, chunk);
            }
        });
    }

    /** {@link #write(Path, Map, DType, Map)} with {@link #PT_METADATA}. */
    public static void write(Path file, Map<String, Tensor> tensors, DType storeAs) throws IOException {
        write(file, tensors, storeAs, PT_METADATA);
    }

    /**
     * Writes a model's tensors into {@code directory}: one {@value #SINGLE_FILE} when they fit in
     * {@code maxShardBytes}, else shards filled in the map's order (a new shard starts when the next tensor would
     * push the current one past the limit; a tensor larger than the limit gets a shard of its own) plus
     * {@value #INDEX_FILE}, written last so that it only ever names complete shards. Checkpoint files of an earlier
     * save with another layout are removed afterwards, so the directory holds exactly one checkpoint.
     *
     * @return the files written, index last
     */
    public static List<Path> writeSharded(Path directory, SequencedMap<String, Tensor> tensors, DType storeAs,
                                          long maxShardBytes) throws IOException {
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("writeSharded: maxShardBytes must be positive, got " + maxShardBytes);
        }
        Files.createDirectories(directory);
        List<Map<String, Tensor>> shards = new ArrayList<>();
        Map<String, Tensor> current = new LinkedHashMap<>();
        long currentBytes = 0;
        long totalBytes = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            long bytes = e.getValue().numel() * (storeAs != null ? storeAs : e.getValue().dtype()).byteSize();
            if (!current.isEmpty() && currentBytes + bytes > maxShardBytes) {
                shards.add(current);
                current = new LinkedHashMap<>();
                currentBytes = 0;
            }
            current.put(e.getKey(), e.getValue());
            currentBytes += bytes;
            totalBytes += bytes;
        }
        if (!current.isEmpty() || shards.isEmpty()) shards.add(current);

        List<Path> written = new ArrayList<>();
        if (shards.size() == 1) {
            Path file = directory.resolve(SINGLE_FILE);
            write(file, shards.getFirst(), storeAs);
            written.add(file);
        } else {
            Map<String, String> weightMap = new TreeMap<>();
            for (int i = 0; i < shards.size(); i++) {
                String name = shardName(i + 1, shards.size());
                Path file = directory.resolve(name);
                write(file, shards.get(i), storeAs);
                written.add(file);
                for (String tensor : shards.get(i).keySet()) weightMap.put(tensor, name);
            }
            Path index = directory.resolve(INDEX_FILE);
            AtomicFile.write(index, indexJson(totalBytes, weightMap).getBytes(StandardCharsets.UTF_8));
            written.add(index);
        }
        removeStaleCheckpointFiles(directory, written);
        return written;
    }

    /** HF's shard file name: {@code model-00001-of-00003.safetensors} (1-based). */
    public static String shardName(int index, int count) {
        return String.format("model-%05d-of-%05d.safetensors", index, count);
    }

    // ---------------------------------------------------------------- header

    /** Descending dtype size, then name: the reference implementation's order (so data stays aligned). */
    private static List<Stored> referenceOrder(Map<String, Tensor> tensors, DType storeAs) {
        List<Stored> out = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            DType dtype = storeAs != null ? storeAs : e.getValue().dtype();
            SafetensorsFile.dtypeName(dtype);   // refuses F64 / I32 with a clear message
            out.add(new Stored(e.getKey(), e.getValue(), dtype, e.getValue().numel() * dtype.byteSize()));
        }
        out.sort(Comparator.comparingInt((Stored s) -> -referenceRank(s.dtype)).thenComparing(Stored::name));
        return out;
    }

    /** Position in the reference's Dtype enum, which is ordered by alignment: F16 < BF16 < F32. */
    private static int referenceRank(DType dtype) {
        return switch (dtype) {
            case F16 -> 0;
            case BF16 -> 1;
            case F32 -> 2;
            default -> throw new IllegalStateException("unreachable: " + dtype + " refused earlier");
        };
    }

    private static byte[] header(List<Stored> ordered, Map<String, String> metadata) throws IOException {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = root.putObject("__metadata__");
            new TreeMap<>(metadata).forEach(m::put);
        }
        long offset = 0;
        for (Stored s : ordered) {
            ObjectNode info = root.putObject(s.name);
            info.put("dtype", SafetensorsFile.dtypeName(s.dtype));
            ArrayNode shape = info.putArray("shape");
            for (int d : s.tensor.shape().dims()) shape.add(d);
            ArrayNode offsets = info.putArray("data_offsets");
            offsets.add(offset);
            offsets.add(offset + s.byteSize);
            offset += s.byteSize;
        }
        byte[] json = SafetensorsFile.JSON.writeValueAsBytes(root);
        int padded = (json.length + 7) / 8 * 8;   // the reference pads with spaces to a multiple of 8
        byte[] out = new byte[padded];
        System.arraycopy(json, 0, out, 0, json.length);
        for (int i = json.length; i < padded; i++) out[i] = ' ';
        return out;
    }

    // ---------------------------------------------------------------- data

    private static void writeData(FileChannel channel, Stored s, ByteBuffer chunk) throws IOException {
        DType target = s.dtype;
        Tensor t = s.tensor.dtype() == target ? s.tensor.contiguous() : s.tensor.to(target);
        long bytes = t.numel() * target.byteSize();
        MemorySegment source = t.data().asSlice(t.offset() * target.byteSize(), bytes);
        MemorySegment buffer = MemorySegment.ofBuffer(chunk.clear());   // the whole chunk (ofBuffer takes position..limit)
        for (long done = 0; done < bytes; ) {
            int n = (int) Math.min(CHUNK_BYTES, bytes - done);
            MemorySegment.copy(source, done, buffer, 0, n);
            chunk.clear().limit(n);
            AtomicFile.writeFully(channel, chunk);
            done += n;
        }
    }

    // ---------------------------------------------------------------- index

    /** {"metadata": {"total_size": N}, "weight_map": {tensor: shard, ...}} with keys sorted, as transformers writes it. */
    static String indexJson(long totalSize, Map<String, String> weightMap) throws JsonProcessingException {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.putObject("metadata").put("total_size", totalSize);
        ObjectNode map = root.putObject("weight_map");
        weightMap.forEach(map::put);
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
                .withSeparators(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                .withObjectIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n"));
        return SafetensorsFile.JSON.writer(printer).writeValueAsString(root) + "\n";
    }

    /** Removes model.safetensors, the index and model-*-of-*.safetensors files that this save did not write. */
    private static void removeStaleCheckpointFiles(Path directory, List<Path> written) throws IOException {
        Set<Path> keep = new HashSet<>();
        for (Path p : written) keep.add(p.getFileName());
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
            for (Path p : files) {
                String name = p.getFileName().toString();
                boolean checkpointFile = name.equals(SINGLE_FILE) || name.equals(INDEX_FILE)
                        || name.matches("model-\\d{5}-of-\\d{5}\\.safetensors");
                if (checkpointFile && !keep.contains(p.getFileName())) {
                    Files.delete(p);
                }
            }
        }
    }
}
