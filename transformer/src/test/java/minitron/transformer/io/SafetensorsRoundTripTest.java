package minitron.transformer.io;

import minitron.tensor.DType;
import minitron.tensor.Tensor;
import minitron.tensor.TestTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

import static minitron.transformer.io.FixtureValues.bits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Write then read gives bit-identical tensors: every dtype, single and sharded, non-contiguous sources. */
class SafetensorsRoundTripTest {

    /** F32 values whose bits a sloppy path would change: NaN payloads, -0.0, infinities, subnormals, extremes. */
    private static Tensor trickyF32() {
        float[] v = {Float.intBitsToFloat(0x7FC00001), Float.intBitsToFloat(0xFF800123), -0.0f, 0.0f,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_NORMAL / 3,
                Float.MAX_VALUE, -Float.MAX_VALUE, 1.0f / 3, (float) Math.PI, 65504f, 1e-8f, -7.5f, 12345.678f, 0.1f};
        return Tensor.of(v, 17);
    }

    /** Every 16-bit pattern (NaNs, subnormals, both zeros) in a BF16 or F16 tensor. */
    private static Tensor allHalfPatterns(DType dtype) {
        Tensor t = Tensor.zeros(dtype, 256, 256);
        for (int i = 0; i < 65536; i++) t.data().setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) i);
        return t;
    }

    private static SequencedMap<String, Tensor> everyDtype() {
        SequencedMap<String, Tensor> m = new LinkedHashMap<>();
        m.put("f32.tricky", trickyF32());
        m.put("f32.odd", TestTensors.uniform(1, 3, 17, 5));
        m.put("bf16.all", allHalfPatterns(DType.BF16));
        m.put("f16.all", allHalfPatterns(DType.F16));
        m.put("bf16.odd", TestTensors.uniform(2, DType.BF16, 13, 7));
        m.put("f16.odd", TestTensors.uniform(3, DType.F16, 31));
        m.put("scalar", Tensor.scalar(-2.5f));
        m.put("empty", Tensor.zeros(DType.BF16, 0, 4));
        return m;
    }

    private static void assertBitIdentical(Map<String, Tensor> expected, Map<String, Tensor> actual) {
        assertEquals(new TreeMap<>(expected).keySet(), new TreeMap<>(actual).keySet());
        for (String name : expected.keySet()) {
            Tensor e = expected.get(name), a = actual.get(name);
            assertEquals(e.dtype(), a.dtype(), name);
            assertEquals(e.shape(), a.shape(), name);
            assertArrayEquals(bits(e), bits(a), name);
        }
    }

    @Test
    void singleFileEveryDtypeBitIdentical(@TempDir Path dir) throws IOException {
        SequencedMap<String, Tensor> tensors = everyDtype();
        Path file = dir.resolve("all.safetensors");
        SafetensorsWriter.write(file, tensors, null);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(Map.of("format", "pt"), f.metadata());
            Map<String, Tensor> read = new LinkedHashMap<>();
            for (String name : f.names()) read.put(name, f.tensor(name));
            assertBitIdentical(tensors, read);
            // Mapped, not copied: the tensors live in the read-only file mapping.
            Tensor w = f.tensor("f32.odd");
            assertTrue(w.data().isNative() && w.data().isReadOnly(), "a view of the mapping");
        }
    }

    @Test
    void tensorsOfAClosedFileCannotBeRead(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("x.safetensors");
        SafetensorsWriter.write(file, Map.of("x", TestTensors.uniform(4, 3, 3)), null);
        SafetensorsFile f = SafetensorsFile.open(file);
        Tensor t = f.tensor("x");
        f.close();
        f.close();   // idempotent
        assertThrows(IllegalStateException.class, () -> t.get(0, 0));
    }

    @Test
    void nonContiguousSourcesAreWrittenRowMajor(@TempDir Path dir) throws IOException {
        Tensor strided = TestTensors.strided(5, 7, 9);                 // offset and unusual strides
        Tensor transposed = TestTensors.uniform(6, 5, 11).transpose(0, 1);
        Tensor bf16Slice = TestTensors.uniform(7, DType.BF16, 9, 12).slice(1, 3, 10);
        Map<String, Tensor> tensors = Map.of("strided", strided, "transposed", transposed, "bf16.slice", bf16Slice);
        assertFalse(strided.isContiguous() || transposed.isContiguous() || bf16Slice.isContiguous());
        Path file = dir.resolve("views.safetensors");
        SafetensorsWriter.write(file, tensors, null);
        try (Checkpoint c = Checkpoint.open(file)) {
            Map<String, Tensor> contiguous = new LinkedHashMap<>();
            tensors.forEach((k, v) -> contiguous.put(k, v.copy()));
            assertBitIdentical(contiguous, c.tensors());
        }
    }

    @Test
    void conversionOnWriteRoundsLikeTensorTo(@TempDir Path dir) throws IOException {
        Map<String, Tensor> master = new LinkedHashMap<>();
        master.put("w", TestTensors.uniform(8, 37, 19));
        master.put("view", TestTensors.strided(9, 6, 5));
        master.put("tricky", trickyF32());
        for (DType target : List.of(DType.BF16, DType.F16)) {
            Path file = dir.resolve(target + ".safetensors");
            SafetensorsWriter.write(file, master, target);
            try (Checkpoint c = Checkpoint.open(file)) {
                Map<String, Tensor> expected = new LinkedHashMap<>();
                master.forEach((k, v) -> expected.put(k, v.to(target)));
                assertBitIdentical(expected, c.tensors());
            }
        }
    }

    @Test
    void headerIsPaddedSoDataIsAligned(@TempDir Path dir) throws IOException {
        for (int nameLength = 1; nameLength <= 9; nameLength++) {
            Path file = dir.resolve("a" + nameLength + ".safetensors");
            SafetensorsWriter.write(file, Map.of("x".repeat(nameLength), TestTensors.uniform(nameLength, 3)), null);
            byte[] bytes = Files.readAllBytes(file);
            long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertEquals(0, n % 8, "header length multiple of 8");
            String header = new String(bytes, 8, (int) n);
            assertTrue(header.startsWith("{\"__metadata__\":{\"format\":\"pt\"},"), header);
            String json = header.stripTrailing();
            assertTrue(json.endsWith("}") && header.length() - json.length() < 8, "padded with fewer than 8 spaces");
            assertEquals(" ".repeat(header.length() - json.length()), header.substring(json.length()));
        }
    }

    @Test
    void outputIsDeterministicWhateverTheInsertionOrder(@TempDir Path dir) throws IOException {
        SequencedMap<String, Tensor> forward = everyDtype();
        SequencedMap<String, Tensor> backward = new LinkedHashMap<>();
        new ArrayList<>(forward.sequencedKeySet()).reversed().forEach(k -> backward.put(k, forward.get(k)));
        SafetensorsWriter.write(dir.resolve("a.safetensors"), forward, null);
        SafetensorsWriter.write(dir.resolve("b.safetensors"), backward, null);
        assertArrayEquals(Files.readAllBytes(dir.resolve("a.safetensors")), Files.readAllBytes(dir.resolve("b.safetensors")));
    }

    private static List<String> listDir(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void shardedRoundTripAndLayoutChanges(@TempDir Path dir) throws IOException {
        SequencedMap<String, Tensor> tensors = everyDtype();   // 0.5 MiB in all, two 128 KiB half tensors
        List<Path> written = SafetensorsWriter.writeSharded(dir, tensors, null, 100_000);
        assertEquals(List.of("model-00001-of-00004.safetensors", "model-00002-of-00004.safetensors",
                        "model-00003-of-00004.safetensors", "model-00004-of-00004.safetensors", "model.safetensors.index.json"),
                listDir(dir));
        assertEquals(dir.resolve("model.safetensors.index.json"), written.getLast());
        String index = Files.readString(dir.resolve("model.safetensors.index.json"));
        long total = tensors.values().stream().mapToLong(t -> t.numel() * t.dtype().byteSize()).sum();
        assertTrue(index.contains("\"total_size\": " + total), index);
        assertTrue(index.contains("\"bf16.all\": \"model-00002-of-00004.safetensors\""), index);
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertEquals(4, c.files().size());
            assertEquals(List.of(), c.warnings());
            assertBitIdentical(tensors, c.tensors());
        }

        // Saving again in one file removes the shards and the index, and the reverse.
        SafetensorsWriter.writeSharded(dir, tensors, DType.BF16, SafetensorsWriter.DEFAULT_MAX_SHARD_BYTES);
        assertEquals(List.of("model.safetensors"), listDir(dir));
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertEquals(DType.BF16, c.tensor("f32.odd").dtype());
        }
        SafetensorsWriter.writeSharded(dir, tensors, null, 200_000);
        assertEquals(List.of("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                "model.safetensors.index.json"), listDir(dir));
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertBitIdentical(tensors, c.tensors());
        }
    }

    @Test
    void refusesDtypesTheReaderWouldRefuse(@TempDir Path dir) {
        Path file = dir.resolve("f64.safetensors");
        SafetensorsException e = assertThrows(SafetensorsException.class,
                () -> SafetensorsWriter.write(file, Map.of("x", Tensor.of(new double[]{1, 2}, 2)), null));
        assertTrue(e.getMessage().contains("F64") && e.getMessage().contains("supported: F32, BF16, F16"), e.getMessage());
        assertFalse(Files.exists(file));
    }

    /** A failure while writing leaves the previous file intact and no temporary file behind. */
    @Test
    void failedWriteLeavesOldFileAndNoTempFile(@TempDir Path dir) throws IOException {
        Path target = dir.resolve("model.safetensors");
        SafetensorsWriter.write(target, Map.of("old", TestTensors.uniform(10, 4)), null);
        byte[] before = Files.readAllBytes(target);

        Path other = dir.resolve("other.safetensors");
        SafetensorsWriter.write(other, Map.of("x", TestTensors.uniform(11, 64, 64)), null);
        SafetensorsFile closed = SafetensorsFile.open(other);
        Tensor dangling = closed.tensor("x");
        closed.close();   // reading `dangling` now fails half-way through the write
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("a", TestTensors.uniform(12, 100));
        tensors.put("b", dangling);
        assertThrows(IllegalStateException.class, () -> SafetensorsWriter.write(target, tensors, null));

        assertArrayEquals(before, Files.readAllBytes(target));
        assertEquals(List.of("model.safetensors", "other.safetensors"), listDir(dir));
    }
}
