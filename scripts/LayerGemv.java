import java.lang.foreign.Arena;
import minitron.tensor.*;

/**
 * Decode-order GEMVs over Llama-3.2-1B-shaped BF16 weights (16 layers of q/k/v/o/gate/up/down + the tied
 * 128256 x 2048 head, each layer its own off-heap W, 2.36 GB in all), time and GB/s per matrix kind, two threads.
 * Measurement only (docs/perf-gemm.md, branch gemv3): the weights are a constant byte pattern, the results unused.
 * Run: java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC \
 *          -cp cli/target/minitron.jar scripts/LayerGemv.java [steps, 40; the first 10 are warm-up]
 */
public class LayerGemv {
    public static void main(String[] args) {
        Parallel.setThreads(2);
        String[] names = {"q", "k", "v", "o", "gate", "up", "down", "head"};
        // (rows N, columns K) of each W (out, in)
        int[][] shapes = {{2048, 2048}, {512, 2048}, {512, 2048}, {2048, 2048}, {8192, 2048}, {8192, 2048}, {2048, 8192}, {128256, 2048}};
        int layers = 16;
        Arena arena = Arena.ofShared();
        Backend backend = Backends.cpu();
        Tensor[][] wT = new Tensor[layers][8];
        Tensor[] xs = new Tensor[8], outs = new Tensor[8];
        for (int t = 0; t < 8; t++) {
            int rows = shapes[t][0], cols = shapes[t][1];
            xs[t] = Tensor.zeros(DType.F32, 1, 1, cols);
            outs[t] = Tensor.zeros(DType.F32, 1, 1, rows);
            for (int l = 0; l < layers; l++) {
                if (t == 7 && l > 0) { wT[l][t] = wT[0][t]; continue; }
                Tensor w = Tensor.wrap(arena.allocate((long) rows * cols * 2, 64), DType.BF16, Shape.of(rows, cols));
                w.data().fill((byte) 0x3c);
                wT[l][t] = w.transpose(0, 1).unsqueeze(0); // (1, K, N), strides (0, 1, K)
            }
        }
        long[] ns = new long[8];
        int steps = Integer.parseInt(args.length > 0 ? args[0] : "40");
        for (int s = 0; s < steps; s++) {
            if (s == 10) java.util.Arrays.fill(ns, 0);
            for (int l = 0; l < layers; l++) {
                for (int t = 0; t < 7; t++) {
                    long t0 = System.nanoTime();
                    backend.matmul(xs[t], wT[l][t], outs[t]);
                    ns[t] += System.nanoTime() - t0;
                }
            }
            long t0 = System.nanoTime();
            backend.matmul(xs[7], wT[0][7], outs[7]);
            ns[7] += System.nanoTime() - t0;
        }
        int measured = steps - 10;
        long total = 0, bytes = 0;
        for (int t = 0; t < 8; t++) {
            long b = (long) shapes[t][0] * shapes[t][1] * 2 * (t == 7 ? 1 : layers);
            total += ns[t]; bytes += b;
            System.out.printf("%-5s (%d, %d): %.3f ms/step, %.1f GB/s, %.1f us/call%n", names[t], shapes[t][0], shapes[t][1],
                    ns[t] / 1e6 / measured, b * (double) measured / ns[t], ns[t] / 1e3 / measured / (t == 7 ? 1 : layers));
        }
        System.out.printf("all: %.2f ms/step = %.1f GB/s (%d MB/step)%n", total / 1e6 / measured, bytes * (double) measured / total, bytes >> 20);
    }
}
