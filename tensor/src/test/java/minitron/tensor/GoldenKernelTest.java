package minitron.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kernel against PyTorch. The golden file {@value #RESOURCE} is written by {@code reference/golden_kernels.py}
 * (torch 1.13): each case holds float32-exact inputs and torch's outputs computed in float32 ({@code name_f32}) and
 * in float64 ({@code name_f64}). Each test runs one case on every backend, in F32 and in F64, with contiguous inputs
 * and with strided views (padding filled with NaN, so a kernel that reads outside its view fails loudly). The
 * conversion cases compare raw F32 -> BF16 / F16 bits, which must match torch exactly.
 *
 * <p>Only the public {@link Ops} / {@link Tensor} API is used: this is what a user of the library gets.
 */
class GoldenKernelTest {
    static final String RESOURCE = "/golden/kernels-v1.json";
    static final int VERSION = 1;
    static final String REGENERATE = "/usr/bin/python3 reference/golden_kernels.py";

    // F64 kernels against torch float64: the same formulas rounded differently. Sums here have at most 37 terms of
    // magnitude <= 60 (log-softmax of 30 * uniform), so the two differ by well under 1e-13; 1e-12 leaves room and
    // still catches any formula mistake (those show up at 1e-3 and above with these inputs).
    static final double F64_ATOL = 1e-12;
    static final double F64_RTOL = 1e-12;

    // F32 kernels against torch float32. Both round to float32 (2^-24 = 6e-8 relative per operation); torch
    // accumulates in float32 over up to K = 37 terms, an error of up to ~K * 6e-8 = 2e-6 of the sum of |terms|, and
    // exp/log of arguments up to 60 in magnitude inherit the rounding of the argument (ulp(60) / 2 = 1.9e-6). Our
    // kernels may accumulate in float32 too. 1e-5 abs + 1e-5 rel is about 5x the worst of these, and two orders of
    // magnitude below what a real mistake (a missing term, a mask off by one) produces with these inputs.
    static final double F32_ATOL = 1e-5;
    static final double F32_RTOL = 1e-5;

    // RoPE tables in F32: HF computes inv_freq with a float32 pow that is 1 ulp off the correctly rounded value for
    // one frequency at theta = 500000 (golden_kernels.py prints it), and Ops.ropeTables starts from the correctly
    // rounded one. The angle then differs by position * ulp(inv_freq) <= 4095 * 1.2e-10 = 4.8e-7 rad; with the
    // float32 rounding of angle and cos/sin on top, 2e-6 absolute covers it.
    static final double ROPE_TABLE_F32_ATOL = 2e-6;

    // The inverse frequencies in double: 1/theta^(2i/D) by Math.pow against torch's float64 pow, a few ulps.
    static final double INV_FREQ_F64_RTOL = 1e-15;

    /** Written into the padding around strided int views; never a valid id. */
    static final int PADDING_ID = 1 << 30;

    static JsonNode cases;

    enum Layout { CONTIGUOUS, STRIDED }

    enum Precision {
        F32(DType.F32, "_f32", F32_ATOL, F32_RTOL),
        F64(DType.F64, "_f64", F64_ATOL, F64_RTOL);

        final DType dtype;
        final String suffix;
        final double atol;
        final double rtol;

        Precision(DType dtype, String suffix, double atol, double rtol) {
            this.dtype = dtype;
            this.suffix = suffix;
            this.atol = atol;
            this.rtol = rtol;
        }
    }

    /** One run of a case: which backend, how the inputs are laid out, which compute dtype. */
    record Setup(Backend backend, Layout layout, Precision precision) {
        Ops ops() {
            return Ops.of(backend);
        }

        @Override
        public String toString() {
            return backend.name() + " " + layout.name().toLowerCase() + (precision == null ? "" : " " + precision);
        }
    }

    static Stream<Setup> setups() {
        List<Setup> list = new ArrayList<>();
        for (Backend backend : TestTensors.backends()) {
            for (Layout layout : Layout.values()) {
                for (Precision precision : Precision.values()) list.add(new Setup(backend, layout, precision));
            }
        }
        return list.stream();
    }

    static Stream<Setup> conversionSetups() {
        List<Setup> list = new ArrayList<>();
        for (Backend backend : TestTensors.backends()) {
            for (Layout layout : Layout.values()) list.add(new Setup(backend, layout, null));
        }
        return list.stream();
    }

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = GoldenKernelTest.class.getResourceAsStream(RESOURCE)) {
            if (in == null) fail("golden file " + RESOURCE + " is missing from the test resources; write it with " + REGENERATE);
            JsonNode root = new ObjectMapper().readTree(in);
            if (!"minitron-golden".equals(root.path("format").asText())) {
                fail(RESOURCE + ": format " + root.path("format") + ", expected \"minitron-golden\"");
            }
            if (root.path("version").asInt(-1) != VERSION) {
                fail(RESOURCE + " has version " + root.path("version") + " but this test reads version " + VERSION
                        + ": regenerate it with " + REGENERATE + " (and bump the file name with the format)");
            }
            cases = root.path("cases");
        }
    }

    // ------------------------------------------------------------------ reading the golden file

    static JsonNode goldenCase(String name) {
        JsonNode c = cases.path(name);
        if (c.isMissingNode()) fail(RESOURCE + " has no case \"" + name + "\"; regenerate it with " + REGENERATE);
        return c;
    }

    static JsonNode tensorNode(JsonNode c, String section, String name) {
        JsonNode t = c.path(section).path(name);
        if (t.isMissingNode()) fail(RESOURCE + ": no " + section + " tensor \"" + name + "\"");
        return t;
    }

    static int[] shapeOf(JsonNode t) {
        JsonNode shape = t.path("shape");
        int[] dims = new int[shape.size()];
        for (int i = 0; i < dims.length; i++) dims[i] = shape.get(i).asInt();
        return dims;
    }

    /** The values of a TENSOR node; the strings "nan", "inf", "-inf" stand for the non-finite ones. */
    static double[] valuesOf(JsonNode t) {
        JsonNode data = t.path("data");
        double[] out = new double[data.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = data.get(i);
            out[i] = v.isTextual() ? switch (v.asText()) {
                case "nan" -> Double.NaN;
                case "inf" -> Double.POSITIVE_INFINITY;
                case "-inf" -> Double.NEGATIVE_INFINITY;
                default -> throw new AssertionError(RESOURCE + ": unexpected value \"" + v.asText() + "\"");
            } : v.asDouble();
        }
        return out;
    }

    static int[] intsOf(JsonNode t) {
        JsonNode data = t.path("data");
        int[] out = new int[data.size()];
        for (int i = 0; i < out.length; i++) out[i] = data.get(i).asInt();
        return out;
    }

    static short[] shortsOf(JsonNode t) {
        int[] ints = intsOf(t);
        short[] out = new short[ints.length];
        for (int i = 0; i < ints.length; i++) out[i] = (short) ints[i];
        return out;
    }

    /** A float input in the setup's precision and layout (the golden values are exact in F32 and F64). */
    static Tensor input(JsonNode c, String name, Setup setup) {
        JsonNode t = tensorNode(c, "inputs", name);
        Tensor dense = Tensor.zeros(setup.precision().dtype, shapeOf(t));
        double[] values = valuesOf(t);
        for (int i = 0; i < values.length; i++) dense.writeDouble(i, values[i]);
        return laidOut(dense, setup.layout());
    }

    /** An integer input (ids, targets, positions) as I32 in the setup's layout. */
    static Tensor intInput(JsonNode c, String name, Layout layout) {
        JsonNode t = tensorNode(c, "inputs", name);
        return laidOut(Tensor.of(intsOf(t), shapeOf(t)), layout);
    }

    /** torch's result "name_f32" or "name_f64", held in F64 for the comparison. */
    static Tensor expected(JsonNode c, String name, Precision precision) {
        JsonNode t = tensorNode(c, "outputs", name + precision.suffix);
        return Tensor.of(valuesOf(t), shapeOf(t));
    }

    /**
     * The same values as {@code dense}, as a non-contiguous view when asked: a tensor two larger on every axis is
     * filled with NaN (PADDING_ID for ints) and the values are copied into its interior, so strides and offset are
     * both unusual and any read outside the view poisons the result.
     */
    static Tensor laidOut(Tensor dense, Layout layout) {
        if (layout == Layout.CONTIGUOUS) return dense;
        int[] dims = dense.shape().dims();
        int[] big = dims.clone();
        for (int i = 0; i < big.length; i++) big[i] += 2;
        Tensor padded = Tensor.zeros(dense.dtype(), big);
        double padding = dense.dtype().isFloatingPoint() ? Double.NaN : PADDING_ID;
        for (long i = 0; i < padded.numel(); i++) padded.writeDouble(i, padding);
        Tensor view = padded;
        for (int axis = 0; axis < dims.length; axis++) view = view.slice(axis, 1, 1 + dims[axis]);
        Ops.of(Backends.scalar()).copyInto(dense, view);
        return view;
    }

    static void check(Setup setup, String caseName, String output, Tensor actual, JsonNode c) {
        Precision p = setup.precision();
        TensorAssert.assertClose(expected(c, output, p), actual, p.atol, p.rtol,
                caseName + "." + output + " [" + setup + "] vs torch " + p.dtype.torchName());
    }

    // ------------------------------------------------------------------ numeric kernels

    @ParameterizedTest(name = "{0}")
    @MethodSource("setups")
    void matmul(Setup setup) {
        // "matmul": a (13, 17) @ b (17, 9); "matmul_batched": a (2, 5, 37) @ b (37, 19), b broadcast over the batch.
        for (String name : List.of("matmul", "matmul_batched")) {
            JsonNode c = goldenCase(name);
            Tensor a = input(c, "a", setup);                              // (..., M, K)
            Tensor b = input(c, "b", setup);                              // (K, N)
            check(setup, name, "out", setup.ops().matmul(a, b), c);
            // The linear path: b as the transposed view of a weight in HF (out, in) layout.
            Tensor weight = laidOut(setup.ops().contiguous(b.transpose(0, 1)), setup.layout()); // (N, K)
            check(setup, name, "out", setup.ops().linear(a, weight), c);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("setups")
    void matmulWithHalfWeights(Setup setup) {
        if (setup.precision() != Precision.F32) return; // 16-bit weights pair with an F32 activation only
        JsonNode c = goldenCase("matmul");
        Tensor a = input(c, "a", setup);
        for (DType half : new DType[]{DType.BF16, DType.F16}) {
            String tag = half == DType.BF16 ? "bf16" : "f16";
            JsonNode bits = tensorNode(c, "inputs", "b_" + tag + "_bits");
            Tensor b = laidOut(Tensor.wrap(MemorySegment.ofArray(shortsOf(bits)), half, Shape.of(shapeOf(bits))),
                    setup.layout());                                      // (K, N)
            check(setup, "matmul", "out_" + tag + "_weight", setup.ops().matmul(a, b), c);
            Tensor weight = laidOut(b.transpose(0, 1).to(half), setup.layout());   // (N, K), HF layout
            check(setup, "matmul", "out_" + tag + "_weight", setup.ops().linear(a, weight), c);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("setups")
    void softmaxAndLogSoftmax(Setup setup) {
        JsonNode c = goldenCase("softmax");
        Ops ops = setup.ops();
        Tensor x = input(c, "x", setup);                                  // (5, 37), |x| up to 30
        Tensor dy = input(c, "dy", setup);
        Tensor y = ops.softmax(x);
        Tensor logY = ops.logSoftmax(x);
        check(setup, "softmax", "softmax", y, c);
        check(setup, "softmax", "log_softmax", logY, c);
        check(setup, "softmax", "softmax_dx", ops.softmaxBackward(y, dy), c);
        check(setup, "softmax", "log_softmax_dx", ops.logSoftmaxBackward(logY, dy), c);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("setups")
    void rmsNorm(Setup setup) {
        JsonNode c = goldenCase("rms_norm");
        double eps = c.path("config").path("eps").asDouble();
        Tensor x = input(c, "x", setup);                                  // (4, 33)
        Tensor weight = input(c, "weight", setup);                        // (33)
        Tensor dy = input(c, "dy", setup);
        check(setup, "rms_norm", "out", setup.ops().rmsNorm(x, weight, eps), c);
        Ops.RmsNormGrads grads = setup.ops().rmsNormBackward(x, weight, eps, dy);
        check(setup, "rms_norm", "dx", grads.dx(), c);
        check(setup, "rms_norm", "dweight", grads.dweight(), c);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("setups")
    void ropeWithTorchTables(Setup setup) {
        JsonNode c = goldenCase("rope");
        Precision p = setup.precision();
        Tensor x = input(c, "x", setup);                                  // (1, 2, 5, 8)
        // torch's own cos/sin tables, so this checks the kernel alone; the tables are checked in ropeTables.
        Tensor cos = laidOut(expected(c, "cos", p).to(p.dtype), setup.layout());    // (T, D)
        Tensor sin = laidOut(expected(c, "sin", p).to(p.dtype), setup.layout());
        check(setup, "rope", "out", setup.ops().rope(x, new Ops.RopeTables(cos, sin)), c);
    }

    @Test
    void ropeTables() {
        JsonNode c = goldenCase("rope");
        double theta = c.path("config").path("rope_theta").asDouble();
        int headDim = c.path("config").path("head_dim").asInt();
        int[] positions = intsOf(tensorNode(c, "inputs", "positions"));  // [3, 7, 8, 100, 4095]
        double[] invFreq = Ops.ropeInverseFrequencies(headDim, theta);
        TensorAssert.assertClose(expected(c, "inv_freq", Precision.F64), Tensor.of(invFreq, invFreq.length),
                0, INV_FREQ_F64_RTOL, "rope.inv_freq vs torch float64");

        Ops.RopeTables f64 = Ops.ropeTables(positions, invFreq, DType.F64);
        TensorAssert.assertClose(expected(c, "cos", Precision.F64), f64.cos(), F64_ATOL, F64_RTOL, "rope.cos F64");
        TensorAssert.assertClose(expected(c, "sin", Precision.F64), f64.sin(), F64_ATOL, F64_RTOL, "rope.sin F64");
        Ops.RopeTables f32 = Ops.ropeTables(positions, invFreq, DType.F32);
        TensorAssert.assertClose(expected(c, "cos", Precision.F32), f32.cos(), ROPE_TABLE_F32_ATOL, 0, "rope.cos F32");
        TensorAssert.assertClose(expected(c, "sin", Precision.F32), f32.sin(), ROPE_TABLE_F32_ATOL, 0, "rope.sin F32");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("setups")
    void siluAndSwiglu(Setup setup) {
        JsonNode c = goldenCase("silu_swiglu");
        Ops ops = setup.ops();
        Tensor gate = input(c, "gate", setup);                            // (7, 19), |gate| up to 4
        Tensor up = input(c, "up", setup);
        Tensor dy = input(c, "dy", setup);
        check(setup, "silu_swiglu", "silu", ops.unary(UnaryOp.SILU, gate), c);
        check(setup, "silu_swiglu", "swiglu", ops.swiglu(gate, up), c);
        Ops.SwigluGrads grads = ops.swigluBackward(gate, up, dy);
        check(setup, "silu_swiglu", "dgate", grads.dgate(), c);
        check(setup, "silu_swiglu", "dup", grads.dup(), c);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("setups")
    void causalAttention(Setup setup) {
        // "attention_gqa_decode": q (1, 4, 5, 8), k and v (1, 2, 7, 8): query t is position t + 2.
        // "attention_mqa_prefill": q (1, 4, 11, 24), k and v (1, 1, 11, 24): one KV head, T == S.
        for (String name : List.of("attention_gqa_decode", "attention_mqa_prefill")) {
            JsonNode c = goldenCase(name);
            double scale = c.path("config").path("scale").asDouble();
            Ops ops = setup.ops();
            Tensor q = input(c, "q", setup);                              // (B, H, T, D)
            Tensor k = input(c, "k", setup);                              // (B, G, S, D)
            Tensor v = input(c, "v", setup);                              // (B, G, S, D)
            Tensor dout = input(c, "dout", setup);                        // (B, H, T, D)
            Ops.AttentionResult result = ops.attention(q, k, v, scale, true);
            check(setup, name, "out", result.out(), c);
            check(setup, name, "lse", result.lse(), c);
            Ops.AttentionGrads grads = ops.attentionBackward(q, k, v, result, dout, scale, true);
            check(setup, name, "dq", grads.dq(), c);
            check(setup, name, "dk", grads.dk(), c);
            check(setup, name, "dv", grads.dv(), c);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("setups")
    void crossEntropyWithIgnoredRow(Setup setup) {
        JsonNode c = goldenCase("cross_entropy");
        int ignore = c.path("config").path("ignore_index").asInt();
        Ops ops = setup.ops();
        Tensor logits = input(c, "logits", setup);                        // (6, 29)
        Tensor targets = intInput(c, "targets", setup.layout());          // (6), row 2 ignored
        Tensor dloss = input(c, "dloss", setup);
        Ops.CrossEntropyResult result = ops.crossEntropy(logits, targets, ignore);
        check(setup, "cross_entropy", "loss", result.loss(), c);
        check(setup, "cross_entropy", "lse", result.lse(), c);
        // The mean over the rows that count, as F.cross_entropy's default reduction.
        double sum = 0;
        int counted = 0;
        for (int r = 0; r < targets.dim(0); r++) {
            if ((int) targets.get(r) == ignore) continue;
            sum += result.loss().get(r);
            counted++;
        }
        Tensor mean = Tensor.of(new double[]{sum / counted});
        check(setup, "cross_entropy", "mean_loss", mean, c);
        check(setup, "cross_entropy", "dlogits", ops.crossEntropyBackward(logits, targets, ignore, result, dloss), c);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("setups")
    void klDivergence(Setup setup) {
        JsonNode c = goldenCase("kl_divergence");
        double temperature = c.path("config").path("temperature").asDouble();
        Ops ops = setup.ops();
        Tensor student = input(c, "student", setup);                      // (6, 29)
        Tensor teacher = input(c, "teacher", setup);
        Tensor dloss = input(c, "dloss", setup);
        check(setup, "kl_divergence", "loss", ops.klDivergence(student, teacher, temperature), c);
        check(setup, "kl_divergence", "dstudent", ops.klDivergenceBackward(student, teacher, temperature, dloss), c);
    }

    // ------------------------------------------------------------------ conversions (bit-exact)

    @ParameterizedTest(name = "{0}")
    @MethodSource("conversionSetups")
    void f32ToBf16MatchesTorchBits(Setup setup) {
        checkNarrowing(setup, "to_bf16", DType.BF16, "bf16_bits");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("conversionSetups")
    void f32ToF16MatchesTorchBits(Setup setup) {
        checkNarrowing(setup, "to_f16", DType.F16, "f16_bits");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("conversionSetups")
    void bf16ToF32MatchesTorchBits(Setup setup) {
        checkWidening(setup, "to_bf16", DType.BF16, "bf16");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("conversionSetups")
    void f16ToF32MatchesTorchBits(Setup setup) {
        checkWidening(setup, "to_f16", DType.F16, "f16");
    }

    /**
     * F32 values given as raw bits, converted by the backend's copy. Non-NaN inputs must give torch's bits exactly
     * (round to nearest even, overflow to inf, subnormals). A NaN must stay a NaN, but its bits are not compared:
     * torch's own result depends on the code path (its AVX conversion writes 0xFFFF, its scalar one 0x7FC0), so
     * no single answer is "torch's".
     */
    static void checkNarrowing(Setup setup, String caseName, DType half, String output) {
        JsonNode c = goldenCase(caseName);
        int[] bits = intsOf(tensorNode(c, "inputs", "bits"));
        short[] expected = shortsOf(tensorNode(c, "outputs", output));
        Tensor src = floatsFromBits(bits, setup.layout());                // (64) F32
        Tensor dst = halfTensor(new short[bits.length], half, setup.layout());
        setup.ops().copyInto(src, dst);
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < bits.length; i++) {
            short got = dst.data().getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, dst.offsetOf(i));
            boolean inputIsNaN = Float.isNaN(Float.intBitsToFloat(bits[i]));
            boolean ok = inputIsNaN ? isHalfNaN(got, half) : got == expected[i];
            if (!ok) {
                wrong.add(String.format("0x%08X (%s) -> 0x%04X, torch 0x%04X", bits[i],
                        Float.intBitsToFloat(bits[i]), got & 0xFFFF, expected[i] & 0xFFFF));
            }
        }
        if (!wrong.isEmpty()) {
            fail(caseName + " [" + setup + "]: " + wrong.size() + " of " + bits.length + " conversions differ from "
                    + "torch:\n  " + String.join("\n  ", wrong));
        }
    }

    /** torch's 16-bit results widened back to F32 by the backend's copy: exact bits (NaN-ness for NaN). */
    static void checkWidening(Setup setup, String caseName, DType half, String tag) {
        JsonNode c = goldenCase(caseName);
        short[] halfBits = shortsOf(tensorNode(c, "outputs", tag + "_bits"));
        int[] expected = intsOf(tensorNode(c, "outputs", tag + "_widened_bits"));
        Tensor src = halfTensor(halfBits, half, setup.layout());
        Tensor dst = Tensor.zeros(DType.F32, halfBits.length);
        setup.ops().copyInto(src, dst);
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < halfBits.length; i++) {
            int got = dst.data().getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, dst.offsetOf(i));
            boolean ok = isHalfNaN(halfBits[i], half) ? Float.isNaN(Float.intBitsToFloat(got)) : got == expected[i];
            if (!ok) {
                wrong.add(String.format("0x%04X -> 0x%08X, torch 0x%08X", halfBits[i] & 0xFFFF, got, expected[i]));
            }
        }
        if (!wrong.isEmpty()) {
            fail(caseName + " widening [" + setup + "]: " + wrong.size() + " values differ from torch:\n  "
                    + String.join("\n  ", wrong));
        }
    }

    static boolean isHalfNaN(short bits, DType half) {
        int b = bits & 0xFFFF;
        return half == DType.BF16 ? (b & 0x7F80) == 0x7F80 && (b & 0x007F) != 0
                : (b & 0x7C00) == 0x7C00 && (b & 0x03FF) != 0;
    }

    /**
     * An F32 tensor holding exactly these bits (NaN payloads included, which a float round trip could change).
     * Strided: the values sit at every other element of a (n, 2) buffer whose other column holds NaN.
     */
    static Tensor floatsFromBits(int[] bits, Layout layout) {
        if (layout == Layout.CONTIGUOUS) {
            return Tensor.wrap(MemorySegment.ofArray(bits.clone()), DType.F32, Shape.of(bits.length));
        }
        int[] buffer = new int[2 * bits.length];
        for (int i = 0; i < bits.length; i++) {
            buffer[2 * i] = Float.floatToRawIntBits(Float.NaN);
            buffer[2 * i + 1] = bits[i];
        }
        return Tensor.wrap(MemorySegment.ofArray(buffer), DType.F32, Shape.of(bits.length, 2)).select(1, 1);
    }

    /** A BF16 / F16 tensor holding exactly these bits; strided as in {@link #floatsFromBits}. */
    static Tensor halfTensor(short[] bits, DType half, Layout layout) {
        if (layout == Layout.CONTIGUOUS) {
            return Tensor.wrap(MemorySegment.ofArray(bits.clone()), half, Shape.of(bits.length));
        }
        short[] buffer = new short[2 * bits.length];
        short nan = (short) (half == DType.BF16 ? 0x7FC0 : 0x7E00);
        for (int i = 0; i < bits.length; i++) {
            buffer[2 * i] = nan;
            buffer[2 * i + 1] = bits[i];
        }
        return Tensor.wrap(MemorySegment.ofArray(buffer), half, Shape.of(bits.length, 2)).select(1, 1);
    }

    @Test
    void goldenFileHasEveryCase() {
        for (String name : List.of("matmul", "matmul_batched", "softmax", "rms_norm", "rope", "silu_swiglu",
                "attention_gqa_decode", "attention_mqa_prefill", "cross_entropy", "kl_divergence", "to_bf16",
                "to_f16")) {
            assertNotNull(goldenCase(name));
        }
        assertEquals(64, tensorNode(goldenCase("to_bf16"), "inputs", "bits").path("data").size());
        assertEquals(64, tensorNode(goldenCase("to_f16"), "inputs", "bits").path("data").size());
    }
}
