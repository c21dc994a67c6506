// A test-free script: mean next-token validation loss of model directories on a dataset, for the pruning
// experiment. Usage (repository root, built jar):
//   $JAVA_HOME/bin/java --add-modules jdk.incubator.vector -cp cli/target/minitron.jar compress/scripts/ValLoss.java \
//       DATA SEQ_LEN SAMPLES MODEL_DIR...
// DATA: brown:SPLIT or a text file; each model's own tokenizer.json is used.

import java.nio.file.Path;
import minitron.compress.Calibration;
import minitron.transformer.model.LlamaModel;

public class ValLoss {
    public static void main(String[] args) throws Exception {
        String data = args[0];
        int seqLen = Integer.parseInt(args[1]), samples = Integer.parseInt(args[2]);
        for (int i = 3; i < args.length; i++) {
            Path dir = Path.of(args[i]);
            Calibration val = Calibration.read(data, false, dir, seqLen, samples, 16);
            try (LlamaModel model = LlamaModel.load(dir, LlamaModel.Mode.INFERENCE)) {
                System.out.printf("%-50s params %,10d  val loss %.4f  (%d tokens of %s)%n", dir,
                        model.config.parameterCount(), val.meanLoss(model), val.tokens(), data);
            }
        }
    }
}
