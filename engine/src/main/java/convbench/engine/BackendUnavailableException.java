package convbench.engine;

/** A backend cannot be opened here; the message is one sentence with the cause and the fix. */
public final class BackendUnavailableException extends Exception {
    public BackendUnavailableException(String message) { super(message); }

    public BackendUnavailableException(String message, Throwable cause) { super(message, cause); }
}
