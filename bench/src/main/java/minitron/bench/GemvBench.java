package minitron.bench;

import java.lang.foreign.Arena;
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
     * One measurement: medians over rounds, each round timing a block of GEMV calls (and the Java threads' CPU time
     * they took over their wall time, {@link Timing#threadsCpuNanos}: below the thread count when other processes
     * held cores), one 256 MB copy
     * ({@link MemoryBandwidth.Probe#copy}, read + write bytes, STREAM's count) and one 256 MB read-only sum, back to
     * back with the same threads. The ratios are medians of the per-round ratios, so a burst of load from other
     * processes on a shared machine hits both sides of a ratio alike.
     */
    public record Result(int rows, int cols, String dtype, int threads, int rounds, double medianMs,
                         double weightGigabytesPerSecond, double copyGigabytesPerSecond,
                         double readGigabytesPerSecond, double ratio, double readRatio, double cpuPerWall,
                         String backend) {
        public String line() {
            return String.format("gemv (1, %d) @ W^T, W (%d, %d) %s, threads=%d backend=%s: median %.3f ms"
                            + " = %.1f GB/s of weights; copy %.1f GB/s (read + write): ratio %.2f; read-only %.1f GB/s: ratio %.2f "
                            + "(medians of %d rounds; cpu/wall of the GEMV calls %s)",
                    cols, rows, cols, dtype, threads, backend, medianMs, weightGigabytesPerSecond,
                    copyGigabytesPerSecond, ratio, readGigabytesPerSecond, readRatio, rounds,
                    Timing.cpuPerWallText(cpuPerWall));
        }
    }

    public static Result run(int rows, int cols, DType dtype, int threads, int rounds) {
        int previousThreads = Parallel.threads();
        Parallel.setThreads(threads);
        try (Arena arena = Arena.ofShared(); MemoryBandwidth.Probe probe = new MemoryBandwidth.Probe(256)) {
            Backend backend = Backends.cpu();
            Shape shape = Shape.of(rows, cols);
            long weightBytes = shape.numel() * dtype.byteSize();
            Tensor weight = Tensor.wrap(arena.allocate(weightBytes, 64), dtype, shape); // (out, in)
            Random.fill(3, weight);
            Tensor x = Random.uniform(4, DType.F32, 1, 1, cols);
            Tensor out = Tensor.zeros(DType.F32, 1, 1, rows);
            Tensor weightT = weight.transpose(0, 1).unsqueeze(0); // (1, cols, rows), strides (0, 1, cols)
            Runnable gemv = () -> backend.matmul(x, weightT, out);
            // Calls per round: about 512 MB of weights, at least 5.
            int calls = (int) Math.max(5, Math.min(1000, (512L << 20) / weightBytes));
            Timing.warmUp(gemv, 3 * calls, GemmBench.WARMUP_SECONDS);
            probe.copy(3);
            probe.read(5);
            double[] ms = new double[rounds], weightGbs = new double[rounds], copyGbs = new double[rounds];
            double[] readGbs = new double[rounds], ratio = new double[rounds], readRatio = new double[rounds];
            double[] cpuPerWall = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                long cpu0 = Timing.threadsCpuNanos(), wall0 = System.nanoTime();
                ms[r] = Timing.median(Timing.time(gemv, 0, calls));
                long wall = System.nanoTime() - wall0;
                cpuPerWall[r] = Timing.cpuPerWall(Timing.cpuBetween(cpu0, Timing.threadsCpuNanos()), wall);
                weightGbs[r] = weightBytes / (ms[r] * 1e6);
                copyGbs[r] = probe.copy(1);
                readGbs[r] = probe.read(1);
                ratio[r] = weightGbs[r] / copyGbs[r];
                readRatio[r] = weightGbs[r] / readGbs[r];
            }
            return new Result(rows, cols, dtype.name().toLowerCase(), threads, rounds, Timing.median(ms),
                    Timing.median(weightGbs), Timing.median(copyGbs), Timing.median(readGbs), Timing.median(ratio),
                    Timing.median(readRatio), Timing.medianOfKnown(cpuPerWall), backend.name());
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
        System.out.println(run(rows, cols, dtype, threads, 9).line());
    }
}
