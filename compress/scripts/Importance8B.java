// A benchmark script (not a test): importance estimation on a Llama-3.1-8B-shaped BF16 checkpoint with random
// weights, to show the memory stays flat in the number of calibration samples. Usage (repository root, built jar):
//   $JAVA_HOME/bin/java -Xmx4g --add-modules jdk.incubator.vector -cp cli/target/minitron.jar \
//       compress/scripts/Importance8B.java DIR SAMPLES SEQ_LEN
// DIR gets the 16 GB checkpoint on the first run (written by the decode benchmark's streaming writer) and is
// reused afterwards. Prints time, tokens/s, Java heap in use and the peak resident set (VmHWM).

import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import minitron.compress.Aggregation;
import minitron.compress.Calibration;
import minitron.compress.ImportanceEstimator;
import minitron.compress.ImportanceScores;
import minitron.transformer.config.LlamaConfig;
import minitron.transformer.model.LlamaModel;

public class Importance8B {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int samples = Integer.parseInt(args[1]), seqLen = Integer.parseInt(args[2]);
        LlamaConfig config = LlamaConfig.preset("llama-3.1-8b");
        if (!Files.isRegularFile(dir.resolve("model.safetensors"))) {
            Files.createDirectories(dir);
            Method write = Class.forName("minitron.bench.DecodeBench")
                    .getDeclaredMethod("writeRandomCheckpoint", Path.class, LlamaConfig.class, long.class);
            write.setAccessible(true);   // package-private in bench: reused rather than copied
            long start = System.nanoTime();
            long bytes = (long) write.invoke(null, dir, config, 1L);
            System.out.printf("wrote %.2f GB in %.0f s%n", bytes / 1e9, (System.nanoTime() - start) / 1e9);
        }
        try (LlamaModel model = LlamaModel.load(dir, LlamaModel.Mode.INFERENCE)) {
            Calibration calibration = Calibration.ofRows(
                    java.util.stream.IntStream.range(0, samples).mapToObj(i -> {
                        int[] row = new int[seqLen + 1];
                        for (int j = 0; j <= seqLen; j++) row[j] = (int) ((i * 7919L + j * 104729L) % 128000);
                        return row;
                    }).toList(), 1);
            ImportanceScores scores = ImportanceEstimator.estimate(model, calibration, Aggregation.DEFAULT);
            Runtime rt = Runtime.getRuntime();
            String hwm = Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("VmHWM")).findFirst().orElse("VmHWM: ?");
            System.out.printf("samples %d x %d tokens: %.1f s, %.2f tokens/s, heap in use %.2f GB, %s%n", samples,
                    seqLen, scores.seconds(), calibration.tokens() / scores.seconds(),
                    (rt.totalMemory() - rt.freeMemory()) / 1e9, hwm.replaceAll("\\s+", " "));
        }
    }
}
