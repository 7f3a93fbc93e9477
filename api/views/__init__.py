"""Shaping rows into response models, where more than one route answers with the same shape."""
