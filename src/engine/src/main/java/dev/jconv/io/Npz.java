package dev.jconv.io;

import dev.jconv.Tensor;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;

/**
 * Reads {@code .npz} files as {@code np.savez(path, **state_dict)} and {@code np.savez_compressed} write them: a
 * zip archive of one {@code KEY.npy} per tensor (stored or deflated). Each member is read by {@link Npy} (so it
 * is checked as a {@code .npy} file is); members holding integers or booleans ({@code <i8} for
 * {@code num_batches_tracked}) are only named ({@link StateDict#integerKeys()}).
 *
 * <p>Zip bombs: the bytes members inflate to are counted as they are read, and reading stops past
 * {@value #MAX_RATIO} times the archive's size (weights hardly compress; all-zero tensors do, hence a floor of
 * {@value #MIN_BUDGET} bytes), past {@value #MAX_TOTAL_BYTES} bytes in all, or past {@value #MAX_MEMBERS} members.
 */
public final class Npz {
    static final long MAX_TOTAL_BYTES = 4L << 30;
    static final long MAX_RATIO = 1024;
    static final long MIN_BUDGET = 64L << 20;
    static final int MAX_MEMBERS = 1 << 16;
    /** The {@code descr} of a member whose elements are integers or booleans (checked before Npy reads it). */
    private static final Pattern INTEGER_DESCR = Pattern.compile("'descr'\\s*:\\s*'[<>|=]?[iub]\\d*'");
    /** How much of a member holds its magic, length and header (Npy's header limit plus the preamble). */
    private static final int HEAD_BYTES = (1 << 16) + 12;

    private Npz() {}

    public static StateDict read(Path file) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Set<String> integers = new LinkedHashSet<>();
        Path member = Files.createTempFile("jconv-npz-", ".npy");
        try (InputStream raw = Files.newInputStream(file);
             ZipInputStream zip = new ZipInputStream(raw)) {
            long budget = Math.min(MAX_TOTAL_BYTES, Math.max(MIN_BUDGET, MAX_RATIO * Files.size(file)));
            BoundedStream bounded = new BoundedStream(zip, file, budget);
            int members = 0;
            for (ZipEntry e; (e = nextEntry(zip, file)) != null; ) {
                if (++members > MAX_MEMBERS) {
                    throw new StateDictFormatException(file, "more than " + MAX_MEMBERS + " members");
                }
                String name = e.getName();
                if (e.isDirectory() || !name.endsWith(".npy")) {
                    throw new StateDictFormatException(file, "member \"" + name + "\" is not a .npy array");
                }
                String key = name.substring(0, name.length() - 4);
                if (tensors.containsKey(key) || integers.contains(key)) {
                    throw new StateDictFormatException(file, "key \"" + key + "\" appears twice");
                }
                Files.copy(bounded, member, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                if (holdsIntegers(member)) {
                    integers.add(key);
                    continue;
                }
                try {
                    tensors.put(key, Npy.read(member));
                } catch (NpyFormatException ex) {
                    throw new StateDictFormatException(file, "member \"" + name + "\": " + ex.problem());
                }
            }
            if (members == 0) {
                throw new StateDictFormatException(file, "not a .npz file (no zip members found)");
            }
        } finally {
            Files.deleteIfExists(member);
        }
        return new StateDict(tensors, integers);
    }

    private static ZipEntry nextEntry(ZipInputStream zip, Path file) throws IOException {
        try {
            return zip.getNextEntry();
        } catch (ZipException e) {
            throw new StateDictFormatException(file, "not a valid zip archive: " + e.getMessage());
        }
    }

    private static boolean holdsIntegers(Path npy) throws IOException {
        try (InputStream in = Files.newInputStream(npy)) {
            String head = new String(in.readNBytes(HEAD_BYTES), StandardCharsets.ISO_8859_1);
            return INTEGER_DESCR.matcher(head).find();
        }
    }

    /** The current zip member's bytes, counted against one budget for the whole archive. */
    private static final class BoundedStream extends FilterInputStream {
        private final Path file;
        private final long budget;
        private long total;

        BoundedStream(InputStream in, Path file, long budget) {
            super(in);
            this.file = file;
            this.budget = budget;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n;
            try {
                n = super.read(b, off, len);
            } catch (ZipException e) {
                throw new StateDictFormatException(file, "not a valid zip archive: " + e.getMessage());
            }
            if (n > 0) {
                total += n;
                if (total > budget) {
                    throw new StateDictFormatException(file, "members inflate to more than " + budget
                            + " bytes, the limit for an archive of this size (a zip bomb?)");
                }
            }
            return n;
        }

        @Override
        public void close() {
            // the zip stream is closed by its owner; Files.copy must not close it between members
        }
    }
}
