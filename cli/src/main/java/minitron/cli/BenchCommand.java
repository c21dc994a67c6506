package minitron.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import minitron.bench.GemmBench;
import minitron.bench.GemvBench;
import minitron.tensor.DType;
import minitron.tensor.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code minitron bench ...}: the plain-Java measurements of the bench module, one line each, or JSON. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measures speed on this machine: GEMM, decode GEMV, model prefill and decode, training steps.",
        subcommands = {BenchCommand.Gemm.class, BenchCommand.Gemv.class, DecodeBenchCommand.class,
                BenchTrainCommand.class})
public final class BenchCommand {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A measurement for JSON: null where it is unknown (NaN), since JSON has no NaN. */
    static Double knownOrNull(double value) {
        return Double.isNaN(value) ? null : value;
    }

    /** Prints the human line, then (with --json) one JSON object as the last line. */
    private static void report(String line, Map<String, Object> fields, boolean json) throws JsonProcessingException {
        System.out.println(line);
        if (json) System.out.println(JSON.writeValueAsString(fields));
    }

    @Command(name = "gemm", mixinStandardHelpOptions = true, showDefaultValues = true,
            description = "F32 GEMM out (n, n) = a (n, n) @ b (n, n); b F32 or BF16. Reports median GFLOPS.")
    static final class Gemm implements Callable<Integer> {
        @Option(names = "--n", description = "Matrix size.")
        int n = 1024;

        @Option(names = "--threads", description = "Threads of the kernel pool (default: MINITRON_THREADS or -Dminitron.threads, else every core).")
        int threads = Parallel.threads(); // MINITRON_THREADS or -Dminitron.threads, else every core

        @Option(names = "--dtype", description = "dtype of b: f32 or bf16.")
        String dtype = "f32";

        @Option(names = "--repeats", description = "Timed calls (the median is reported).")
        int repeats = 10;

        @Option(names = "--warmup", description = "Untimed calls first (JIT compilation).")
        int warmup = 5;

        @Option(names = "--json", description = "Also print one JSON object as the last line.")
        boolean json;

        @Override
        public Integer call() throws JsonProcessingException {
            GemmBench.Result r = GemmBench.run(Options.atLeast("--n", n, 1), Options.threads(threads),
                    parseDtype(dtype), Options.atLeast("--warmup", warmup, 0),
                    Options.atLeast("--repeats", repeats, 1));
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("bench", "gemm");
            fields.put("gflops", r.gflops());
            fields.put("n", r.n());
            fields.put("threads", r.threads());
            fields.put("dtype", r.dtype());
            fields.put("median_ms", r.medianMs());
            fields.put("min_ms", r.minMs());
            fields.put("repeats", r.repeats());
            fields.put("cpu_per_wall", knownOrNull(r.cpuPerWall()));
            fields.put("backend", r.backend());
            report(r.line(), fields, json);
            return 0;
        }
    }

    @Command(name = "gemv", mixinStandardHelpOptions = true, showDefaultValues = true,
            description = "Decode GEMV out (1, rows) = x (1, cols) @ W^T, W (rows, cols) off-heap in HF (out, in) "
                    + "layout. Reports GB/s of weights streamed beside a copy and a read bandwidth measured in the same run.")
    static final class Gemv implements Callable<Integer> {
        @Option(names = "--rows", description = "Rows of W (output features).")
        int rows = 4096;

        @Option(names = "--cols", description = "Columns of W (input features).")
        int cols = 4096;

        @Option(names = "--dtype", description = "dtype of W: bf16, f16 or f32.")
        String dtype = "bf16";

        @Option(names = "--threads", description = "Threads of the kernel pool (default: MINITRON_THREADS or -Dminitron.threads, else every core).")
        int threads = Parallel.threads(); // MINITRON_THREADS or -Dminitron.threads, else every core

        @Option(names = "--rounds", description = "Rounds of (GEMV calls, copy, read); medians are reported.")
        int rounds = 9;

        @Option(names = "--json", description = "Also print one JSON object as the last line.")
        boolean json;

        @Override
        public Integer call() throws JsonProcessingException {
            GemvBench.Result r = GemvBench.run(Options.atLeast("--rows", rows, 1), Options.atLeast("--cols", cols, 1),
                    parseDtype(dtype), Options.threads(threads),
                    Options.atLeast("--rounds", rounds, 1));
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("bench", "gemv");
            fields.put("weight_gbs", r.weightGigabytesPerSecond());
            fields.put("copy_gbs", r.copyGigabytesPerSecond());
            fields.put("ratio", r.ratio());
            fields.put("read_gbs", r.readGigabytesPerSecond());
            fields.put("read_ratio", r.readRatio());
            fields.put("rows", r.rows());
            fields.put("cols", r.cols());
            fields.put("threads", r.threads());
            fields.put("dtype", r.dtype());
            fields.put("median_ms", r.medianMs());
            fields.put("rounds", r.rounds());
            fields.put("cpu_per_wall", knownOrNull(r.cpuPerWall()));
            fields.put("backend", r.backend());
            report(r.line(), fields, json);
            return 0;
        }
    }

    private static DType parseDtype(String name) {
        return DType.valueOf(Options.oneOf("--dtype", name, "f32", "bf16", "f16").toUpperCase(Locale.ROOT));
    }
}
