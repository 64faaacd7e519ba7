package dev.jconv.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jconv.Shapes;
import dev.jconv.Tensor;
import dev.jconv.testkit.Allocations;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A seeded fuzzer over hostile {@code .npy} files: every file either reads (to a tensor whose data matches its
 * shape) or fails with an {@link NpyFormatException} naming it, never another exception, and never allocates much
 * more than the file itself holds. Each file is read twice: from a file (size known) and as a stream (size unknown,
 * like a pipe). The families: a valid file cut at every offset, lying header lengths, giant, negative and odd
 * dimensions, every dtype spelling, and headers of random mutations and garbage.
 *
 * <p>The seed is fixed so a failure replays; set {@code -Djconv.fuzz.seed=N} to explore further.
 */
class NpyFuzzTest {
    static final int MINIMUM_FILES = 500;
    /** Beyond the file's own bytes and the reader's chunk: a bound no honest read of these small files reaches. */
    private static final long ALLOCATION_SLACK = 4L << 20;

    @TempDir
    Path dir;

    @Test
    void everyHostileFileReadsOrFailsNamingItself() {
        long seed = Long.getLong("jconv.fuzz.seed", 20261201L);
        List<byte[]> files = hostileFiles(new Random(seed));
        assertTrue(files.size() >= MINIMUM_FILES, files.size() + " files");
        // a hang guard, not a speed claim: the whole corpus takes well under a second when nothing loops
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int i = 0; i < files.size(); i++) {
                check("fuzz-" + seed + "-" + i + ".npy", files.get(i));
            }
        });
        System.out.println("NpyFuzzTest: " + files.size() + " hostile files, seed " + seed);
    }

    private void check(String name, byte[] bytes) throws IOException {
        Path file = Files.write(dir.resolve(name), bytes);
        long fromFile = Allocations.during(() -> outcome(name, file.toString(), () -> Npy.read(file)));
        long fromStream = Allocations.during(() -> outcome(name, name,
                () -> Npy.read(new ByteArrayInputStream(bytes), name)));
        long bound = 3L * bytes.length + ALLOCATION_SLACK;
        assertTrue(fromFile < bound && fromStream < bound, name + ": reading " + bytes.length + " bytes allocated "
                + fromFile + " (file) and " + fromStream + " (stream)");
        Files.delete(file);
    }

    private interface Read {
        Tensor read() throws IOException;
    }

    private static void outcome(String name, String shownName, Read read) {
        try {
            Tensor t = read.read();
            assertEquals(Shapes.elements(t.shape()), t.data().length, name + ": data length");
        } catch (NpyFormatException e) {
            assertTrue(e.getMessage().startsWith(shownName + ": "), name + ": must name the file: " + e.getMessage());
            assertTrue(e.getMessage().chars().allMatch(c -> c >= 0x20 && c < 0x7f),
                    name + ": message must be printable: " + e.getMessage());
        } catch (IOException | RuntimeException | OutOfMemoryError e) {
            fail(name + ": " + e, e);
        }
    }

    // ---- the corpus ----

    static final String[] DESCRS = {"<f4", ">f4", "=f4", "|f4", "f4", "f", "float32", "single", "<f8", ">f8", "=f8",
        "d", "float", "double", "float64", "<f2", "<i4", "|u1", "|b1", "<c8", "|O", "<U3", "<M8[s]", "V4", "<f16",
        "(2,)f4", "", " <f4", "F4", "<f4\u00e9"};

    static List<byte[]> hostileFiles(Random random) {
        List<byte[]> files = new ArrayList<>();
        byte[] valid = NpyFiles.npy(1, header("<f4", "(2, 3)"), floats(6));
        byte[] valid3 = NpyFiles.npy(3, header("<f8", "(3,)"), new byte[24]);
        for (int cut = 0; cut < valid.length; cut++) { // truncation at every offset
            files.add(java.util.Arrays.copyOf(valid, cut));
        }
        for (int cut = 0; cut < valid3.length; cut += 3) {
            files.add(java.util.Arrays.copyOf(valid3, cut));
        }
        for (long length : new long[] {0, 1, 9, 10, 63, 64, 65, 117, 118, 119, 10_000, 10_001, 40_000, 40_001, 65_535,
            0x7fffffffL, 0xffffffffL}) { // lying header lengths, both length-field widths
            for (int major : new int[] {1, 2, 3}) {
                if (major == 1 && length > 0xffff) {
                    continue;
                }
                byte[] f = valid.clone();
                if (major != 1) {
                    f = NpyFiles.npy(major, header("<f4", "(2, 3)"), floats(6));
                    ByteBuffer.wrap(f, 8, 4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) length);
                } else {
                    ByteBuffer.wrap(f, 8, 2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) length);
                }
                files.add(f);
            }
        }
        String[] shapes = {"()", "(0,)", "(-1,)", "(2, -3)", "(2147483647,)", "(2147483648,)", "(2147483639,)",
            "(46341, 46341)", "(65536, 65536, 0)", "(99999999999999999999,)", "(1, 1, 1, 1, 1, 1, 1, 1, 6)",
            "(600000000,)", "(20000, 20000)", "(3, 2)", "(6,)", "(True, 6)", "(1L, 6)", "(0x6,)", "(2,3)",
            "(2.0, 3)", "((2, 3),)", "[2, 3]", "(None,)", "(-0, 5)", "(+6,)", "(1_2,)"};
        for (String shape : shapes) { // giant, negative and odd dimensions, with a little or the right data
            files.add(NpyFiles.npy(1, header("<f4", shape), floats(6)));
            files.add(NpyFiles.npy(2, header("<f8", shape), new byte[random.nextInt(64)]));
        }
        for (String descr : DESCRS) { // every dtype spelling, with and without enough data
            files.add(NpyFiles.npy(3, header(descr, "(2, 3)"), new byte[48]));
            files.add(NpyFiles.npy(1, header(descr.replace("\u00e9", ""), "(2, 3)"), new byte[random.nextInt(48)]));
        }
        String good = header("<f4", "(2, 3)");
        String alphabet = "{}()[],:'\"\\ \t\n\r#xLj0123456789_+-.eETrueFalseNone\u0000\u001b\u00e9\u0093";
        for (int i = 0; i < 300; i++) { // mutated headers
            StringBuilder h = new StringBuilder(good);
            for (int edits = 1 + random.nextInt(4); edits > 0; edits--) {
                int at = random.nextInt(h.length() + 1);
                switch (random.nextInt(3)) {
                    case 0 -> h.insert(at, alphabet.charAt(random.nextInt(alphabet.length())));
                    case 1 -> {
                        if (at < h.length()) {
                            h.deleteCharAt(at);
                        }
                    }
                    default -> {
                        int from = random.nextInt(h.length() + 1);
                        h.insert(at, h.substring(Math.min(from, at), Math.max(from, at)));
                    }
                }
            }
            int major = 1 + random.nextInt(3);
            files.add(NpyFiles.npy(major, h.toString(), floats(random.nextInt(8))));
        }
        for (int i = 0; i < 60; i++) { // garbage: random header bytes, random versions, random tails
            byte[] header = new byte[random.nextInt(200)];
            random.nextBytes(header);
            byte[] f = NpyFiles.raw(1 + random.nextInt(3), header, new byte[random.nextInt(32)]);
            if (random.nextInt(4) == 0) {
                f[6] = (byte) random.nextInt(256);
                f[7] = (byte) random.nextInt(3);
            }
            files.add(f);
        }
        for (int i = 0; i < 20; i++) { // not .npy at all
            byte[] f = new byte[random.nextInt(100)];
            random.nextBytes(f);
            files.add(f);
        }
        return files;
    }

    private static String header(String descr, String shape) {
        return "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    }

    private static byte[] floats(int n) {
        ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat(i * 0.5f - 1);
        }
        return b.array();
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
