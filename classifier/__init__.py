"""detente's models: taxonomy, corpus building, training, evaluation and the loaded classifier."""
