package minitron.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import minitron.tensor.Backend;
import minitron.tensor.Backends;
import minitron.tensor.DType;
import minitron.tensor.Ops;
import minitron.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The fused LLM kernels, scalar reference against the Vector API backend, at the sizes of a Llama-class layer
 * (hidden 4096, 32 query heads and 8 KV heads of 128, MLP 14336, vocabulary 32000) with 512 tokens (256 for
 * attention; one token against a 2048-position KV cache for decoding). Each benchmark is one kernel call through {@link Ops}, output allocation included, as a model
 * makes it. The vector backend uses every thread of {@link minitron.tensor.Parallel}'s pool
 * ({@code -Dminitron.threads=N} to change it).
 *
 * <p>Run: {@code bench/run-kernels.sh} (it builds the bench module first; see that script for the exact
 * java command and JMH options).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class KernelBenchmark {

    static Backend backend(String name) {
        return switch (name) {
            case "scalar" -> Backends.scalar();
            case "vector" -> {
                Backend b = Backends.vector();
                if (b == null) throw new IllegalStateException(Backends.vectorUnavailableReason());
                yield b;
            }
            default -> throw new IllegalArgumentException("backend: expected scalar or vector, got " + name);
        };
    }

    /** Uniform in [-scale, scale), seeded. */
    static Tensor uniform(long seed, double scale, DType dtype, int... dims) {
        SplittableRandom random = new SplittableRandom(seed);
        Tensor t = Tensor.zeros(dtype, dims);
        for (long i = 0; i < t.numel(); i++) t.writeDouble(i, random.nextDouble(-scale, scale));
        return t;
    }

    /** Rows of activations: softmax (512, 4096), RMSNorm (512, 4096) with a BF16 weight, SwiGLU (512, 14336). */
    @State(Scope.Benchmark)
    public static class Rows {
        @Param({"scalar", "vector"})
        public String backend;

        Ops ops;
        Tensor x, dy, weight, gate, up;

        @Setup(Level.Trial)
        public void setup() {
            ops = Ops.of(backend(backend));
            x = uniform(1, 4, DType.F32, 512, 4096);
            dy = uniform(2, 1, DType.F32, 512, 4096);
            weight = uniform(3, 1, DType.BF16, 4096);
            gate = uniform(4, 4, DType.F32, 512, 14336);
            up = uniform(5, 1, DType.F32, 512, 14336);
        }
    }

    @Benchmark
    public Tensor softmax(Rows s) {
        return s.ops.softmax(s.x);
    }

    @Benchmark
    public Tensor rmsNorm(Rows s) {
        return s.ops.rmsNorm(s.x, s.weight, 1e-5);
    }

    @Benchmark
    public Ops.RmsNormGrads rmsNormBackward(Rows s) {
        return s.ops.rmsNormBackward(s.x, s.weight, 1e-5, s.dy);
    }

    @Benchmark
    public Tensor swiglu(Rows s) {
        return s.ops.swiglu(s.gate, s.up);
    }

    /** q (1, 32, 256, 128) transposed from (1, 256, 32, 128) as a model makes it; rope tables (256, 128). */
    @State(Scope.Benchmark)
    public static class Heads {
        @Param({"scalar", "vector"})
        public String backend;

        Ops ops;
        Tensor q, k, v, dout;
        Ops.RopeTables tables;
        Ops.AttentionResult saved;
        double scale = 1 / Math.sqrt(128);

        @Setup(Level.Trial)
        public void setup() {
            ops = Ops.of(backend(backend));
            int b = 1, h = 32, g = 8, t = 256, d = 128;
            q = uniform(6, 1, DType.F32, b, t, h, d).transpose(1, 2);
            k = uniform(7, 1, DType.F32, b, t, g, d).transpose(1, 2);
            v = uniform(8, 1, DType.F32, b, t, g, d).transpose(1, 2);
            dout = uniform(9, 1, DType.F32, b, h, t, d);
            int[] positions = new int[t];
            for (int i = 0; i < t; i++) positions[i] = i;
            tables = Ops.ropeTables(positions, Ops.ropeInverseFrequencies(d, 500000), DType.F32);
            saved = Ops.of(backend(backend)).attention(q, k, v, scale, true);
        }
    }

    @Benchmark
    public Tensor rope(Heads s) {
        return s.ops.rope(s.q, s.tables);
    }

    @Benchmark
    public Ops.AttentionResult attention(Heads s) {
        return s.ops.attention(s.q, s.k, s.v, s.scale, true);
    }

    @Benchmark
    public Ops.AttentionGrads attentionBackward(Heads s) {
        return s.ops.attentionBackward(s.q, s.k, s.v, s.saved, s.dout, s.scale, true);
    }

    /** One decoded token: q (1, 32, 1, 128) against a KV cache of 2048 positions, k and v (1, 8, 2048, 128). */
    @State(Scope.Benchmark)
    public static class Decode {
        @Param({"scalar", "vector"})
        public String backend;

        Ops ops;
        Tensor q, k, v;

        @Setup(Level.Trial)
        public void setup() {
            ops = Ops.of(backend(backend));
            q = uniform(14, 1, DType.F32, 1, 32, 1, 128);
            k = uniform(15, 1, DType.F32, 1, 8, 2048, 128);
            v = uniform(16, 1, DType.F32, 1, 8, 2048, 128);
        }
    }

    @Benchmark
    public Ops.AttentionResult attentionDecode(Decode s) {
        return s.ops.attention(s.q, s.k, s.v, 1 / Math.sqrt(128), true);
    }

    /**
     * Sliding-window attention (Mistral's sliding_window) on a long sequence: q (1, 8, 2048, 128), k and v
     * (1, 2, 2048, 128), window 0 (full causal) against 256 (the kernels skip the keys outside the window, so the
     * windowed call should cost about 2048 * 256 / (2048 * 2049 / 2) = 1/4 of the full one).
     */
    @State(Scope.Benchmark)
    public static class Window {
        @Param({"vector"})
        public String backend;

        @Param({"0", "256"})
        public int window;

        Ops ops;
        Tensor q, k, v, dout;
        Ops.AttentionResult saved;
        double scale = 1 / Math.sqrt(128);

        @Setup(Level.Trial)
        public void setup() {
            ops = Ops.of(backend(backend));
            int t = 2048, h = 8, g = 2, d = 128;
            q = uniform(17, 1, DType.F32, 1, t, h, d).transpose(1, 2);
            k = uniform(18, 1, DType.F32, 1, t, g, d).transpose(1, 2);
            v = uniform(19, 1, DType.F32, 1, t, g, d).transpose(1, 2);
            dout = uniform(20, 1, DType.F32, 1, h, t, d);
            saved = ops.attention(q, k, v, scale, true, window);
        }
    }

    @Benchmark
    public Ops.AttentionResult attentionWindow(Window s) {
        return s.ops.attention(s.q, s.k, s.v, s.scale, true, s.window);
    }

    @Benchmark
    public Ops.AttentionGrads attentionWindowBackward(Window s) {
        return s.ops.attentionBackward(s.q, s.k, s.v, s.saved, s.dout, s.scale, true, s.window);
    }

    /** Logits (512, 32000) against random targets. */
    @State(Scope.Benchmark)
    public static class Logits {
        @Param({"scalar", "vector"})
        public String backend;

        Ops ops;
        Tensor logits, targets, dloss, teacher;
        Ops.CrossEntropyResult saved;

        @Setup(Level.Trial)
        public void setup() {
            ops = Ops.of(backend(backend));
            logits = uniform(10, 8, DType.F32, 512, 32000);
            teacher = uniform(11, 8, DType.F32, 512, 32000);
            targets = Tensor.zeros(DType.I32, 512);
            SplittableRandom random = new SplittableRandom(12);
            for (int i = 0; i < 512; i++) targets.writeDouble(i, random.nextInt(32000));
            dloss = uniform(13, 1, DType.F32, 512);
            saved = ops.crossEntropy(logits, targets, -100);
        }
    }

    @Benchmark
    public Ops.CrossEntropyResult crossEntropy(Logits s) {
        return s.ops.crossEntropy(s.logits, s.targets, -100);
    }

    @Benchmark
    public Tensor crossEntropyBackward(Logits s) {
        return s.ops.crossEntropyBackward(s.logits, s.targets, -100, s.saved, s.dloss);
    }

    @Benchmark
    public Tensor klDivergence(Logits s) {
        return s.ops.klDivergence(s.logits, s.teacher, 1.0);
    }
}
