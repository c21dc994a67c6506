package minitron.transformer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import minitron.autograd.NoGrad;
import minitron.autograd.Var;
import minitron.autograd.optim.AdamW;
import minitron.tensor.DType;
import minitron.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training mode end to end: AdamW on {@link LlamaModel#parameters()} fits a batch; the result saves and reloads. */
class LlamaTrainingTest {

    @Test
    void adamWStepsOnTheNamedParametersFitABatch(@TempDir Path dir) throws IOException {
        LlamaGolden.Case c = LlamaGolden.get("llama3_rope_tied");   // tied: one embedding Var gets both gradients
        Tensor ids = c.inputs().get("ids").tensor();
        Tensor targets = LlamaModel.nextTokenTargets(ids);
        try (LlamaModel model = LlamaModel.load(c.modelDir(), LlamaModel.Mode.TRAINING)) {
            assertTrue(!model.parameters().containsKey("lm_head.weight"), "tied: no separate lm_head parameter");
            AdamW optimizer = new AdamW(model.parameters(), 1e-2);
            double first = Double.NaN, last = Double.NaN;
            for (int step = 0; step < 30; step++) {
                optimizer.zeroGrad();
                Var loss = model.loss(ids, targets);
                loss.backward();
                optimizer.step();
                if (step == 0) first = loss.item();
                last = loss.item();
            }
            // 12 target tokens over a vocabulary of 40: starting near ln(40) = 3.7, 30 steps of Adam at 1e-2
            // memorise most of them; a training path that does not update (or updates the wrong way) stays near 3.7.
            assertTrue(last < 0.5 * first, "loss " + first + " -> " + last);
            model.save(dir, DType.F32);
            try (LlamaModel reloaded = LlamaModel.load(dir, LlamaModel.Mode.INFERENCE); NoGrad scope = NoGrad.enter()) {
                Var again = minitron.autograd.Losses.crossEntropy(reloaded.forward(ids), targets);
                Var now;
                try (NoGrad inner = NoGrad.enter()) {
                    now = model.loss(ids, targets);
                }
                assertEquals(now.item(), again.item(), 0.0, "the saved weights are the trained ones");
            }
        }
    }
}
