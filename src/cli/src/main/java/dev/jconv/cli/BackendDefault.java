package dev.jconv.cli;

import dev.jconv.Options;

/**
 * The default of every {@code --backend NAME} option that runs convolutions: what {@link Options#defaults()}
 * reads, the {@code jconv.backend} system property, else the {@code JCONV_BACKEND} environment variable, else
 * {@code auto}, written as picocli's variable interpolation so {@code --help} shows the value in force.
 */
final class BackendDefault {
    private BackendDefault() {}

    static final String VALUE = "${sys:" + Options.BACKEND_PROPERTY + ":-${env:" + Options.BACKEND_ENVIRONMENT_VARIABLE
            + ":-" + Options.AUTO + "}}";
}
