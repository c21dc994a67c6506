package minitron.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Callable;
import minitron.transformer.config.GenerationConfig;
import minitron.transformer.generate.Generator;
import minitron.transformer.generate.Sampler;
import minitron.transformer.model.LlamaModel;
import minitron.transformer.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code minitron generate}: text from a prompt, streamed as it is produced, then the speed. */
@Command(name = "generate", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Generates text after a prompt with a KV cache (weights used in place from the memory-mapped "
                + "checkpoint), printing it as it comes, then prefill and decode tokens/s (on stderr).",
                "Sampling as HF generate: temperature, then top-k, then top-p; --temperature 0 is greedy (--top-p, "
                + "--top-k and --seed are then ignored, with a warning, as HF does). Stops at an "
                + "eos_token_id of generation_config.json, as HF generate does (else config.json's, else the "
                + "tokenizer's EOS) or after --max-new-tokens.",
                "Errors: one message on stderr, exit code 1."})
public final class GenerateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "HF model directory (config.json, "
            + "safetensors, and tokenizer.json unless --tokenizer)")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "FILE|DIR",
            description = "tokenizer.json or its folder (default: the --model folder's)")
    Path tokenizer;

    @Option(names = "--prompt", required = true, paramLabel = "S", description = "the prompt text (BOS added when "
            + "tokenizer_config.json says add_bos_token)")
    String prompt;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "64", description = "at most this many new tokens")
    int maxNewTokens;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0.6", description = "softmax temperature; 0 = greedy")
    double temperature;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "0.9", description = "nucleus sampling mass in (0, 1]; 1 = off")
    double topP;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "0", description = "keep the K most probable tokens; 0 = off")
    int topK;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "random seed (same seed, same text)")
    long seed;

    @Override
    public Integer call() {
        try {
            Options.atLeast("--temperature", temperature, 0.0);
            Options.atLeast("--top-k", topK, 0);
            if (!(topP > 0 && topP <= 1)) {
                throw new IllegalArgumentException("--top-p: expected a value in (0, 1], found " + topP);
            }
            Sampler sampler = new Sampler(new Sampler.Settings(temperature, topK, topP, seed));
            if (sampler.settings().greedy()) {
                // HF's generate warns, and goes on, when do_sample=False comes with temperature, top_p or top_k
                Options.warnUnused(spec, "generate", "sampling (--temperature > 0)", "--temperature 0 (greedy decoding)",
                        "--top-p", "--top-k", "--seed");
            }
            Options.atLeast("--max-new-tokens", maxNewTokens, 0);
            Path tokenizerPath = tokenizer != null ? tokenizer : model.resolve("tokenizer.json");
            if (tokenizer == null && Files.isDirectory(model) && !Files.exists(tokenizerPath)) {
                throw new IllegalArgumentException(model + ": no tokenizer.json in the model directory (give one with --tokenizer)");
            }
            try (LlamaModel m = Options.loadModel("generate", model)) {
                Tokenizer tok = Tokenizer.load(tokenizerPath);
                boolean bos = tok.addBosToken() && tok.bosId().isPresent();
                int[] ids = tok.encode(prompt, bos);
                if (ids.length == 0) throw new IllegalArgumentException("--prompt: the prompt encodes to no tokens");
                int vocab = m.config.vocabSize();
                for (int id : ids) {
                    if (id >= vocab) {
                        throw new IllegalArgumentException("--prompt: " + tokenizerPath + " encodes it to id " + id
                                + ", outside the model's vocabulary (vocab_size " + vocab + " in " + model.resolve("config.json")
                                + "): the tokenizer does not belong to the model");
                    }
                }
                if (vocab > tok.vocabSize()) {
                    System.err.println("minitron generate: warning: the model's vocab_size " + vocab + " is larger than "
                            + tokenizerPath + "'s " + tok.vocabSize() + " ids; sampled ids past them print nothing, as "
                            + "in HF's decode");
                }
                // HF generates past max_position_embeddings too (RoPE has no table to run out of); say so, but go on
                long positions = (long) ids.length + maxNewTokens;
                if (positions > m.config.maxPositionEmbeddings()) {
                    System.err.println("minitron generate: warning: " + tokens(ids.length) + " of prompt + --max-new-tokens "
                            + maxNewTokens + " can reach " + positions + " positions, past max_position_embeddings "
                            + m.config.maxPositionEmbeddings() + " of the config; the model was not trained on those");
                }
                Set<Integer> eos = GenerationConfig.stopIds(model, m.config, tok.eosId());
                Generator.Result r = new Generator(m).generateText(tok, ids, maxNewTokens, sampler, eos, piece -> {
                    System.out.print(piece);
                    System.out.flush();
                });
                System.out.println();
                String decode = r.ids().length == 0 ? "decode: none (no new tokens)"
                        : r.decodeTokens() == 0 ? "decode: none (the first new token comes from the prefill)"
                        : String.format("decode: %s in %.2f s, %.2f tokens/s", tokens(r.decodeTokens()),
                                r.decodeNanos() / 1e9, r.decodeTokensPerSecond());
                System.err.printf("prefill: %s in %.2f s, %.2f tokens/s; %s; stop: %s%n", tokens(r.promptTokens()),
                        r.prefillNanos() / 1e9, r.prefillTokensPerSecond(), decode,
                        r.stop() == Generator.Stop.EOS ? "eos" : "max-new-tokens");
            }
            return 0;
        } catch (RuntimeException e) {
            System.err.println("minitron generate: " + e.getMessage());
            return 1;
        }
    }

    private static String tokens(int n) {
        return n == 1 ? "1 token" : n + " tokens";
    }
}
