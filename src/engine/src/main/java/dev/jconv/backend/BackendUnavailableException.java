package dev.jconv.backend;

/** A backend was asked for by name but cannot run here; the message says why. */
public class BackendUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BackendUnavailableException(String message) {
        super(message);
    }
}
