package warmup;

/**
 * Placeholder compiled only while the image's dependency layer is built: running a real
 * {@code mvn package} over it makes Maven fetch every plugin (compiler, surefire and its JUnit
 * platform provider, jar, shade) that {@code dependency:go-offline} alone misses. Never shipped.
 */
public final class Warmup {
    private Warmup() {}

    public static int answer() {
        return 42;
    }
}
