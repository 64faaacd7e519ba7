package dev.jconv.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicWriteTest {
    @TempDir
    Path dir;

    @Test
    void writtenFilesGetTheUsualPermissionsNotOwnerOnly() throws IOException {
        Assumptions.assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"),
                "POSIX permissions only");
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
