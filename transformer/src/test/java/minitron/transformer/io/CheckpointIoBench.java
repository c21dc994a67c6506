package minitron.transformer.io;

import minitron.tensor.DType;
import minitron.tensor.Shape;
import minitron.tensor.Tensor;
import minitron.transformer.config.LlamaConfig;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;
import java.util.stream.Stream;

/**
 * Not a unit test (no timing is asserted anywhere): measures writing and opening a full-size checkpoint of a preset
 * shape with synthetic BF16 weights. Usage (after {@code ./mvnw -q -pl transformer -am test-compile}):
 * <pre>
 *   java --add-modules jdk.incubator.vector -Xmx4g -cp CLASSPATH minitron.transformer.io.CheckpointIoBench DIR [PRESET] [SHARD_BYTES]
 * </pre>
 * Weights are off-heap (one arena), filled with a cheap pattern; the file system does not compress, so the
 * pattern does not flatter the numbers. Writes go through the page cache and end with fsync per file.
 */
public final class CheckpointIoBench {
    private CheckpointIoBench() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String preset = args.length > 1 ? args[1] : "llama-3.2-1b";
        long shardBytes = args.length > 2 ? Long.parseLong(args[2]) : SafetensorsWriter.DEFAULT_MAX_SHARD_BYTES;
        LlamaConfig config = LlamaConfig.preset(preset);
        try (Arena arena = Arena.ofShared()) {
            SequencedMap<String, Tensor> weights = new LinkedHashMap<>();
            long bytes = 0;
            int k = 0;
            for (Map.Entry<String, Shape> e : config.expectedTensors().entrySet()) {
                long n = e.getValue().numel() * 2;
                MemorySegment seg = arena.allocate(n, 8);
                seg.fill((byte) (0x3C + (k++ % 3)));   // BF16 values near 0.01, varying by tensor
                weights.put(e.getKey(), Tensor.wrap(seg, DType.BF16, e.getValue()));
                bytes += n;
            }
            System.out.printf("%s: %d tensors, %.3f GB of BF16 weights (%d parameters)%n", preset, weights.size(),
                    bytes / 1e9, config.parameterCount());

            long t0 = System.nanoTime();
            var files = Checkpoint.saveModel(dir, config, weights, null, shardBytes);
            double writeS = (System.nanoTime() - t0) / 1e9;
            System.out.printf("write (atomic, fsync): %d files in %.2f s = %.0f MB/s%n", files.size(), writeS, bytes / 1e6 / writeS);

            for (int rep = 0; rep < 3; rep++) {
                long t1 = System.nanoTime();
                try (Checkpoint c = Checkpoint.openModel(dir)) {
                    double openMs = (System.nanoTime() - t1) / 1e6;
                    // Touch one element of every tensor and checksum the last layer's down_proj (page-cache read).
                    long t2 = System.nanoTime();
                    double sum = 0;
                    for (Tensor t : c.tensors().values()) if (t.numel() > 0) sum += t.readDouble(t.offset());
                    Tensor down = c.tensor("model.layers." + (config.numHiddenLayers() - 1) + ".mlp.down_proj.weight");
                    long down16 = 0;
                    MemorySegment d = down.data();
                    for (long i = 0; i < d.byteSize(); i += 8) down16 += d.get(ValueLayout.JAVA_LONG_UNALIGNED, i);
                    double scanS = (System.nanoTime() - t2) / 1e9;
                    System.out.printf("open + validate + check against config: %.1f ms (%d files, %d tensors); "
                                    + "scan of down_proj (%d MB): %.0f MB/s [checksum %d, %.3f]%n", openMs, c.files().size(),
                            c.names().size(), d.byteSize() >> 20, d.byteSize() / 1e6 / scanS, down16, sum);
                }
            }
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
