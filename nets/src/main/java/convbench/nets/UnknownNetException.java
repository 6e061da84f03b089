package convbench.nets;

import java.util.List;

/** A net name the registry does not know; the message suggests the closest names and lists the known ones. */
public final class UnknownNetException extends IllegalArgumentException {
    private final String requested;
    private final List<String> suggestions;

    public UnknownNetException(String requested, List<String> suggestions, List<String> known) {
        super("unknown net '" + requested + "'"
                + (suggestions.isEmpty() ? "" : " (did you mean " + String.join(" or ", suggestions) + "?)")
                + "; the known nets are " + String.join(", ", known));
        this.requested = requested;
        this.suggestions = List.copyOf(suggestions);
    }

    public String requested() { return requested; }

    /** The closest canonical names, best first (possibly empty). */
    public List<String> suggestions() { return suggestions; }
}
