"""TensorBoard event files (PyTorch, tensorboardX, Keras/TF2, Lightning, HF Trainer writers)."""
