/**
 * The choices a net's code makes that the kernel plans carry too ({@link convbench.engine.spec.Activation},
 * {@link convbench.engine.spec.PoolMode}): below the plan contract, so a net names them without importing it.
 */
package convbench.engine.spec;
