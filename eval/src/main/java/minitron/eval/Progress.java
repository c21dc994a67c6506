package minitron.eval;

/** Told after each batch of work: how many of the task's items are done. */
@FunctionalInterface
public interface Progress {
    void update(int done, int total);

    Progress NONE = (done, total) -> { };
}
