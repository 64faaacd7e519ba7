package dev.jconv.cuda.vendor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The functions a 64-bit little-endian ELF shared library exports (its {@code .dynsym} entries that are
 * defined, like {@code nm -D --defined-only}), and which library file of a given name this process has
 * mapped ({@code /proc/self/maps}). JNI libraries bind a C function at its first call; if the host's
 * library lacks it, the dynamic linker ends the JVM ("symbol lookup error", exit 127) with no exception,
 * so a backend checks its functions here before the first call. Layout: the System V ABI's ELF-64 object
 * file format (section headers, {@code SHT_DYNSYM} = 11, {@code Elf64_Sym} of 24 bytes).
 */
public final class ElfSymbols {
    private static final int SHT_DYNSYM = 11;
    private static final int SHN_UNDEF = 0;

    private ElfSymbols() {}

    /** The names of the symbols {@code library} defines in its dynamic symbol table. */
    public static Set<String> exported(Path library) throws IOException {
        ByteBuffer elf;
        try (FileChannel ch = FileChannel.open(library, StandardOpenOption.READ)) {
            elf = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()).order(ByteOrder.LITTLE_ENDIAN);
        }
        if (elf.limit() < 64 || elf.getInt(0) != 0x464c457f || elf.get(4) != 2 || elf.get(5) != 1) {
            throw new IOException(library + " is not a 64-bit little-endian ELF file");
        }
        long sectionTable = elf.getLong(0x28);
        int sectionSize = Short.toUnsignedInt(elf.getShort(0x3A));
        int sections = Short.toUnsignedInt(elf.getShort(0x3C));
        Set<String> names = new HashSet<>();
        for (int i = 0; i < sections; i++) {
            int header = Math.toIntExact(sectionTable + (long) i * sectionSize);
            if (elf.getInt(header + 4) != SHT_DYNSYM) {
                continue;
            }
            int symbols = Math.toIntExact(elf.getLong(header + 0x18));
            long size = elf.getLong(header + 0x20);
            int entrySize = Math.toIntExact(elf.getLong(header + 0x38));
            int strings = Math.toIntExact(elf.getLong(
                    Math.toIntExact(sectionTable + (long) elf.getInt(header + 0x28) * sectionSize) + 0x18));
            for (long s = 0; s < size / entrySize; s++) {
                int sym = Math.toIntExact(symbols + s * entrySize);
                if (Short.toUnsignedInt(elf.getShort(sym + 6)) != SHN_UNDEF) {
                    names.add(cString(elf, strings + elf.getInt(sym)));
                }
            }
        }
        return names;
    }

    /** Of {@code functions}, those {@code library} does not export, in the given order. */
    public static List<String> missing(Path library, List<String> functions) throws IOException {
        Set<String> exported = exported(library);
        return functions.stream().filter(f -> !exported.contains(f)).toList();
    }

    /** The file this process mapped for a library whose file name starts with {@code soname}, if any. */
    public static Optional<Path> mapped(String soname) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                int slash = line.indexOf('/');
                if (slash >= 0) {
                    Path p = Path.of(line.substring(slash).trim());
                    if (p.getFileName().toString().startsWith(soname)) {
                        return Optional.of(p);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // no /proc (not Linux): nothing known
        }
        return Optional.empty();
    }

    private static String cString(ByteBuffer b, int at) {
        int end = at;
        while (b.get(end) != 0) {
            end++;
        }
        byte[] bytes = new byte[end - at];
        b.get(at, bytes);
        return new String(bytes, StandardCharsets.US_ASCII);
    }
}
