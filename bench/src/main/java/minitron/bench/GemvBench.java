package minitron.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import minitron.tensor.Backend;
import minitron.tensor.Backends;
import minitron.tensor.DType;
import minitron.tensor.Parallel;
import minitron.tensor.Shape;
import minitron.tensor.Tensor;

/**
 * Decode-shaped GEMV: out (1, rows) = x (1, cols) @ W^T with W (rows, cols) in HF (out, in) layout, held off-heap
 * as a memory-mapped checkpoint would be. The figure of merit is the weight bytes streamed per second, set against
 * {@link MemoryBandwidth}'s copy bandwidth measured in the same process with the same threads.
 */
public final class GemvBench {
    private GemvBench() {
    }

    /**
     * One measurement. copy: {@link MemoryBandwidth#copyGigabytesPerSecond} (read + write bytes, STREAM's count);
     * read: {@link MemoryBandwidth#readGigabytesPerSecond}; both with the same threads, right after the GEMV.
     */
    public record Result(int rows, int cols, String dtype, int threads, int repeats, double medianMs,
                         double weightGigabytesPerSecond, double copyGigabytesPerSecond,
                         double readGigabytesPerSecond, String backend) {
        /** Weight streaming bandwidth as a fraction of the copy bandwidth. */
        public double ratio() {
            return weightGigabytesPerSecond / copyGigabytesPerSecond;
        }

        /** Weight streaming bandwidth as a fraction of the read-only bandwidth. */
        public double readRatio() {
            return weightGigabytesPerSecond / readGigabytesPerSecond;
        }

        public String line() {
            return String.format("gemv (1, %d) @ W^T, W (%d, %d) %s, threads=%d backend=%s: median %.3f ms = %.1f GB/s of "
                            + "weights; copy %.1f GB/s (read + write): ratio %.2f; read-only %.1f GB/s: ratio %.2f",
                    cols, rows, cols, dtype, threads, backend, medianMs, weightGigabytesPerSecond,
                    copyGigabytesPerSecond, ratio(), readGigabytesPerSecond, readRatio());
        }
    }

    public static Result run(int rows, int cols, DType dtype, int threads, int repeats) {
        int previousThreads = Parallel.threads();
        Parallel.setThreads(threads);
        try (Arena arena = Arena.ofShared()) {
            Backend backend = Backends.cpu();
            Shape shape = Shape.of(rows, cols);
            long weightBytes = shape.numel() * dtype.byteSize();
            Tensor weight = Tensor.wrap(arena.allocate(weightBytes, 64), dtype, shape); // (out, in)
            Random.fill(3, weight);
            Tensor x = Random.uniform(4, DType.F32, 1, 1, cols);
            Tensor out = Tensor.zeros(DType.F32, 1, 1, rows);
            Tensor weightT = weight.transpose(0, 1).unsqueeze(0); // (1, cols, rows), strides (0, 1, cols)
            // Enough calls to stream a few GB per measurement block, at least 10.
            int calls = (int) Math.max(10, Math.min(200, 4e9 / weightBytes));
            double[] ms = Timing.time(() -> backend.matmul(x, weightT, out), calls / 2, Math.max(repeats, calls));
            double median = Timing.median(ms);
            double weightGbs = weightBytes / (median * 1e6);
            double copyGbs = MemoryBandwidth.copyGigabytesPerSecond(256, 10);
            double readGbs = MemoryBandwidth.readGigabytesPerSecond(256, 10);
            return new Result(rows, cols, dtype.name().toLowerCase(), threads, ms.length, median, weightGbs, copyGbs,
                    readGbs, backend.name());
        } finally {
            Parallel.setThreads(previousThreads);
        }
    }

    /** {@code GemvBench [rows] [cols] [bf16|f32|f16] [threads]}. */
    public static void main(String[] args) {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 4096;
        int cols = args.length > 1 ? Integer.parseInt(args[1]) : 4096;
        DType dtype = args.length > 2 ? DType.valueOf(args[2].toUpperCase()) : DType.BF16;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : Runtime.getRuntime().availableProcessors();
        System.out.println(run(rows, cols, dtype, threads, 20).line());
    }
}
