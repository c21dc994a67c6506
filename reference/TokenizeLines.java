// Encodes many strings with Minitron-J's tokenizer in one JVM, for reference/fuzz_tokenizer.mjs.
//
//   export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
//   $JAVA_HOME/bin/java --add-modules jdk.incubator.vector -cp cli/target/minitron.jar \
//       reference/TokenizeLines.java TOKENIZER IN.jsonl OUT.jsonl
//
// IN.jsonl holds one JSON object {"text": "..."} a line (other fields are ignored). OUT.jsonl gets one line per input
// line, in order:
//   {"ids": [...], "special": [...], "decoded": "...", "bytes_ok": true, "stream_ok": true}
// ids = encode(text) (no BOS), special = encode(text, addBosToken()) (the counterpart of HF's
// add_special_tokens=True: Llama 3.1 adds BOS, GPT-4o's files add nothing although they name a bos_token),
// decoded = decode(ids, false), bytes_ok = decodeBytes(ids, false) equals the UTF-8 bytes of text, stream_ok = the
// streaming decoder fed one id at a time (plus finish()) gives decoded. An exception while encoding gives
// {"error": "..."} for that line instead.
//
// With IN.jsonl and OUT.jsonl both "-", lines are read from stdin and each answer is written to stdout and flushed
// at once (the fuzzer keeps one such process open while it minimizes a mismatch).

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron.transformer.tokenizer.StreamingDecoder;
import minitron.transformer.tokenizer.Tokenizer;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

public class TokenizeLines {
    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: java -cp cli/target/minitron.jar reference/TokenizeLines.java TOKENIZER IN.jsonl OUT.jsonl"
                    + " (IN and OUT both \"-\": stdin to stdout, one line at a time)");
            System.exit(2);
        }
        Tokenizer tokenizer = Tokenizer.load(Path.of(args[0]));
        boolean addBos = tokenizer.addBosToken() && tokenizer.bosId().isPresent();
        boolean interactive = args[1].equals("-");
        ObjectMapper mapper = new ObjectMapper();
        long start = System.nanoTime();
        int count = 0;
        try (BufferedReader in = interactive
                ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                : Files.newBufferedReader(Path.of(args[1]), StandardCharsets.UTF_8);
             Writer out = interactive
                ? new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8))
                : Files.newBufferedWriter(Path.of(args[2]), StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isEmpty()) continue;
                String text = mapper.readTree(line).get("text").asText();
                ObjectNode result = mapper.createObjectNode();
                try {
                    int[] ids = tokenizer.encode(text);
                    ArrayNode idsNode = result.putArray("ids");
                    for (int id : ids) idsNode.add(id);
                    // what HF's encode(text, add_special_tokens=True) gives: BOS first when the files ask for one
                    ArrayNode specialNode = result.putArray("special");
                    for (int id : tokenizer.encode(text, addBos)) specialNode.add(id);
                    String decoded = tokenizer.decode(ids, false);
                    result.put("decoded", decoded);
                    result.put("bytes_ok", Arrays.equals(tokenizer.decodeBytes(ids, false),
                            text.getBytes(StandardCharsets.UTF_8)));
                    StreamingDecoder stream = tokenizer.streamingDecoder(false);
                    StringBuilder streamed = new StringBuilder();
                    for (int id : ids) streamed.append(stream.next(id));
                    streamed.append(stream.finish());
                    result.put("stream_ok", streamed.toString().equals(decoded));
                } catch (RuntimeException e) {
                    result.removeAll();
                    result.put("error", e.toString());
                }
                out.write(mapper.writeValueAsString(result));
                out.write('\n');
                if (interactive) out.flush();
                count++;
            }
        }
        if (!interactive) {
            System.err.printf("TokenizeLines: %d strings in %.1f s (after loading)%n", count,
                    (System.nanoTime() - start) / 1e9);
        }
    }
}
