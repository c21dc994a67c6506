package minitron.tensor;

import java.util.Arrays;

/** An immutable list of dimension sizes. Axes may be given negative, counting from the end as in NumPy. */
public final class Shape {
    private final int[] dims;

    private Shape(int[] dims) {
        this.dims = dims;
    }

    public static Shape of(int... dims) {
        for (int d : dims) {
            if (d < 0) {
                throw new TensorException("shape: expected non-negative sizes, got " + Arrays.toString(dims));
            }
        }
        return new Shape(dims.clone());
    }

    public static Shape scalar() {
        return new Shape(new int[0]);
    }

    public int rank() {
        return dims.length;
    }

    /** Size of {@code axis}; negative axes count from the end. */
    public int dim(int axis) {
        return dims[axis(axis)];
    }

    public int[] dims() {
        return dims.clone();
    }

    public long numel() {
        long n = 1;
        for (int d : dims) n *= d;
        return n;
    }

    /** Normalizes a possibly negative axis to [0, rank), or throws naming the axis and the shape. */
    public int axis(int axis) {
        return axis("axis", axis);
    }

    /** As {@link #axis(int)}, the error naming {@code op}, the operation the caller was asked for. */
    public int axis(String op, int axis) {
        int a = axis < 0 ? axis + dims.length : axis;
        if (a < 0 || a >= dims.length) {
            throw TensorException.of(op, "an axis in [" + (-dims.length) + ", " + dims.length + ")",
                    axis + " for shape " + this);
        }
        return a;
    }

    /** Row-major strides in elements. */
    public long[] contiguousStrides() {
        long[] strides = new long[dims.length];
        long s = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            strides[i] = s;
            s *= dims[i];
        }
        return strides;
    }

    /** This shape with {@code axis} removed. */
    public Shape without(int axis) {
        int a = axis(axis);
        int[] out = new int[dims.length - 1];
        for (int i = 0, j = 0; i < dims.length; i++) if (i != a) out[j++] = dims[i];
        return new Shape(out);
    }

    /** This shape with {@code axis} set to {@code size}. */
    public Shape with(int axis, int size) {
        int[] out = dims.clone();
        out[axis(axis)] = size;
        return Shape.of(out);
    }

    /** The leading dims, all but the last {@code n}. */
    public Shape dropLast(int n) {
        return new Shape(Arrays.copyOf(dims, dims.length - n));
    }

    /**
     * The NumPy broadcast of two shapes: align from the right; each pair of sizes must be equal or one of them 1.
     */
    public static Shape broadcast(String op, Shape a, Shape b) {
        int rank = Math.max(a.rank(), b.rank());
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.rank() ? 1 : a.dims[i - (rank - a.rank())];
            int db = i < rank - b.rank() ? 1 : b.dims[i - (rank - b.rank())];
            if (da != db && da != 1 && db != 1) {
                throw TensorException.of(op, "shapes that broadcast (NumPy rules: equal sizes or 1, aligned from the right)",
                        a + " and " + b + " (axis " + (i - rank) + ": " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return new Shape(out);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    /** "(2, 3, 4)"; a scalar is "()". */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < dims.length; i++) {
            if (i > 0) sb.append(", ");
            sb.append(dims[i]);
        }
        return sb.append(')').toString();
    }
}
