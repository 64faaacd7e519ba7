package dev.jconv.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.Tensor;
import dev.jconv.testkit.Allocations;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How {@link Npy} reads: straight into the destination array in bounded chunks (a file costs about its array, not
 * three times it), from pipes as from files, and with header text escaped in messages.
 */
class NpyStreamingTest {
    @TempDir
    Path dir;

    @Test
    void aFileIsReadIntoItsArrayWithoutCopiesOfTheData() throws IOException {
        int n = 8 << 20; // 32 MiB of float32
        Tensor t = Tensor.randn(7, n);
        Path f = dir.resolve("big.npy");
        Npy.write(f, t);
        Tensor[] read = new Tensor[1];
        long allocated = Allocations.during(() -> {
            try {
                read[0] = Npy.read(f);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        assertArrayEquals(t.data(), read[0].data());
        long array = 4L * n;
        assertTrue(allocated < array + (1 << 20), "reading a " + array + "-byte array allocated " + allocated);
    }

    @Test
    void float64IsConvertedChunkByChunk() throws IOException {
        int n = 1 << 20;
        Tensor t = Tensor.randn(8, n);
        Path f = dir.resolve("f8.npy");
        Npy.write(f, t, Npy.Dtype.F8);
        long allocated = Allocations.during(() -> {
            try {
                assertArrayEquals(t.data(), Npy.read(f).data());
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        assertTrue(allocated < 4L * n + (1 << 20), "allocated " + allocated + " for a " + 4L * n + "-byte array");
    }

    @Test
    void aNamedPipeIsReadAsAStream() throws Exception {
        Path fifo = dir.resolve("pipe.npy");
        Process mkfifo;
        try {
            mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        } catch (IOException e) {
            Assumptions.abort("no mkfifo here: " + e.getMessage());
            return;
        }
        Assumptions.assumeTrue(mkfifo.waitFor(10, TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "mkfifo failed");
        Tensor t = Tensor.randn(3, 5, 7, 11);
        Path source = dir.resolve("source.npy");
        Npy.write(source, t);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try (OutputStream out = Files.newOutputStream(fifo)) {
                Files.copy(source, out);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertEquals(t, Npy.read(fifo));
        writer.get(10, TimeUnit.SECONDS);
    }

    @Test
    void headerTextIsEscapedInMessages() throws IOException {
        String hostile = "{'descr': '\u001b[2J\u001b]0;pwned\u0007', 'fortran_order': False, 'shape': (1,), }";
        Path f = Files.write(dir.resolve("ansi.npy"), NpyFiles.npy(1, hostile, new byte[4]));
        NpyFormatException e = assertThrows(NpyFormatException.class, () -> Npy.read(f));
        assertTrue(e.getMessage().contains("unsupported dtype '\\x1b[2J\\x1b]0;pwned\\x07'"), e.getMessage());
        assertTrue(e.getMessage().chars().allMatch(c -> c >= 0x20 && c < 0x7f), e.getMessage());
    }

    @Test
    void duplicateKeysTakeTheLastValueAsNumpyDoes() throws IOException {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3, 4), 'shape': (24,), }";
        Path f = Files.write(dir.resolve("dup.npy"), NpyFiles.npy(1, dict, new byte[96]));
        assertArrayEquals(new int[] {24}, Npy.read(f).shape());
    }

    @Test
    void nativeAndNotApplicableByteOrdersAndDoubleQuotesAreLittleEndianFloat32() throws IOException {
        byte[] data = NpyFuzzTest.ascii("\0\0\u0080?"); // 1.0f little-endian
        for (String dict : new String[] {"{'descr': '=f4', 'fortran_order': False, 'shape': (1,), }",
            "{'descr': '|f4', 'fortran_order': False, 'shape': (1,), }",
            "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (1,)}"}) {
            Path f = Files.write(dir.resolve("order.npy"), NpyFiles.npy(1, dict, data));
            assertArrayEquals(new float[] {1f}, Npy.read(f).data(), dict);
        }
    }

    @Test
    void aVersion3HeaderMustBeUtf8() throws IOException {
        byte[] header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } # \u00e9\n"
                .getBytes(StandardCharsets.ISO_8859_1);
        Path f = Files.write(dir.resolve("latin.npy"), NpyFiles.raw(3, header, new byte[4]));
        NpyFormatException e = assertThrows(NpyFormatException.class, () -> Npy.read(f));
        assertTrue(e.getMessage().contains("must be UTF-8"), e.getMessage());
    }
}
