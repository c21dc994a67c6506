package minitron.tensor;

/** Conversions between F32 and the 16-bit storage types. */
public final class Half {
    private Half() {
    }

    /** bfloat16 is the top 16 bits of an IEEE float32: widening is a shift. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /**
     * Narrowing to bfloat16 rounds to nearest, ties to even, as PyTorch does; a NaN stays a (quiet) NaN instead
     * of being rounded into an infinity.
     */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int lsb = (bits >>> 16) & 1;
        int rounded = bits + 0x7FFF + lsb;
        return (short) (rounded >>> 16);
    }

    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** IEEE binary16, round to nearest even (the JDK's conversion). */
    public static short floatToF16(float value) {
        return Float.floatToFloat16(value);
    }
}
