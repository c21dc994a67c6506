package minitron.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import minitron.autograd.NoGrad;
import minitron.tensor.DType;
import minitron.tensor.Shape;
import minitron.tensor.Tensor;
import minitron.transformer.config.LlamaConfig;
import minitron.transformer.model.LlamaModel;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code minitron logits} and {@code minitron generate} on a tiny random model with a byte-level tokenizer. */
class ModelCommandsTest {
    @TempDir
    Path dir;

    static final int VOCAB = 258; // the tiny tokenizer's 256 bytes, "hi" and "<s>"

    @BeforeEach
    void writeModel() throws IOException {
        String config = "{\"model_type\": \"llama\", \"hidden_size\": 16, \"intermediate_size\": 24, "
                + "\"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"num_key_value_heads\": 2, \"rms_norm_eps\": 1e-5, "
                + "\"rope_theta\": 10000.0, \"max_position_embeddings\": 128, \"vocab_size\": " + VOCAB + ", "
                + "\"tie_word_embeddings\": true, \"bos_token_id\": 257, \"eos_token_id\": 256, \"hidden_act\": \"silu\"}";
        LlamaConfig c = LlamaConfig.parse(config, "test config");
        SplittableRandom random = new SplittableRandom(11);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Shape> e : c.expectedTensors().entrySet()) {
            Tensor t = Tensor.zeros(DType.F32, e.getValue());
            for (int i = 0; i < t.numel(); i++) t.writeDouble(i, random.nextDouble(-1, 1) / (e.getValue().rank() == 1 ? 4 : 2));
            tensors.put(e.getKey(), t);
        }
        try (LlamaModel m = LlamaModel.fromTensors(c, tensors, true)) {
            m.save(dir, DType.BF16);
        }
        TinyTokenizer.write(dir);
    }

    private String[] run(String... args) {
        return CliRun.run(args);
    }

    @Test
    void logitsJsonIsTheModelsLastRowAndArgmax() throws IOException {
        String[] r = run("logits", "--model", dir.toString(), "--ids", "104 105 33 7", "--json");
        assertEquals("0", r[0], r[2]);
        JsonNode json = new ObjectMapper().readTree(r[1]);
        int[] ids = {104, 105, 33, 7};
        try (LlamaModel m = LlamaModel.load(dir, LlamaModel.Mode.INFERENCE); NoGrad scope = NoGrad.enter()) {
            Tensor logits = m.forward(Tensor.of(ids, 1, 4)).value();
            float[] last = logits.select(0, 0).select(0, 3).toFloatArray();
            assertEquals(VOCAB, json.get("last").size());
            for (int i = 0; i < VOCAB; i++) {
                assertEquals(last[i], (float) json.get("last").get(i).asDouble(), 0f, "last[" + i + "] printed exactly");
            }
            int[] argmax = new int[4];
            for (int i = 0; i < 4; i++) argmax[i] = json.get("argmax").get(i).asInt();
            assertArrayEquals(minitron.tensor.Ops.cpu().argmax(logits.select(0, 0), -1).toIntArray(), argmax);
        }
    }

    /** JSON has no NaN or Infinity: a non-finite logit is written as null, so that strict parsers read the line. */
    @Test
    void logitsJsonWritesNonFiniteValuesAsNull() throws IOException {
        String line = LogitsCommand.toJson(new float[] {1.5f, Float.NaN, Float.NEGATIVE_INFINITY}, new int[] {0});
        assertEquals("{\"last\": [1.5, null, null], \"argmax\": [0]}", line);
        assertTrue(new ObjectMapper().readTree(line).get("last").get(1).isNull());
    }

    /** Tensors the config does not use are reported on stderr (transformers warns too), and the run goes on. */
    @Test
    void modelCommandsPrintTheCheckpointsWarnings() throws IOException {
        Path extra = Files.createDirectories(dir.resolve("extra"));
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try (minitron.transformer.io.Checkpoint ck = minitron.transformer.io.Checkpoint.open(dir)) {
            for (String name : ck.names()) tensors.put(name, ck.tensor(name).copy());
        }
        tensors.put("model.rotary_emb.inv_freq", Tensor.zeros(DType.F32, 2));
        minitron.transformer.io.SafetensorsWriter.write(extra.resolve("model.safetensors"), tensors, DType.BF16);
        Files.copy(dir.resolve("config.json"), extra.resolve("config.json"));
        String[] r = run("logits", "--model", extra.toString(), "--ids", "1 2");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[2].contains("minitron logits: warning: ") && r[2].contains("\"model.rotary_emb.inv_freq\" is not used "
                + "by the config (ignored)"), r[2]);
    }

    @Test
    void logitsRefusesIdsOutsideTheVocabulary() {
        String[] r = run("logits", "--model", dir.toString(), "--ids", "1 258");
        assertEquals("1", r[0]);
        assertEquals("minitron logits: --ids: expected ids in [0, 258) (the model's vocab_size), found 258 at position 1", r[2]);
        r = run("logits", "--model", dir.toString(), "--ids", "1 x");
        assertEquals("1", r[0]);
        assertTrue(r[2].contains("expected integers, found \"x\""), r[2]);
    }

    @Test
    void idsTakeSpacesOrCommasButNoEmptyIds() {
        assertArrayEquals(new int[]{1, 2, 3}, LogitsCommand.parseIds(" 1 2\t3 "));
        assertArrayEquals(new int[]{1, 2, 3}, LogitsCommand.parseIds("1,2, 3"));
        for (String bad : new String[]{"1,,2", ",1", "1,", "1 , ,2"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LogitsCommand.parseIds(bad), bad);
            assertTrue(e.getMessage().contains("found nothing"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> LogitsCommand.parseIds("  "));
    }

    @Test
    void logitsRefusesADirectoryWithoutConfig() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        String[] r = run("logits", "--model", empty.toString(), "--ids", "1");
        assertEquals("1", r[0]);
        assertTrue(r[2].startsWith("minitron logits: ") && r[2].contains("config.json"), r[2]);
        assertTrue(!r[2].contains("\tat "), "no stack trace: " + r[2]);
    }

    @Test
    void logitsRefusesAConfigThatIsNotTextOrEmpty() throws IOException {
        Path bad = Files.createDirectories(dir.resolve("bad"));
        Files.write(bad.resolve("config.json"), new byte[] {'{', (byte) 0xFF, (byte) 0xFE, '}'});
        String[] r = run("logits", "--model", bad.toString(), "--ids", "1");
        assertEquals("1", r[0]);
        // was "...: cannot read: Input length = 1" (CommandLineFuzzTest)
        assertEquals("minitron logits: " + bad.resolve("config.json") + ": cannot read: expected UTF-8 text, found "
                + "other bytes", r[2]);
        Files.writeString(bad.resolve("config.json"), "");
        r = run("logits", "--model", bad.toString(), "--ids", "1");
        assertEquals("1", r[0]);
        // was "... got MISSING", Jackson's name for no JSON value
        assertEquals("minitron logits: " + bad.resolve("config.json") + ": expected a JSON object at the top level, got "
                + "an empty file", r[2]);
    }

    @Test
    void generateStreamsTextAndReportsSpeed() {
        String[] r = run("generate", "--model", dir.toString(), "--prompt", "hi there", "--max-new-tokens", "12",
                "--seed", "3");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[2].contains("prefill: ") && r[2].contains("tokens/s") && r[2].contains("decode: "), r[2]);
        String[] again = run("generate", "--model", dir.toString(), "--prompt", "hi there", "--max-new-tokens", "12",
                "--seed", "3");
        assertEquals(r[1], again[1], "same seed, same text");
    }

    /**
     * As HF's generate: generation_config.json's eos_token_id, where there is one, decides where generation stops
     * (Llama 3.1 Instruct lists <|eot_id|> there); config.json's was used, and the file never read.
     */
    @Test
    void generateStopsAtTheEosOfGenerationConfig() throws IOException {
        String[] plain = run("generate", "--model", dir.toString(), "--prompt", "hi", "--max-new-tokens", "6",
                "--temperature", "0");
        assertEquals("0", plain[0], plain[2]);
        assertTrue(plain[2].contains("stop: max-new-tokens"), plain[2]);
        StringBuilder every = new StringBuilder();
        for (int id = 0; id < VOCAB; id++) every.append(id == 0 ? "" : ", ").append(id);
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [" + every + "]}");
        String[] r = run("generate", "--model", dir.toString(), "--prompt", "hi", "--max-new-tokens", "6",
                "--temperature", "0");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[2].contains("prefill: 1 token") && r[2].contains("decode: none") && r[2].contains("stop: eos"),
                r[2]);
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": \"x\"}");
        r = run("generate", "--model", dir.toString(), "--prompt", "hi", "--temperature", "0");
        assertEquals("1", r[0]);
        assertTrue(r[2].startsWith("minitron generate: " + dir.resolve("generation_config.json") + ": "), r[2]);
    }

    @Test
    void generateOfOneTokenReportsNoDecodeSpeed() {
        String[] r = run("generate", "--model", dir.toString(), "--prompt", "hi", "--max-new-tokens", "1");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[2].contains("decode: none (the first new token comes from the prefill)"), r[2]);
        assertTrue(!r[2].contains("NaN"), r[2]);
    }

    @Test
    void benchDecodeRunsOnAModelDirectoryAndLeavesItThere() throws IOException {
        String[] r = run("bench", "decode", "--model", dir.toString(), "--prompt-tokens", "8", "--decode-tokens", "3",
                "--threads", "1", "--json");
        assertEquals("0", r[0], r[2]);
        String[] lines = r[1].strip().split("\n");
        JsonNode json = new ObjectMapper().readTree(lines[lines.length - 1]);
        assertEquals(dir.getFileName().toString(), json.get("preset").asText());
        // BF16 bytes of every weight read per token: the tied embedding (258 x 16) once as the LM head, per layer
        // two norms (2 x 16), q and o (2 x 16 x 16), k and v (2 x 8 x 16), gate, up and down (3 x 24 x 16), and the
        // final norm: (4128 + 2 x 1952 + 16) x 2 bytes.
        assertEquals(16096, json.get("weight_bytes_per_token").asDouble());
        assertTrue(json.get("decode_tps").asDouble() > 0 && json.get("prefill_tps").asDouble() > 0, r[1]);
        assertTrue(r[1].matches("(?s).*\\n  decode on 1 thread: cpu/wall ([0-9.]+|n/a, too short to measure \\(or no thread CPU clock\\))"
                + "( \\(other processes took cores\\))?\\n.*"), r[1]);
        assertTrue(json.has("decode_cpu_per_wall"), "null when too short to measure, never NaN: " + r[1]);
        assertTrue(Files.isRegularFile(dir.resolve("model.safetensors")) && Files.isRegularFile(dir.resolve("config.json")),
                "the model directory is the user's: never deleted");
    }

    /** Found by CommandLineFuzzTest: a refused run left an empty minitron-decode-bench* folder in --dir each time. */
    @Test
    void benchDecodeRefusedLeavesNothingInItsDirectory() throws IOException {
        Path work = Files.createDirectories(dir.resolve("work"));
        for (String[] bad : new String[][] {{"--prompt-tokens", "0"}, {"--decode-tokens", "-5"}, {"--threads", "100000"}}) {
            String[] r = run("bench", "decode", "--dir", work.toString(), bad[0], bad[1]);
            assertEquals("1", r[0], String.join(" ", bad));
            assertTrue(r[2].startsWith("minitron bench decode: " + bad[0] + ": expected "), r[2]);
            try (var left = Files.list(work)) {
                assertEquals(List.of(), left.toList(), String.join(" ", bad));
            }
        }
        // a --dir that is not a folder: named, instead of the bare path of the temporary folder it could not make
        Path missing = dir.resolve("no-such-folder");
        String[] r = run("bench", "decode", "--dir", missing.toString());
        assertEquals("1", r[0]);
        assertEquals("minitron bench decode: --dir: expected a directory, found nothing at " + missing, r[2]);
        Path file = dir.resolve("config.json");
        r = run("bench", "decode", "--dir", file.toString());
        assertEquals("minitron bench decode: --dir: expected a directory, found a file: " + file, r[2]);
        r = run("bench", "decode", "--keep", file.resolve("kept").toString());
        assertEquals("minitron bench decode: --keep: expected a directory (new or existing) to hold "
                + file.resolve("kept") + ", found a file: " + file, r[2]);
    }

    @Test
    void benchDecodeKeepsOnlyIntoANewOrEmptyDirectory() {
        String[] r = run("bench", "decode", "--keep", dir.toString());
        assertEquals("1", r[0]);
        assertEquals("minitron bench decode: --keep: expected a new or empty directory, found " + dir
                + " (it is not replaced)", r[2]);
        assertTrue(Files.isRegularFile(dir.resolve("model.safetensors")));
    }

    /** --model used to ignore --preset and --layers (as --help said) and --dir; --keep ignored --dir: now refused. */
    @Test
    void benchDecodeRefusesTheOptionsOfRandomWeightsWithAModel() throws IOException {
        Path work = Files.createDirectories(dir.resolve("work"));
        String[] r = run("bench", "decode", "--model", dir.toString(), "--preset", "llama-3.1-8b", "--layers", "1");
        assertEquals("1", r[0]);
        assertEquals("minitron bench decode: --preset and --layers: expected only with random weights (without "
                + "--model), found with --model", r[2]);
        r = run("bench", "decode", "--model", dir.toString(), "--dir", work.toString());
        assertEquals("1", r[0]);
        assertEquals("minitron bench decode: --dir: expected only with a temporary checkpoint (without --model or "
                + "--keep), found with --model", r[2]);
        Path kept = dir.resolve("kept");
        r = run("bench", "decode", "--keep", kept.toString(), "--dir", work.toString(), "--layers", "1");
        assertEquals("1", r[0]);
        assertEquals("minitron bench decode: --dir: expected only with a temporary checkpoint (without --model or "
                + "--keep), found with --keep", r[2]);
        assertTrue(Files.notExists(kept), "nothing written");
    }

    @Test
    void generateRefusesBadSettings() {
        String[] r = run("generate", "--model", dir.toString(), "--prompt", "hi", "--top-p", "0");
        assertEquals("1", r[0]);
        assertEquals("minitron generate: --top-p: expected a value in (0, 1], found 0.0", r[2]);
        r = run("generate", "--model", dir.toString(), "--prompt", "hi", "--temperature", "-1");
        assertEquals("minitron generate: --temperature: expected a finite value >= 0.0, found -1.0", r[2]);
        r = run("generate", "--model", dir.toString(), "--prompt", "hi", "--top-k", "-3");
        assertEquals("minitron generate: --top-k: expected >= 0, found -3", r[2]);
        r = run("generate", "--model", dir.resolve("nowhere").toString(), "--prompt", "hi");
        assertEquals("1", r[0]);
        assertTrue(r[2].startsWith("minitron generate: "), r[2]);
    }

    /** As HF: generating past max_position_embeddings (128 here) is allowed, with a warning; RoPE has no table to end. */
    @Test
    void generateWarnsPastTheModelsPositionsAndGoesOn() {
        String[] r = run("generate", "--model", dir.toString(), "--prompt", "hi", "--max-new-tokens", "140",
                "--temperature", "0");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[2].contains("minitron generate: warning: 1 token of prompt + --max-new-tokens 140 can reach 141 "
                + "positions, past max_position_embeddings 128 of the config"), r[2]);
        r = run("generate", "--model", dir.toString(), "--prompt", "hi", "--max-new-tokens", "127", "--temperature", "0");
        assertEquals("0", r[0], r[2]);
        assertTrue(!r[2].contains("warning"), r[2]);
    }

    /**
     * As HF (do_sample=False with temperature, top_p or top_k set: a warning, and generation goes on): the sampling
     * options are named when greedy decoding ignores them; those left at their defaults are not.
     */
    @Test
    void greedyGenerationWarnsOfTheSamplingOptionsItIgnores() {
        String[] r = run("generate", "--model", dir.toString(), "--prompt", "hi", "--max-new-tokens", "2",
                "--temperature", "0", "--top-p", "0.5", "--seed", "3");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[2].startsWith("minitron generate: warning: --top-p and --seed: used only with sampling "
                + "(--temperature > 0), ignored with --temperature 0 (greedy decoding)\n"), r[2]);
        r = run("generate", "--model", dir.toString(), "--prompt", "hi", "--max-new-tokens", "2", "--temperature", "0");
        assertEquals("0", r[0], r[2]);
        assertTrue(!r[2].contains("warning"), r[2]);
        r = run("generate", "--model", dir.toString(), "--prompt", "hi", "--max-new-tokens", "2", "--top-k", "5");
        assertEquals("0", r[0], r[2]);
        assertTrue(!r[2].contains("warning"), "sampling reads --top-k: " + r[2]);
    }

    @Test
    void generateOfNoTokensSaysSo() {
        String[] r = run("generate", "--model", dir.toString(), "--prompt", "hi", "--max-new-tokens", "0");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[2].contains("decode: none (no new tokens)"), r[2]);
    }
}
