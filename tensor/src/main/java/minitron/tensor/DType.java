package minitron.tensor;

/**
 * Element types. F32 is the compute type; BF16 and F16 are storage types for weights (kernels read them
 * without materializing an F32 copy); I32 holds token ids; F64 exists for gradient checks in tests.
 */
public enum DType {
    F32(4, "float32"),
    F64(8, "float64"),
    BF16(2, "bfloat16"),
    F16(2, "float16"),
    I32(4, "int32");

    private final int byteSize;
    private final String torchName;

    DType(int byteSize, String torchName) {
        this.byteSize = byteSize;
        this.torchName = torchName;
    }

    public int byteSize() {
        return byteSize;
    }

    /** The name PyTorch and HF configs use ("float32", "bfloat16", ...). */
    public String torchName() {
        return torchName;
    }

    public boolean isFloatingPoint() {
        return this != I32;
    }

    /** True for the 16-bit storage types whose values are widened to F32 on read. */
    public boolean isHalf() {
        return this == BF16 || this == F16;
    }
}
