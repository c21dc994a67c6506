package minitron.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

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
}
