// A test-free script: trains a small Llama on the Brown pretrain split so that pruning has a trained model to work
// on (no bundled teacher exists yet). Run from the repository root with the built jar:
//   . scripts/find-jdk.sh && $JAVA_HOME/bin/java --add-modules jdk.incubator.vector -cp cli/target/minitron.jar \
//       compress/scripts/TrainTinyTeacher.java OUT_DIR TOKENIZER_DIR SECONDS
// It prints the loss every 20 steps and the validation loss (brown:pretrain-val) at the end.

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.SequencedMap;
import minitron.autograd.Var;
import minitron.autograd.optim.AdamW;
import minitron.compress.Baselines;
import minitron.compress.Calibration;
import minitron.tensor.DType;
import minitron.tensor.Tensor;
import minitron.transformer.config.LlamaConfig;
import minitron.transformer.data.BatchLoader;
import minitron.transformer.data.DataSources;
import minitron.transformer.model.LlamaModel;

public class TrainTinyTeacher {
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        Path tokenizerDir = Path.of(args[1]);
        double seconds = Double.parseDouble(args[2]);
        int batch = 16, seqLen = 64;
        // C 96, F 256, L 6, H 6, G 2, D 16, V 1024 (the Brown BPE tokenizer: BOS 1016 <|begin_of_text|>, EOS 1017
        // <|end_of_text|>), untied
        LlamaConfig config = new LlamaConfig(LlamaConfig.LLAMA, 96, 256, 6, 6, 2, 16, 1e-5, 10000.0, null, 256, 1024,
                false, 1016, List.of(1017), null, "float32");
        Path tmp = Files.createTempDirectory("teacher");
        DataSources.Tokenized train = DataSources.tokenize("brown:pretrain", false, tokenizerDir,
                tmp.resolve("train.tokens"), false);
        System.out.println("train tokens: " + train.cache().tokenCount() + ", params " + config.parameterCount());
        SequencedMap<String, Tensor> init = Baselines.randomInit(config, 42);
        LlamaModel model = LlamaModel.fromTensors(config, init, true);
        AdamW optimizer = new AdamW(model.parameters(), 3e-3, 0.9, 0.95, 1e-8, 0.0);
        BatchLoader loader = new BatchLoader(train.cache().dataset(), batch, seqLen, 7);
        long start = System.nanoTime();
        int step = 0;
        while ((System.nanoTime() - start) / 1e9 < seconds) {
            BatchLoader.Batch b = loader.next();
            optimizer.zeroGrad();
            Var loss = model.loss(b.inputsTensor(), b.targetsTensor());
            loss.backward();
            optimizer.step();
            if (step % 20 == 0) {
                System.out.printf("step %d loss %.4f (%.0f s)%n", step, loss.item(), (System.nanoTime() - start) / 1e9);
            }
            step++;
        }
        System.out.printf("trained %d steps, %d tokens%n", step, (long) step * batch * seqLen);
        model.save(out, DType.F32);
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
            Files.copy(tokenizerDir.resolve(f), out.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        Calibration val = Calibration.read("brown:pretrain-val", false, tokenizerDir, seqLen, 64, 16);
        System.out.printf("validation loss (brown:pretrain-val, %d tokens): %.4f%n", val.tokens(), val.meanLoss(model));
    }
}
