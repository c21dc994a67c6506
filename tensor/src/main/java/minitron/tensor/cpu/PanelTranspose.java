package minitron.tensor.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import minitron.tensor.DType;

/**
 * Packs a weight seen as W^T into {@link Gemm}'s b panels with 16 x 16 (or 8 x 8) transposes in registers.
 *
 * <p>b (K, N) = W^T for an HF weight W (N, K): column j of b is row j of W, contiguous along K. A b panel wants,
 * for each p, the 16 values b[p, j0 .. j0 + 16) next to each other. Element by element that is a strided scatter,
 * about 4 cycles per weight on Zen 5. Here 16 rows of W are read one vector (64 bytes) at a time into a small
 * tile (BF16 pairs split into even and odd values as {@link Gemv} does), the 16 x 16 tile is transposed in
 * registers in four stages of two-vector rearranges, and each of its 16 columns is stored as one vector. (Reading
 * W straight into the transposing method, one method for every dtype, made C2 give up on it: its vectors were
 * boxed and it ran slower than the scalar scatter.) Measured, two threads, (6, 2048) @ W^T with W (8192, 2048) on
 * the heap: BF16 9.4 -> 2.4-2.8 ms, F32 7.0 -> 3.2-3.5; a 512-token prefill of a 1B model 2.80 -> 2.50-2.55 s.
 *
 * <p>The transpose: stage h (8, 4, 2, 1) swaps the off-diagonal h x h blocks of every 2h x 2h block, pairing
 * rows i and i + h (bit h of i clear):
 * <pre>
 *   new[i]     lane c = (c & h) == 0 ? old[i][c]     : old[i + h][c - h]
 *   new[i + h] lane c = (c & h) == 0 ? old[i][c + h] : old[i + h][c]
 * </pre>
 * Swapping quadrants at every level swaps each row index bit with the matching column index bit: the transpose.
 *
 * <p>Written for 16 float lanes (AVX-512) and 8 (AVX2): the same stages from h = BLOCK / 2 down. {@link #applies}
 * says when; Gemm packs element by element otherwise.
 */
final class PanelTranspose {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    /** Rows and columns of one transposed block: the float lanes of a vector (16 with AVX-512, 8 with AVX2). */
    static final int BLOCK = F.length();

    private static final VectorShuffle<Float> LOW8 = stage(8, true), HIGH8 = stage(8, false);
    private static final VectorShuffle<Float> LOW4 = stage(4, true), HIGH4 = stage(4, false);
    private static final VectorShuffle<Float> LOW2 = stage(2, true), HIGH2 = stage(2, false);
    private static final VectorShuffle<Float> LOW1 = stage(1, true), HIGH1 = stage(1, false);

    private PanelTranspose() {
    }

    /** True when vectors have 16 or 8 float lanes (the two transposes written here) and b is F32 or BF16. */
    static boolean applies(DType dtype) {
        return (BLOCK == 16 || BLOCK == 8) && (dtype == DType.F32 || dtype == DType.BF16);
    }

    /**
     * The shuffle that makes new[i] (low) or new[i + h] (high) of stage h from the pair (old[i], old[i + h]).
     * A two-vector rearrange takes lane c from the first vector for an index in [0, BLOCK) and from the second
     * for an exceptional (negative) index, at lane index + BLOCK.
     */
    private static VectorShuffle<Float> stage(int h, boolean low) {
        if (h >= BLOCK) return null; // no such stage at this width
        int[] source = new int[BLOCK];
        for (int c = 0; c < BLOCK; c++) {
            boolean fromFirst = (c & h) == 0;
            int lane = low ? (fromFirst ? c : c - h) : (fromFirst ? c + h : c);
            source[c] = fromFirst ? lane : lane - BLOCK;
        }
        return VectorShuffle.fromArray(F, source, 0);
    }

    /**
     * Reads BLOCK rows of BLOCK F32 values into {@code rows} (row r at r * BLOCK): W row r starts at byte offset
     * {@code at + r * rowStrideBytes} of seg.
     */
    static void readF32(MemorySegment seg, long at, long rowStrideBytes, float[] rows) {
        for (int r = 0; r < BLOCK; r++) {
            FloatVector.fromMemorySegment(F, seg, at + r * rowStrideBytes, ORDER).intoArray(rows, r * BLOCK);
        }
    }

    /**
     * Reads BLOCK rows of 2 BLOCK BF16 values, split as {@link Gemv} splits them: W row r's values 2c go to
     * {@code even[r * BLOCK + c]} and 2c + 1 to {@code odd[r * BLOCK + c]}, as floats (each int lane holds a pair: the
     * first in its low half, shifted up, the second in its high half, masked). A vector load from a heap segment
     * is one instruction only when its element type is the backing array's (an IntVector load from a short[] ran
     * 5x slower), so heap BF16 is loaded as shorts; off-heap (memory-mapped) as ints, 25% faster than shorts.
     */
    static void readBf16(MemorySegment seg, long at, long rowStrideBytes, float[] even, float[] odd) {
        if (seg.isNative()) {
            for (int r = 0; r < BLOCK; r++) {
                IntVector pairs = IntVector.fromMemorySegment(I, seg, at + r * rowStrideBytes, ORDER);
                pairs.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(even, r * BLOCK);
                pairs.and(0xFFFF0000).reinterpretAsFloats().intoArray(odd, r * BLOCK);
            }
        } else {
            for (int r = 0; r < BLOCK; r++) {
                IntVector pairs = ShortVector.fromMemorySegment(S, seg, at + r * rowStrideBytes, ORDER)
                        .reinterpretAsInts();
                pairs.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(even, r * BLOCK);
                pairs.and(0xFFFF0000).reinterpretAsFloats().intoArray(odd, r * BLOCK);
            }
        }
    }

    /**
     * Stores the transpose of the BLOCK x BLOCK block {@code rows} (row r at r * BLOCK, from {@link #readF32} or
     * {@link #readBf16}): value c of row r goes to {@code dst[dstOff + c * dstStride + r]}.
     */
    static void block(float[] rows, float[] dst, int dstOff, int dstStride) {
        if (BLOCK == 16) {
            block16(rows, dst, dstOff, dstStride);
        } else {
            block8(rows, dst, dstOff, dstStride);
        }
    }

    /** {@link #block} for 8 lanes: stages h = 4, 2, 1. */
    private static void block8(float[] rows, float[] dst, int dstOff, int dstStride) {
        FloatVector v0 = FloatVector.fromArray(F, rows, 0);
        FloatVector v1 = FloatVector.fromArray(F, rows, 8);
        FloatVector v2 = FloatVector.fromArray(F, rows, 2 * 8);
        FloatVector v3 = FloatVector.fromArray(F, rows, 3 * 8);
        FloatVector v4 = FloatVector.fromArray(F, rows, 4 * 8);
        FloatVector v5 = FloatVector.fromArray(F, rows, 5 * 8);
        FloatVector v6 = FloatVector.fromArray(F, rows, 6 * 8);
        FloatVector v7 = FloatVector.fromArray(F, rows, 7 * 8);
        FloatVector t;
        // h = 4
        t = v0; v0 = t.rearrange(LOW4, v4); v4 = t.rearrange(HIGH4, v4);
        t = v1; v1 = t.rearrange(LOW4, v5); v5 = t.rearrange(HIGH4, v5);
        t = v2; v2 = t.rearrange(LOW4, v6); v6 = t.rearrange(HIGH4, v6);
        t = v3; v3 = t.rearrange(LOW4, v7); v7 = t.rearrange(HIGH4, v7);
        // h = 2
        t = v0; v0 = t.rearrange(LOW2, v2); v2 = t.rearrange(HIGH2, v2);
        t = v1; v1 = t.rearrange(LOW2, v3); v3 = t.rearrange(HIGH2, v3);
        t = v4; v4 = t.rearrange(LOW2, v6); v6 = t.rearrange(HIGH2, v6);
        t = v5; v5 = t.rearrange(LOW2, v7); v7 = t.rearrange(HIGH2, v7);
        // h = 1
        t = v0; v0 = t.rearrange(LOW1, v1); v1 = t.rearrange(HIGH1, v1);
        t = v2; v2 = t.rearrange(LOW1, v3); v3 = t.rearrange(HIGH1, v3);
        t = v4; v4 = t.rearrange(LOW1, v5); v5 = t.rearrange(HIGH1, v5);
        t = v6; v6 = t.rearrange(LOW1, v7); v7 = t.rearrange(HIGH1, v7);
        v0.intoArray(dst, dstOff);
        v1.intoArray(dst, dstOff + dstStride);
        v2.intoArray(dst, dstOff + 2 * dstStride);
        v3.intoArray(dst, dstOff + 3 * dstStride);
        v4.intoArray(dst, dstOff + 4 * dstStride);
        v5.intoArray(dst, dstOff + 5 * dstStride);
        v6.intoArray(dst, dstOff + 6 * dstStride);
        v7.intoArray(dst, dstOff + 7 * dstStride);
    }

    /** {@link #block} for 16 lanes: stages h = 8, 4, 2, 1. */
    private static void block16(float[] rows, float[] dst, int dstOff, int dstStride) {
        FloatVector v0 = FloatVector.fromArray(F, rows, 0 * BLOCK);
        FloatVector v1 = FloatVector.fromArray(F, rows, 1 * BLOCK);
        FloatVector v2 = FloatVector.fromArray(F, rows, 2 * BLOCK);
        FloatVector v3 = FloatVector.fromArray(F, rows, 3 * BLOCK);
        FloatVector v4 = FloatVector.fromArray(F, rows, 4 * BLOCK);
        FloatVector v5 = FloatVector.fromArray(F, rows, 5 * BLOCK);
        FloatVector v6 = FloatVector.fromArray(F, rows, 6 * BLOCK);
        FloatVector v7 = FloatVector.fromArray(F, rows, 7 * BLOCK);
        FloatVector v8 = FloatVector.fromArray(F, rows, 8 * BLOCK);
        FloatVector v9 = FloatVector.fromArray(F, rows, 9 * BLOCK);
        FloatVector v10 = FloatVector.fromArray(F, rows, 10 * BLOCK);
        FloatVector v11 = FloatVector.fromArray(F, rows, 11 * BLOCK);
        FloatVector v12 = FloatVector.fromArray(F, rows, 12 * BLOCK);
        FloatVector v13 = FloatVector.fromArray(F, rows, 13 * BLOCK);
        FloatVector v14 = FloatVector.fromArray(F, rows, 14 * BLOCK);
        FloatVector v15 = FloatVector.fromArray(F, rows, 15 * BLOCK);
        FloatVector t;
        // h = 8: pairs (i, i + 8)
        t = v0; v0 = t.rearrange(LOW8, v8); v8 = t.rearrange(HIGH8, v8);
        t = v1; v1 = t.rearrange(LOW8, v9); v9 = t.rearrange(HIGH8, v9);
        t = v2; v2 = t.rearrange(LOW8, v10); v10 = t.rearrange(HIGH8, v10);
        t = v3; v3 = t.rearrange(LOW8, v11); v11 = t.rearrange(HIGH8, v11);
        t = v4; v4 = t.rearrange(LOW8, v12); v12 = t.rearrange(HIGH8, v12);
        t = v5; v5 = t.rearrange(LOW8, v13); v13 = t.rearrange(HIGH8, v13);
        t = v6; v6 = t.rearrange(LOW8, v14); v14 = t.rearrange(HIGH8, v14);
        t = v7; v7 = t.rearrange(LOW8, v15); v15 = t.rearrange(HIGH8, v15);
        // h = 4: pairs (i, i + 4) within each half
        t = v0; v0 = t.rearrange(LOW4, v4); v4 = t.rearrange(HIGH4, v4);
        t = v1; v1 = t.rearrange(LOW4, v5); v5 = t.rearrange(HIGH4, v5);
        t = v2; v2 = t.rearrange(LOW4, v6); v6 = t.rearrange(HIGH4, v6);
        t = v3; v3 = t.rearrange(LOW4, v7); v7 = t.rearrange(HIGH4, v7);
        t = v8; v8 = t.rearrange(LOW4, v12); v12 = t.rearrange(HIGH4, v12);
        t = v9; v9 = t.rearrange(LOW4, v13); v13 = t.rearrange(HIGH4, v13);
        t = v10; v10 = t.rearrange(LOW4, v14); v14 = t.rearrange(HIGH4, v14);
        t = v11; v11 = t.rearrange(LOW4, v15); v15 = t.rearrange(HIGH4, v15);
        // h = 2
        t = v0; v0 = t.rearrange(LOW2, v2); v2 = t.rearrange(HIGH2, v2);
        t = v1; v1 = t.rearrange(LOW2, v3); v3 = t.rearrange(HIGH2, v3);
        t = v4; v4 = t.rearrange(LOW2, v6); v6 = t.rearrange(HIGH2, v6);
        t = v5; v5 = t.rearrange(LOW2, v7); v7 = t.rearrange(HIGH2, v7);
        t = v8; v8 = t.rearrange(LOW2, v10); v10 = t.rearrange(HIGH2, v10);
        t = v9; v9 = t.rearrange(LOW2, v11); v11 = t.rearrange(HIGH2, v11);
        t = v12; v12 = t.rearrange(LOW2, v14); v14 = t.rearrange(HIGH2, v14);
        t = v13; v13 = t.rearrange(LOW2, v15); v15 = t.rearrange(HIGH2, v15);
        // h = 1
        t = v0; v0 = t.rearrange(LOW1, v1); v1 = t.rearrange(HIGH1, v1);
        t = v2; v2 = t.rearrange(LOW1, v3); v3 = t.rearrange(HIGH1, v3);
        t = v4; v4 = t.rearrange(LOW1, v5); v5 = t.rearrange(HIGH1, v5);
        t = v6; v6 = t.rearrange(LOW1, v7); v7 = t.rearrange(HIGH1, v7);
        t = v8; v8 = t.rearrange(LOW1, v9); v9 = t.rearrange(HIGH1, v9);
        t = v10; v10 = t.rearrange(LOW1, v11); v11 = t.rearrange(HIGH1, v11);
        t = v12; v12 = t.rearrange(LOW1, v13); v13 = t.rearrange(HIGH1, v13);
        t = v14; v14 = t.rearrange(LOW1, v15); v15 = t.rearrange(HIGH1, v15);
        v0.intoArray(dst, dstOff);
        v1.intoArray(dst, dstOff + dstStride);
        v2.intoArray(dst, dstOff + 2 * dstStride);
        v3.intoArray(dst, dstOff + 3 * dstStride);
        v4.intoArray(dst, dstOff + 4 * dstStride);
        v5.intoArray(dst, dstOff + 5 * dstStride);
        v6.intoArray(dst, dstOff + 6 * dstStride);
        v7.intoArray(dst, dstOff + 7 * dstStride);
        v8.intoArray(dst, dstOff + 8 * dstStride);
        v9.intoArray(dst, dstOff + 9 * dstStride);
        v10.intoArray(dst, dstOff + 10 * dstStride);
        v11.intoArray(dst, dstOff + 11 * dstStride);
        v12.intoArray(dst, dstOff + 12 * dstStride);
        v13.intoArray(dst, dstOff + 13 * dstStride);
        v14.intoArray(dst, dstOff + 14 * dstStride);
        v15.intoArray(dst, dstOff + 15 * dstStride);
    }
}
