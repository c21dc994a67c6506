package minitron.transformer.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import minitron.tensor.DType;
import minitron.tensor.Shape;
import minitron.tensor.Tensor;

/**
 * Reader of transformer/src/test/resources/golden/llama-v1.json, written by reference/golden_llama.py (format:
 * reference/README.md): per case the model directory it was computed from, the inputs (ids, targets), the
 * outputs (inv_freq, logits, loss) and the gradient of the loss for every parameter by HF name.
 */
final class LlamaGolden {
    static final int VERSION = 1;
    static final String RESOURCE = "/golden/llama-v1.json";
    static final String REGENERATE = "/usr/bin/python3 reference/golden_llama.py";

    /** A stored tensor: values as doubles (ids as integers), row-major. */
    record Stored(Shape shape, boolean integer, double[] data) {
        Tensor tensor() {
            Tensor t = Tensor.zeros(integer ? DType.I32 : DType.F32, shape);
            for (int i = 0; i < data.length; i++) t.writeDouble(i, data[i]);
            return t;
        }
    }

    record Case(String name, Path modelDir, Map<String, Stored> inputs, Map<String, Stored> outputs,
                Map<String, Stored> grads) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Map<String, Case> cases;

    static synchronized Map<String, Case> cases() {
        if (cases == null) cases = load();
        return cases;
    }

    static Case get(String name) {
        Case c = cases().get(name);
        if (c == null) throw new AssertionError("no golden case " + name + " in " + RESOURCE + "; regenerate: " + REGENERATE);
        return c;
    }

    /** A test resource as a path (the model directories are read from disk, memory-mapped). */
    static Path resource(String name) {
        URL url = LlamaGolden.class.getResource("/" + name);
        if (url == null) throw new AssertionError("missing test resource " + name + "; regenerate: " + REGENERATE);
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    private static Map<String, Case> load() {
        try (InputStream in = LlamaGolden.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new AssertionError("missing " + RESOURCE + "; regenerate it with: " + REGENERATE);
            JsonNode root = new ObjectMapper().readTree(in);
            int version = root.path("version").asInt(-1);
            if (!"minitron-golden".equals(root.path("format").asText()) || version != VERSION) {
                throw new AssertionError("golden file " + RESOURCE + ": expected format minitron-golden version "
                        + VERSION + ", found " + root.path("format").asText() + " version " + version
                        + ". Regenerate it with: " + REGENERATE);
            }
            Map<String, Case> out = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.path("cases").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode c = e.getValue();
                out.put(e.getKey(), new Case(e.getKey(), resource(c.path("config").path("model_dir").asText()),
                        tensors(c.path("inputs")), tensors(c.path("outputs")), tensors(c.path("grads"))));
            }
            return out;
        } catch (IOException e) {
            throw new AssertionError("cannot read " + RESOURCE, e);
        }
    }

    private static Map<String, Stored> tensors(JsonNode node) {
        Map<String, Stored> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode shapeNode = e.getValue().path("shape");
            int[] dims = new int[shapeNode.size()];
            for (int i = 0; i < dims.length; i++) dims[i] = shapeNode.get(i).asInt();
            JsonNode data = e.getValue().path("data");
            double[] values = new double[data.size()];
            for (int i = 0; i < values.length; i++) values[i] = data.get(i).asDouble();
            boolean integer = e.getValue().path("dtype").asText().startsWith("int");
            out.put(e.getKey(), new Stored(Shape.of(dims), integer, values));
        }
        return out;
    }
}
