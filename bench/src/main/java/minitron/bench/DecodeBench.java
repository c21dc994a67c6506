package minitron.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import minitron.autograd.NoGrad;
import minitron.autograd.Var;
import minitron.tensor.Backends;
import minitron.tensor.Half;
import minitron.tensor.Parallel;
import minitron.tensor.Shape;
import minitron.tensor.Tensor;
import minitron.transformer.config.LlamaConfig;
import minitron.transformer.io.TemporaryFolder;
import minitron.transformer.model.KVCache;
import minitron.transformer.model.LlamaModel;

/**
 * Prefill and decode speed of a real-shaped model (default Llama 3.2 1B) with random BF16 weights: the checkpoint
 * is written to a temporary directory (streamed, one tensor at a time, so an 8B model needs no RAM to write), then
 * memory-mapped and used in place by {@link LlamaModel} in inference mode, as {@code minitron generate} does.
 *
 * <p>Decode reads every weight once per token (the LM head included; the embedding only one row), so its
 * ceiling is memory bandwidth: the report divides weight bytes per token x tokens/s by the copy bandwidth of
 * {@link MemoryBandwidth} measured in the same run (STREAM convention: read + write bytes; the read-only
 * bandwidth is printed too). Prefill runs the prompt as one (1, T) forward: GEMMs, compute-bound.
 */
public final class DecodeBench {
    private DecodeBench() {
    }

    /** Prefill is timed this many times (best reported): a single 512-token forward is at the mercy of the load. */
    static final int PREFILL_RUNS = 2;

    /** Warm-up ends after this many consecutive decode steps without JIT compilation... */
    static final int QUIET_STEPS = 8;
    /** ...or after this many steps in all (per warm-up phase), or this many seconds, whichever comes first. */
    static final int MAX_WARM_UP_STEPS = 96;
    static final double MAX_WARM_UP_SECONDS = 20;

    /**
     * Decodes tokens (each step's argmax feeds the next) until the JIT compiler has spent no time for
     * {@link #QUIET_STEPS} consecutive steps, or {@link #MAX_WARM_UP_STEPS} in all, or for
     * {@link #MAX_WARM_UP_SECONDS} (an 8B model's steps are long); returns the steps taken.
     * Measured: on two cores the compiler threads share the cores with the kernels, and the first 30-40 decode
     * steps of a 1B model took 80-160 ms against ~60 once the compilations were done (docs/perf-gemm.md, "Where a
     * decode step goes"); a benchmark of a few dozen steps after a fixed short warm-up measured the JIT, not the
     * kernels. Without a compilation-time monitor the warm-up is the maximum.
     */
    static int warmUp(LlamaModel model, KVCache cache, int token) {
        var compiler = ManagementFactory.getCompilationMXBean();
        boolean monitored = compiler != null && compiler.isCompilationTimeMonitoringSupported();
        long lastCompileMillis = monitored ? compiler.getTotalCompilationTime() : -1;
        int quiet = 0, steps = 0;
        long deadline = System.nanoTime() + (long) (MAX_WARM_UP_SECONDS * 1e9);
        while (steps < MAX_WARM_UP_STEPS && quiet < QUIET_STEPS && System.nanoTime() < deadline) {
            token = argmaxLast(model.forward(Tensor.of(new int[]{token}, 1, 1), cache, true).value());
            steps++;
            long compileMillis = monitored ? compiler.getTotalCompilationTime() : -1;
            quiet = monitored && compileMillis == lastCompileMillis ? quiet + 1 : 0;
            lastCompileMillis = compileMillis;
        }
        return steps;
    }

    public record Result(String preset, int layers, int threads, int promptTokens, double prefillTokensPerSecond,
                         int decodeTokens, double decodeTokensPerSecond, double weightBytesPerToken,
                         double copyGigabytesPerSecond, double readGigabytesPerSecond, long checkpointBytes,
                         long heapUsedBytes, long peakRssBytes, double prefillCpuPerWall, double decodeCpuPerWall,
                         String backend, int warmUpSteps) {
        /** Weight bytes streamed per second during decode / copy bandwidth. */
        public double copyRatio() {
            return weightBytesPerToken * decodeTokensPerSecond / 1e9 / copyGigabytesPerSecond;
        }

        public double readRatio() {
            return weightBytesPerToken * decodeTokensPerSecond / 1e9 / readGigabytesPerSecond;
        }

        /**
         * The decode steps had clearly less than the pool's threads' worth of CPU (below 90%): other processes held
         * cores, and the step time says more about them than about the kernels. (The kernels' own sequential parts,
         * between the parallel loops, keep a clean run a few percent under the thread count.) A model of less than
         * {@link #PARALLEL_STEP_BYTES} per step is too small to keep the threads busy, so its low ratio says nothing.
         */
        public boolean sharedCores() {
            return decodeCpuPerWall < 0.9 * threads && weightBytesPerToken >= PARALLEL_STEP_BYTES;
        }

        /** Bytes of weights per step from which a decode step keeps every thread busy (the 1B model: 2.5 GB). */
        static final double PARALLEL_STEP_BYTES = 64e6;

        /** "2.47 GB", or "9.4 MB" below a gigabyte (the bundled teacher's read "0.00 GB"). */
        static String size(long bytes) {
            return bytes >= 1e9 ? String.format("%.2f GB", bytes / 1e9) : String.format("%.1f MB", bytes / 1e6);
        }

        public String line() {
            return String.format("decode %s (%d layers, %s checkpoint), threads=%d backend=%s:%n"
                            + "  prefill %d tokens: %.1f tokens/s (best of " + PREFILL_RUNS + ", cpu/wall %s)%n"
                            + "  decode %d tokens: %.2f tokens/s = %.2f GB/s of weights"
                            + " (%.0f MB/token; after %d warm-up steps)%n"
                            + "  copy bandwidth %.2f GB/s -> %.0f%% of copy; read bandwidth %.2f GB/s -> %.0f%% of read%n"
                            + "  decode on %d thread%s: cpu/wall %s%s%n"
                            + "  Java heap in use after the run: %.2f GB; peak resident set (heap + mapped weights) %.2f GB",
                    preset, layers, size(checkpointBytes), threads, backend, promptTokens, prefillTokensPerSecond, Timing.cpuPerWallText(prefillCpuPerWall),
                    decodeTokens, decodeTokensPerSecond, weightBytesPerToken * decodeTokensPerSecond / 1e9,
                    weightBytesPerToken / 1e6, warmUpSteps, copyGigabytesPerSecond, 100 * copyRatio(), readGigabytesPerSecond,
                    100 * readRatio(), threads, threads == 1 ? "" : "s", Timing.cpuPerWallText(decodeCpuPerWall), sharedCores() ? " (other processes took cores)" : "",
                    heapUsedBytes / 1e9, peakRssBytes / 1e9);
        }
    }

    /**
     * Runs the benchmark. {@code layers} (0 = the preset's) shortens the model for a quick run; the reported
     * ratios do not depend on it much because every layer has the same shape.
     */
    public static Result run(String preset, int layers, int threads, int promptTokens, int decodeTokens, Path workDir)
            throws IOException {
        return run(Checkpoint.random(preset, layers, workDir, null), threads, promptTokens, decodeTokens);
    }

    /**
     * Which weights the benchmark runs on: a random checkpoint of a preset's shape, written to a temporary
     * directory (deleted afterwards) or to {@code keep} (kept, so that another program can run on the same
     * weights), or an existing HF model directory.
     */
    public record Checkpoint(String name, LlamaConfig config, Path directory, boolean write, TemporaryFolder temporary) {
        public static Checkpoint random(String preset, int layers, Path workDir, Path keep) throws IOException {
            LlamaConfig base = LlamaConfig.preset(preset);
            LlamaConfig config = layers > 0 ? base.withShape(base.hiddenSize(), base.intermediateSize(), layers,
                    base.numAttentionHeads(), base.numKeyValueHeads()) : base;
            if (keep == null) {
                TemporaryFolder temporary = TemporaryFolder.create(workDir, "minitron-decode-bench");
                return new Checkpoint(preset, config, temporary.path(), true, temporary);
            }
            if (Files.exists(keep) && (!Files.isDirectory(keep) || hasEntries(keep))) {
                throw new IllegalArgumentException("--keep: expected a new or empty directory, found " + keep
                        + " (it is not replaced)");
            }
            Files.createDirectories(keep);
            return new Checkpoint(preset, config, keep, true, null);
        }

        public static Checkpoint existing(Path directory) {
            return new Checkpoint(directory.getFileName().toString(), LlamaConfig.read(directory), directory, false,
                    null);
        }

        /** Whether dir holds anything but the temporary weights a killed run of this benchmark left. */
        private static boolean hasEntries(Path dir) throws IOException {
            try (var entries = Files.list(dir)) {
                return entries.anyMatch(p -> !p.getFileName().toString().equals(TEMPORARY_WEIGHTS));
            }
        }
    }

    public static Result run(Checkpoint checkpoint, int threads, int promptTokens, int decodeTokens)
            throws IOException {
        LlamaConfig config = checkpoint.config();
        int previousThreads = Parallel.threads();
        Parallel.setThreads(threads);
        Path dir = checkpoint.directory();
        try {
            long checkpointBytes = checkpoint.write() ? writeRandomCheckpoint(dir, config, 1234) : directoryBytes(dir);
            try (LlamaModel model = LlamaModel.load(dir, LlamaModel.Mode.INFERENCE);
                 NoGrad scope = NoGrad.enter();
                 MemoryBandwidth.Probe probe = new MemoryBandwidth.Probe(256)) {
                SplittableRandom random = new SplittableRandom(7);
                int[] prompt = new int[promptTokens];
                for (int i = 0; i < promptTokens; i++) prompt[i] = random.nextInt(config.vocabSize());
                KVCache cache = model.newCache(1, Math.max(16, promptTokens) + MAX_WARM_UP_STEPS + decodeTokens + 8);

                // warm-up: a short prefill, then decode steps until the JIT has settled (see warmUp)
                model.forward(Tensor.of(Arrays.copyOf(prompt, 16), 1, 16), cache);
                int warmUpSteps = warmUp(model, cache, prompt[0]);
                cache.clear();

                // prefill: the best of PREFILL_RUNS (each from an empty cache; on a shared machine the best run
                // is the one least disturbed), with its cpu/wall
                double prefillSeconds = Double.POSITIVE_INFINITY, prefillCpuPerWall = 0;
                Tensor logits = null;
                for (int run = 0; run < PREFILL_RUNS; run++) {
                    cache.clear();
                    long cpu0 = Timing.threadsCpuNanos(), t0 = System.nanoTime();
                    logits = model.forward(Tensor.of(prompt, 1, promptTokens), cache, true).value();
                    long wall = System.nanoTime() - t0;
                    long cpu = Timing.cpuBetween(cpu0, Timing.threadsCpuNanos());
                    if (wall / 1e9 < prefillSeconds) {
                        prefillSeconds = wall / 1e9;
                        prefillCpuPerWall = Timing.cpuPerWall(cpu, wall);
                    }
                }
                int next = argmaxLast(logits);
                warmUpSteps += warmUp(model, cache, next);         // after the prefill's own compilations

                double[] stepSeconds = new double[decodeTokens];
                double[] copyGbs = new double[decodeTokens];
                double[] readGbs = new double[decodeTokens];
                probe.read(2);                                     // warm-up of the read kernel
                long decodeCpu = 0, decodeWall = 0;
                for (int i = 0; i < decodeTokens; i++) {
                    copyGbs[i] = probe.copy(1);                    // interleaved: the same moment's bandwidth
                    readGbs[i] = probe.read(1);
                    long cpu = Timing.threadsCpuNanos(), s = System.nanoTime();
                    logits = model.forward(Tensor.of(new int[]{next}, 1, 1), cache, true).value();
                    long wall = System.nanoTime() - s;
                    long stepCpu = Timing.cpuBetween(cpu, Timing.threadsCpuNanos());
                    decodeCpu = decodeCpu < 0 || stepCpu < 0 ? -1 : decodeCpu + stepCpu;
                    stepSeconds[i] = wall / 1e9;
                    decodeWall += wall;
                    next = argmaxLast(logits);
                }
                double decodeTps = 1 / Timing.median(stepSeconds);
                Runtime rt = Runtime.getRuntime();
                return new Result(checkpoint.name(), config.numHiddenLayers(), threads, promptTokens,
                        promptTokens / prefillSeconds, decodeTokens, decodeTps, weightBytesPerToken(model),
                        Timing.median(copyGbs), Timing.median(readGbs), checkpointBytes,
                        rt.totalMemory() - rt.freeMemory(), peakResidentBytes(), prefillCpuPerWall, Timing.cpuPerWall(decodeCpu, decodeWall),
                        Backends.cpu().name(), warmUpSteps);
            }
        } finally {
            Parallel.setThreads(previousThreads);
            if (checkpoint.temporary() != null) checkpoint.temporary().close();
        }
    }

    /**
     * Weight bytes read per decoded token, in the checkpoint's dtypes: every matrix and norm once; the embedding
     * only when it is the LM head (otherwise one row).
     */
    static double weightBytesPerToken(LlamaModel model) {
        long bytes = 0;
        for (Map.Entry<String, Var> e : model.parameters().entrySet()) {
            boolean embedding = e.getKey().equals("model.embed_tokens.weight");
            Tensor t = e.getValue().value();
            if (!embedding || model.config.tieWordEmbeddings()) bytes += t.numel() * t.dtype().byteSize();
        }
        return bytes;
    }

    /** The size of the safetensors files in a model directory. */
    private static long directoryBytes(Path dir) throws IOException {
        long bytes = 0;
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (f.getFileName().toString().endsWith(".safetensors")) bytes += Files.size(f);
            }
        }
        return bytes;
    }

    /** VmHWM of /proc/self/status (Linux): the peak resident set, mapped file pages included; -1 elsewhere. */
    static long peakResidentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return 1024 * Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    private static int argmaxLast(Tensor logits) {
        Tensor last = logits.select(0, 0).select(0, logits.dim(1) - 1);
        int best = 0;
        double bestValue = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < last.numel(); i++) {
            double v = last.readDouble(last.offsetOf(i));
            if (v > bestValue) {
                bestValue = v;
                best = i;
            }
        }
        return best;
    }

    /** The weights' name while they are written (a killed run's is overwritten by the next). */
    static final String TEMPORARY_WEIGHTS = ".model.safetensors.tmp";

    /**
     * Writes model.safetensors with random BF16 weights, one tensor at a time (a safetensors file is an 8-byte
     * little-endian header length, a JSON header, then the tensors' bytes in header order), under the name
     * {@link #TEMPORARY_WEIGHTS} until complete, then config.json. Weights are uniform in +-0.02 (norms 1.0), so
     * activations stay finite through every layer. Returns the size of model.safetensors.
     */
    static long writeRandomCheckpoint(Path dir, LlamaConfig config, long seed) throws IOException {
        Map<String, Shape> tensors = config.expectedTensors();
        StringBuilder header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long offset = 0;
        for (Map.Entry<String, Shape> e : tensors.entrySet()) {
            long bytes = 2 * e.getValue().numel();
            header.append(",\"").append(e.getKey()).append("\":{\"dtype\":\"BF16\",\"shape\":")
                    .append(Arrays.toString(e.getValue().dims()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        header.append('}');
        while (header.length() % 8 != 0) header.append(' ');
        byte[] headerBytes = header.toString().getBytes(StandardCharsets.US_ASCII);
        // a pool of random BF16 values, read at random offsets: fast to produce, no visible structure
        SplittableRandom random = new SplittableRandom(seed);
        short[] pool = new short[1 << 20];
        for (int i = 0; i < pool.length; i++) pool[i] = Half.floatToBf16((float) random.nextDouble(-0.02, 0.02));
        short one = Half.floatToBf16(1.0f);
        // written under a temporary name and renamed (not synced: gigabytes of random weights), then config.json:
        // a kill leaves no model.safetensors shorter than its header says
        Path file = dir.resolve("model.safetensors");
        Path temp = dir.resolve(TEMPORARY_WEIGHTS);
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer lead = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerBytes.length).flip();
            writeFully(ch, lead);
            writeFully(ch, ByteBuffer.wrap(headerBytes));
            ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 22).order(ByteOrder.LITTLE_ENDIAN);
            for (Map.Entry<String, Shape> e : tensors.entrySet()) {
                boolean norm = e.getValue().rank() == 1;
                long remaining = e.getValue().numel();
                int at = random.nextInt(pool.length);
                while (remaining > 0) {
                    chunk.clear();
                    while (chunk.remaining() >= 2 && remaining > 0) {
                        chunk.putShort(norm ? one : pool[at]);
                        at = at + 1 == pool.length ? random.nextInt(pool.length) : at + 1;
                        remaining--;
                    }
                    chunk.flip();
                    writeFully(ch, chunk);
                }
            }
        }
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        config.write(dir);
        return Files.size(file);
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    /**
     * {@code DecodeBench [preset] [layers] [threads] [promptTokens] [decodeTokens]}; defaults llama-3.2-1b, all
     * layers, all cores, 512, 32.
     */
    public static void main(String[] args) throws IOException {
        String preset = args.length > 0 ? args[0] : "llama-3.2-1b";
        int layers = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : Runtime.getRuntime().availableProcessors();
        int prompt = args.length > 3 ? Integer.parseInt(args[3]) : 512;
        int decode = args.length > 4 ? Integer.parseInt(args[4]) : 32;
        System.out.println(run(preset, layers, threads, prompt, decode, Path.of(System.getProperty("java.io.tmpdir"))).line());
    }
}
