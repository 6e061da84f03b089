package convbench.engine.spec;

/** Max or average pooling: max treats padding as -infinity, average leaves padded cells out of the divisor. */
public enum PoolMode { MAX, AVG }
