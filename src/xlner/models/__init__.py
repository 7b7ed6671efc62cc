"""Model loading, reference architectures, tiny local models, and the e5-small converter."""
