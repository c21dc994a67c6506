package minitron.autograd;

import java.util.List;
import minitron.tensor.Backend;
import minitron.tensor.Backends;
import minitron.tensor.Tensor;
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
}
