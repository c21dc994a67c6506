package minitron.compress;

import java.util.List;
import minitron.eval.ChoiceItem;
import minitron.eval.Evaluator;
import minitron.eval.LlamaCausalLm;
import minitron.eval.MultipleChoice;
import minitron.eval.TokenEncoder;
import minitron.transformer.model.LlamaModel;

/**
 * Depth metric (b): accuracy of a multiple-choice task of the eval harness (default {@code brown-cloze}; the paper
 * uses Winogrande) on a model with layers removed. The items are loaded once, then scored for each model.
 */
public final class TaskMetric {
    private final TokenEncoder encoder;
    private final List<ChoiceItem> items;
    private final String task;

    /**
     * task: an eval task spec ({@code brown-cloze}, {@code winogrande:FILE}, {@code choice:FILE}, ...) with an
     * accuracy; limit: at most this many items (null: all).
     */
    public TaskMetric(TokenEncoder encoder, String task, Integer limit) {
        List<Evaluator.Spec> specs = Evaluator.parse(task, "--task");
        if (specs.size() != 1) {
            throw new CompressException("--task: expected one task, found " + specs.size() + " in \"" + task + "\"");
        }
        Evaluator.Spec spec = specs.getFirst();
        if (spec.name().equals("ppl") || spec.name().equals("gsm8k")) {
            throw new CompressException("--task: expected a multiple-choice task with an accuracy (brown-cloze, "
                    + "winogrande:FILE, hellaswag:FILE, arc_easy:FILE, piqa:FILE, mmlu:FILE, choice:FILE), found "
                    + spec.name());
        }
        this.encoder = encoder;
        this.task = spec.name();
        this.items = new Evaluator(null, encoder, new Evaluator.Settings(limit, 0, 1234, false, false, 16, 0))
                .choiceItems(spec);
    }

    public String task() {
        return task;
    }

    public int items() {
        return items.size();
    }

    /** Accuracy of the model on the task's items. */
    public double accuracy(LlamaModel model) {
        return MultipleChoice.evaluate(new LlamaCausalLm(model), encoder, items,
                new MultipleChoice.Options(false, 16)).acc();
    }
}
