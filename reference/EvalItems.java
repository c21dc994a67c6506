// Per-item log-likelihoods of `minitron eval`'s multiple-choice tasks, for reference/check_lm_eval.py, which
// compares them with lm-eval-harness's logged samples (`log_samples=True`, each request's `resps`).
//
//   export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
//   $JAVA_HOME/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
//       -cp cli/target/minitron.jar reference/EvalItems.java MODEL_DIR TASKS [SHOTS [bos]] > OUT.jsonl
//
// TASKS is `minitron eval --tasks`'s list (multiple-choice tasks only: winogrande, hellaswag, arc_easy, piqa, ...).
// The model, tokenizer and items are those of `minitron eval --model MODEL_DIR --tasks TASKS --shots SHOTS`
// (Evaluator.choiceItems, MultipleChoice.evaluate, 16 items a call); a fourth argument `bos` is `--add-bos`.
// One stdout line per item, in file order:
//   {"task": NAME, "index": i, "gold": g, "contexts": [...], "continuations": [...], "lls": [...]}
// then one line per task {"task": NAME, "metrics": {acc, acc_norm, ...}} (MultipleChoice.Result).
// `EvalItems.java --capitalize` instead reads JSON strings, one a line, and prints Tasks.pythonCapitalize of each.
// gsm8k: {"task", "index", "prompt", "response"} per item (Generation.evaluate, greedy, lm-eval's stop strings,
// 256 new tokens at most), then its metrics line (exact_match,strict-match and exact_match,flexible-extract).

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron.eval.ChoiceItem;
import minitron.eval.Evaluator;
import minitron.eval.Generation;
import minitron.eval.LlamaCausalLm;
import minitron.eval.MultipleChoice;
import minitron.eval.Tasks;
import minitron.eval.TokenEncoder;
import minitron.transformer.model.LlamaModel;
import minitron.transformer.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

public class EvalItems {
    public static void main(String[] args) throws Exception {
        if (args[0].equals("--capitalize")) {
            ObjectMapper m = new ObjectMapper();
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8));
            var out = new java.io.PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false,
                    StandardCharsets.UTF_8);
            for (String line; (line = in.readLine()) != null; ) {
                out.println(m.writeValueAsString(Tasks.pythonCapitalize(m.readValue(line, String.class))));
            }
            out.flush();
            return;
        }
        Path dir = Path.of(args[0]);
        int shots = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        boolean addBos = args.length > 3 && args[3].equals("bos");
        ObjectMapper json = new ObjectMapper();
        try (LlamaModel model = LlamaModel.load(dir, LlamaModel.Mode.INFERENCE,
                warning -> System.err.println("EvalItems: warning: " + warning))) {
            LlamaCausalLm lm = new LlamaCausalLm(model);
            TokenEncoder encoder = TokenEncoder.of(Tokenizer.load(dir.resolve("tokenizer.json")));
            Evaluator evaluator = new Evaluator(lm, encoder,
                    new Evaluator.Settings(null, shots, 1234, false, addBos, 16, 256));
            for (Evaluator.Spec spec : Evaluator.parse(args[1])) {
                if (spec.name().equals("gsm8k")) {
                    List<Generation.Item> gen = evaluator.gsm8kItems(spec);
                    Generation.Result g = Generation.evaluate(lm, encoder, gen, Generation.GSM8K_UNTIL, 256, addBos);
                    for (int i = 0; i < gen.size(); i++) {
                        ObjectNode o = json.createObjectNode();
                        o.put("task", spec.name());
                        o.put("index", i);
                        o.put("prompt", gen.get(i).prompt());
                        o.put("response", g.responses().get(i));
                        System.out.println(json.writeValueAsString(o));
                    }
                    ObjectNode m = json.createObjectNode();
                    m.put("task", spec.name());
                    ObjectNode metrics = m.putObject("metrics");
                    metrics.put("exact_match,strict-match", g.strictMatch());
                    metrics.put("exact_match,flexible-extract", g.flexibleMatch());
                    metrics.put("items", g.items());
                    System.out.println(json.writeValueAsString(m));
                    continue;
                }
                List<ChoiceItem> items = evaluator.choiceItems(spec);
                MultipleChoice.Result r = MultipleChoice.evaluate(lm, encoder, items,
                        new MultipleChoice.Options(addBos, 16));
                for (int i = 0; i < items.size(); i++) {
                    ObjectNode o = json.createObjectNode();
                    o.put("task", spec.name());
                    o.put("index", i);
                    o.put("gold", items.get(i).gold());
                    ArrayNode ctx = o.putArray("contexts");
                    ArrayNode cont = o.putArray("continuations");
                    for (ChoiceItem.Choice c : items.get(i).choices()) {
                        ctx.add(c.context());
                        cont.add(c.continuation());
                    }
                    ArrayNode lls = o.putArray("lls");
                    for (double v : r.loglikelihoods().get(i)) lls.add(v);
                    System.out.println(json.writeValueAsString(o));
                }
                ObjectNode m = json.createObjectNode();
                m.put("task", spec.name());
                ObjectNode metrics = m.putObject("metrics");
                metrics.put("acc", r.acc());
                metrics.put("acc_norm", r.accNorm());
                metrics.put("items", r.items());
                System.out.println(json.writeValueAsString(m));
            }
        }
    }
}
