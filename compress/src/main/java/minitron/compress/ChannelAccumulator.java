package minitron.compress;

import java.util.Arrays;
import minitron.tensor.DType;
import minitron.tensor.Tensor;
import minitron.tensor.TensorException;

/**
 * The running per-channel aggregate of one hook (see {@link Aggregation}): {@link #add} one activation batch
 * (B, T, C) at a time, {@link #scores} at the end. Holds C doubles, never an activation.
 */
final class ChannelAccumulator {
    private final String hook;
    private final Aggregation aggregation;
    private final double[] acc;       // (C) sum over samples of m^2 (L2) or of m (MEAN)
    private final double[] perSample; // (C) scratch: sum over positions of |a| or a^2 for the current sample
    private long samples;

    ChannelAccumulator(String hook, int channels, Aggregation aggregation) {
        this.hook = hook;
        this.aggregation = aggregation;
        this.acc = new double[channels];
        this.perSample = new double[channels];
    }

    /** Adds the activations x (B, T, C) of one batch. */
    void add(Tensor x) {
        int c = acc.length;
        if (x.rank() != 3 || x.dim(2) != c) {
            throw TensorException.of("importance hook " + hook, "activations (B, T, " + c + ")", "shape " + x.shape());
        }
        int b = x.dim(0), t = x.dim(1);
        float[] a = floats(x);                                     // (B, T, C) contiguous
        for (int i = 0; i < b; i++) {
            Arrays.fill(perSample, 0.0);
            for (int j = 0; j < t; j++) {
                int base = (i * t + j) * c;
                if (aggregation.sequence() == Aggregation.Sequence.MEAN) {
                    for (int k = 0; k < c; k++) perSample[k] += Math.abs(a[base + k]);
                } else {
                    for (int k = 0; k < c; k++) perSample[k] += (double) a[base + k] * a[base + k];
                }
            }
            for (int k = 0; k < c; k++) {
                double m = aggregation.sequence() == Aggregation.Sequence.MEAN ? perSample[k] / t : Math.sqrt(perSample[k]);
                acc[k] += aggregation.batch() == Aggregation.Batch.L2 ? m * m : m;
            }
        }
        samples += b;
    }

    /** One score per channel: sqrt(acc) (L2 over the batch) or acc / samples (MEAN). */
    double[] scores() {
        double[] out = new double[acc.length];
        for (int k = 0; k < out.length; k++) {
            out[k] = aggregation.batch() == Aggregation.Batch.L2 ? Math.sqrt(acc[k]) : acc[k] / Math.max(1, samples);
        }
        return out;
    }

    /** x's values as a contiguous float array (the forward's own array when it already is one). */
    static float[] floats(Tensor x) {
        float[] heap = x.heapFloats();
        if (heap != null && x.isContiguous() && x.offset() == 0 && heap.length == x.numel()) return heap;
        if (x.dtype() == DType.F32) return x.contiguous().toFloatArray();
        return x.toFloatArray();
    }
}
