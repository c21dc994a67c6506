package minitron.autograd;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import minitron.tensor.DType;
import minitron.tensor.Tensor;

/** A differentiable op under test: a name, a way to make its (F64) inputs, and the op applied to Vars. */
record OpCase(String name, Supplier<Tensor[]> inputs, Function<Var[], Var> op) {
    @Override
    public String toString() {
        return name;
    }
}
