package convbench.nets;

/** An input image size too small for a net; the message names the smallest size that works. */
public final class ImageSizeException extends IllegalArgumentException {
    private final int minSize;

    public ImageSizeException(String net, int size, int minSize) {
        super("image size " + size + " is too small for " + net + ": the smallest it takes is " + minSize
                + " (use an image size of " + minSize + " or more)");
        this.minSize = minSize;
    }

    /** The smallest image size the net takes. */
    public int minSize() { return minSize; }
}
