package convbench.engine.spec;

/** An activation that can be fused into the op before it (conv, dense) or run on its own. */
public enum Activation { NONE, RELU }
