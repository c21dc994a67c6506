package minitron.cli;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import minitron.compress.CompressException;
import minitron.eval.EvalException;
import minitron.tensor.Backends;
import minitron.transformer.data.DataException;
import minitron.transformer.train.TrainingException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code minitron} command: one subcommand per step of the workflow. */
@Command(name = "minitron", mixinStandardHelpOptions = true, version = "minitron 0.1.0",
        description = "Pure-Java Llama/Mistral tensors, autograd and the Minitron compression recipe.",
        subcommands = {CommandLine.HelpCommand.class, TokenizeCommand.class, TokenizerCommand.class, DataCommand.class,
                LogitsCommand.class, GenerateCommand.class, TrainCommand.class, EvalCommand.class,
                ImportanceCommand.class, PruneCommand.class, BenchCommand.class})
public final class Main implements Runnable {
    /** Set in the child JVM of a relaunch, so that it never relaunches again. */
    static final String RELAUNCHED = "MINITRON_RELAUNCHED";

    public static void main(String[] commandLineArgs) {
        String[] args = Utf8Console.arguments(commandLineArgs);
        Utf8Console.useUtf8Output();
        if (Backends.vector() == null && System.getenv(RELAUNCHED) == null) {
            Integer code = relaunchWithVectorModule(args);
            if (code != null) System.exit(code);
        }
        if (Backends.vector() == null) {
            System.err.println("minitron: warning: " + Backends.vectorUnavailableReason() + "; using the slow scalar backend");
        }
        System.exit(reportingMemory(() -> commandLine().execute(args)));
    }

    /**
     * Runs a command; running out of Java heap is one line that says how to give the JVM more, not a stack trace.
     * (The heap is the JVM's default, a quarter of the RAM, unless -Xmx says otherwise; mapped weights are not in it.)
     */
    static int reportingMemory(IntSupplier command) {
        try {
            return command.getAsInt();
        } catch (OutOfMemoryError e) {
            System.err.printf("minitron: out of Java heap memory (%s; the heap may grow to %.1f GB): give the JVM more "
                    + "with MINITRON_JAVA_OPTS=-Xmx<size> ./minitron ... or java -Xmx<size> -jar minitron.jar ...%n",
                    e.getMessage(), Runtime.getRuntime().maxMemory() / 1e9);
            return 1;
        }
    }

    /**
     * {@code java -jar minitron.jar} starts without the incubator module that the Vector API needs, and a jar
     * manifest cannot add it. Start the same jar again in a child JVM with the flags, passing through the
     * terminal and the exit code. Returns null when that is not possible (not run from a jar).
     */
    private static Integer relaunchWithVectorModule(String[] args) {
        try {
            File jar = new File(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            String java = ProcessHandle.current().info().command().orElse(null);
            if (!jar.isFile() || java == null) return null;
            List<String> command = new ArrayList<>();
            command.add(java);
            command.add("--add-modules");
            command.add("jdk.incubator.vector");
            command.add("--enable-native-access=ALL-UNNAMED");
            command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
            command.add("-jar");
            command.add(jar.getPath());
            command.addAll(List.of(args));
            ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
            pb.environment().put(RELAUNCHED, "1");
            pb.environment().put(Utf8Console.ARGS_VARIABLE, Utf8Console.carry(args)); // exact, whatever the locale
            return pb.start().waitFor();
        } catch (Exception e) {
            return null;
        }
    }

    /** The configured command line: every subcommand, and one-line reports of bad input. */
    static CommandLine commandLine() {
        CommandLine root = new CommandLine(new Main());
        withVersion(root, root.getCommandSpec().version());   // each subcommand's --version prints it too
        return oneLineErrors(root);
    }

    private static void withVersion(CommandLine commandLine, String[] version) {
        for (CommandLine sub : commandLine.getSubcommands().values()) {
            sub.getCommandSpec().version(version);
            withVersion(sub, version);
        }
    }

    /**
     * Reports bad input as one line with exit code 1, both at parse time and from a running command. Arguments are
     * taken as typed: picocli's @FILE expansion is off, since it replaced a value such as --text @note with the words
     * of a file "note" when one happened to exist (and put a binary file's bytes into the error).
     */
    static CommandLine oneLineErrors(CommandLine commandLine) {
        return commandLine.setExpandAtFiles(false)
                .setExecutionExceptionHandler(Main::reportUserError)
                .setParameterExceptionHandler(Main::reportParseError)
                .setExecutionStrategy(Main::refuseEmptyPaths);
    }

    /**
     * An empty value of a file or folder option (a Path, or a FILE|DIR|brown:SPLIT data source) is refused before
     * the command runs, as a parse error: the empty path is the working directory, so --out "$UNSET" wrote into it
     * and --data "" read every file under it as text.
     */
    private static int refuseEmptyPaths(CommandLine.ParseResult parseResult) {
        for (CommandLine.ParseResult r = parseResult; r != null; r = r.subcommand()) {
            for (CommandLine.Model.OptionSpec o : r.matchedOptions()) {
                String label = o.paramLabel();
                boolean path = o.type() == Path.class || label.contains("FILE") || label.contains("DIR");
                if (path && o.originalStringValues().contains("")) {
                    throw new CommandLine.ParameterException(r.commandSpec().commandLine(), o.longestName()
                            + ": expected " + label + ", found an empty value (which would be the working directory)");
                }
            }
        }
        return new CommandLine.RunLast().execute(parseResult);
    }

    /**
     * A value picocli cannot convert, an unknown or missing option: one line naming the command and pointing to
     * --help, instead of picocli's error followed by the whole usage text (and exit code 2).
     */
    /** picocli's message for an option of an exclusive group given twice: "expected only one match but got ...". */
    private static final Pattern GROUP_GIVEN_TWICE =
            Pattern.compile("expected only one match but got \\((.*?)\\)=\\{(.*?)\\} and \\(.*?\\)=\\{(.*?)\\}");

    private static int reportParseError(CommandLine.ParameterException e, String[] args) {
        CommandLine commandLine = e.getCommandLine();
        String command = commandLine.getCommandSpec().qualifiedName();
        String message = e.getMessage().strip().replace("\n", " ");
        if (message.startsWith("Error: ")) message = message.substring("Error: ".length()); // picocli's group errors
        Matcher twice = GROUP_GIVEN_TWICE.matcher(message);
        if (twice.matches()) {
            message = "expected one of " + twice.group(1) + ", found " + twice.group(2) + " and " + twice.group(3);
        }
        if (message.startsWith("Missing required subcommand")) {
            message = "expected a subcommand (" + String.join(", ", commandLine.getSubcommands().keySet()) + ")";
        }
        commandLine.getErr().println(command + ": " + message + " (see " + command + " --help)");
        return 1;
    }

    /**
     * Bad input that reaches a command without being caught there (an option out of range, a shape the kernels
     * refuse, a file that does not parse) is reported as one line naming the command, with exit code 1; anything
     * else is a bug and keeps its stack trace.
     */
    private static int reportUserError(Exception e, CommandLine commandLine, CommandLine.ParseResult parseResult)
            throws Exception {
        boolean userError = e instanceof IllegalArgumentException || e instanceof UncheckedIOException
                || e instanceof IOException || e instanceof DataException
                || e instanceof TrainingException || e instanceof EvalException
                || e instanceof CompressException;
        if (!userError) throw e;
        commandLine.getErr().println(commandLine.getCommandSpec().qualifiedName() + ": " + e.getMessage());
        return 1;
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
