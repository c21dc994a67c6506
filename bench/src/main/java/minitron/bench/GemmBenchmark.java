package minitron.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import minitron.tensor.Backend;
import minitron.tensor.Backends;
import minitron.tensor.DType;
import minitron.tensor.Shape;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH benchmarks of the matmul kernels on the default CPU backend (all cores unless the forked JVM gets
 * {@code -jvmArgsAppend -Dminitron.threads=T}). GFLOPS = 2 n^3 / time for {@link Square}; GB/s = weight bytes / time
 * for {@link Decode}. The application jar carries the generated benchmarks: {@code java --add-modules
 * jdk.incubator.vector -cp cli/target/minitron.jar org.openjdk.jmh.Main GemmBenchmark} (see docs/perf-gemm.md).
 */
public class GemmBenchmark {
    private static final String JVM_FLAGS = "--add-modules=jdk.incubator.vector";

    /** out (n, n) = a (n, n) F32 @ b (n, n) F32 or BF16. */
    @State(Scope.Benchmark)
    public static class Square {
        @Param({"512", "1024", "2048"})
        public int n;

        @Param({"F32", "BF16"})
        public DType bType;

        Backend backend;
        Tensor a, b, out;

        @Setup(Level.Trial)
        public void setUp() {
            backend = Backends.cpu();
            a = Random.uniform(1, DType.F32, 1, n, n);
            b = Random.uniform(2, bType, 1, n, n);
            out = Tensor.zeros(DType.F32, 1, n, n);
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 3, time = 2)
    @Measurement(iterations = 5, time = 2)
    @Fork(value = 1, jvmArgsAppend = {JVM_FLAGS})
    public Tensor gemm(Square s) {
        s.backend.matmul(s.a, s.b, s.out);
        return s.out;
    }

    /**
     * Decode GEMV: out (1, rows) = x (1, cols) @ W^T, W (rows, cols) BF16 in HF (out, in) layout, off-heap as a
     * memory-mapped checkpoint is. Shapes of an 8B Llama/Mistral layer: q/o_proj (4096, 4096), gate/up (14336, 4096).
     */
    @State(Scope.Benchmark)
    public static class Decode {
        @Param({"4096", "14336"})
        public int rows;

        @Param({"4096"})
        public int cols;

        @Param({"BF16"})
        public DType wType;

        Backend backend;
        Arena arena;
        Tensor x, weightT, out;

        @Setup(Level.Trial)
        public void setUp() {
            backend = Backends.cpu();
            arena = Arena.ofShared();
            Shape shape = Shape.of(rows, cols);
            MemorySegment segment = arena.allocate(shape.numel() * wType.byteSize(), 64);
            Tensor weight = Tensor.wrap(segment, wType, shape);
            Random.fill(3, weight);
            weightT = weight.transpose(0, 1).unsqueeze(0);
            x = Random.uniform(4, DType.F32, 1, 1, cols);
            out = Tensor.zeros(DType.F32, 1, 1, rows);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            arena.close();
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Warmup(iterations = 3, time = 1)
    @Measurement(iterations = 5, time = 1)
    @Fork(value = 1, jvmArgsAppend = {JVM_FLAGS})
    public Tensor gemv(Decode s) {
        s.backend.matmul(s.x, s.weightT, s.out);
        return s.out;
    }
}
