package minitron.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A strided view of typed memory: {@code element[i0, i1, ...] = data[offset + i0*strides[0] + i1*strides[1] + ...]}
 * with offset and strides counted in elements. The memory is a {@link MemorySegment}: on the Java heap (backed by a
 * float[], double[], short[] or int[] array) for tensors the program computes, or off-heap for memory-mapped weights.
 *
 * <p>Views (reshape of a contiguous tensor, permute, transpose, slice, expand) share memory and never copy;
 * {@link #contiguous()} copies when needed. Tensors are values with mutable contents: kernels write into
 * pre-allocated outputs, and {@link #set} exists for tests and small bookkeeping.
 */
public final class Tensor {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;

    private final MemorySegment data;
    private final DType dtype;
    private final Shape shape;
    private final long[] strides;
    private final long offset;

    private Tensor(MemorySegment data, DType dtype, Shape shape, long[] strides, long offset) {
        this.data = data;
        this.dtype = dtype;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
    }

    // ---------------------------------------------------------------- creation

    /** A new zero-filled contiguous tensor on the Java heap. */
    public static Tensor zeros(DType dtype, Shape shape) {
        long n = shape.numel();
        if (n > Integer.MAX_VALUE) {
            throw TensorException.of("zeros", "at most 2^31-1 elements for a heap tensor", shape + " (" + n + " elements)");
        }
        int size = (int) n;
        MemorySegment seg = switch (dtype) {
            case F32 -> MemorySegment.ofArray(new float[size]);
            case F64 -> MemorySegment.ofArray(new double[size]);
            case BF16, F16 -> MemorySegment.ofArray(new short[size]);
            case I32 -> MemorySegment.ofArray(new int[size]);
        };
        return new Tensor(seg, dtype, shape, shape.contiguousStrides(), 0);
    }

    public static Tensor zeros(DType dtype, int... dims) {
        return zeros(dtype, Shape.of(dims));
    }

    /** Wraps (does not copy) a float array as a contiguous F32 tensor. */
    public static Tensor of(float[] values, int... dims) {
        Shape shape = Shape.of(dims);
        requireLength("Tensor.of", values.length, shape);
        return new Tensor(MemorySegment.ofArray(values), DType.F32, shape, shape.contiguousStrides(), 0);
    }

    /** Wraps (does not copy) a double array as a contiguous F64 tensor. */
    public static Tensor of(double[] values, int... dims) {
        Shape shape = Shape.of(dims);
        requireLength("Tensor.of", values.length, shape);
        return new Tensor(MemorySegment.ofArray(values), DType.F64, shape, shape.contiguousStrides(), 0);
    }

    /** Wraps (does not copy) an int array as a contiguous I32 tensor. */
    public static Tensor of(int[] values, int... dims) {
        Shape shape = Shape.of(dims);
        requireLength("Tensor.of", values.length, shape);
        return new Tensor(MemorySegment.ofArray(values), DType.I32, shape, shape.contiguousStrides(), 0);
    }

    /** A 0-d F32 tensor. */
    public static Tensor scalar(float value) {
        return new Tensor(MemorySegment.ofArray(new float[]{value}), DType.F32, Shape.scalar(), new long[0], 0);
    }

    /**
     * Wraps memory this program does not own (a memory-mapped file, an off-heap allocation) as a contiguous
     * tensor of the given dtype, starting at byte 0 of the segment.
     */
    public static Tensor wrap(MemorySegment segment, DType dtype, Shape shape) {
        long needed = shape.numel() * dtype.byteSize();
        if (segment.byteSize() < needed) {
            throw TensorException.of("Tensor.wrap", needed + " bytes for " + dtype + " " + shape,
                    segment.byteSize() + " bytes");
        }
        return new Tensor(segment, dtype, shape, shape.contiguousStrides(), 0);
    }

    private static void requireLength(String op, int length, Shape shape) {
        if (length != shape.numel()) {
            throw TensorException.of(op, shape.numel() + " values for shape " + shape, length + " values");
        }
    }

    // ---------------------------------------------------------------- metadata

    public DType dtype() {
        return dtype;
    }

    public Shape shape() {
        return shape;
    }

    public int rank() {
        return shape.rank();
    }

    public int dim(int axis) {
        return shape.dim(axis);
    }

    public long numel() {
        return shape.numel();
    }

    /** Strides in elements (a copy). */
    public long[] strides() {
        return strides.clone();
    }

    public long stride(int axis) {
        return strides[shape.axis(axis)];
    }

    /** Offset of element [0, 0, ...] in elements from the start of {@link #data()}. */
    public long offset() {
        return offset;
    }

    /** The underlying memory, shared by every view of it. */
    public MemorySegment data() {
        return data;
    }

    /** True when the elements are laid out row-major without gaps (so index i is at offset + i). */
    public boolean isContiguous() {
        long expected = 1;
        for (int i = shape.rank() - 1; i >= 0; i--) {
            if (shape.dim(i) != 1 && strides[i] != expected) return false;
            expected *= shape.dim(i);
        }
        return true;
    }

    // ---------------------------------------------------------------- element access

    /** Element offset (from the start of data) of the i-th element in row-major order of this view. */
    public long offsetOf(long linearIndex) {
        long off = offset;
        long rest = linearIndex;
        for (int axis = shape.rank() - 1; axis >= 0; axis--) {
            int d = shape.dim(axis);
            if (d == 0) {
                throw TensorException.of("index", "a tensor with elements", "index " + linearIndex + " into " + shape);
            }
            off += (rest % d) * strides[axis];
            rest /= d;
        }
        return off;
    }

    /** Element offset of a multi-index, checked against the shape. */
    public long offsetOf(int... index) {
        if (index.length != shape.rank()) {
            throw TensorException.of("index", shape.rank() + " indices for shape " + shape, Arrays.toString(index));
        }
        long off = offset;
        for (int axis = 0; axis < index.length; axis++) {
            int i = index[axis];
            if (i < 0 || i >= shape.dim(axis)) {
                throw TensorException.of("index", "index in [0, " + shape.dim(axis) + ") on axis " + axis + " of " + shape,
                        Arrays.toString(index));
            }
            off += i * strides[axis];
        }
        return off;
    }

    /** Reads the element at an absolute element offset as a double, whatever the dtype. */
    public double readDouble(long elementOffset) {
        return switch (dtype) {
            case F32 -> data.getAtIndex(F32, elementOffset);
            case F64 -> data.getAtIndex(F64, elementOffset);
            case BF16 -> Half.bf16ToFloat(data.getAtIndex(I16, elementOffset));
            case F16 -> Half.f16ToFloat(data.getAtIndex(I16, elementOffset));
            case I32 -> data.getAtIndex(I32, elementOffset);
        };
    }

    /** Writes a double at an absolute element offset, narrowing to the dtype (BF16/F16: round to nearest even). */
    public void writeDouble(long elementOffset, double value) {
        switch (dtype) {
            case F32 -> data.setAtIndex(F32, elementOffset, (float) value);
            case F64 -> data.setAtIndex(F64, elementOffset, value);
            case BF16 -> data.setAtIndex(I16, elementOffset, Half.floatToBf16((float) value));
            case F16 -> data.setAtIndex(I16, elementOffset, Half.floatToF16((float) value));
            case I32 -> data.setAtIndex(I32, elementOffset, (int) value);
        }
    }

    public float readFloat(long elementOffset) {
        return dtype == DType.F32 ? data.getAtIndex(F32, elementOffset) : (float) readDouble(elementOffset);
    }

    public int readInt(long elementOffset) {
        if (dtype != DType.I32) {
            throw TensorException.of("readInt", "an I32 tensor", dtype.toString());
        }
        return data.getAtIndex(I32, elementOffset);
    }

    /** The element at a multi-index, as a double. */
    public double get(int... index) {
        return readDouble(offsetOf(index));
    }

    /** Sets the element at a multi-index. */
    public void set(double value, int... index) {
        writeDouble(offsetOf(index), value);
    }

    /** The single value of a one-element tensor. */
    public double item() {
        if (numel() != 1) {
            throw TensorException.of("item", "a tensor with one element", "shape " + shape);
        }
        return readDouble(offset);
    }

    public float[] toFloatArray() {
        float[] out = new float[Math.toIntExact(numel())];
        for (int i = 0; i < out.length; i++) out[i] = (float) readDouble(offsetOf(i));
        return out;
    }

    public double[] toDoubleArray() {
        double[] out = new double[Math.toIntExact(numel())];
        for (int i = 0; i < out.length; i++) out[i] = readDouble(offsetOf(i));
        return out;
    }

    public int[] toIntArray() {
        int[] out = new int[Math.toIntExact(numel())];
        for (int i = 0; i < out.length; i++) out[i] = (int) readDouble(offsetOf(i));
        return out;
    }

    /**
     * The backing array of a contiguous F32 heap tensor whose view starts at element 0 and covers the whole
     * array, or null. Fast kernels use it to avoid per-element segment access.
     */
    public float[] heapFloats() {
        if (dtype == DType.F32 && data.heapBase().isPresent() && data.heapBase().get() instanceof float[] a) {
            return a;
        }
        return null;
    }

    // ---------------------------------------------------------------- views (no copy)

    /**
     * Same elements, new shape. One size may be -1 (inferred). A non-contiguous tensor is made contiguous first
     * (a copy), as torch.reshape does.
     */
    public Tensor reshape(int... dims) {
        int[] resolved = dims.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < resolved.length; i++) {
            if (resolved[i] < -1) {
                throw TensorException.of("reshape", "sizes >= 0 (one may be -1)", Arrays.toString(dims));
            }
            if (resolved[i] == -1) {
                if (infer >= 0) throw TensorException.of("reshape", "at most one -1", Arrays.toString(dims));
                infer = i;
            } else {
                known *= resolved[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || numel() % known != 0) {
                throw TensorException.of("reshape", "a shape compatible with " + shape, Arrays.toString(dims));
            }
            resolved[infer] = (int) (numel() / known);
        }
        Shape target = Shape.of(resolved);
        if (target.numel() != numel()) {
            throw TensorException.of("reshape", "a shape with " + numel() + " elements (from " + shape + ")",
                    target + " (" + target.numel() + " elements)");
        }
        Tensor source = isContiguous() ? this : contiguous();
        return new Tensor(source.data, dtype, target, target.contiguousStrides(), source.offset);
    }

    /** Reorders axes: result axis i is this tensor's axis {@code order[i]}. */
    public Tensor permute(int... order) {
        if (order.length != rank()) {
            throw TensorException.of("permute", rank() + " axes for shape " + shape, Arrays.toString(order));
        }
        int[] dims = new int[rank()];
        long[] st = new long[rank()];
        boolean[] seen = new boolean[rank()];
        for (int i = 0; i < order.length; i++) {
            int a = shape.axis("permute", order[i]);
            if (seen[a]) throw TensorException.of("permute", "each axis once", Arrays.toString(order));
            seen[a] = true;
            dims[i] = shape.dim(a);
            st[i] = strides[a];
        }
        return new Tensor(data, dtype, Shape.of(dims), st, offset);
    }

    /** Swaps two axes. */
    public Tensor transpose(int axis0, int axis1) {
        int[] order = new int[rank()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        int a = shape.axis("transpose", axis0), b = shape.axis("transpose", axis1);
        order[a] = b;
        order[b] = a;
        return permute(order);
    }

    /** Elements [start, end) along {@code axis}. */
    public Tensor slice(int axis, int start, int end) {
        int a = shape.axis("slice", axis);
        int size = shape.dim(a);
        if (start < 0 || end > size || start > end) {
            throw TensorException.of("slice", "0 <= start <= end <= " + size + " on axis " + axis + " of " + shape,
                    "[" + start + ", " + end + ")");
        }
        return new Tensor(data, dtype, shape.with(a, end - start), strides, offset + start * strides[a]);
    }

    /** Index {@code index} of {@code axis}, removing that axis. */
    public Tensor select(int axis, int index) {
        int a = shape.axis("select", axis);
        if (index < 0 || index >= shape.dim(a)) {
            throw TensorException.of("select", "an index in [0, " + shape.dim(a) + ") on axis " + axis + " of " + shape,
                    String.valueOf(index));
        }
        Tensor s = slice(a, index, index + 1);
        long[] st = new long[rank() - 1];
        for (int i = 0, j = 0; i < rank(); i++) if (i != a) st[j++] = strides[i];
        return new Tensor(data, dtype, shape.without(a), st, s.offset);
    }

    /** Inserts an axis of size 1 at {@code axis} (0..rank). */
    public Tensor unsqueeze(int axis) {
        int a = axis < 0 ? axis + rank() + 1 : axis;
        if (a < 0 || a > rank()) {
            throw TensorException.of("unsqueeze", "an axis in [" + (-rank() - 1) + ", " + rank() + "]", String.valueOf(axis));
        }
        int[] dims = new int[rank() + 1];
        long[] st = new long[rank() + 1];
        for (int i = 0, j = 0; i < dims.length; i++) {
            if (i == a) {
                dims[i] = 1;
                st[i] = 0;
            } else {
                dims[i] = shape.dim(j);
                st[i] = strides[j];
                j++;
            }
        }
        return new Tensor(data, dtype, Shape.of(dims), st, offset);
    }

    /**
     * Broadcasts to a larger shape by NumPy rules without copying: new leading axes and size-1 axes get stride 0.
     */
    public Tensor expand(Shape target) {
        if (target.rank() < rank()) {
            throw TensorException.of("expand", "a target of rank >= " + rank(), target.toString());
        }
        long[] st = new long[target.rank()];
        int lead = target.rank() - rank();
        for (int i = 0; i < target.rank(); i++) {
            if (i < lead) {
                st[i] = 0;
                continue;
            }
            int d = shape.dim(i - lead);
            if (d == target.dim(i)) {
                st[i] = strides[i - lead];
            } else if (d == 1) {
                st[i] = 0;
            } else {
                throw TensorException.of("expand", "sizes equal to " + target + " or 1 (NumPy rules)", shape.toString());
            }
        }
        return new Tensor(data, dtype, target, st, offset);
    }

    public Tensor expand(int... dims) {
        return expand(Shape.of(dims));
    }

    /** A contiguous tensor with the same values: this one if already contiguous, else a copy. */
    public Tensor contiguous() {
        if (isContiguous()) return this;
        return copy();
    }

    /** A new contiguous copy. */
    public Tensor copy() {
        Tensor out = zeros(dtype, shape);
        Backends.cpu().copy(this, out);
        return out;
    }

    /**
     * A contiguous tensor of dtype {@code target}: this one when it already is (no copy, like torch's
     * {@code .to()}), else a converted copy (F32 to BF16/F16 rounds to nearest even). Use {@link #copy()} for a
     * tensor that never shares memory with this one.
     */
    public Tensor to(DType target) {
        if (target == dtype && isContiguous()) return this;
        Tensor out = zeros(target, shape);
        Backends.cpu().copy(this, out);
        return out;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Tensor(").append(dtype).append(' ').append(shape);
        if (numel() <= 16) {
            sb.append(' ').append(Arrays.toString(toDoubleArray()));
        }
        return sb.append(')').toString();
    }
}
