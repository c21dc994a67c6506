package minitron.cli;

import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Text in and out as UTF-8 whatever the locale, as Python's UTF-8 mode does for HF users (PEP 538, 540). Under a
 * C or POSIX locale the JVM reads the command line and writes text as ASCII: "café" would reach the tokenizer as
 * "caf??" and generated text would print as "?". So, when the platform's encoding is not UTF-8, the arguments are
 * read again from the raw bytes the kernel keeps ({@code /proc/self/cmdline}, Linux) and stdout and stderr write
 * UTF-8.
 */
final class Utf8Console {
    /** Carries the arguments, as Base64 of their UTF-8 bytes, to the child JVM of a relaunch (see {@link Main}). */
    static final String ARGS_VARIABLE = "MINITRON_ARGS_UTF8";

    private Utf8Console() {
    }

    static boolean platformIsUtf8() {
        String jnu = System.getProperty("sun.jnu.encoding", System.getProperty("native.encoding", "UTF-8"));
        return Charset.isSupported(jnu) && Charset.forName(jnu).equals(StandardCharsets.UTF_8);
    }

    /** The arguments as the user typed them: from a relaunching parent, else re-read as UTF-8 if need be. */
    static String[] arguments(String[] args) {
        String carried = System.getenv(ARGS_VARIABLE);
        if (carried != null && System.getenv(Main.RELAUNCHED) != null) {   // set by our parent JVM, never by a user
            try {
                return decodeCarried(carried);
            } catch (RuntimeException e) {
                return args;   // not ours after all: keep what the JVM read
            }
        }
        if (platformIsUtf8() || args.length == 0) return args;
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc/self/cmdline"));
            List<String> all = new ArrayList<>();
            int start = 0;
            for (int i = 0; i < raw.length; i++) {
                if (raw[i] == 0) {
                    all.add(new String(raw, start, i - start, StandardCharsets.UTF_8));
                    start = i + 1;
                }
            }
            if (all.size() < args.length) return args;
            // the program's arguments are the last ones: everything before them is the JVM's
            return all.subList(all.size() - args.length, all.size()).toArray(String[]::new);
        } catch (IOException | RuntimeException e) {
            return args; // not Linux: keep what the JVM read
        }
    }

    /** The value of {@link #ARGS_VARIABLE} for arguments to pass to a child JVM. */
    static String carry(String[] args) {
        StringBuilder sb = new StringBuilder().append(args.length).append(':'); // the count: no arguments vs one ""
        for (int i = 0; i < args.length; i++) {
            if (i > 0) sb.append(',');
            sb.append(Base64.getEncoder().encodeToString(args[i].getBytes(StandardCharsets.UTF_8)));
        }
        return sb.toString();
    }

    static String[] decodeCarried(String carried) {
        int colon = carried.indexOf(':');
        if (Integer.parseInt(carried.substring(0, colon)) == 0) return new String[0];
        String[] parts = carried.substring(colon + 1).split(",", -1);
        String[] out = new String[parts.length];
        for (int i = 0; i < parts.length; i++) out[i] = new String(Base64.getDecoder().decode(parts[i]), StandardCharsets.UTF_8);
        return out;
    }

    /** stdout and stderr in UTF-8 when the platform's encoding is something else. */
    static void useUtf8Output() {
        if (platformIsUtf8()) return;
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8));
    }
}
