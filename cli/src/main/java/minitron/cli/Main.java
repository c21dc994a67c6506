package minitron.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code minitron} command: one subcommand per step of the workflow. */
@Command(name = "minitron", mixinStandardHelpOptions = true, version = "minitron 0.1.0",
        description = "Pure-Java Llama/Mistral tensors, autograd and the Minitron compression recipe.",
        subcommands = {CommandLine.HelpCommand.class, BenchCommand.class})
public final class Main implements Runnable {
    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
