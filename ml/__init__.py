"""Models and learning: Keras networks, preprocessing, inference, training, registry."""
