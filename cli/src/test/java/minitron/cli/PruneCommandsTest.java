package minitron.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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

/** {@code minitron importance} and {@code minitron prune} end to end on a tiny random model. */
class PruneCommandsTest {
    @TempDir
    Path dir;
    Path model, data;

    static final int VOCAB = 258;

    @BeforeEach
    void writeModelAndData() throws IOException {
        model = dir.resolve("model");
        writeModel(model, 11);
        data = dir.resolve("calib.txt");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 60; i++) text.append("The quick brown fox number ").append(i).append(" jumps over the lazy dog. ");
        Files.writeString(data, text);
    }

    static void writeModel(Path target, long seed) throws IOException {
        String config = "{\"model_type\": \"llama\", \"hidden_size\": 16, \"intermediate_size\": 24, "
                + "\"num_hidden_layers\": 4, \"num_attention_heads\": 4, \"num_key_value_heads\": 2, \"rms_norm_eps\": 1e-5, "
                + "\"rope_theta\": 10000.0, \"max_position_embeddings\": 256, \"vocab_size\": " + VOCAB + ", "
                + "\"tie_word_embeddings\": false, \"bos_token_id\": 257, \"eos_token_id\": 256, \"hidden_act\": \"silu\", "
                + "\"torch_dtype\": \"bfloat16\"}";
        LlamaConfig c = LlamaConfig.parse(config, "test config");
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Shape> e : c.expectedTensors().entrySet()) {
            Tensor t = Tensor.zeros(DType.F32, e.getValue());
            for (int i = 0; i < t.numel(); i++) t.writeDouble(i, random.nextDouble(-1, 1) / (e.getValue().rank() == 1 ? 4 : 2));
            tensors.put(e.getKey(), t);
        }
        try (LlamaModel m = LlamaModel.fromTensors(c, tensors, true)) {
            m.save(target, DType.BF16);
        }
        TinyTokenizer.write(target);
        // the token cache of the calibration data needs a BOS and an EOS; the tiny vocabulary has one special token
        Files.writeString(target.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\", \"eos_token\": \"<s>\"}");
    }

    private String[] run(String... args) {
        return CliRun.run(args);
    }

    private static float[] logits(Path modelDir) {
        Tensor ids = Tensor.of(new int[] {257, 84, 104, 101, 32, 113, 117, 105}, 1, 8);
        try (LlamaModel m = LlamaModel.load(modelDir, LlamaModel.Mode.INFERENCE); NoGrad scope = NoGrad.enter()) {
            return m.forward(ids).value().toFloatArray();
        }
    }

    @Test
    void importanceRefusesATokenizerWithMoreTokensThanTheModelBeforeReadingTheData() throws IOException {
        Path big = dir.resolve("big");
        assertEquals("0", run("tokenizer", "train", "--data", data.toString(), "--vocab-size", "300", "--out",
                big.toString(), "--special", "<s>,</s>")[0]);
        Path imp = dir.resolve("imp");
        String[] r = run("importance", "--model", model.toString(), "--tokenizer", big.resolve("tokenizer.json").toString(),
                "--data", data.toString(), "--samples", "4", "--seq-len", "16", "--out", imp.toString());
        assertEquals("1", r[0]);
        // was, after tokenizing the calibration data: "embedding: expected ids in [0, 258), got 298 ..."
        assertEquals("minitron importance: --tokenizer: expected a tokenizer of at most " + VOCAB + " tokens (the "
                + "vocab_size of " + model.resolve("config.json") + "), found 300 tokens in " + big.resolve("tokenizer.json"),
                r[2]);
        assertTrue(Files.notExists(imp));
    }

    /** --jsonl says how a --data file is read; a bundled brown:SPLIT is read as it is, and took it without a word. */
    @Test
    void importanceRefusesJsonlWithABundledSplit() {
        Path imp = dir.resolve("imp");
        String[] r = run("importance", "--model", model.toString(), "--data", "brown:pretrain-val", "--jsonl",
                "--samples", "4", "--seq-len", "16", "--out", imp.toString());
        assertEquals("1", r[0]);
        assertEquals("minitron importance: --jsonl: expected with a JSONL file or folder as --data, found --data "
                + "brown:pretrain-val (a bundled split, read as it is)", r[2]);
        assertTrue(Files.notExists(imp));
    }

    @Test
    void importanceThenWidthPruning() throws IOException {
        Path imp = dir.resolve("imp");
        String[] r = run("importance", "--model", model.toString(), "--data", data.toString(), "--samples", "16",
                "--seq-len", "32", "--batch", "4", "--out", imp.toString());
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("tokens/s"), r[1]);
        for (String f : new String[] {"importance.json", "importance.safetensors", "heads.png", "neurons.png", "embedding.png"}) {
            assertTrue(Files.isRegularFile(imp.resolve(f)), f);
        }
        String[] again = run("importance", "--model", model.toString(), "--data", data.toString(), "--samples", "16",
                "--seq-len", "32", "--batch", "4", "--out", imp.toString());
        assertEquals("1", again[0]);
        assertEquals("minitron importance: --out: " + imp + " is not empty (add --overwrite to write into it, replacing "
                + "the files of the same names)", again[2]);

        Path same = dir.resolve("same");
        r = run("prune", "--model", model.toString(), "--importance", imp.toString(), "--hidden-size", "16", "--out", same.toString());
        assertEquals("0", r[0], r[2]);
        assertArrayEquals(logits(model), logits(same), "keeping everything is the identity");
        assertTrue(Files.isRegularFile(same.resolve("tokenizer.json")));

        Path small = dir.resolve("small");
        r = run("prune", "--model", model.toString(), "--importance", imp.toString(), "--hidden-size", "12",
                "--intermediate-size", "0.5", "--num-attention-heads", "2", "--out", small.toString());
        assertEquals("0", r[0], r[2]);
        LlamaConfig c = LlamaConfig.read(small);
        assertEquals(12, c.hiddenSize());
        assertEquals(12, c.intermediateSize());
        assertEquals(2, c.numAttentionHeads());
        assertEquals(4, c.headDim());
        long before = LlamaConfig.read(model).parameterCount(), after = c.parameterCount();
        assertTrue(r[1].contains(String.format("parameters: %,d -> %,d", before, after)), r[1]);
        assertTrue(r[1].contains("predicted speedup"), r[1]);
        assertEquals(8 * VOCAB, logits(small).length);

        Path random = dir.resolve("random");
        r = run("prune", "--model", model.toString(), "--baseline", "random", "--hidden-size", "12", "--out", random.toString());
        assertEquals("0", r[0], r[2]);
        assertEquals(12, LlamaConfig.read(random).hiddenSize());

        // A non-empty --out (another run's files, or the user's) is only written into with --overwrite.
        r = run("prune", "--model", model.toString(), "--baseline", "random", "--hidden-size", "8", "--out", random.toString());
        assertEquals("1", r[0]);
        assertEquals("minitron prune: --out: " + random + " is not empty (add --overwrite to write into it, replacing "
                + "the files of the same names)", r[2]);
        assertEquals(12, LlamaConfig.read(random).hiddenSize(), "untouched");
        r = run("prune", "--model", model.toString(), "--baseline", "random", "--hidden-size", "8", "--out", random.toString(),
                "--overwrite");
        assertEquals("0", r[0], r[2]);
        assertEquals(8, LlamaConfig.read(random).hiddenSize());
    }

    @Test
    void badInputIsReported() throws IOException {
        Path imp = dir.resolve("imp");
        assertEquals("0", run("importance", "--model", model.toString(), "--data", data.toString(), "--samples", "4",
                "--seq-len", "16", "--batch", "2", "--out", imp.toString())[0]);
        Path other = dir.resolve("other");
        writeModel(other, 12);
        String[] r = run("prune", "--model", other.toString(), "--importance", imp.toString(), "--hidden-size", "8",
                "--out", dir.resolve("x").toString());
        assertEquals("1", r[0]);
        assertTrue(r[2].contains("computed for another model") && r[2].contains("weights_sha256"), r[2]);
        r = run("prune", "--model", model.toString(), "--importance", imp.toString(), "--hidden-size", "32",
                "--out", dir.resolve("x").toString());
        assertEquals("1", r[0]);
        assertTrue(r[2].contains("expected a size in [1, 16]") && r[2].contains("found 32"), r[2]);
        r = run("prune", "--model", model.toString(), "--importance", imp.toString(), "--num-attention-heads", "3",
                "--out", dir.resolve("x").toString());
        assertEquals("1", r[0]);
        assertTrue(r[2].contains("multiple of num_key_value_heads = 2"), r[2]);
        r = run("importance", "--model", model.toString(), "--data", data.toString(), "--seq-len", "200", "--batch", "32",
                "--out", dir.resolve("y").toString());
        assertEquals("1", r[0]);
        assertTrue(r[2].contains("calibration set smaller than one batch: expected at least 32 rows"), r[2]);
    }

    @Test
    void depthPruningByEachMetric() throws IOException {
        for (String metric : new String[] {"bi", "loss", "task"}) {
            Path out = dir.resolve("depth-" + metric);
            // each metric with the options it reads (the others are refused: optionsTheModeDoesNotReadAreRefused)
            List<String> args = new ArrayList<>(List.of("prune", "--model", model.toString(), "--depth", "2",
                    "--metric", metric, "--out", out.toString()));
            if (metric.equals("task")) {
                args.addAll(List.of("--task-limit", "6"));
            } else {
                args.addAll(List.of("--data", data.toString(), "--samples", "4", "--seq-len", "32", "--batch", "2"));
            }
            String[] r = run(args.toArray(String[]::new));
            assertEquals("0", r[0], r[2]);
            assertTrue(r[1].contains("removing layers"), r[1]);
            assertEquals(2, LlamaConfig.read(out).numHiddenLayers());
            assertTrue(Files.isRegularFile(out.resolve("depth-" + metric + ".json")));
            assertTrue(Files.isRegularFile(out.resolve("depth-" + metric + ".png")));
            assertEquals(8 * VOCAB, logits(out).length);
        }
        String[] r = run("prune", "--model", model.toString(), "--data", data.toString(), "--depth", "4", "--out",
                dir.resolve("z").toString());
        assertEquals("1", r[0]);
        assertTrue(r[2].contains("--depth: expected a number of layers in [1, 3], found 4"), r[2]);
    }

    /**
     * A training checkpoint's model folder has no tokenizer.json: depth pruning takes --tokenizer (it failed with
     * "tokenizer file not found"), and a tokenizer with more tokens than the model is refused up front.
     */
    @Test
    void depthPruningOfAFolderWithoutTokenizerTakesTokenizer() throws IOException {
        Path checkpoint = Files.createDirectories(dir.resolve("checkpoint"));
        for (String name : List.of("config.json", "model.safetensors")) {
            Files.copy(model.resolve(name), checkpoint.resolve(name));
        }
        List<String> args = List.of("prune", "--model", checkpoint.toString(), "--depth", "1", "--data", data.toString(),
                "--samples", "4", "--seq-len", "16", "--batch", "2", "--block-sizes", "1");
        String[] none = run(withOut(args, dir.resolve("a")));
        assertEquals("1", none[0]);
        assertTrue(none[2].startsWith("minitron prune: --tokenizer: expected a tokenizer.json in the model folder (the "
                + "default), found none in " + checkpoint), none[2]);
        List<String> given = new ArrayList<>(args);
        given.addAll(List.of("--tokenizer", model.toString()));
        String[] r = run(withOut(given, dir.resolve("b")));
        assertEquals("0", r[0], r[2]);
        assertEquals(3, LlamaConfig.read(dir.resolve("b")).numHiddenLayers());
        // the pruned folder is complete: the tokenizer came with --tokenizer
        assertEquals(Files.readString(model.resolve("tokenizer.json")), Files.readString(dir.resolve("b/tokenizer.json")));
        assertTrue(Files.isRegularFile(dir.resolve("b/tokenizer_config.json")));
        // the same scores as with the model folder's own tokenizer
        String[] own = run(withOut(args.stream().map(a -> a.equals(checkpoint.toString()) ? model.toString() : a)
                .toList(), dir.resolve("c")));
        assertEquals("0", own[0], own[2]);
        assertEquals(Files.readString(dir.resolve("c/depth-loss.json")), Files.readString(dir.resolve("b/depth-loss.json")));
        // width pruning reads no tokenizer
        String[] width = run("prune", "--model", model.toString(), "--baseline", "random", "--hidden-size", "8",
                "--tokenizer", model.toString(), "--out", dir.resolve("d").toString());
        assertEquals("1", width[0]);
        assertTrue(width[2].startsWith("minitron prune: --tokenizer: expected only with depth pruning"), width[2]);
    }

    private static String[] withOut(List<String> args, Path out) {
        List<String> all = new ArrayList<>(args);
        all.addAll(List.of("--out", out.toString()));
        return all.toArray(String[]::new);
    }

    /** A float64 source has no storage dtype of ours: --dtype is asked for (the pruned weights had become F32). */
    @Test
    void aFloat64SourceNeedsDtype() throws IOException {
        Path f64 = Files.createDirectories(dir.resolve("f64"));
        for (String name : List.of("model.safetensors", "tokenizer.json", "tokenizer_config.json")) {
            Files.copy(model.resolve(name), f64.resolve(name));
        }
        Files.writeString(f64.resolve("config.json"),
                Files.readString(model.resolve("config.json")).replace("\"bfloat16\"", "\"float64\""));
        String[] r = run("prune", "--model", f64.toString(), "--baseline", "random", "--hidden-size", "8",
                "--out", dir.resolve("x").toString());
        assertEquals("1", r[0]);
        assertEquals("minitron prune: --dtype: expected with a source whose torch_dtype is float64 (weights are stored "
                + "as F32, BF16 or F16), found none", r[2]);
        r = run("prune", "--model", f64.toString(), "--baseline", "random", "--hidden-size", "8",
                "--dtype", "BF16", "--out", dir.resolve("x").toString());
        assertEquals("0", r[0], r[2]);
        assertTrue(Files.readString(dir.resolve("x/config.json")).contains("\"torch_dtype\": \"bfloat16\""));
    }

    @Test
    void nonsenseOptionsAreOneLineErrors() throws IOException {
        Path imp = dir.resolve("imp");
        assertEquals("0", run("importance", "--model", model.toString(), "--data", data.toString(), "--samples", "4",
                "--seq-len", "16", "--batch", "2", "--out", imp.toString())[0]);
        Path file = Files.writeString(dir.resolve("a-file.txt"), "x");
        String m = model.toString(), x = dir.resolve("x").toString();
        String[][] cases = { // {args..., the message after "minitron <command>: "}
                {"prune", "--model", m, "--importance", imp.toString(), "--out", x,
                        "width pruning: expected at least one of --hidden-size, --intermediate-size, "
                                + "--num-attention-heads, found none"},
                {"prune", "--model", m, "--out", x,
                        "expected either width options (--importance DIR and sizes) or depth options (--data, --depth K, "
                                + "--metric), found neither"},
                {"prune", "--model", m, "--importance", imp.toString(), "--hidden-size", "8", "--flops-context", "0",
                        "--out", x, "--flops-context: expected >= 1, found 0"},
                {"prune", "--model", m, "--importance", imp.toString(), "--hidden-size", "10", "--out", x,
                        "--hidden-size: expected a multiple of num_attention_heads (4) for a llama model, which "
                                + "transformers refuses otherwise, found 10 (e.g. 8 or 12)"},
                {"prune", "--model", m, "--importance", imp.toString(), "--hidden-size", "2", "--out", x,
                        "--hidden-size: expected a multiple of num_attention_heads (4) for a llama model, which "
                                + "transformers refuses otherwise, found 2 (e.g. 4)"},
                {"prune", "--model", m, "--importance", imp.toString(), "--hidden-size", "8", "--dtype", "f64",
                        "--out", x, "--dtype: expected F32, BF16 or F16, found \"f64\""},
                {"prune", "--model", m, "--importance", imp.toString(), "--hidden-size", "8", "--out", m,
                        "--out: expected a directory other than --model, found " + m},
                {"prune", "--model", m, "--importance", imp.toString(), "--hidden-size", "8", "--out", file.toString(),
                        "--out: expected a directory (new or existing), found a file: " + file},
                {"prune", "--model", m, "--depth", "1", "--metric", "task", "--task-limit", "0", "--out", x,
                        "--task-limit: expected >= 1, found 0"},
                {"prune", "--model", m, "--depth", "1", "--metric", "task", "--task", "nosuch", "--out", x,
                        "--task: unknown task \"nosuch\" (known: ppl, brown-cloze, choice, winogrande, hellaswag, "
                                + "arc_easy, arc_challenge, mmlu, piqa, gsm8k)"},
                {"prune", "--model", m, "--depth", "1", "--data", data.toString(), "--seq-len", "1000", "--out", x,
                        "--seq-len: expected <= 256 (the model's max_position_embeddings), found 1000"},
                {"importance", "--model", m, "--data", data.toString(), "--seq-len", "1000", "--out", x,
                        "--seq-len: expected <= 256 (the model's max_position_embeddings), found 1000"},
                {"importance", "--model", m, "--data", data.toString(), "--samples", "4", "--seq-len", "16",
                        "--batch", "2", "--out", file.toString(),
                        "--out: expected a directory (new or existing), found a file: " + file},
        };
        for (String[] c : cases) {
            String[] r = run(Arrays.copyOf(c, c.length - 1));
            assertEquals("1", r[0], String.join(" ", c));
            assertEquals("minitron " + c[0] + ": " + c[c.length - 1], r[2]);
        }
        assertTrue(Files.isRegularFile(model.resolve("model.safetensors")) && !Files.exists(dir.resolve("x")),
                "nothing written");
    }

    /**
     * An option the chosen mode does not read is refused, naming it, instead of being ignored: width pruning took
     * --data, --metric, --task-limit, ... without a word, and --seed did nothing outside the random baselines.
     */
    @Test
    void optionsTheModeDoesNotReadAreRefused() {
        String m = model.toString(), x = dir.resolve("x").toString(), d = data.toString();
        String imp = dir.resolve("imp").toString();    // never read: the options are checked first
        String[][] cases = { // {args..., the message after "minitron prune: "}
                {"--importance", imp, "--hidden-size", "8", "--data", d, "--samples", "4", "--non-contiguous",
                        "--data, --non-contiguous and --samples: expected only with depth pruning (--depth K), found "
                                + "with width pruning"},
                {"--baseline", "random", "--hidden-size", "8", "--metric", "bi",
                        "--metric: expected only with depth pruning (--depth K), found with width pruning"},
                {"--importance", imp, "--hidden-size", "8", "--seed", "7",
                        "--seed: expected only with --baseline random or random-init, found with --baseline importance"},
                {"--importance", imp, "--baseline", "random-init", "--hidden-size", "8",
                        "--importance: expected only with --baseline importance, found with --baseline random-init "
                                + "(random scores)"},
                {"--baseline", "importance", "--depth", "1", "--data", d,
                        "expected either width options (--importance DIR and sizes) or depth options (--data, "
                                + "--depth K, --metric), found both"},
                {"--depth", "1", "--data", d, "--seed", "7",
                        "--seed: expected only with width pruning --baseline random or random-init, found with depth "
                                + "pruning"},
                {"--depth", "1", "--metric", "task", "--data", d, "--seq-len", "16",
                        "--data and --seq-len: expected only with --metric loss or bi, found with --metric task"},
                {"--depth", "1", "--metric", "bi", "--data", d, "--task-limit", "6",
                        "--task-limit: expected only with --metric task, found with --metric bi"},
                {"--depth", "1", "--data", d, "--task", "brown-cloze",
                        "--task: expected only with --metric task, found with --metric loss"},
                {"--depth", "1", "--data", "brown:pretrain-val", "--jsonl",
                        "--jsonl: expected with a JSONL file or folder as --data, found --data brown:pretrain-val (a "
                                + "bundled split, read as it is)"},
        };
        for (String[] c : cases) {
            List<String> args = new ArrayList<>(List.of("prune", "--model", m, "--out", x));
            args.addAll(List.of(c).subList(0, c.length - 1));
            String[] r = run(args.toArray(String[]::new));
            assertEquals("1", r[0], String.join(" ", c));
            assertEquals("minitron prune: " + c[c.length - 1], r[2]);
        }
        assertTrue(Files.notExists(dir.resolve("x")), "nothing written");
    }
}
