package minitron.tensor;

import static minitron.tensor.KernelChecks.F32_ATOL;
import static minitron.tensor.KernelChecks.F32_RTOL;
import static minitron.tensor.KernelChecks.matchesScalar;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Inputs stored as BF16 or F16, and F32 inputs in off-heap memory (how memory-mapped weights arrive): the fast
 * kernels widen or gather them, and must still match the reference.
 */
class StorageTest {
    private static Arena arena;

    @BeforeAll
    static void openArena() {
        arena = Arena.ofShared();
    }

    @AfterAll
    static void closeArena() {
        arena.close();
    }

    /** An off-heap copy of a contiguous tensor, same dtype and shape. */
    private static Tensor offHeap(Tensor t) {
        long bytes = t.numel() * t.dtype().byteSize();
        MemorySegment segment = arena.allocate(bytes, 8);
        MemorySegment.copy(t.data(), t.offset() * t.dtype().byteSize(), segment, 0, bytes);
        return Tensor.wrap(segment, t.dtype(), t.shape());
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void halfPrecisionInputsMatchScalar(Backend backend) {
        for (DType half : new DType[]{DType.BF16, DType.F16}) {
            Tensor x = TestTensors.uniform(1, half, 5, 37);
            Tensor y = TestTensors.uniform(2, 5, 37);
            String at = " " + half;
            matchesScalar(backend, "exp" + at, F32_ATOL, F32_RTOL, ops -> ops.unary(UnaryOp.EXP, x));
            matchesScalar(backend, "add" + at, 0, 0, ops -> ops.add(y, x));
            matchesScalar(backend, "add row" + at, 0, 0, ops -> ops.add(y, TestTensors.uniform(3, half, 37)));
            matchesScalar(backend, "sum" + at, F32_ATOL, F32_RTOL, ops -> ops.sum(x, -1, false));
            matchesScalar(backend, "argmax" + at, 0, 0, ops -> ops.argmax(x, -1));
            matchesScalar(backend, "softmax" + at, F32_ATOL, F32_RTOL, ops -> ops.softmax(x));
            matchesScalar(backend, "swiglu" + at, F32_ATOL, F32_RTOL, ops -> ops.swiglu(y, x));
            matchesScalar(backend, "rmsNorm" + at, F32_ATOL, F32_RTOL, ops -> ops.rmsNorm(x, x.select(0, 1), 1e-5));
            Tensor kv = TestTensors.uniform(4, half, 1, 2, 9, 16);
            Tensor q = TestTensors.uniform(5, 1, 4, 6, 16);
            matchesScalar(backend, "attention" + at, F32_ATOL, F32_RTOL, ops -> ops.attention(q, kv, kv, 0.25, true).out());
        }
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void offHeapInputsMatchScalar(Backend backend) {
        Tensor x = offHeap(TestTensors.uniform(6, 5, 37));
        Tensor w = offHeap(TestTensors.uniform(7, 37));
        Tensor y = TestTensors.uniform(8, 5, 37);
        matchesScalar(backend, "exp off-heap", F32_ATOL, F32_RTOL, ops -> ops.unary(UnaryOp.EXP, x));
        matchesScalar(backend, "mul off-heap", 0, 0, ops -> ops.mul(y, w));
        matchesScalar(backend, "copy off-heap", 0, 0, ops -> ops.contiguous(x.transpose(0, 1)));
        matchesScalar(backend, "rmsNorm off-heap", F32_ATOL, F32_RTOL, ops -> ops.rmsNorm(x, w, 1e-5));
        matchesScalar(backend, "logSoftmax off-heap", F32_ATOL, F32_RTOL, ops -> ops.logSoftmax(x));
        for (DType dtype : new DType[]{DType.F32, DType.BF16, DType.F16}) {
            Tensor table = offHeap(TestTensors.uniform(9, dtype, 50, 37));
            Tensor ids = TestTensors.ids(10, 50, 4, 6);
            matchesScalar(backend, "embedding off-heap " + dtype, 0, 0, ops -> ops.embedding(table, ids));
        }
        // an off-heap F32 -> BF16 conversion, both ways
        Tensor bf16 = Tensor.zeros(DType.BF16, 5, 37);
        Tensor expected = Tensor.zeros(DType.BF16, 5, 37);
        backend.copy(x, bf16);
        Backends.scalar().copy(x, expected);
        TensorAssert.assertClose(expected, bf16, 0, 0, "F32 off-heap -> BF16 on " + backend.name());
    }
}
