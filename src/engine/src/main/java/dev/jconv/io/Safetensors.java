package dev.jconv.io;

import dev.jconv.Shapes;
import dev.jconv.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads {@code .safetensors} files (the format of Hugging Face's {@code safetensors} library): an 8-byte
 * little-endian header length {@code N}, {@code N} bytes of JSON mapping each tensor name to
 * {@code {"dtype", "shape", "data_offsets": [begin, end]}} (offsets relative to the data section) plus an
 * optional {@code "__metadata__"} map of strings, then the raw little-endian data.
 *
 * <p>F32, F64, F16 and BF16 tensors are read as float32 (F64 rounded as {@code tensor.float()} does; F16/BF16
 * exactly). Integer and boolean tensors are only named ({@link StateDict#integerKeys()}).
 *
 * <p>Nothing in the file is trusted: the header is at most {@value #MAX_HEADER} bytes (the library's own limit)
 * and inside the file; every tensor's byte range must match its dtype and shape and lie inside the data
 * section; the ranges must tile the data section without gaps or overlaps, as the format requires. All of that
 * is checked before any tensor is allocated, so a lying header cannot make the reader allocate more than the
 * file holds. Every error is a {@link StateDictFormatException} naming the file and the problem.
 */
public final class Safetensors {
    static final int MAX_HEADER = 100_000_000;
    private static final String METADATA = "__metadata__";
    private static final int CHUNK = 1 << 20;

    private Safetensors() {}

    /** One tensor's entry in the header, checked against the data section. */
    private record Entry(String name, String dtype, int[] shape, long begin, long end) {}

    public static StateDict read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            if (fileSize < 8) {
                throw new StateDictFormatException(file, "file is too short to be a .safetensors file (" + fileSize
                        + " bytes, the header length alone takes 8)");
            }
            long headerLength = readFully(ch, file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (headerLength < 2 || headerLength > MAX_HEADER) {
                throw new StateDictFormatException(file, "header length " + Long.toUnsignedString(headerLength)
                        + " is outside 2.." + MAX_HEADER + " bytes");
            }
            if (8 + headerLength > fileSize) {
                throw new StateDictFormatException(file, "header claims " + headerLength
                        + " bytes but the file has only " + (fileSize - 8) + " after the length field");
            }
            String json = StandardCharsets.UTF_8.decode(readFully(ch, file, 8, headerLength)).toString();
            long dataStart = 8 + headerLength;
            List<Entry> entries = entries(file, json, fileSize - dataStart);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            Set<String> integers = new LinkedHashSet<>();
            for (Entry e : entries) {
                Dtype dtype = Dtype.valueOf(e.dtype);
                if (dtype.floating) {
                    tensors.put(e.name, readTensor(ch, file, dataStart, e, dtype));
                } else {
                    integers.add(e.name);
                }
            }
            return new StateDict(tensors, integers);
        }
    }

    /** Element types of the format and their sizes; the floating ones are read, the others only named. */
    private enum Dtype {
        F64(8, true), F32(4, true), F16(2, true), BF16(2, true),
        I64(8, false), I32(4, false), I16(2, false), I8(1, false),
        U64(8, false), U32(4, false), U16(2, false), U8(1, false), BOOL(1, false);

        final int bytes;
        final boolean floating;

        Dtype(int bytes, boolean floating) {
            this.bytes = bytes;
            this.floating = floating;
        }

        static boolean known(String name) {
            for (Dtype d : values()) {
                if (d.name().equals(name)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** Parses and checks the header: every entry well-formed, the ranges tiling {@code [0, dataLength)}. */
    private static List<Entry> entries(Path file, String json, long dataLength) throws StateDictFormatException {
        Object root;
        try {
            root = HeaderJson.parse(json);
        } catch (IllegalArgumentException e) {
            throw new StateDictFormatException(file, e.getMessage());
        }
        if (!(root instanceof Map<?, ?> map)) {
            throw new StateDictFormatException(file, "header is not a JSON object");
        }
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<?, ?> m : map.entrySet()) {
            String name = (String) m.getKey();
            if (name.equals(METADATA)) {
                continue;
            }
            entries.add(entry(file, name, m.getValue()));
        }
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long covered = 0;
        for (Entry e : byOffset) {
            if (e.begin != covered) {
                throw new StateDictFormatException(file, "tensor \"" + e.name + "\" starts at data byte " + e.begin
                        + ", expected " + covered + " (tensors must tile the data section without gaps or overlaps)");
            }
            covered = e.end;
        }
        if (covered != dataLength) {
            throw new StateDictFormatException(file, "the tensors cover " + covered + " data bytes but the file holds "
                    + dataLength + " after the header");
        }
        return entries;
    }

    private static Entry entry(Path file, String name, Object value) throws StateDictFormatException {
        if (!(value instanceof Map<?, ?> fields)) {
            throw new StateDictFormatException(file, "tensor \"" + name + "\": expected an object with dtype, shape"
                    + " and data_offsets");
        }
        if (!(fields.get("dtype") instanceof String dtype) || !Dtype.known(dtype)) {
            throw new StateDictFormatException(file, "tensor \"" + name + "\": unsupported dtype " + fields.get("dtype")
                    + " (expected F32, F64, F16, BF16, or an integer or BOOL type)");
        }
        long[] shape = longs(file, name, "shape", fields.get("shape"), -1);
        long[] offsets = longs(file, name, "data_offsets", fields.get("data_offsets"), 2);
        if (fields.size() != 3) {
            throw new StateDictFormatException(file, "tensor \"" + name + "\": unexpected fields " + fields.keySet());
        }
        long numel = 1;
        int[] intShape = new int[shape.length];
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] < 0 || shape[d] > Integer.MAX_VALUE) {
                throw new StateDictFormatException(file, "tensor \"" + name + "\": dimension " + shape[d]
                        + " of its shape is out of range");
            }
            intShape[d] = (int) shape[d];
            numel = numel == 0 || shape[d] == 0 ? 0 : Math.min(numel * shape[d], Long.MAX_VALUE / 16);
        }
        Dtype type = Dtype.valueOf(dtype);
        if (type.floating && numel > Integer.MAX_VALUE - 8) {
            throw new StateDictFormatException(file, "tensor \"" + name + "\" of shape " + Shapes.format(intShape)
                    + " has more elements than a Java array can hold");
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin < 0 || end < begin) {
            throw new StateDictFormatException(file, "tensor \"" + name + "\": data_offsets [" + begin + ", " + end
                    + "] are not an ordered range");
        }
        if (end - begin != numel * type.bytes) {
            throw new StateDictFormatException(file, "tensor \"" + name + "\": shape " + Shapes.format(intShape) + " of "
                    + dtype + " needs " + numel * type.bytes + " bytes but data_offsets [" + begin + ", " + end
                    + "] hold " + (end - begin));
        }
        return new Entry(name, dtype, intShape, begin, end);
    }

    /** A JSON array of non-negative integers (of {@code length} elements unless -1). */
    private static long[] longs(Path file, String name, String field, Object value, int length)
            throws StateDictFormatException {
        if (!(value instanceof List<?> list) || (length >= 0 && list.size() != length) || list.size() > 64) {
            throw new StateDictFormatException(file, "tensor \"" + name + "\": " + field + " must be a list of "
                    + (length >= 0 ? length + " " : "") + "integers, got " + value);
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Long l) || l < 0) {
                throw new StateDictFormatException(file, "tensor \"" + name + "\": " + field
                        + " must hold non-negative integers, got " + value);
            }
            out[i] = l;
        }
        return out;
    }

    private static Tensor readTensor(FileChannel ch, Path file, long dataStart, Entry e, Dtype dtype) throws IOException {
        float[] values = new float[Math.toIntExact((e.end - e.begin) / dtype.bytes)];
        int done = 0;
        for (long at = e.begin; at < e.end; ) {
            long length = Math.min(CHUNK, e.end - at);
            ByteBuffer b = readFully(ch, file, dataStart + at, length).order(ByteOrder.LITTLE_ENDIAN);
            while (b.remaining() >= dtype.bytes) {
                values[done++] = switch (dtype) {
                    case F32 -> b.getFloat();
                    case F64 -> (float) b.getDouble();
                    case F16 -> halfToFloat(b.getShort());
                    case BF16 -> Float.intBitsToFloat((b.getShort() & 0xffff) << 16);
                    default -> throw new AssertionError(dtype);
                };
            }
            at += length;
        }
        return Tensor.of(values, e.shape);
    }

    /** IEEE 754 binary16 to float32, exactly (every half is a float): normals, subnormals, infinities, NaN. */
    static float halfToFloat(short half) {
        int h = half & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float magnitude = mantissa * 0x1p-24f;  // subnormal (or zero): mantissa * 2^-24, exact in float
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    private static ByteBuffer readFully(FileChannel ch, Path file, long position, long length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(length));
        while (b.hasRemaining()) {
            if (ch.read(b, position + b.position()) < 0) {
                throw new StateDictFormatException(file, "file ends at byte " + (position + b.position())
                        + ", inside data it claims to hold");
            }
        }
        return b.flip();
    }
}
