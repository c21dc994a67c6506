package minitron.autograd;

import minitron.tensor.DType;
import minitron.tensor.Ops;
import minitron.tensor.Tensor;
import minitron.tensor.TensorException;

/**
 * Fused losses over logits (..., V), reduced to a 0-d Var. Shape legend: R rows (all leading dims flattened),
 * V vocabulary. Composed versions: {@link Composite#crossEntropy}, {@link Composite#klDivergence}.
 */
public final class Losses {
    private Losses() {
    }

    /** PyTorch's ignore_index default. */
    public static final int IGNORE_INDEX = -100;

    /** How per-row losses become one number. */
    public enum Reduction {
        /** Mean over the rows whose target is not ignored (PyTorch's reduction='mean'; NaN if all are ignored). */
        MEAN,
        /** Sum over all rows (ignored rows contribute 0). */
        SUM
    }

    /** Cross-entropy with PyTorch's defaults: ignore index -100, mean over non-ignored targets. */
    public static Var crossEntropy(Var logits, Tensor targets) {
        return crossEntropy(logits, targets, IGNORE_INDEX, Reduction.MEAN);
    }

    /**
     * loss_r = logsumexp(logits_r) - logits_r[target_r] for each row r whose target is not ignoreIndex; reduced by
     * mean over those rows (N of them) or by sum. logits (..., V), targets (...) I32.
     * d loss_r / d logits_r = softmax(logits_r) - onehot(target_r); times 1/N for the mean; zero for ignored rows.
     */
    public static Var crossEntropy(Var logits, Tensor targets, int ignoreIndex, Reduction reduction) {
        Ops ops = Autograd.ops();
        requireTargetShape(logits, targets);
        int vocab = logits.dim(-1);
        Tensor rows = logits.value().reshape(-1, vocab);            // (R, V)
        Tensor flatTargets = targets.reshape(-1);                   // (R)
        Ops.CrossEntropyResult saved = ops.crossEntropy(rows, flatTargets, ignoreIndex);
        int counted = 0;
        for (long r = 0; r < flatTargets.numel(); r++) {
            if (flatTargets.readInt(flatTargets.offsetOf(r)) != ignoreIndex) counted++;
        }
        double divisor = reduction == Reduction.MEAN ? counted : 1.0; // 0 when all are ignored: NaN, as PyTorch
        Tensor loss = scalar(logits.dtype(), sum(saved.loss()) / divisor);
        return Var.fromOp("crossEntropy", loss, dout -> {
            Tensor dloss = Tensor.zeros(dout.dtype() == DType.F64 ? DType.F64 : DType.F32, rows.dim(0));
            ops.backend().fill(dloss, dout.item() / divisor);
            Tensor drows = ops.crossEntropyBackward(rows, flatTargets, ignoreIndex, saved, dloss);
            return new Tensor[]{drows.reshape(logits.shape().dims())};
        }, logits);
    }

    /** targets (...) for logits (..., V): the same leading shape, not merely the same number of rows. */
    static void requireTargetShape(Var logits, Tensor targets) {
        if (logits.rank() < 1) {
            throw TensorException.of("crossEntropy", "logits (..., V) of rank >= 1",
                    "logits of shape " + logits.shape());
        }
        if (!targets.shape().equals(logits.shape().dropLast(1))) {
            throw TensorException.of("crossEntropy", "targets of shape logits.shape[:-1] for logits " + logits.shape(),
                    "targets " + targets.shape());
        }
    }

    /**
     * Forward KL(p_teacher || p_student) with p = softmax(logits / temperature), averaged over rows:
     * loss = (1/R) sum_r sum_v p_t (log p_t - log p_s), where a term with p_t = 0 (a teacher logit of -inf, or one
     * whose probability underflows) is 0. The teacher is a constant.
     * d loss / d student_r = (p_s - p_t) / (temperature R).
     */
    public static Var klDivergence(Var student, Tensor teacher, double temperature) {
        Ops ops = Autograd.ops();
        if (!teacher.shape().equals(student.shape())) {
            throw TensorException.of("klDivergence", "teacher logits of the student's shape " + student.shape(),
                    "teacher " + teacher.shape());
        }
        int vocab = student.dim(-1);
        Tensor rows = student.value().reshape(-1, vocab);           // (R, V)
        Tensor teacherRows = teacher.reshape(-1, vocab);            // (R, V)
        int r = rows.dim(0);
        Tensor perRow = ops.klDivergence(rows, teacherRows, temperature);
        Tensor loss = scalar(student.dtype(), sum(perRow) / r);
        return Var.fromOp("klDivergence", loss, dout -> {
            Tensor dloss = Tensor.zeros(dout.dtype() == DType.F64 ? DType.F64 : DType.F32, r);
            ops.backend().fill(dloss, dout.item() / r);
            Tensor drows = ops.klDivergenceBackward(rows, teacherRows, temperature, dloss);
            return new Tensor[]{drows.reshape(student.shape().dims())};
        }, student);
    }

    /** Sum of a small vector in double precision (per-row losses: R values). */
    private static double sum(Tensor t) {
        double s = 0;
        for (long i = 0; i < t.numel(); i++) s += t.readDouble(t.offsetOf(i));
        return s;
    }

    private static Tensor scalar(DType dtype, double value) {
        Tensor t = Tensor.zeros(dtype == DType.F64 ? DType.F64 : DType.F32);
        t.writeDouble(0, value);
        return t;
    }
}
