package dev.jconv.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The one way jconv writes an output file ({@code .npy}, PNG/JPEG, CSV/JSON, reports), by what the path names:
 * <ul>
 *   <li>a regular file, or nothing yet: the content goes to a temporary file beside it, which is moved into place
 *       (atomically where the file system can) only once complete, so a failure leaves no partial file and an
 *       existing file untouched. An existing file keeps its permissions, and its owner and group where the process
 *       may set them (as root); a new file gets the usual ones (the umask's, not {@link Files#createTempFile}'s
 *       owner-only ones);</li>
 *   <li>a symbolic link: followed (as {@code numpy.save} follows it), and its target replaced as above, beside the
 *       target; the link stays a link;</li>
 *   <li>a device, FIFO or socket ({@code /dev/null}, {@code /dev/stdout}, a named pipe): written straight through,
 *       never replaced by a regular file; such a write is not atomic;</li>
 *   <li>a directory: refused.</li>
 * </ul>
 */
public final class AtomicWrite {
    /** Writes the content to the stream it is given. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Linux's own limit on links followed in one path lookup ({@code MAXSYMLINKS}). */
    private static final int MAX_LINKS = 40;

    private AtomicWrite() {}

    public static void write(Path file, Content content) throws IOException {
        if (writesThrough(file)) {
            // opened by its own name: the kernel follows links such as /dev/stdout -> /proc/self/fd/1 -> pipe:[...]
            try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.WRITE)) {
                content.writeTo(out);
            }
            return;
        }
        Path target = followLinks(file);
        if (Files.isDirectory(target)) {
            throw new FileSystemException(file.toString(), null, "it is a directory");
        }
        replace(target, content);
    }

    /**
     * Whether {@link #write} writes straight through to {@code file}: a device, FIFO or socket, here or at the end
     * of its links ({@code /dev/stdout} on a pipe). A command printing where its output went should then print it
     * to stderr, not into the stream it just wrote.
     */
    public static boolean writesThrough(Path file) {
        return Files.exists(file) && !Files.isRegularFile(file) && !Files.isDirectory(file);
    }

    public static void writeString(Path file, String text) throws IOException {
        write(file, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Fails before any work when {@code out} cannot be written: it (or the file its links lead to) is a directory,
     * or the directory it would go in does not exist. {@code what} names it in the message, e.g. {@code --output}.
     */
    public static void checkWritable(String what, Path out) throws IOException {
        if (writesThrough(out)) {
            return;
        }
        Path target = followLinks(out);
        if (Files.isDirectory(target)) {
            throw new IOException("cannot write " + what + " " + out + ": it is a directory");
        }
        Path dir = target.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IOException("cannot write " + what + " " + out + ": directory " + dir + " does not exist");
        }
    }

    /** The path with every symbolic link resolved, the last one possibly dangling (then it names the file to create). */
    static Path followLinks(Path file) throws IOException {
        Path p = file.toAbsolutePath();
        for (int i = 0; i < MAX_LINKS; i++) {
            if (!Files.isSymbolicLink(p)) {
                return p;
            }
            p = p.resolveSibling(Files.readSymbolicLink(p)).normalize();
        }
        throw new FileSystemException(file.toString(), null, "too many levels of symbolic links");
    }

    private static void replace(Path target, Content content) throws IOException {
        Path dir = target.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IOException("cannot write " + target + ": directory " + dir + " does not exist");
        }
        PosixFileAttributes existing = posixAttributes(target);
        Path tmp = null;
        OutputStream out = null;
        for (int attempt = 0; out == null; attempt++) {
            tmp = dir.resolve("." + target.getFileName() + "."
                    + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
            try {
                out = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException e) {
                if (attempt == 10) {
                    throw e;
                }
            }
        }
        try {
            try (OutputStream o = out) {
                if (existing != null) {
                    keepAttributes(tmp, existing); // before the content, so it is never readable more widely
                }
                content.writeTo(o);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static PosixFileAttributes posixAttributes(Path file) throws IOException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        return view == null ? null : view.readAttributes();
    }

    /** The old file's permissions always; its owner and group where this process may give them away. */
    private static void keepAttributes(Path tmp, PosixFileAttributes old) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(tmp, PosixFileAttributeView.class);
        try {
            view.setOwner(old.owner());
        } catch (IOException notAllowed) {
            // only root (CAP_CHOWN) may give a file away; others write files they own, as any editor does
        }
        try {
            view.setGroup(old.group());
        } catch (IOException notAllowed) {
            // a non-root owner may only choose among their own groups
        }
        view.setPermissions(old.permissions());
    }
}
