package dev.jconv.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Building {@code .npy} bytes by hand. */
final class NpyFiles {
    private NpyFiles() {}

    /** A .npy file with the given header dictionary, padded as numpy pads it. */
    static byte[] npy(int major, String dict, byte[] data) {
        int prefix = major == 1 ? 10 : 12;
        StringBuilder h = new StringBuilder(dict);
        while ((prefix + h.length() + 1) % 64 != 0) {
            h.append(' ');
        }
        h.append('\n');
        return raw(major, h.toString().getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1),
                data);
    }

    /** Magic, version {@code major.0}, the header's true length, the header bytes as given, then the data. */
    static byte[] raw(int major, byte[] header, byte[] data) {
        int prefix = major == 1 ? 10 : 12;
        ByteBuffer b = ByteBuffer.allocate(prefix + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) {
            b.putShort((short) header.length);
        } else {
            b.putInt(header.length);
        }
        return b.put(header).put(data).array();
    }
}
