package dev.jconv.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** {@code --version}: jconv's version (filtered in from the pom at build time) and the Java running it. */
final class VersionProvider implements IVersionProvider {

    static String jconvVersion() {
        try (InputStream in = VersionProvider.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                return "unknown (version.properties missing from the build)";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String javaLine() {
        return "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + "), "
                + System.getProperty("os.name") + " " + System.getProperty("os.arch");
    }

    @Override
    public String[] getVersion() {
        return new String[] {"jconv " + jconvVersion(), javaLine()};
    }
}
