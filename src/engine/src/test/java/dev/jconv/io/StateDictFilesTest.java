package dev.jconv.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code .safetensors} and {@code .npz} state_dict files: what PyTorch users write reads back (the fixture tests
 * cover real files), and hostile files fail with one clear error naming the file, before any allocation the
 * file does not pay for.
 */
class StateDictFilesTest {
    @TempDir
    Path dir;

    private Path safetensors(String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        Path f = dir.resolve("w.safetensors");
        Files.write(f, b.array());
        return f;
    }

    private static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.array();
    }

    private String failure(Path f) {
        StateDictFormatException e = assertThrows(StateDictFormatException.class, () -> StateDict.read(f));
        assertTrue(e.getMessage().startsWith(f.toString() + ": "), e.getMessage());
        return e.getMessage().substring(f.toString().length() + 2);
    }

    @Test
    void readsFloatsAndNamesIntegerTensors() throws IOException {
        byte[] data = new byte[16 + 8];
        System.arraycopy(floats(1f, -2f, 3.5f, 0f), 0, data, 0, 16);
        ByteBuffer.wrap(data, 16, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(17);
        Path f = safetensors("{\"bn.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[16,24]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},\"__metadata__\":{\"format\":\"pt\"}}",
                data);
        StateDict sd = StateDict.read(f);
        assertArrayEquals(new int[] {2, 2}, sd.tensors().get("w").shape());
        assertArrayEquals(new float[] {1f, -2f, 3.5f, 0f}, sd.tensors().get("w").data());
        assertEquals(Set.of("bn.num_batches_tracked"), sd.integerKeys());
    }

    @Test
    void halfPrecisionConvertsExactly() {
        assertEquals(1f, Safetensors.halfToFloat((short) 0x3c00));
        assertEquals(-2f, Safetensors.halfToFloat((short) 0xc000));
        assertEquals(65504f, Safetensors.halfToFloat((short) 0x7bff));
        assertEquals(0x1p-24f, Safetensors.halfToFloat((short) 0x0001), "smallest subnormal");
        assertEquals(0x1.ff8p-15f, Safetensors.halfToFloat((short) 0x03ff), "largest subnormal");
        assertEquals(Float.NEGATIVE_INFINITY, Safetensors.halfToFloat((short) 0xfc00));
        assertTrue(Float.isNaN(Safetensors.halfToFloat((short) 0x7e00)));
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(Safetensors.halfToFloat((short) 0x8000)));
    }

    @Test
    void hostileSafetensorsFailClearly() throws IOException {
        Path f = dir.resolve("short.safetensors");
        Files.write(f, new byte[] {1, 2, 3});
        assertTrue(failure(f).contains("too short"));

        // a header length of 2^62: rejected before anything of that size is read or allocated
        byte[] lying = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 62).array();
        Files.write(f, lying);
        assertTrue(failure(f).contains("header length"), failure(f));

        byte[] pastEnd = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array();
        Files.write(f, pastEnd);
        assertTrue(failure(f).contains("header claims 1000 bytes but the file has only 8"), failure(f));

        assertTrue(failure(safetensors("{\"w\":", new byte[0])).contains("not valid JSON"));
        assertTrue(failure(safetensors("[1,2]", new byte[0])).contains("not a JSON object"));
        assertTrue(failure(safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", floats(1f))).contains("duplicate key"));
        // a shape of 2^31 x 2^31 floats claimed by a 4-byte tensor: no allocation, a size error
        assertTrue(failure(safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647],"
                + "\"data_offsets\":[0,4]}}", floats(1f))).contains("more elements than a Java array"));
        assertTrue(failure(safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,4]}}", floats(1f)))
                .contains("needs 16 bytes but data_offsets [0, 4] hold 4"));
        assertTrue(failure(safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", floats(1f)))
                .contains("the tensors cover 8 data bytes but the file holds 4"));
        assertTrue(failure(safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", floats(1f, 2f)))
                .contains("tile the data section"), "overlap");
        assertTrue(failure(safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                floats(1f, 2f))).contains("starts at data byte 4, expected 0"), "gap");
        assertTrue(failure(safetensors("{\"a\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}",
                floats(1f, 2f))).contains("unsupported dtype C64"));
        assertTrue(failure(safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}",
                floats(1f))).contains("non-negative"));
        assertTrue(failure(safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}",
                floats(1f))).contains("not an ordered range"));
        assertTrue(failure(safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}",
                floats(1f))).contains("not an integer"));
        assertTrue(failure(safetensors("{\"a\":" + "[".repeat(50) + "]".repeat(50) + "}", new byte[0]))
                .contains("nested deeper"));
    }

    private Path npz(List<String> names, List<byte[]> members) throws IOException {
        Path f = dir.resolve("w.npz");
        try (OutputStream out = Files.newOutputStream(f); ZipOutputStream zip = new ZipOutputStream(out)) {
            for (int i = 0; i < names.size(); i++) {
                zip.putNextEntry(new ZipEntry(names.get(i)));
                zip.write(members.get(i));
                zip.closeEntry();
            }
        }
        return f;
    }

    private byte[] npy(Tensor t) throws IOException {
        Path tmp = dir.resolve("t.npy");
        Npy.write(tmp, t);
        return Files.readAllBytes(tmp);
    }

    private static byte[] intNpy() {
        String header = "{'descr': '<i8', 'fortran_order': False, 'shape': (), }";
        header += " ".repeat(128 - 10 - header.length() - 1) + "\n";
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) header.length(), 0});
        b.writeBytes(header.getBytes(StandardCharsets.ISO_8859_1));
        b.writeBytes(new byte[8]);
        return b.toByteArray();
    }

    @Test
    void npzReadsMembersAndNamesIntegerOnes() throws IOException {
        Tensor w = Tensor.uniform(1, -1f, 1f, 3, 2);
        Path f = npz(List.of("conv.weight.npy", "bn.num_batches_tracked.npy"), List.of(npy(w), intNpy()));
        StateDict sd = StateDict.read(f);
        assertEquals(w, sd.tensors().get("conv.weight"));
        assertEquals(Set.of("bn.num_batches_tracked"), sd.integerKeys());
    }

    @Test
    void hostileNpzFailClearly() throws IOException {
        Path notZip = dir.resolve("x.npz");
        Files.writeString(notZip, "not a zip at all");
        assertTrue(failure(notZip).contains("not a .npz file"), failure(notZip));

        assertTrue(failure(npz(List.of("readme.txt"), List.of(new byte[3]))).contains("is not a .npy array"));
        byte[] one = npy(Tensor.zeros(2));
        byte[] truncated = java.util.Arrays.copyOf(one, one.length - 4);
        assertTrue(failure(npz(List.of("a.npy"), List.of(truncated))).contains("member \"a.npy\": truncated"));

        // a zip bomb: 200 MB of zeros deflate to about 200 KB, past both 1024 times the archive's size and the
        // 64 MiB floor of the budget
        byte[] zeros = new byte[1 << 20];
        Path bomb = dir.resolve("bomb.npz");
        try (OutputStream out = Files.newOutputStream(bomb); ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("a.npy"));
            for (int i = 0; i < 200; i++) {
                zip.write(zeros);
            }
            zip.closeEntry();
        }
        assertTrue(Files.size(bomb) < 1 << 20, "the bomb is small: " + Files.size(bomb));
        assertTrue(failure(bomb).contains("inflate to more than"), failure(bomb));
    }

    @Test
    void unknownExtensionIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StateDict.read(dir.resolve("w.pt")));
        assertTrue(e.getMessage().contains("must end in .safetensors or .npz"));
    }
}
