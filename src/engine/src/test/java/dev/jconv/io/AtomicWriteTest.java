package dev.jconv.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.nio.file.LinkOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The output-file rules of {@link AtomicWrite}: regular files replaced atomically keeping permissions and owner,
 * links followed, special files (FIFOs, devices) written through and never replaced, directories refused.
 */
class AtomicWriteTest {
    @TempDir
    Path dir;

    @Test
    void aReplacedFileKeepsItsPermissionsOwnerAndGroup() throws IOException {
        assumePosix();
        Path f = dir.resolve("private.npy");
        Files.writeString(f, "old");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        UserPrincipalLookupService users = f.getFileSystem().getUserPrincipalLookupService();
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) { // give it away as another user's file, which only root can
            Files.setOwner(f, users.lookupPrincipalByName("nobody"));
            Files.getFileAttributeView(f, PosixFileAttributeView.class)
                    .setGroup(users.lookupPrincipalByGroupName("nogroup"));
        }
        PosixFileAttributes before = Files.readAttributes(f, PosixFileAttributes.class);
        Npy.write(f, Tensor.zeros(2, 2));
        PosixFileAttributes after = Files.readAttributes(f, PosixFileAttributes.class);
        assertEquals(PosixFilePermissions.toString(before.permissions()), PosixFilePermissions.toString(after.permissions()));
        assertEquals(before.owner(), after.owner());
        assertEquals(before.group(), after.group());
        assertEquals(Tensor.zeros(2, 2), Npy.read(f));
        System.out.println("AtomicWriteTest: owner kept as " + after.owner() + (root ? " (given away as root)" : ""));
    }

    @Test
    void aSymlinkIsFollowedAndItsTargetReplacedBesideIt() throws IOException {
        Path realDir = Files.createDirectory(dir.resolve("real"));
        Path target = Files.writeString(realDir.resolve("y.npy"), "old");
        Path link = Files.createSymbolicLink(dir.resolve("link.npy"), Path.of("real", "y.npy"));
        Npy.write(link, Tensor.randn(3, 3));
        assertTrue(Files.isSymbolicLink(link), "the link stays a link");
        assertEquals(Tensor.randn(3, 3), Npy.read(target));
        try (var files = Files.list(realDir)) {
            assertEquals(List.of(target), files.toList(), "no temporary file left beside the target");
        }
    }

    @Test
    void aDanglingSymlinkCreatesItsTarget() throws IOException {
        Path link = Files.createSymbolicLink(dir.resolve("dangling.npy"), dir.resolve("new.npy"));
        Npy.write(link, Tensor.randn(2, 2));
        assertTrue(Files.isSymbolicLink(link));
        assertEquals(Tensor.randn(2, 2), Npy.read(dir.resolve("new.npy")));
    }

    @Test
    void aFifoIsWrittenThroughNotReplaced() throws Exception {
        Path fifo = mkfifo("out.fifo");
        CompletableFuture<byte[]> reader = CompletableFuture.supplyAsync(() -> {
            try {
                return Files.readAllBytes(fifo);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        AtomicWrite.writeString(fifo, "through the pipe");
        assertEquals("through the pipe", new String(reader.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
        assertTrue(Files.readAttributes(fifo, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther(),
                "still a FIFO");
    }

    @Test
    void aLinkToDevNullWritesToTheDeviceAndLeavesItADevice() throws IOException {
        Path devNull = Path.of("/dev/null");
        Assumptions.assumeTrue(Files.exists(devNull) && !Files.isRegularFile(devNull), "no /dev/null here");
        Path link = Files.createSymbolicLink(dir.resolve("null.npy"), devNull);
        Npy.write(link, Tensor.randn(4, 4));
        assertTrue(Files.isSymbolicLink(link));
        assertFalse(Files.isRegularFile(devNull), "/dev/null is still a device");
        assertEquals(0, Files.size(devNull));
    }

    @Test
    void aDirectoryIsRefused() throws IOException {
        Path sub = Files.createDirectory(dir.resolve("sub"));
        assertThrows(IOException.class, () -> AtomicWrite.writeString(sub, "x"));
        assertTrue(Files.isDirectory(sub));
        Path link = Files.createSymbolicLink(dir.resolve("sublink"), sub);
        IOException e = assertThrows(IOException.class, () -> AtomicWrite.checkWritable("--output", link));
        assertTrue(e.getMessage().endsWith("it is a directory"), e.getMessage());
    }

    private Path mkfifo(String name) throws Exception {
        Path fifo = dir.resolve(name);
        Process p;
        try {
            p = new ProcessBuilder("mkfifo", fifo.toString()).start();
        } catch (IOException e) {
            Assumptions.abort("no mkfifo here");
            return null;
        }
        Assumptions.assumeTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "mkfifo failed");
        return fifo;
    }

    private void assumePosix() {
        Assumptions.assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"),
                "POSIX permissions only");
    }

    @Test
    void writtenFilesGetTheUsualPermissionsNotOwnerOnly() throws IOException {
        assumePosix();
        Path npy = dir.resolve("y.npy");
        Npy.write(npy, Tensor.zeros(2, 2));
        Path plain = dir.resolve("fresh.txt");
        Files.writeString(plain, "x");
        Set<PosixFilePermission> usual = Files.getPosixFilePermissions(plain);
        assertEquals(usual, Files.getPosixFilePermissions(npy), "same as any new file under this umask");
        assertTrue(usual.contains(PosixFilePermission.OWNER_WRITE));
    }

    @Test
    void failingContentLeavesNoFileAndAnExistingOneUntouched() throws IOException {
        Path f = dir.resolve("keep.txt");
        Files.writeString(f, "old");
        assertThrows(IOException.class, () -> AtomicWrite.write(f, out -> {
            out.write(1);
            throw new IOException("disk full");
        }));
        assertEquals("old", Files.readString(f));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }
}
