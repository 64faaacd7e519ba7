package dev.jconv.io;

import dev.jconv.Shapes;
import dev.jconv.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0), little-endian {@code <f4} and {@code <f8}
 * in C order. {@code <f8} data is read into float32 tensors (rounded, as {@code tensor.float()} would).
 *
 * <p>Reading trusts nothing in the file: the header is bounded, the shape must fit a Java array, and the
 * data the header claims must really be in the file before anything of that size is allocated. Every
 * error is an {@link NpyFormatException} naming the file and the problem. Writing goes to a temporary
 * file that is moved into place only when complete, so a failure leaves no partial file.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int MAX_HEADER = 1 << 16;
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    /** The element type written; both read back as float32. */
    public enum Dtype {
        F4("<f4", 4), F8("<f8", 8);

        final String descr;
        final int bytes;

        Dtype(String descr, int bytes) {
            this.descr = descr;
            this.bytes = bytes;
        }
    }

    private Npy() {}

    /** Reads a {@code .npy} file into a float32 tensor. */
    public static Tensor read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            ByteBuffer pre = readFully(ch, file, 0, Math.min(fileSize, 12), "the magic string and header length");
            byte[] magic = new byte[6];
            if (fileSize < 10) {
                throw new NpyFormatException(file, "file is too short to be a .npy file (" + fileSize + " bytes)");
            }
            pre.get(magic);
            if (!java.util.Arrays.equals(magic, MAGIC)) {
                throw new NpyFormatException(file, "not a .npy file (missing the \\x93NUMPY magic string)");
            }
            int major = pre.get() & 0xff;
            pre.get(); // minor version: no meaning for the layout
            long headerLen;
            int prefix;
            if (major == 1) {
                headerLen = pre.getShort(8) & 0xffff;
                prefix = 10;
            } else if (major == 2 || major == 3) {
                if (fileSize < 12) {
                    throw new NpyFormatException(file, "file ends inside the header length field");
                }
                headerLen = pre.getInt(8) & 0xffffffffL;
                prefix = 12;
            } else {
                throw new NpyFormatException(file, "unsupported .npy format version " + major);
            }
            if (headerLen > MAX_HEADER) {
                throw new NpyFormatException(file, "header length " + headerLen + " exceeds the limit of " + MAX_HEADER + " bytes");
            }
            if (prefix + headerLen > fileSize) {
                throw new NpyFormatException(file, "header claims " + headerLen + " bytes but the file has only "
                        + (fileSize - prefix) + " after the preamble");
            }
            ByteBuffer hb = readFully(ch, file, prefix, headerLen, "the header");
            String header = StandardCharsets.ISO_8859_1.decode(hb).toString();
            Dtype dtype = parseDtype(file, header);
            int[] shape = parseShape(file, header);
            // a zero dimension makes the array empty, however large the others are
            boolean empty = java.util.Arrays.stream(shape).anyMatch(d -> d == 0);
            long count = 1;
            for (int d : shape) {
                count = empty ? 0 : count * d;
                if (count > Integer.MAX_VALUE - 8) {
                    throw new NpyFormatException(file, "shape " + Shapes.format(shape) + " has more elements than a Java array can hold");
                }
            }
            long dataStart = prefix + headerLen;
            long expected = count * dtype.bytes;
            long available = fileSize - dataStart;
            if (available < expected) {
                throw new NpyFormatException(file, "truncated: shape " + Shapes.format(shape) + " of " + dtype.descr
                        + " needs " + expected + " data bytes but the file holds " + available);
            }
            if (available > expected) {
                throw new NpyFormatException(file, "shape " + Shapes.format(shape) + " of " + dtype.descr + " needs "
                        + expected + " data bytes but the file holds " + available + " (trailing data)");
            }
            ByteBuffer data = readFully(ch, file, dataStart, expected, "the data");
            float[] values = new float[(int) count];
            if (dtype == Dtype.F4) {
                data.asFloatBuffer().get(values);
            } else {
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) data.getDouble();
                }
            }
            return Tensor.of(values, shape);
        }
    }

    /** Writes float32 ({@code <f4}), format version 1.0. */
    public static void write(Path file, Tensor t) throws IOException {
        write(file, t, Dtype.F4);
    }

    /** Writes in the given element type, atomically: the file appears complete or not at all. */
    public static void write(Path file, Tensor t, Dtype dtype) throws IOException {
        byte[] header = header(t.shape(), dtype);
        AtomicWrite.write(file, out -> {
            out.write(header);
            float[] d = t.data();
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : d) {
                if (buf.remaining() < dtype.bytes) {
                    out.write(buf.array(), 0, buf.position());
                    buf.clear();
                }
                if (dtype == Dtype.F4) {
                    buf.putFloat(v);
                } else {
                    buf.putDouble(v);
                }
            }
            out.write(buf.array(), 0, buf.position());
        });
    }

    /** Reads an entire stream as a {@code .npy} file (e.g. a classpath resource). */
    public static Tensor read(InputStream in, String name) throws IOException {
        Path tmp = Files.createTempFile("jconv-", ".npy");
        try {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            try {
                return read(tmp);
            } catch (NpyFormatException e) {
                throw new NpyFormatException(Path.of(name), e.problem());
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static byte[] header(int[] shape, Dtype dtype) {
        String dims = java.util.Arrays.stream(shape).mapToObj(Integer::toString)
                .collect(java.util.stream.Collectors.joining(", "));
        StringBuilder s = new StringBuilder("{'descr': '").append(dtype.descr).append("', 'fortran_order': False, 'shape': (")
                .append(dims).append(shape.length == 1 ? "," : "");
        s.append("), }");
        int unpadded = 10 + s.length() + 1;
        int pad = (64 - unpadded % 64) % 64;
        s.append(" ".repeat(pad)).append('\n');
        byte[] text = s.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(10 + text.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) text.length).put(text);
        return b.array();
    }

    private static Dtype parseDtype(Path file, String header) throws NpyFormatException {
        Matcher m = DESCR.matcher(header);
        if (!m.find()) {
            throw new NpyFormatException(file, "header has no 'descr' entry: " + header.trim());
        }
        Matcher f = FORTRAN.matcher(header);
        if (!f.find()) {
            throw new NpyFormatException(file, "header has no 'fortran_order' entry: " + header.trim());
        }
        if (f.group(1).equals("True")) {
            throw new NpyFormatException(file, "Fortran-order arrays are not supported; save a C-order array");
        }
        for (Dtype d : Dtype.values()) {
            if (d.descr.equals(m.group(1))) {
                return d;
            }
        }
        throw new NpyFormatException(file, "unsupported dtype '" + m.group(1) + "', expected '<f4' or '<f8'");
    }

    private static int[] parseShape(Path file, String header) throws NpyFormatException {
        Matcher m = SHAPE.matcher(header);
        if (!m.find()) {
            throw new NpyFormatException(file, "header has no 'shape' entry: " + header.trim());
        }
        List<Integer> dims = new ArrayList<>();
        for (String part : m.group(1).split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            try {
                int d = Integer.parseInt(p.endsWith("L") ? p.substring(0, p.length() - 1) : p);
                if (d < 0) {
                    throw new NumberFormatException();
                }
                dims.add(d);
            } catch (NumberFormatException e) {
                throw new NpyFormatException(file, "bad dimension '" + p + "' in shape (" + m.group(1) + ")");
            }
        }
        return dims.stream().mapToInt(Integer::intValue).toArray();
    }

    private static ByteBuffer readFully(FileChannel ch, Path file, long pos, long len, String what) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) len).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            int r = ch.read(b, pos + b.position());
            if (r < 0) {
                throw new NpyFormatException(file, "file ends inside " + what);
            }
        }
        return b.flip();
    }
}
