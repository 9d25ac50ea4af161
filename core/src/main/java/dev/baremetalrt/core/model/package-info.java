/**
 * Models as the runtime uses them: {@link dev.baremetalrt.core.model.LlamaModel} opens a model file,
 * reads its hyperparameters ({@link dev.baremetalrt.core.model.ModelConfigs}), checks that every tensor a
 * Llama decoder needs is present with the right shape, and serves the tensors to backends as a
 * {@link dev.baremetalrt.spi.WeightSource}. Errors are {@link dev.baremetalrt.core.model.ModelException}s
 * naming the model and the tensor or key.
 */
package dev.baremetalrt.core.model;
