package minitron.tensor.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import minitron.tensor.DType;
import minitron.tensor.Tensor;

/**
 * Plain float arrays for the Vector API kernels. A kernel works on {@code (float[] array, int offset)} pairs in
 * row-major order: an F32 heap tensor that is contiguous hands out its own array (no copy); any other input (a
 * strided view, an expanded view, BF16/F16 storage, off-heap memory) is gathered into a fresh contiguous F32 array
 * first, which is exact (widening BF16/F16 to F32 loses nothing). Outputs must be contiguous F32 heap tensors
 * (what {@link minitron.tensor.Ops} allocates); a kernel that gets anything else hands the call to the reference.
 */
final class Dense {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    /** Elements [offset, offset + numel) of {@code array} are the tensor in row-major order. */
    record Floats(float[] array, int offset) {
    }

    private Dense() {
    }

    /** The F32 heap array behind t, or null when t is not F32 on the heap (mmap, BF16, ...). */
    static float[] heapArray(Tensor t) {
        if (t.dtype() != DType.F32) return null;
        MemorySegment data = t.data();
        if (!(data.heapBase().orElse(null) instanceof float[] array)) return null;
        // A heap segment may be a slice of its array; address() is then the byte offset of the slice.
        if (data.address() != 0) return null;
        return array;
    }

    /** True when t is an F32 heap tensor laid out row-major without gaps. */
    static boolean isDenseF32(Tensor t) {
        return heapArray(t) != null && t.isContiguous() && t.offset() + t.numel() <= Integer.MAX_VALUE;
    }

    /** True when every tensor is a writable-as-array output: contiguous F32 on the heap. */
    static boolean outputs(Tensor... outs) {
        for (Tensor t : outs) {
            if (t == null) continue;
            if (!isDenseF32(t) || t.data().isReadOnly()) return false;
        }
        return true;
    }

    /** An output (caller checked {@link #outputs}). */
    static Floats out(Tensor t) {
        return new Floats(heapArray(t), (int) t.offset());
    }

    /** An input as a row-major float array: the tensor's own array when dense F32, else a gathered copy. */
    static Floats in(Tensor t) {
        if (isDenseF32(t)) return new Floats(heapArray(t), (int) t.offset());
        return new Floats(gather(t), 0);
    }

    /**
     * A new contiguous F32 array with t's elements in row-major order, whatever t's dtype (floating) and strides.
     * Walks rows of the last axis so the per-element cost is one strided read.
     */
    static float[] gather(Tensor t) {
        int n = Math.toIntExact(t.numel());
        float[] dst = new float[n];
        if (n == 0) return dst;
        int cols = t.rank() == 0 ? 1 : t.dim(-1);
        int rows = n / cols;
        long step = t.rank() == 0 ? 0 : t.stride(-1);
        for (int r = 0; r < rows; r++) {
            long base = t.offsetOf((long) r * cols);
            readRow(t, base, step, cols, dst, r * cols);
        }
        return dst;
    }

    /** dst[dstOffset + c] = t's element at base + c*step, for c in [0, cols), widened to float. */
    static void readRow(Tensor t, long base, long step, int cols, float[] dst, int dstOffset) {
        MemorySegment data = t.data();
        switch (t.dtype()) {
            case F32 -> {
                float[] array = heapArray(t);
                if (array != null) {
                    if (step == 1) {
                        System.arraycopy(array, (int) base, dst, dstOffset, cols);
                    } else {
                        for (int c = 0; c < cols; c++) dst[dstOffset + c] = array[(int) (base + c * step)];
                    }
                } else {
                    for (int c = 0; c < cols; c++) dst[dstOffset + c] = data.getAtIndex(F32, base + c * step);
                }
            }
            case BF16 -> {
                for (int c = 0; c < cols; c++) {
                    dst[dstOffset + c] = Float.intBitsToFloat((data.getAtIndex(I16, base + c * step) & 0xFFFF) << 16);
                }
            }
            case F16 -> {
                for (int c = 0; c < cols; c++) dst[dstOffset + c] = Float.float16ToFloat(data.getAtIndex(I16, base + c * step));
            }
            default -> {
                for (int c = 0; c < cols; c++) dst[dstOffset + c] = (float) t.readDouble(base + c * step);
            }
        }
    }

    /**
     * A rank-4 tensor whose last axis is contiguous, read in place: row (i0, i1, i2) starts at
     * {@link #row}(i0, i1, i2) in array. Views with unit last stride (q, k, v transposed from (B, T, H, D)) are
     * used as they are; anything else is gathered into a contiguous copy first.
     */
    record Rows4(float[] array, long offset, long s0, long s1, long s2) {
        static Rows4 of(Tensor t) {
            float[] a = heapArray(t);
            if (a == null || t.stride(3) != 1 && t.dim(3) > 1) {
                a = gather(t);
                t = Tensor.of(a, t.shape().dims());
            }
            return new Rows4(a, t.offset(), t.stride(0), t.stride(1), t.stride(2));
        }

        int row(int i0, int i1, int i2) {
            return (int) (offset + i0 * s0 + i1 * s1 + i2 * s2);
        }
    }

    /** True when every tensor has a floating dtype other than F64 (F32, BF16, F16): what the fast kernels read. */
    static boolean readable(Tensor... ts) {
        for (Tensor t : ts) {
            if (t == null) continue;
            DType d = t.dtype();
            if (d != DType.F32 && d != DType.BF16 && d != DType.F16) return false;
            if (t.numel() > Integer.MAX_VALUE) return false;
        }
        return true;
    }

    /** Rows of the last axis: numel / last dim (1 for a 0-d tensor). */
    static int rows(Tensor t) {
        int cols = cols(t);
        return cols == 0 ? 0 : (int) (t.numel() / cols);
    }

    static int cols(Tensor t) {
        return t.rank() == 0 ? 1 : t.dim(-1);
    }

    /** A grain (items per task) so that each task has at least about {@code WORK_PER_TASK} elements of work. */
    static int grain(long workPerItem) {
        return (int) Math.max(1, WORK_PER_TASK / Math.max(1, workPerItem));
    }

    /**
     * {@link #grain(long)} for a loop whose chunks access the memory of {@code tensors} themselves (not a gathered
     * copy): one chunk, run on the calling thread, when any of it is confined to that thread (Arena.ofConfined),
     * since the pool's threads may not access it (as {@link Gemm#poolThreadsFor}).
     */
    static int grain(long workPerItem, Tensor... tensors) {
        for (Tensor t : tensors) {
            if (!t.data().isAccessibleBy(NOT_THE_OWNER)) return Integer.MAX_VALUE;
        }
        return grain(workPerItem);
    }

    /** A thread that owns nothing: memory it may access, the pool's threads may access too. */
    private static final Thread NOT_THE_OWNER = new Thread(() -> { });

    /**
     * Elements of work below which splitting a loop across threads costs more than it saves (a fork/join round
     * trip is a few microseconds; 16K float operations take about as long on one core).
     */
    static final long WORK_PER_TASK = 1 << 14;
}
