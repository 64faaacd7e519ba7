package dev.jconv.io;

import java.io.IOException;
import java.nio.file.Path;

/** A {@code .safetensors} or {@code .npz} file that is not what it claims to be; the message names the file. */
public class StateDictFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public StateDictFormatException(Path file, String problem) {
        super(file + ": " + problem);
    }
}
