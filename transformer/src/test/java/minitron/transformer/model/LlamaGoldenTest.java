package minitron.transformer.model;

import static minitron.tensor.TensorAssert.assertClose;
import static minitron.tensor.TensorAssert.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import minitron.autograd.Autograd;
import minitron.autograd.Losses;
import minitron.autograd.NoGrad;
import minitron.autograd.Var;
import minitron.tensor.Backend;
import minitron.tensor.DType;
import minitron.tensor.Tensor;
import minitron.tensor.TestTensors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The model against PyTorch (reference/golden_llama.py: HF's forward in float64 on the same checkpoint files):
 * logits, loss and the gradient of every parameter, on every backend, for GQA, llama3 rope scaling, head_dim !=
 * hidden/heads, tied embeddings, a BF16 checkpoint (read in place), a sharded checkpoint and model_type mistral.
 */
class LlamaGoldenTest {

    /**
     * Logits: the quality bar, 1e-4 absolute. The Java model computes in F32 (reductions over C = 16 to
     * F = 24 terms, 2 layers); the largest difference measured against the float64 reference (printed by this
     * test) is 1.2e-6 over all cases and both backends, a margin of 80x.
     */
    static final double LOGITS_ATOL = 1e-4;

    /** Loss: a mean of log-sum-exps of the logits above; F32 rounding of ~14 terms, measured at most 4.8e-7. */
    static final double LOSS_ATOL = 1e-5;

    /**
     * Gradients: F32 backward through 2 layers (each gradient is a sum over B*T = 14 rows of products of F32
     * values, and the attention backward recomputes the probabilities); measured differences against float64 are
     * at most 2.4e-7 (all cases, both backends). 2e-6 absolute + 1e-4 relative keeps a margin of 8x
     * and still fails on any real error (a wrong sign, scale or index changes gradients by their own magnitude).
     */
    static final double GRAD_ATOL = 2e-6;
    static final double GRAD_RTOL = 1e-4;

    /** The inverse frequencies are HF's float32 values; Java's pow may differ from torch's by 1 ulp (6e-8 rel). */
    static final double INV_FREQ_RTOL = 2.4e-7;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String name : LlamaGolden.cases().keySet()) {
            for (Backend backend : TestTensors.backends()) out.add(Arguments.of(name, backend));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void trainingForwardLossAndEveryGradient(String name, Backend backend) {
        LlamaGolden.Case c = LlamaGolden.get(name);
        Tensor ids = c.inputs().get("ids").tensor();
        Tensor targets = c.inputs().get("targets").tensor();
        try (Autograd.BackendScope scope = Autograd.useBackend(backend);
             LlamaModel model = LlamaModel.load(c.modelDir(), LlamaModel.Mode.TRAINING)) {
            Var logits = model.forward(ids);
            assertClose(c.outputs().get("logits").tensor(), logits.value(), LOGITS_ATOL, 0, name + " logits");
            Var loss = Losses.crossEntropy(logits, targets);
            assertClose(c.outputs().get("loss").tensor(), loss.value(), LOSS_ATOL, 0, name + " loss");
            loss.backward();
            Map<String, Var> params = model.parameters();
            double worstGrad = 0;
            for (Map.Entry<String, Var> e : params.entrySet()) {
                if (e.getValue().grad() == null) continue;
                worstGrad = Math.max(worstGrad, maxAbsDiff(c.grads().get(e.getKey()).tensor(), e.getValue().grad()));
            }
            System.out.printf("golden %s on %s: max |logits diff| %.2e, |loss diff| %.2e, max |grad diff| %.2e%n", name,
                    backend.name(), maxAbsDiff(c.outputs().get("logits").tensor(), logits.value()),
                    maxAbsDiff(c.outputs().get("loss").tensor(), loss.value()), worstGrad);
            assertEquals(c.grads().keySet(), params.keySet(), name + ": parameter names");
            for (Map.Entry<String, Var> e : params.entrySet()) {
                assertEquals(DType.F32, e.getValue().dtype(), e.getKey() + ": training weights are F32 masters");
                assertNotNull(e.getValue().grad(), e.getKey() + ": no gradient");
                assertClose(c.grads().get(e.getKey()).tensor(), e.getValue().grad(), GRAD_ATOL, GRAD_RTOL,
                        name + " d loss / d " + e.getKey());
            }
            if (model.config.tieWordEmbeddings()) assertSame(model.embedTokens, model.lmHead, "tied head");
        }
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void inferenceForwardReadsTheCheckpointInPlace(String name, Backend backend) {
        LlamaGolden.Case c = LlamaGolden.get(name);
        try (Autograd.BackendScope scope = Autograd.useBackend(backend);
             LlamaModel model = LlamaModel.load(c.modelDir(), LlamaModel.Mode.INFERENCE);
             NoGrad noGrad = NoGrad.enter()) {
            for (Var w : model.parameters().values()) {
                // the mapped tensor itself: off-heap, the checkpoint's dtype (BF16 stays BF16)
                assertTrue(w.value().data().isNative(), w.name() + " is memory-mapped, not copied");
            }
            Var logits = model.forward(c.inputs().get("ids").tensor());
            assertClose(c.outputs().get("logits").tensor(), logits.value(), LOGITS_ATOL, 0, name + " logits (inference)");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("names")
    void inverseFrequenciesAreHfFloat32Values(String name) {
        LlamaGolden.Case c = LlamaGolden.get(name);
        try (LlamaModel model = LlamaModel.load(c.modelDir(), LlamaModel.Mode.INFERENCE)) {
            float[] inv = model.inverseFrequencies();
            double[] actual = new double[inv.length];
            for (int i = 0; i < inv.length; i++) actual[i] = inv[i];
            assertClose(c.outputs().get("inv_freq").tensor().toDoubleArray(), actual, 0, INV_FREQ_RTOL, name + " inv_freq");
        }
    }

    static Stream<String> names() {
        return LlamaGolden.cases().keySet().stream();
    }
}
