package minitron.transformer.io;

import minitron.tensor.DType;
import minitron.tensor.Shape;
import minitron.tensor.Tensor;
import minitron.transformer.config.LlamaConfig;

import java.lang.foreign.ValueLayout;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;

/**
 * The values and layouts of the fixtures written by reference/safetensors_fixtures.py, recomputed here: element i of
 * the k-th tensor of a fixture is ((7i + 13k) mod 61 - 30) / 8, exact in F32, BF16 and F16.
 */
final class FixtureValues {
    private FixtureValues() {
    }

    static double value(int k, long i) {
        return ((7 * i + 13L * k) % 61 - 30) / 8.0;
    }

    static Tensor tensor(int k, DType dtype, int... dims) {
        Tensor t = Tensor.zeros(dtype, Shape.of(dims));
        for (long i = 0; i < t.numel(); i++) t.writeDouble(i, value(k, i));
        return t;
    }

    /** MIXED in the script: name, dtype, shape in the script's order (k = position). */
    static SequencedMap<String, Tensor> mixed() {
        SequencedMap<String, Tensor> m = new LinkedHashMap<>();
        m.put("b.f32", tensor(0, DType.F32, 3, 5));
        m.put("a.bf16", tensor(1, DType.BF16, 7));
        m.put("c.f16", tensor(2, DType.F16, 2, 3, 2));
        m.put("z.scalar", tensor(3, DType.F32));
        m.put("e.empty", tensor(4, DType.BF16, 0, 4));
        m.put("d.bf16", tensor(5, DType.BF16, 5, 3));
        return m;
    }

    /** The tiny Llama of the script, BF16, in model order (the script's order). */
    static SequencedMap<String, Tensor> tinyLlama(LlamaConfig config) {
        SequencedMap<String, Tensor> m = new LinkedHashMap<>();
        int k = 0;
        for (Map.Entry<String, Shape> e : config.expectedTensors().entrySet()) {
            m.put(e.getKey(), tensor(k++, DType.BF16, e.getValue().dims()));
        }
        return m;
    }

    static Path resource(String name) {
        try {
            return Path.of(FixtureValues.class.getResource("/safetensors/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test resource safetensors/" + name, e);
        }
    }

    /** The raw bits of every element in row-major order (compares NaN payloads and -0.0 exactly). */
    static long[] bits(Tensor t) {
        long[] out = new long[Math.toIntExact(t.numel())];
        for (int i = 0; i < out.length; i++) {
            long off = t.offsetOf(i);
            out[i] = switch (t.dtype()) {
                case F32, I32 -> t.data().getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, off);
                case BF16, F16 -> t.data().getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, off);
                case F64 -> t.data().getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, off);
            };
        }
        return out;
    }
}
