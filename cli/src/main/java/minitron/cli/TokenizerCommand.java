package minitron.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import minitron.transformer.data.DataException;
import minitron.transformer.data.DataSources;
import minitron.transformer.data.Document;
import minitron.transformer.data.Readers;
import minitron.transformer.tokenizer.BpeTrainer;
import minitron.transformer.tokenizer.Tokenizer;
import minitron.transformer.tokenizer.TokenizerException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code minitron tokenizer}: tokenizer tools. */
@Command(name = "tokenizer", mixinStandardHelpOptions = true, description = "Tokenizer tools.",
        subcommands = {TokenizerCommand.Train.class})
public final class TokenizerCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    /** {@code minitron tokenizer train}: byte-level BPE with the Llama 3 pre-tokenizer. */
    @Command(name = "train", mixinStandardHelpOptions = true, showDefaultValues = true,
            description = {"Trains a byte-level BPE tokenizer (Llama 3 pre-tokenizer regex) and writes tokenizer.json "
                    + "and tokenizer_config.json (Llama 3 structure; HF's tokenizers loads them).",
                    "--data brown:SPLIT reads a bundled Brown Corpus split (pretrain, pretrain-val, distill, heldout)."})
    public static final class Train implements Callable<Integer> {
        @Option(names = "--data", required = true, paramLabel = "FILE|DIR|brown:SPLIT",
                description = "a text file, a folder of them (recursive, sorted), a JSONL file/folder with --jsonl, "
                        + "or brown:SPLIT")
        String data;

        @Option(names = "--jsonl", description = "read JSONL lines with a \"text\" field (not with brown:SPLIT)")
        boolean jsonl;

        @Option(names = "--vocab-size", required = true, paramLabel = "N",
                description = "total vocabulary: 256 bytes + merges + special tokens")
        Integer vocabSize;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "output folder")
        Path out;

        @Option(names = "--overwrite", description = "replace a tokenizer.json / tokenizer_config.json already in --out")
        boolean overwrite;

        @Option(names = "--special", paramLabel = "TOKEN", split = ",",
                defaultValue = "<|begin_of_text|>,<|end_of_text|>,<|reserved_special_token_0|>,"
                        + "<|reserved_special_token_1|>,<|reserved_special_token_2|>,<|reserved_special_token_3|>,"
                        + "<|reserved_special_token_4|>,<|reserved_special_token_5|>",
                description = "special tokens, comma-separated; the first is the BOS, the second the EOS")
        List<String> special;

        @Override
        public Integer call() {
            try {
                long t0 = System.nanoTime();
                Options.refuseJsonlWithBundled(jsonl, "--data", data);
                Options.outputDirectory("--out", out);
                for (String name : new String[] {"tokenizer.json", "tokenizer_config.json"}) {
                    Options.refuseToReplace("--out", out.resolve(name), overwrite);
                }
                Readers.Result read = DataSources.read(data, jsonl);
                read.warnings().forEach(w -> System.err.println("minitron tokenizer train: warning: " + w));
                List<Document> docs = read.documents();
                BpeTrainer trainer = new BpeTrainer(vocabSize, special);
                long chars = 0;
                for (Document d : docs) {
                    trainer.add(d.text());
                    chars += d.text().length();
                }
                long t1 = System.nanoTime();
                BpeTrainer.Result result = trainer.train();
                long t2 = System.nanoTime();
                BpeTrainer.write(result, out);
                Tokenizer check = Tokenizer.load(out); // the file we wrote loads
                System.out.printf("documents %d, characters %d, pieces %d (%d distinct)%n", docs.size(), chars,
                        result.pieces(), result.distinctPieces());
                System.out.printf("vocabulary %d (%d model tokens, %d merges, %d special)%n", check.vocabSize(),
                        result.vocab().size(), result.merges().size(), result.specialTokens().size());
                if (result.totalVocabSize() < vocabSize) {
                    System.err.printf("minitron tokenizer train: warning: only %d tokens (asked %d): no pair left "
                            + "to merge%n", result.totalVocabSize(), vocabSize);
                }
                System.out.printf("time: read + pre-tokenize %.2f s, merges %.2f s%n", (t1 - t0) / 1e9, (t2 - t1) / 1e9);
                System.out.println("wrote " + out.resolve("tokenizer.json") + " and tokenizer_config.json");
                return 0;
            } catch (DataException | TokenizerException | IOException e) {
                System.err.println("minitron tokenizer train: " + e.getMessage());
                return 1;
            }
        }
    }
}
