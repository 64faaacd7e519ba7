package dev.jconv.cuda.vendor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.cuda.cudnn.Cudnn;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading a shared library's exported functions (the cuDNN preflight), on this JVM's own libc. No GPU needed. */
class ElfSymbolsTest {
    private static Path libc() {
        return ElfSymbols.mapped("libc.so").orElseThrow(() -> new AssertionError("this JVM has no libc.so mapped"));
    }

    @Test
    void theExportsOfLibcIncludeMallocAndNotAnInventedName() throws IOException {
        assertTrue(ElfSymbols.exported(libc()).contains("malloc"));
        assertEquals(List.of("cudnnNotAFunction"), ElfSymbols.missing(libc(), List.of("malloc", "cudnnNotAFunction", "free")));
    }

    @Test
    void aFileThatIsNotElfIsAnError(@TempDir Path dir) throws IOException {
        Path text = Files.writeString(dir.resolve("libfake.so"), "not an ELF file, but long enough to have a header ......");
        assertThrows(IOException.class, () -> ElfSymbols.exported(text));
    }

    /** {@link Cudnn#FUNCTIONS} must be exactly the cuDNN functions the sources call, or the preflight checks the wrong set. */
    @Test
    void theCudnnFunctionListIsEveryFunctionTheSourcesCall() throws IOException {
        Pattern call = Pattern.compile("JCudnn\\.(cudnn\\w+)\\(");
        TreeSet<String> called = new TreeSet<>();
        try (Stream<Path> files = Files.walk(Path.of("src/cuda/src/main/java/dev/jconv/cuda"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Matcher m = call.matcher(Files.readString(f));
                while (m.find()) {
                    called.add(m.group(1));
                }
            }
        }
        assertEquals(called, new TreeSet<>(Cudnn.FUNCTIONS));
    }
}
