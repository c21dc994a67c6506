import java.util.Random;
import minitron.tensor.Backends;
import minitron.tensor.Ops;
import minitron.tensor.Tensor;

/**
 * GEMM rates (GFLOPS) on the training step's shapes, with the views the autograd ops use (LinearAlgebra.linear):
 * forward x (R, in) @ W^T (W (out, in)), backward dx = g (R, out) @ W (out, in), dW = g^T (out, R) @ x (R, in).
 * R = 2048 tokens (batch 8 x 256), in = 256 (d), out in {256, 64, 704, 4096}; also the MLP down (in = 704).
 * Usage: java --add-modules jdk.incubator.vector -Dminitron.threads=1 -cp cli/target/minitron.jar scripts/TrainShapes.java [ROUNDS]
 */
public class TrainShapes {
    static Tensor rand(Random r, int... dims) {
        int n = 1;
        for (int d : dims) n *= d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = r.nextFloat() - 0.5f;
        return Tensor.of(v, dims);
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        Ops ops = Ops.of(Backends.vector());
        Random rnd = new Random(1);
        int rows = 2048;
        int[][] inOut = {{256, 256}, {256, 64}, {256, 704}, {704, 256}, {256, 4096}};
        for (int[] io : inOut) {
            int in = io[0], out = io[1];
            Tensor x = rand(rnd, rows, in), w = rand(rnd, out, in), g = rand(rnd, rows, out);
            double flops = 2.0 * rows * in * out;
            String[] names = {"fwd x@W^T", "dx g@W", "dW g^T@x"};
            for (int which = 0; which < 3; which++) {
                double best = Double.MAX_VALUE;
                for (int round = 0; round < rounds + 2; round++) {
                    long t0 = System.nanoTime();
                    int reps = 0;
                    do {
                        switch (which) {
                            case 0 -> ops.linear(x, w);
                            case 1 -> ops.matmul(g, w);
                            default -> ops.matmul(g.transpose(0, 1), x);
                        }
                        reps++;
                    } while (System.nanoTime() - t0 < 200_000_000L);
                    double s = (System.nanoTime() - t0) / 1e9 / reps;
                    if (round >= 2) best = Math.min(best, s);
                }
                System.out.printf("in=%4d out=%4d %-10s %7.1f GFLOPS (%.3f ms)%n", in, out, names[which],
                        flops / best / 1e9, best * 1e3);
            }
        }
    }
}
