package dev.jconv.cuda.vendor;

import dev.jconv.backend.Availability;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a JCuda library wrapper (JCudnn, JCublas) needs from the host and why it did not load, in one
 * line. JCuda reports a failed load as an {@link UnsatisfiedLinkError} whose message holds two nested
 * stack traces (it prints nothing itself: checked with JCudnn 11.7.0/12.6.0 natives and JCublas 12.6.0
 * on a machine without cuDNN and cuBLAS); the line that matters is the loader's reason for the
 * attempt to load the library from the jar, e.g.
 * {@code /tmp/libJCudnn-12.6.0-linux-x86_64.so: libcudnn.so.9: cannot open shared object file: ...}.
 */
public final class NativeLibraries {
    private static final Pattern MISSING_LIBRARY =
            Pattern.compile("(lib[\\w.+-]+\\.so[.\\d]*): cannot open shared object file");
    private static final String RESOURCE_ATTEMPT = "Stack trace from the attempt to load the library as a resource:";

    private NativeLibraries() {}

    /**
     * Why a vendor backend cannot start, from its library's and the driver's availability: the library's
     * reason (plus the driver's when that is missing too), or, with the library loaded, the driver's;
     * null when both are there.
     */
    public static Availability libraryOrDriverMissing(Availability library, Availability driver) {
        if (!library.available()) {
            return Availability.no(library.reason() + (driver.available() ? "" : "; and " + driver.reason()));
        }
        if (!driver.available()) {
            return Availability.no(library.reason() + " loaded, but " + driver.reason());
        }
        return null;
    }

    /** The shared library the loader could not find (e.g. {@code libcudnn.so.9}), or null if that was not the cause. */
    public static String missingLibrary(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c.getMessage() != null) {
                Matcher m = MISSING_LIBRARY.matcher(c.getMessage());
                if (m.find()) {
                    return m.group(1);
                }
            }
        }
        return null;
    }

    /** The dynamic loader's message for a library it cannot find, as JCuda's load failures carry it. */
    public static UnsatisfiedLinkError notFound(String soname) {
        return new UnsatisfiedLinkError(soname + ": cannot open shared object file: No such file or directory");
    }

    /**
     * Whether the dynamic loader surely cannot find {@code soname} (e.g. {@code libcuda.so.1}), checked without
     * loading anything: it is not mapped into this process, not in LD_LIBRARY_PATH or the default folders, and
     * not in the loader cache ({@code /etc/ld.so.cache}). False whenever that cannot be told (not Linux, an
     * unreadable cache): then the real load decides. Lets a process without a GPU answer "unavailable" without
     * extracting and loading JCuda's natives (about 30 ms each for the driver, JCudnn and JCublas), which a
     * one-shot {@code jconv run} would otherwise pay before choosing the CPU.
     */
    public static boolean surelyAbsent(String soname) {
        if (!System.getProperty("os.name", "").startsWith("Linux")) {
            return false;
        }
        return surelyAbsent(soname, System.getenv("LD_LIBRARY_PATH"), Path.of("/etc/ld.so.cache"),
                Path.of("/proc/self/maps"), DEFAULT_FOLDERS);
    }

    /** glibc's default search folders (x86_64, Debian/Ubuntu multiarch and RPM layouts) and WSL's driver folder. */
    static final List<String> DEFAULT_FOLDERS = List.of("/lib", "/usr/lib", "/lib64", "/usr/lib64",
            "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/usr/lib/wsl/lib");

    static boolean surelyAbsent(String soname, String ldLibraryPath, Path cache, Path maps, List<String> defaults) {
        List<String> dirs = new ArrayList<>(defaults);
        if (ldLibraryPath != null) {
            for (String d : ldLibraryPath.split(File.pathSeparator)) {
                dirs.add(d.isBlank() ? "." : d); // an empty entry is the current folder
            }
        }
        for (String d : dirs) {
            if (Files.exists(Path.of(d, soname))) {
                return false;
            }
        }
        try {
            // ISO-8859-1 maps each byte to one char, so the indexOf intrinsic finds the name among the cache's bytes
            if (new String(Files.readAllBytes(cache), StandardCharsets.ISO_8859_1).contains(soname)) {
                return false;
            }
            if (Files.isReadable(maps) && Files.readString(maps).contains("/" + soname)) {
                return false;
            }
        } catch (IOException | RuntimeException e) {
            return false; // cannot tell: let the loader try
        }
        return true;
    }

    /**
     * The loader's one-line reason from JCuda's load failure: the line after "attempt to load the library
     * as a resource" without the exception class and the extracted file's path, else the first line.
     */
    public static String loaderReason(Throwable t) {
        String message = t.getMessage();
        if (message == null) {
            return t.getClass().getSimpleName();
        }
        String[] lines = message.split("\\R");
        for (int i = 0; i < lines.length - 1; i++) {
            if (lines[i].trim().equals(RESOURCE_ATTEMPT)) {
                String reason = lines[i + 1].trim().replaceFirst("^java\\.lang\\.\\w+: ", "");
                return reason.replaceFirst("^/\\S*?/lib\\w[\\w.-]*\\.so: ", "");
            }
        }
        return t.getClass().getSimpleName() + ": " + lines[0].trim();
    }

    /**
     * Files named {@code prefix*} (e.g. {@code libcublas.so.}) in the folders a CUDA library is usually
     * found in: LD_LIBRARY_PATH, the system library folders, CUDA toolkits under /usr/local and NVIDIA's
     * pip wheels ({@code site-packages/nvidia/<lib>/lib}) in common Python prefixes and virtual
     * environments. Sorted, no duplicates; symbolic links count. Never throws.
     */
    public static List<Path> find(String prefix) {
        Set<Path> found = new TreeSet<>();
        for (Path dir : searchFolders(System.getenv("LD_LIBRARY_PATH"), System.getenv("VIRTUAL_ENV"))) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, prefix + "*")) {
                for (Path f : files) {
                    found.add(f);
                }
            } catch (IOException | RuntimeException e) {
                // an unreadable or vanished folder just contributes nothing
            }
        }
        return new ArrayList<>(found);
    }

    /** The folders {@link #find} looks in, in order. */
    static List<Path> searchFolders(String ldLibraryPath, String virtualEnv) {
        Set<Path> dirs = new LinkedHashSet<>();
        if (ldLibraryPath != null) {
            for (String d : ldLibraryPath.split(File.pathSeparator)) {
                if (!d.isBlank()) {
                    dirs.add(Path.of(d));
                }
            }
        }
        for (String d : List.of("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib/x86_64-linux-gnu",
                "/usr/local/cuda/lib64", "/usr/local/cuda/lib")) {
            dirs.add(Path.of(d));
        }
        dirs.addAll(children(Path.of("/usr/local"), "cuda-*", "lib64", "lib", "targets/x86_64-linux/lib"));
        List<Path> pythonPrefixes = new ArrayList<>();
        if (virtualEnv != null && !virtualEnv.isBlank()) {
            pythonPrefixes.add(Path.of(virtualEnv));
        }
        pythonPrefixes.add(Path.of("/usr"));
        pythonPrefixes.add(Path.of("/usr/local"));
        pythonPrefixes.addAll(children(Path.of("/opt"), "*", ".venv", "venv"));
        pythonPrefixes.addAll(children(Path.of("/opt"), "conda"));
        for (Path prefix : pythonPrefixes) {
            for (Path python : children(prefix.resolve("lib"), "python3*")) {
                for (Path packages : List.of(python.resolve("site-packages"), python.resolve("dist-packages"))) {
                    dirs.addAll(children(packages.resolve("nvidia"), "*", "lib"));
                }
            }
        }
        return new ArrayList<>(dirs);
    }

    /** {@code parent/<glob>/<sub>} for each sub that is a folder (or {@code parent/<glob>} when no sub is given). */
    private static List<Path> children(Path parent, String glob, String... subs) {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> matches = Files.newDirectoryStream(parent, glob)) {
            for (Path m : matches) {
                if (subs.length == 0) {
                    if (Files.isDirectory(m)) {
                        out.add(m);
                    }
                }
                for (String sub : subs) {
                    Path p = m.resolve(sub);
                    if (Files.isDirectory(p)) {
                        out.add(p);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // missing or unreadable: nothing there
        }
        out.sort(null);
        return out;
    }

    /**
     * e.g. {@code "libcublas.so.13 in /usr/local/cuda-13.0/lib64"}, grouped by folder, or null when
     * {@code files} is empty. Only the versioned names (not the unversioned development link) are listed.
     */
    public static String describe(List<Path> files) {
        java.util.Map<Path, Set<String>> byFolder = new java.util.LinkedHashMap<>();
        for (Path f : files) {
            String name = f.getFileName().toString();
            byFolder.computeIfAbsent(f.getParent(), k -> new TreeSet<>()).add(name);
        }
        List<String> parts = new ArrayList<>();
        byFolder.forEach((dir, names) -> {
            Set<String> shown = new TreeSet<>(names);
            if (shown.size() > 1) {
                shown.removeIf(n -> n.endsWith(".so"));  // the development link says nothing more
            }
            parts.add(String.join(", ", shortest(shown)) + " in " + dir);
        });
        return parts.isEmpty() ? null : String.join("; ", parts);
    }

    /** Of {@code libx.so.12, libx.so.12.6.4.1}: only the soname {@code libx.so.12}, which is what the loader looks for. */
    private static List<String> shortest(Set<String> names) {
        List<String> keep = new ArrayList<>();
        for (String n : names) {
            boolean longerFormOfKept = keep.stream().anyMatch(k -> n.startsWith(k + "."));
            if (!longerFormOfKept) {
                keep.add(n);
            }
        }
        return keep;
    }
}
