package convbench.bench;

/** A mistake in the command line or its values: one sentence, exit code 2. */
final class UsageException extends RuntimeException {
    UsageException(String message) { super(message); }
}
