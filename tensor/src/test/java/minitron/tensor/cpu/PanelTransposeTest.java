package minitron.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import minitron.tensor.DType;
import minitron.tensor.Half;
import org.junit.jupiter.api.Test;

/**
 * The register transposes that pack W^T into GEMM panels, against element-by-element indexing: exact (they only
 * move values), at this machine's vector width (run with -XX:MaxVectorSize=32 for 8 lanes), for F32 and BF16 rows
 * in heap segments (backed by the dtype's own array) and off-heap ones, with a row stride that is not the block's
 * width and a destination stride wider than the block.
 */
class PanelTransposeTest {
    private static final int B = PanelTranspose.BLOCK;
    /** Elements between the starts of two W rows (W is a slice of a wider matrix). */
    private static final int ROW_STRIDE = 75;
    /** Floats between two destination rows, as in a GEMM panel of 64 columns. */
    private static final int DST_STRIDE = 64;

    @Test
    void f32BlocksTransposeExactly() {
        assumeTrue(PanelTranspose.applies(DType.F32), "needs vectors of 8 or 16 float lanes");
        float[] w = new float[B * ROW_STRIDE];
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < w.length; i++) w[i] = (float) random.nextDouble(-1, 1);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment offHeap = arena.allocate(4L * w.length, 64);
            MemorySegment.copy(w, 0, offHeap, ValueLayout.JAVA_FLOAT, 0, w.length);
            for (MemorySegment seg : new MemorySegment[]{MemorySegment.ofArray(w), offHeap}) {
                int from = 7; // the block starts at W[r, 7]
                float[] tile = new float[B * B], dst = new float[B * DST_STRIDE + 5];
                PanelTranspose.readF32(seg, 4L * from, 4L * ROW_STRIDE, tile);
                PanelTranspose.block(tile, dst, 5, DST_STRIDE);
                for (int r = 0; r < B; r++) {
                    for (int c = 0; c < B; c++) {
                        assertEquals(w[r * ROW_STRIDE + from + c], dst[5 + c * DST_STRIDE + r],
                                (seg.isNative() ? "off-heap" : "heap") + " W[" + r + ", " + (from + c) + "]");
                    }
                }
            }
        }
    }

    @Test
    void bf16BlocksSplitIntoEvenAndOddValuesAndTransposeExactly() {
        assumeTrue(PanelTranspose.applies(DType.BF16), "needs vectors of 8 or 16 float lanes");
        short[] w = new short[B * ROW_STRIDE];
        SplittableRandom random = new SplittableRandom(2);
        for (int i = 0; i < w.length; i++) w[i] = Half.floatToBf16((float) random.nextDouble(-1, 1));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment offHeap = arena.allocate(2L * w.length, 64);
            MemorySegment.copy(w, 0, offHeap, ValueLayout.JAVA_SHORT, 0, w.length);
            for (MemorySegment seg : new MemorySegment[]{MemorySegment.ofArray(w), offHeap}) {
                int from = 3; // 32 values from W[r, 3]
                float[] even = new float[B * B], odd = new float[B * B], dst = new float[2 * B * DST_STRIDE];
                PanelTranspose.readBf16(seg, 2L * from, 2L * ROW_STRIDE, even, odd);
                PanelTranspose.block(even, dst, 0, 2 * DST_STRIDE);
                PanelTranspose.block(odd, dst, DST_STRIDE, 2 * DST_STRIDE);
                for (int r = 0; r < B; r++) {
                    for (int c = 0; c < 2 * B; c++) {
                        assertEquals(Half.bf16ToFloat(w[r * ROW_STRIDE + from + c]), dst[c * DST_STRIDE + r],
                                (seg.isNative() ? "off-heap" : "heap") + " W[" + r + ", " + (from + c) + "]");
                    }
                }
            }
        }
    }
}
