package minitron.transformer.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import minitron.tensor.DType;
import minitron.tensor.Shape;
import minitron.tensor.Tensor;
import minitron.transformer.config.ConfigException;
import minitron.transformer.config.LlamaConfig;
import minitron.transformer.model.LlamaModel;

/**
 * Model shapes for training from scratch, and their seeded initialization.
 *
 * <p>A model is named by: a small training shape of this class ({@link #SHAPES}: {@code bench-train}, the issue's
 * benchmark configuration; {@code teacher}, the bundled teacher; {@code tiny}, for tests), a preset of
 * {@link LlamaConfig#preset}, a config.json file, or a folder holding one (an HF model directory).
 *
 * <p>Initialization (HF LlamaPreTrainedModel._init_weights with initializer_range 0.02): every matrix
 * (embeddings, projections, head) ~ N(0, 0.02^2), every RMSNorm weight = 1. The normal draws come from
 * {@link SplitMix64Normal} seeded by the run's seed, tensor by tensor in checkpoint order, so the same seed gives
 * the same bits on every JDK and thread count.
 */
public final class ModelFactory {
    /** HF's initializer_range default for Llama. */
    public static final double INITIALIZER_RANGE = 0.02;

    private ModelFactory() {
    }

    private static LlamaConfig llama(int hidden, int intermediate, int layers, int heads, int kvHeads, int vocab,
                                     int maxPositions) {
        // Llama 3 values: rms eps 1e-5, rope theta 500000, untied head; bos/eos ids are set from the tokenizer.
        return new LlamaConfig(LlamaConfig.LLAMA, hidden, intermediate, layers, heads, kvHeads, hidden / heads, 1e-5,
                500000.0, null, maxPositions, vocab, false, null, List.of(), null, "float32");
    }

    /** Small shapes for training here: name -> config (vocab_size is replaced by the tokenizer's in train). */
    public static final Map<String, LlamaConfig> SHAPES = buildShapes();

    private static Map<String, LlamaConfig> buildShapes() {
        Map<String, LlamaConfig> s = new LinkedHashMap<>();
        // The training benchmark: d=256, 8 layers, 8 heads, 2 KV heads, MLP 704, vocabulary 4096.
        s.put("bench-train", llama(256, 704, 8, 8, 2, 4096, 2048));
        // The bundled teacher (scripts/train-teacher.sh): 2.36M parameters with a vocabulary of 2048.
        s.put("teacher", llama(192, 512, 4, 6, 2, 2048, 512));
        // Tests: seconds per run on two cores.
        s.put("tiny", llama(32, 64, 2, 4, 2, 64, 128));
        return s;
    }

    /**
     * The config named by {@code spec} (see the class comment). Errors name the spec and list the known shapes.
     */
    public static LlamaConfig resolve(String spec) {
        LlamaConfig shape = SHAPES.get(spec);
        if (shape != null) return shape;
        if (LlamaConfig.presetNames().contains(spec)) return LlamaConfig.preset(spec);
        Path path = Path.of(spec);
        if (Files.isDirectory(path) || Files.isRegularFile(path)) return LlamaConfig.read(path);
        throw new ConfigException("model: expected a shape (" + String.join(", ", SHAPES.keySet()) + "), a preset ("
                + String.join(", ", LlamaConfig.presetNames()) + "), a config.json or a model folder, found \""
                + spec + "\"");
    }

    /** The same config with another vocabulary size and BOS / EOS ids (from the tokenizer). */
    public static LlamaConfig withVocabulary(LlamaConfig c, int vocabSize, Integer bos, List<Integer> eos) {
        return new LlamaConfig(c.modelType(), c.hiddenSize(), c.intermediateSize(), c.numHiddenLayers(),
                c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim(), c.rmsNormEps(), c.ropeTheta(),
                c.ropeScaling(), c.maxPositionEmbeddings(), vocabSize, c.tieWordEmbeddings(), bos, eos,
                c.slidingWindow(), c.torchDtype());
    }

    /** A trainable model (F32 parameters) initialized from {@code seed} as described in the class comment. */
    public static LlamaModel initialize(LlamaConfig config, long seed) {
        SplitMix64Normal rng = new SplitMix64Normal(seed);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Shape> e : config.expectedTensors().entrySet()) {
            Shape shape = e.getValue();
            Tensor t = Tensor.zeros(DType.F32, shape);
            float[] values = t.heapFloats();
            if (shape.rank() == 1) {
                Arrays.fill(values, 1.0f);                           // RMSNorm weight (C): ones
            } else {
                for (int i = 0; i < values.length; i++) {            // matrix (out, in): N(0, 0.02^2)
                    values[i] = (float) (INITIALIZER_RANGE * rng.nextGaussian());
                }
            }
            tensors.put(e.getKey(), t);
        }
        return LlamaModel.fromTensors(config, tensors, true);
    }

    /**
     * SplitMix64 with Box-Muller normals: a generator fully specified here, so initialization is the same on every
     * JDK. Its whole state is one long ({@link #state()}), which checkpoints save.
     */
    public static final class SplitMix64Normal {
        private long state;
        private double spare = Double.NaN;   // the second normal of the last Box-Muller pair, NaN when none

        public SplitMix64Normal(long seed) {
            this.state = seed;
        }

        public long nextLong() {
            long z = (state += 0x9E3779B97F4A7C15L);
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }

        /** Uniform in (0, 1]: the top 53 bits, plus one ulp so that log() never sees 0. */
        public double nextUniform() {
            return ((nextLong() >>> 11) + 1) * 0x1.0p-53;
        }

        /** Standard normal (Box-Muller: r = sqrt(-2 ln u1), theta = 2 pi u2, two normals per pair). */
        public double nextGaussian() {
            if (!Double.isNaN(spare)) {
                double out = spare;
                spare = Double.NaN;
                return out;
            }
            double r = Math.sqrt(-2 * Math.log(nextUniform()));
            double theta = 2 * Math.PI * nextUniform();
            spare = r * Math.sin(theta);
            return r * Math.cos(theta);
        }

        public long state() {
            return state;
        }

        /** Continues from a saved {@link #state()} (the pending spare normal is dropped). */
        public void restore(long savedState) {
            state = savedState;
            spare = Double.NaN;
        }
    }
}
