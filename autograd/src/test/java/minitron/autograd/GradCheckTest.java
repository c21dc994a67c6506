package minitron.autograd;

import java.util.List;
import minitron.tensor.Backend;
import minitron.tensor.Backends;
import minitron.tensor.Ops;
import minitron.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** backward() of every differentiable op against central finite differences, in F64 (see {@link GradCheck}). */
class GradCheckTest {

    static List<OpCase> cases() {
        return OpCases.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientMatchesFiniteDifferences(OpCase c) {
        // F64 runs on the scalar reference (the vector backend hands F64 to it anyway).
        Backend backend = Backends.scalar();
        try (Autograd.BackendScope scope = Autograd.useBackend(backend)) {
            Tensor[] inputs = c.inputs().get();
            GradCheck.Report report = GradCheck.check(c.name(), v -> Fixtures.project(c.op().apply(v)), inputs);
            System.out.printf("gradcheck %-50s max |analytic - numeric| %.2e%n", c.name(), report.maxAbsDiff());
        }
    }

    /** The check itself must catch a wrong gradient: here exp's backward forgets the factor e^x. */
    @Test
    void aWrongBackwardIsReported() {
        try (Autograd.BackendScope scope = Autograd.useBackend(Backends.scalar())) {
            Tensor x = Fixtures.f64(1, 2, 3);
            GradCheck.Report report = GradCheck.run(v -> {
                Ops ops = Autograd.ops();
                Var wrongExp = Var.fromOp("wrongExp", ops.unary(minitron.tensor.UnaryOp.EXP, v[0].value()),
                        dout -> new Tensor[]{dout}, v[0]);
                return Fixtures.project(wrongExp);
            }, x);
            org.junit.jupiter.api.Assertions.assertFalse(report.ok(),
                    "gradcheck accepted a wrong gradient:\n" + report);
            org.junit.jupiter.api.Assertions.assertEquals(6, report.inputs().get(0).mismatches());
        }
    }
}
