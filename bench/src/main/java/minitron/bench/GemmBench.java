package minitron.bench;

import java.util.Arrays;
import minitron.tensor.Backend;
import minitron.tensor.Backends;
import minitron.tensor.DType;
import minitron.tensor.Parallel;
import minitron.tensor.Tensor;

/**
 * Plain-Java GEMM timing for the command line ({@code minitron bench gemm}): out (n, n) = a (n, n) @ b (n, n)
 * with a F32 and b F32 or BF16, through the default CPU backend's {@link Backend#matmul} (no allocation per call).
 * Warm-up calls first (JIT compilation, at least 1.5 s), then {@code repeats} timed calls; the median is
 * reported, since the machine is shared and the slow outliers are other processes, not this code.
 */
public final class GemmBench {
    /** Warm-up lasts at least this long (and {@code warmup} calls): C2 compiles the kernels in the background. */
    static final double WARMUP_SECONDS = 1.5;

    private GemmBench() {
    }

    /**
     * One measurement: median milliseconds per call and GFLOPS = 2 n^3 / median time. cpuPerWall is the CPU time
     * of the Java threads over the wall time of the timed calls ({@link Timing#threadsCpuNanos}): close to the
     * thread count when the machine gave us the cores we asked for, lower when other processes took them.
     */
    public record Result(int n, int threads, String dtype, int repeats, double medianMs, double minMs,
                         double gflops, double cpuPerWall, String backend) {
        public String line() {
            return String.format("gemm n=%d dtype=%s threads=%d backend=%s: median %.4g ms (min %.4g ms over %d)"
                            + " = %.1f GFLOPS (cpu/wall %s)",
                    n, dtype, threads, backend, medianMs, minMs, repeats, gflops, Timing.cpuPerWallText(cpuPerWall));
        }
    }

    /** Runs the measurement with the pool set to {@code threads}; the previous pool size is restored after. */
    public static Result run(int n, int threads, DType bType, int warmup, int repeats) {
        int previousThreads = Parallel.threads();
        Parallel.setThreads(threads);
        try {
            Backend backend = Backends.cpu();
            Tensor a = Random.uniform(1, DType.F32, n, n);
            Tensor b = Random.uniform(2, bType, n, n);
            Tensor out = Tensor.zeros(DType.F32, n, n);
            // a (1, n, n) @ b (1, n, n): the backend contract wants batch axes (here one batch).
            Tensor a3 = a.unsqueeze(0), b3 = b.unsqueeze(0), out3 = out.unsqueeze(0);
            Runnable call = () -> backend.matmul(a3, b3, out3);
            Timing.warmUp(call, warmup, WARMUP_SECONDS);
            long cpu0 = Timing.threadsCpuNanos(), wall0 = System.nanoTime();
            double[] ms = Timing.time(call, 0, repeats);
            long wall = System.nanoTime() - wall0;
            double cpuPerWall = Timing.cpuPerWall(Timing.cpuBetween(cpu0, Timing.threadsCpuNanos()), wall);
            double median = Timing.median(ms);
            double gflops = 2.0 * n * n * (double) n / (median * 1e6);
            double min = Arrays.stream(ms).min().orElse(0);
            return new Result(n, threads, bType.name().toLowerCase(), repeats, median, min, gflops, cpuPerWall,
                    backend.name());
        } finally {
            Parallel.setThreads(previousThreads);
        }
    }

    /** {@code GemmBench [n] [threads] [f32|bf16] [repeats]}: prints one line per run. */
    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1024;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
        DType dtype = args.length > 2 ? DType.valueOf(args[2].toUpperCase()) : DType.F32;
        int repeats = args.length > 3 ? Integer.parseInt(args[3]) : 10;
        System.out.println(run(n, threads, dtype, Math.max(3, repeats / 2), repeats).line());
    }
}
