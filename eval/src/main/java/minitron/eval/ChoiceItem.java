package minitron.eval;

import java.util.List;

/**
 * One multiple-choice item: each choice is a (context, continuation) pair scored by the summed log-probability
 * of the continuation's tokens given the context; gold is the index of the right choice.
 *
 * <p>For ordinary tasks every choice has the same context and the continuation is " " + the choice text
 * (lm-eval's target_delimiter); Winogrande has a different context per choice and the same continuation.
 * {@code normText} is the string whose length in characters (Unicode code points, as Python's len) divides the
 * log-likelihood for acc_norm: lm-eval's {@code len(choice)} of the choice text without the delimiter.
 */
public record ChoiceItem(String id, List<Choice> choices, int gold) {

    public record Choice(String context, String continuation, String normText) {
    }

    public ChoiceItem {
        if (choices.isEmpty()) {
            throw new EvalException("item " + id + ": expected at least one choice, found none");
        }
        if (gold < 0 || gold >= choices.size()) {
            throw new EvalException("item " + id + ": expected a gold index in [0, " + choices.size() + "), found " + gold);
        }
        choices = List.copyOf(choices);
    }

    /** The usual item: one context, continuations " " + each choice text. */
    public static ChoiceItem of(String id, String context, List<String> choiceTexts, int gold) {
        List<Choice> list = choiceTexts.stream().map(c -> new Choice(context, " " + c, c)).toList();
        return new ChoiceItem(id, list, gold);
    }
}
