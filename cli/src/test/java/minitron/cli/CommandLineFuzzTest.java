package minitron.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Seeded random command lines for every command, made from the options picocli declares for it (so new options are
 * fuzzed as soon as they exist): a fast valid line of each command with one to three changes: an option set to an
 * odd value (0, -1, 2^31, 1e400, NaN, Infinity, empty, white space, non-ASCII, a missing path, a file where a folder
 * is expected and the reverse, a garbage file) or a valid one, removed, given twice, given as --name=value or without
 * its value, an unknown option, a stray argument, --help. Every line must end as the README's "Bad input" says: no
 * Throwable out of the command; exit code 0 or 1 (picocli's usage errors are mapped to 1, never its 2; 3 only for
 * train's documented divergence); no stack trace or exception class name on either stream and no control characters
 * on stderr; on failure a first "minitron COMMAND: ..." line (the command run, not another) that is more than one
 * word and not a raw JDK text ("Input length = 1", "For input string", Jackson's "MISSING"), no usage text on stdout;
 * on success no such error line; an empty file or folder name refused (it is the working directory); no files left
 * in the working directory, and no "minitron-*" temporaries left in java.io.tmpdir or the case's folder.
 *
 * <p>The benchmarks (and anything else that runs for seconds when valid) are kept short: their size options never
 * get a large valid value, options whose default means minutes of work are never removed, and gemm, gemv and decode
 * (whose shortest valid run is a 1.5 s warm-up or a model written to disk) always carry a value that must be refused.
 *
 * <p>A case is reproduced from its number: -Dfuzz.seed=S -Dfuzz.case=N. A longer search: -Dfuzz.cases=3000
 * -Dfuzz.seed=1 (-Dfuzz.verbose=true prints each line and its error, to read the messages).
 */
class CommandLineFuzzTest {
    /** Command lines in a run: about 4 s on two cores, 9 s beside another build (3,000: about 30 s). */
    static final int CASES = Integer.getInteger("fuzz.cases", 300);
    static final long SEED = Long.getLong("fuzz.seed", 0);
    static final Integer ONLY = Integer.getInteger("fuzz.case");
    /** -Dfuzz.verbose=true prints every line with its exit code and stderr's first "minitron" line, to read. */
    static final boolean VERBOSE = Boolean.getBoolean("fuzz.verbose");

    @TempDir
    static Path dir;

    static String tok, tokFile, model, text, jsonl, choice, imp, garbage, empty, emptyDir, unreadable, props, badProps;
    static String badModel, badEscapes;
    static String underFile, missing, spaceName, unicodeName;

    /** Odd values by the option's Java type; "large" ones only where a large valid value is not minutes of work. */
    static final String[] ODD_INTS = {"0", "-1", "2147483648", "-2147483649", "1e400", "NaN", "Infinity", "1.5", "0x10",
            "+2", "", " ", "\u00e9", "1_000", "99999999999999999999"};
    static final String[] LARGE_INTS = {"2147483647", "65536", "1000000"};
    static final String[] ODD_LONGS = {"0", "-1", "2147483648", "9223372036854775807", "9223372036854775808",
            "-9223372036854775809", "1e400", "NaN", "", " ", "\u00e9", "1.5"};
    static final String[] ODD_DOUBLES = {"0", "-1", "NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e-400",
            "2147483648", "1e308", "-0.0", "", " ", "\u00e9", "0x1p3", "1,5", "4.9e-324"};
    static final String[] ODD_STRINGS = {"", " ", "\t", "\u00e9\u6f22\u5b57\ud83d\ude42", "-1", "0", "NaN", "-", "--",
            "brown:", "brown:nosuch", ",", "x,y", "null"};

    @BeforeAll
    static void fixtures() throws IOException {
        Path t = Files.createDirectories(dir.resolve("tok"));
        TinyTokenizer.write(t);
        Files.writeString(t.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\", \"eos_token\": \"<s>\"}");
        tok = t.toString();
        tokFile = t.resolve("tokenizer.json").toString();
        Path m = dir.resolve("model");
        PruneCommandsTest.writeModel(m, 11); // 4 layers, hidden 16, 256 positions, vocabulary 258, with the tokenizer
        model = m.toString();
        StringBuilder s = new StringBuilder();
        String[] words = {"the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "far"};
        for (int i = 0; i < 1500; i++) s.append(words[(i * i + 3 * i) % words.length]).append(i % 17 == 0 ? ".\n" : " ");
        text = Files.writeString(dir.resolve("text.txt"), s).toString();
        StringBuilder j = new StringBuilder();
        for (String line : s.toString().split("\n")) j.append("{\"text\": \"").append(line).append("\"}\n");
        jsonl = Files.writeString(dir.resolve("text.jsonl"), j).toString();
        choice = Files.writeString(dir.resolve("choice.jsonl"), """
                {"context": "the cat", "choices": [" sat", " ran"], "gold": 0}
                {"context": "a dog", "choices": [" ran", " mat", " far"], "gold": 2}
                """).toString();
        byte[] bytes = new byte[400];
        new Random(3).nextBytes(bytes);
        garbage = Files.write(dir.resolve("garbage.bin"), bytes).toString();
        empty = Files.writeString(dir.resolve("empty.txt"), "").toString();
        emptyDir = Files.createDirectories(dir.resolve("emptydir")).toString();
        Path u = Files.writeString(dir.resolve("unreadable.txt"), "the cat sat");
        Files.setPosixFilePermissions(u, PosixFilePermissions.fromString("---------")); // root reads it anyway
        unreadable = u.toString();
        props = Files.writeString(dir.resolve("train.properties"), "seq=8\nbatch=2\nwarmup=0\nthreads=1\n").toString();
        badProps = Files.writeString(dir.resolve("bad.properties"), "nosuch=1\njsonl=maybe\n").toString();
        badEscapes = Files.writeString(dir.resolve("escapes.properties"), "seq=\\u12\n").toString();
        Path b = Files.createDirectories(dir.resolve("badmodel"));       // a model folder whose config.json is bytes
        Files.write(b.resolve("config.json"), bytes);
        badModel = b.toString();
        underFile = Path.of(text).resolve("x").toString();
        missing = dir.resolve("missing").resolve("x").toString();
        spaceName = dir.resolve(" ").toString();
        unicodeName = dir.resolve("\u00e9\u6f22\u5b57\ud83d\ude42").toString();
        Path i = dir.resolve("imp");
        String[] r = CliRun.run("importance", "--model", model, "--data", text, "--samples", "4", "--seq-len", "8",
                "--batch", "2", "--out", i.toString());
        assertEquals("0", r[0], r[2]);
        imp = i.toString();
    }

    /**
     * How a command is fuzzed: a fast valid line, more valid values per option, the options whose large values are
     * long work ({@code cost}), the ones never removed ({@code pinned}: their default is minutes of work or a folder in
     * the working directory), output options (odd values there are fresh paths of the case), and guards: option
     * values checked before any work, one of which every line carries (for commands with no fast valid run).
     */
    static final class Plan {
        final String command;
        final List<String[]> base = new ArrayList<>();
        final Map<String, List<String>> valid = new LinkedHashMap<>();
        final Set<String> cost = new LinkedHashSet<>(), pinned = new LinkedHashSet<>(), outputs = new LinkedHashSet<>();
        final List<String[]> guards = new ArrayList<>();

        Plan(String command) {
            this.command = command;
        }

        /** The valid line: option, value pairs (null: a flag). */
        Plan base(String... optionValues) {
            for (int i = 0; i < optionValues.length; i += 2) base.add(new String[] {optionValues[i], optionValues[i + 1]});
            return this;
        }

        Plan valid(String option, String... values) {
            valid.computeIfAbsent(option, k -> new ArrayList<>()).addAll(List.of(values));
            return this;
        }

        Plan cost(String... options) {
            cost.addAll(List.of(options));
            return this;
        }

        Plan pinned(String... options) {
            pinned.addAll(List.of(options));
            return this;
        }

        Plan outputs(String... options) {
            outputs.addAll(List.of(options));
            return this;
        }

        Plan guards(String... optionValues) {
            for (int i = 0; i < optionValues.length; i += 2) guards.add(new String[] {optionValues[i], optionValues[i + 1]});
            return this;
        }
    }

    /** "@OUT" and the other "@" names are paths of the case's own folder (see {@link #resolve}). */
    static Map<String, Plan> plans() {
        List<Plan> p = new ArrayList<>();
        p.add(new Plan("tokenize").base("--tokenizer", tokFile, "--text", "hi there")
                .valid("--tokenizer", tok, model).valid("--text", "hi", "\u00e9\u6f22\u5b57 hi", "")
                .valid("--file", text, garbage, empty, jsonl));
        p.add(new Plan("tokenizer train").base("--data", text, "--vocab-size", "270", "--out", "@OUT")
                .valid("--data", jsonl, emptyDir, choice).valid("--vocab-size", "256", "258", "300")
                .valid("--special", "<s>,</s>", "<s>", "<s>,<s>", "a,,b").outputs("--out"));
        p.add(new Plan("data brown").base("--source", emptyDir, "--out", "@OUT").valid("--source", text, model)
                .outputs("--out"));
        p.add(new Plan("data cache").base("--data", text, "--tokenizer", tok, "--out", "@OUTFILE")
                .valid("--data", jsonl, choice).valid("--tokenizer", tokFile, model).outputs("--out"));
        p.add(new Plan("logits").base("--model", model, "--ids", "1 2 3")
                .valid("--ids", "257", "1,2, 3", "0 257 1", "1 ".repeat(260), "258", "1,,2"));
        p.add(new Plan("generate").base("--model", model, "--prompt", "hi", "--max-new-tokens", "3", "--seed", "1")
                .valid("--prompt", "", "\u00e9\u6f22\u5b57", "the cat sat on the mat").valid("--tokenizer", tok, tokFile)
                .valid("--max-new-tokens", "0", "1").valid("--temperature", "0", "1", "2").valid("--top-p", "1", "0.5")
                .valid("--top-k", "1", "5").cost("--max-new-tokens"));
        p.add(new Plan("train").base("--model", "tiny", "--tokenizer", tok, "--data", text, "--seq", "8", "--batch", "2",
                        "--steps", "2", "--warmup", "0", "--eval-every", "1", "--eval-batches", "1", "--save-every", "1",
                        "--threads", "1", "--save-dtype", "f32", "--out", "@OUT")
                .valid("--model", model, model + "/config.json", "teacher", "nosuch")
                .valid("--data", jsonl).valid("--val-data", text, jsonl).valid("--config", props, badProps, badEscapes, garbage)
                .valid("--save-dtype", "bf16", "BF16", "f16").valid("--hidden", "64", "30").valid("--heads", "8", "3")
                .valid("--layers", "1").valid("--kv-heads", "1", "4").valid("--intermediate", "16")
                .valid("--lr", "1e-2", "1e300").valid("--min-lr", "0", "1").valid("--clip", "0").valid("--keep", "0", "1")
                .valid("--accum", "2").valid("--seed", "7").valid("--threads", "2")
                .cost("--steps", "--batch", "--accum", "--eval-batches", "--hidden", "--layers", "--heads", "--kv-heads",
                        "--intermediate", "--seq")
                .pinned("--out", "--data", "--steps", "--model").outputs("--out"));
        p.add(new Plan("train eval").base("--model", model, "--tokenizer", tok, "--data", text, "--eval", text, "--seq",
                        "8", "--batch", "2", "--threads", "1", "--cache", "@OUT")
                .valid("--eval", jsonl, "brown:nosuch").valid("--tokenizer", tokFile)
                .cost("--batch", "--seq").pinned("--cache", "--data").outputs("--cache"));
        p.add(new Plan("eval").base("--model", model, "--tasks", "ppl:" + text, "--limit", "2", "--max-context", "16")
                .valid("--tasks", "brown-cloze", "choice:" + choice, "ppl:" + text + ",brown-cloze", "ppl:" + jsonl,
                        "nosuch:" + text, "ppl:" + missing, "choice:" + garbage, "winogrande:" + text,
                        "hellaswag:" + jsonl, "mmlu:" + choice + "@" + choice, "gsm8k:" + jsonl, "ppl:", ",",
                        "choice:" + choice + ",choice:" + choice)
                .valid("--tokenizer", tok).valid("--shots", "1").valid("--max-context", "2", "256", "257")
                .valid("--batch", "4").valid("--max-gen-toks", "4")
                .valid("--build-brown-cloze", "@OUTFILE").outputs("--build-brown-cloze")
                .cost("--limit", "--max-gen-toks").pinned("--limit"));
        p.add(new Plan("importance").base("--model", model, "--data", text, "--samples", "2", "--seq-len", "8",
                        "--batch", "2", "--out", "@OUT")
                .valid("--data", jsonl).valid("--tokenizer", tok, tokFile)
                .valid("--aggregation", "mean-mean", "l2-l2", "l2-mean", "MEAN-L2", "mean", "l2-l2-l2")
                .cost("--samples", "--seq-len", "--batch").outputs("--out"));
        p.add(new Plan("prune").base("--model", model, "--importance", imp, "--hidden-size", "8", "--out", "@OUT")
                .valid("--hidden-size", "0.5", "12", "16", "17", "1.0", "0.0001")
                .valid("--intermediate-size", "12", "0.5").valid("--num-attention-heads", "2", "0.5", "3")
                .valid("--baseline", "random", "random-init").valid("--dtype", "F32", "bf16", "F16")
                .valid("--data", text).valid("--depth", "1", "3", "4").valid("--metric", "bi", "task", "loss")
                .valid("--block-sizes", "1", "1,2", "0", "5", "1,x").valid("--task", "choice:" + choice)
                .valid("--task-limit", "2").valid("--samples", "2").valid("--seq-len", "8").valid("--batch", "2")
                .cost("--task-limit", "--samples", "--seq-len", "--batch").outputs("--out"));
        p.add(new Plan("bench gemm").base("--n", "8", "--repeats", "1", "--warmup", "0", "--threads", "1")
                .valid("--dtype", "bf16", "F16").cost("--n", "--repeats", "--warmup", "--threads")
                .guards("--n", "0", "--n", "-3", "--repeats", "0", "--warmup", "-1", "--threads", "0", "--threads",
                        "4096", "--dtype", "f64"));
        p.add(new Plan("bench gemv").base("--rows", "8", "--cols", "8", "--rounds", "1", "--threads", "1")
                .valid("--dtype", "f32", "F16").cost("--rows", "--cols", "--rounds", "--threads")
                .guards("--rows", "0", "--cols", "-1", "--rounds", "0", "--threads", "0", "--threads", "4096",
                        "--dtype", "i8"));
        p.add(new Plan("bench decode").base("--layers", "1", "--prompt-tokens", "2", "--decode-tokens", "1",
                        "--threads", "1", "--dir", "@DIR")
                .valid("--model", model).valid("--keep", "@OUT").valid("--preset", "llama-3.1-8b")
                .cost("--layers", "--prompt-tokens", "--decode-tokens", "--threads").pinned("--dir")
                .outputs("--dir", "--keep")
                .guards("--layers", "-1", "--prompt-tokens", "0", "--decode-tokens", "0", "--decode-tokens", "-5",
                        "--threads", "0", "--threads", "100000"));
        p.add(new Plan("bench train").base("--model", "tiny", "--batch", "1", "--seq", "2", "--steps", "1", "--warmup",
                        "0", "--threads", "1")
                .valid("--seq", "3", "128", "129").valid("--model", model, model + "/config.json", "nosuch")
                .cost("--batch", "--seq", "--steps", "--warmup", "--threads")
                .pinned("--model", "--batch", "--steps", "--warmup"));
        Map<String, Plan> byName = new TreeMap<>();
        for (Plan plan : p) byName.put(plan.command, plan);
        return byName;
    }

    /** Every command picocli knows, by its name after "minitron " ("" for the root), with its CommandLine. */
    static Map<String, CommandLine> commands() {
        Map<String, CommandLine> all = new TreeMap<>();
        collect(Main.commandLine(), all);
        return all;
    }

    private static void collect(CommandLine c, Map<String, CommandLine> all) {
        if (c.getCommandSpec().userObject() instanceof CommandLine.HelpCommand) return;
        all.put(c.getCommandSpec().qualifiedName().replaceFirst("^minitron ?", ""), c);
        for (CommandLine sub : c.getSubcommands().values()) collect(sub, all);
    }

    /** The commands that run (the others only hold subcommands). */
    private static boolean runs(CommandLine c) {
        return c.getCommandSpec().userObject() instanceof Callable;
    }

    @Test
    void everyCommandThatRunsHasAPlan() {
        Set<String> running = new TreeSet<>();
        commands().forEach((name, c) -> {
            if (runs(c)) running.add(name);
        });
        assertEquals(running, plans().keySet(), "a new command needs a fast valid line here");
        for (Plan plan : plans().values()) {
            CommandLine c = commands().get(plan.command);
            List<String[]> named = new ArrayList<>(plan.base);
            named.addAll(plan.guards);
            for (String option : plan.valid.keySet()) named.add(new String[] {option});
            for (String option : plan.cost) named.add(new String[] {option});
            for (String option : plan.pinned) named.add(new String[] {option});
            for (String[] o : named) {
                assertTrue(c.getCommandSpec().findOption(o[0]) != null, plan.command + " has no option " + o[0]);
            }
        }
    }

    @Test
    void commandLinesEndInOneErrorOrSuccess() throws IOException {
        Map<String, CommandLine> commands = commands();
        Map<String, Plan> plans = plans();
        List<String> names = new ArrayList<>(commands.keySet());
        Set<String> cwd = listing(Path.of(""));
        Set<String> tmpBefore = temporaries(Path.of(System.getProperty("java.io.tmpdir")));
        Map<String, int[]> outcomes = new TreeMap<>();   // command -> {exit 0, exit 1, other}
        long slowestMs = 0, start = System.nanoTime();
        String slowest = "";
        List<String> failures = new ArrayList<>();
        int from = ONLY != null ? ONLY : 0, to = ONLY != null ? ONLY + 1 : CASES;
        for (int n = from; n < to; n++) {
            Random random = new Random(SEED * 1_000_003L + n);
            String name = names.get(random.nextInt(names.size()));
            CommandLine command = commands.get(name);
            Plan plan = plans.getOrDefault(name, new Plan(name));
            Path caseDir = Files.createDirectories(dir.resolve("case-" + n));
            Files.createDirectories(caseDir.resolve("full"));
            Files.writeString(caseDir.resolve("full").resolve("a.txt"), "a user's file");
            Files.createDirectories(caseDir.resolve("emptydir"));
            Files.writeString(caseDir.resolve("file.txt"), "a user's file");
            Line line = line(command, plan, random);
            String[] args = line.render(name, caseDir);
            String shown = shell(args) + "   [fuzz.seed=" + SEED + ", fuzz.case=" + n + "]";
            long t0 = System.nanoTime();
            String[] r = null;
            try {
                try {
                    r = CliRun.run(args);
                } catch (Throwable e) {
                    throw new AssertionError("escaped the command: " + e + "\n" + shown, e);
                }
                if (VERBOSE) {
                    System.out.println("[" + r[0] + "] " + shown + "\n    " + r[2].lines()
                            .filter(l -> l.startsWith("minitron")).findFirst().orElse("").replace("\n", " "));
                }
                check(name, line, args, r, shown);
                Set<String> cwdAfter = listing(Path.of(""));
                if (!cwdAfter.equals(cwd)) {
                    Set<String> added = new TreeSet<>(cwdAfter);
                    added.removeAll(cwd);
                    cwd = cwdAfter;
                    fail("wrote " + added + " into the working directory: " + shown);
                }
                Set<String> left = temporaries(Path.of(System.getProperty("java.io.tmpdir")));
                left.removeAll(tmpBefore);
                left.addAll(temporaries(caseDir));
                assertTrue(left.isEmpty(), "left temporaries " + left + ": " + shown);
            } catch (AssertionError e) {
                failures.add(e.getMessage());
                System.out.println("FAILED: " + e.getMessage());
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (ms > slowestMs) {
                slowestMs = ms;
                slowest = shown;
            }
            String code = r == null ? "none" : r[0];
            outcomes.computeIfAbsent(name.isEmpty() ? "(minitron)" : name, k -> new int[3])[
                    code.equals("0") ? 0 : code.equals("1") ? 1 : 2]++;
            deleteTree(caseDir);
        }
        int ok = outcomes.values().stream().mapToInt(o -> o[0]).sum();
        int refused = outcomes.values().stream().mapToInt(o -> o[1]).sum();
        StringBuilder summary = new StringBuilder(String.format("%d command lines (seed %d) in %.1f s: %d ran, %d "
                + "refused; slowest %d ms: %s%n", to - from, SEED, (System.nanoTime() - start) / 1e9, ok, refused,
                slowestMs, slowest));
        outcomes.forEach((k, v) -> summary.append(String.format("  %-16s %4d ran %4d refused %4d other%n", k, v[0],
                v[1], v[2])));
        System.out.print(summary);
        if (!failures.isEmpty()) {
            fail(failures.size() + " of " + (to - from) + " command lines failed:\n" + String.join("\n\n",
                    failures.subList(0, Math.min(10, failures.size()))));
        }
        if (ONLY == null && CASES >= 100) {
            // worth something only if it reaches both ends: runs that work and lines that are refused
            assertTrue(ok >= CASES / 20 && refused >= CASES / 2, summary.toString());
        }
    }

    /** A command line being built: options in order, each "--name" with its value (null: none, a flag). */
    static final class Line {
        final List<String[]> options = new ArrayList<>();   // {name, value or null, "=" for --name=value}
        final List<String> trailing = new ArrayList<>();     // unknown options, stray arguments, an option without value
        String guard;                                        // the option that must be refused (bench gemm/gemv/decode)
        boolean help, emptyPath;

        String[] render(String name, Path caseDir) {
            List<String> args = new ArrayList<>(name.isEmpty() ? List.of() : List.of(name.split(" ")));
            for (String[] o : options) {
                String value = o[1] == null ? null : resolve(o[1], caseDir);
                if (value == null) {
                    args.add(o[0]);
                } else if (o.length > 2) {
                    args.add(o[0] + "=" + value);
                } else {
                    args.add(o[0]);
                    args.add(value);
                }
            }
            args.addAll(trailing);
            return args.toArray(String[]::new);
        }
    }

    /** Paths of the case's folder: a new one, white space and non-ASCII names, a non-empty folder, a file, ... */
    static String resolve(String value, Path caseDir) {
        return switch (value) {
            case "@OUT" -> caseDir.resolve("out").toString();
            case "@OUTFILE" -> caseDir.resolve("out.bin").toString();
            case "@DIR" -> caseDir.toString();
            case "@NESTED" -> caseDir.resolve("a").resolve("b").resolve("c").toString();
            case "@SPACE" -> caseDir.resolve(" ").toString();
            case "@UNICODE" -> caseDir.resolve("\u00e9\u6f22\u5b57\ud83d\ude42").toString();
            case "@FULL" -> caseDir.resolve("full").toString();
            case "@EMPTYDIR" -> caseDir.resolve("emptydir").toString();
            case "@FILE" -> caseDir.resolve("file.txt").toString();
            case "@UNDERFILE" -> caseDir.resolve("file.txt").resolve("x").toString();
            default -> value;
        };
    }

    static Line line(CommandLine command, Plan plan, Random random) {
        Line line = new Line();
        for (String[] o : plan.base) line.options.add(o.clone());
        if (!plan.guards.isEmpty()) {
            String[] g = plan.guards.get(random.nextInt(plan.guards.size()));
            line.guard = g[0];
            line.options.removeIf(o -> o[0].equals(g[0]));
            line.options.add(random.nextInt(line.options.size() + 1), g.clone());
        }
        List<OptionSpec> options = new ArrayList<>();
        for (OptionSpec o : command.getCommandSpec().options()) {
            if (!o.usageHelp() && !o.versionHelp() && !o.longestName().equals(line.guard)) options.add(o);
        }
        int changes = random.nextInt(8) == 0 ? 0 : 1 + random.nextInt(3);
        for (int k = 0; k < changes; k++) {
            int kind = random.nextInt(100);
            List<String[]> movable = line.options.stream().filter(o -> !o[0].equals(line.guard)).toList();
            if (kind < 45 && !options.isEmpty()) {                      // an option set to an odd or a valid value
                OptionSpec o = options.get(random.nextInt(options.size()));
                String value = o.arity().max() == 0 ? flagValue(random) : value(plan, o, random);
                line.options.removeIf(x -> x[0].equals(o.longestName()));
                String[] set = o.arity().max() == 0 && value != null ? new String[] {o.longestName(), value, "="}
                        : new String[] {o.longestName(), value};
                line.options.add(random.nextInt(line.options.size() + 1), set);
            } else if (kind < 58 && !movable.isEmpty()) {               // an option removed
                String[] o = movable.get(random.nextInt(movable.size()));
                if (!plan.pinned.contains(o[0])) line.options.remove(o);
            } else if (kind < 68 && !movable.isEmpty()) {               // an option given twice
                String[] o = movable.get(random.nextInt(movable.size()));
                OptionSpec spec = command.getCommandSpec().findOption(o[0]);
                String value = o[1] == null || spec.arity().max() == 0 || random.nextBoolean() ? o[1]
                        : value(plan, spec, random);
                line.options.add(new String[] {o[0], value});
            } else if (kind < 76) {                                     // an unknown option or a stray argument
                String[] unknown = {"--no-such-option", "-Z", "stray", "--", "-", "--model=", "---seq", "--SEQ",
                        "\u00e9", "@" + garbage};
                line.trailing.add(unknown[random.nextInt(unknown.length)]);
            } else if (kind < 82 && !options.isEmpty()) {               // an option without its value, last
                OptionSpec o = options.get(random.nextInt(options.size()));
                if (o.arity().min() > 0) line.trailing.add(o.longestName());
            } else if (kind < 90 && !movable.isEmpty()) {               // --name=value
                String[] o = movable.get(random.nextInt(movable.size()));
                if (o[1] != null) {
                    line.options.remove(o);
                    line.options.add(new String[] {o[0], o[1], "="});
                }
            } else if (kind < 93) {                                     // help or version
                String[] help = {"--help", "-h", "--version", "-V"};
                line.trailing.add(help[random.nextInt(help.length)]);
                line.help = true;
            } else if (!options.isEmpty()) {                            // an option set to a valid value
                OptionSpec o = options.get(random.nextInt(options.size()));
                List<String> valid = plan.valid.get(o.longestName());
                if (valid != null) {
                    line.options.removeIf(x -> x[0].equals(o.longestName()));
                    line.options.add(new String[] {o.longestName(), valid.get(random.nextInt(valid.size()))});
                }
            }
        }
        for (String[] o : line.options) {
            OptionSpec spec = command.getCommandSpec().findOption(o[0]);
            if ("".equals(o[1]) && (spec.type() == Path.class || spec.paramLabel().matches(".*(FILE|DIR).*"))) {
                line.emptyPath = true;      // the working directory: refused, never read or written
            }
        }
        return line;
    }

    /** A flag as given: present, or with a value picocli may or may not take. */
    static String flagValue(Random random) {
        return random.nextInt(4) > 0 ? null : new String[] {"true", "false", "maybe", ""}[random.nextInt(4)];
    }

    /** A value for the option: one of its valid ones, or an odd one of its type. */
    static String value(Plan plan, OptionSpec o, Random random) {
        String name = o.longestName();
        List<String> valid = new ArrayList<>(plan.valid.getOrDefault(name, List.of()));
        plan.base.stream().filter(b -> b[0].equals(name) && b[1] != null).forEach(b -> valid.add(b[1]));
        if (!valid.isEmpty() && random.nextInt(3) == 0) return valid.get(random.nextInt(valid.size()));
        Class<?> type = o.type();
        if (plan.outputs.contains(name)) {
            String[] outs = {"@OUT", "@NESTED", "@SPACE", "@UNICODE", "@FULL", "@EMPTYDIR", "@FILE", "@UNDERFILE", ""};
            return outs[random.nextInt(outs.length)];
        }
        if (type == int.class || type == Integer.class) {
            List<String> ints = new ArrayList<>(List.of(ODD_INTS));
            if (!plan.cost.contains(name)) ints.addAll(List.of(LARGE_INTS));
            return ints.get(random.nextInt(ints.size()));
        }
        if (type == long.class || type == Long.class) return ODD_LONGS[random.nextInt(ODD_LONGS.length)];
        if (type == double.class || type == Double.class) return ODD_DOUBLES[random.nextInt(ODD_DOUBLES.length)];
        List<String> paths = List.of("", missing, spaceName, unicodeName, text, emptyDir, model, tok, garbage, empty,
                unreadable, underFile, badModel);
        if (type == Path.class) return paths.get(random.nextInt(paths.size()));
        if (type == String.class || type == List.class) {
            List<String> strings = new ArrayList<>(List.of(ODD_STRINGS));
            strings.addAll(paths);
            return strings.get(random.nextInt(strings.size()));
        }
        throw new AssertionError(plan.command + " " + name + ": no odd values for " + type);
    }

    /** Stack-trace lines, exception class names, or a JDK message standing for the error. */
    static final Pattern TRACE = Pattern.compile("(?m)^\\s+at [\\w$.<>/]+\\(|Exception|Caused by:|^\\s*\\.\\.\\. \\d+ more");
    static final Pattern CONTROL = Pattern.compile("[\\p{Cntrl}&&[^\\n\\t]]");
    static final Pattern RAW_MESSAGE = Pattern.compile("^null$|: null$|For input string|Cannot invoke |because \""
            + "|Index -?\\d+ out of bounds|/ by zero|Input length = \\d|Malformed input|^Malformed \\\\uxxxx|\\bMISSING\\b");

    static void check(String name, Line line, String[] args, String[] r, String shown) {
        int code = Integer.parseInt(r[0]);
        String out = r[1], err = r[2];
        String prefix = name.isEmpty() ? "minitron: " : "minitron " + name + ": ";
        String context = "\n" + shown + "\nexit " + code + "\nstdout: " + abbreviate(out) + "\nstderr: " + abbreviate(err);
        if (TRACE.matcher(err).find() || TRACE.matcher(out).find()) fail("a stack trace or an exception's name" + context);
        if (CONTROL.matcher(err).find()) fail("control characters on stderr (they garble a terminal)" + context);
        boolean diverged = code == 3 && name.equals("train");
        if (code != 0 && code != 1 && !diverged) fail("exit code " + code + " (expected 0 or 1)" + context);
        if (line.guard != null && !line.help && code != 1) fail("ran with " + line.guard + " out of range" + context);
        if (line.emptyPath && !line.help && code != 1) fail("ran with an empty file or folder name" + context);
        List<String> named = err.lines().filter(l -> l.startsWith("minitron")).toList();
        for (String l : named) {
            if (!l.startsWith(prefix)) fail("a line that names another command: " + l + context);
        }
        List<String> errors = named.stream().filter(l -> !l.startsWith(prefix + "warning: ")).toList();
        if (code == 0) {
            if (!errors.isEmpty()) fail("an error line, yet exit code 0" + context);
            return;
        }
        if (errors.isEmpty()) fail("exit code " + code + " without a \"" + prefix + "...\" line" + context);
        String message = errors.get(0).substring(prefix.length()).strip();
        if (message.isEmpty()) fail("an empty error" + context);
        if (!message.contains(" ")) fail("a one-word error (a bare path or name says nothing of what was expected)" + context);
        if (RAW_MESSAGE.matcher(message).find()) fail("a raw JDK message as the error" + context);
        for (String a : args) {
            if (!a.isBlank() && (message.equals(a) || message.equals(a + ": " + a))) {
                fail("the error is only the value " + a + context);
            }
        }
        if (out.contains("Usage:") || out.contains(prefix)) fail("usage text or the error on stdout" + context);
    }

    static String abbreviate(String s) {
        return s.length() <= 2000 ? s : s.substring(0, 1000) + "\n...\n" + s.substring(s.length() - 1000);
    }

    static String shell(String[] args) {
        StringBuilder sb = new StringBuilder("minitron");
        for (String a : args) {
            sb.append(' ').append(a.matches("[\\w@%+=:,./-]+") ? a : "'" + a.replace("'", "'\\''") + "'");
        }
        return sb.toString();
    }

    static Set<String> listing(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder.toAbsolutePath())) {
            return new TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
        }
    }

    static Set<String> temporaries(Path folder) throws IOException {
        Set<String> found = new TreeSet<>();
        for (String n : listing(folder)) if (n.startsWith("minitron-")) found.add(folder.resolve(n).toString());
        return found;
    }

    static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                p.toFile().setWritable(true);
                Files.deleteIfExists(p);
            }
        }
    }

}
