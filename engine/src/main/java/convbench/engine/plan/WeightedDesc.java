package convbench.engine.plan;

import convbench.engine.tensor.Shape;

/**
 * What {@link ConvDesc} and {@link DenseDesc} both describe: z = x (*) w + b (a convolution or a matrix
 * product) and y = act(z).
 */
public interface WeightedDesc {
    /** The output's shape. */
    Shape y();

    /** Multiply-accumulates of the whole batch (bias and activation not counted). */
    long macs();
}
