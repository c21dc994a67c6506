package minitron.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import java.lang.foreign.ValueLayout;

/**
 * F32 -> BF16 / F16 narrowing: round to nearest, ties to even (as PyTorch), NaN stays NaN, infinities stay
 * infinite; widening is exact. Checked through each backend's copy kernel on exact cases.
 */
class DTypeTest {

    private static float narrowAndWiden(Backend backend, float value, DType half) {
        Tensor src = Tensor.of(new float[]{value}, 1);
        Tensor h = Tensor.zeros(half, 1);
        backend.copy(src, h);
        Tensor back = Tensor.zeros(DType.F32, 1);
        backend.copy(h, back);
        return (float) back.get(0);
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void bf16RoundsToNearestEven(Backend backend) {
        float u = 0x1p-8f; // half an ulp of BF16 at 1.0 (BF16 keeps 7 fraction bits)
        assertEquals(1f, narrowAndWiden(backend, 1f + u, DType.BF16), "1 + 2^-8 is a tie: to even (1)");
        assertEquals(1f + 4 * u, narrowAndWiden(backend, 1f + 3 * u, DType.BF16), "1 + 3*2^-8 is a tie: to even (1 + 2^-6)");
        assertEquals(1f + 2 * u, narrowAndWiden(backend, 1f + 1.5f * u, DType.BF16), "above the tie rounds up");
        assertEquals(1f, narrowAndWiden(backend, 1f + 0.5f * u, DType.BF16), "below the tie rounds down");
        assertEquals(-1f, narrowAndWiden(backend, -1f - u, DType.BF16), "negative ties to even too");
        assertEquals(0.5f, narrowAndWiden(backend, 0.5f, DType.BF16), "representable values are kept");
        assertEquals(Float.POSITIVE_INFINITY, narrowAndWiden(backend, Float.POSITIVE_INFINITY, DType.BF16));
        assertEquals(Float.NEGATIVE_INFINITY, narrowAndWiden(backend, Float.NEGATIVE_INFINITY, DType.BF16));
        assertEquals(Float.POSITIVE_INFINITY, narrowAndWiden(backend, Float.MAX_VALUE, DType.BF16),
                "the largest float rounds past BF16's largest finite value to infinity, as in PyTorch");
        assertTrue(Float.isNaN(narrowAndWiden(backend, Float.NaN, DType.BF16)), "NaN stays NaN");
        // a NaN whose payload is only in the low 16 bits would become infinity if truncated or rounded
        assertTrue(Float.isNaN(narrowAndWiden(backend, Float.intBitsToFloat(0x7F800001), DType.BF16)), "low-payload NaN");
        assertTrue(Float.isNaN(narrowAndWiden(backend, Float.intBitsToFloat(0xFF800001), DType.BF16)), "negative NaN");
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void f16RoundsToNearestEven(Backend backend) {
        float u = 0x1p-11f; // half an ulp of F16 at 1.0 (F16 keeps 10 fraction bits)
        assertEquals(1f, narrowAndWiden(backend, 1f + u, DType.F16), "1 + 2^-11 is a tie: to even (1)");
        assertEquals(1f + 4 * u, narrowAndWiden(backend, 1f + 3 * u, DType.F16), "1 + 3*2^-11 is a tie: to even");
        assertEquals(65504f, narrowAndWiden(backend, 65504f, DType.F16), "largest finite F16");
        assertEquals(65504f, narrowAndWiden(backend, 65519f, DType.F16), "below the tie with infinity");
        assertEquals(Float.POSITIVE_INFINITY, narrowAndWiden(backend, 65520f, DType.F16), "the tie rounds to infinity");
        assertEquals(0x1p-24f, narrowAndWiden(backend, 0x1p-24f, DType.F16), "smallest subnormal");
        assertEquals(0f, narrowAndWiden(backend, 0x1p-26f, DType.F16), "below half the smallest subnormal");
        assertEquals(Float.NEGATIVE_INFINITY, narrowAndWiden(backend, Float.NEGATIVE_INFINITY, DType.F16));
        assertTrue(Float.isNaN(narrowAndWiden(backend, Float.NaN, DType.F16)), "NaN stays NaN");
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void wideningIsExactForEveryBf16Value(Backend backend) {
        // all 65536 BF16 bit patterns: widening is a 16-bit shift
        Tensor h = Tensor.zeros(DType.BF16, 65536);
        for (int bits = 0; bits < 65536; bits++) h.data().setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, bits, (short) bits);
        Tensor f = Tensor.zeros(DType.F32, 65536);
        backend.copy(h, f);
        for (int bits = 0; bits < 65536; bits++) {
            int got = Float.floatToRawIntBits((float) f.get(bits));
            float expected = Float.intBitsToFloat(bits << 16);
            if (Float.isNaN(expected)) {
                assertTrue(Float.isNaN(Float.intBitsToFloat(got)), "NaN pattern " + bits);
            } else {
                assertEquals(bits << 16, got, "BF16 pattern " + bits);
            }
        }
    }
}
