package minitron.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import minitron.compress.Aggregation;
import minitron.compress.Calibration;
import minitron.compress.ImportanceEstimator;
import minitron.compress.ImportanceScores;
import minitron.transformer.model.LlamaModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code minitron importance}: activation-based importance of heads, MLP neurons and embedding channels. */
@Command(name = "importance", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Estimates Minitron width importance from forward passes over a calibration set (docs/prune.md).",
                "heads (input of o_proj), MLP neurons (input of down_proj), embedding channels (outputs of every "
                        + "input_layernorm and post_attention_layernorm).",
                "Writes importance.json, importance.safetensors and heads/neurons/embedding.png into --out."})
public final class ImportanceCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "HF model directory")
    Path model;

    @Option(names = "--data", required = true, paramLabel = "FILE|brown:SPLIT",
            description = "calibration text: a file or folder, or a bundled Brown split (brown:pretrain-val, ...)")
    String data;

    @Option(names = "--jsonl", description = "--data FILE is JSONL with a \"text\" field per line")
    boolean jsonl;

    @Option(names = "--tokenizer", paramLabel = "FILE|DIR", description = "tokenizer.json or its folder (default: the "
            + "model folder's); at most the model's vocab_size tokens")
    Path tokenizer;

    @Option(names = "--samples", paramLabel = "N", defaultValue = "1024", description = "calibration rows (the paper: 1024)")
    int samples;

    @Option(names = "--seq-len", paramLabel = "T", defaultValue = "256", description = "tokens per row")
    int seqLen;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "8", description = "rows per forward")
    int batch;

    @Option(names = "--aggregation", paramLabel = "SEQ-BATCH", defaultValue = "mean-l2",
            description = "over the sequence then the batch: mean-l2 (the paper's), mean-mean, l2-l2, l2-mean")
    String aggregation;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output directory (new or empty)")
    Path out;

    @Option(names = "--overwrite", description = "write into a non-empty --out, replacing files of the same names")
    boolean overwrite;

    @Override
    public Integer call() {
        try (LlamaModel llama = Options.loadModel("importance", model)) {
            Aggregation agg = Aggregation.parse(aggregation);
            Options.refuseJsonlWithBundled(jsonl, "--data", data);
            Options.outputDirectory("--out", out);
            Options.refuseNonEmpty("--out", out, overwrite);
            Options.atLeast("--seq-len", seqLen, 1);
            Options.atMost("--seq-len", seqLen, llama.config.maxPositionEmbeddings(), "the model's max_position_embeddings");
            Path tokenizerFile = EvalCommand.tokenizerFile(tokenizer, model);
            EvalCommand.loadTokenizer(tokenizerFile, model, llama.config.vocabSize());       // its ids must fit the embedding table
            Calibration calibration = Calibration.read(data, jsonl, tokenizerFile, seqLen, samples, batch);
            System.err.printf("calibration: %d rows x %d tokens (%d tokens) in batches of %d%n", calibration.samples(),
                    calibration.seqLen(), calibration.tokens(), calibration.batchSize());
            ImportanceScores scores = ImportanceEstimator.estimate(llama, calibration, agg);
            scores.save(out);
            System.out.printf("importance (%s) of %s: %d tokens in %.1f s (%.0f tokens/s) -> %s%n", agg.label(), model,
                    calibration.tokens(), scores.seconds(), calibration.tokens() / scores.seconds(), out);
            return 0;
        } catch (RuntimeException | IOException e) {
            System.err.println("minitron importance: " + e.getMessage());
            return 1;
        }
    }
}
