package minitron.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import minitron.tensor.Tensor;

/**
 * The fast CPU backend: Java Vector API kernels, multithreaded over {@link minitron.tensor.Parallel}'s pool.
 * It overrides the kernels that matter for speed, for F32 compute; everything else (F64 gradient checks, rare
 * layouts) is inherited from the reference {@link ScalarBackend}, which it must match.
 */
public class VectorBackend extends ScalarBackend {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    @Override
    public String name() {
        return "vector";
    }

    /** F32 products go to the packed GEMM / streaming GEMV ({@link Gemm}); F64 (gradient checks) to the reference. */
    @Override
    public void matmul(Tensor a, Tensor b, Tensor out) {
        if (Gemm.supports(a, b, out)) {
            Gemm.matmul(a, b, out);
        } else {
            super.matmul(a, b, out);
        }
    }
}
