package minitron.transformer.io;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;

/** The words of an I/O error for a message that already names the file. */
public final class IoErrors {
    private IoErrors() {
    }

    /**
     * Why {@code e} happened, without its class name or the path it repeats: "Not a directory", "Is a directory",
     * "permission denied", "expected UTF-8 text, found other bytes"; for other errors their message.
     */
    public static String reason(IOException e) {
        if (e instanceof CharacterCodingException) return "expected UTF-8 text, found other bytes"; // "Input length = 1"
        if (e instanceof FileSystemException f && f.getReason() != null) return f.getReason();
        if (e instanceof AccessDeniedException) return "permission denied";
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
