package minitron.autograd;

import java.util.SplittableRandom;
import minitron.tensor.DType;
import minitron.tensor.Ops;
import minitron.tensor.Shape;
import minitron.tensor.Tensor;
import minitron.tensor.TestTensors;

/** Seeded inputs for autograd tests, in any dtype, contiguous or not. */
final class Fixtures {
    private Fixtures() {
    }

    /** Uniform in [-1, 1), contiguous. */
    static Tensor uniform(long seed, DType dtype, int... dims) {
        return TestTensors.uniform(seed, dtype, dims);
    }

    static Tensor f64(long seed, int... dims) {
        return uniform(seed, DType.F64, dims);
    }

    /** Uniform in [lo, hi), F64 (inputs of log, sqrt, division). */
    static Tensor f64Range(long seed, double lo, double hi, int... dims) {
        SplittableRandom random = new SplittableRandom(seed);
        Tensor t = Tensor.zeros(DType.F64, dims);
        for (long i = 0; i < t.numel(); i++) t.writeDouble(i, random.nextDouble(lo, hi));
        return t;
    }

    /** A non-contiguous F64 view: a larger tensor sliced by one on every axis (unusual strides and offset). */
    static Tensor f64Strided(long seed, int... dims) {
        int[] big = dims.clone();
        for (int i = 0; i < big.length; i++) big[i] += 2;
        Tensor t = f64(seed, big);
        for (int i = 0; i < dims.length; i++) t = t.slice(i, 1, 1 + dims[i]);
        return t;
    }

    /** A non-contiguous F64 view of the given shape made by transposing the last two axes of a contiguous tensor. */
    static Tensor f64Transposed(long seed, int... dims) {
        int[] swapped = dims.clone();
        int r = dims.length;
        swapped[r - 1] = dims[r - 2];
        swapped[r - 2] = dims[r - 1];
        return f64(seed, swapped).transpose(-1, -2);
    }

    /** The same values converted to dtype, keeping nothing of the original layout (contiguous). */
    static Tensor as(Tensor t, DType dtype) {
        return t.to(dtype);
    }

    /**
     * sum(y * r) for a fixed random r of y's shape: a scalar that depends on every element of y with a different
     * weight, so a gradient check of it checks the whole Jacobian-vector product.
     */
    static Var project(Var y) {
        Shape shape = y.shape();
        long seed = 7919L * shape.hashCode() + 17;
        Tensor r = TestTensors.uniform(seed, y.dtype() == DType.F64 ? DType.F64 : DType.F32, shape.dims());
        return Reductions.sumAll(Elementwise.mul(y, Var.constant(r)));
    }

    /** Rope tables for positions 0..t-1 in the given dtype. */
    static Ops.RopeTables rope(int t, int d, double theta, DType dtype) {
        int[] positions = new int[t];
        for (int i = 0; i < t; i++) positions[i] = i;
        return Ops.ropeTables(positions, Ops.ropeInverseFrequencies(d, theta), dtype);
    }

    /** The rope tables in x's dtype (so an F32 run stays F32: mixed inputs compute in F64). */
    static Ops.RopeTables tablesLike(Ops.RopeTables tables, Var x) {
        if (x.dtype() == tables.cos().dtype()) return tables;
        return new Ops.RopeTables(tables.cos().to(x.dtype()), tables.sin().to(x.dtype()));
    }

    /** t converted to like's dtype when they differ. */
    static Tensor dtypeLike(Tensor t, Var like) {
        return t.dtype() == like.dtype() ? t : t.to(like.dtype());
    }

    /**
     * The values of t in dtype, keeping it non-contiguous when t is: a contiguous t is converted, a strided one is
     * copied into the interior of a larger tensor (so the copy is a sliced view with unusual strides and offset).
     */
    static Tensor sameLayout(Tensor t, DType dtype) {
        if (t.isContiguous()) return t.to(dtype);
        int[] big = t.shape().dims();
        for (int i = 0; i < big.length; i++) big[i] += 2;
        Tensor view = Tensor.zeros(dtype, big);
        for (int i = 0; i < big.length; i++) view = view.slice(i, 1, 1 + t.dim(i));
        minitron.tensor.Backends.scalar().copy(t, view);
        return view;
    }
}
