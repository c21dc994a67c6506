package minitron.autograd;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import minitron.autograd.optim.AdamW;
import minitron.autograd.optim.GradClip;
import minitron.autograd.optim.LrSchedule;
import minitron.tensor.Backend;
import minitron.tensor.Backends;
import minitron.tensor.DType;
import minitron.tensor.Tensor;
import minitron.tensor.TensorAssert;
import minitron.tensor.TestTensors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Replays each case of the PyTorch golden file (reference/golden_autograd.py) with our ops and compares the loss,
 * the named outputs and every gradient, printing the max difference per tensor (as llm.c's test_gpt2 does).
 * Runs in F64 on the scalar reference (tight) and in F32 on every backend (loose).
 */
class GoldenAutogradTest {
    /**
     * F64 against PyTorch's float64: both sides compute the same formulas in double precision and differ only in
     * summation order and libm rounding, a few ulps (1e-16 relative) per op, amplified by at most a few hundred ops
     * (the tiny Llama's backward). Measured worst: 9e-16 absolute (rmsnorm loss; 10 AdamW steps: 9e-16).
     * 1e-10 + 1e-9 |ref| leaves room for other platforms' libm and still fails on any real mistake (an F32
     * rounding anywhere would show as 1e-8).
     */
    static final double F64_ATOL = 1e-10;
    static final double F64_RTOL = 1e-9;
    /**
     * F32 (inputs rounded to F32, every op in F32) against float64: F32's unit roundoff is 6e-8; a result that
     * sums n products carries about sqrt(n) to n roundoffs of its terms' magnitude, and the tiny Llama's gradients
     * go through about 50 ops. Values and gradients here are of order 1 or less. Measured worst: 9.1e-7
     * absolute (rmsnorm loss on the vector backend, a sum of 192 terms; 4.3e-7 on the scalar one). 1e-5 + 1e-4
     * |ref| leaves a 10x margin for backends that sum in another order, and stays far below the size of a real
     * mistake (an O(1) relative error).
     */
    static final double F32_ATOL = 1e-5;
    static final double F32_RTOL = 1e-4;
    /**
     * F32 parameters after 10 AdamW steps: Adam divides by sqrt(v), so a gradient element near zero whose F32
     * rounding flips the update's size moves a parameter by up to lr (1e-2) more or less per step. Measured worst
     * on this case: 2.5e-7; 1e-4 allows for a backend whose rounding differs without hiding a wrong update rule
     * (which moves parameters by about lr = 1e-2 per step).
     */
    static final double F32_TRAINED_PARAM_ATOL = 1e-4;

    private static Map<String, GoldenFile.Case> cases;

    /** A precision and a backend. */
    record Mode(String name, DType dtype, Backend backend, OpSet ops, double atol, double rtol) {
        @Override
        public String toString() {
            return name;
        }
    }

    @BeforeAll
    static void load() throws IOException {
        cases = GoldenFile.load();
    }

    static List<Mode> modes() {
        List<Mode> modes = new ArrayList<>();
        modes.add(new Mode("f64/scalar", DType.F64, Backends.scalar(), OpSet.FUSED, F64_ATOL, F64_RTOL));
        for (Backend b : TestTensors.backends()) {
            modes.add(new Mode("f32/" + b.name(), DType.F32, b, OpSet.FUSED, F32_ATOL, F32_RTOL));
        }
        // The compositions of primitives that define the fused ops, checked directly against PyTorch too.
        modes.add(new Mode("f64/scalar/composed", DType.F64, Backends.scalar(), OpSet.COMPOSED, F64_ATOL, F64_RTOL));
        return modes;
    }

    static Stream<Arguments> gradientCases() {
        List<String> names = List.of("linear_broadcast_mul", "swiglu_mlp", "rmsnorm", "attention_gqa_rope",
                "cross_entropy_ignore", "kl_distill_t1", "kl_distill_t2", "tiny_llama");
        List<Arguments> args = new ArrayList<>();
        for (String name : names) for (Mode m : modes()) args.add(Arguments.of(name, m));
        return args.stream();
    }

    static Stream<Mode> trainingModes() {
        return modes().stream();
    }

    private static GoldenFile.Case requireCase(String name) {
        Assumptions.assumeTrue(cases != null, "SKIPPED: golden file " + GoldenFile.RESOURCE
                + " is absent; generate it with " + GoldenFile.REGENERATE);
        GoldenFile.Case c = cases.get(name);
        if (c == null) {
            throw new AssertionError("golden file has no case '" + name + "' (cases: " + cases.keySet()
                    + "); regenerate it with " + GoldenFile.REGENERATE);
        }
        return c;
    }

    // ---------------------------------------------------------------- forward and gradients

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("gradientCases")
    void forwardAndGradientsMatchPyTorch(String name, Mode mode) {
        GoldenFile.Case c = requireCase(name);
        try (Autograd.BackendScope scope = Autograd.useBackend(mode.backend())) {
            Map<String, Var> vars = new LinkedHashMap<>();
            Map<String, Tensor> ints = new LinkedHashMap<>();
            for (GoldenFile.Stored s : c.inputs().values()) {
                Tensor t = s.tensor(mode.dtype());
                if (s.integer()) ints.put(s.name(), t);
                else vars.put(s.name(), c.grads().containsKey(s.name()) ? Var.parameter(s.name(), t) : Var.constant(t));
            }
            Map<String, Var> outputs = compute(c, mode.ops(), vars, ints);
            outputs.get("loss").backward();

            List<String> report = new ArrayList<>();
            List<String> failures = new ArrayList<>();
            for (GoldenFile.Stored expected : c.outputs().values()) {
                Var actual = outputs.get(expected.name());
                if (actual == null) {
                    throw new AssertionError(name + ": our computation has no output " + expected.name());
                }
                compare(name + " " + mode + " output " + expected.name(), expected, actual.value(), mode, report,
                        failures);
            }
            for (GoldenFile.Stored expected : c.grads().values()) {
                Tensor grad = vars.get(expected.name()).grad();
                if (grad == null) throw new AssertionError(name + ": no gradient reached " + expected.name());
                compare(name + " " + mode + " grad " + expected.name(), expected, grad, mode, report, failures);
            }
            report.forEach(System.out::println);
            if (!failures.isEmpty()) throw new AssertionError(String.join("\n", failures));
        }
    }

    /** The computation of each case, exactly as golden-spec.md defines it. Returns "loss" and named outputs. */
    private static Map<String, Var> compute(GoldenFile.Case c, OpSet ops, Map<String, Var> in,
                                            Map<String, Tensor> ints) {
        Map<String, Var> out = new LinkedHashMap<>();
        switch (c.name()) {
            case "linear_broadcast_mul" -> {
                Var y = LinearAlgebra.linear(in.get("x"), in.get("w"), in.get("b"));          // (2, 3, 4)
                out.put("y", y);
                out.put("loss", y.mul(y).mul(in.get("r")).sum());
            }
            case "swiglu_mlp" -> {
                Var y = TinyLlama.mlp(ops, in.get("x"), in.get("gate_proj"), in.get("up_proj"), in.get("down_proj"));
                out.put("y", y);
                out.put("loss", y.mul(in.get("r")).sum());
            }
            case "rmsnorm" -> {
                Var y = ops.rmsNorm(in.get("x"), in.get("weight"), c.configDouble("eps"));
                out.put("y", y);
                out.put("loss", y.mul(in.get("r")).sum());
            }
            case "attention_gqa_rope" -> {
                Var x = in.get("x");
                int headDim = c.configInt("head_dim");
                Var y = TinyLlama.attention(ops, x, in.get("q_proj"), in.get("k_proj"), in.get("v_proj"),
                        in.get("o_proj"), c.configInt("heads"), c.configInt("kv_heads"), headDim,
                        Fixtures.rope(x.dim(1), headDim, c.configDouble("rope_theta"), x.dtype()));
                out.put("out", y);
                out.put("loss", y.mul(in.get("r")).sum());
            }
            case "cross_entropy_ignore" -> {
                Var logits = LinearAlgebra.linear(in.get("x"), in.get("w"));                 // (2, 7, 11)
                out.put("logits", logits);
                out.put("loss", ops.crossEntropy(logits, ints.get("targets"), c.configInt("ignore_index")));
            }
            case "kl_distill_t1", "kl_distill_t2" -> {
                Var student = LinearAlgebra.linear(in.get("x"), in.get("w"));                // (3, 4, 9)
                out.put("student_logits", student);
                out.put("loss", ops.klDivergence(student, in.get("teacher").value(), c.configDouble("temperature")));
            }
            case "tiny_llama" -> {
                Var logits = new TinyLlama(c, ops).logits(in, ints.get("ids"));
                out.put("logits", logits);
                out.put("loss", ops.crossEntropy(logits, ints.get("targets"), Losses.IGNORE_INDEX));
            }
            default -> throw new AssertionError("no computation for golden case " + c.name());
        }
        return out;
    }

    /** Compares one tensor, adds a report line (max abs diff, llm.c style) and a failure message if off. */
    private static void compare(String what, GoldenFile.Stored expected, Tensor actual, Mode mode,
                                List<String> report, List<String> failures) {
        Tensor ref = expected.tensor(DType.F64);
        report.add(String.format("%-70s max |diff| %.3e", what, shapeChecked(what, ref, actual)));
        try {
            TensorAssert.assertClose(ref, actual, mode.atol(), mode.rtol(), what);
        } catch (AssertionError e) {
            failures.add(e.getMessage());
        }
    }

    private static double shapeChecked(String what, Tensor ref, Tensor actual) {
        if (!ref.shape().equals(actual.shape())) {
            throw new AssertionError(what + ": shape " + actual.shape() + ", expected " + ref.shape());
        }
        return TensorAssert.maxAbsDiff(ref, actual);
    }

    // ---------------------------------------------------------------- training: AdamW + clipping + schedule

    @ParameterizedTest(name = "tiny_llama_adamw {0}")
    @MethodSource("trainingModes")
    void tenAdamWStepsMatchPyTorch(Mode mode) {
        GoldenFile.Case c = requireCase("tiny_llama_adamw");
        int steps = c.configInt("steps");
        try (Autograd.BackendScope scope = Autograd.useBackend(mode.backend())) {
            Map<String, Var> params = new LinkedHashMap<>();
            Map<String, Tensor> ints = new LinkedHashMap<>();
            for (GoldenFile.Stored s : c.inputs().values()) {
                if (s.integer()) ints.put(s.name(), s.tensor(mode.dtype()));
                else params.put(s.name(), Var.parameter(s.name(), s.tensor(mode.dtype())));
            }
            TinyLlama model = new TinyLlama(c, mode.ops());
            double[] betas = {c.config().get("betas").get(0).asDouble(), c.config().get("betas").get(1).asDouble()};
            AdamW optimizer = new AdamW(params, c.configDouble("max_lr"), betas[0], betas[1],
                    c.configDouble("adam_eps"), c.configDouble("weight_decay"));
            LrSchedule schedule = LrSchedule.cosineWithWarmup(c.configDouble("max_lr"), c.configDouble("min_lr"),
                    c.configInt("warmup_steps"), steps);
            double[] losses = new double[steps], norms = new double[steps], lrs = new double[steps];
            for (int s = 0; s < steps; s++) {
                optimizer.zeroGrad();
                Var logits = model.logits(params, ints.get("ids"));
                Var loss = mode.ops().crossEntropy(logits, ints.get("targets"), Losses.IGNORE_INDEX);
                losses[s] = loss.item();
                loss.backward();
                norms[s] = GradClip.clipGradNorm(params.values(), c.configDouble("max_grad_norm"));
                lrs[s] = schedule.lr(s);
                optimizer.setLr(lrs[s]);
                optimizer.step();
            }
            List<String> report = new ArrayList<>();
            List<String> failures = new ArrayList<>();
            double paramAtol = mode.dtype() == DType.F64 ? mode.atol() : F32_TRAINED_PARAM_ATOL;
            compare("tiny_llama_adamw " + mode + " losses", c.outputs().get("losses"), Tensor.of(losses, steps), mode,
                    report, failures);
            compare("tiny_llama_adamw " + mode + " grad_norms", c.outputs().get("grad_norms"), Tensor.of(norms, steps),
                    mode, report, failures);
            compare("tiny_llama_adamw " + mode + " lrs", c.outputs().get("lrs"), Tensor.of(lrs, steps),
                    new Mode("lr", DType.F64, null, mode.ops(), F64_ATOL, F64_RTOL), report, failures);
            Mode paramMode = new Mode(mode.name(), mode.dtype(), mode.backend(), mode.ops(), paramAtol, mode.rtol());
            for (Map.Entry<String, Var> e : params.entrySet()) {
                GoldenFile.Stored expected = c.outputs().get("final." + e.getKey());
                if (expected == null) throw new AssertionError("golden case has no output final." + e.getKey());
                compare("tiny_llama_adamw " + mode + " final." + e.getKey(), expected, e.getValue().value(), paramMode,
                        report, failures);
            }
            report.forEach(System.out::println);
            if (!failures.isEmpty()) throw new AssertionError(String.join("\n", failures));
        }
    }

    /** A golden file of another format version fails, naming the command that regenerates it. */
    @Test
    void aStaleGoldenFileFailsWithTheRegenerateCommand() {
        String stale = "{\"format\": \"minitron-golden\", \"version\": 0, \"cases\": {}}";
        AssertionError e = assertThrows(AssertionError.class, () -> GoldenFile.parse(
                new ByteArrayInputStream(stale.getBytes(StandardCharsets.UTF_8))));
        assertTrue(e.getMessage().contains(GoldenFile.REGENERATE) && e.getMessage().contains("version 0"),
                e.getMessage());
    }
}
