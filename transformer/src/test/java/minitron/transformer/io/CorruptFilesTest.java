package minitron.transformer.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron.tensor.DType;
import minitron.tensor.Tensor;
import minitron.tensor.TestTensors;
import minitron.transformer.config.ConfigException;
import minitron.transformer.config.LlamaConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every kind of bad input gives one clear message naming the file and the problem; nothing is returned. */
class CorruptFilesTest {
    @TempDir
    Path dir;

    /** A file with a hand-written header (not padded) and {@code dataBytes} zero bytes of data. */
    private Path file(String name, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return raw(name, h.length, h, dataBytes);
    }

    private Path raw(String name, long declaredLength, byte[] header, int dataBytes) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredLength).put(header);
        Path p = dir.resolve(name);
        Files.write(p, b.array());
        return p;
    }

    /** Opening fails; the message starts with the file name and contains every fragment. */
    private static String assertRefused(Path file, String... fragments) {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(file).close());
        String m = e.getMessage();
        assertTrue(m.startsWith(file.getFileName().toString() + ": ") || m.startsWith(file + ": "), m);
        for (String f : fragments) assertTrue(m.contains(f), "message should contain '" + f + "':\n" + m);
        return m;
    }

    private static String tensor(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }

    @Test
    void tooShortForTheLength() throws IOException {
        Path p = dir.resolve("tiny.safetensors");
        Files.write(p, new byte[]{1, 2, 3});
        assertRefused(p, "3 bytes, too short");
    }

    @Test
    void truncatedFiles() throws IOException {
        Path good = dir.resolve("good.safetensors");
        SafetensorsWriter.write(good, Map.of("w", TestTensors.uniform(1, 4, 6)), null);
        byte[] bytes = Files.readAllBytes(good);

        Path dataCut = dir.resolve("data-cut.safetensors");
        Files.write(dataCut, Arrays.copyOf(bytes, bytes.length - 10));
        assertRefused(dataCut, "tensor \"w\"", "data_offsets [0, 96)", "outside the data area of 86 bytes", "truncated?");

        Path headerCut = dir.resolve("header-cut.safetensors");
        Files.write(headerCut, Arrays.copyOf(bytes, 30));
        assertRefused(headerCut, "runs past the end of the file (30 bytes", "truncated?");
    }

    /** A cut through a file of many tensors: one line with the sizes, not one line for every tensor after the cut. */
    @Test
    void truncatedInsideManyTensorsIsOneProblem() throws IOException {
        SequencedMap<String, Tensor> tensors = new LinkedHashMap<>();
        for (int i = 0; i < 30; i++) tensors.put("t" + (char) ('a' + i / 26) + (char) ('a' + i % 26), TestTensors.uniform(i, 4, 6));
        Path good = dir.resolve("many.safetensors");
        SafetensorsWriter.write(good, tensors, null);
        byte[] bytes = Files.readAllBytes(good);

        Path cut = dir.resolve("many-cut.safetensors");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length - 96 * 20 - 10));
        String m = assertRefused(cut, "21 tensors end outside the data area", "from tensor \"taj\"",
                "(file of " + (bytes.length - 96 * 20 - 10) + " bytes, the header needs " + bytes.length + "; truncated?)");
        assertFalse(m.contains("\n"), "one line:\n" + m);
    }

    @Test
    void headerLengthTooLarge() throws IOException {
        byte[] h = "{}".getBytes(StandardCharsets.UTF_8);
        assertRefused(raw("huge.safetensors", 200_000_000L, h, 0), "header length 200000000", "limit of 100000000");
        assertRefused(raw("negative.safetensors", -8L, h, 0), "header length 18446744073709551608", "limit");
        assertRefused(raw("past-end.safetensors", 1000, h, 0), "header length 1000 runs past the end");
    }

    @Test
    void badJson() throws IOException {
        assertRefused(file("bad-json.safetensors", "{\"a\":{\"dtype\":", 0), "header is not valid JSON");
        assertRefused(file("array.safetensors", "[1,2]", 0), "header must be a JSON object, got ARRAY");
        // the header may be padded with spaces, nothing else may follow its object
        assertRefused(file("extra.safetensors", "{}}", 0), "header is not valid JSON", "extra data after the JSON value");
        assertRefused(file("dup.safetensors", "{" + tensor("a", "F32", "[1]", 0, 4) + "," + tensor("a", "F32", "[1]", 4, 8) + "}", 8),
                "not valid JSON", "Duplicate field 'a'");
        byte[] notUtf8 = {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'};
        assertRefused(raw("utf8.safetensors", notUtf8.length, notUtf8, 0), "not valid UTF-8");
    }

    @Test
    void dtypes() throws IOException {
        assertRefused(file("i64.safetensors", "{" + tensor("ids", "I64", "[2]", 0, 16) + "}", 16),
                "tensor \"ids\"", "dtype I64 is not supported (supported: F32, BF16, F16)");
        assertRefused(file("xyz.safetensors", "{" + tensor("w", "XYZ", "[2]", 0, 8) + "}", 8),
                "tensor \"w\"", "dtype XYZ is not a safetensors dtype");
    }

    @Test
    void offsetsAndSizes() throws IOException {
        assertRefused(file("outside.safetensors", "{" + tensor("a", "F32", "[6]", 0, 24) + "," + tensor("b", "F32", "[4]", 24, 40) + "}", 24),
                "tensor \"b\"", "[24, 40) end outside the data area of 24 bytes");
        assertRefused(file("overlap.safetensors", "{" + tensor("a", "F32", "[6]", 0, 24) + "," + tensor("b", "F32", "[2]", 16, 24) + "}", 24),
                "tensors \"a\" [0, 24) and \"b\" [16, 24) overlap");
        assertRefused(file("reversed.safetensors", "{" + tensor("a", "F32", "[2]", 8, 0) + "}", 8), "[8, 0) has begin > end");
        assertRefused(file("length.safetensors", "{" + tensor("a", "F32", "[2,3]", 0, 20) + "}", 20),
                "tensor \"a\"", "shape (2, 3) x F32 (4 bytes) = 24 bytes, but data_offsets [0, 20) hold 20 bytes");
        assertRefused(file("gap.safetensors", "{" + tensor("a", "F32", "[2]", 0, 8) + "," + tensor("b", "F32", "[2]", 16, 24) + "}", 24),
                "data bytes [8, 16) belong to no tensor");
        assertRefused(file("trailing.safetensors", "{" + tensor("a", "F32", "[2]", 0, 8) + "}", 12), "4 trailing bytes");
        assertRefused(file("shape.safetensors", "{" + tensor("a", "F32", "[-2]", 0, 8) + "}", 8), "shape [-2] must hold sizes");
        assertRefused(file("fields.safetensors", "{\"a\":{\"dtype\":\"F32\"}}", 0), "tensor \"a\": missing shape data_offsets");
        assertRefused(file("meta.safetensors", "{\"__metadata__\":{\"format\":1}}", 0), "__metadata__.format must be a string");
    }

    @Test
    void everyProblemIsListed() throws IOException {
        String m = assertRefused(file("many.safetensors", "{" + tensor("a", "F32", "[2]", 0, 9) + "," + tensor("b", "I8", "[1]", 9, 10)
                + "," + tensor("c", "F16", "[1]", 10, 30) + "}", 10), "(3 problems)");
        assertTrue(m.contains("\"a\"") && m.contains("\"b\"") && m.contains("\"c\""), m);
    }

    // ---------------------------------------------------------------- directories, indexes, configs

    private static LlamaConfig tiny() {
        return new LlamaConfig("llama", 8, 12, 2, 2, 1, 6, 1e-5, 10000.0, null, 64, 11, false, 1, List.of(2), null, "float32");
    }

    private static SequencedMap<String, Tensor> tinyTensors(LlamaConfig c) {
        SequencedMap<String, Tensor> m = new LinkedHashMap<>();
        int k = 0;
        for (var e : c.expectedTensors().entrySet()) m.put(e.getKey(), TestTensors.uniform(k++, e.getValue().dims()));
        return m;
    }

    @Test
    void directoryWithoutConfigOrCheckpoint() throws IOException {
        Path model = Files.createDirectories(dir.resolve("model"));
        ConfigException noConfig = assertThrows(ConfigException.class, () -> Checkpoint.openModel(model));
        assertTrue(noConfig.getMessage().contains(model.resolve("config.json") + ": no such file"), noConfig.getMessage());

        tiny().write(model);
        SafetensorsException noWeights = assertThrows(SafetensorsException.class, () -> Checkpoint.openModel(model));
        assertTrue(noWeights.getMessage().contains("no checkpoint found (expected model.safetensors or model.safetensors.index.json"),
                noWeights.getMessage());

        Path nowhere = dir.resolve("nowhere");
        SafetensorsException missing = assertThrows(SafetensorsException.class, () -> Checkpoint.openModel(nowhere));
        assertTrue(missing.getMessage().startsWith(nowhere + ": no such directory"), missing.getMessage());
        Path aFile = Files.writeString(dir.resolve("a-file"), "x");
        SafetensorsException notDir = assertThrows(SafetensorsException.class, () -> Checkpoint.openModel(aFile));
        assertTrue(notDir.getMessage().startsWith(aFile + ": a file, not a directory"), notDir.getMessage());
        Path configDir = Files.createDirectories(dir.resolve("odd").resolve("config.json"));
        SafetensorsException configIsDir = assertThrows(SafetensorsException.class,
                () -> Checkpoint.openModel(configDir.getParent()));
        assertEquals(configDir + ": a directory, expected the HF config file", configIsDir.getMessage());
    }

    /** A config that needs thousands of layers the checkpoint lacks is named at once, not listed tensor by tensor. */
    @Test
    void aConfigOfAnotherModelIsNamedAtOnce() throws IOException {
        Path model = dir.resolve("model");
        LlamaConfig c = tiny();
        Checkpoint.saveModel(model, c, tinyTensors(c), null, SafetensorsWriter.DEFAULT_MAX_SHARD_BYTES);
        LlamaConfig huge = c.withShape(c.hiddenSize(), c.intermediateSize(), 100_000_000, c.numAttentionHeads(),
                c.numKeyValueHeads());
        huge.write(model);
        String m = assertThrows(SafetensorsException.class, () -> Checkpoint.openModel(model)).getMessage();
        assertEquals(model + ": the config (num_hidden_layers 100000000) needs " + huge.expectedTensorCount()
                + " tensors, the checkpoint holds " + c.expectedTensorCount() + ": config.json does not belong to these "
                + "weights", m);
    }

    /** The message of opening the tiny model's tensors under a config.json that claims other shapes. */
    private String refusalUnder(LlamaConfig claimed) throws IOException {
        Path model = dir.resolve("model");
        LlamaConfig c = tiny();
        Checkpoint.saveModel(model, c, tinyTensors(c), null, SafetensorsWriter.DEFAULT_MAX_SHARD_BYTES);
        claimed.write(model);
        String m = assertThrows(SafetensorsException.class, () -> Checkpoint.openModel(model)).getMessage();
        assertTrue(m.startsWith(model + ": checkpoint does not match config"), m);
        return m;
    }

    @Test
    void configShapesDisagreeWithTensors() throws IOException {
        // A config that claims 3 layers and a vocabulary of 12: every difference is listed, not just the first.
        String m = refusalUnder(
                new LlamaConfig("llama", 8, 12, 3, 2, 1, 6, 1e-5, 10000.0, null, 64, 12, false, 1, List.of(2), null, null));
        assertTrue(m.contains("11 problems"), m);   // 2 vocab-sized tensors + 9 tensors of layer 2
        assertTrue(m.contains("tensor \"model.embed_tokens.weight\" has shape (11, 8), the config needs (12, 8)"), m);
        assertTrue(m.contains("tensor \"lm_head.weight\" has shape (11, 8)"), m);
        assertTrue(m.contains("missing tensor \"model.layers.2.mlp.down_proj.weight\" (expected shape (8, 12))"), m);
    }

    /** One wrong size repeats a mismatch in every layer: one line per tensor kind, with the layers it is in. */
    @Test
    void mismatchesRepeatedInEveryLayerAreOneLineEach() throws IOException {
        // MLP 10 instead of 12, and 5 layers instead of 2
        String m = refusalUnder(
                new LlamaConfig("llama", 8, 10, 5, 2, 1, 6, 1e-5, 10000.0, null, 64, 11, false, 1, List.of(2), null, null));
        assertTrue(m.contains("33 problems"), m);   // 3 MLP tensors of layers 0-1, the 9 tensors of each of layers 2-4
        List<String> lines = m.lines().skip(1).toList();
        assertEquals(List.of(
                "  - tensor \"model.layers.N.mlp.gate_proj.weight\" has shape (12, 8), the config needs (10, 8), for N = 0-1",
                "  - tensor \"model.layers.N.mlp.up_proj.weight\" has shape (12, 8), the config needs (10, 8), for N = 0-1",
                "  - tensor \"model.layers.N.mlp.down_proj.weight\" has shape (8, 12), the config needs (8, 10), for N = 0-1"),
                lines.subList(0, 3));
        assertTrue(lines.contains("  - missing tensor \"model.layers.N.mlp.down_proj.weight\" (expected shape (8, 10)), for N = 2-4"), m);
        assertEquals(12, lines.size(), m);
        assertEquals(List.of("a model.layers.3.x", "b", "a model.layers.N.y, for N = 0, 2-3, 7"), Checkpoint.groupedByLayer(List.of(
                "a model.layers.3.x", "b", "a model.layers.0.y", "a model.layers.2.y", "a model.layers.3.y", "a model.layers.7.y")));
    }

    @Test
    void unexpectedTensorsAreWarnings() throws IOException {
        Path model = dir.resolve("model");
        LlamaConfig c = tiny();
        SequencedMap<String, Tensor> tensors = tinyTensors(c);
        tensors.put("model.layers.0.self_attn.rotary_emb.inv_freq", TestTensors.uniform(99, 3));
        SafetensorsWriter.writeSharded(model, tensors, DType.BF16, SafetensorsWriter.DEFAULT_MAX_SHARD_BYTES);
        c.write(model);
        try (Checkpoint ck = Checkpoint.openModel(model)) {
            assertEquals(1, ck.warnings().size());
            assertTrue(ck.warnings().getFirst().contains("\"model.layers.0.self_attn.rotary_emb.inv_freq\" is not used"),
                    ck.warnings().getFirst());
            assertEquals(Set.of(DType.BF16), ck.dtypes());
        }
    }

    @Test
    void saveRefusesTensorsThatDisagreeWithTheConfig() {
        LlamaConfig c = tiny();
        SequencedMap<String, Tensor> tensors = tinyTensors(c);
        tensors.remove("model.norm.weight");
        Path model = dir.resolve("model");
        SafetensorsException e = assertThrows(SafetensorsException.class,
                () -> Checkpoint.saveModel(model, c, tensors, null, SafetensorsWriter.DEFAULT_MAX_SHARD_BYTES));
        assertTrue(e.getMessage().contains("missing tensor \"model.norm.weight\""), e.getMessage());
        assertFalse(Files.exists(model.resolve("model.safetensors")));
    }

    private Path shardedModel() throws IOException {
        Path model = dir.resolve("sharded");
        LlamaConfig c = tiny();
        Checkpoint.saveModel(model, c, tinyTensors(c), null, 1000);
        return model;
    }

    private static void assertIndexRefused(Path model, String... fragments) {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Checkpoint.openModel(model).close());
        String m = e.getMessage();
        assertTrue(m.startsWith(model.resolve("model.safetensors.index.json").toString()), m);
        for (String f : fragments) assertTrue(m.contains(f), "message should contain '" + f + "':\n" + m);
    }

    /** Lines of /proc/self/maps that map a file of {@code model}: Linux only, 0 elsewhere. */
    private static long mappingsOf(Path model) throws IOException {
        Path maps = Path.of("/proc/self/maps");
        if (!Files.exists(maps)) return 0;
        String prefix = model.toRealPath().toString();
        return Files.readAllLines(maps).stream().filter(l -> l.contains(prefix)).count();
    }

    @Test
    void shardIndexProblems() throws IOException {
        Path model = shardedModel();
        Path index = model.resolve("model.safetensors.index.json");
        String good = Files.readString(index);
        int shards;
        try (Checkpoint c = Checkpoint.openModel(model)) {
            shards = c.files().size();
            if (Files.exists(Path.of("/proc/self/maps"))) {
                assertEquals(shards, mappingsOf(model), "one mapping per shard while open");
            }
        }
        assertEquals(0, mappingsOf(model), "unmapped by close()");
        assertTrue(shards > 2, "the test model has several shards");
        String first = SafetensorsWriter.shardName(1, shards);
        String second = SafetensorsWriter.shardName(2, shards);

        Files.move(model.resolve(second), dir.resolve("aside"));
        assertIndexRefused(model, "inconsistent shard index", "shard " + second, "does not exist");
        Files.move(dir.resolve("aside"), model.resolve(second));

        ObjectMapper json = new ObjectMapper();
        ObjectNode root = (ObjectNode) json.readTree(good);
        ((ObjectNode) root.get("weight_map")).put("model.norm.weight", first);
        Files.writeString(index, json.writeValueAsString(root));
        long mappedBefore = mappingsOf(model);
        assertIndexRefused(model, "index and shards disagree",
                "\"model.norm.weight\" is mapped to " + first + ", which does not contain it");
        // Every shard was mapped before the mismatch was found; all were unmapped again (nothing half-loaded).
        assertEquals(mappedBefore, mappingsOf(model), "mappings of the model's shards after a failed open");

        Files.writeString(index, "{\"weight_map\": ");
        assertIndexRefused(model, "not valid JSON");
        Files.writeString(index, good + "\n}");
        assertIndexRefused(model, "not valid JSON: extra data after the JSON value: \"}\"");
        Files.writeString(index, "{\"metadata\": {}}");
        assertIndexRefused(model, "expected \"weight_map\"");
        Files.writeString(index, "{\"weight_map\": {\"model.norm.weight\": \"../x.safetensors\"}}");
        assertIndexRefused(model, "shard name \"../x.safetensors\" is not a plain file name");

        Files.writeString(index, good);
        try (Checkpoint c = Checkpoint.openModel(model)) {
            assertEquals(shards, c.files().size());
        }
    }

    @Test
    void tensorInTwoShardsIsAnErrorAndUnlistedTensorsAreWarnings() throws IOException {
        Path model = Files.createDirectories(dir.resolve("handmade"));
        Path index = model.resolve("model.safetensors.index.json");
        SafetensorsWriter.write(model.resolve("a.safetensors"), Map.of("x", TestTensors.uniform(1, 2), "y", TestTensors.uniform(2, 3)), null);
        SafetensorsWriter.write(model.resolve("b.safetensors"), Map.of("x", TestTensors.uniform(3, 2), "z", TestTensors.uniform(4, 2)), null);

        Files.writeString(index, "{\"weight_map\": {\"x\": \"a.safetensors\", \"z\": \"b.safetensors\"}}");
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Checkpoint.open(model).close());
        assertTrue(e.getMessage().contains("\"x\" is stored in both a.safetensors and b.safetensors"), e.getMessage());

        Files.delete(model.resolve("b.safetensors"));
        Files.writeString(index, "{\"metadata\": {\"total_size\": 999}, \"weight_map\": {\"x\": \"a.safetensors\"}}");
        try (Checkpoint c = Checkpoint.open(model)) {
            assertEquals(Set.of("x"), c.names());
            assertEquals(2, c.warnings().size(), c.warnings().toString());
            assertTrue(c.warnings().get(0).contains("tensor \"y\" is not listed in model.safetensors.index.json"), c.warnings().get(0));
            assertTrue(c.warnings().get(1).contains("total_size is 999 but the mapped tensors hold 8 bytes"), c.warnings().get(1));
        }
    }
}
