package convbench.kernels.natives;

/** A shared library that cannot be read or rewritten; the message is one sentence naming the file and what is wrong. */
public final class ElfException extends Exception {
    public ElfException(String message) { super(message); }
}
