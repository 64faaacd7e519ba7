package dev.jconv.io;

import java.io.IOException;
import java.nio.file.Path;

/** A {@code .npy} file that is not what it claims to be; the message names the file and the problem. */
public class NpyFormatException extends IOException {
    private static final long serialVersionUID = 1L;
    private final String problem;

    public NpyFormatException(Path file, String problem) {
        this(file.toString(), problem);
    }

    /** For a stream: {@code name} is what the user called it, e.g. {@code -} for stdin. */
    public NpyFormatException(String name, String problem) {
        super(name + ": " + problem);
        this.problem = problem;
    }

    public String problem() {
        return problem;
    }
}
