package minitron.transformer.io;

import minitron.tensor.DType;
import minitron.tensor.Shape;
import minitron.tensor.Tensor;
import minitron.transformer.config.LlamaConfig;
import minitron.transformer.config.RopeScaling;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.Set;

import static minitron.transformer.io.FixtureValues.bits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Files in the reference implementation's exact byte layout (written by reference/safetensors_fixtures.py, which
 * reproduces the reference crate's own unit-test vectors before writing anything): our reader reads them, and our
 * writer reproduces them byte for byte.
 */
class ReferenceFixturesTest {

    private static void assertValues(int k, Tensor t, String what) {
        for (long i = 0; i < t.numel(); i++) {
            assertEquals(FixtureValues.value(k, i), t.readDouble(t.offsetOf(i)), what + "[" + i + "]");
        }
    }

    @Test
    void readsTheReferenceUnitTestVector() {
        // safetensors/src/tensor.rs test_serialization: "attn.0", F32 (1, 2, 3) = 0..5, no metadata.
        try (SafetensorsFile f = SafetensorsFile.open(FixtureValues.resource("reference_unit_test_attn.safetensors"))) {
            assertEquals(Map.of(), f.metadata());
            Tensor t = f.tensor("attn.0");
            assertEquals(DType.F32, t.dtype());
            assertEquals(Shape.of(1, 2, 3), t.shape());
            assertArrayEquals(new float[]{0, 1, 2, 3, 4, 5}, t.toFloatArray());
        }
        try (SafetensorsFile f = SafetensorsFile.open(FixtureValues.resource("reference_empty_with_metadata.safetensors"))) {
            assertEquals(Map.of("framework", "pt"), f.metadata());
            assertEquals(0, f.names().size());
        }
    }

    @Test
    void writerReproducesTheReferenceUnitTestVectorsByteForByte(@TempDir Path dir) throws IOException {
        Path attn = dir.resolve("attn.safetensors");
        SafetensorsWriter.write(attn, Map.of("attn.0", Tensor.of(new float[]{0, 1, 2, 3, 4, 5}, 1, 2, 3)), null, Map.of());
        assertArrayEquals(Files.readAllBytes(FixtureValues.resource("reference_unit_test_attn.safetensors")),
                Files.readAllBytes(attn));
        Path empty = dir.resolve("empty.safetensors");
        SafetensorsWriter.write(empty, Map.of(), null, Map.of("framework", "pt"));
        assertArrayEquals(Files.readAllBytes(FixtureValues.resource("reference_empty_with_metadata.safetensors")),
                Files.readAllBytes(empty));
    }

    @Test
    void readsMixedDtypesWithExactValues() {
        SequencedMap<String, Tensor> expected = FixtureValues.mixed();
        try (Checkpoint c = Checkpoint.open(FixtureValues.resource("reference_mixed.safetensors"))) {
            assertEquals(Set.copyOf(expected.keySet()), Set.copyOf(c.names()));
            int k = 0;
            for (Map.Entry<String, Tensor> e : expected.entrySet()) {
                Tensor t = c.tensor(e.getKey());
                assertEquals(e.getValue().dtype(), t.dtype(), e.getKey());
                assertEquals(e.getValue().shape(), t.shape(), e.getKey());
                assertValues(k++, t, e.getKey());
            }
            // The reference order in the file: F32 first, then BF16, then F16, each by name.
            assertEquals(List.of("b.f32", "z.scalar", "a.bf16", "d.bf16", "e.empty", "c.f16"),
                    List.copyOf(c.files().getFirst().names()));
        }
    }

    @Test
    void writerReproducesTheMixedFixtureByteForByte(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("mixed.safetensors");
        SafetensorsWriter.write(file, FixtureValues.mixed(), null);
        assertArrayEquals(Files.readAllBytes(FixtureValues.resource("reference_mixed.safetensors")), Files.readAllBytes(file));
    }

    @Test
    void opensTheShardedTinyLlamaModelDirectory() {
        try (Checkpoint c = Checkpoint.openModel(FixtureValues.resource("tiny-llama-sharded"))) {
            LlamaConfig config = c.config();
            assertEquals(6, config.headDim());   // not hidden_size / heads = 4
            assertEquals(List.of(2, 3), config.eosTokenIds());
            assertEquals(RopeScaling.llama3(8, 1, 4, 16), config.ropeScaling());
            assertEquals(2, c.files().size());
            assertEquals(List.of(), c.warnings());
            SequencedMap<String, Tensor> expected = FixtureValues.tinyLlama(config);
            assertEquals(expected.size(), c.names().size());
            for (Map.Entry<String, Tensor> e : expected.entrySet()) {
                Tensor t = c.tensor(e.getKey());
                assertEquals(DType.BF16, t.dtype());
                assertEquals(e.getValue().shape(), t.shape(), e.getKey());
                assertArrayEquals(bits(e.getValue()), bits(t), e.getKey());
            }
        }
    }

    /** Re-saving the reference model with our writer gives a directory that opens to the same bits. */
    @Test
    void resavedTinyLlamaRoundTrips(@TempDir Path dir) throws IOException {
        try (Checkpoint c = Checkpoint.openModel(FixtureValues.resource("tiny-llama-sharded"))) {
            SequencedMap<String, Tensor> inModelOrder = new LinkedHashMap<>();
            for (String name : c.config().expectedTensors().keySet()) inModelOrder.put(name, c.tensor(name));
            Checkpoint.saveModel(dir, c.config(), inModelOrder, null, 1400);
            try (Checkpoint again = Checkpoint.openModel(dir)) {
                assertEquals(c.config(), again.config());
                assertEquals(2, again.files().size());
                for (String name : c.names()) assertArrayEquals(bits(c.tensor(name)), bits(again.tensor(name)), name);
            }
        }
    }
}
