package minitron.autograd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import minitron.tensor.DType;
import minitron.tensor.Shape;
import minitron.tensor.Tensor;

/**
 * Reader of the golden files written by reference/golden_autograd.py (format: /work/briefs/golden-spec.md):
 * per case a config, inputs, outputs and grads, each tensor {"shape", "dtype", "data"}.
 */
final class GoldenFile {
    static final int VERSION = 1;
    static final String RESOURCE = "/golden/autograd-v1.json";
    static final String REGENERATE = "/usr/bin/python3 reference/golden_autograd.py";

    /** A tensor as stored: float64 values or int64 ids, row-major. */
    record Stored(String name, Shape shape, boolean integer, double[] data) {
        /** As a tensor of the given floating dtype (F64 exact, F32 rounded); int64 becomes I32. */
        Tensor tensor(DType floatType) {
            Tensor t = Tensor.zeros(integer ? DType.I32 : floatType, shape);
            for (int i = 0; i < data.length; i++) t.writeDouble(i, data[i]);
            return t;
        }
    }

    record Case(String name, String description, JsonNode config, Map<String, Stored> inputs,
                Map<String, Stored> outputs, Map<String, Stored> grads) {
        double configDouble(String key) {
            JsonNode n = config.get(key);
            if (n == null) throw new AssertionError("golden case " + name + ": config has no '" + key + "'");
            return n.asDouble();
        }

        int configInt(String key) {
            return (int) configDouble(key);
        }
    }

    /** The parsed cases, or null when the resource is absent. */
    static Map<String, Case> load() throws IOException {
        try (InputStream in = GoldenFile.class.getResourceAsStream(RESOURCE)) {
            return in == null ? null : parse(in);
        }
    }

    /** Parses a golden file; a wrong format or version fails with the command that regenerates it. */
    static Map<String, Case> parse(InputStream in) throws IOException {
        JsonNode root = new ObjectMapper().readTree(in);
        int version = root.path("version").asInt(-1);
        if (!"minitron-golden".equals(root.path("format").asText()) || version != VERSION) {
            throw new AssertionError("golden file " + RESOURCE + ": expected format minitron-golden version "
                    + VERSION + ", found " + root.path("format").asText() + " version " + version
                    + ". Regenerate it with: " + REGENERATE);
        }
        Map<String, Case> cases = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("cases").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode c = e.getValue();
            cases.put(e.getKey(), new Case(e.getKey(), c.path("description").asText(), c.path("config"),
                    tensors(e.getKey(), c.path("inputs")), tensors(e.getKey(), c.path("outputs")),
                    tensors(e.getKey(), c.path("grads"))));
        }
        return cases;
    }

    private static Map<String, Stored> tensors(String caseName, JsonNode node) {
        Map<String, Stored> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode t = e.getValue();
            JsonNode shapeNode = t.path("shape");
            int[] dims = new int[shapeNode.size()];
            for (int i = 0; i < dims.length; i++) dims[i] = shapeNode.get(i).asInt();
            String dtype = t.path("dtype").asText();
            if (!dtype.equals("float64") && !dtype.equals("int64")) {
                throw new AssertionError("golden case " + caseName + ", tensor " + e.getKey()
                        + ": expected dtype float64 or int64, found " + dtype);
            }
            JsonNode data = t.path("data");
            double[] values = new double[data.size()];
            for (int i = 0; i < values.length; i++) values[i] = data.get(i).asDouble();
            Shape shape = Shape.of(dims);
            if (shape.numel() != values.length) {
                throw new AssertionError("golden case " + caseName + ", tensor " + e.getKey() + ": shape " + shape
                        + " needs " + shape.numel() + " values, found " + values.length);
            }
            out.put(e.getKey(), new Stored(e.getKey(), shape, dtype.equals("int64"), values));
        }
        return out;
    }
}
