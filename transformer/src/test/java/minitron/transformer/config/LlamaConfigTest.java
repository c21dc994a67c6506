package minitron.transformer.config;

import minitron.tensor.DType;
import minitron.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LlamaConfigTest {

    static Path resource(String name) {
        try {
            return Path.of(LlamaConfigTest.class.getResource("/configs/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test resource configs/" + name, e);
        }
    }

    static List<String> presets() {
        return LlamaConfig.presetNames();
    }

    @ParameterizedTest
    @MethodSource("presets")
    void realConfigFileParsesToItsPreset(String name) {
        LlamaConfig parsed = LlamaConfig.read(resource(name + ".json"));
        assertEquals(LlamaConfig.preset(name), parsed, name);
    }

    /**
     * Parameter counts published for the real models: exact where the model card or safetensors metadata gives the
     * exact number, else the rounded figure on the model card (to 0.01B).
     */
    @Test
    void parameterCountsMatchPublishedSizes() {
        assertEquals(8_030_261_248L, LlamaConfig.preset("llama-3.1-8b").parameterCount());
        assertEquals(1_235_814_400L, LlamaConfig.preset("llama-3.2-1b").parameterCount());   // tied embeddings
        assertEquals(12_247_782_400L, LlamaConfig.preset("mistral-nemo-12b").parameterCount());
        assertEquals(4.51e9, LlamaConfig.preset("minitron-4b-width").parameterCount(), 0.005e9);
        assertEquals(4.54e9, LlamaConfig.preset("minitron-4b-depth").parameterCount(), 0.005e9);
        assertEquals(8.41e9, LlamaConfig.preset("mistral-nemo-minitron-8b").parameterCount(), 0.005e9);
    }

    /** The formula and the tensor list are written independently; they must agree (tied and untied). */
    @ParameterizedTest
    @MethodSource("presets")
    void parameterCountEqualsSumOfExpectedTensors(String name) {
        LlamaConfig c = LlamaConfig.preset(name);
        long sum = c.expectedTensors().values().stream().mapToLong(Shape::numel).sum();
        assertEquals(sum, c.parameterCount(), name);
        int tensors = 1 + 9 * c.numHiddenLayers() + 1 + (c.tieWordEmbeddings() ? 0 : 1);
        assertEquals(tensors, c.expectedTensors().size(), name);
        assertEquals(c.tieWordEmbeddings(), !c.expectedTensors().containsKey("lm_head.weight"), name);
    }

    @Test
    void expectedShapesUseHeadDimNotHiddenOverHeads() {
        LlamaConfig nemo = LlamaConfig.preset("mistral-nemo-12b");   // 5120 hidden, 32 x 128 query width
        Map<String, Shape> t = nemo.expectedTensors();
        assertEquals(Shape.of(4096, 5120), t.get("model.layers.39.self_attn.q_proj.weight"));
        assertEquals(Shape.of(1024, 5120), t.get("model.layers.0.self_attn.k_proj.weight"));
        assertEquals(Shape.of(1024, 5120), t.get("model.layers.0.self_attn.v_proj.weight"));
        assertEquals(Shape.of(5120, 4096), t.get("model.layers.0.self_attn.o_proj.weight"));
        assertEquals(Shape.of(14336, 5120), t.get("model.layers.0.mlp.gate_proj.weight"));
        assertEquals(Shape.of(5120, 14336), t.get("model.layers.0.mlp.down_proj.weight"));
        assertEquals(Shape.of(131072, 5120), t.get("lm_head.weight"));
        assertEquals(Shape.of(5120), t.get("model.norm.weight"));
        assertEquals("model.embed_tokens.weight", t.keySet().iterator().next());
    }

    @Test
    void fieldsOfRealFiles() {
        LlamaConfig llama = LlamaConfig.read(resource("llama-3.1-8b.json"));
        assertEquals(128, llama.headDim());   // absent in the file: hidden / heads
        assertEquals(RopeScaling.llama3(8.0, 1.0, 4.0, 8192), llama.ropeScaling());
        assertEquals(List.of(128001), llama.eosTokenIds());
        assertEquals(128000, llama.bosTokenId());
        assertNull(llama.slidingWindow());
        assertEquals("bfloat16", llama.torchDtype());

        LlamaConfig small = LlamaConfig.read(resource("llama-3.2-1b.json"));
        assertEquals(64, small.headDim());
        assertTrue(small.tieWordEmbeddings());
        assertEquals(32.0, small.ropeScaling().factor());

        LlamaConfig nemo = LlamaConfig.read(resource("mistral-nemo-12b.json"));
        assertEquals("mistral", nemo.modelType());
        assertEquals(128, nemo.headDim());
        assertEquals(5120 / 32 * 32, nemo.hiddenSize());
        assertTrue(nemo.queryWidth() != nemo.hiddenSize());
        assertNull(nemo.slidingWindow());   // explicit null in the file
        assertNull(nemo.ropeScaling());
        assertEquals(1_000_000.0, nemo.ropeTheta());
    }

    private static String llama(String extra) {
        return "{\"model_type\": \"llama\", \"hidden_size\": 64, \"intermediate_size\": 96, \"num_hidden_layers\": 2,"
                + " \"num_attention_heads\": 4, \"vocab_size\": 100" + (extra.isEmpty() ? "" : ", " + extra) + "}";
    }

    @Test
    void defaultsAndSpellings() {
        LlamaConfig c = LlamaConfig.parse(llama(""), "tiny.json");
        assertEquals(4, c.numKeyValueHeads());   // defaults to num_attention_heads
        assertEquals(16, c.headDim());
        assertEquals(1e-6, c.rmsNormEps());
        assertEquals(10000.0, c.ropeTheta());
        assertEquals(List.of(), c.eosTokenIds());
        assertNull(c.bosTokenId());
        assertFalse(c.tieWordEmbeddings());

        assertEquals(List.of(97, 98, 99), LlamaConfig.parse(llama("\"eos_token_id\": [97, 98, 99]"), "x").eosTokenIds());
        assertEquals(List.of(7), LlamaConfig.parse(llama("\"eos_token_id\": 7"), "x").eosTokenIds());
        assertEquals(RopeScaling.linear(2.0),
                LlamaConfig.parse(llama("\"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}"), "x").ropeScaling());
        assertEquals(RopeScaling.llama3(8, 1, 4, 8192), LlamaConfig.parse(llama("\"rope_scaling\": {\"type\": \"llama3\","
                + " \"factor\": 8, \"low_freq_factor\": 1, \"high_freq_factor\": 4, \"original_max_position_embeddings\": 8192}"),
                "x").ropeScaling());
        assertNull(LlamaConfig.parse(llama("\"rope_scaling\": {\"rope_type\": \"default\"}"), "x").ropeScaling());
        assertEquals(24, LlamaConfig.parse(llama("\"head_dim\": 24"), "x").headDim());

        String mistral = llama("\"num_key_value_heads\": 4").replace("\"llama\"", "\"mistral\"");
        assertEquals(LlamaConfig.MISTRAL_DEFAULT_SLIDING_WINDOW, LlamaConfig.parse(mistral, "x").slidingWindow());
        assertEquals(512, LlamaConfig.parse(mistral.replace("}", ", \"sliding_window\": 512}"), "x").slidingWindow());
        assertNull(LlamaConfig.parse(llama("\"sliding_window\": 512"), "x").slidingWindow());   // HF's Llama has none
        // transformers >= 4.56 writes "dtype"; transformers 5 puts rope_theta and the scaling in "rope_parameters".
        assertEquals("bfloat16", LlamaConfig.parse(llama("\"dtype\": \"bfloat16\""), "x").torchDtype());
        // torch_dtype names a floating torch dtype, as transformers' getattr(torch, name) resolves it
        assertEquals(DType.F16, LlamaConfig.parse(llama("\"torch_dtype\": \"half\""), "x").storedDtype());
        assertEquals(DType.F32, LlamaConfig.parse(llama(""), "x").storedDtype());              // none: float32
        assertNull(LlamaConfig.parse(llama("\"torch_dtype\": \"float64\""), "x").storedDtype());
        ConfigException int8 = assertThrows(ConfigException.class,
                () -> LlamaConfig.parse(llama("\"torch_dtype\": \"int8\""), "x"));
        assertEquals("x: torch_dtype: expected a floating torch dtype (float32, float, bfloat16, float16, half, float64, "
                + "double), found \"int8\"", int8.getMessage());
        LlamaConfig v5 = LlamaConfig.parse(llama("\"rope_parameters\": {\"rope_type\": \"llama3\", \"rope_theta\": 500000.0,"
                + " \"factor\": 32.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192}"), "x");
        assertEquals(500000.0, v5.ropeTheta());
        assertEquals(RopeScaling.llama3(32, 1, 4, 8192), v5.ropeScaling());
        LlamaConfig v5Default = LlamaConfig.parse(llama("\"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 1e6}"), "x");
        assertEquals(1e6, v5Default.ropeTheta());
        assertNull(v5Default.ropeScaling());
        // files in between carry "rope_scaling": null (and the same rope_theta) next to rope_parameters
        LlamaConfig v5WithNull = LlamaConfig.parse(llama("\"rope_scaling\": null, \"rope_theta\": 10000.0, "
                + "\"rope_parameters\": {\"rope_type\": \"linear\", \"factor\": 2.0, \"rope_theta\": 10000.0}"), "x");
        assertEquals(RopeScaling.linear(2.0), v5WithNull.ropeScaling());
        // a null rope_theta beside rope_parameters' (an exporter writes this), and the two spellings agreeing as
        // scalings though their keys differ ("type" vs "rope_type", rope_theta only in rope_parameters)
        assertEquals(1e6, LlamaConfig.parse(llama("\"rope_theta\": null, \"rope_parameters\": {\"rope_type\": "
                + "\"default\", \"rope_theta\": 1e6}"), "x").ropeTheta());
        LlamaConfig both = LlamaConfig.parse(llama("\"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}, "
                + "\"rope_parameters\": {\"rope_type\": \"linear\", \"factor\": 2.0, \"rope_theta\": 5e5}"), "x");
        assertEquals(RopeScaling.linear(2.0), both.ropeScaling());
        assertEquals(5e5, both.ropeTheta());
        // Harmless unknown fields are ignored.
        assertEquals(c, LlamaConfig.parse(llama("\"use_cache\": false, \"pretraining_tp\": 2, \"foo\": {\"bar\": [1]}"), "tiny.json"));
    }

    /**
     * An absent num_key_value_heads: HF's LlamaConfig reads it as num_attention_heads (multi-head attention), but
     * MistralConfig as 8 (Mistral 7B's value) whatever num_attention_heads is; an explicit null is
     * num_attention_heads in both. Found by reference/fuzz_hf_transformers.py against transformers 5.18: a mistral
     * config of 16 heads without the field was read as 16 KV heads, and its checkpoint (8 KV heads) refused.
     */
    @Test
    void absentKeyValueHeadsFollowTheModelTypesDefault() {
        String llama16 = llama("").replace("\"num_attention_heads\": 4", "\"num_attention_heads\": 16");
        String mistral16 = llama16.replace("\"llama\"", "\"mistral\"");
        assertEquals(16, LlamaConfig.parse(llama16, "x").numKeyValueHeads());
        assertEquals(8, LlamaConfig.parse(mistral16, "x").numKeyValueHeads());
        assertEquals(16, LlamaConfig.parse(mistral16.replace("}", ", \"num_key_value_heads\": null}"), "x")
                .numKeyValueHeads());
        assertEquals(4, LlamaConfig.parse(mistral16.replace("}", ", \"num_key_value_heads\": 4}"), "x")
                .numKeyValueHeads());
        // 4 heads cannot share 8 KV heads: HF builds the model and fails in its forward; here the file is refused
        assertRefused(llama("").replace("\"llama\"", "\"mistral\""), "num_key_value_heads is absent",
                "MistralConfig's default 8", "num_attention_heads (4)", "give num_key_value_heads explicitly");
    }

    /** Each refusal names the file, the field and the value. */
    private static void assertRefused(String json, String... mustContain) {
        ConfigException e = assertThrows(ConfigException.class, () -> LlamaConfig.parse(json, "my/config.json"));
        assertTrue(e.getMessage().startsWith("my/config.json: "), e.getMessage());
        for (String s : mustContain) {
            assertTrue(e.getMessage().contains(s), "message should contain '" + s + "': " + e.getMessage());
        }
    }

    @Test
    void refusesWhatWouldChangeTheMath() {
        assertRefused(llama("\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0}"),
                "rope_scaling.rope_type", "\"yarn\"", "supported: llama3, linear");
        assertRefused(llama("\"rope_scaling\": {\"type\": \"dynamic\", \"factor\": 2.0}"), "rope_scaling.type", "\"dynamic\"");
        assertRefused(llama("\"rope_parameters\": {\"rope_type\": \"yarn\", \"rope_theta\": 1e6, \"factor\": 4.0}"),
                "rope_parameters.rope_type", "\"yarn\"");
        assertRefused(llama("\"attention_bias\": true"), "attention_bias", "true", "not supported");
        assertRefused(llama("\"mlp_bias\": true"), "mlp_bias", "true");
        assertRefused(llama("\"hidden_act\": \"gelu\""), "hidden_act", "\"gelu\"", "silu");
        assertRefused(llama("").replace("\"llama\"", "\"qwen2\""), "model_type", "\"qwen2\"", "llama, mistral");
        assertRefused(llama("\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0}"),
                "missing field rope_scaling.low_freq_factor");
        assertRefused(llama("\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 4.0,"
                + " \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192}"),
                "rope_scaling.llama3 needs 0 < low_freq_factor < high_freq_factor, got low 4.0, high 4.0");
        assertRefused(llama("\"rope_scaling\": {\"type\": \"linear\", \"factor\": 0}"), "rope_scaling.factor must be > 0");
        // an explicit null where HF has a default: HF fails on it (None + float), so it is not taken as the default
        assertRefused(llama("\"rms_norm_eps\": null"), "rms_norm_eps must be a number, got null");
        assertRefused(llama("\"rope_theta\": null"), "rope_theta must be a number, got null");
        assertRefused(llama("\"hidden_act\": null"), "hidden_act must be \"silu\", got null");
        // both RoPE spellings, disagreeing
        assertRefused(llama("\"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}, \"rope_parameters\": "
                + "{\"rope_type\": \"linear\", \"factor\": 4.0}"), "rope_scaling", "rope_parameters", "disagree");
        assertRefused(llama("\"rope_theta\": 10000.0, \"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 5e5}"),
                "rope_theta 10000.0 and rope_parameters.rope_theta 500000.0 disagree");
        // attention_bias false / mlp_bias false / hidden_act silu are accepted.
        LlamaConfig.parse(llama("\"attention_bias\": false, \"mlp_bias\": false, \"hidden_act\": \"silu\""), "x");
    }

    @Test
    void refusesMalformedFiles(@TempDir Path dir) {
        assertRefused("{\"model_type\": \"llama\", ", "not valid JSON");
        // Python's json.load (HF) refuses text after the object; Jackson alone would drop it
        assertRefused(llama("") + "\n}", "not valid JSON: extra data after the JSON value: \"}\" (line 2, column 1)");
        assertRefused("[1, 2]", "expected a JSON object");
        assertRefused(llama("").replace("\"model_type\": \"llama\",", ""), "missing field model_type");
        assertRefused(llama("").replace("\"hidden_size\": 64", "\"hidden_size\": \"64\""), "hidden_size must be an integer", "\"64\"");
        assertRefused(llama("").replace("\"hidden_size\": 64", "\"hidden_size\": 64.5"), "hidden_size must be an integer", "64.5");
        assertRefused(llama("").replace(", \"vocab_size\": 100", ""), "missing field vocab_size");
        assertRefused(llama("\"num_key_value_heads\": 3"), "multiple of num_key_value_heads");
        assertRefused(llama("").replace("\"hidden_size\": 64", "\"hidden_size\": 66"), "head_dim is absent");
        assertRefused(llama("\"eos_token_id\": [1, \"x\"]"), "eos_token_id must be an integer");
        assertRefused(llama("\"eos_token_id\": [1, 100]"), "eos_token_id must be in [0, vocab_size 100), got 100");
        assertRefused(llama("\"bos_token_id\": -1"), "bos_token_id must be in [0, vocab_size 100), got -1");
        assertRefused(llama("\"head_dim\": 5"), "head_dim must be even", "5");
        assertRefused(llama("\"head_dim\": 1073741824"), "num_attention_heads * head_dim = 4294967296");
        assertRefused(llama("\"hidden_size\": 1"), "Duplicate field 'hidden_size'");
        // DamagedFilesFuzzTest config case 3327 at -Dfuzz.seed=7: no head_dim and num_attention_heads 0 was an
        // ArithmeticException (/ by zero) in hidden_size % num_attention_heads
        assertRefused(llama("").replace("\"num_attention_heads\": 4", "\"num_attention_heads\": 0"),
                "num_attention_heads must be positive, got 0");
        ConfigException missing = assertThrows(ConfigException.class, () -> LlamaConfig.read(dir));
        assertTrue(missing.getMessage().contains(dir.resolve("config.json") + ": no such file"), missing.getMessage());
    }

    @ParameterizedTest
    @MethodSource("presets")
    void writeThenReadIsIdentity(String name, @TempDir Path dir) throws IOException {
        LlamaConfig c = LlamaConfig.preset(name);
        c.write(dir);
        assertEquals(c, LlamaConfig.read(dir));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(dir.resolve("config.json")), files.toList(), "no temp files left");
        }
    }

    @Test
    void prunedConfigWritesExplicitHeadDim() {
        // Width-pruned Llama 3.1 8B: hidden 3072 with 32 heads of 128, so head_dim != hidden / heads (96).
        LlamaConfig pruned = LlamaConfig.preset("llama-3.1-8b").withShape(3072, 9216, 32, 32, 8);
        String json = pruned.toJson();
        assertTrue(json.contains("\"head_dim\": 128"), json);
        assertEquals(pruned, LlamaConfig.parse(json, "pruned"));
        assertEquals(LlamaConfig.preset("minitron-4b-width"), LlamaConfig.parse(json, "pruned"));
        // Mistral with full attention writes sliding_window null, since absent would mean 4096.
        assertTrue(LlamaConfig.preset("mistral-nemo-12b").toJson().contains("\"sliding_window\": null"));
    }

    @Test
    void unknownPresetListsKnownOnes() {
        ConfigException e = assertThrows(ConfigException.class, () -> LlamaConfig.preset("llama-4"));
        assertTrue(e.getMessage().contains("llama-3.2-1b"), e.getMessage());
    }
}
