package dev.jconv.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import dev.jconv.Tensor;
import dev.jconv.testkit.Allocations;
import dev.jconv.testkit.Fixtures;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Npy} against files numpy wrote ({@code fixtures/npy/}, made by the fixture generator) and against
 * broken files built here. Every rejected file is named in the error, and nothing the header claims is
 * allocated before the file is known to hold it.
 */
class NpyTest {
    @TempDir
    Path dir;

    // ---- round trips and numpy compatibility ----

    @Test
    void float32RoundTripsBitwiseIncludingSpecialValues() throws IOException {
        float[] special = {0f, -0f, 1.5f, -2.25f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                Float.MIN_VALUE, Float.MAX_VALUE, -Float.MIN_NORMAL, Float.intBitsToFloat(0x7fc00123), 1e-30f};
        Tensor t = Tensor.of(special, 3, 4);
        Path f = dir.resolve("special.npy");
        Npy.write(f, t);
        Tensor back = Npy.read(f);
        assertArrayEquals(t.shape(), back.shape());
        for (int i = 0; i < special.length; i++) {
            assertEquals(Float.floatToRawIntBits(special[i]), Float.floatToRawIntBits(back.data()[i]), "element " + i);
        }
    }

    @Test
    void manyShapesRoundTrip() throws IOException {
        int[][] shapes = {{2, 3, 4}, {5}, {}, {0, 3}, {1, 1, 1, 1}, {3, 1, 65}, {2, 0, 7, 7}, {1, 3, 28, 28}};
        int seed = 1;
        for (int[] shape : shapes) {
            Tensor t = Tensor.randn(seed++, shape);
            Path f = dir.resolve("t" + seed + ".npy");
            Npy.write(f, t);
            assertEquals(t, Npy.read(f), "shape " + Arrays.toString(shape));
        }
    }

    @Test
    void float64WritesAndReadsBackAsTheSameFloat32() throws IOException {
        Tensor t = Tensor.randn(9, 2, 5, 3);
        Path f = dir.resolve("f8.npy");
        Npy.write(f, t, Npy.Dtype.F8);
        assertEquals(10 + headerLength(f) + 8L * 30, Files.size(f));
        assertTrue(header(f).contains("'descr': '<f8'"), header(f));
        assertEquals(t, Npy.read(f));
    }

    /** What Npy.write produces is byte for byte what numpy.save writes for the same array. */
    @ParameterizedTest
    @ValueSource(strings = {"v1_f4.npy", "vector_f4.npy", "scalar_f4.npy", "empty_f4.npy"})
    void writesTheSameBytesAsNumpy(String name) throws IOException {
        byte[] numpy = resourceBytes(name);
        Tensor t = Npy.read(copyOut(name));
        Path ours = dir.resolve("ours-" + name);
        Npy.write(ours, t);
        assertArrayEquals(numpy, Files.readAllBytes(ours), "bytes of " + name + "; ours: " + header(ours));
        assertArrayEquals(numpy, Npy.toBytes(t), "toBytes of " + name);
    }

    @Test
    void writtenHeaderIsVersion1AlignedTo64Bytes() throws IOException {
        Path f = dir.resolve("h.npy");
        Npy.write(f, Tensor.zeros(2, 3, 4));
        byte[] b = Files.readAllBytes(f);
        assertArrayEquals(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}, Arrays.copyOf(b, 8));
        int len = headerLength(f);
        assertEquals(0, (10 + len) % 64);
        assertEquals('\n', b[10 + len - 1]);
        assertTrue(header(f).startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }"), header(f));
    }

    @ParameterizedTest
    @ValueSource(strings = {"v1_f4.npy", "v2_f4.npy", "v3_f4.npy", "v1_f8.npy", "v2_f8.npy"})
    void readsNumpyFilesOfEveryHeaderVersionAndBothFloatTypes(String name) throws IOException {
        Tensor t = Npy.read(copyOut(name));
        assertArrayEquals(new int[] {2, 3, 4}, t.shape());
        List<JsonElement> expected = Fixtures.json("npy/npy.json").getAsJsonArray("values_2x3x4").asList();
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i).getAsFloat(), t.data()[i], 0f, name + " element " + i);
        }
    }

    @Test
    void readsScalarVectorAndEmptyArrays() throws IOException {
        Tensor scalar = Npy.read(copyOut("scalar_f4.npy"));
        assertArrayEquals(new int[0], scalar.shape());
        assertArrayEquals(new float[] {2.5f}, scalar.data());
        assertArrayEquals(new float[] {1.5f, -2.0f, 3.25f}, Npy.read(copyOut("vector_f4.npy")).data());
        Tensor empty = Npy.read(copyOut("empty_f4.npy"));
        assertArrayEquals(new int[] {0, 3, 2}, empty.shape());
        assertEquals(0, empty.numel());
    }

    @Test
    void readsAClasspathStreamUnderItsName() throws IOException {
        try (InputStream in = NpyTest.class.getResourceAsStream("/fixtures/npy/v2_f4.npy")) {
            assertArrayEquals(new int[] {2, 3, 4}, Npy.read(in, "v2.npy").shape());
        }
        NpyFormatException e = assertThrows(NpyFormatException.class,
                () -> Npy.read(new ByteArrayInputStream(new byte[] {1, 2, 3}), "stream-name.npy"));
        assertTrue(e.getMessage().startsWith("stream-name.npy: "), e.getMessage());
    }

    // ---- files numpy wrote that jconv does not take ----

    @Test
    void fortranOrderIsRejected() throws IOException {
        Path f = copyOut("fortran_f4.npy");
        assertProblem(f, "Fortran-order arrays are not supported");
    }

    @Test
    void bigEndianFloatsAreReadAsNumpyReadsThem() throws IOException {
        Tensor t = Npy.read(copyOut("big_endian_f4.npy"));
        assertArrayEquals(Npy.read(copyOut("v1_f4.npy")).data(), t.data());
    }

    @ParameterizedTest
    @ValueSource(strings = {"i4.npy:<i4", "f2.npy:<f2"})
    void otherDtypesAreRejectedByName(String fileAndDtype) throws IOException {
        String[] parts = fileAndDtype.split(":");
        assertProblem(copyOut(parts[0]), "unsupported dtype '" + parts[1] + "'");
    }

    // ---- broken and lying files ----

    @Test
    void emptyAndTinyFiles() throws IOException {
        assertProblem(write("empty.npy", new byte[0]), "too short");
        assertProblem(write("tiny.npy", new byte[] {(byte) 0x93, 'N', 'U', 'M'}), "too short");
    }

    @Test
    void badMagic() throws IOException {
        byte[] zip = Arrays.copyOf(new byte[] {'P', 'K', 3, 4}, 200);
        assertProblem(write("zip.npy", zip), "not a .npy file");
        byte[] text = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n".getBytes(StandardCharsets.US_ASCII);
        assertProblem(write("text.npy", text), "not a .npy file");
    }

    @Test
    void unsupportedVersion() throws IOException {
        byte[] b = NpyFiles.npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", new byte[4]);
        b[6] = 4;
        assertProblem(write("v4.npy", b), "unsupported .npy format version 4");
    }

    @Test
    void truncatedData() throws IOException {
        byte[] good = resourceBytes("v1_f4.npy");
        assertProblem(write("cut.npy", Arrays.copyOf(good, good.length - 4)),
                "truncated: shape [2, 3, 4] of <f4 needs 96 data bytes but the file holds 92");
        assertProblem(write("nodata.npy", Arrays.copyOf(good, good.length - 96)), "truncated");
    }

    @Test
    void truncatedHeader() throws IOException {
        byte[] good = resourceBytes("v1_f4.npy");
        assertProblem(write("cuthead.npy", Arrays.copyOf(good, 40)), "header claims 118 bytes but the file has only 30");
        byte[] v2 = resourceBytes("v2_f4.npy");
        assertProblem(write("cutlen.npy", Arrays.copyOf(v2, 11)), "file ends inside the header length field");
    }

    @Test
    void trailingDataIsIgnoredAsNumpyIgnoresIt() throws IOException {
        byte[] good = resourceBytes("v1_f4.npy");
        assertArrayEquals(Npy.read(write("good.npy", good)).data(),
                Npy.read(write("long.npy", Arrays.copyOf(good, good.length + 8))).data());
    }

    @Test
    void aHeaderLengthBeyondTheLimitIsRejectedWithoutReadingIt() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0}).putInt(0xFFFFFFFF);
        assertProblem(write("hugeheader.npy", b.array()), "header length 4294967295 exceeds the limit");
    }

    @Test
    void aGiantShapeFailsFastWithoutAllocatingIt() throws IOException {
        Path f = write("giant.npy", NpyFiles.npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100000), }",
                new byte[16]));
        long allocated = Allocations.during(() -> assertProblem(f,
                "shape [100000, 100000, 100000] has more elements than a Java array can hold"));
        assertTrue(allocated < 16L << 20, "reading allocated " + allocated + " bytes");
    }

    @Test
    void aLyingShapeThatWouldFitInMemoryIsCheckedAgainstTheFileBeforeAllocating() throws IOException {
        // 20000 x 20000 float32 = 1.6 GB claimed, 16 bytes present
        Path f = write("liar.npy", NpyFiles.npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (20000, 20000), }",
                new byte[16]));
        long allocated = Allocations.during(() -> assertProblem(f,
                "truncated: shape [20000, 20000] of <f4 needs 1600000000 data bytes but the file holds 16"));
        assertTrue(allocated < 16L << 20, "reading allocated " + allocated + " bytes");
    }

    @Test
    void anEmptyArrayWithHugeOtherDimensionsIsStillEmpty() throws IOException {
        Path f = write("emptyhuge.npy", NpyFiles.npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 0), }",
                new byte[0]));
        Tensor t = Npy.read(f);
        assertArrayEquals(new int[] {100000, 100000, 0}, t.shape());
        assertEquals(0, t.numel());
    }

    @Test
    void malformedHeaders() throws IOException {
        byte[] four = new byte[4];
        String keys = "header must have exactly the keys 'descr', 'fortran_order' and 'shape', but is ";
        assertProblem(write("nodescr.npy", NpyFiles.npy(1, "{'fortran_order': False, 'shape': (1,), }", four)),
                keys + "{'fortran_order': False, 'shape': (1,), }");
        assertProblem(write("noorder.npy", NpyFiles.npy(1, "{'descr': '<f4', 'shape': (1,), }", four)), keys);
        assertProblem(write("noshape.npy", NpyFiles.npy(1, "{'descr': '<f4', 'fortran_order': False, }", four)), keys);
        assertProblem(write("negdim.npy", NpyFiles.npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", four)),
                "negative dimension -1 in shape (-1,)");
        assertProblem(write("worddim.npy", NpyFiles.npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (two,), }", four)),
                "cannot parse header {'descr': '<f4', 'fortran_order': False, 'shape': (two,), }: names are not literals");
        assertProblem(write("bigdim.npy", NpyFiles.npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3000000000,), }",
                four)), "shape (3000000000,) has a dimension larger than a Java array can hold");
    }

    @Test
    void aMissingFileIsAnIOExceptionNamingIt() {
        Path missing = dir.resolve("nope.npy");
        IOException e = assertThrows(IOException.class, () -> Npy.read(missing));
        assertTrue(e.getMessage().contains("nope.npy"), e.getMessage());
    }

    // ---- writing is atomic ----

    @Test
    void aFailedWriteLeavesNoFile() {
        Path target = dir.resolve("no-such-dir").resolve("out.npy");
        assertThrows(IOException.class, () -> Npy.write(target, Tensor.zeros(2, 2)));
        assertFalse(Files.exists(target));
    }

    @Test
    void overwritingReplacesTheFileAndLeavesNoTemporaryFiles() throws IOException {
        Path f = dir.resolve("out.npy");
        Npy.write(f, Tensor.randn(1, 4, 4));
        Tensor second = Tensor.randn(2, 2, 3);
        Npy.write(f, second);
        assertEquals(second, Npy.read(f));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList(), "only the target file remains");
        }
    }

    // ---- helpers ----

    /** The read must fail with a message that names the file and contains {@code problem}. */
    private static void assertProblem(Path file, String problem) {
        NpyFormatException e = assertThrows(NpyFormatException.class, () -> Npy.read(file));
        assertTrue(e.getMessage().startsWith(file.toString() + ": "), "should name the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(problem), "should say '" + problem + "': " + e.getMessage());
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    private Path copyOut(String fixture) throws IOException {
        return write(fixture, resourceBytes(fixture));
    }

    private static byte[] resourceBytes(String fixture) throws IOException {
        try (InputStream in = NpyTest.class.getResourceAsStream("/fixtures/npy/" + fixture)) {
            assertTrue(in != null, "missing fixture npy/" + fixture);
            return in.readAllBytes();
        }
    }

    private static int headerLength(Path f) throws IOException {
        byte[] b = Files.readAllBytes(f);
        return ByteBuffer.wrap(b, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff;
    }

    private static String header(Path f) throws IOException {
        byte[] b = Files.readAllBytes(f);
        return new String(b, 10, headerLength(f), StandardCharsets.ISO_8859_1);
    }
}
