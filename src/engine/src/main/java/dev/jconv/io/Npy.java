package dev.jconv.io;

import dev.jconv.Shapes;
import dev.jconv.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0) of float32 or float64 in C order, read into float32
 * tensors ({@code float64} rounded, as {@code tensor.float()} would).
 *
 * <p>The header is read as numpy reads it: {@code ast.literal_eval} of the text ({@link PythonLiteral}), so the
 * last of duplicate keys wins, either quote style, comments and Python 2's {@code 3L} (versions 1.0 and 2.0) are
 * accepted; then numpy's checks: a dict with exactly the keys {@code descr}, {@code fortran_order} and
 * {@code shape}, a tuple of ints, a bool, at most 10,000 characters. Every spelling numpy turns into float32 or
 * float64 is read, in either byte order ({@code '<f4'}, {@code '=f4'}, {@code '|f4'}, {@code 'f'}, {@code 'single'},
 * {@code '>f8'}...). Data after the array is ignored, as numpy ignores it. Where jconv reads less than numpy:
 * other dtypes, Fortran order, negative dimensions (numpy's reshape reads them as "the rest") and dimensions past
 * a Java array are refused with a message saying so.
 *
 * <p>Reading trusts nothing in the file and streams: the data is read in {@value #CHUNK}-byte chunks straight into
 * the float array (peak memory: the array plus one chunk), and, when the file's size is known, the data the header
 * claims must be in the file before the array is allocated. Pipes and other streams ({@link #read(InputStream,
 * String)}) grow the array by doubling as data arrives, so a lying header cannot make them allocate more than a
 * few times what was really sent. Every error is an {@link NpyFormatException} naming the file, with header text shown escaped
 * ({@link #escaped}). Writing goes through {@link AtomicWrite}.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** numpy's {@code _MAX_HEADER_SIZE}: longer headers are refused unless loading with {@code allow_pickle}. */
    static final int MAX_HEADER_CHARS = 10_000;
    static final int CHUNK = 1 << 16;
    private static final Set<String> KEYS = Set.of("descr", "fortran_order", "shape");

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

    /** How the data of one file is laid out. */
    private record Element(int bytes, ByteOrder order) {}

    /**
     * Every descriptor {@code numpy.dtype} (1.24) turns into float32 or float64, with its byte order ({@code =} and
     * {@code |} are native, i.e. little-endian on every platform numpy writes {@code .npy} files on for jconv).
     */
    private static final Map<String, Element> FLOAT_DESCRS = floatDescrs();

    private static Map<String, Element> floatDescrs() {
        Map<String, Element> m = new HashMap<>();
        Element f4 = new Element(4, ByteOrder.LITTLE_ENDIAN);
        Element f8 = new Element(8, ByteOrder.LITTLE_ENDIAN);
        for (String name : List.of("f4", "f")) {
            for (String order : List.of("", "<", "=", "|")) {
                m.put(order + name, f4);
            }
            m.put(">" + name, new Element(4, ByteOrder.BIG_ENDIAN));
        }
        for (String name : List.of("f8", "d")) {
            for (String order : List.of("", "<", "=", "|")) {
                m.put(order + name, f8);
            }
            m.put(">" + name, new Element(8, ByteOrder.BIG_ENDIAN));
        }
        for (String name : List.of("float32", "single")) {
            m.put(name, f4);
        }
        for (String name : List.of("float64", "double", "float", "float_")) {
            m.put(name, f8);
        }
        return Map.copyOf(m);
    }

    private Npy() {}

    /** Reads a {@code .npy} file (or a FIFO, {@code /dev/stdin}...: anything that opens as a stream). */
    public static Tensor read(Path file) throws IOException {
        long size = Files.isRegularFile(file) ? Files.size(file) : -1;
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString(), size);
        }
    }

    /** Reads a whole stream as a {@code .npy} file (a pipe, stdin, a classpath resource); errors name {@code name}. */
    public static Tensor read(InputStream in, String name) throws IOException {
        return read(in, name, -1);
    }

    /** {@code size} is the stream's length when known (a regular file), else -1. */
    private static Tensor read(InputStream in, String name, long size) throws IOException {
        byte[] pre = new byte[8];
        int got = in.readNBytes(pre, 0, 8);
        int magicBytes = Math.min(got, MAGIC.length);
        if (!Arrays.equals(pre, 0, magicBytes, MAGIC, 0, magicBytes)) {
            throw new NpyFormatException(name, "not a .npy file (missing the \\x93NUMPY magic string)");
        }
        if (got < 8) {
            throw new NpyFormatException(name, "file is too short to be a .npy file (" + got + " bytes)");
        }
        int major = pre[6] & 0xff;
        int minor = pre[7] & 0xff;
        if (!(minor == 0 && (major == 1 || major == 2 || major == 3))) {
            throw new NpyFormatException(name, "unsupported .npy format version " + major + "." + minor
                    + " (numpy writes and reads 1.0, 2.0 and 3.0)");
        }
        int lengthBytes = major == 1 ? 2 : 4;
        byte[] lengthField = in.readNBytes(lengthBytes);
        if (lengthField.length < lengthBytes) {
            throw new NpyFormatException(name, "file ends inside the header length field");
        }
        long headerLength = major == 1 ? ByteBuffer.wrap(lengthField).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff
                : ByteBuffer.wrap(lengthField).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
        long prefix = 8 + lengthBytes;
        // A character is one byte in latin-1 (versions 1 and 2) and at most four in UTF-8 (version 3).
        long maxBytes = (long) MAX_HEADER_CHARS * (major == 3 ? 4 : 1);
        if (headerLength > maxBytes) {
            throw new NpyFormatException(name, "header length " + headerLength + " exceeds the limit of "
                    + MAX_HEADER_CHARS + " characters (numpy's)");
        }
        if (size >= 0 && prefix + headerLength > size) {
            throw new NpyFormatException(name, "header claims " + headerLength + " bytes but the file has only "
                    + (size - prefix) + " after the preamble");
        }
        byte[] headerBytes = in.readNBytes((int) headerLength);
        if (headerBytes.length < headerLength) {
            throw new NpyFormatException(name, "header claims " + headerLength + " bytes but the file ends after "
                    + headerBytes.length);
        }
        String header = decode(name, headerBytes, major);
        if (header.codePointCount(0, header.length()) > MAX_HEADER_CHARS) {
            throw new NpyFormatException(name, "header of " + header.codePointCount(0, header.length())
                    + " characters exceeds the limit of " + MAX_HEADER_CHARS + " (numpy's)");
        }
        Header h = parseHeader(name, header, major <= 2);
        long dataStart = prefix + headerLength;
        long expected = h.count * h.element.bytes();
        if (size >= 0 && size - dataStart < expected) {
            throw truncated(name, h, expected, size - dataStart);
        }
        float[] values = readData(in, name, h, expected, size >= 0);
        return Tensor.of(values, h.shape);
    }

    private record Header(Element element, String descr, int[] shape, long count) {}

    private static String decode(String name, byte[] bytes, int major) throws NpyFormatException {
        if (major <= 2) {
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new NpyFormatException(name, "a version 3.0 header must be UTF-8, but got "
                    + escaped(new String(bytes, StandardCharsets.ISO_8859_1)));
        }
    }

    /** numpy's {@code _read_array_header} checks, in its order, then jconv's own limits. */
    private static Header parseHeader(String name, String text, boolean python2Ints) throws NpyFormatException {
        String header = text.strip(); // for messages: the padding is noise; the literal is parsed from the raw text
        Object literal;
        try {
            literal = PythonLiteral.eval(text, python2Ints);
        } catch (PythonLiteral.Malformed e) {
            throw new NpyFormatException(name, "cannot parse header " + escaped(header) + ": " + escaped(e.getMessage()));
        }
        if (!(literal instanceof Map<?, ?> d)) {
            throw new NpyFormatException(name, "header is not a dictionary: " + escaped(header));
        }
        if (!d.keySet().equals(KEYS)) {
            throw new NpyFormatException(name, "header must have exactly the keys 'descr', 'fortran_order' and "
                    + "'shape', but is " + escaped(header));
        }
        Object shape = d.get("shape");
        if (!(shape instanceof PythonLiteral.Tuple t) || !t.items().stream().allMatch(x -> x instanceof BigInteger)) {
            throw new NpyFormatException(name, "shape is not a tuple of integers in header " + escaped(header));
        }
        if (!(d.get("fortran_order") instanceof Boolean fortran)) {
            throw new NpyFormatException(name, "fortran_order is not True or False in header " + escaped(header));
        }
        Object descr = d.get("descr");
        Element element = descr instanceof String spelling ? FLOAT_DESCRS.get(spelling) : null;
        if (element == null) {
            String shown = descr instanceof String spelling ? "'" + escaped(spelling) + "'"
                    : escaped(PythonLiteral.repr(descr));
            throw new NpyFormatException(name, "unsupported dtype " + shown
                    + ", expected float32 or float64 (e.g. '<f4' or '<f8')");
        }
        if (fortran) {
            throw new NpyFormatException(name, "Fortran-order arrays are not supported; save a C-order array");
        }
        int[] dims = new int[t.items().size()];
        for (int i = 0; i < dims.length; i++) {
            BigInteger dim = (BigInteger) t.items().get(i);
            if (dim.signum() < 0) {
                throw new NpyFormatException(name, "negative dimension " + dim + " in shape " + shapeText(t));
            }
            if (dim.compareTo(BigInteger.valueOf(Shapes.MAX_ELEMENTS)) > 0) {
                throw new NpyFormatException(name, "shape " + shapeText(t) + " has a dimension larger than a Java "
                        + "array can hold (" + Shapes.MAX_ELEMENTS + ")");
            }
            dims[i] = dim.intValue();
        }
        long count = Shapes.elements(dims);
        if (count > Shapes.MAX_ELEMENTS) {
            throw new NpyFormatException(name, "shape " + Shapes.format(dims)
                    + " has more elements than a Java array can hold");
        }
        return new Header(element, (String) descr, dims, count);
    }

    private static String shapeText(PythonLiteral.Tuple t) {
        return Shapes.tuple(t.items().stream().mapToLong(x -> ((BigInteger) x).max(BigInteger.valueOf(Long.MIN_VALUE))
                .min(BigInteger.valueOf(Long.MAX_VALUE)).longValue()).toArray());
    }

    private static NpyFormatException truncated(String name, Header h, long expected, long available) {
        return new NpyFormatException(name, "truncated: shape " + Shapes.format(h.shape) + " of " + h.descr
                + " needs " + expected + " data bytes but the file holds " + available);
    }

    /**
     * Reads {@code h.count} elements in {@value #CHUNK}-byte chunks. A file's size has been checked, so its array is
     * allocated at once; a stream's grows by doubling as data arrives.
     */
    private static float[] readData(InputStream in, String name, Header h, long expected, boolean sizeChecked)
            throws IOException {
        int total = (int) h.count;
        float[] values = new float[sizeChecked ? total : Math.min(total, CHUNK / h.element.bytes())];
        byte[] chunk = new byte[CHUNK]; // a multiple of 8: whole elements, so a chunk never splits one
        ByteBuffer buffer = ByteBuffer.wrap(chunk).order(h.element.order());
        int bytes = h.element.bytes();
        int filled = 0;
        while (filled < total) {
            int want = (int) Math.min(CHUNK, (long) (total - filled) * bytes);
            int read = in.readNBytes(chunk, 0, want);
            int elements = read / bytes;
            if (filled + elements > values.length) {
                values = Arrays.copyOf(values, (int) Math.min(total, Math.max(2L * values.length, filled + elements)));
            }
            buffer.clear();
            if (bytes == 4) {
                buffer.asFloatBuffer().get(values, filled, elements);
                filled += elements;
            } else {
                for (int i = 0; i < elements; i++) {
                    values[filled++] = (float) buffer.getDouble();
                }
            }
            if (read < want) {
                throw truncated(name, h, expected, (long) filled * bytes + read % bytes);
            }
        }
        return values;
    }

    /**
     * Text from a file, safe to print: printable ASCII as is, everything else (escape sequences for a terminal
     * included) as Python writes it in a repr, e.g. {@code \x1b}, {@code \n}, {@code \u00e9}; cut after 200
     * characters.
     */
    static String escaped(String text) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < text.length() && b.length() < 200; i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c >= 0x20 && c < 0x7f) {
                        b.append(c);
                    } else if (c <= 0xff) {
                        b.append(String.format("\\x%02x", (int) c));
                    } else {
                        b.append(String.format("\\u%04x", (int) c));
                    }
                }
            }
        }
        return b.length() >= 200 && b.length() < text.length() ? b + "..." : b.toString();
    }

    /** Writes float32 ({@code <f4}), format version 1.0. */
    public static void write(Path file, Tensor t) throws IOException {
        write(file, t, Dtype.F4);
    }

    /** Writes in the given element type, atomically: the file appears complete or not at all. */
    public static void write(Path file, Tensor t, Dtype dtype) throws IOException {
        AtomicWrite.write(file, out -> write(out, t, dtype));
    }

    /** The float32 {@code .npy} file of {@code t} as bytes (e.g. for a binary column of a table). */
    public static byte[] toBytes(Tensor t) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            write(bytes, t, Dtype.F4);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return bytes.toByteArray();
    }

    private static void write(OutputStream out, Tensor t, Dtype dtype) throws IOException {
        out.write(header(t.shape(), dtype));
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
}
