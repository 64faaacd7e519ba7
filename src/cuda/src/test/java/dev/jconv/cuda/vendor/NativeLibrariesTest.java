package dev.jconv.cuda.vendor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.backend.Availability;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class NativeLibrariesTest {
    /** JCudnn 11.7.0 loading the 12.6.0 natives on a machine without cuDNN (captured on the build machine). */
    public static final String JCUDNN_WITHOUT_CUDNN = "Error while loading native library \"JCudnn-12.6.0-linux-x86_64\"\n"
            + "Operating system name: Linux\nArchitecture         : amd64\nArchitecture bit size: 64\n"
            + "---(start of nested stack traces)---\n"
            + "Stack trace from the attempt to load the library as a file:\n"
            + "java.lang.UnsatisfiedLinkError: no JCudnn-12.6.0-linux-x86_64 in java.library.path: /usr/java/packages/lib:/usr/lib\n"
            + "\tat java.base/java.lang.ClassLoader.loadLibrary(ClassLoader.java:2434)\n"
            + "\tat jcuda.jcudnn.JCudnn.<clinit>(JCudnn.java:117)\n"
            + "Stack trace from the attempt to load the library as a resource:\n"
            + "java.lang.UnsatisfiedLinkError: /tmp/libJCudnn-12.6.0-linux-x86_64.so: libcudnn.so.9: cannot open shared object "
            + "file: No such file or directory\n"
            + "\tat java.base/jdk.internal.loader.NativeLibraries.load(Native Method)\n"
            + "---(end of nested stack traces)---\n";

    @TempDir
    Path dir;

    @Test
    void theMissingLibraryIsFoundInJcudasNestedMessage() {
        UnsatisfiedLinkError e = new UnsatisfiedLinkError(JCUDNN_WITHOUT_CUDNN);
        assertEquals("libcudnn.so.9", NativeLibraries.missingLibrary(e));
        assertEquals("libcudnn.so.9: cannot open shared object file: No such file or directory", NativeLibraries.loaderReason(e));
    }

    @Test
    void otherLoaderFailuresKeepTheLoadersReasonWithoutThePath() {
        String message = JCUDNN_WITHOUT_CUDNN.replace("libcudnn.so.9: cannot open shared object file: No such file or directory",
                "/opt/x/libcudnn.so.9: file too short");
        UnsatisfiedLinkError e = new UnsatisfiedLinkError(message);
        assertNull(NativeLibraries.missingLibrary(e));
        assertEquals("/opt/x/libcudnn.so.9: file too short", NativeLibraries.loaderReason(e));
        assertEquals("NoClassDefFoundError: Could not initialize class jcuda.jcudnn.JCudnn",
                NativeLibraries.loaderReason(new NoClassDefFoundError("Could not initialize class jcuda.jcudnn.JCudnn")));
    }

    @Test
    void describeGroupsByFolderAndShowsSonamesOnly() {
        Path a = Path.of("/usr/local/cuda-13.0/lib64");
        String text = NativeLibraries.describe(List.of(a.resolve("libcublas.so"), a.resolve("libcublas.so.13"),
                a.resolve("libcublas.so.13.0.2.14"), Path.of("/opt/v/nvidia/cublas/lib/libcublas.so.12")));
        assertEquals("libcublas.so.13 in /usr/local/cuda-13.0/lib64; libcublas.so.12 in /opt/v/nvidia/cublas/lib", text);
        assertNull(NativeLibraries.describe(List.of()));
    }

    @Test
    void searchLooksInLdLibraryPathAndInPipWheelsOfAVirtualEnvironment() throws IOException {
        Path ld = Files.createDirectories(dir.resolve("ld"));
        Path wheel = Files.createDirectories(dir.resolve("venv/lib/python3.12/site-packages/nvidia/cudnn/lib"));
        List<Path> folders = NativeLibraries.searchFolders(ld + ":" + dir.resolve("missing"), dir.resolve("venv").toString());
        assertEquals(ld, folders.get(0), "LD_LIBRARY_PATH first");
        assertTrue(folders.contains(wheel), folders.toString());
        assertTrue(folders.contains(Path.of("/usr/lib/x86_64-linux-gnu")), folders.toString());
    }

    @Test
    void aMissingLibraryOrDriverIsOneReasonNamingWhatIsMissing() {
        Availability lib = Availability.yes("libx.so.9 (X 9)");
        Availability noLib = Availability.no("libx.so.9 (X 9) not found");
        Availability driver = Availability.yes("driver for CUDA 13.0");
        Availability noDriver = Availability.no("no NVIDIA driver");
        assertNull(NativeLibraries.libraryOrDriverMissing(lib, driver));
        assertEquals(Availability.no("libx.so.9 (X 9) not found"), NativeLibraries.libraryOrDriverMissing(noLib, driver));
        assertEquals(Availability.no("libx.so.9 (X 9) not found; and no NVIDIA driver"),
                NativeLibraries.libraryOrDriverMissing(noLib, noDriver));
        assertEquals(Availability.no("libx.so.9 (X 9) loaded, but no NVIDIA driver"),
                NativeLibraries.libraryOrDriverMissing(lib, noDriver));
    }

    /** The pre-check that lets a host without CUDA skip loading JCuda's natives, and every way it defers to the loader. */
    @Test
    void aLibraryIsSurelyAbsentOnlyWhenNoPlaceTheLoaderLooksHasIt(@TempDir Path dir)
            throws IOException {
        Path lib = Files.createDirectories(dir.resolve("lib"));
        Path other = Files.createDirectories(dir.resolve("other"));
        Path cache = Files.write(dir.resolve("ld.so.cache"), "libc.so.6\0/lib/libc.so.6".getBytes());
        Path maps = Files.writeString(dir.resolve("maps"), "7f00 r-xp /usr/lib/libc.so.6\n");
        List<String> defaults = List.of(lib.toString());
        assertTrue(NativeLibraries.surelyAbsent("libcuda.so.1", other.toString(), cache, maps, defaults));
        assertTrue(NativeLibraries.surelyAbsent("libcuda.so.1", null, cache, maps, defaults));

        Files.createFile(other.resolve("libcuda.so.1"));
        assertFalse(NativeLibraries.surelyAbsent("libcuda.so.1", lib + ":" + other, cache, maps, defaults),
                "in LD_LIBRARY_PATH");
        assertFalse(NativeLibraries.surelyAbsent("libcuda.so.1", null, cache, maps, List.of(other.toString())),
                "in a default folder");
        Path cached = Files.write(dir.resolve("cache2"), "x\0libcuda.so.1\0/usr/lib/libcuda.so.1".getBytes());
        assertFalse(NativeLibraries.surelyAbsent("libcuda.so.1", null, cached, maps, defaults), "in the loader cache");
        Path mapped = Files.writeString(dir.resolve("maps2"), "7f00 r-xp /opt/x/libcuda.so.1\n");
        assertFalse(NativeLibraries.surelyAbsent("libcuda.so.1", null, cache, mapped, defaults), "already loaded");
        assertFalse(NativeLibraries.surelyAbsent("libcuda.so.1", null, dir.resolve("missing"), maps, defaults),
                "no readable cache: the loader decides");
    }

    @Test
    void theSynthesizedFailureReadsAsTheLoadersOwn() {
        assertEquals("libcudnn.so.9: cannot open shared object file: No such file or directory",
                NativeLibraries.loaderReason(NativeLibraries.notFound("libcudnn.so.9")).replaceFirst("^UnsatisfiedLinkError: ", ""));
        assertEquals("libcudnn.so.9", NativeLibraries.missingLibrary(NativeLibraries.notFound("libcudnn.so.9")));
    }
}
