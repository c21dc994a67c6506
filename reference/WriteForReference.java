// Writes checkpoints with the Java writer for reference/safetensors_fixtures.py --verify to read with the
// reference implementation's rules (the check that our writer's output is accepted; see docs/checkpoints.md).
// Run from the repository root after `./mvnw -q -pl transformer -am package -DskipTests`:
//   . scripts/find-jdk.sh && minitron_find_jdk && M=~/.m2/repository/com/fasterxml/jackson/core && \
//   $JAVA_HOME/bin/java --add-modules jdk.incubator.vector \
//     -cp tensor/target/classes:transformer/target/classes:$M/jackson-databind/2.18.2/jackson-databind-2.18.2.jar:$M/jackson-core/2.18.2/jackson-core-2.18.2.jar:$M/jackson-annotations/2.18.2/jackson-annotations-2.18.2.jar \
//     reference/WriteForReference.java /tmp/java-written
//   /usr/bin/python3 reference/safetensors_fixtures.py --verify /tmp/java-written/mixed.safetensors \
//     /tmp/java-written/tiny-llama-bf16 /tmp/java-written/tiny-llama-single
import minitron.tensor.DType;
import minitron.tensor.Shape;
import minitron.tensor.Tensor;
import minitron.transformer.config.LlamaConfig;
import minitron.transformer.io.Checkpoint;
import minitron.transformer.io.SafetensorsWriter;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;

public class WriteForReference {
    /** The fixture formula of safetensors_fixtures.py: element i of the k-th tensor. */
    static Tensor tensor(int k, DType dtype, int... dims) {
        Tensor t = Tensor.zeros(dtype, Shape.of(dims));
        for (long i = 0; i < t.numel(); i++) t.writeDouble(i, ((7 * i + 13L * k) % 61 - 30) / 8.0);
        return t;
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        SequencedMap<String, Tensor> mixed = new LinkedHashMap<>();
        mixed.put("b.f32", tensor(0, DType.F32, 3, 5));
        mixed.put("a.bf16", tensor(1, DType.BF16, 7));
        mixed.put("c.f16", tensor(2, DType.F16, 2, 3, 2));
        mixed.put("z.scalar", tensor(3, DType.F32));
        mixed.put("e.empty", tensor(4, DType.BF16, 0, 4));
        mixed.put("d.bf16", tensor(5, DType.BF16, 5, 3));
        SafetensorsWriter.write(out.resolve("mixed.safetensors"), mixed, null);

        // The tiny Llama of the fixtures as F32 master weights, stored as BF16 in shards and in one file.
        try (Checkpoint ref = Checkpoint.openModel(Path.of("transformer/src/test/resources/safetensors/tiny-llama-sharded"))) {
            LlamaConfig config = ref.config();
            SequencedMap<String, Tensor> master = new LinkedHashMap<>();
            int k = 0;
            for (Map.Entry<String, Shape> e : config.expectedTensors().entrySet()) {
                master.put(e.getKey(), tensor(k++, DType.F32, e.getValue().dims()));
            }
            System.out.println(Checkpoint.saveModel(out.resolve("tiny-llama-bf16"), config, master, DType.BF16, 1000));
            System.out.println(Checkpoint.saveModel(out.resolve("tiny-llama-single"), config, master, DType.BF16,
                    SafetensorsWriter.DEFAULT_MAX_SHARD_BYTES));
        }
    }
}
