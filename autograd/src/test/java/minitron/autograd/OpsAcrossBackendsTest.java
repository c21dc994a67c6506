package minitron.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import minitron.tensor.Backend;
import minitron.tensor.Backends;
import minitron.tensor.DType;
import minitron.tensor.Tensor;
import minitron.tensor.TensorAssert;
import minitron.tensor.TestTensors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every op of {@link OpCases} in F32 on every backend, forward and gradients, against the same op in F64 on the
 * scalar reference. Non-contiguous inputs stay non-contiguous in F32. Checks that ops keep F32 in F32 (no silent
 * promotion) and that fast backends agree with the specification inside the autograd graph.
 */
class OpsAcrossBackendsTest {
    /**
     * Inputs rounded to F32 (6e-8 relative), then at most a few dozen F32 operations on values of order 1
     * (sums of up to 7 terms here; exp of at most e^3): errors of order 1e-6. 1e-5 + 1e-4 |ref|.
     */
    static final double F32_ATOL = 1e-5;
    static final double F32_RTOL = 1e-4;

    static Stream<Arguments> runs() {
        List<Arguments> args = new ArrayList<>();
        for (OpCase c : OpCases.all()) for (Backend b : TestTensors.backends()) args.add(Arguments.of(c, b));
        return args.stream();
    }

    @ParameterizedTest(name = "{0} f32 on {1}")
    @MethodSource("runs")
    void f32OnEveryBackendMatchesF64Reference(OpCase c, Backend backend) {
        Tensor[] inputs = c.inputs().get();
        Result reference;
        try (Autograd.BackendScope scope = Autograd.useBackend(Backends.scalar())) {
            reference = run(c, inputs);
        }
        Tensor[] f32 = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) f32[i] = Fixtures.sameLayout(inputs[i], DType.F32);
        Result actual;
        try (Autograd.BackendScope scope = Autograd.useBackend(backend)) {
            actual = run(c, f32);
        }
        String what = c.name() + " f32 on " + backend.name();
        assertEquals(DType.F32, actual.output().dtype(), what + ": output dtype");
        TensorAssert.assertClose(reference.output(), actual.output(), F32_ATOL, F32_RTOL, what + ": forward");
        for (int i = 0; i < inputs.length; i++) {
            assertEquals(DType.F32, actual.grads()[i].dtype(), what + ": dtype of grad " + i);
            TensorAssert.assertClose(reference.grads()[i], actual.grads()[i], F32_ATOL, F32_RTOL, what + ": grad " + i);
        }
    }

    record Result(Tensor output, Tensor[] grads) {
    }

    private static Result run(OpCase c, Tensor[] inputs) {
        Var[] vars = new Var[inputs.length];
        for (int i = 0; i < inputs.length; i++) vars[i] = Var.parameter(inputs[i]);
        Var y = c.op().apply(vars);
        Fixtures.project(y).backward();
        Tensor[] grads = new Tensor[vars.length];
        for (int i = 0; i < vars.length; i++) grads[i] = vars[i].grad();
        return new Result(y.value(), grads);
    }
}
